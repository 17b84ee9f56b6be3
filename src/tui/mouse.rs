//! The mouse (`--mouse`): a click focuses a pane and selects the row under it, a second click on that row opens it, the wheel scrolls.

use ratatui::crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::app::{App, Effect, Pane, Screen};
use super::screens::overlays::Overlay;
use super::screens::review::Mode;
use crate::config::keys::Action;
use crate::domain::{GateId, RunId};

/// Rows a wheel notch scrolls a viewer or a popup.
const WHEEL_LINES: usize = 3;

/// Where the last frame drew the dashboard's panes (recorded while drawing).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HitMap {
    /// Each pane's area with its border, in [`Pane::ALL`] order; `None` when not on screen.
    pub panes: [Option<Rect>; 4],
    /// The labels of the tab line of the compact layout, in [`Pane::ALL`] order.
    pub tabs: [Option<Rect>; 4],
}

impl HitMap {
    /// The four panes side by side.
    pub fn four(&mut self, areas: [Rect; 4]) {
        *self = HitMap { panes: areas.map(Some), tabs: [None; 4] };
    }

    /// The compact layout: labels `widths` wide along `line`, and the `focus` pane in `area`.
    pub fn tabbed(&mut self, line: Rect, widths: [u16; 4], focus: Pane, area: Rect) {
        *self = HitMap::default();
        let mut x = line.x;
        for (i, w) in widths.into_iter().enumerate() {
            let r = Rect { x, width: w, ..line }.intersection(line);
            self.tabs[i] = (r.width > 0).then_some(r);
            x = x.saturating_add(w);
        }
        self.panes[focus.index()] = Some(area);
    }

    fn find(areas: &[Option<Rect>; 4], x: u16, y: u16) -> Option<Pane> {
        let at = Position { x, y };
        areas.iter().position(|r| r.is_some_and(|r| r.contains(at))).map(|i| Pane::ALL[i])
    }
}

/// A row a click selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    Run(RunId),
    Gate(GateId),
    /// A role of the run's team, by position.
    Role(RunId, usize),
    Provider(usize),
}

/// Whether an event changes what is shown (pointer moves and releases do not).
pub fn redraws(m: &MouseEvent) -> bool {
    matches!(m.kind, MouseEventKind::Down(_) | MouseEventKind::ScrollUp | MouseEventKind::ScrollDown)
}

impl App {
    /// A mouse event: only clicks of the left button and the wheel do anything.
    pub fn handle_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        match m.kind {
            MouseEventKind::ScrollUp => self.wheel(m, -1),
            MouseEventKind::ScrollDown => self.wheel(m, 1),
            MouseEventKind::Down(MouseButton::Left) => self.click(m),
            _ => Vec::new(),
        }
    }

    /// The wheel: a pane's list moves a row a notch (the pane under the pointer takes the
    /// focus); a popup, a review's document or a file scrolls a few lines. Nothing where a
    /// key would do something else (a confirmation, a field being typed in).
    fn wheel(&mut self, m: MouseEvent, dir: isize) -> Vec<Effect> {
        if self.filter_input.is_some() {
            return Vec::new();
        }
        if let Some(o) = self.overlay() {
            return match o {
                Overlay::Help { .. } | Overlay::Alerts(_) | Overlay::Reports(_) => self.wheel_keys(dir, WHEEL_LINES),
                Overlay::Templates(_) => self.wheel_keys(dir, 1),
                Overlay::Command(_) | Overlay::Batch(_) => Vec::new(),
            };
        }
        match &self.screen {
            Screen::Dashboard => {
                if let Some(pane) = self.pane_at(m.column, m.row) {
                    self.focus = pane;
                }
                self.last_click = None;
                self.move_selection(dir);
                self.follow_gate();
                Vec::new()
            }
            Screen::Review(r) if matches!(r.mode, Mode::View | Mode::Done { .. }) && !r.typing() => {
                self.wheel_keys(dir, WHEEL_LINES)
            }
            Screen::Browser(b) if !b.file.as_ref().is_some_and(|f| f.viewer.typing()) => {
                self.wheel_keys(dir, WHEEL_LINES)
            }
            Screen::Stats(_) => self.wheel_keys(dir, WHEEL_LINES),
            _ => Vec::new(),
        }
    }

    /// `n` presses of the first key of up (`dir` < 0) or down.
    fn wheel_keys(&mut self, dir: isize, n: usize) -> Vec<Effect> {
        let action = if dir < 0 { Action::Up } else { Action::Down };
        let Some(k) = self.keymap().keys(action).first().copied() else { return Vec::new() };
        let mut effects = Vec::new();
        for _ in 0..n {
            effects.extend(self.handle_key(KeyEvent::new(k.code, k.mods)));
        }
        effects
    }

    /// A click on the dashboard: a tab or a pane takes the focus, a row is selected, and
    /// a second click on the same row opens it (as Enter does there).
    fn click(&mut self, m: MouseEvent) -> Vec<Effect> {
        if self.filter_input.is_some() || self.overlay().is_some() || !matches!(self.screen, Screen::Dashboard) {
            return Vec::new();
        }
        let (x, y) = (m.column, m.row);
        let Some(pane) = HitMap::find(&self.hit.tabs, x, y).or_else(|| self.pane_at(x, y)) else {
            self.last_click = None;
            return Vec::new();
        };
        self.focus = pane;
        let row = if self.hit.tabs[pane.index()].is_some_and(|r| r.contains(Position { x, y })) {
            None
        } else {
            self.row_at(pane, y)
        };
        let Some(row) = row else {
            self.last_click = None;
            self.follow_gate();
            return Vec::new();
        };
        let again = self.last_click == Some(row);
        self.select(row);
        self.follow_gate();
        if again {
            self.last_click = None;
            return self.open();
        }
        self.last_click = Some(row);
        Vec::new()
    }

    fn pane_at(&self, x: u16, y: u16) -> Option<Pane> {
        HitMap::find(&self.hit.panes, x, y)
    }

    /// The row of `pane` drawn at line `y` in the last frame. Each pane has a border; the
    /// Startups and Providers tables a header line; the Agent team a summary line and a
    /// header above its roles; the gate inbox none.
    fn row_at(&self, pane: Pane, y: u16) -> Option<Row> {
        let area = self.hit.panes[pane.index()]?;
        let (top, bottom) = (area.y + 1, area.bottom().saturating_sub(1));
        let above = match pane {
            Pane::Startups | Pane::Providers => 1,
            Pane::Team => 2,
            Pane::Gates => 0,
        };
        let first = top + above;
        if y < first || y >= bottom {
            return None;
        }
        let k = (y - first) as usize;
        match pane {
            Pane::Startups => {
                let i = self.visible_runs().get(self.scroll_of(pane).top() + k)?;
                Some(Row::Run(self.snap.runs[*i].id))
            }
            Pane::Gates => {
                let i = self.visible_gates().get(self.scroll_of(pane).top() + k)?;
                Some(Row::Gate(self.snap.gates[*i].id))
            }
            Pane::Team => {
                let run = self.selected_run_view()?;
                (k < run.team.len()).then_some(Row::Role(run.id, k))
            }
            Pane::Providers => (k < self.snap.providers.len()).then_some(Row::Provider(k)),
        }
    }

    fn select(&mut self, row: Row) {
        match row {
            Row::Run(id) => {
                if self.selected_run != Some(id) {
                    self.selected_role = 0;
                }
                self.selected_run = Some(id);
            }
            Row::Gate(id) => self.selected_gate = Some(id),
            Row::Role(run, k) => {
                if self.selected_run == Some(run) {
                    self.selected_role = k;
                }
            }
            Row::Provider(k) => self.selected_provider = k,
        }
    }
}
