//! Gate review: the artifact (scrollable), who wrote it, what it cost, how it scored, the
//! revision history; `a` then `y` approves, `v` and `r` take a required note (Ctrl-S
//! submits, Esc leaves it undecided). A decision shows as done only once it is on disk.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui_textarea::TextArea;

use crate::domain::money::{fmt_usd, fmt_usd_exact, parse_usd};
use crate::domain::{Decision, GateCode, GateId, GateStatus};
use crate::error::FactoryError;
use crate::orchestrator::{Command, Reply, ReviewData};
use crate::sanitize;
use crate::tui::app::{App, Effect, Pending, Screen};
use crate::tui::keymap::Action;
use crate::tui::widgets;

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
    /// The artifact made inert, one entry per line.
    pub lines: Vec<String>,
    /// `lines` wrapped to the width of the last frame, and that width.
    pub wrapped: Vec<String>,
    pub wrapped_width: u16,
    pub scroll: usize,
    pub mode: Mode,
    /// A decision to begin as soon as the gate is loaded (`a`, `v`, `r` from the inbox).
    pub start: Option<Action>,
    /// Rows of artifact visible at the last frame, for paging.
    pub page: usize,
}

const VIEW: [Action; 10] = [
    Action::Up,
    Action::Down,
    Action::PageUp,
    Action::PageDown,
    Action::Top,
    Action::Bottom,
    Action::Approve,
    Action::Revise,
    Action::Reject,
    Action::Back,
];

impl ReviewScreen {
    pub fn new(gate: GateId) -> Self {
        ReviewScreen {
            gate,
            data: None,
            lines: Vec::new(),
            wrapped: Vec::new(),
            wrapped_width: 0,
            scroll: 0,
            mode: Mode::View,
            start: None,
            page: 20,
        }
    }

    pub fn loaded(&mut self, data: ReviewData) {
        self.lines = sanitize::lines(&data.artifact);
        self.wrapped_width = 0;
        self.gate = data.gate.id;
        self.data = Some(data);
        if let Some(action) = self.start.take() {
            self.begin(action);
        }
    }

    fn is_pending(&self) -> bool {
        self.data.as_ref().is_some_and(|d| d.gate.status == GateStatus::Pending)
    }

    /// Starts a decision: a confirmation for an approval, a note for the others.
    pub fn begin(&mut self, action: Action) {
        if !self.is_pending() {
            let d = self.data.as_ref().map(|d| &d.gate);
            let who = d.and_then(|g| g.decided_by.clone()).unwrap_or_else(|| "someone".into());
            let status = d.map(|g| g.status.as_str()).unwrap_or("decided");
            self.mode = Mode::Done { ok: false, message: format!("{} is already {status} by {who}", self.gate) };
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
                let mut b = TextArea::new(vec![fmt_usd_exact(suggested).trim_start_matches('$').to_string()]);
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

    pub fn decided(&mut self, result: Result<Reply, FactoryError>) {
        self.mode = match result {
            Ok(Reply::Decided { gate }) => {
                if let Some(d) = self.data.as_mut() {
                    d.gate = (*gate).clone();
                }
                Mode::Done {
                    ok: true,
                    message: format!(
                        "{} {} by {}, saved",
                        gate.id,
                        gate.status,
                        gate.decided_by.clone().unwrap_or_default()
                    ),
                }
            }
            Ok(_) => Mode::View,
            Err(e) => Mode::Done { ok: false, message: e.message },
        };
    }

    fn scroll_by(&mut self, delta: isize) {
        let max = self.wrapped.len().saturating_sub(self.page);
        self.scroll = (self.scroll as isize + delta).clamp(0, max as isize) as usize;
    }
}

/// What a key asks of the app, worked out while the screen is borrowed.
enum Then {
    Nothing,
    Close,
    Refuse(String),
    Submit(Decision, Option<String>, Option<String>),
}

pub fn key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let keymap = app.keymap.clone();
    let gate_code = if let Screen::Review(r) = &app.screen { Some(r.gate.code) } else { None };
    let blocked = app.may_not(gate_code);
    let Screen::Review(r) = &mut app.screen else { return Vec::new() };
    let then = match &mut r.mode {
        Mode::View => match keymap.action(&key, &VIEW) {
            Some(Action::Up) => {
                r.scroll_by(-1);
                Then::Nothing
            }
            Some(Action::Down) => {
                r.scroll_by(1);
                Then::Nothing
            }
            Some(Action::PageUp) => {
                r.scroll_by(-(r.page.max(1) as isize));
                Then::Nothing
            }
            Some(Action::PageDown) => {
                r.scroll_by(r.page.max(1) as isize);
                Then::Nothing
            }
            Some(Action::Top) => {
                r.scroll = 0;
                Then::Nothing
            }
            Some(Action::Bottom) => {
                r.scroll = r.wrapped.len().saturating_sub(r.page);
                Then::Nothing
            }
            Some(a @ (Action::Approve | Action::Revise | Action::Reject)) => match blocked.clone() {
                Some(why) => Then::Refuse(why),
                None => {
                    if r.data.is_some() {
                        r.begin(a);
                    }
                    Then::Nothing
                }
            },
            Some(Action::Back) => Then::Close,
            _ => Then::Nothing,
        },
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
        Mode::Done { .. } => match keymap.action(&key, &[Action::Back, Action::Open, Action::Confirm]) {
            Some(_) => Then::Close,
            None => Then::Nothing,
        },
    };
    match then {
        Then::Nothing => Vec::new(),
        Then::Refuse(why) => {
            app.fail(why);
            Vec::new()
        }
        Then::Close => {
            app.screen = Screen::Dashboard;
            Vec::new()
        }
        Then::Submit(decision, note, budget_usd) => {
            let gate = r.gate;
            r.mode = Mode::Submitting(decision);
            let cmd = Command::Decide { gate: gate.to_string(), decision, note, by: app.reviewer.clone(), budget_usd };
            vec![app.request(cmd, Pending::Decide(gate))]
        }
    }
}

fn facts(app: &App, d: &ReviewData) -> Vec<Line<'static>> {
    let t = &app.theme.s;
    let g = &d.gate;
    let row = |k: &str, v: String| Line::from(vec![Span::styled(format!("{k:<10}"), t.muted), Span::styled(v, t.base)]);
    let mut out = vec![
        Line::from(Span::styled(format!("{} {}", g.id, g.id.code.name()), t.title)),
        row("run", sanitize::line(&format!("{} {}", d.run.id, d.run.name)).into_owned()),
        row("status", g.status.as_str().to_string()),
        row("opened", format!("{} ago", widgets::wait_text(app.now.saturating_sub(g.opened_at)))),
    ];
    if let Some(p) = g.review.phase {
        out.push(row("phase", format!("{p} (revision {})", g.id.n)));
    }
    if let (Some(p), Some(m)) = (&g.review.provider, &g.review.model) {
        out.push(row("provider", format!("{p} / {m}")));
    }
    if g.review.simulated {
        out.push(Line::from(vec![Span::styled(format!("{:<10}", ""), t.muted), Span::styled(" SIMULATED ", t.badge)]));
    }
    if g.review.phase.is_some() {
        out.push(row("cost", fmt_usd(g.review.cost_micros)));
    }
    if let Some(q) = g.review.quality {
        out.push(row("quality", format!("{q:.2} of 1")));
    }
    if let Some(ask) = &g.budget {
        out.push(row("scope", ask.scope.clone()));
        out.push(row("spent", fmt_usd(ask.spent_micros)));
        out.push(row("limit", fmt_usd(ask.limit_micros)));
        out.push(row("next call", format!("up to {}", fmt_usd(ask.needed_micros))));
    }
    out.push(row("run cost", format!("{} of {}", fmt_usd(d.run.ledger.cost_micros), fmt_usd(d.run.budget_micros))));
    if let Err(who) = app.snap.may_decide(g.id.code, &app.reviewer) {
        out.push(Line::from(Span::styled(who, t.warn)));
    }
    out.push(Line::from(""));
    out.push(Line::from(Span::styled("Revision history", t.title)));
    for h in &d.history {
        let who = h.decided_by.clone().unwrap_or_default();
        let head = match h.status {
            GateStatus::Pending => format!("{}.{} waiting", h.id.code, h.id.n),
            s => format!("{}.{} {s} by {who}", h.id.code, h.id.n),
        };
        out.push(Line::from(Span::styled(head, t.base)));
        if let Some(n) = &h.note {
            out.push(Line::from(Span::styled(format!("  “{}”", sanitize::line(n)), t.muted)));
        }
    }
    out
}

pub fn render(app: &mut App, f: &mut Frame, area: Rect) {
    let theme = app.theme.clone();
    let t = &theme.s;
    let wide = area.width >= 100;
    let text_width = if wide { area.width.saturating_sub(44 + 2) } else { area.width.saturating_sub(2) };
    if let Screen::Review(r) = &mut app.screen
        && r.wrapped_width != text_width
    {
        r.wrapped = widgets::wrap(&r.lines, text_width as usize);
        r.wrapped_width = text_width;
    }
    let Screen::Review(r) = &app.screen else { return };
    let bottom_height = match &r.mode {
        Mode::Note(n) => 6 + if n.budget.is_some() { 3 } else { 0 },
        Mode::View => 0,
        _ => 3,
    };
    let [main, bottom] = Layout::vertical([Constraint::Min(3), Constraint::Length(bottom_height)]).areas(area);
    let (text_area, side) = if wide {
        let [a, b] = Layout::horizontal([Constraint::Min(40), Constraint::Length(44)]).areas(main);
        (a, Some(b))
    } else {
        (main, None)
    };
    let title = match &r.data {
        Some(d) => {
            format!(" {} · {} ", d.gate.review.artifact.as_deref().unwrap_or("budget"), sanitize::line(&d.run.name))
        }
        None => format!(" {} · loading… ", r.gate),
    };
    let block = widgets::pane(Line::from(Span::styled(title, t.title)), true, &theme);
    let inner = block.inner(text_area);
    let page = inner.height as usize;
    let mut lines: Vec<Line> = Vec::with_capacity(page);
    if !wide && let Some(d) = &r.data {
        let g = &d.gate;
        let mut head = vec![Span::styled(format!("{} {} ", g.id, g.id.code.name()), t.title)];
        if let (Some(p), Some(m)) = (&g.review.provider, &g.review.model) {
            head.push(Span::styled(format!("· {p}/{m} "), t.muted));
        }
        if let Some(q) = g.review.quality {
            head.push(Span::styled(format!("· q {q:.2} "), t.muted));
        }
        if g.review.simulated {
            head.push(Span::styled(" SIMULATED ", t.badge));
        }
        lines.push(Line::from(head));
    }
    let body_rows = page.saturating_sub(lines.len());
    for l in r.wrapped.iter().skip(r.scroll).take(body_rows) {
        let style = if l.starts_with('#') {
            t.title
        } else if l.starts_with("> ") {
            t.muted
        } else {
            t.base
        };
        lines.push(Line::from(Span::styled(l.clone(), style)));
    }
    if r.data.is_none() {
        lines.push(Line::from(Span::styled("loading the artifact…", t.muted)));
    }
    f.render_widget(Paragraph::new(lines).block(block), text_area);
    if let (Some(side), Some(d)) = (side, &r.data) {
        let block = widgets::pane(Line::from(Span::styled(" Gate ", t.title)), false, &theme);
        f.render_widget(Paragraph::new(facts(app, d)).block(block).wrap(Wrap { trim: false }), side);
    }
    if let Screen::Review(r) = &mut app.screen {
        r.page = page;
    }
    let opened = if let Screen::Review(r) = &app.screen { r.data.as_ref().map(|d| d.gate.opened_at) } else { None };
    if let Some(opened) = opened {
        app.time_shown(widgets::next_change(opened, app.now));
    }
    let Screen::Review(r) = &app.screen else { return };
    match &r.mode {
        Mode::View => {}
        Mode::Confirm => {
            let msg = format!(
                "Approve {}? Press {} to confirm; any other key cancels.",
                r.gate,
                app.keymap.hint(Action::Confirm)
            );
            f.render_widget(
                Paragraph::new(Span::styled(msg, t.warn)).block(bordered(t.border_focused, t.base)),
                bottom,
            );
        }
        Mode::Note(n) => {
            let what = match n.decision {
                Decision::Approve => "approve (budget)",
                Decision::Revise => "revise",
                Decision::Reject => "reject",
            };
            let (note_area, budget_area) = if n.budget.is_some() {
                let [a, b] = Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(bottom);
                (a, Some(b))
            } else {
                (bottom, None)
            };
            let title = format!(
                " Note to {what} (required) · {} submit · Esc leave without deciding{} ",
                app.keymap.hint(Action::Submit),
                n.error.as_ref().map(|e| format!(" · {e}")).unwrap_or_default()
            );
            let mut ta = n.text.clone();
            ta.set_block(
                bordered(if n.field == 0 { t.border_focused } else { t.border }, t.input)
                    .title(Span::styled(title, if n.error.is_some() { t.error } else { t.title })),
            );
            ta.set_style(t.input);
            ta.set_cursor_line_style(t.input);
            f.render_widget(&ta, note_area);
            if let (Some(b), Some(area)) = (&n.budget, budget_area) {
                let mut ta = b.clone();
                ta.set_block(
                    bordered(if n.field == 1 { t.border_focused } else { t.border }, t.input)
                        .title(Span::styled(" New limit in dollars · Tab switches field ", t.title)),
                );
                ta.set_style(t.input);
                ta.set_cursor_line_style(t.input);
                f.render_widget(&ta, area);
            }
        }
        Mode::Submitting(d) => {
            let msg = format!("Saving “{}”… waiting for the orchestrator to confirm it is on disk", d.as_str());
            f.render_widget(Paragraph::new(Span::styled(msg, t.info)).block(bordered(t.border, t.base)), bottom);
        }
        Mode::Done { ok, message } => {
            let (glyph, style) = if *ok { ("✓", t.ok) } else { ("✗", t.error) };
            let msg = format!("{glyph} {} · Esc back", sanitize::line(message));
            f.render_widget(Paragraph::new(Span::styled(msg, style)).block(bordered(t.border, t.base)), bottom);
        }
    }
}

fn bordered(border: ratatui::style::Style, style: ratatui::style::Style) -> Block<'static> {
    Block::default().borders(Borders::ALL).border_style(border).style(style)
}

/// Keys to list in the footer for the review screen.
pub fn hints(app: &App) -> Vec<(String, &'static str)> {
    let k = |a: Action| app.keymap.hint(a);
    match &app.screen {
        Screen::Review(r) => match r.mode {
            Mode::View => vec![
                (format!("{}/{}", k(Action::Up), k(Action::Down)), "scroll"),
                (format!("{}/{}", k(Action::PageUp), k(Action::PageDown)), "page"),
                (k(Action::Approve), "approve"),
                (k(Action::Revise), "revise"),
                (k(Action::Reject), "reject"),
                (k(Action::Back), "back"),
            ],
            Mode::Confirm => vec![(k(Action::Confirm), "confirm approval"), ("other".into(), "cancel")],
            Mode::Note(_) => vec![(k(Action::Submit), "submit"), ("Esc".into(), "leave without deciding")],
            Mode::Submitting(_) => vec![("…".into(), "saving")],
            Mode::Done { .. } => vec![(k(Action::Back), "back")],
        },
        _ => Vec::new(),
    }
}
