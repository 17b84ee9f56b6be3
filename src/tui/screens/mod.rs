//! Screens that replace the dashboard (gate review, new run) and overlays above it.

pub mod alerts;
pub mod batch;
pub mod browser;
pub mod new_run;
pub mod overlays;
pub mod review;
pub mod stats;
