//! The Providers pane: per provider its load against its limit, queue, requests per
//! minute, latency, errors, circuit, tokens, cost, cache hits and a sparkline of load.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use crate::domain::money::fmt_usd;
use crate::providers::ProviderStats;
use crate::providers::gateway::Circuit;
use crate::tui::app::App;
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
pub fn per_minute(p: &ProviderStats) -> u32 {
    p.load.iter().rev().take(12).sum()
}

fn tokens(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

pub fn render(app: &App, f: &mut Frame, area: Rect, focused: bool) {
    let t = &app.theme.s;
    let block = widgets::pane(Line::from(Span::styled(" Providers ", t.title)), focused, &app.theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let wide = inner.width >= 90;
    let rows: Vec<Row> = app
        .snap
        .providers
        .iter()
        .enumerate()
        .take(inner.height.saturating_sub(1) as usize)
        .map(|(k, p)| {
            let (circuit, cstyle) = match p.circuit {
                Some(Circuit::Open) => ("open", t.error),
                Some(Circuit::HalfOpen) => ("half", t.warn),
                _ => ("ok", t.ok),
            };
            let err_rate = if p.requests == 0 { 0.0 } else { p.errors as f64 * 100.0 / p.requests as f64 };
            let cache = p.cache_hits + p.cache_misses;
            let mut name = vec![Span::styled(p.name.clone(), t.base)];
            if p.simulated && p.name != "sim" {
                name.push(Span::styled(" sim", t.muted));
            }
            if let Some(w) = &p.waiting {
                name.push(Span::styled(format!(" waits: {w}"), t.warn));
            }
            let mut load = widgets::slots(p.in_flight, p.max_concurrent, 6, &app.theme);
            load.push(Span::styled(format!(" {}/{}", p.in_flight, p.max_concurrent), t.muted));
            let mut cells = vec![
                Cell::from(Line::from(name)),
                Cell::from(Line::from(load)),
                Cell::from(Span::styled(p.queued.to_string(), t.muted)),
                Cell::from(Span::styled(per_minute(p).to_string(), t.base)),
                Cell::from(Span::styled(format!("{}/{}", p.p50_ms, p.p95_ms), t.base)),
                Cell::from(Span::styled(format!("{err_rate:.0}%"), if err_rate >= 10.0 { t.warn } else { t.muted })),
                Cell::from(Span::styled(circuit, cstyle)),
                Cell::from(Span::styled(fmt_usd(p.cost_micros), t.base)),
            ];
            if wide {
                cells.push(Cell::from(Span::styled(tokens(p.tokens_in + p.tokens_out), t.muted)));
                cells.push(Cell::from(Span::styled(
                    (p.cache_hits * 100).checked_div(cache).map(|pct| format!("{pct}%")).unwrap_or_else(|| "—".into()),
                    t.muted,
                )));
                cells.push(Cell::from(Span::styled(sparkline(&p.load, 12), t.bar)));
            }
            let row = Row::new(cells);
            if focused && k == app.selected_provider { row.style(t.selection) } else { row }
        })
        .collect();
    let mut header = vec!["Name", "In flight", "Q", "/min", "p50/p95", "Err", "Circ", "Cost"];
    let mut widths = vec![
        Constraint::Min(10),
        Constraint::Length(13),
        Constraint::Length(3),
        Constraint::Length(5),
        Constraint::Length(11),
        Constraint::Length(4),
        Constraint::Length(4),
        Constraint::Length(8),
    ];
    if wide {
        header.extend(["Tokens", "Cache", "Load 1m"]);
        widths.extend([Constraint::Length(7), Constraint::Length(5), Constraint::Length(12)]);
    }
    let header = Row::new(header.into_iter().map(|h| Cell::from(Span::styled(h, t.muted))));
    f.render_widget(Table::new(rows, widths).header(header).column_spacing(1).style(t.base), inner);
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
