//! The control room's state: focus, selections, filters, the open screen and overlay, and
//! what was asked of the orchestrator. Keys, snapshots and replies in; effects out; no I/O.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ratatui::crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

mod access;

use super::component::{Component, EventState};
use super::screens::new_run::NewRunForm;
use super::screens::overlays::Overlay;
use super::screens::review::ReviewScreen;
use super::scroll::Scroll;
use super::theme::{ColorMode, Theme};
use crate::config::keys::Keymap;
use crate::domain::{AgentRole, GateId, RunId, RunStatus};
use crate::error::FactoryError;
use crate::orchestrator::{Command, Reply, Snapshot};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Startups,
    Team,
    Providers,
    Gates,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Startups, Pane::Team, Pane::Providers, Pane::Gates];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn next(self) -> Pane {
        Pane::ALL[(self.index() + 1) % 4]
    }

    pub fn prev(self) -> Pane {
        Pane::ALL[(self.index() + 3) % 4]
    }
}

/// How a template version is named in a run: `name` for the default version, else `name@version`.
pub fn template_label(t: &crate::orchestrator::TemplateInfo) -> String {
    if t.latest { t.name.clone() } else { format!("{}@{}", t.name, t.version) }
}

/// What the event loop must do for the app.
#[derive(Debug, PartialEq)]
pub enum Effect {
    /// Send a command; its reply comes back to [`App::on_reply`] with the same number.
    Request(u64, Command),
    Bell,
    Quit,
    /// Give the terminal to `program` (`$EDITOR`, `$PAGER`) on the file `path` of the workspace
    /// folder `workspace`, then take it back and redraw; the path is checked again on disk.
    External {
        program: String,
        workspace: String,
        path: String,
    },
    /// Put text on the terminal's clipboard (OSC 52; only when `tui.osc52` allows it).
    Clipboard(String),
    /// The owner is gone: open the data directory in this process and serve the others.
    TakeOver,
}

/// A one-line message in the footer.
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// What an outstanding request was for.
#[derive(Clone, Debug)]
pub enum Pending {
    Decide(GateId),
    NewRun,
    Simple,
    Review(String),
    /// The open review's gate again, after it left the pending ones (decided elsewhere).
    Refresh(GateId),
    Reports(RunId, AgentRole),
    Alerts,
    AckAlerts,
    Templates,
    /// The browser's file list, the run's workspace folder, one file's text.
    Files(RunId),
    Workspace(RunId),
    ReadFile(RunId, String),
    /// The Stats screen's figures, for this window.
    Stats(Option<u32>),
}

pub enum Screen {
    Dashboard,
    Review(Box<ReviewScreen>),
    NewRun(Box<NewRunForm>),
    Browser(Box<super::screens::browser::BrowserScreen>),
    Stats(Box<super::screens::stats::StatsScreen>),
}

/// What the config says of this terminal's control room (`[tui]`, `budget.default_run_usd`).
#[derive(Clone, Debug)]
pub struct Settings {
    pub bell: bool,
    /// Whether `y` may write the clipboard with OSC 52 (`tui.osc52`).
    pub osc52: bool,
    /// Where a saved decision leads (`tui.after_decision`).
    pub after_decision: super::screens::review::AfterDecision,
    /// What a new run's budget is when the form leaves it empty, in micro-dollars.
    pub default_budget_micros: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            bell: true,
            osc52: false,
            after_decision: Default::default(),
            default_budget_micros: crate::domain::money::usd_f64_to_micros(
                crate::config::BudgetConfig::default().default_run_usd,
            ),
        }
    }
}

pub struct App {
    pub snap: Arc<Snapshot>,
    theme: Theme,
    color_mode: ColorMode,
    keymap: Keymap,
    settings: Settings,
    /// Milliseconds since the epoch, set before each frame.
    now: u64,
    pub focus: Pane,
    pub selected_run: Option<RunId>,
    pub selected_gate: Option<GateId>,
    pub selected_role: usize,
    pub selected_provider: usize,
    /// First visible row of each pane's list: a pane keeps its selection in view as it is
    /// drawn (from `&App`, so in a cell), and the mouse reads which row is where.
    offsets: [Cell<Scroll>; 4],
    pub filters: [String; 4],
    /// The filter being typed for the focused pane.
    pub filter_input: Option<TextArea<'static>>,
    pub screen: Screen,
    /// Popups over the screen, the top one last: a key goes to the top one first.
    layers: Vec<Overlay>,
    status: Option<Status>,
    pending: HashMap<u64, Pending>,
    next_id: u64,
    seen_gates: Option<HashSet<GateId>>,
    seen_alerts: u32,
    /// Alerts already looked at with `!`.
    alerts_read: u32,
    /// Who decides gates from this terminal.
    reviewer: String,
    /// Indices into `snap.runs` and `snap.gates` that pass the filters.
    visible_runs: Vec<usize>,
    visible_gates: Vec<usize>,
    /// Template names for the new-run form.
    templates: Vec<String>,
    /// Milliseconds until a time shown in the last frame (a wait, an ETA) changes: recorded
    /// by the views as they draw (from `&App`, so in a cell).
    redraw_in: Cell<Option<u64>>,
    /// Owner, attached, or attached and lost.
    link: crate::orchestrator::Link,
    /// Gates marked in the inbox (`Space`) to decide at once; dropped as they leave it.
    pub marks: Vec<GateId>,
    /// A batch of decisions sent and not all answered yet.
    pub batch: Option<super::screens::batch::Tally>,
    /// A decision was saved from this terminal (the first-run hint goes away).
    decided_here: bool,
    /// Where the panes were drawn in the last frame, for the mouse (`--mouse`).
    pub hit: super::mouse::HitMap,
    /// The row the last click selected: a second click on it opens it.
    pub last_click: Option<super::mouse::Row>,
}

impl App {
    pub fn new(snap: Arc<Snapshot>, theme: Theme, color_mode: ColorMode, keymap: Keymap, reviewer: String) -> App {
        let mut app = App {
            snap: Arc::new(Snapshot::default()),
            theme,
            color_mode,
            keymap,
            settings: Settings::default(),
            now: 0,
            focus: Pane::Startups,
            selected_run: None,
            selected_gate: None,
            selected_role: 0,
            selected_provider: 0,
            offsets: Default::default(),
            filters: Default::default(),
            filter_input: None,
            screen: Screen::Dashboard,
            layers: Vec::new(),
            status: None,
            pending: HashMap::new(),
            next_id: 1,
            seen_gates: None,
            seen_alerts: 0,
            alerts_read: 0,
            reviewer,
            visible_runs: Vec::new(),
            visible_gates: Vec::new(),
            templates: snap.templates.clone(),
            redraw_in: Cell::new(None),
            link: crate::orchestrator::Link::Owner,
            marks: Vec::new(),
            batch: None,
            decided_here: false,
            hit: Default::default(),
            last_click: None,
        };
        app.alerts_read = snap.alerts;
        app.on_snapshot(snap);
        app
    }

    /// Starts a request; the reply comes to [`App::on_reply`].
    pub fn request(&mut self, cmd: Command, why: Pending) -> Effect {
        let id = self.next_id;
        self.next_id += 1;
        self.pending.insert(id, why);
        Effect::Request(id, cmd)
    }

    /// `!`: the alerts popup, every alert read.
    pub fn open_alerts(&mut self) -> Vec<Effect> {
        self.alerts_read = self.snap.alerts;
        self.open_overlay(Overlay::Alerts(Default::default()));
        vec![self.request(Command::Alerts, Pending::Alerts)]
    }

    /// The popup on top, if one is open.
    pub fn overlay(&self) -> Option<&Overlay> {
        self.layers.last()
    }

    pub fn overlay_mut(&mut self) -> Option<&mut Overlay> {
        self.layers.last_mut()
    }

    /// Opens a popup above the others.
    pub fn open_overlay(&mut self, overlay: Overlay) {
        self.layers.push(overlay);
    }

    /// Closes the popup on top.
    pub fn close_overlay(&mut self) {
        self.layers.pop();
    }

    /// A key for the popups, the top one first: `None` when none consumed it. Each is lifted
    /// off the stack while it handles the key, and put back under what it opened meanwhile
    /// unless it closed.
    pub(crate) fn layers_key(&mut self, key: KeyEvent) -> Option<Vec<Effect>> {
        for at in (0..self.layers.len()).rev() {
            let mut layer = self.layers.remove(at);
            let handled = layer.event(self, key);
            if handled.state != EventState::Closed {
                self.layers.insert(at, layer);
            }
            if handled.state != EventState::NotConsumed {
                return Some(handled.effects);
            }
        }
        None
    }

    /// Draws the popups, the bottom one first; each is lifted off the stack to draw, which
    /// keeps its scroll in view of the frame.
    pub(crate) fn draw_layers(&mut self, f: &mut ratatui::Frame, area: ratatui::layout::Rect) {
        let mut layers = std::mem::take(&mut self.layers);
        for layer in &mut layers {
            layer.draw(self, f, area);
        }
        self.layers = layers;
    }

    pub fn say(&mut self, text: impl Into<String>) {
        self.status = Some(Status { text: text.into(), error: false });
    }

    pub fn fail(&mut self, text: impl Into<String>) {
        self.status = Some(Status { text: text.into(), error: true });
    }

    /// A new snapshot: keep selections on the same run and gate, refilter, and ring the
    /// bell once for each gate that opened or alert that fired since the last one.
    pub fn on_snapshot(&mut self, snap: Arc<Snapshot>) -> Vec<Effect> {
        let mut effects = Vec::new();
        // Where the inbox's cursor stood, for when its gate leaves.
        let gate_pos = self.gate_position();
        let gates: HashSet<GateId> = snap.gates.iter().map(|g| g.id).collect();
        match &self.seen_gates {
            None => self.seen_alerts = snap.alerts,
            Some(seen) => {
                let opened = gates.iter().any(|g| !seen.contains(g));
                let fired = snap.alerts > self.seen_alerts;
                if self.settings.bell && (opened || fired) {
                    effects.push(Effect::Bell);
                }
            }
        }
        self.seen_gates = Some(gates);
        self.seen_alerts = snap.alerts;
        self.marks.retain(|m| snap.gates.iter().any(|g| g.id == *m));
        self.snap = snap;
        self.refilter_from(gate_pos);
        effects.extend(super::screens::review::on_snapshot(self));
        effects.extend(super::screens::stats::on_snapshot(self));
        effects
    }

    /// Recomputes which runs and gates pass the filters, and keeps a selection.
    pub fn refilter(&mut self) {
        let gate_pos = self.gate_position();
        self.refilter_from(gate_pos);
    }

    /// [`App::refilter`], with the inbox's cursor at `gate_pos` before: when the selected
    /// gate is gone, the cursor takes the gate now at that position (or the last).
    fn refilter_from(&mut self, gate_pos: usize) {
        let f = self.filters[Pane::Startups.index()].to_lowercase();
        self.visible_runs = (0..self.snap.runs.len())
            .filter(|i| {
                let r = &self.snap.runs[*i];
                f.is_empty()
                    || r.id.to_string().contains(&f)
                    || r.name.to_lowercase().contains(&f)
                    || r.status.as_str().contains(&f)
                    || r.phase.as_str().contains(&f)
            })
            .collect();
        let f = self.filters[Pane::Gates.index()].to_lowercase();
        self.visible_gates = (0..self.snap.gates.len())
            .filter(|i| {
                let g = &self.snap.gates[*i];
                f.is_empty()
                    || g.id.to_string().to_lowercase().contains(&f)
                    || g.id.code.name().to_lowercase().contains(&f)
            })
            .collect();
        if !self.selected_run.is_some_and(|id| self.visible_runs.iter().any(|i| self.snap.runs[*i].id == id)) {
            self.selected_run = self.visible_runs.first().map(|i| self.snap.runs[*i].id);
        }
        if !self.selected_gate.is_some_and(|id| self.visible_gates.iter().any(|i| self.snap.gates[*i].id == id)) {
            let pos = gate_pos.min(self.visible_gates.len().saturating_sub(1));
            self.selected_gate = self.visible_gates.get(pos).map(|i| self.snap.gates[*i].id);
        }
        self.follow_gate();
    }

    /// With the inbox focused, the selected gate's run is the selected run (the Agent team
    /// pane shows it).
    pub fn follow_gate(&mut self) {
        if self.focus != Pane::Gates {
            return;
        }
        let Some(run) = self.selected_gate.map(|g| g.run) else { return };
        if self.selected_run != Some(run) {
            self.selected_run = Some(run);
            self.selected_role = 0;
        }
    }

    /// Position of the selected run among the visible ones.
    pub fn run_position(&self) -> usize {
        self.selected_run.and_then(|id| self.visible_runs.iter().position(|i| self.snap.runs[*i].id == id)).unwrap_or(0)
    }

    pub fn gate_position(&self) -> usize {
        self.selected_gate
            .and_then(|id| self.visible_gates.iter().position(|i| self.snap.gates[*i].id == id))
            .unwrap_or(0)
    }

    pub fn selected_run_view(&self) -> Option<&crate::orchestrator::RunView> {
        self.selected_run.and_then(|id| self.snap.runs.iter().find(|r| r.id == id)).map(|r| r.as_ref())
    }

    /// Moves the focused pane's selection by `delta` rows (clamped).
    pub fn move_selection(&mut self, delta: isize) {
        let step = |pos: usize, len: usize| -> usize {
            if len == 0 {
                return 0;
            }
            (pos as isize + delta).clamp(0, len as isize - 1) as usize
        };
        match self.focus {
            Pane::Startups => {
                let pos = step(self.run_position(), self.visible_runs.len());
                self.selected_run = self.visible_runs.get(pos).map(|i| self.snap.runs[*i].id);
                self.selected_role = 0;
            }
            Pane::Gates => {
                let pos = step(self.gate_position(), self.visible_gates.len());
                self.selected_gate = self.visible_gates.get(pos).map(|i| self.snap.gates[*i].id);
            }
            Pane::Team => {
                let len = self.selected_run_view().map(|r| r.team.len()).unwrap_or(0);
                self.selected_role = step(self.selected_role, len);
            }
            Pane::Providers => self.selected_provider = step(self.selected_provider, self.snap.providers.len()),
        }
    }

    /// A reply to one of our requests.
    pub fn on_reply(&mut self, id: u64, result: Result<Reply, FactoryError>) -> Vec<Effect> {
        let Some(why) = self.pending.remove(&id) else { return Vec::new() };
        match (why, result) {
            (Pending::Decide(gate), result) => {
                if let Ok(Reply::Decided { .. }) = &result {
                    self.decided_here = true;
                }
                if super::screens::batch::on_reply(self, id, &result) {
                    return Vec::new();
                }
                if matches!(&self.screen, Screen::Review(r) if r.gate == gate) {
                    return super::screens::review::decided(self, gate, result);
                } else {
                    match result {
                        Ok(Reply::Decided { gate }) => self.say(format!("{} {} (saved)", gate.id, gate.status)),
                        Ok(_) => {}
                        Err(e) => self.fail(e.message),
                    }
                }
            }
            (Pending::NewRun, result) => {
                if let Screen::NewRun(form) = &mut self.screen {
                    match result {
                        Ok(Reply::Created { id }) => {
                            self.screen = Screen::Dashboard;
                            self.selected_run = id.parse().ok();
                            self.focus = Pane::Startups;
                            self.say(format!("created {id}"));
                        }
                        Ok(_) => {}
                        Err(e) => form.failed(e.message),
                    }
                }
            }
            (Pending::Simple, Ok(Reply::Done { message })) => self.say(message),
            (Pending::Simple, Ok(_)) => {}
            (Pending::Refresh(gate), result) => return super::screens::review::refreshed(self, gate, result),
            (Pending::Review(_), Ok(Reply::Review { review })) => {
                if let Screen::Review(r) = &mut self.screen
                    && r.gate == review.gate.id
                {
                    r.loaded(*review);
                }
            }
            (Pending::Reports(run, role), Ok(Reply::Run { detail })) => {
                if let Some(Overlay::Reports(v)) = self.overlay_mut()
                    && v.run == run
                    && v.role == role
                {
                    v.items = Some(detail.reports.into_iter().filter(|r| r.role == role).rev().collect());
                }
            }
            (Pending::Templates, Ok(Reply::Templates { templates, .. })) => {
                self.templates = templates.iter().map(template_label).collect();
                if let Some(Overlay::Templates(v)) = self.overlay_mut() {
                    v.items = Some(templates.clone());
                }
                if let Screen::NewRun(form) = &mut self.screen {
                    form.set_templates(templates);
                }
            }
            (Pending::Alerts, Ok(Reply::Alerts { alerts, acks, .. })) => {
                if let Some(Overlay::Alerts(v)) = self.overlay_mut() {
                    v.items = Some(alerts.into_iter().rev().collect());
                    v.acks = acks;
                }
            }
            (Pending::AckAlerts, Ok(Reply::Done { message })) => {
                return super::screens::alerts::acknowledged(self, message);
            }
            (why @ (Pending::Files(_) | Pending::Workspace(_) | Pending::ReadFile(..)), result) => {
                super::screens::browser::on_reply(self, why, result)
            }
            (Pending::Stats(since), result) => super::screens::stats::on_reply(self, since, result),
            (Pending::Review(_), Err(e)) => {
                self.screen = Screen::Dashboard;
                self.fail(e.message);
            }
            (_, Err(e)) => self.fail(e.message),
            (_, Ok(_)) => {}
        }
        Vec::new()
    }

    /// Pause the selected run, or resume it when it is paused or failed.
    pub fn pause_or_resume(&mut self) -> Vec<Effect> {
        if let Some(why) = self.may_not(None) {
            self.fail(why);
            return Vec::new();
        }
        let Some(run) = self.selected_run_view() else {
            self.fail("no run is selected");
            return Vec::new();
        };
        let id = run.id;
        let cmd = if matches!(run.status, RunStatus::Paused | RunStatus::Failed) {
            Command::Resume { run: id }
        } else {
            Command::Pause { run: id }
        };
        vec![self.request(cmd, Pending::Simple)]
    }

    /// Opens the review screen for a gate, optionally starting a decision at once.
    pub fn open_review(&mut self, gate: GateId, start: Option<crate::config::keys::Action>) -> Vec<Effect> {
        let mut screen = ReviewScreen::new(gate);
        screen.start = start;
        if start.is_some()
            && let Some(why) = self.may_not(Some(gate.code))
        {
            screen.start = None;
            self.fail(why);
        }
        self.screen = Screen::Review(Box::new(screen));
        vec![self.request(Command::Review { gate: gate.into() }, Pending::Review(gate.to_string()))]
    }

    /// Opens the workspace browser on a run, at `path` if given (a file of its workspace).
    pub fn open_browser(&mut self, run: RunId, path: Option<String>) -> Vec<Effect> {
        let Some(name) = self.snap.runs.iter().find(|r| r.id == run).map(|r| r.name.clone()) else {
            self.fail(format!("there is no run {run}"));
            return Vec::new();
        };
        // Esc goes back to where this was opened from (a browser opened from a browser
        // goes back to where the first one came from).
        let back = match std::mem::replace(&mut self.screen, Screen::Dashboard) {
            Screen::Browser(mut b) => b.back.take().unwrap_or(Screen::Dashboard),
            other => other,
        };
        if self.color_mode != ColorMode::None {
            super::highlight::warm_up();
        }
        let mut screen = super::screens::browser::BrowserScreen::new(run, name, back);
        let mut effects = vec![
            self.request(Command::Files { run }, Pending::Files(run)),
            self.request(Command::Status { run: Some(run) }, Pending::Workspace(run)),
        ];
        if let Some(path) = path {
            screen.loading = Some(path.clone());
            screen.focus = super::screens::browser::Focus::File;
            effects.push(self.request(Command::ReadFile { run, path: path.clone() }, Pending::ReadFile(run, path)));
        }
        self.screen = Screen::Browser(Box::new(screen));
        effects
    }

    /// Records that the frame shows a time that changes in `ms`.
    pub fn time_shown(&self, ms: u64) {
        self.redraw_in.set(Some(self.redraw_in.get().map_or(ms, |r| r.min(ms))));
    }

    pub fn read_only(&self) -> bool {
        matches!(
            self.link,
            crate::orchestrator::Link::Attached { read_only: true, .. }
                | crate::orchestrator::Link::Lost { read_only: true }
        )
    }

    /// Why this terminal may not change anything or decide this gate, if it may not.
    pub fn may_not(&self, gate: Option<crate::domain::GateCode>) -> Option<String> {
        if self.read_only() {
            return Some("read-only: this terminal watches; attach without --read-only to decide".into());
        }
        if let crate::orchestrator::Link::Lost { .. } = self.link {
            return Some("the owner went away; wait until it is back (reattaching)".into());
        }
        let code = gate?;
        self.snap.may_decide(code, &self.reviewer).err().map(|e| format!("{e}; you are {}", self.reviewer))
    }

    /// `t`: with the owner gone, this terminal becomes the owner (the others reattach to it).
    pub fn take_over(&mut self) -> Vec<Effect> {
        match self.link {
            crate::orchestrator::Link::Lost { read_only: false } => {
                self.say("taking over: opening the data directory here…");
                vec![Effect::TakeOver]
            }
            crate::orchestrator::Link::Lost { read_only: true } => {
                self.fail("read-only: this terminal only watches; start `factory` elsewhere to take over");
                Vec::new()
            }
            _ => {
                self.fail("the owner is running: there is nothing to take over");
                Vec::new()
            }
        }
    }

    /// Opens the new-run form (on `template` if given) and asks for the templates.
    pub fn open_new_run(&mut self, template: Option<String>) -> Vec<Effect> {
        let mut form = NewRunForm::new(&self.templates, self.settings.default_budget_micros);
        if let Some(t) = template {
            form.select(&t);
        }
        self.screen = Screen::NewRun(Box::new(form));
        vec![self.request(Command::Templates, Pending::Templates)]
    }

    /// Unread alerts (fired since the alerts list was last opened).
    /// The first-run hint in the footer (how to review a gate), while gates wait and no
    /// decision is known: none saved from this terminal, and none a person took that the
    /// snapshot shows (it lists pending gates only, so a revision asked for, a revised phase
    /// or a rejected run is the evidence).
    pub fn first_run_hint(&self) -> Option<String> {
        let s = &self.snap;
        let decided = self.decided_here
            || s.counts.rejected > 0
            || s.gates.iter().any(|g| g.id.n > 0)
            || s.runs.iter().any(|r| r.revision > 0 || r.phases.iter().any(|p| p.revision > 0));
        if decided || s.gates.is_empty() || !matches!(self.screen, Screen::Dashboard) {
            return None;
        }
        use crate::config::keys::Action;
        let k = |a: Action| self.keymap.hint(a);
        Some(format!("{} then {} reviews a gate", k(Action::Gates), k(Action::Open)))
    }

    pub fn unread_alerts(&self) -> u32 {
        self.snap.alerts.saturating_sub(self.alerts_read)
    }
}
