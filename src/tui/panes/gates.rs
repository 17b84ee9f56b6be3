//! The Gate inbox: pending gates oldest first, with how long each has waited; a gate past
//! its timeout is flagged `!`. Gates marked with `Space` (to decide at once) show `●` before
//! that flag, and their count in the title.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Row, Table};

use crate::sanitize;
use crate::tui::app::{App, Pane};
use crate::tui::widgets;

/// What a held gate shows: why automatic approval is off for it.
fn held_mark(why: &str) -> &'static str {
    if why.contains("checks") { "checks ✗" } else { "verdict ✗" }
}

/// The narrowest a gate's or run's name gets.
const MIN_NAME: u16 = 8;

/// The inner width that shows ids such as `s-01.G1`, held marks and waits whole beside a
/// gate's name of `MIN_NAME` (narrower for longer ids).
pub const MIN_WIDTH: u16 = 1 + 10 + MIN_NAME + 9 + 15 + 4;

pub fn render(app: &App, f: &mut Frame, area: Rect, focused: bool) {
    let t = app.theme().s.clone();
    let filter = app.filters[Pane::Gates.index()].clone();
    let mut title =
        vec![Span::styled(" Gate inbox ", t.title), Span::styled(format!("({}) ", app.snap.gates.len()), t.warn)];
    if !app.marks.is_empty() {
        title.push(Span::styled(format!("· {} marked ", app.marks.len()), t.accent));
    }
    if !filter.is_empty() {
        title.push(Span::styled(format!("/{} ", sanitize::line(&filter)), t.accent));
    }
    let block = widgets::pane(Line::from(title), focused, app.theme());
    let inner = block.inner(area);
    f.render_widget(block, area);
    if app.visible_gates().is_empty() {
        let msg = if app.snap.gates.is_empty() { "no gates are waiting" } else { "no gate matches the filter" };
        f.render_widget(Span::styled(msg, t.muted), Rect { height: 1, ..inner });
        return;
    }
    let fit = inner.height as usize;
    let pos = app.gate_position();
    let mut scroll = app.scroll_of(Pane::Gates);
    scroll.follow(pos..pos + 1, fit);
    app.scrolled(Pane::Gates, scroll);
    let offset = scroll.top();
    let now = app.now();
    let soonest =
        scroll.window(app.visible_gates(), fit).map(|i| widgets::next_change(app.snap.gates[*i].opened_at, now)).min();
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
    let id_width = scroll
        .window(app.visible_gates(), fit)
        .map(|&i| {
            let g = &app.snap.gates[i];
            format!("{}.{}", g.id.run, g.id.code).len() as u16
        })
        .max()
        .unwrap_or(0)
        .max(10);
    let waits: Vec<String> = scroll
        .window(app.visible_gates(), fit)
        .map(|&i| format!("waiting {}", widgets::wait_text(now.saturating_sub(app.snap.gates[i].opened_at))))
        .collect();
    let wait_w = waits.iter().map(|w| widgets::width(w)).max().unwrap_or(0) as u16;
    let any_held = scroll.window(app.visible_gates(), fit).any(|&i| held_of(i));
    let any_marked = !app.marks.is_empty();
    let flags = if any_marked { 2 } else { 1 };
    // Short of room, the gate's name gives way (cut with `…`); ids and waits never. The
    // run's name only where it fits beside them.
    let mut widths = vec![Constraint::Length(flags), Constraint::Length(id_width), Constraint::Fill(1)];
    if any_held {
        widths.push(Constraint::Length(9));
    }
    // Beside the figures, both names at `MIN_NAME` or more, every column a cell apart.
    let figures = flags + id_width + 9 * u16::from(any_held) + wait_w;
    let gaps = widths.len() as u16 + 1;
    let wide = inner.width >= figures + 2 * MIN_NAME + gaps;
    if wide {
        widths.push(Constraint::Fill(1));
    }
    widths.push(Constraint::Length(wait_w));
    let columns = widgets::column_widths(&widths, inner.width);
    let rows: Vec<Row> = scroll
        .window(app.visible_gates(), fit)
        .zip(waits)
        .map(|(&i, wait)| {
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
                flags,
                Line::from(Span::styled(format!("{}.{}", g.id.run, g.id.code), t.accent)),
                Line::from(Span::styled(g.id.code.name(), t.base)),
            ];
            if any_held {
                let held = run.and_then(|r| r.automation_blocked.as_deref()).map(held_mark).unwrap_or("");
                cells.push(Line::from(Span::styled(held, t.error)));
            }
            if wide {
                cells.push(Line::from(Span::styled(name, t.muted)));
            }
            cells.push(Line::from(Span::styled(wait, if late { t.error } else { t.base })));
            widgets::fitted_row(cells, &columns)
        })
        .collect();
    let selected = pos.checked_sub(offset).filter(|_| focused);
    widgets::render_table(f, Table::new(rows, widths).style(t.base), inner, selected, t.selection);
}
