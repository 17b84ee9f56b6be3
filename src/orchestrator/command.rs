//! Commands in and replies out: every intent a view, the CLI or the socket may send to the
//! orchestrator. Plain serde types, so they cross a socket unchanged; runs and gates are
//! named by typed ids, parsed where they were typed, and sent as the same strings as ever.

use serde::{Deserialize, Serialize};

use crate::domain::{Decision, Event, Gate, GateRef, Report, Run, RunId, Task};
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
    /// Policies for this run's gates, over the config's; the budget gate has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<(crate::domain::GateCode, crate::domain::GatePolicy)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    NewRun(NewRun),
    /// Decide a gate: `gate` is `s-01.G1.0`, `s-01.G1` or `s-01`.
    Decide {
        gate: GateRef,
        decision: Decision,
        note: Option<String>,
        /// Who decides (the OS user, the SSH client, or `--reviewer`).
        by: String,
        /// For a budget gate: the new limit in dollars.
        budget_usd: Option<String>,
    },
    Pause {
        run: RunId,
    },
    Resume {
        run: RunId,
    },
    Cancel {
        run: RunId,
        by: String,
    },
    /// All runs, or one run with its tasks and reports.
    Status {
        run: Option<RunId>,
    },
    Gates {
        all: bool,
    },
    Alerts,
    /// Acknowledge alerts by number (their event `seq`), or every open one when `alerts` is
    /// empty; an acknowledged alert stays listed, marked, and no longer counts as open.
    AckAlerts {
        alerts: Vec<u64>,
        by: String,
    },
    Providers,
    Export {
        run: RunId,
    },
    /// The last events, oldest first.
    Events {
        limit: usize,
    },
    /// Figures for the benchmarks: scheduling delays, group commits.
    Metrics,
    /// What a reviewer needs to decide a gate: the gate, its artifact, its history.
    Review {
        gate: GateRef,
    },
    /// Every template version (re-reading the template folders, so imports and the user's
    /// edits show), each with its runs, rating and approvals per gate.
    Templates,
    /// Remove an imported template version (`name@version`), unless a live run uses it.
    RemoveTemplate {
        template: String,
    },
    /// A run's workspace, any state: its documents, their kept revisions and its `app/` files.
    Files {
        run: RunId,
    },
    /// One file of a run's workspace, as stored (at most [`FILE_LIMIT`] bytes of it).
    ReadFile {
        run: RunId,
        path: String,
    },
    /// Figures across runs (`factory stats`, the Stats screen): over the last `since` calendar
    /// days (today included), or all time when `None`.
    Stats {
        since: Option<u32>,
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
    /// Every kept revision of the run's documents (`docs/history/spec.r0.md`), by path.
    #[serde(default)]
    pub revisions: Vec<FileEntry>,
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
        /// Who acknowledged which of them, and when.
        #[serde(default)]
        acks: Vec<AlertAck>,
        /// How each one's delivery (webhook, command) stands, with its attempts counted.
        #[serde(default)]
        deliveries: Vec<crate::delivery::Delivery>,
    },
    Providers {
        providers: Vec<ProviderStats>,
        /// The routing policy in force.
        #[serde(default)]
        routing: crate::providers::Routing,
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
    Files {
        run: String,
        files: Vec<FileEntry>,
    },
    File {
        file: Box<FileText>,
    },
    Stats {
        stats: Box<crate::stats::Stats>,
    },
}

/// An alert someone acknowledged: its number (the event's `seq`), who, and when (ms).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertAck {
    pub seq: u64,
    pub by: String,
    pub at: u64,
}

/// How much of one file [`Command::ReadFile`] returns.
pub const FILE_LIMIT: usize = 1 << 20;

/// A file of a run's workspace, relative to it (`docs/spec.md`, `app/backend/main.py`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub bytes: u64,
}

/// The text of one file of a run's workspace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileText {
    pub run: String,
    pub path: String,
    /// Empty for a binary file.
    pub text: String,
    pub bytes: u64,
    /// Only the first [`FILE_LIMIT`] bytes are in `text`.
    pub truncated: bool,
    /// Not UTF-8 text (a NUL in the first 8 KiB or invalid UTF-8): `text` is empty.
    pub binary: bool,
}

/// What one tab of a review shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// A document of the run (markdown).
    Document,
    /// The build's checks with their output (`docs/checks.md`).
    Checks,
    /// The `app/` file tree: `text` holds one workspace-relative path per line.
    Tree,
    /// What the run spent, by phase and by task (the budget gate).
    Spend,
}

/// One tab of evidence in a review.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub title: String,
    pub kind: EvidenceKind,
    /// The workspace-relative file shown, if the tab is one file.
    pub path: Option<String>,
    pub text: String,
}

/// The revision before the one under review, and the decision that asked for this one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreviousRevision {
    /// The earlier revision's number (the one under review is this plus one).
    pub revision: u32,
    /// Its kept text (`docs/history/spec.r0.md`), header included like the artifact.
    pub text: String,
    /// The reviewer's note that asked for the revision, and who wrote it.
    pub note: Option<String>,
    pub by: Option<String>,
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
    /// The tabs the decision rests on, in order (G3: quality, build, checks, deploy, `app/`).
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// The tab of `evidence` that holds the gate's own artifact (the review opens on it).
    #[serde(default)]
    pub focus: usize,
    /// For a revision (opening n > 0): the revision before, to show a diff against.
    #[serde(default)]
    pub previous: Option<PreviousRevision>,
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
