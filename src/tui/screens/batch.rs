//! Deciding several gates at once. `Space` marks gates in the inbox; with marks present,
//! `a` then `y` approves every marked gate after one confirmation that lists them, and `v`
//! or `r` take one note (required; Ctrl-S submits, Esc leaves undecided) applied to each.
//! Gates this terminal may not decide, and budget gates (which need a limit of their own),
//! are left out with the reason before anything is sent. Each decision goes out as its own
//! `Decide` with this terminal's reviewer; the footer adds up what was saved and what failed.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Padding, Paragraph};
use ratatui_textarea::TextArea;

use crate::config::keys::Action;
use crate::domain::{Decision, GateCode, GateId};
use crate::error::FactoryError;
use crate::orchestrator::{Command, Reply};
use crate::sanitize;
use crate::tui::app::{App, Effect, Pane, Pending};
use crate::tui::component::Handled;
use crate::tui::screens::overlays::Overlay;
use crate::tui::widgets;

/// The batch being confirmed or written (an overlay over the dashboard).
pub struct Batch {
    pub decision: Decision,
    /// The gates to decide, in inbox order: id, gate name, run name.
    pub gates: Vec<(GateId, &'static str, String)>,
    /// Marked gates left out, with why.
    pub refused: Vec<(GateId, String)>,
    /// The one note for a revise or a reject.
    pub note: Option<TextArea<'static>>,
    pub error: Option<String>,
}

/// Decisions of a batch sent and not all answered yet.
pub struct Tally {
    pub decision: Decision,
    /// Request number and gate of each decision still unanswered.
    pub waiting: Vec<(u64, GateId)>,
    pub saved: Vec<GateId>,
    pub failed: Vec<(GateId, String)>,
    pub refused: Vec<(GateId, String)>,
}

/// "approved", "sent back for revision", "rejected".
fn done_text(d: Decision) -> &'static str {
    match d {
        Decision::Approve => "approved",
        Decision::Revise => "sent back for revision",
        Decision::Reject => "rejected",
    }
}

/// "Approve", "Revise", "Reject".
fn verb(d: Decision) -> &'static str {
    match d {
        Decision::Approve => "Approve",
        Decision::Revise => "Revise",
        Decision::Reject => "Reject",
    }
}

fn gates_word(n: usize) -> &'static str {
    if n == 1 { "gate" } else { "gates" }
}

impl App {
    /// Marks or unmarks the selected gate of the inbox, then moves down one row.
    pub fn toggle_mark(&mut self) {
        if self.focus != Pane::Gates {
            self.fail(format!("marks are for the gate inbox; {} jumps there", self.keymap().hint(Action::Gates)));
            return;
        }
        let Some(gate) = self.selected_gate else {
            self.fail("no gate is waiting");
            return;
        };
        match self.marks.iter().position(|m| *m == gate) {
            Some(k) => {
                self.marks.remove(k);
            }
            None => self.marks.push(gate),
        }
        self.move_selection(1);
    }

    /// Marked gates that are still in the inbox, in inbox order.
    pub fn marked_gates(&self) -> Vec<&crate::domain::Gate> {
        self.snap.gates.iter().filter(|g| self.marks.contains(&g.id)).collect()
    }

    /// `a`, `v` or `r` with gates marked: sorts out what may be decided and opens the
    /// confirmation (approve) or the note (revise, reject). Nothing is sent yet.
    pub fn decide_marked(&mut self, action: Action) -> Vec<Effect> {
        let decision = match action {
            Action::Approve => Decision::Approve,
            Action::Revise => Decision::Revise,
            Action::Reject => Decision::Reject,
            _ => return Vec::new(),
        };
        if self.batch.is_some() {
            self.fail("the last batch of decisions is still being saved; wait for its result");
            return Vec::new();
        }
        if let Some(why) = self.may_not(None) {
            self.fail(why);
            return Vec::new();
        }
        let mut gates = Vec::new();
        let mut refused = Vec::new();
        for g in self.marked_gates() {
            let code = g.id.code;
            let why = self.may_not(Some(code)).or_else(|| match (decision, code) {
                (Decision::Approve, GateCode::Budget) => Some(format!(
                    "a budget gate needs a new limit: approve it on its own ({} opens it)",
                    self.keymap().hint(Action::Open)
                )),
                (Decision::Revise, GateCode::Budget) => {
                    Some("a budget gate is approved (with a new limit) or rejected, not revised".into())
                }
                _ => None,
            });
            match why {
                Some(why) => refused.push((g.id, why)),
                None => {
                    let run = self.snap.runs.iter().find(|r| r.id == g.id.run).map(|r| r.name.clone());
                    gates.push((g.id, code.name(), run.unwrap_or_default()));
                }
            }
        }
        if gates.is_empty() {
            let why: Vec<String> = refused.iter().map(|(g, why)| format!("{g}: {why}")).collect();
            self.fail(format!("nothing to {}: {}", decision.as_str(), why.join("; ")));
            return Vec::new();
        }
        let note = (decision != Decision::Approve).then(|| {
            let mut t = TextArea::default();
            t.set_placeholder_text("Why? (required; the same note goes to every gate)");
            t
        });
        self.open_overlay(Overlay::Batch(Box::new(Batch { decision, gates, refused, note, error: None })));
        Vec::new()
    }
}

/// What a key asks, worked out while the batch is borrowed.
enum Then {
    Nothing,
    Cancel(&'static str),
    Send(Option<String>),
}

pub fn key(b: &mut Batch, app: &mut App, key: KeyEvent) -> Handled {
    let keymap = app.keymap().clone();
    let then = match b.note.as_mut() {
        None => match keymap.action(&key, &[Action::Confirm]) {
            Some(_) => Then::Send(None),
            None => Then::Cancel("approval cancelled; nothing was decided"),
        },
        Some(note) => {
            if keymap.action(&key, &[Action::Submit]).is_some() {
                let text = note.lines().join("\n").trim().to_string();
                if text.is_empty() {
                    b.error = Some("the note is required: say why".into());
                    Then::Nothing
                } else if let Some(why) = crate::tui::paste::too_long(note, &crate::tui::paste::NOTE) {
                    b.error = Some(why);
                    Then::Nothing
                } else {
                    Then::Send(Some(text))
                }
            } else if key.code == KeyCode::Esc {
                Then::Cancel("note left without deciding")
            } else {
                b.error = None;
                note.input(key);
                Then::Nothing
            }
        }
    };
    match then {
        Then::Nothing => Handled::consumed(Vec::new()),
        Then::Cancel(msg) => {
            app.say(msg);
            Handled::closed(Vec::new())
        }
        Then::Send(note) => Handled::closed(send(app, b, note)),
    }
}

/// One `Decide` per gate, each with this terminal's reviewer.
fn send(app: &mut App, b: &mut Batch, note: Option<String>) -> Vec<Effect> {
    let mut effects = Vec::new();
    let mut waiting = Vec::new();
    for (gate, _, _) in &b.gates {
        let cmd = Command::Decide {
            gate: (*gate).into(),
            decision: b.decision,
            note: note.clone(),
            by: app.reviewer().to_string(),
            budget_usd: None,
        };
        let e = app.request(cmd, Pending::Decide(*gate));
        if let Effect::Request(id, _) = &e {
            waiting.push((*id, *gate));
        }
        effects.push(e);
    }
    let n = waiting.len();
    app.batch = Some(Tally {
        decision: b.decision,
        waiting,
        saved: Vec::new(),
        failed: Vec::new(),
        refused: std::mem::take(&mut b.refused),
    });
    app.say(format!("saving {n} {}… waiting for the orchestrator", gates_word(n)));
    effects
}

/// A reply to one decision of a batch; `false` when `id` is not one of them.
pub fn on_reply(app: &mut App, id: u64, result: &Result<Reply, FactoryError>) -> bool {
    let Some(t) = app.batch.as_mut() else { return false };
    let Some(k) = t.waiting.iter().position(|(i, _)| *i == id) else { return false };
    let (_, gate) = t.waiting.remove(k);
    match result {
        Ok(_) => {
            t.saved.push(gate);
            app.marks.retain(|m| *m != gate);
        }
        Err(e) => t.failed.push((gate, e.message.clone())),
    }
    if !t.waiting.is_empty() {
        return true;
    }
    let Some(t) = app.batch.take() else { return true };
    let mut parts = Vec::new();
    if !t.saved.is_empty() || t.failed.is_empty() {
        parts.push(format!("{} {}, saved", t.saved.len(), done_text(t.decision)));
    }
    for (g, why) in &t.failed {
        parts.push(format!("{g} failed: {why}"));
    }
    for (g, why) in &t.refused {
        parts.push(format!("{g} not sent: {why}"));
    }
    let text = parts.join("; ");
    if t.failed.is_empty() && t.refused.is_empty() {
        app.say(text)
    } else {
        app.fail(text)
    }
    true
}

/// Keys to list in the footer while a batch is open.
pub fn hints(app: &App, b: &Batch) -> Vec<(String, &'static str)> {
    let k = |a: Action| app.keymap().hint(a);
    match b.note {
        None => vec![(k(Action::Confirm), "confirm all"), ("other".into(), "cancel")],
        Some(_) => vec![(k(Action::Submit), "submit for all"), ("Esc".into(), "leave without deciding")],
    }
}

pub fn render(app: &App, f: &mut Frame, area: Rect, b: &Batch) {
    let t = &app.theme().s;
    let n = b.gates.len();
    let mut lines = Vec::new();
    for (id, name, run) in &b.gates {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<11}", id.to_string()), t.accent),
            Span::styled(widgets::pad(&widgets::fit(name, 21), 22), t.base),
            Span::styled(sanitize::line(run).into_owned(), t.muted),
        ]));
    }
    if !b.refused.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(format!("Not sent ({}):", b.refused.len()), t.warn)));
        for (id, why) in &b.refused {
            lines.push(Line::from(vec![
                Span::styled(format!("{:<11}", id.to_string()), t.accent),
                Span::styled(sanitize::line(why).into_owned(), t.warn),
            ]));
        }
    }
    lines.push(Line::from(""));
    if let Some(e) = &b.error {
        lines.push(Line::from(Span::styled(format!("✗ {e}"), t.error)));
    }
    let note_height = if b.note.is_some() { 5 } else { 0 };
    if b.note.is_none() {
        lines.push(Line::from(Span::styled(
            format!("{} confirms, any other key cancels", app.keymap().hint(Action::Confirm)),
            t.warn,
        )));
    }
    // As wide as the lines (the note gets room to write), inside the screen.
    let content = lines.iter().map(|l| l.width()).max().unwrap_or(0) as u16 + 4;
    let width = content.max(if b.note.is_some() { 84 } else { 48 }).min(area.width.saturating_sub(4)).min(110);
    let height = (lines.len() as u16 + 2 + note_height).min(area.height.saturating_sub(2));
    let [v] = Layout::vertical([Constraint::Length(height)]).flex(Flex::Center).areas(area);
    let [r] = Layout::horizontal([Constraint::Length(width)]).flex(Flex::Center).areas(v);
    f.render_widget(Clear, r);
    let title = match b.decision {
        Decision::Approve => format!(" Approve {n} {}? ", gates_word(n)),
        d => format!(" {} {n} {} with one note ", verb(d), gates_word(n)),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focused)
        .style(t.base)
        .padding(Padding::horizontal(1))
        .title(Span::styled(title, t.title));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let [list, note_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(note_height.min(inner.height))]).areas(inner);
    f.render_widget(Paragraph::new(lines), list);
    if let Some(note) = &b.note {
        let title = format!(
            " Note to {} all {n} (required) · {} submit · Esc leave without deciding ",
            b.decision.as_str(),
            app.keymap().hint(Action::Submit),
        );
        let mut ta = note.clone();
        ta.set_block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.border_focused)
                .style(t.input)
                .title(Span::styled(title, if b.error.is_some() { t.error } else { t.title }))
                .title_bottom(crate::tui::paste::counter_title(note, &crate::tui::paste::NOTE, t)),
        );
        ta.set_style(t.input);
        ta.set_cursor_line_style(t.input);
        f.render_widget(&ta, note_area);
    }
}

#[cfg(test)]
mod tests;
