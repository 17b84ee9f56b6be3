//! The Stats screen's text: the summary (flowed to the width) and the tables of gates,
//! providers, templates and cost by phase, as lines.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use crate::domain::money::fmt_usd;
use crate::stats::Stats;
use crate::stats::format::{NONE, duration, pct, score, usd};
use crate::tui::theme::Theme;
use crate::tui::widgets;

/// `text` cut or padded to `width` cells, on the left or the right.
fn cell(text: &str, width: usize, right: bool) -> String {
    let text = if text.width() > width { widgets::fit(text, width) } else { text.to_string() };
    let pad = " ".repeat(width.saturating_sub(text.width()));
    if right { pad + &text } else { text + &pad }
}

/// A row of cells `(text, width, right-aligned)` separated by a space, in one style.
fn row(cells: &[(&str, usize, bool)], style: Style, width: usize) -> Line<'static> {
    let text: Vec<String> = cells.iter().map(|(t, w, r)| cell(t, *w, *r)).collect();
    Line::from(Span::styled(widgets::fit(&text.join(" "), width), style))
}

fn heading(title: String, t: &Theme) -> Line<'static> {
    Line::from(Span::styled(title, t.s.title))
}

/// The headline figures, flowed into as few lines as the width allows.
pub fn summary(s: &Stats, width: usize, t: &Theme) -> Vec<Line<'static>> {
    let r = &s.runs;
    let at: Vec<String> = r.rejected_at.iter().map(|(g, n)| format!("{g} {n}")).collect();
    let rejected = if at.is_empty() { r.rejected.to_string() } else { format!("{} ({})", r.rejected, at.join(", ")) };
    let m = &s.time_to_mvp_ms;
    let c = &s.cost_per_mvp_micros;
    let chips: Vec<(&str, String)> = vec![
        ("runs", r.started.to_string()),
        ("completed", r.completed.to_string()),
        ("rejected", rejected),
        ("failed", r.failed.to_string()),
        ("cancelled", r.cancelled.to_string()),
        ("live", r.live.to_string()),
        ("success", pct(s.success_rate)),
        ("automated decisions", pct(s.automated_share)),
        ("time to MVP p50", duration(m.p50)),
        ("p90", duration(m.p90)),
        ("machine p50", duration(m.machine_p50)),
        ("waiting on people p50", duration(m.waiting_p50)),
        ("cost per MVP p50", usd(c.p50)),
        ("mean", usd(c.mean)),
    ];
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for (label, value) in chips {
        let w = label.width() + 1 + value.width() + 3;
        if used > 0 && used + w > width {
            lines.push(Line::from(std::mem::take(&mut line)));
            used = 0;
        }
        if used > 0 {
            line.push(Span::styled(" · ", t.s.muted));
        }
        line.push(Span::styled(format!("{label} "), t.s.muted));
        let style = if value == NONE { t.s.muted } else { t.s.base.patch(t.s.accent) };
        line.push(Span::styled(value, style));
        used += w;
    }
    if !line.is_empty() {
        lines.push(Line::from(line));
    }
    lines
}

pub fn gates(s: &Stats, width: usize, t: &Theme) -> Vec<Line<'static>> {
    let mut out = vec![heading("Gates".into(), t)];
    let cols = |a: &str, b: &str, c: &str, d: &str, e: &str, f: &str| {
        [(a, 23, false), (b, 7, true), (c, 6, true), (d, 6, true), (e, 8, true), (f, 8, true)]
            .map(|(x, w, r)| (x.to_string(), w, r))
    };
    let head = cols("", "decided", "auto", "revise", "wait p50", "wait p90");
    let line = |c: [(String, usize, bool); 6], style| {
        row(&c.iter().map(|(x, w, r)| (x.as_str(), *w, *r)).collect::<Vec<_>>(), style, width)
    };
    out.push(line(head, t.s.muted));
    for g in &s.gates {
        let name = format!("{} {}", g.code, g.name);
        let c = cols(
            &name,
            &g.decided.to_string(),
            &pct(g.automated_share),
            &pct(g.revision_rate),
            &duration(g.wait_ms_p50),
            &duration(g.wait_ms_p90),
        );
        out.push(line(c, if g.decided == 0 { t.s.muted } else { t.s.base }));
    }
    out.push(Line::default());
    out
}

pub fn providers(s: &Stats, width: usize, t: &Theme) -> Vec<Line<'static>> {
    let routing = match s.routing.quality_floor {
        Some(f) => format!("{} (quality floor {f:.2})", s.routing.policy),
        None => s.routing.policy.clone(),
    };
    let mut out = vec![Line::from(vec![
        Span::styled("Providers", t.s.title),
        Span::styled(format!(" · routing {}", crate::sanitize::line(&routing)), t.s.muted),
    ])];
    let widths = [12, 6, 6, 7, 7, 9, 5];
    let head = ["", "calls", "errors", "p50", "p95", "cost", "fallb"];
    let cells = |v: [&str; 7]| -> Vec<(String, usize, bool)> {
        v.iter().zip(widths).enumerate().map(|(i, (x, w))| (x.to_string(), w, i > 0)).collect()
    };
    let line = |c: Vec<(String, usize, bool)>, style| {
        row(&c.iter().map(|(x, w, r)| (x.as_str(), *w, *r)).collect::<Vec<_>>(), style, width)
    };
    out.push(line(cells(head), t.s.muted));
    for p in &s.providers {
        let name = crate::sanitize::line(&p.name);
        let v = [
            name.as_ref(),
            &p.calls.to_string(),
            &pct(p.error_rate),
            &duration(p.p50_ms),
            &duration(p.p95_ms),
            &fmt_usd(p.cost_micros),
            &p.fallbacks.to_string(),
        ];
        out.push(line(cells(v), if p.calls == 0 { t.s.muted } else { t.s.base }));
        out.extend(quality(&p.quality, width, t));
    }
    out.push(Line::default());
    out
}

/// A provider's learned scores in pipeline order (kinds the router does not know last),
/// flowed over as many lines as the width needs.
fn quality(scores: &std::collections::BTreeMap<String, f64>, width: usize, t: &Theme) -> Vec<Line<'static>> {
    let items: Vec<String> = crate::stats::format::in_pipeline_order(scores)
        .into_iter()
        .map(|(k, q)| format!("{} {}", crate::sanitize::line(k), score(Some(q))))
        .collect();
    let lead = "  quality ";
    if items.is_empty() {
        return vec![Line::from(vec![Span::styled(lead, t.s.muted), Span::styled(NONE, t.s.muted)])];
    }
    let room = width.saturating_sub(lead.width()).max(12);
    let mut lines: Vec<String> = vec![String::new()];
    for item in items {
        let last = lines.last_mut().expect("one line at least");
        if last.is_empty() {
            last.push_str(&item);
        } else if last.width() + 3 + item.width() <= room {
            last.push_str(" · ");
            last.push_str(&item);
        } else {
            lines.push(item);
        }
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let lead = if i == 0 { lead.to_string() } else { " ".repeat(lead.width()) };
            Line::from(vec![Span::styled(lead, t.s.muted), Span::styled(widgets::fit(&l, room), t.s.info)])
        })
        .collect()
}

pub fn templates(s: &Stats, width: usize, t: &Theme) -> Vec<Line<'static>> {
    let mut out = vec![heading("Templates".into(), t)];
    let widths = [12, 5, 5, 7, 9, 4, 4, 4, 4];
    let cells = |v: [&str; 9]| -> Vec<(String, usize, bool)> {
        v.iter().zip(widths).enumerate().map(|(i, (x, w))| (x.to_string(), w, i > 0)).collect()
    };
    let line = |c: Vec<(String, usize, bool)>, style| {
        row(&c.iter().map(|(x, w, r)| (x.as_str(), *w, *r)).collect::<Vec<_>>(), style, width)
    };
    out.push(line(cells(["", "runs", "done", "success", "cost", "G0", "G1", "G2", "G3"]), t.s.muted));
    if s.templates.is_empty() {
        out.push(Line::from(Span::styled("no runs in this window", t.s.muted)));
    }
    for tf in &s.templates {
        let a = |g: &str| tf.approvals.get(g).copied().unwrap_or(0).to_string();
        let name = crate::sanitize::line(&tf.name);
        let v = [
            name.as_ref(),
            &tf.runs.to_string(),
            &tf.completed.to_string(),
            &pct(tf.success_rate),
            &fmt_usd(tf.cost_micros),
            &a("G0"),
            &a("G1"),
            &a("G2"),
            &a("G3"),
        ];
        out.push(line(cells(v), t.s.base));
    }
    out.push(Line::default());
    out
}

pub fn phases(s: &Stats, width: usize, t: &Theme) -> Vec<Line<'static>> {
    let total: u64 = s.cost_by_phase_micros.iter().map(|p| p.cost_micros).sum();
    let mut out = vec![heading(format!("Cost by phase · {}", fmt_usd(total)), t)];
    let max = s.cost_by_phase_micros.iter().map(|p| p.cost_micros).max().unwrap_or(0);
    let bar_w = width.saturating_sub(26).min(30);
    for p in &s.cost_by_phase_micros {
        let mut spans = vec![Span::styled(
            format!("{} {} ", cell(&p.phase, 13, false), cell(&fmt_usd(p.cost_micros), 9, true)),
            t.s.base,
        )];
        if max > 0 && bar_w > 0 {
            spans.extend(widgets::bar(p.cost_micros as f32 / max as f32, bar_w, t));
        }
        out.push(Line::from(spans));
    }
    out.push(Line::default());
    out
}
