//! Figures across runs: the event log folded as it grows, and the window's figures made from
//! it and the runs (`factory stats`, the Stats screen).

pub mod compute;
pub mod format;
pub mod log;
pub mod report;

/// The longest window `factory stats --since` takes, in days (ten years).
pub const MAX_DAYS: u32 = 3650;

pub use compute::{Inputs, compute, percentile, ratio};
pub use log::StatsLog;
pub use report::Stats;
