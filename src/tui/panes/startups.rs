//! The Startups pane: one row per run (status, phase or gate, progress, cost against
//! budget, ETA), building only the rows on screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use crate::domain::money::fmt_usd;
use crate::sanitize;
use crate::tui::app::{App, Pane};
use crate::tui::widgets;

pub fn render(app: &mut App, f: &mut Frame, area: Rect, focused: bool) {
    let t = app.theme.s.clone();
    let filter = &app.filters[Pane::Startups.index()];
    let shown = app.visible_runs.len();
    let mut title = vec![Span::styled(" Startups ", t.title), Span::styled(format!("{shown} "), t.muted)];
    if !filter.is_empty() || (focused && app.filter_input.is_some()) {
        title.push(Span::styled(format!("/{} ", sanitize::line(filter)), t.accent));
    }
    let block = widgets::pane(Line::from(title), focused, &app.theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let rows_fit = inner.height.saturating_sub(1) as usize;
    let pos = app.run_position();
    let offset = &mut app.offsets[Pane::Startups.index()];
    if pos < *offset {
        *offset = pos;
    } else if rows_fit > 0 && pos >= *offset + rows_fit {
        *offset = pos + 1 - rows_fit;
    }
    *offset = (*offset).min(shown.saturating_sub(rows_fit));
    let offset = *offset;
    let wide = inner.width >= 62;
    let bar_w = if inner.width >= 60 { 8 } else { 5 };
    let mut rows = Vec::with_capacity(rows_fit);
    let mut soonest: Option<u64> = None;
    for (k, &i) in app.visible_runs.iter().enumerate().skip(offset).take(rows_fit) {
        let r = &app.snap.runs[i];
        let (glyph, gstyle) = widgets::status_glyph(r.status, &app.theme);
        let selected = k == pos;
        let cost_style = if r.cost_micros * 10 >= r.budget_micros * 8 { t.warn } else { t.base };
        let mut cells = vec![
            Cell::from(Span::styled(glyph, gstyle)),
            Cell::from(Span::styled(r.id.to_string(), t.muted)),
            Cell::from(Span::styled(sanitize::line(&r.name).into_owned(), t.base)),
            Cell::from(Span::styled(widgets::where_text(r), if r.gate.is_some() { t.warn } else { t.base })),
            Cell::from(Line::from(widgets::bar(r.progress, bar_w, &app.theme))),
            Cell::from(Span::styled(format!("{}/{}", fmt_usd(r.cost_micros), fmt_usd(r.budget_micros)), cost_style)),
        ];
        if wide {
            let eta = widgets::eta(r, &app.snap.phase_ms, app.now);
            if let Some(ms) = eta.filter(|_| r.gate.is_none()) {
                let change = widgets::next_eta_change(ms);
                soonest = Some(soonest.map_or(change, |s| s.min(change)));
            }
            cells.push(Cell::from(Span::styled(widgets::eta_text(eta), t.muted)));
        }
        let mut row = Row::new(cells);
        if selected {
            row = row.style(if focused { t.selection } else { t.border_focused });
        }
        rows.push(row);
    }
    if let Some(ms) = soonest {
        app.time_shown(ms);
    }
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(5),
        Constraint::Min(8),
        Constraint::Length(14),
        Constraint::Length(bar_w as u16),
        Constraint::Length(14),
    ];
    let mut header = vec!["", "ID", "Name", "Phase", "Progress", "Cost/Budget"];
    if wide {
        widths.push(Constraint::Length(5));
        header.push("ETA");
    }
    let header = Row::new(header.into_iter().map(|h| Cell::from(Span::styled(h, t.muted))));
    let table = Table::new(rows, widths).header(header).column_spacing(1).style(t.base);
    f.render_widget(table, inner);
    if shown == 0 {
        let msg = if app.snap.runs.is_empty() { "no runs yet: n creates one" } else { "no run matches the filter" };
        let y = inner.y + 1.min(inner.height.saturating_sub(1));
        f.render_widget(Span::styled(msg, t.muted), Rect { y, height: 1, ..inner });
    }
}
