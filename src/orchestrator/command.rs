//! Commands in and replies out: every intent a view, the CLI or the socket may send to the
//! orchestrator. Plain serde types, so they cross a socket unchanged.

use serde::{Deserialize, Serialize};

use crate::domain::{Decision, Event, Gate, Report, Run, Task};
use crate::providers::ProviderStats;
use crate::templates::TemplateInfo;

/// A new run's facts as the user gave them (validated by the orchestrator).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewRun {
    pub name: String,
    pub idea: String,
    /// `name` (its newest version) or `name@version`; the config's default when absent.
    pub template: Option<String>,
    /// Dollars, as typed (`12.50`); the config's default when absent.
    pub budget_usd: Option<String>,
    /// 1 (low) to 4 (urgent); 2 when absent.
    pub priority: Option<u8>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    NewRun(NewRun),
    /// Decide a gate: `gate` is `s-01.G1.0`, `s-01.G1` or `s-01`.
    Decide {
        gate: String,
        decision: Decision,
        note: Option<String>,
        /// Who decides (the OS user, the SSH client, or `--reviewer`).
        by: String,
        /// For a budget gate: the new limit in dollars.
        budget_usd: Option<String>,
    },
    Pause {
        run: String,
    },
    Resume {
        run: String,
    },
    Cancel {
        run: String,
        by: String,
    },
    /// All runs, or one run with its tasks and reports.
    Status {
        run: Option<String>,
    },
    Gates {
        all: bool,
    },
    Alerts,
    Providers,
    Export {
        run: String,
    },
    /// The last events, oldest first.
    Events {
        limit: usize,
    },
    /// Figures for the benchmarks: scheduling delays, group commits.
    Metrics,
    /// What a reviewer needs to decide a gate: the gate, its artifact, its history.
    Review {
        gate: String,
    },
    /// Every template version (re-reading the template folders, so imports and the user's
    /// edits show), each with its runs, rating and approvals per gate.
    Templates,
    /// Remove an imported template version (`name@version`), unless a live run uses it.
    RemoveTemplate {
        template: String,
    },
    /// Stop dispatching, let in-flight calls finish (up to a grace time), flush, stop.
    Shutdown,
}

/// One run with everything about it, for `factory status RUN --json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunDetail {
    pub run: Run,
    pub tasks: Vec<Task>,
    pub reports: Vec<Report>,
    pub gates: Vec<Gate>,
}

/// The data of a run report (`factory export`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportData {
    pub run: Run,
    pub gates: Vec<Gate>,
    pub tasks: Vec<Task>,
    pub reports: Vec<Report>,
    pub generated_at: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    Created {
        id: String,
    },
    /// The gate as decided; it is on disk when this reply is sent.
    Decided {
        gate: Box<Gate>,
    },
    Done {
        message: String,
    },
    Runs {
        runs: Vec<Run>,
    },
    Run {
        detail: Box<RunDetail>,
    },
    Gates {
        gates: Vec<Gate>,
    },
    Alerts {
        alerts: Vec<Event>,
    },
    Providers {
        providers: Vec<ProviderStats>,
    },
    Export {
        data: Box<ExportData>,
    },
    Events {
        events: Vec<Event>,
    },
    Review {
        review: Box<ReviewData>,
    },
    Metrics {
        metrics: Metrics,
    },
    Templates {
        templates: Vec<TemplateInfo>,
        /// Template folders that were skipped, each with why.
        problems: Vec<String>,
    },
}

/// A gate with the artifact under review and every earlier opening of the same gate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewData {
    pub gate: Gate,
    pub run: Run,
    /// The artifact's text (for a budget gate, what was asked and why).
    pub artifact: String,
    /// Every opening of this gate for this run, oldest first, this one included.
    pub history: Vec<Gate>,
}

/// What the orchestrator measures of itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub tasks_done: u64,
    /// Ready to dispatched, over the last 65,536 dispatches, in microseconds.
    pub sched_delay_p50_us: u32,
    pub sched_delay_p99_us: u32,
    pub sched_delay_samples: usize,
    /// Group commits written, and the records (runs, tasks, gates, events, reports) in them.
    pub commits: u64,
    pub records_written: u64,
}
