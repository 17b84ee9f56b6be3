//! The figures across runs that `factory stats --json` prints and the Stats screen draws.
//! A figure with nothing to measure yet is `None` (null in JSON, `—` on screen), never 0.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Everything `factory stats` reports, over one window of time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// The window: the last `since_days` calendar days (UTC, today included), or all time.
    pub since_days: Option<u32>,
    /// Where the window starts (ms since the epoch), when it is not all time.
    pub from_ms: Option<u64>,
    /// When the figures were made (ms since the epoch).
    pub generated_at: u64,
    /// Runs created in the window, by where they stand now.
    pub runs: RunCounts,
    /// Completed runs over the runs that ended (completed, rejected, failed or cancelled).
    pub success_rate: Option<f64>,
    /// Gate decisions in the window taken by the factory itself (a gate policy or
    /// `--auto-approve`) over all gate decisions in the window.
    pub automated_share: Option<f64>,
    pub time_to_mvp_ms: TimeToMvp,
    pub cost_per_mvp_micros: CostPerMvp,
    /// What the window's runs spent in each phase (from their ledgers), in pipeline order.
    pub cost_by_phase_micros: Vec<PhaseCost>,
    /// Per gate (G0 to G3, then the budget gate), the decisions taken in the window.
    pub gates: Vec<GateFigures>,
    pub templates: Vec<TemplateFigures>,
    pub providers: Vec<ProviderFigures>,
    pub routing: crate::providers::Routing,
    /// One entry per calendar day (UTC) of the window, oldest first, for the charts.
    pub days: Vec<DayFigures>,
    /// The answering process's CPU, memory, store size and free disk, as its header shows.
    #[serde(default)]
    pub health: Option<crate::orchestrator::Health>,
}

/// Runs created in the window, by where they stand now.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunCounts {
    pub started: u64,
    pub completed: u64,
    pub rejected: u64,
    pub failed: u64,
    pub cancelled: u64,
    /// Still going: queued, running, at a gate or paused.
    pub live: u64,
    /// Rejected runs by the gate that rejected them (`G0`...).
    pub rejected_at: BTreeMap<String, u64>,
}

/// From a run's creation to its release (G3) approved, over the window's completed runs:
/// the whole, and the part spent waiting on people (gates decided by a person); the rest
/// is machine time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TimeToMvp {
    /// Completed runs measured.
    pub count: u64,
    pub p50: Option<u64>,
    pub p90: Option<u64>,
    pub machine_p50: Option<u64>,
    pub machine_p90: Option<u64>,
    pub waiting_p50: Option<u64>,
    pub waiting_p90: Option<u64>,
}

/// What a completed run cost, from its ledger.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CostPerMvp {
    pub count: u64,
    pub p50: Option<u64>,
    /// Rounded down to the micro-dollar.
    pub mean: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseCost {
    pub phase: String,
    pub cost_micros: u64,
}

/// One gate's decisions in the window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GateFigures {
    /// `G0`, `G1`, `G2`, `G3` or `budget`.
    pub code: String,
    pub name: String,
    pub decided: u64,
    pub approved: u64,
    pub revised: u64,
    pub rejected: u64,
    /// Decisions the factory took itself, over `decided`.
    pub automated_share: Option<f64>,
    /// Revisions asked for, over `decided`.
    pub revision_rate: Option<f64>,
    /// Decisions a person took: how long the gate waited for them.
    pub waited: u64,
    pub wait_ms_p50: Option<u64>,
    pub wait_ms_p90: Option<u64>,
}

/// One template's runs created in the window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TemplateFigures {
    pub name: String,
    pub runs: u64,
    pub completed: u64,
    pub success_rate: Option<f64>,
    /// What its runs spent, from their ledgers.
    pub cost_micros: u64,
    /// Runs approved at each review gate (`G0`...`G3`).
    pub approvals: BTreeMap<String, u64>,
}

/// One provider's calls in the window, and the quality it has learned.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProviderFigures {
    pub name: String,
    /// Answers it gave (not from the response cache).
    pub calls: u64,
    /// Answers taken from the response cache.
    pub cache_hits: u64,
    /// Failed attempts: each one retried, and each one given up for the next provider.
    pub errors: u64,
    /// `errors` over `calls` plus `errors`.
    pub error_rate: Option<f64>,
    pub p50_ms: Option<u64>,
    pub p95_ms: Option<u64>,
    /// What its answers cost (the ledgers' charges).
    pub cost_micros: u64,
    /// Times a call gave up on it and moved to the next provider.
    pub fallbacks: u64,
    /// The learned quality score per task kind (the router's, now; not limited to the window).
    pub quality: BTreeMap<String, f64>,
}

/// One calendar day (UTC) of the window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DayFigures {
    /// `2027-01-15`.
    pub day: String,
    pub started: u64,
    pub completed: u64,
    pub spend_micros: u64,
    /// Per review gate decided by a person that day, the median wait (ms).
    pub gate_wait_ms_p50: BTreeMap<String, u64>,
}

impl Stats {
    /// Whether there is anything to show at all.
    pub fn is_empty(&self) -> bool {
        self.runs.started == 0
            && self.gates.iter().all(|g| g.decided == 0)
            && self.providers.iter().all(|p| p.calls == 0)
    }
}
