//! Gate review: the evidence as tabs (each document in its own viewer with search, a
//! revision as a diff against the one before, the `app/` tree), who wrote it, what it cost,
//! how it scored; `a` then `y` approves, `v` and `r` take a required note (Ctrl-S submits,
//! Esc leaves it undecided). A decision shows as done only once it is on disk; then the next
//! gate opens (or the inbox). A gate decided elsewhere says so at once and takes no decision.

mod draw;
pub mod tabs;
#[cfg(test)]
mod tests;

pub use draw::{hints, render};

use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::TextArea;

use crate::config::keys::screens::REVIEW;
use crate::config::keys::{Action, Keymap};
use crate::domain::money::parse_usd;
use crate::domain::{Decision, GateCode, GateId, GateStatus, RunId};
use crate::error::FactoryError;
use crate::orchestrator::{Command, Reply, ReviewData};
use crate::tui::app::{App, Effect, Pane, Pending, Screen};
use tabs::{Body, Tab};

/// Where the control room goes once a decision is saved (`tui.after_decision`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AfterDecision {
    /// The next pending gate this reviewer may decide opens.
    #[default]
    Next,
    /// Back to the inbox, on the gate next to the decided one.
    Inbox,
}

impl AfterDecision {
    /// The config's value (`next` or `inbox`; the config check refuses anything else).
    pub fn from_config(value: &str) -> AfterDecision {
        if value == "inbox" { AfterDecision::Inbox } else { AfterDecision::Next }
    }
}

pub struct Note {
    pub decision: Decision,
    pub text: TextArea<'static>,
    /// For an approved budget gate: the new limit in dollars.
    pub budget: Option<TextArea<'static>>,
    /// 0 the note, 1 the budget.
    pub field: usize,
    pub error: Option<String>,
}

pub enum Mode {
    View,
    /// `a` was pressed: `y` approves, anything else cancels.
    Confirm,
    Note(Box<Note>),
    /// Sent; waiting for the orchestrator to say it is on disk.
    Submitting(Decision),
    Done {
        ok: bool,
        message: String,
    },
}

pub struct ReviewScreen {
    pub gate: GateId,
    pub data: Option<ReviewData>,
    /// The evidence, one tab each, and the one shown.
    pub tabs: Vec<Tab>,
    pub tab: usize,
    pub mode: Mode,
    /// A decision to begin as soon as the gate is loaded (`a`, `v`, `r` from the inbox).
    pub start: Option<Action>,
    /// The gate left the pending ones without this terminal deciding it: what is known of
    /// who decided it. No decision is taken from here any more.
    pub elsewhere: Option<String>,
}

impl ReviewScreen {
    pub fn new(gate: GateId) -> Self {
        ReviewScreen { gate, data: None, tabs: Vec::new(), tab: 0, mode: Mode::View, start: None, elsewhere: None }
    }

    pub fn loaded(&mut self, data: ReviewData) {
        let (tabs, focus) = tabs::build(&data);
        self.tabs = tabs;
        self.tab = focus;
        self.gate = data.gate.id;
        self.data = Some(data);
        if let Some(action) = self.start.take() {
            self.begin(action);
        }
    }

    pub fn current(&self) -> Option<&Tab> {
        self.tabs.get(self.tab)
    }

    /// Whether a search is being typed in the shown tab (every key goes to it).
    pub fn typing(&self) -> bool {
        self.current().is_some_and(Tab::typing)
    }

    fn is_pending(&self) -> bool {
        self.elsewhere.is_none() && self.data.as_ref().is_some_and(|d| d.gate.status == GateStatus::Pending)
    }

    /// Starts a decision: a confirmation for an approval, a note for the others.
    pub fn begin(&mut self, action: Action) {
        if !self.is_pending() {
            let message = match (&self.elsewhere, self.data.as_ref().map(|d| &d.gate)) {
                (_, Some(g)) if g.status != GateStatus::Pending => {
                    let who = g.decided_by.clone().unwrap_or_else(|| "someone".into());
                    format!("{} is already {} by {who}; nothing left to decide", self.gate, g.status)
                }
                (Some(what), _) => format!("{what}; nothing left to decide"),
                _ => format!("{} is already decided", self.gate),
            };
            self.mode = Mode::Done { ok: false, message };
            return;
        }
        let budget_gate = self.gate.code == GateCode::Budget;
        let note = |decision: Decision, budget: Option<TextArea<'static>>| {
            let mut text = TextArea::default();
            text.set_placeholder_text("Why? (required)");
            Mode::Note(Box::new(Note { decision, text, budget, field: 0, error: None }))
        };
        self.mode = match action {
            Action::Approve if budget_gate => {
                let ask = self.data.as_ref().and_then(|d| d.gate.budget.clone());
                let suggested = ask
                    .map(|a| (a.limit_micros + a.limit_micros / 2).max(a.spent_micros + a.needed_micros * 2))
                    .unwrap_or(0);
                // Whole cents, rounded up: what a person would type.
                let cents = suggested.div_ceil(10_000);
                let mut b = TextArea::new(vec![format!("{}.{:02}", cents / 100, cents % 100)]);
                b.move_cursor(ratatui_textarea::CursorMove::End);
                note(Decision::Approve, Some(b))
            }
            Action::Approve => Mode::Confirm,
            Action::Revise if budget_gate => Mode::Done {
                ok: false,
                message: "a budget gate is approved (with a new limit) or rejected (cancelling the run), not revised"
                    .into(),
            },
            Action::Revise => note(Decision::Revise, None),
            Action::Reject => note(Decision::Reject, None),
            _ => Mode::View,
        };
    }

    /// A decision's reply that leaves the review open: a refusal, or an error.
    pub fn decided(&mut self, result: Result<Reply, FactoryError>) {
        self.mode = match result {
            Ok(_) => Mode::View,
            Err(e) => Mode::Done { ok: false, message: e.message },
        };
    }

    /// Moves `delta` tabs along, wrapping around.
    pub fn step_tab(&mut self, delta: isize) {
        let n = self.tabs.len();
        if n > 0 {
            self.tab = (self.tab as isize + delta).rem_euclid(n as isize) as usize;
        }
    }
}

/// What a key asks of the app, worked out while the screen is borrowed.
#[derive(Debug, PartialEq)]
enum Then {
    Nothing,
    Close,
    Refuse(String),
    Say(String),
    Browse(RunId, Option<String>),
    Submit(Decision, Option<String>, Option<String>),
}

/// The keys of the review when no decision is under way: tabs, the diff, the tree, the
/// tab's viewer, and the start of a decision.
fn view_key(r: &mut ReviewScreen, keymap: &Keymap, key: &KeyEvent, blocked: Option<String>) -> Then {
    let run = r.data.as_ref().map(|d| d.run.id);
    match keymap.action(key, &REVIEW) {
        Some(Action::NextTab) => r.step_tab(1),
        Some(Action::PrevTab) => r.step_tab(-1),
        Some(Action::ToggleDiff) => match r.tabs.get_mut(r.tab) {
            Some(tab) if tab.diff.is_some() => tab.show_diff = !tab.show_diff,
            _ => return Then::Say("no diff here: only the gate's own document of a revision has one".into()),
        },
        Some(Action::Browse) => match run {
            Some(run) => return Then::Browse(run, r.current().and_then(|t| t.path.clone())),
            None => return Then::Nothing,
        },
        Some(Action::Open) => {
            if let (Some(run), Some(Body::Tree(tree))) = (run, r.current().map(|t| &t.body)) {
                return match tree.current() {
                    Some(row) if !row.dir => Then::Browse(run, Some(row.path.clone())),
                    Some(_) => Then::Say("Enter opens a file; w browses all of the run's files".into()),
                    None => Then::Nothing,
                };
            }
        }
        Some(a @ (Action::Approve | Action::Revise | Action::Reject)) => match blocked {
            Some(why) => return Then::Refuse(why),
            None => {
                if r.data.is_some() {
                    r.begin(a);
                }
            }
        },
        Some(Action::Back) => return Then::Close,
        _ => {
            if let Some(tab) = r.tabs.get_mut(r.tab) {
                tab.key(keymap, key);
            }
        }
    }
    Then::Nothing
}

pub fn key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let keymap = app.keymap().clone();
    let gate_code = if let Screen::Review(r) = &app.screen { Some(r.gate.code) } else { None };
    let blocked = app.may_not(gate_code);
    let Screen::Review(r) = &mut app.screen else { return Vec::new() };
    // A search being typed takes every key, so `/Rollback` never starts a decision.
    if matches!(r.mode, Mode::View | Mode::Done { .. }) && r.typing() {
        if let Some(tab) = r.tabs.get_mut(r.tab) {
            tab.key(&keymap, &key);
        }
        return Vec::new();
    }
    let then = match &mut r.mode {
        Mode::View => view_key(r, &keymap, &key, blocked),
        Mode::Confirm => {
            if keymap.action(&key, &[Action::Confirm]).is_some() {
                Then::Submit(Decision::Approve, None, None)
            } else {
                r.mode = Mode::View;
                app.say("approval cancelled; nothing was decided");
                return Vec::new();
            }
        }
        Mode::Note(note) => {
            if keymap.action(&key, &[Action::Submit]).is_some() {
                let text = note.text.lines().join("\n").trim().to_string();
                let budget = note.budget.as_ref().map(|b| b.lines().join("").trim().to_string());
                if text.is_empty() {
                    note.error = Some("the note is required: say why".into());
                    Then::Nothing
                } else if let Some(why) = crate::tui::paste::too_long(&note.text, &crate::tui::paste::NOTE) {
                    note.error = Some(why);
                    note.field = 0;
                    Then::Nothing
                } else if let Some(Err(e)) = budget.as_deref().map(parse_usd) {
                    note.error = Some(e);
                    note.field = 1;
                    Then::Nothing
                } else {
                    Then::Submit(note.decision, Some(text), budget)
                }
            } else if key.code == KeyCode::Esc {
                r.mode = Mode::View;
                app.say("note left without deciding");
                return Vec::new();
            } else if key.code == KeyCode::Tab && note.budget.is_some() {
                note.field = 1 - note.field;
                Then::Nothing
            } else {
                note.error = None;
                match (note.field, note.budget.as_mut()) {
                    // Dollars take digits and one point; a letter is refused, not typed.
                    (1, Some(_)) if matches!(key.code, KeyCode::Char(c) if !(c.is_ascii_digit() || c == '.')) => {
                        note.error = Some("the new limit takes digits and a point, like 7.50".into());
                    }
                    (1, Some(b)) if key.code != KeyCode::Enter => {
                        b.input(key);
                    }
                    (1, Some(_)) => {}
                    _ => {
                        note.text.input(key);
                    }
                }
                Then::Nothing
            }
        }
        Mode::Submitting(_) => Then::Nothing,
        Mode::Done { .. } => match keymap.action(&key, &[Action::Back, Action::Confirm]) {
            Some(_) => Then::Close,
            None if keymap.action(&key, &[Action::Open]).is_some()
                && !matches!(r.current().map(|t| &t.body), Some(Body::Tree(_))) =>
            {
                Then::Close
            }
            None => view_key(r, &keymap, &key, blocked),
        },
    };
    match then {
        Then::Nothing => Vec::new(),
        Then::Refuse(why) => {
            app.fail(why);
            Vec::new()
        }
        Then::Say(what) => {
            app.say(what);
            Vec::new()
        }
        Then::Browse(run, path) => app.open_browser(run, path),
        Then::Close => {
            app.screen = Screen::Dashboard;
            Vec::new()
        }
        Then::Submit(decision, note, budget_usd) => {
            let gate = r.gate;
            r.mode = Mode::Submitting(decision);
            let cmd = Command::Decide { gate: gate.into(), decision, note, by: app.reviewer().to_string(), budget_usd };
            vec![app.request(cmd, Pending::Decide(gate))]
        }
    }
}

/// A paste into the review: into the note or the new limit being written (a message about
/// it goes in the note's title), or into a search being typed; `None` when neither is.
pub fn paste(r: &mut ReviewScreen, text: &str) -> Option<Result<Option<String>, String>> {
    use crate::tui::paste;
    if let Mode::Note(note) = &mut r.mode {
        let result = match (note.field, note.budget.as_mut()) {
            (1, Some(b)) => paste::into_area(b, text, &paste::BUDGET),
            _ => paste::into_area(&mut note.text, text, &paste::NOTE),
        };
        note.error = paste::message(&result);
        return Some(Ok(None));
    }
    if !matches!(r.mode, Mode::View | Mode::Done { .. }) {
        return None;
    }
    let query = r.tabs.get_mut(r.tab)?.viewer_mut().search.typing.as_mut()?;
    Some(paste::into_line(query, text, &paste::SEARCH))
}

/// The reply to a decision sent from the review of `gate`. Once it is saved the next
/// pending gate this reviewer may decide opens (`tui.after_decision = "next"`), or the
/// inbox comes back on the gate next to it (`"inbox"`); a refusal stays on the review.
pub fn decided(app: &mut App, gate: GateId, result: Result<Reply, FactoryError>) -> Vec<Effect> {
    let saved = match &result {
        Ok(Reply::Decided { gate: g }) => format!("{} {}, saved", g.id, g.status),
        _ => {
            if let Screen::Review(r) = &mut app.screen {
                r.decided(result);
            }
            return Vec::new();
        }
    };
    let order: Vec<GateId> = app.visible_gates().iter().map(|i| app.snap.gates[*i].id).collect();
    let at = order.iter().position(|g| *g == gate);
    match app.settings().after_decision {
        AfterDecision::Next => {
            let (after, before) = match at {
                Some(i) => (&order[i + 1..], &order[..i]),
                None => (&order[..], &order[..0]),
            };
            let next = after.iter().chain(before).copied().find(|g| *g != gate && app.may_not(Some(g.code)).is_none());
            match next {
                Some(next) => {
                    app.selected_gate = Some(next);
                    app.focus = Pane::Gates;
                    let effects = app.open_review(next, None);
                    app.say(format!("{saved}; next: {next}"));
                    effects
                }
                None => {
                    app.screen = Screen::Dashboard;
                    app.say(format!("{saved}; no more gates waiting"));
                    Vec::new()
                }
            }
        }
        AfterDecision::Inbox => {
            let neighbour = at.and_then(|i| order.get(i + 1).or_else(|| i.checked_sub(1).and_then(|j| order.get(j))));
            if let Some(n) = neighbour {
                app.selected_gate = Some(*n);
            }
            app.screen = Screen::Dashboard;
            app.focus = Pane::Gates;
            app.say(saved);
            Vec::new()
        }
    }
}

/// A new snapshot: when the open review's gate is no longer pending and this terminal did
/// not decide it, say so at once, stop any decision under way, and ask who decided it.
pub fn on_snapshot(app: &mut App) -> Vec<Effect> {
    let Screen::Review(r) = &mut app.screen else { return Vec::new() };
    let loaded_pending = r.data.as_ref().is_some_and(|d| d.gate.status == GateStatus::Pending);
    if !loaded_pending
        || r.elsewhere.is_some()
        || matches!(r.mode, Mode::Submitting(_))
        || app.snap.gates.iter().any(|g| g.id == r.gate)
    {
        return Vec::new();
    }
    let gate = r.gate;
    r.elsewhere = Some(format!("{gate} was decided elsewhere just now"));
    if matches!(r.mode, Mode::Confirm | Mode::Note(_)) {
        r.mode = Mode::View;
    }
    vec![app.request(Command::Review { gate: gate.into() }, Pending::Refresh(gate))]
}

/// The reloaded gate of a review decided elsewhere: who decided it, and how.
pub fn refreshed(app: &mut App, gate: GateId, result: Result<Reply, FactoryError>) -> Vec<Effect> {
    let Screen::Review(r) = &mut app.screen else { return Vec::new() };
    if r.gate != gate {
        return Vec::new();
    }
    match result {
        Ok(Reply::Review { review }) => {
            let g = &review.gate;
            r.elsewhere = Some(match &g.decided_by {
                Some(who) => format!("{gate} {} by {who} just now", g.status),
                None => format!("{gate} {} just now", g.status),
            });
            if let Some(d) = r.data.as_mut() {
                d.gate = g.clone();
                d.history = review.history.clone();
            }
        }
        Ok(_) => {}
        Err(e) => r.elsewhere = Some(format!("{gate} is no longer waiting ({})", e.message)),
    }
    Vec::new()
}
