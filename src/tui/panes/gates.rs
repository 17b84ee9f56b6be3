//! The Gate inbox: pending gates oldest first, with how long each has waited; a gate past
//! its timeout is flagged `!`. Gates marked with `Space` (to decide at once) show `●` before
//! that flag, and their count in the title.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use crate::sanitize;
use crate::tui::app::{App, Pane};
use crate::tui::widgets;

/// What a held gate shows: why automatic approval is off for it.
fn held_mark(why: &str) -> &'static str {
    if why.contains("checks") { "checks ✗" } else { "verdict ✗" }
}

pub fn render(app: &mut App, f: &mut Frame, area: Rect, focused: bool) {
    let t = app.theme.s.clone();
    let filter = app.filters[Pane::Gates.index()].clone();
    let mut title =
        vec![Span::styled(" Gate inbox ", t.title), Span::styled(format!("({}) ", app.snap.gates.len()), t.warn)];
    if !app.marks.is_empty() {
        title.push(Span::styled(format!("· {} marked ", app.marks.len()), t.accent));
    }
    if !filter.is_empty() {
        title.push(Span::styled(format!("/{} ", sanitize::line(&filter)), t.accent));
    }
    let block = widgets::pane(Line::from(title), focused, &app.theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if app.visible_gates.is_empty() {
        let msg = if app.snap.gates.is_empty() { "no gates are waiting" } else { "no gate matches the filter" };
        f.render_widget(Span::styled(msg, t.muted), Rect { height: 1, ..inner });
        return;
    }
    let fit = inner.height as usize;
    let pos = app.gate_position();
    let offset = &mut app.offsets[Pane::Gates.index()];
    if pos < *offset {
        *offset = pos;
    } else if fit > 0 && pos >= *offset + fit {
        *offset = pos + 1 - fit;
    }
    let offset = *offset;
    let now = app.now;
    let soonest = app
        .visible_gates
        .iter()
        .skip(offset)
        .take(fit)
        .map(|i| widgets::next_change(app.snap.gates[*i].opened_at, now))
        .min();
    if let Some(ms) = soonest {
        app.time_shown(ms);
    }
    // Gates a person must decide whatever their policy (failing checks, a FAIL verdict) say
    // why in a column of their own, shown when one of them is on screen.
    let held_of = |i: usize| {
        let g = &app.snap.gates[i];
        app.snap.runs.get(g.id.run.0 as usize - 1).and_then(|r| r.automation_blocked.as_deref()).is_some()
    };
    // Ids are never cut (`s-02.budget`, `s-1000.G3`): the column is as wide as the widest shown.
    let id_width = app
        .visible_gates
        .iter()
        .skip(offset)
        .take(fit)
        .map(|&i| {
            let g = &app.snap.gates[i];
            format!("{}.{}", g.id.run, g.id.code).len() as u16
        })
        .max()
        .unwrap_or(0)
        .max(10);
    // The run's name only where it fits beside the whole id.
    let wide = inner.width >= 54 + id_width;
    let any_held = app.visible_gates.iter().skip(offset).take(fit).any(|&i| held_of(i));
    let any_marked = !app.marks.is_empty();
    let rows: Vec<Row> = app
        .visible_gates
        .iter()
        .enumerate()
        .skip(offset)
        .take(fit)
        .map(|(k, &i)| {
            let g = &app.snap.gates[i];
            let late = g.timeout_alerted;
            let run = app.snap.runs.get(g.id.run.0 as usize - 1);
            let name = run.map(|r| sanitize::line(&r.name).into_owned()).unwrap_or_default();
            // With marks, the flag column is two wide: the mark, then the late flag.
            let late_flag = Span::styled(if late { "!" } else { " " }, t.error);
            let flags = if any_marked {
                let mark = Span::styled(if app.marks.contains(&g.id) { "●" } else { " " }, t.accent);
                Line::from(vec![mark, late_flag])
            } else {
                Line::from(late_flag)
            };
            // Why a person must decide this one: its build's checks fail, or the review did.
            let mut cells = vec![
                Cell::from(flags),
                Cell::from(Span::styled(format!("{}.{}", g.id.run, g.id.code), t.accent)),
                Cell::from(Span::styled(g.id.code.name(), t.base)),
            ];
            if any_held {
                let held = run.and_then(|r| r.automation_blocked.as_deref()).map(held_mark).unwrap_or("");
                cells.push(Cell::from(Span::styled(held, t.error)));
            }
            if wide {
                cells.push(Cell::from(Span::styled(name, t.muted)));
            }
            cells.push(Cell::from(Span::styled(
                format!("waiting {}", widgets::wait_text(app.now.saturating_sub(g.opened_at))),
                if late { t.error } else { t.base },
            )));
            let row = Row::new(cells);
            if k == pos && focused { row.style(t.selection) } else { row }
        })
        .collect();
    let flags = if any_marked { 2 } else { 1 };
    // Short of room, the gate's name gives way (it may be cut with `…`); ids and waits never.
    let mut widths = vec![Constraint::Length(flags), Constraint::Length(id_width), Constraint::Fill(1)];
    if any_held {
        widths.push(Constraint::Length(9));
    }
    if wide {
        widths.push(Constraint::Min(8));
    }
    widths.push(Constraint::Length(15));
    f.render_widget(Table::new(rows, widths).column_spacing(1).style(t.base), inner);
}
