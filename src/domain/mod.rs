//! Plain types of the factory's domain: runs, phases, gates, tasks, plans, events, money; no I/O.

pub mod check;
pub mod event;
pub mod gate;
pub mod ids;
pub mod money;
pub mod path;
pub mod phase;
pub mod plan;
pub mod policy;
pub mod report;
pub mod run;
pub mod severity;
pub mod task;

pub use check::{CheckResult, CheckStatus};
pub use event::{AlertKind, Event, EventKind};
pub use gate::{BudgetAsk, Decision, Gate, GateStatus, Review};
pub use ids::{GateId, GateRef, RunId};
pub use money::{fmt_usd, parse_usd};
pub use path::check_relative_path;
pub use phase::{GateCode, Phase};
pub use plan::{Plan, PlanTask};
pub use policy::GatePolicy;
pub use report::Report;
pub use run::{Ledger, PhaseSpan, Run, RunStatus};
pub use severity::Severity;
pub use task::{AgentRole, Refusal, Repair, Task, TaskKind, TaskResult, TaskStatus};
