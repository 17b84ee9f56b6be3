//! The Stats screen's charts, one per day of the window: runs started (a bar chart), spend (a
//! sparkline) and the median wait of each review gate decided by people (a line chart).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Bar, BarChart, Block, Borders, Chart, Dataset, GraphType, Paragraph, Sparkline};

use crate::domain::money::fmt_usd;
use crate::stats::Stats;
use crate::stats::format::duration;
use crate::tui::theme::Theme;

fn boxed(title: Line<'static>, t: &Theme) -> Block<'static> {
    Block::default().borders(Borders::ALL).border_style(t.s.border).title(title).style(t.s.base)
}

/// What an empty chart says.
fn nothing(f: &mut Frame, area: Rect, text: &str, t: &Theme) {
    f.render_widget(Paragraph::new(Line::from(Span::styled(text.to_string(), t.s.muted))).centered(), area);
}

pub fn render(s: &Stats, f: &mut Frame, area: Rect, t: &Theme) {
    let [runs, spend, waits] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1), Constraint::Fill(1)]).areas(area);
    runs_per_day(s, f, runs, t);
    spend_per_day(s, f, spend, t);
    gate_waits(s, f, waits, t);
}

fn runs_per_day(s: &Stats, f: &mut Frame, area: Rect, t: &Theme) {
    let started: u64 = s.days.iter().map(|d| d.started).sum();
    let block = boxed(Line::from(Span::styled(format!(" Runs started per day · {started} "), t.s.title)), t);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if started == 0 {
        return nothing(f, inner, "no runs in this window", t);
    }
    // As wide as the room allows: a gap between bars when each day has two cells or more.
    let room = inner.width as usize;
    let n = s.days.len().min(room).max(1);
    let gap = usize::from(room >= 2 * n);
    let bar_w = ((room + gap) / n).saturating_sub(gap).max(1);
    let shown = &s.days[s.days.len() - n.min(s.days.len())..];
    let bars: Vec<Bar> = shown.iter().map(|d| Bar::new(d.started).text_value(String::new())).collect();
    let chart = BarChart::new(bars).bar_width(bar_w as u16).bar_gap(gap as u16).bar_style(t.s.bar).style(t.s.base);
    f.render_widget(chart, inner);
}

fn spend_per_day(s: &Stats, f: &mut Frame, area: Rect, t: &Theme) {
    let total: u64 = s.days.iter().map(|d| d.spend_micros).sum();
    let peak = s.days.iter().map(|d| d.spend_micros).max().unwrap_or(0);
    let title = format!(" Spend per day · {} · peak {} ", fmt_usd(total), fmt_usd(peak));
    let block = boxed(Line::from(Span::styled(title, t.s.title)), t);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if total == 0 {
        return nothing(f, inner, "nothing spent in this window", t);
    }
    // Each day as many cells wide as the room allows.
    let room = (inner.width as usize).max(1);
    let shown = &s.days[s.days.len().saturating_sub(room)..];
    let each = (room / shown.len().max(1)).max(1);
    let cells = shown.iter().flat_map(|d| std::iter::repeat_n(d.spend_micros, each));
    let spark = Sparkline::default().data(cells).style(t.s.accent);
    f.render_widget(spark, inner);
}

/// G0 to G3, each in its own style.
fn gate_style(k: usize, t: &Theme) -> Style {
    [t.s.info, t.s.accent, t.s.warn, t.s.ok][k % 4]
}

fn gate_waits(s: &Stats, f: &mut Frame, area: Rect, t: &Theme) {
    const CODES: [&str; 4] = ["G0", "G1", "G2", "G3"];
    let mut title = vec![Span::styled(" Gate waits (p50, people) ", t.s.title)];
    for (k, code) in CODES.iter().enumerate() {
        title.push(Span::styled(format!("{code} "), gate_style(k, t)));
    }
    let block = boxed(Line::from(title), t);
    let inner = block.inner(area);
    let points: Vec<Vec<(f64, f64)>> = CODES
        .iter()
        .map(|code| {
            s.days
                .iter()
                .enumerate()
                .filter_map(|(i, d)| d.gate_wait_ms_p50.get(*code).map(|ms| (i as f64, *ms as f64 / 3_600_000.0)))
                .collect()
        })
        .collect();
    let top = points.iter().flatten().map(|p| p.1).fold(0.0_f64, f64::max);
    if top <= 0.0 {
        f.render_widget(block, area);
        return nothing(f, inner, "no waits for people in this window", t);
    }
    let datasets: Vec<Dataset> = points
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.is_empty())
        .map(|(k, p)| {
            Dataset::default().data(p).graph_type(GraphType::Line).marker(Marker::Braille).style(gate_style(k, t))
        })
        .collect();
    let last = s.days.len().saturating_sub(1).max(1) as f64;
    let day = |i: usize| s.days.get(i).map(|d| d.day.get(5..).unwrap_or(&d.day).to_string()).unwrap_or_default();
    let chart = Chart::new(datasets)
        .block(block)
        .style(t.s.base)
        .legend_position(None)
        .x_axis(
            Axis::default().bounds([0.0, last]).labels([day(0), day(s.days.len().saturating_sub(1))]).style(t.s.muted),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels(["0".to_string(), duration(Some((top * 3_600_000.0) as u64))])
                .style(t.s.muted),
        );
    f.render_widget(chart, area);
}
