//! The snapshot views render: a cheap-to-clone picture of every run, gate and provider,
//! published at most every 50 ms.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::domain::{AgentRole, CheckStatus, Gate, GateCode, Phase, Report, RunId, RunStatus};

/// Where one role of a build team stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleState {
    /// A task of the role is running.
    Running,
    /// A task of the role failed, or its next task waits on another role's.
    Blocked,
    /// Nothing running: a task is ready, or nothing is left to start.
    #[default]
    Idle,
    /// Every task of the role is done.
    Done,
}

impl RoleState {
    /// `running`, `blocked`, `idle` or `done`, as the team pane shows it.
    pub fn name(self) -> &'static str {
        match self {
            RoleState::Running => "running",
            RoleState::Blocked => "blocked",
            RoleState::Idle => "idle",
            RoleState::Done => "done",
        }
    }
}

/// One role of a run's build team.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoleView {
    pub role: AgentRole,
    pub state: RoleState,
    pub current: Option<String>,
    /// Tasks of this role running now.
    pub running: u32,
    pub done: u32,
    pub total: u32,
    /// Shared with the orchestrator: a view refresh does not copy the report.
    pub latest_report: Option<std::sync::Arc<Report>>,
}

/// One pass of one phase, in brief.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseBrief {
    pub phase: Phase,
    pub revision: u32,
    pub cost_micros: u64,
    pub quality: Option<f32>,
    pub done: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub id: RunId,
    pub name: String,
    pub idea: String,
    pub status: RunStatus,
    pub phase: Phase,
    pub revision: u32,
    pub gate: Option<GateCode>,
    pub progress: f32,
    pub cost_micros: u64,
    pub budget_micros: u64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub priority: u8,
    pub template: String,
    pub simulated: bool,
    /// Some of its cost comes from estimated tokens (a CLI provider, a stream without usage).
    #[serde(default)]
    pub estimated: bool,
    /// The run's own gate policies, over the config's (for the ETA).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gate_policies: Vec<(GateCode, crate::domain::GatePolicy)>,
    pub created_at: u64,
    /// When the current phase started (for the ETA).
    pub phase_started_at: u64,
    pub in_flight: u32,
    pub team: Vec<RoleView>,
    pub phases: Vec<PhaseBrief>,
    pub failure: Option<String>,
    /// The latest round of the build's checks (without their output: `status RUN` has it).
    #[serde(default)]
    pub checks: Vec<CheckBrief>,
    #[serde(default)]
    pub repair_rounds: u32,
    /// Why no gate of this run passes automatically (failing checks, a FAIL verdict).
    #[serde(default)]
    pub automation_blocked: Option<String>,
}

/// One check of the build, in brief.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckBrief {
    pub name: String,
    pub status: CheckStatus,
    pub duration_ms: u64,
    pub tests_passed: Option<u32>,
    pub tests_failed: Option<u32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StatusCounts {
    pub queued: u32,
    pub running: u32,
    pub awaiting_gate: u32,
    pub paused: u32,
    pub completed: u32,
    pub rejected: u32,
    pub failed: u32,
    pub cancelled: u32,
}

impl StatusCounts {
    pub fn add(&mut self, s: RunStatus) {
        let slot = match s {
            RunStatus::Queued => &mut self.queued,
            RunStatus::Running => &mut self.running,
            RunStatus::AwaitingGate => &mut self.awaiting_gate,
            RunStatus::Paused => &mut self.paused,
            RunStatus::Completed => &mut self.completed,
            RunStatus::Rejected => &mut self.rejected,
            RunStatus::Failed => &mut self.failed,
            RunStatus::Cancelled => &mut self.cancelled,
        };
        *slot += 1;
    }
}

/// Whether calls may go to a provider, as its circuit breaker says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CircuitState {
    /// Calls go through (also: no breaker reported).
    #[default]
    Closed,
    /// One probe call is let through.
    HalfOpen,
    /// The provider is skipped for now.
    Open,
}

/// One provider as the control room shows it: its load, latency, errors, circuit, spend,
/// cache use and learned quality, built by the orchestrator from the gateway's figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProviderView {
    pub name: String,
    /// Its answers are simulated (the simulated provider, or one standing in for it).
    pub simulated: bool,
    /// Calls in flight, against the most it takes at once.
    pub in_flight: u32,
    pub max_concurrent: u32,
    /// Calls waiting for a slot or a key.
    pub queued: u32,
    /// Why a call waits for a key and about how long (`rpm 42 s`).
    pub waiting: Option<String>,
    /// Requests made and failed, ever.
    pub requests: u64,
    pub errors: u64,
    /// Latency percentiles over the recent calls, in milliseconds.
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub circuit: CircuitState,
    /// Spent on it, in micro-dollars.
    pub cost_micros: u64,
    /// Tokens sent and received together.
    pub tokens: u64,
    /// Answers found in the cache, and lookups made (hits and misses).
    pub cache_hits: u64,
    pub cache_lookups: u64,
    /// Requests started per 5-second bucket, oldest first, over the last 5 minutes.
    pub load: Vec<u32>,
    /// The learned quality score (0 to 1) per task kind the router weighs.
    pub quality: std::collections::BTreeMap<String, f64>,
}

/// The routing policy in force, as the providers pane titles it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RoutingView {
    /// `preferred`, `cheapest`, `fastest`, `best_quality` or `adaptive`.
    pub policy: String,
    /// `adaptive` only: a provider scoring below this for a task kind is tried after the others.
    pub quality_floor: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Grows with every published snapshot.
    pub version: u64,
    /// When it was taken, in milliseconds since the epoch.
    pub at: u64,
    pub runs: Vec<Arc<RunView>>,
    /// Pending gates, oldest first.
    pub gates: Vec<Gate>,
    pub providers: Vec<ProviderView>,
    pub counts: StatusCounts,
    pub spent_today_micros: u64,
    pub daily_cap_micros: u64,
    pub total_cost_micros: u64,
    /// Alerts raised, ever (a terminal counts the new ones against what it has seen).
    pub alerts: u32,
    /// Alerts nobody has acknowledged yet.
    #[serde(default)]
    pub alerts_open: u32,
    /// The newest alert: when, and what it says.
    pub last_alert: Option<(u64, String)>,
    /// Whether a simulated provider may answer (the views show a badge).
    pub simulated: bool,
    /// Nothing can move without a person: no call in flight, nothing ready.
    pub idle: bool,
    /// Mean duration of each phase over the passes finished so far (ms; 0 when unknown).
    pub phase_ms: [u64; 7],
    /// What a person is expected to take at each gate, by code (G0..G3, budget): the median
    /// of past waits, or the configured timeout before any.
    #[serde(default)]
    pub gate_wait_ms: [u64; 5],
    /// Gates (by code) that pass on their own unless a run's own policy says otherwise.
    #[serde(default)]
    pub gate_auto: [bool; 5],
    /// The owner process's CPU, memory, store size and free disk.
    #[serde(default)]
    pub health: super::Health,
    pub in_flight: u32,
    pub tasks_done: u64,
    /// Who may decide each gate code (absent: anyone).
    pub gate_reviewers: Vec<(GateCode, Vec<String>)>,
    /// The routing policy in force (the providers pane shows it).
    #[serde(default)]
    pub routing: RoutingView,
    /// The names of the templates a new run may use, each once, in the registry's order;
    /// the new-run form asks for their versions and details.
    #[serde(default)]
    pub templates: Vec<String>,
    /// The cluster's workers (with `[cluster]`), as their last heartbeats said.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workers: Vec<crate::cluster::WorkerRecord>,
}

impl Snapshot {
    /// Whether `reviewer` may decide gates of `code`.
    pub fn may_decide(&self, code: GateCode, reviewer: &str) -> Result<(), String> {
        let name = super::pipeline::reviewer_name(reviewer);
        match self.gate_reviewers.iter().find(|(c, _)| *c == code) {
            Some((_, who)) if !who.is_empty() && !who.iter().any(|w| w == name) => {
                Err(format!("only {} may decide {code} gates", who.join(" or ")))
            }
            _ => Ok(()),
        }
    }
}
