//! Building the views of the snapshot from the state: one run's line and its team.

use std::sync::Arc;

use super::snapshot::{
    CheckBrief, CircuitState, PhaseBrief, ProviderView, RoleState, RoleView, RoutingView, RunView, Snapshot,
    StatusCounts,
};
use super::state::{RunState, State};
use crate::domain::{GateCode, TaskKind, TaskStatus};
use crate::providers::gateway::Circuit;
use crate::providers::{Gateway, ProviderStats, Routing};

/// The team of a run in (or past) the build phase: one line per role of its plan.
fn team(rs: &RunState) -> Vec<RoleView> {
    let mut roles: Vec<RoleView> = Vec::new();
    for t in rs.build_tasks().filter(|t| matches!(t.kind, TaskKind::Team | TaskKind::Integrate)) {
        let view = match roles.iter_mut().find(|r| r.role == t.role) {
            Some(v) => v,
            None => {
                roles.push(RoleView {
                    role: t.role,
                    state: RoleState::Idle,
                    current: None,
                    running: 0,
                    done: 0,
                    total: 0,
                    latest_report: rs.latest_reports.get(&t.role).cloned(),
                });
                roles.last_mut().expect("just pushed")
            }
        };
        view.total += 1;
        match t.status {
            TaskStatus::Done => view.done += 1,
            TaskStatus::Running => view.running += 1,
            _ => {}
        }
    }
    for view in &mut roles {
        let mine = || {
            rs.build_tasks().filter(|t| t.role == view.role && matches!(t.kind, TaskKind::Team | TaskKind::Integrate))
        };
        let running = mine().find(|t| t.status == TaskStatus::Running);
        let ready = mine().find(|t| t.status == TaskStatus::Ready);
        let waiting = mine().find(|t| t.status == TaskStatus::Waiting);
        let failed = mine().find(|t| t.status == TaskStatus::Failed);
        (view.state, view.current) = if let Some(t) = running {
            (RoleState::Running, Some(t.title.clone()))
        } else if let Some(t) = failed {
            (RoleState::Blocked, Some(format!("{} failed", t.title)))
        } else if let Some(t) = ready {
            (RoleState::Idle, Some(format!("next: {}", t.title)))
        } else if let Some(t) = waiting {
            let on: Vec<&str> = t
                .depends_on
                .iter()
                .filter_map(|d| rs.task(d))
                .filter(|d| d.status != TaskStatus::Done)
                .map(|d| d.title.as_str())
                .collect();
            (RoleState::Blocked, Some(format!("waits on {}", on.join(", "))))
        } else if view.done == view.total && view.total > 0 {
            (RoleState::Done, None)
        } else {
            (RoleState::Idle, None)
        };
    }
    roles.sort_by_key(|r| r.role);
    roles
}

pub(super) fn run_view(rs: &RunState) -> RunView {
    let run = &rs.run;
    let build: Vec<_> = rs.build_tasks().filter(|t| t.kind != TaskKind::Plan).collect();
    let build_done = if build.is_empty() {
        0.0
    } else {
        build.iter().filter(|t| t.status == TaskStatus::Done).count() as f32 / build.len() as f32
    };
    RunView {
        id: run.id,
        name: run.name.clone(),
        idea: run.idea.clone(),
        status: run.status,
        phase: run.phase,
        revision: run.revision,
        gate: run.gate.map(|g| g.code),
        progress: run.progress(build_done),
        cost_micros: run.ledger.cost_micros,
        budget_micros: run.budget_micros,
        tokens_in: run.ledger.tokens_in + run.ledger.tokens_cached,
        tokens_out: run.ledger.tokens_out,
        priority: run.priority,
        template: run.template.clone(),
        simulated: run.simulated,
        estimated: run.ledger.estimated(),
        gate_policies: run.gate_policies.clone(),
        created_at: run.created_at,
        phase_started_at: run.phases.last().map(|s| s.started_at).unwrap_or(run.created_at),
        in_flight: rs.in_flight,
        team: team(rs),
        phases: run
            .phases
            .iter()
            .filter_map(|s| {
                Some(PhaseBrief {
                    phase: s.phase?,
                    revision: s.revision,
                    cost_micros: s.ledger.cost_micros,
                    quality: s.quality,
                    done: s.finished_at.is_some(),
                })
            })
            .collect(),
        failure: run.failure.clone(),
        checks: run
            .checks
            .iter()
            .map(|c| CheckBrief {
                name: c.name.clone(),
                status: c.status,
                duration_ms: c.duration_ms,
                tests_passed: c.tests_passed,
                tests_failed: c.tests_failed,
            })
            .collect(),
        repair_rounds: run.repair_rounds,
        automation_blocked: run.automation_blocked(),
    }
}

pub(super) fn snapshot(state: &State, gateway: &Gateway, version: u64) -> Snapshot {
    let mut counts = StatusCounts::default();
    let mut total = 0;
    for rs in &state.runs {
        counts.add(rs.run.status);
        total += rs.run.ledger.cost_micros;
    }
    let gates = state.gates.pending().cloned().collect();
    let mut phase_ms = [0u64; 7];
    for (i, (sum, n)) in state.phase_ms.iter().enumerate() {
        if *n > 0 {
            phase_ms[i] = sum / n;
        }
    }
    Snapshot {
        version,
        at: state.now(),
        runs: state.runs.iter().map(|rs| Arc::clone(&rs.view)).collect(),
        gates,
        providers: gateway.stats().into_iter().map(provider_view).collect(),
        counts,
        spent_today_micros: state.day_budget.spent(),
        daily_cap_micros: state.daily_cap(),
        total_cost_micros: total,
        alerts: state.alerts.count(),
        alerts_open: state.alerts.open(),
        last_alert: state.alerts.last().cloned(),
        simulated: gateway.uses_simulated(),
        idle: state.is_idle(),
        phase_ms,
        gate_wait_ms: state.gate_wait_ms(),
        gate_auto: state.gate_auto(),
        health: state.health,
        in_flight: state.counters.calls_in_flight(),
        tasks_done: state.counters.tasks_done(),
        gate_reviewers: GateCode::ALL
            .iter()
            .map(|c| (*c, state.cfg.gates.reviewers(*c).to_vec()))
            .filter(|(_, who)| !who.is_empty())
            .collect(),
        routing: routing_view(gateway.routing()),
        templates: template_names(state),
        workers: state.cluster_workers(),
    }
}

/// A provider's figures as the control room shows them.
fn provider_view(s: ProviderStats) -> ProviderView {
    ProviderView {
        circuit: match s.circuit {
            Some(Circuit::Open) => CircuitState::Open,
            Some(Circuit::HalfOpen) => CircuitState::HalfOpen,
            Some(Circuit::Closed) | None => CircuitState::Closed,
        },
        tokens: s.tokens_in + s.tokens_out,
        cache_lookups: s.cache_hits + s.cache_misses,
        name: s.name,
        simulated: s.simulated,
        in_flight: s.in_flight,
        max_concurrent: s.max_concurrent,
        queued: s.queued,
        waiting: s.waiting,
        requests: s.requests,
        errors: s.errors,
        p50_ms: s.p50_ms,
        p95_ms: s.p95_ms,
        cost_micros: s.cost_micros,
        cache_hits: s.cache_hits,
        load: s.load,
        quality: s.quality,
    }
}

fn routing_view(r: Routing) -> RoutingView {
    RoutingView { policy: r.policy, quality_floor: r.quality_floor }
}

/// The names of the registry's templates, each once, in its order (built-in ones first).
fn template_names(state: &State) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for t in state.templates.all() {
        if !names.iter().any(|n| n == t.name()) {
            names.push(t.name().to_string());
        }
    }
    names
}
