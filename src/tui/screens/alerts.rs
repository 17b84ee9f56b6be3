//! The alerts overlay: every alert, newest first, one selected; `x` acknowledges it and `X`
//! every open one (`factory alerts ack` does the same from a shell).

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::config::keys::Action;
use crate::config::keys::screens::ALERTS;
use crate::domain::Event;
use crate::fmt::format_ts;
use crate::orchestrator::{AlertAck, Command};
use crate::sanitize;
use crate::tui::app::{App, Effect, Pending};
use crate::tui::component::Handled;
use crate::tui::widgets;

#[derive(Default)]
pub struct AlertsView {
    /// Newest first; `None` until the list comes.
    pub items: Option<Vec<Event>>,
    pub acks: Vec<AlertAck>,
    pub selected: usize,
    /// First line shown.
    pub scroll: crate::tui::scroll::Scroll,
}

impl AlertsView {
    fn ack_of(&self, seq: u64) -> Option<&AlertAck> {
        self.acks.iter().find(|a| a.seq == seq)
    }
}

/// What the footer says while the alerts are open.
pub fn hints(app: &App) -> Vec<(String, &'static str)> {
    let k = |a: Action| app.keymap().hint(a);
    vec![
        (format!("{}/{}", k(Action::Up), k(Action::Down)), "move"),
        (k(Action::Acknowledge), "acknowledge"),
        (k(Action::AcknowledgeAll), "acknowledge all"),
        (k(Action::Back), "close"),
    ]
}

pub fn key(v: &mut AlertsView, app: &mut App, key: KeyEvent) -> Handled {
    let action = app.keymap().action(&key, &ALERTS);
    let last = v.items.as_ref().map_or(0, |i| i.len().saturating_sub(1)) as isize;
    let mut go = |delta: isize| v.selected = (v.selected as isize + delta).clamp(0, last) as usize;
    match action {
        Some(Action::Up) => go(-1),
        Some(Action::Down) => go(1),
        Some(Action::PageUp) => go(-10),
        Some(Action::PageDown) => go(10),
        Some(Action::Top) => v.selected = 0,
        Some(Action::Back | Action::Alerts | Action::Quit) => return Handled::closed(Vec::new()),
        Some(Action::Acknowledge) => {
            let chosen = v.items.as_ref().and_then(|i| i.get(v.selected)).map(|e| e.seq);
            let open = chosen.filter(|seq| v.ack_of(*seq).is_none());
            return Handled::consumed(match (chosen, open) {
                (None, _) => Vec::new(),
                (Some(seq), None) => {
                    app.say(format!("alert #{seq} is already acknowledged"));
                    Vec::new()
                }
                (Some(seq), Some(_)) => acknowledge(app, vec![seq]),
            });
        }
        Some(Action::AcknowledgeAll) => return Handled::consumed(acknowledge(app, Vec::new())),
        _ => {}
    }
    Handled::consumed(Vec::new())
}

/// Asks the orchestrator to acknowledge `alerts` (all open ones when empty), as this reviewer.
fn acknowledge(app: &mut App, alerts: Vec<u64>) -> Vec<Effect> {
    if let Some(why) = app.may_not(None) {
        app.fail(why);
        return Vec::new();
    }
    let by = app.reviewer().to_string();
    vec![app.request(Command::AckAlerts { alerts, by }, Pending::AckAlerts)]
}

/// After an acknowledgement: say what happened and fetch the list again.
pub fn acknowledged(app: &mut App, message: String) -> Vec<Effect> {
    app.say(message);
    match app.overlay() {
        Some(crate::tui::screens::overlays::Overlay::Alerts(_)) => vec![app.request(Command::Alerts, Pending::Alerts)],
        _ => Vec::new(),
    }
}

/// Draws the list in `r` (a box already cleared); the selected alert is one solid bar.
pub fn draw(app: &App, v: &mut AlertsView, f: &mut Frame, r: Rect, block: ratatui::widgets::Block<'static>) {
    let t = &app.theme().s;
    let inner = block.inner(r);
    let (width, height) = (inner.width as usize, inner.height as usize);
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut chosen = 0..0;
    match &v.items {
        None => lines.push(Line::from(Span::styled("loading…", t.muted))),
        Some(items) if items.is_empty() => lines.push(Line::from(Span::styled("no alerts", t.muted))),
        Some(items) => {
            for (k, e) in items.iter().enumerate() {
                let run = e.startup.map(|r| r.to_string()).unwrap_or_else(|| "-".into());
                let kind = e.alert().map(|a| a.as_str()).unwrap_or("");
                let (mark, text) = match v.ack_of(e.seq) {
                    Some(a) => (Span::styled("✓ ", t.ok), format!("{}  (acknowledged by {})", e.kind.describe(), a.by)),
                    None => (Span::styled("! ", t.error), e.kind.describe()),
                };
                let line = Line::from(vec![
                    mark,
                    Span::styled(format!("#{:<5} {} ", e.seq, &format_ts(e.ts)[..16]), t.muted),
                    Span::styled(format!("{run:<6} {kind:<13} "), t.warn),
                    Span::styled(sanitize::line(&text).into_owned(), t.base),
                ]);
                let start = lines.len();
                // Long lines wrap under the text, after the number and time.
                lines.extend(widgets::wrap_lines(vec![line], width, 25));
                if k == v.selected {
                    chosen = start..lines.len();
                }
            }
        }
    }
    // The selected alert stays in view.
    v.scroll.follow(chosen.clone(), height);
    v.scroll.clamp(lines.len(), height);
    let top = v.scroll.top();
    let body: Vec<Line> = v.scroll.window(lines, height).collect();
    f.render_widget(Paragraph::new(body).block(block), r);
    for row in chosen {
        if row >= top {
            widgets::paint_row(f, inner, row - top, t.selection);
        }
    }
}
