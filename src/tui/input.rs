//! Keys in: the popups on top get them first, then the open screen, then the dashboard's
//! focused pane, then its keys for every pane.

use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::TextArea;

use super::app::{App, Effect, Pane, Pending, Screen};
use super::component::{EventState, Handled};
use super::screens::overlays::{self, Overlay};
use super::screens::review;
use crate::config::keys::Action;
use crate::config::keys::screens::DASHBOARD;
use crate::orchestrator::Command;

impl App {
    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        // A key between two clicks: the second one selects again, it does not open.
        self.last_click = None;
        if let Some(input) = self.filter_input.as_mut() {
            match key.code {
                KeyCode::Enter => self.filter_input = None,
                KeyCode::Esc => {
                    self.filter_input = None;
                    self.filters[self.focus.index()].clear();
                    self.refilter();
                }
                _ => {
                    input.input(key);
                    self.filters[self.focus.index()] = input.lines().join("");
                    self.refilter();
                }
            }
            return Vec::new();
        }
        if let Some(effects) = self.layers_key(key) {
            return effects;
        }
        match &self.screen {
            Screen::Review(_) => return review::key(self, key),
            Screen::NewRun(_) => return super::screens::new_run::key(self, key),
            Screen::Browser(_) => return super::screens::browser::key(self, key),
            Screen::Stats(_) => return super::screens::stats::key(self, key),
            Screen::Dashboard => {}
        }
        // Quit before all, as a key bound to it does nothing else here.
        if self.keymap().action(&key, &[Action::Quit]).is_some() {
            return vec![Effect::Quit];
        }
        let Some(action) = self.keymap().action(&key, &DASHBOARD) else { return Vec::new() };
        self.clear_status();
        let handled = self.pane_key(action);
        match handled.state {
            EventState::NotConsumed => self.global_key(action),
            _ => handled.effects,
        }
    }

    /// The dashboard's keys for the focused pane: moving, opening, marking, deciding,
    /// filtering, browsing.
    fn pane_key(&mut self, action: Action) -> Handled {
        let page = 10;
        match action {
            Action::Up => self.move_selection(-1),
            Action::Down => self.move_selection(1),
            Action::PageUp => self.move_selection(-page),
            Action::PageDown => self.move_selection(page),
            Action::Top => self.move_selection(isize::MIN / 2),
            Action::Bottom => self.move_selection(isize::MAX / 2),
            Action::Open => return Handled::consumed(self.open()),
            Action::Mark => self.toggle_mark(),
            Action::Approve | Action::Revise | Action::Reject
                if self.focus == Pane::Gates && !self.marks.is_empty() =>
            {
                return Handled::consumed(self.decide_marked(action));
            }
            Action::Approve | Action::Revise | Action::Reject => {
                let gate = match self.focus {
                    Pane::Gates => self.selected_gate,
                    _ => self
                        .selected_run_view()
                        .and_then(|r| self.snap.gates.iter().find(|g| g.id.run == r.id).map(|g| g.id)),
                };
                match gate {
                    Some(g) => return Handled::consumed(self.open_review(g, Some(action))),
                    None => self.fail("no gate is waiting here; `g` jumps to the gate inbox"),
                }
            }
            Action::PauseResume => return Handled::consumed(self.pause_or_resume()),
            Action::Filter => {
                let mut t = TextArea::new(vec![self.filters[self.focus.index()].clone()]);
                t.move_cursor(ratatui_textarea::CursorMove::End);
                self.filter_input = Some(t);
            }
            Action::Browse => match self.focus {
                Pane::Startups | Pane::Team => match self.selected_run {
                    Some(run) => return Handled::consumed(self.open_browser(run, None)),
                    None => self.fail("no run is selected"),
                },
                _ => self.fail("select a run in Startups or Agent team to browse its files"),
            },
            _ => return Handled::not_consumed(),
        }
        self.follow_gate();
        Handled::consumed(Vec::new())
    }

    /// The dashboard's keys whatever the focus: panes, screens and popups to open.
    fn global_key(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::NextPane => self.focus = self.focus.next(),
            Action::PrevPane => self.focus = self.focus.prev(),
            Action::Pane1 => self.focus = Pane::Startups,
            Action::Pane2 => self.focus = Pane::Team,
            Action::Pane3 => self.focus = Pane::Providers,
            Action::Pane4 | Action::Gates => self.focus = Pane::Gates,
            Action::NewRun => match self.may_not(None) {
                Some(why) => self.fail(why),
                None => return self.open_new_run(None),
            },
            Action::Alerts => return self.open_alerts(),
            Action::Stats => return self.open_stats(None),
            Action::Command => self.open_overlay(Overlay::command()),
            Action::Help => self.open_overlay(Overlay::Help { scroll: Default::default() }),
            Action::TakeOver => return self.take_over(),
            _ => {}
        }
        self.follow_gate();
        Vec::new()
    }

    /// Enter on the focused pane (and a second click on a row).
    pub(crate) fn open(&mut self) -> Vec<Effect> {
        match self.focus {
            Pane::Startups => {
                self.focus = Pane::Team;
                Vec::new()
            }
            Pane::Gates => match self.selected_gate {
                Some(g) => self.open_review(g, None),
                None => Vec::new(),
            },
            Pane::Team => {
                let Some(run) = self.selected_run_view() else { return Vec::new() };
                let Some(role) = run.team.get(self.selected_role).map(|r| r.role) else { return Vec::new() };
                let id = run.id;
                self.open_overlay(Overlay::Reports(overlays::ReportsView {
                    run: id,
                    role,
                    items: None,
                    scroll: Default::default(),
                }));
                vec![self.request(Command::Status { run: Some(id) }, Pending::Reports(id, role))]
            }
            Pane::Providers => Vec::new(),
        }
    }
}
