//! Figures across runs: the event log folded as it grows, and the window's figures made from
//! it and the runs (`factory stats`, the Stats screen).

pub mod compute;
pub mod log;
pub mod report;

pub use compute::{Inputs, compute, percentile, ratio};
pub use log::StatsLog;
pub use report::Stats;
