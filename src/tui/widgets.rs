//! Small drawing helpers shared by the panes: glyphs, bars, blocks, times, ETAs, and text
//! fitted to cells (`cells`).

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use super::theme::Theme;
use crate::domain::{Phase, RunStatus};
use crate::fmt::format_duration;
use crate::orchestrator::RunView;

mod cells;
pub use cells::{column_widths, fit, fit_line, fitted_row, pad, paint_row, render_table, width, wrap, wrap_lines};

/// Glyph and style of a run status.
pub fn status_glyph(s: RunStatus, t: &Theme) -> (&'static str, Style) {
    match s {
        RunStatus::Queued => ("○", t.s.muted),
        RunStatus::Running => ("●", t.s.info),
        RunStatus::AwaitingGate => ("◆", t.s.warn),
        RunStatus::Paused => ("‖", t.s.muted),
        RunStatus::Completed => ("✓", t.s.ok),
        RunStatus::Rejected => ("✗", t.s.error),
        RunStatus::Failed => ("!", t.s.error),
        RunStatus::Cancelled => ("–", t.s.muted),
    }
}

/// A bar of `width` cells filled to `share` (0 to 1), with eighth-cell resolution.
pub fn bar(share: f32, width: usize, t: &Theme) -> Vec<Span<'static>> {
    const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    let eighths = (share.clamp(0.0, 1.0) * (width * 8) as f32).round() as usize;
    let full = eighths / 8;
    let part = PARTS[eighths % 8];
    let used = full + usize::from(!part.is_empty());
    vec![
        Span::styled("█".repeat(full) + part, t.s.bar),
        Span::styled("░".repeat(width.saturating_sub(used)), t.s.bar_empty),
    ]
}

/// A bar of `used` of `max` slots: `▰▰▱▱`.
pub fn slots(used: u32, max: u32, width: usize, t: &Theme) -> Vec<Span<'static>> {
    let filled = if max == 0 { 0 } else { ((used as usize * width).div_ceil(max as usize)).min(width) };
    vec![Span::styled("▰".repeat(filled), t.s.bar), Span::styled("▱".repeat(width - filled), t.s.bar_empty)]
}

/// A pane's block: its title, and a heavier border when it has the focus.
pub fn pane<'a>(title: Line<'a>, focused: bool, t: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused { BorderType::Thick } else { BorderType::Plain })
        .border_style(if focused { t.s.border_focused } else { t.s.border })
        .title(title)
        .style(t.s.base)
}

/// Where a run stands: its phase, or `spec ▸ G1` while a gate waits.
pub fn where_text(run: &RunView) -> String {
    match run.gate {
        Some(g) => format!("{} ▸ {}", short_phase(run.phase), g),
        None if run.revision > 0 => format!("{} r{}", short_phase(run.phase), run.revision),
        None => short_phase(run.phase).to_string(),
    }
}

pub fn short_phase(p: Phase) -> &'static str {
    match p {
        Phase::FounderFit => "fit",
        Phase::Architecture => "arch",
        p => p.as_str(),
    }
}

/// How long something has waited, to the minute: `<1m`, `12m`, `3h 04m`, `2d 03h`. A
/// wait counted in seconds would redraw the screen every second for nothing.
pub fn wait_text(ms: u64) -> String {
    if ms < 60_000 { "<1m".into() } else { format_duration(ms) }
}

/// Milliseconds until `wait_text(now - since)` shows something else.
pub fn next_change(since: u64, now: u64) -> u64 {
    let ms = now.saturating_sub(since);
    let unit = match ms / 1000 {
        0..86_400 => 60_000,
        _ => 3_600_000,
    };
    unit - ms % unit
}

/// Milliseconds until a countdown of `eta` ms shows something else.
pub fn next_eta_change(eta: u64) -> u64 {
    let unit = match eta / 1000 {
        0..60 => 1_000,
        60..86_400 => 60_000,
        _ => 3_600_000,
    };
    eta % unit + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_fill_by_eighths() {
        let t = Theme::load("dark", super::super::theme::ColorMode::TrueColor).unwrap();
        let text = |spans: Vec<Span>| spans.iter().map(|s| s.content.to_string()).collect::<String>();
        assert_eq!(text(bar(0.5, 4, &t)), "██░░");
        assert_eq!(text(bar(0.0, 4, &t)), "░░░░");
        assert_eq!(text(bar(1.0, 4, &t)), "████");
        assert_eq!(text(bar(0.25, 2, &t)), "▌░");
        assert_eq!(text(slots(4, 8, 8, &t)), "▰▰▰▰▱▱▱▱");
        assert_eq!(text(slots(1, 10, 8, &t)), "▰▱▱▱▱▱▱▱");
    }

    #[test]
    fn times_change_on_their_display_unit() {
        assert_eq!(next_change(0, 1_500), 58_500);
        assert_eq!(wait_text(1_500), "<1m");
        assert_eq!(next_change(0, 61_000), 59_000);
        assert_eq!(next_change(0, 2 * 86_400_000 + 10), 3_600_000 - 10);
    }
}
