//! The Providers pane: per provider its load against its limit, queue, requests per
//! minute, latency, errors, circuit, tokens, cost, cache hits and a sparkline of load; the
//! routing policy in its title, and the learned quality per task kind below (`quality.rs`).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Row, Table};

use crate::domain::money::fmt_usd;
use crate::orchestrator::{CircuitState, ProviderView};
use crate::tui::app::App;
use crate::tui::theme::Theme;
use crate::tui::widgets;

/// `▁▂▃▅▇` of the last `width` buckets, scaled to their maximum.
pub fn sparkline(load: &[u32], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let tail = &load[load.len().saturating_sub(width)..];
    let max = tail.iter().copied().max().unwrap_or(0);
    tail.iter()
        .map(|v| if max == 0 || *v == 0 { ' ' } else { BARS[((*v as usize * 7).div_ceil(max as usize)).min(7)] })
        .collect()
}

/// Requests in the last minute (the last twelve 5-second buckets).
pub fn per_minute(p: &ProviderView) -> u32 {
    p.load.iter().rev().take(12).sum()
}

fn tokens(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// The narrowest the name column gets before the last three columns give way.
const MIN_NAME: u16 = 8;

/// The inner width that shows every figure whole beside a name of `MIN_NAME`, for loads
/// such as `12/64`, latencies such as `820/2140` and costs such as `$12.34` (the name gives
/// way to larger ones).
pub const MIN_WIDTH: u16 = MIN_NAME + 12 + 1 + 4 + 8 + 3 + 4 + 6 + 7;

const HEADER: [&str; 11] =
    ["Name", "In flight", "Q", "/min", "p50/p95", "Err", "Circ", "Cost", "Tokens", "Cache", "Load 1m"];

/// A provider's cells, under `HEADER`.
fn cells(p: &ProviderView, theme: &Theme) -> Vec<Line<'static>> {
    let t = &theme.s;
    let (circuit, cstyle) = match p.circuit {
        CircuitState::Open => ("open", t.error),
        CircuitState::HalfOpen => ("half", t.warn),
        CircuitState::Closed => ("ok", t.ok),
    };
    let err_rate = if p.requests == 0 { 0.0 } else { p.errors as f64 * 100.0 / p.requests as f64 };
    let mut name = vec![Span::styled(p.name.clone(), t.base)];
    if p.simulated && p.name != "sim" {
        name.push(Span::styled(" sim", t.muted));
    }
    if let Some(w) = &p.waiting {
        name.push(Span::styled(format!(" waits: {w}"), t.warn));
    }
    let mut load = widgets::slots(p.in_flight, p.max_concurrent, 6, theme);
    load.push(Span::styled(format!(" {}/{}", p.in_flight, p.max_concurrent), t.muted));
    vec![
        Line::from(name),
        Line::from(load),
        Line::styled(p.queued.to_string(), t.muted),
        Line::styled(per_minute(p).to_string(), t.base),
        Line::styled(format!("{}/{}", p.p50_ms, p.p95_ms), t.base),
        Line::styled(format!("{err_rate:.0}%"), if err_rate >= 10.0 { t.warn } else { t.muted }),
        Line::styled(circuit, cstyle),
        Line::styled(fmt_usd(p.cost_micros), t.base),
        Line::styled(tokens(p.tokens), t.muted),
        Line::styled(
            (p.cache_hits * 100)
                .checked_div(p.cache_lookups)
                .map(|pct| format!("{pct}%"))
                .unwrap_or_else(|| "—".into()),
            t.muted,
        ),
        Line::styled(sparkline(&p.load, 12), t.bar),
    ]
}

pub fn render(app: &App, f: &mut Frame, area: Rect, focused: bool) {
    let t = &app.theme().s;
    let title = vec![
        Span::styled(" Providers ", t.title),
        Span::styled(format!("· routing {} ", super::quality::policy(&app.snap.routing)), t.muted),
    ];
    let block = widgets::pane(Line::from(title), focused, app.theme());
    let inner = block.inner(area);
    f.render_widget(block, area);
    // The learned quality below the table, where rows are left (a blank line between).
    let table_h = (app.snap.providers.len() as u16 + 1).min(inner.height);
    let spare = inner.height.saturating_sub(table_h + 1) as usize;
    let workers = super::workers::lines(&app.snap.workers, app.snap.at, inner.width as usize, spare, app.theme());
    let mut quality = workers;
    let left = spare.saturating_sub(quality.len() + usize::from(!quality.is_empty()));
    let learned = super::quality::lines(&app.snap.providers, inner.width as usize, left, app.theme());
    if !quality.is_empty() && !learned.is_empty() {
        quality.push(Line::default());
    }
    quality.extend(learned);
    let inner = if quality.is_empty() {
        inner
    } else {
        let [table, _, below] =
            ratatui::layout::Layout::vertical([Constraint::Length(table_h), Constraint::Length(1), Constraint::Min(1)])
                .areas(inner);
        f.render_widget(ratatui::widgets::Paragraph::new(quality), below);
        table
    };
    let providers = &app.snap.providers;
    let shown = &providers[..providers.len().min(inner.height.saturating_sub(1) as usize)];
    let rows: Vec<Vec<Line>> = shown.iter().map(|p| cells(p, app.theme())).collect();
    // Each figure's column is as wide as its widest cell: only the name gives way, and the
    // last three columns go where it would be narrower than `MIN_NAME`.
    let widest: Vec<u16> = (0..HEADER.len())
        .map(|k| rows.iter().map(|r| r[k].width()).fold(widgets::width(HEADER[k]), usize::max) as u16)
        .collect();
    let figures: u16 = widest[1..8].iter().map(|w| w + 1).sum();
    let extra: u16 = widest[8..].iter().map(|w| w + 1).sum();
    let n = if inner.width >= MIN_NAME + figures + extra { HEADER.len() } else { 8 };
    let mut widths = vec![Constraint::Fill(1)];
    widths.extend(widest[1..n].iter().map(|w| Constraint::Length(*w)));
    let columns = widgets::column_widths(&widths, inner.width);
    let row = |cells: Vec<Line<'static>>| widgets::fitted_row(cells.into_iter().take(n).collect(), &columns);
    let header = row(HEADER.iter().map(|h| Line::styled(*h, t.muted)).collect());
    let rows: Vec<Row> = rows.into_iter().map(row).collect();
    let selected = Some(app.selected_provider).filter(|k| focused && *k < shown.len());
    widgets::render_table(f, Table::new(rows, widths).header(header).style(t.base), inner, selected, t.selection);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_its_peak() {
        assert_eq!(sparkline(&[0, 1, 2, 4, 8], 5), " ▂▃▅█");
        assert_eq!(sparkline(&[5, 5], 4), "██");
        assert_eq!(sparkline(&[], 4), "");
    }
}
