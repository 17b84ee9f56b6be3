//! A unit of work of a run (one provider call, or the build's integration check) and its result.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ids::RunId;
use super::phase::Phase;
use super::run::Ledger;

/// The agent roles of the build team.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentRole {
    Orchestrator,
    Backend,
    Frontend,
    Testing,
    #[serde(rename = "devops")]
    DevOps,
    Performance,
    Security,
}

impl AgentRole {
    pub const ALL: [AgentRole; 7] = [
        AgentRole::Orchestrator,
        AgentRole::Backend,
        AgentRole::Frontend,
        AgentRole::Testing,
        AgentRole::DevOps,
        AgentRole::Performance,
        AgentRole::Security,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgentRole::Orchestrator => "orchestrator",
            AgentRole::Backend => "backend",
            AgentRole::Frontend => "frontend",
            AgentRole::Testing => "testing",
            AgentRole::DevOps => "devops",
            AgentRole::Performance => "performance",
            AgentRole::Security => "security",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            AgentRole::Orchestrator => "Orchestrator",
            AgentRole::Backend => "Backend",
            AgentRole::Frontend => "Frontend",
            AgentRole::Testing => "Testing",
            AgentRole::DevOps => "DevOps",
            AgentRole::Performance => "Performance",
            AgentRole::Security => "Security",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for AgentRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AgentRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        AgentRole::ALL
            .into_iter()
            .find(|r| r.as_str() == lower)
            .ok_or_else(|| format!("`{s}` is not an agent role (expected one of orchestrator, backend, frontend, testing, devops, performance, security)"))
    }
}

/// What a task does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Writes a phase's artifact.
    Phase,
    /// Turns spec and architecture into the build's task graph (and scaffolds the template).
    Plan,
    /// One task of the build team's plan.
    Team,
    /// The testing agent's checks on the built tree, without a provider call.
    Integrate,
}

impl TaskKind {
    /// The routing key of this kind of task: the phase name, or `plan`.
    pub fn route(self, phase: Phase) -> &'static str {
        match self {
            TaskKind::Plan => "plan",
            _ => phase.as_str(),
        }
    }

    /// Whether the task asks a provider (the integration only runs local checks).
    pub fn is_call(self) -> bool {
        self != TaskKind::Integrate
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Waiting on other tasks.
    Waiting,
    /// May run as soon as the scheduler picks it.
    Ready,
    Running,
    Done,
    Failed,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Waiting => "waiting",
            TaskStatus::Ready => "ready",
            TaskStatus::Running => "running",
            TaskStatus::Done => "done",
            TaskStatus::Failed => "failed",
        }
    }
}

/// What a finished call produced and cost.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskResult {
    pub provider: String,
    pub model: String,
    pub simulated: bool,
    pub ledger: Ledger,
    /// Token counts are estimated (a CLI provider), not reported by the provider.
    pub estimated: bool,
    pub unpriced: bool,
    pub cached: bool,
    pub latency_ms: u64,
    pub quality: f32,
    /// Characters of the answer (an upper bound for the next prompts' memory).
    pub output_chars: u64,
    /// Files written, relative to the workspace.
    pub files: Vec<String>,
    pub finished_at: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub run: RunId,
    pub phase: Phase,
    pub revision: u32,
    pub kind: TaskKind,
    pub role: AgentRole,
    pub title: String,
    pub depends_on: Vec<String>,
    /// Files the task is to write, relative to `app/` (team tasks).
    pub files: Vec<String>,
    pub status: TaskStatus,
    /// Attempts that failed so far (retries inside one call are counted too).
    pub attempts: u32,
    pub error: Option<String>,
    pub result: Option<TaskResult>,
    pub created_at: u64,
    /// The plan task's plan, once accepted: the team's tasks are made from it, and made
    /// again from it at start-up if they had not been written yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<super::Plan>,
    /// For a repair task: the failing checks it is to fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repair: Option<Repair>,
    /// The previous answer was refused (files outside the task, cut off at the token
    /// limit): the task is asked once more, with the reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<Refusal>,
}

/// What a repair task is to fix, after a round of the template's checks failed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Repair {
    /// 1 for the first repair round.
    pub round: u32,
    /// The failing checks, each with the tail of its output.
    pub checks: Vec<(String, String)>,
}

/// Why a task's last answer was not taken.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Refusal {
    pub reason: String,
    /// It stopped at the token limit: ask again with a larger one.
    pub truncated: bool,
}

impl Task {
    /// Made and not yet started: nothing about it needs the store, since it is made again
    /// at start-up from the run and its plan (`RunState::restore_unwritten`).
    pub fn is_pristine(&self) -> bool {
        matches!(self.status, TaskStatus::Ready | TaskStatus::Waiting)
            && self.attempts == 0
            && self.error.is_none()
            && self.result.is_none()
            && self.repair.is_none()
    }

    /// The id of a phase task: `s-01.research.r0`.
    pub fn phase_id(run: RunId, phase: Phase, revision: u32) -> String {
        format!("{run}.{phase}.r{revision}")
    }

    /// The id of a build task: `s-01.build.plan`, `s-01.build.api-auth`.
    pub fn build_id(run: RunId, local: &str) -> String {
        format!("{run}.build.{local}")
    }

    /// The part of a build task's id after `s-01.build.`.
    pub fn local_id(&self) -> &str {
        self.id.rsplit_once("build.").map(|(_, l)| l).unwrap_or(&self.id)
    }
}
