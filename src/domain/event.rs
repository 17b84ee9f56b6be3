//! Events: the persisted record of every state change, and the alerts among them.

use serde::{Deserialize, Serialize};

use super::gate::Decision;
use super::ids::{GateId, RunId};
use super::money::fmt_usd;
use super::phase::{GateCode, Phase};
use super::task::AgentRole;

/// What kind of alert fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A run has spent 80% of its budget.
    #[serde(rename = "budget_80")]
    Budget80,
    /// A run's next call would pass its budget; a budget gate opened.
    #[serde(rename = "budget_100")]
    Budget100,
    /// The factory has spent 80% of its daily cap.
    #[serde(rename = "daily_80")]
    Daily80,
    /// The factory's daily cap is reached.
    #[serde(rename = "daily_100")]
    Daily100,
    /// A gate has waited past its timeout.
    GateTimeout,
    /// A running run has made no progress for the configured time.
    Stalled,
    /// A provider's circuit opened after repeated failures.
    CircuitOpen,
    /// A run failed (`factory resume` may try it again).
    RunFailed,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Budget80 => "budget_80",
            AlertKind::Budget100 => "budget_100",
            AlertKind::Daily80 => "daily_80",
            AlertKind::Daily100 => "daily_100",
            AlertKind::GateTimeout => "gate_timeout",
            AlertKind::Stalled => "stalled",
            AlertKind::CircuitOpen => "circuit_open",
            AlertKind::RunFailed => "run_failed",
        }
    }
}

/// Every kind of event, with its data. Serialised with a `kind` tag in snake_case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    RunCreated {
        name: String,
        template: String,
        budget_micros: u64,
        priority: u8,
    },
    PhaseStarted {
        phase: Phase,
        revision: u32,
    },
    TaskDone {
        task: String,
        /// Which try of the task this answer was (a refused plan is asked for again).
        #[serde(default)]
        attempt: u32,
        role: Option<AgentRole>,
        provider: String,
        model: String,
        simulated: bool,
        tokens_in: u64,
        tokens_out: u64,
        cost_micros: u64,
        quality: f32,
        cached: bool,
        /// How long the answering call took (absent in events recorded before it was kept,
        /// and for an answer from the cache).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        latency_ms: Option<u64>,
    },
    TaskRetry {
        task: String,
        attempt: u32,
        provider: String,
        error: String,
        retry_in_ms: u64,
    },
    ProviderFallback {
        task: String,
        from: String,
        to: String,
        reason: String,
    },
    /// A call has waited a second for a key of `provider` (`reason`: `rpm` or `key
    /// resting`), and expects to wait about `expected_ms` more.
    ProviderWait {
        task: String,
        provider: String,
        reason: String,
        expected_ms: u64,
    },
    TaskFailed {
        task: String,
        error: String,
    },
    PlanReady {
        tasks: usize,
        source: String,
    },
    PlanInvalid {
        attempt: u32,
        error: String,
    },
    ReportPosted {
        task: String,
        role: AgentRole,
    },
    Integrated {
        checked: usize,
        problems: Vec<String>,
    },
    /// One of the build's checks passed.
    CheckPassed {
        check: String,
        duration_ms: u64,
        tests_passed: Option<u32>,
    },
    /// One of the build's checks failed.
    CheckFailed {
        check: String,
        duration_ms: u64,
        tests_failed: Option<u32>,
        reason: String,
    },
    /// One of the build's checks could not run (a tool missing, the sandbox refused).
    CheckSkipped {
        check: String,
        duration_ms: u64,
        reason: String,
    },
    /// Checks failed: a role is asked to repair its files.
    RepairStarted {
        round: u32,
        role: AgentRole,
        checks: Vec<String>,
        files: Vec<String>,
        /// How long the failing checks took, together.
        duration_ms: u64,
    },
    /// The build's checks still fail after the last repair round: a person decides.
    ChecksFailing {
        checks: Vec<String>,
        rounds: u32,
    },
    /// A task's answer was not taken (files outside the task, cut off); `retry` says whether
    /// it is asked once more.
    AnswerRefused {
        task: String,
        reason: String,
        retry: bool,
    },
    /// A gate that its policy (or `--auto-approve`) would have passed waits for a person.
    AutoApprovalWithheld {
        gate: GateId,
        reason: String,
    },
    PhaseDone {
        phase: Phase,
        revision: u32,
        cost_micros: u64,
        duration_ms: u64,
    },
    GateOpened {
        gate: GateId,
        code: GateCode,
        name: String,
    },
    GateDecided {
        gate: GateId,
        decision: Decision,
        by: String,
        note: Option<String>,
    },
    BudgetRaised {
        gate: GateId,
        scope: String,
        from_micros: u64,
        to_micros: u64,
    },
    RunPaused,
    RunResumed,
    RunCancelled {
        reason: String,
    },
    RunCompleted {
        cost_micros: u64,
    },
    RunRejected {
        gate: GateId,
        note: String,
    },
    RunFailed {
        reason: String,
    },
    Alert {
        alert: AlertKind,
        message: String,
    },
    /// Alerts (by number) that `by` has seen to.
    AlertsAcknowledged {
        alerts: Vec<u64>,
        by: String,
    },
    /// What the cluster's dispatch did that a person may want to know: a duplicate result
    /// ignored, a worker's refusal, the NATS connection lost or back.
    Cluster {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        task: Option<String>,
        message: String,
    },
}

impl EventKind {
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::RunCreated { .. } => "run_created",
            EventKind::PhaseStarted { .. } => "phase_started",
            EventKind::TaskDone { .. } => "task_done",
            EventKind::TaskRetry { .. } => "task_retry",
            EventKind::ProviderFallback { .. } => "provider_fallback",
            EventKind::ProviderWait { .. } => "provider_wait",
            EventKind::TaskFailed { .. } => "task_failed",
            EventKind::PlanReady { .. } => "plan_ready",
            EventKind::PlanInvalid { .. } => "plan_invalid",
            EventKind::ReportPosted { .. } => "report_posted",
            EventKind::Integrated { .. } => "integrated",
            EventKind::CheckPassed { .. } => "check_passed",
            EventKind::CheckFailed { .. } => "check_failed",
            EventKind::CheckSkipped { .. } => "check_skipped",
            EventKind::RepairStarted { .. } => "repair_started",
            EventKind::ChecksFailing { .. } => "checks_failing",
            EventKind::AnswerRefused { .. } => "answer_refused",
            EventKind::AutoApprovalWithheld { .. } => "auto_approval_withheld",
            EventKind::PhaseDone { .. } => "phase_done",
            EventKind::GateOpened { .. } => "gate_opened",
            EventKind::GateDecided { .. } => "gate_decided",
            EventKind::BudgetRaised { .. } => "budget_raised",
            EventKind::RunPaused => "run_paused",
            EventKind::RunResumed => "run_resumed",
            EventKind::RunCancelled { .. } => "run_cancelled",
            EventKind::RunCompleted { .. } => "run_completed",
            EventKind::RunRejected { .. } => "run_rejected",
            EventKind::RunFailed { .. } => "run_failed",
            EventKind::Alert { .. } => "alert",
            EventKind::AlertsAcknowledged { .. } => "alerts_acknowledged",
            EventKind::Cluster { .. } => "cluster",
        }
    }

    /// One human line describing the event (without time or run).
    pub fn describe(&self) -> String {
        match self {
            EventKind::RunCreated { name, template, budget_micros, priority } => {
                format!(
                    "created {name:?} (template {template}, budget {}, priority {priority})",
                    fmt_usd(*budget_micros)
                )
            }
            EventKind::PhaseStarted { phase, revision } => {
                format!("{phase} started (revision {revision})")
            }
            EventKind::TaskDone {
                task,
                provider,
                model,
                simulated,
                tokens_in,
                tokens_out,
                cost_micros,
                quality,
                cached,
                ..
            } => {
                format!(
                    "{task} done by {provider}/{model}{}{} · {tokens_in}+{tokens_out} tokens · {} · quality {:.2}",
                    if *simulated { " (simulated)" } else { "" },
                    if *cached { " (cached)" } else { "" },
                    fmt_usd(*cost_micros),
                    quality
                )
            }
            EventKind::TaskRetry { task, attempt, provider, error, retry_in_ms } => {
                format!("{task} attempt {attempt} on {provider} failed: {error}; retrying in {retry_in_ms} ms")
            }
            EventKind::ProviderFallback { task, from, to, reason } => {
                format!("{task} falls back from {from} to {to}: {reason}")
            }
            EventKind::ProviderWait { task, provider, reason, expected_ms } => {
                format!("{task} waits for a key of {provider} ({reason}), about {expected_ms} ms more")
            }
            EventKind::TaskFailed { task, error } => format!("{task} failed: {error}"),
            EventKind::PlanReady { tasks, source } => {
                format!("build plan ready: {tasks} tasks (from the {source})")
            }
            EventKind::PlanInvalid { attempt, error } => {
                format!("plan attempt {attempt} invalid: {error}")
            }
            EventKind::ReportPosted { task, role } => {
                format!("{role} posted a progress report after {task}")
            }
            EventKind::Integrated { checked, problems } if problems.is_empty() => {
                format!("integration checks passed ({checked} files checked)")
            }
            EventKind::Integrated { checked, problems } => {
                format!(
                    "integration checks found {} problems in {checked} files: {}",
                    problems.len(),
                    problems.join("; ")
                )
            }
            EventKind::CheckPassed { check, duration_ms, tests_passed } => format!(
                "check {check} passed in {:.1} s{}",
                *duration_ms as f64 / 1000.0,
                tests_passed.map(|n| format!(" ({n} tests)")).unwrap_or_default()
            ),
            EventKind::CheckFailed { check, duration_ms, tests_failed, reason } => format!(
                "check {check} failed in {:.1} s{}: {reason}",
                *duration_ms as f64 / 1000.0,
                tests_failed.map(|n| format!(" ({n} tests failed)")).unwrap_or_default()
            ),
            EventKind::CheckSkipped { check, reason, .. } => format!("check {check} could not run: {reason}"),
            EventKind::RepairStarted { round, role, checks, files, .. } => format!(
                "repair round {round}: the {role} agent fixes {} for {}",
                if files.is_empty() { "its files".to_string() } else { files.join(", ") },
                checks.join(", ")
            ),
            EventKind::ChecksFailing { checks, rounds } => format!(
                "checks still failing after {rounds} repair rounds ({}): a person decides the gates",
                checks.join(", ")
            ),
            EventKind::AnswerRefused { task, reason, retry } => {
                format!("answer of {task} refused: {reason}{}", if *retry { "; asking once more" } else { "" })
            }
            EventKind::AutoApprovalWithheld { gate, reason } => {
                format!("gate {gate} waits for a person: {reason}")
            }
            EventKind::PhaseDone { phase, revision, cost_micros, duration_ms } => {
                format!(
                    "{phase} done (revision {revision}, {}, {:.1} s)",
                    fmt_usd(*cost_micros),
                    *duration_ms as f64 / 1000.0
                )
            }
            EventKind::GateOpened { gate, name, .. } => {
                format!("gate {gate} {name} is waiting for a decision")
            }
            EventKind::GateDecided { gate, decision, by, note } => match note {
                Some(n) => format!("gate {gate}: {} by {by}: {n}", decision.as_str()),
                None => format!("gate {gate}: {} by {by}", decision.as_str()),
            },
            EventKind::BudgetRaised { scope, from_micros, to_micros, .. } => {
                format!("{scope} budget raised from {} to {}", fmt_usd(*from_micros), fmt_usd(*to_micros))
            }
            EventKind::RunPaused => "paused".into(),
            EventKind::RunResumed => "resumed".into(),
            EventKind::RunCancelled { reason } => format!("cancelled: {reason}"),
            EventKind::RunCompleted { cost_micros } => {
                format!("completed for {}", fmt_usd(*cost_micros))
            }
            EventKind::RunRejected { gate, note } => format!("rejected at {gate}: {note}"),
            EventKind::RunFailed { reason } => format!("failed: {reason}"),
            EventKind::Alert { message, .. } => format!("ALERT {message}"),
            EventKind::AlertsAcknowledged { alerts, by } => {
                let numbers: Vec<String> = alerts.iter().map(|n| format!("#{n}")).collect();
                format!(
                    "{by} acknowledged {}: {}",
                    crate::plural::count(alerts.len() as u64, "alert"),
                    numbers.join(" ")
                )
            }
            EventKind::Cluster { task: Some(task), message } => format!("cluster: {task}: {message}"),
            EventKind::Cluster { task: None, message } => format!("cluster: {message}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    /// Milliseconds since the Unix epoch.
    pub ts: u64,
    pub startup: Option<RunId>,
    #[serde(flatten)]
    pub kind: EventKind,
}

impl Event {
    pub fn alert(&self) -> Option<AlertKind> {
        match &self.kind {
            EventKind::Alert { alert, .. } => Some(*alert),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_json_with_a_kind_tag() {
        let e = Event {
            seq: 7,
            ts: 1,
            startup: Some(RunId(2)),
            kind: EventKind::Alert { alert: AlertKind::Budget80, message: "s-02 spent 80%".into() },
        };
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["kind"], "alert");
        assert_eq!(json["alert"], "budget_80");
        assert_eq!(json["startup"], "s-02");
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
        let paused = Event { seq: 8, ts: 2, startup: None, kind: EventKind::RunPaused };
        let back: Event = serde_json::from_str(&serde_json::to_string(&paused).unwrap()).unwrap();
        assert_eq!(back, paused);
    }
}
