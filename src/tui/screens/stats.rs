//! The Stats screen (`s`, `:stats`): figures across runs over a window (all time, 30 or 7
//! days; `Tab` changes it), charts of runs, spend and gate waits per day, and tables of
//! gates, providers (with their learned quality), templates and cost by phase. Figures are
//! asked of the orchestrator when the screen opens and again, at most every two seconds,
//! while the factory changes.

mod charts;
mod tables;

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::config::keys::Action;
use crate::config::keys::screens::STATS;
use crate::error::FactoryError;
use crate::orchestrator::{Command, Reply};
use crate::stats::Stats;
use crate::stats::format::window;
use crate::tui::app::{App, Effect, Pending, Screen};
use crate::tui::widgets;

/// The windows `Tab` goes through.
pub const WINDOWS: [Option<u32>; 3] = [None, Some(30), Some(7)];
/// An open screen asks again at most this often, and only when the factory changed.
pub const REFRESH_MS: u64 = 2_000;

pub struct StatsScreen {
    /// The window shown: the last so many days, or all time.
    pub since: Option<u32>,
    /// The figures last received for this window.
    pub data: Option<Box<Stats>>,
    pub error: Option<String>,
    /// First line shown of the tables.
    pub scroll: crate::tui::scroll::Scroll,
    /// A request is on its way (one at a time).
    pub asking: bool,
    /// When the figures were last asked for (the snapshot's clock).
    pub asked_at: u64,
    /// Lines of tables shown at the last frame, for paging.
    pub page: usize,
}

impl App {
    /// Opens the Stats screen on the last `since` days (all time for `None`) and asks for its figures.
    pub fn open_stats(&mut self, since: Option<u32>) -> Vec<Effect> {
        self.screen = Screen::Stats(Box::new(StatsScreen {
            since,
            data: None,
            error: None,
            scroll: Default::default(),
            asking: false,
            asked_at: 0,
            page: 10,
        }));
        ask(self)
    }
}

/// Asks for the open screen's figures.
fn ask(app: &mut App) -> Vec<Effect> {
    let at = app.snap.at;
    let Screen::Stats(s) = &mut app.screen else { return Vec::new() };
    s.asking = true;
    s.asked_at = at;
    let since = s.since;
    vec![app.request(Command::Stats { since }, Pending::Stats(since))]
}

/// A new snapshot: the factory changed; ask again if the figures are old enough.
pub fn on_snapshot(app: &mut App) -> Vec<Effect> {
    match &app.screen {
        Screen::Stats(s) if !s.asking && app.snap.at >= s.asked_at + REFRESH_MS => ask(app),
        _ => Vec::new(),
    }
}

/// The orchestrator's answer (for the window it was asked for). A refusal shows in place of
/// the figures when there are none yet, and in the footer over older ones.
pub fn on_reply(app: &mut App, since: Option<u32>, result: Result<Reply, FactoryError>) {
    let Screen::Stats(s) = &mut app.screen else { return };
    if s.since != since {
        return;
    }
    s.asking = false;
    match result {
        Ok(Reply::Stats { stats }) => {
            s.data = Some(stats);
            s.error = None;
        }
        Ok(_) => {}
        Err(e) if s.data.is_some() => app.fail(format!("the figures could not be made again: {}", e.message)),
        Err(e) => s.error = Some(e.message),
    }
}

pub fn key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(action) = app.keymap().action(&key, &STATS) else { return Vec::new() };
    app.clear_status();
    let Screen::Stats(s) = &mut app.screen else { return Vec::new() };
    let page = s.page.max(1);
    match action {
        Action::Back | Action::Stats => app.screen = Screen::Dashboard,
        Action::NextTab | Action::PrevTab => {
            let step = if action == Action::NextTab { 1 } else { WINDOWS.len() - 1 };
            let at = WINDOWS.iter().position(|w| *w == s.since);
            s.since = at.map_or(WINDOWS[0], |i| WINDOWS[(i + step) % WINDOWS.len()]);
            s.data = None;
            s.error = None;
            s.scroll.set(0);
            return ask(app);
        }
        Action::Up => s.scroll.by(-1),
        Action::Down => s.scroll.by(1),
        Action::PageUp => s.scroll.by(-(page as isize)),
        Action::PageDown => s.scroll.by(page as isize),
        Action::Top => s.scroll.set(0),
        Action::Bottom => s.scroll.set(usize::MAX / 2),
        _ => {}
    }
    Vec::new()
}

pub fn hints(app: &App) -> Vec<(String, &'static str)> {
    let k = |a: Action| app.keymap().hint(a);
    vec![
        (format!("{}/{}", k(Action::Up), k(Action::Down)), "scroll"),
        (k(Action::NextTab), "window"),
        (k(Action::Back), "back"),
    ]
}

pub fn render(app: &mut App, f: &mut Frame, area: Rect) {
    let theme = app.theme().clone();
    let t = &theme.s;
    let Screen::Stats(s) = &mut app.screen else { return };
    let mut title = vec![Span::styled(" Stats ", t.title)];
    let mut windows = WINDOWS.to_vec();
    if !windows.contains(&s.since) {
        windows.push(s.since);
    }
    for w in windows {
        let label = match w {
            None => " all time ".to_string(),
            Some(1) => " today ".to_string(),
            Some(n) => format!(" {n} days "),
        };
        title.push(Span::styled(label, if w == s.since { t.selection } else { t.muted }));
    }
    title.push(Span::raw(" "));
    let block = widgets::pane(Line::from(title), true, &theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(data) = s.data.as_deref() else {
        let text = match &s.error {
            Some(e) => Span::styled(format!("The figures could not be made: {}", crate::sanitize::line(e)), t.error),
            None => Span::styled(format!("Adding up {}…", window(s.since)), t.muted),
        };
        f.render_widget(Paragraph::new(Line::from(text)), inner);
        return;
    };
    let summary = tables::summary(data, inner.width as usize, &theme);
    let two = inner.width >= 150;
    let columns: Vec<Vec<Line<'static>>> = if two {
        let w = (inner.width as usize - 2) / 2;
        vec![
            [tables::gates(data, w, &theme), tables::phases(data, w, &theme)].concat(),
            [tables::providers(data, w, &theme), tables::templates(data, w, &theme)].concat(),
        ]
    } else {
        let w = inner.width as usize;
        vec![
            [
                tables::gates(data, w, &theme),
                tables::providers(data, w, &theme),
                tables::templates(data, w, &theme),
                tables::phases(data, w, &theme),
            ]
            .concat(),
        ]
    };
    let longest = columns.iter().map(Vec::len).max().unwrap_or(0);
    // Charts where there is room: taller when the tables leave space, up to 16 lines.
    let spare = (inner.height as usize).saturating_sub(summary.len() + 1 + longest);
    let charts_h = if inner.height >= 30 && inner.width >= 90 { spare.clamp(10, 16) as u16 } else { 0 };
    let [top, middle, rest] = Layout::vertical([
        Constraint::Length(summary.len() as u16 + 1),
        Constraint::Length(charts_h),
        Constraint::Min(1),
    ])
    .areas(inner);
    f.render_widget(Paragraph::new(summary), top);
    if charts_h > 0 {
        charts::render(data, f, middle, &theme);
    }
    let height = rest.height as usize;
    s.page = height.saturating_sub(1);
    s.scroll.clamp(longest, height);
    let areas: Vec<Rect> = if two {
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(2), Constraint::Fill(1)])
            .split(rest)
            .iter()
            .copied()
            .step_by(2)
            .collect()
    } else {
        vec![rest]
    };
    for (lines, a) in columns.into_iter().zip(areas) {
        let shown: Vec<Line<'static>> = s.scroll.window(lines, height).collect();
        f.render_widget(Paragraph::new(shown), a);
    }
}
