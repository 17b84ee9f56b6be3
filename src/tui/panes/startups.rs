//! The Startups pane: one row per run (status, phase or gate, progress, cost against
//! budget, ETA), building only the rows on screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Table;

use crate::domain::money::fmt_usd;
use crate::sanitize;
use crate::tui::app::{App, Pane};
use crate::tui::eta::{self, Eta};
use crate::tui::widgets;

/// The narrowest the name column gets before the ETA column gives way.
const MIN_NAME: u16 = 8;

/// The progress bar's width, its header's.
const BAR: u16 = 8;

/// The id column's narrowest: ids to `s-100`, so the columns stay put as runs pass 99.
const ID: u16 = 5;

/// The inner width whose columns show ids, phases and costs such as
/// `$0.0858/$11.50` whole beside a name of `MIN_NAME` (narrower for longer figures), no ETA.
pub const MIN_WIDTH: u16 = 1 + ID + MIN_NAME + 14 + BAR + 14 + 5;

pub fn render(app: &App, f: &mut Frame, area: Rect, focused: bool) {
    let t = app.theme().s.clone();
    let filter = &app.filters[Pane::Startups.index()];
    let shown = app.visible_runs().len();
    let mut title = vec![Span::styled(" Startups ", t.title), Span::styled(format!("{shown} "), t.muted)];
    if !filter.is_empty() || (focused && app.filter_input.is_some()) {
        title.push(Span::styled(format!("/{} ", sanitize::line(filter)), t.accent));
    }
    let block = widgets::pane(Line::from(title), focused, app.theme());
    let inner = block.inner(area);
    f.render_widget(block, area);
    let rows_fit = inner.height.saturating_sub(1) as usize;
    let pos = app.run_position();
    let mut scroll = app.scroll_of(Pane::Startups);
    scroll.follow(pos..pos + 1, rows_fit);
    scroll.clamp(shown, rows_fit);
    app.scrolled(Pane::Startups, scroll);
    let offset = scroll.top();
    // Figures are never cut: their columns are as wide as the widest shown; the name gives way.
    let shown_runs: Vec<usize> = scroll.window(app.visible_runs().iter().copied(), rows_fit).collect();
    let runs = &app.snap.runs;
    let etas: Vec<Eta> = shown_runs.iter().map(|&i| eta::eta(&runs[i], &app.snap, app.now())).collect();
    // `waiting on you` where there is room for it beside the name, else `on you`.
    let eta_room = |long: bool| etas.iter().map(|e| widgets::width(&e.text(long))).fold(3, usize::max) as u16;
    let texts: Vec<[String; 3]> = shown_runs
        .iter()
        .map(|&i| {
            let r = &runs[i];
            [
                r.id.to_string(),
                widgets::where_text(r),
                format!("{}/{}", fmt_usd(r.cost_micros), fmt_usd(r.budget_micros)),
            ]
        })
        .collect();
    let widest = |k: usize, header: &str| {
        texts.iter().map(|t| widgets::width(&t[k])).fold(widgets::width(header), usize::max) as u16
    };
    let (id_w, where_w, cost_w) = (widest(0, "ID").max(ID), widest(1, "Phase"), widest(2, "Cost/Budget"));
    let fixed = 1 + id_w + where_w + BAR + cost_w + 5;
    let long = inner.width >= fixed + MIN_NAME + 1 + eta_room(true);
    let eta_w = eta_room(long);
    let wide = inner.width >= fixed + MIN_NAME + 1 + eta_w;
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(id_w),
        Constraint::Fill(1),
        Constraint::Length(where_w),
        Constraint::Length(BAR),
        Constraint::Length(cost_w),
    ];
    let mut header = vec!["", "ID", "Name", "Phase", "Progress", "Cost/Budget"];
    if wide {
        widths.push(Constraint::Length(eta_w));
        header.push("ETA");
    }
    let columns = widgets::column_widths(&widths, inner.width);
    let mut rows = Vec::with_capacity(rows_fit);
    let mut soonest: Option<u64> = None;
    let mut selected = None;
    for (k, (&i, text)) in shown_runs.iter().zip(texts).enumerate() {
        let r = &runs[i];
        let (glyph, gstyle) = widgets::status_glyph(r.status, app.theme());
        let cost_style = if r.cost_micros * 10 >= r.budget_micros * 8 { t.warn } else { t.base };
        let [id, place, cost] = text;
        let mut cells = vec![
            Line::from(Span::styled(glyph, gstyle)),
            Line::from(Span::styled(id, t.muted)),
            Line::from(Span::styled(sanitize::line(&r.name).into_owned(), t.base)),
            Line::from(Span::styled(place, if r.gate.is_some() { t.warn } else { t.base })),
            Line::from(widgets::bar(r.progress, BAR as usize, app.theme())),
            Line::from(Span::styled(cost, cost_style)),
        ];
        if wide {
            let eta = etas[k];
            if let Eta::In(ms) = eta {
                let change = widgets::next_eta_change(ms);
                soonest = Some(soonest.map_or(change, |s| s.min(change)));
            }
            let style = if eta == Eta::OnYou { t.warn } else { t.muted };
            cells.push(Line::from(Span::styled(eta.text(long), style)));
        }
        let mut row = widgets::fitted_row(cells, &columns);
        if offset + k == pos {
            if focused {
                selected = Some(k);
            } else {
                row = row.style(t.border_focused);
            }
        }
        rows.push(row);
    }
    if let Some(ms) = soonest {
        app.time_shown(ms);
    }
    let header =
        widgets::fitted_row(header.into_iter().map(|h| Line::from(Span::styled(h, t.muted))).collect(), &columns);
    let table = Table::new(rows, widths).header(header).style(t.base);
    widgets::render_table(f, table, inner, selected, t.selection);
    if shown == 0 {
        let msg = if app.snap.runs.is_empty() { "no runs yet: n creates one" } else { "no run matches the filter" };
        let y = inner.y + 1.min(inner.height.saturating_sub(1));
        f.render_widget(Span::styled(msg, t.muted), Rect { y, height: 1, ..inner });
    }
}
