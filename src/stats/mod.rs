//! Figures across runs: the event log folded as it grows, and the window's figures made from
//! it and the runs (`factory stats`, the Stats screen).

pub mod compute;
#[cfg(feature = "testkit")]
pub mod fixture;
pub mod format;
pub mod log;
pub mod report;

/// The longest window `factory stats --since` takes, in days (ten years).
pub const MAX_DAYS: u32 = 3650;

/// A window as typed: `7d`, `30d` (1 to [`MAX_DAYS`] days) or `all` (`None`).
pub fn parse_since(text: &str) -> Result<Option<u32>, String> {
    let t = text.trim().to_ascii_lowercase();
    if t == "all" {
        return Ok(None);
    }
    match t.strip_suffix('d').and_then(|n| n.parse::<u32>().ok()) {
        Some(n) if (1..=MAX_DAYS).contains(&n) => Ok(Some(n)),
        _ => Err(format!(
            "`{}` is not a window; give a number of days such as 7d or 30d (1d to {MAX_DAYS}d), or all",
            crate::sanitize::line(text)
        )),
    }
}

pub use compute::{Inputs, compute, percentile, ratio};
pub use log::StatsLog;
pub use report::Stats;
