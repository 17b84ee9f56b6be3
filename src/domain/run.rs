//! A startup run: its facts, where it stands in the pipeline, and its ledger.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ids::{GateId, RunId};
use super::phase::Phase;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    #[default]
    Queued,
    Running,
    AwaitingGate,
    Paused,
    Completed,
    Rejected,
    Failed,
    Cancelled,
}

impl RunStatus {
    pub const ALL: [RunStatus; 8] = [
        RunStatus::Queued,
        RunStatus::Running,
        RunStatus::AwaitingGate,
        RunStatus::Paused,
        RunStatus::Completed,
        RunStatus::Rejected,
        RunStatus::Failed,
        RunStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::AwaitingGate => "awaiting_gate",
            RunStatus::Paused => "paused",
            RunStatus::Completed => "completed",
            RunStatus::Rejected => "rejected",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    /// No work will happen in this state without a person (or ever again).
    pub fn is_final(self) -> bool {
        matches!(self, RunStatus::Completed | RunStatus::Rejected | RunStatus::Failed | RunStatus::Cancelled)
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RunStatus::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| format!("`{s}` is not a run status"))
    }
}

/// Tokens and money spent, added up exactly: `tokens_in`, `tokens_out` and `tokens_cached`
/// (the provider's prompt-cache reads) times their prices make `cost_micros`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    pub cost_micros: u64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub tokens_cached: u64,
    pub calls: u64,
    /// Tokens of answers taken from the factory's response cache: not paid again, so kept
    /// out of the priced counts above.
    #[serde(default)]
    pub tokens_reused: u64,
    /// Calls whose tokens were estimated from text length (a CLI provider, a server that
    /// sent no usage, a stream cut after it was accepted), not reported by the provider.
    #[serde(default)]
    pub estimated_calls: u64,
}

impl Ledger {
    pub fn add(&mut self, other: &Ledger) {
        self.cost_micros += other.cost_micros;
        self.tokens_in += other.tokens_in;
        self.tokens_out += other.tokens_out;
        self.tokens_cached += other.tokens_cached;
        self.calls += other.calls;
        self.tokens_reused += other.tokens_reused;
        self.estimated_calls += other.estimated_calls;
    }

    /// Some of the cost comes from estimated token counts.
    pub fn estimated(&self) -> bool {
        self.estimated_calls > 0
    }
}

/// One pass of one phase: when it ran, what it cost, who wrote it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseSpan {
    pub phase: Option<Phase>,
    pub revision: u32,
    pub started_at: u64,
    pub finished_at: Option<u64>,
    pub ledger: Ledger,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub quality: Option<f32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub id: RunId,
    pub name: String,
    pub idea: String,
    pub template: String,
    /// The template's version this run was created with (kept after an upgrade). Absent in
    /// runs recorded before versions were; those are given the version installed at load.
    #[serde(default)]
    pub template_version: Option<String>,
    /// Ports of the generated app by name (the template's base ports plus a step per run,
    /// chosen so that no two runs share one).
    #[serde(default)]
    pub ports: BTreeMap<String, u16>,
    /// 1 (low) to 4 (urgent); the scheduler's weight.
    pub priority: u8,
    pub budget_micros: u64,
    pub status: RunStatus,
    pub phase: Phase,
    /// Revision of the current phase (0 for the first pass; +1 after each revise).
    pub revision: u32,
    /// The gate waiting for a decision, if any.
    pub gate: Option<GateId>,
    pub ledger: Ledger,
    /// True once any call of this run was answered by a simulated provider.
    pub simulated: bool,
    /// True once a call used a model missing from the price table.
    pub unpriced: bool,
    pub created_at: u64,
    pub updated_at: u64,
    /// Last time a task of this run finished (for the stall alert).
    pub last_progress_at: u64,
    pub phases: Vec<PhaseSpan>,
    pub budget_alerted: bool,
    pub stall_alerted: bool,
    pub failure: Option<String>,
    /// Where the plan of the build phase came from: `provider` or `template`.
    pub plan_source: Option<String>,
    /// Absolute path of the run's workspace.
    pub workspace: String,
    /// The latest round of the template's checks on the built code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<super::CheckResult>,
    /// Repair rounds started after failing checks.
    #[serde(default)]
    pub repair_rounds: u32,
    /// The build ended with checks failing after its last repair round: no gate of this run
    /// passes automatically.
    #[serde(default)]
    pub checks_failing: bool,
    /// The quality review's `Verdict:` line (`PASS` or `FAIL`), once it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// Policies for this run's gates, over the config's (`[gates.g0] policy`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gate_policies: Vec<(super::GateCode, super::GatePolicy)>,
}

impl Run {
    /// Why this run's gates may not pass automatically (failing checks, a failing quality
    /// verdict), if they may not.
    pub fn automation_blocked(&self) -> Option<String> {
        if self.checks_failing {
            let failed: Vec<&str> = self
                .checks
                .iter()
                .filter(|c| c.status != super::CheckStatus::Passed)
                .map(|c| c.name.as_str())
                .collect();
            return Some(format!("the build's checks are failing ({})", failed.join(", ")));
        }
        if self.verdict.as_deref() == Some("FAIL") {
            return Some("the quality review's verdict is FAIL".into());
        }
        None
    }

    /// The span of the current phase pass, if one is open.
    pub fn current_span_mut(&mut self) -> Option<&mut PhaseSpan> {
        let (phase, revision) = (self.phase, self.revision);
        self.phases
            .iter_mut()
            .rev()
            .find(|s| s.phase == Some(phase) && s.revision == revision && s.finished_at.is_none())
    }

    /// Share of the pipeline done, 0.0 to 1.0, counting `build_done` of the build phase.
    pub fn progress(&self, build_done: f32) -> f32 {
        if self.status == RunStatus::Completed {
            return 1.0;
        }
        let done = self.phase.index() as f32;
        let within = match self.phase {
            Phase::Build => build_done.clamp(0.0, 1.0),
            _ if self.gate.is_some() => 0.9,
            _ => 0.0,
        };
        (done + within) / Phase::ALL.len() as f32
    }
}

#[cfg(test)]
impl Run {
    /// A run for tests: `s-0N`, running, in the spec phase.
    pub fn sample(n: u32) -> Run {
        Run {
            id: RunId(n),
            name: format!("Run {n}"),
            idea: "idea".into(),
            template: "neoforge".into(),
            template_version: Some("1.0.0".into()),
            ports: [("backend".to_string(), 8010)].into(),
            priority: 2,
            budget_micros: 5_000_000,
            status: RunStatus::Running,
            phase: Phase::Spec,
            revision: 0,
            gate: None,
            ledger: Ledger { cost_micros: 42, tokens_in: 1, tokens_out: 2, calls: 1, ..Ledger::default() },
            simulated: true,
            unpriced: false,
            created_at: 1,
            updated_at: 2,
            last_progress_at: 2,
            phases: vec![],
            budget_alerted: false,
            stall_alerted: false,
            failure: None,
            plan_source: None,
            workspace: "/tmp/x".into(),
            checks: Vec::new(),
            repair_rounds: 0,
            checks_failing: false,
            verdict: None,
            gate_policies: Vec::new(),
        }
    }
}
