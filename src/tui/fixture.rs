//! A fixed picture of a busy factory (runs in every state, a build team, providers, gates,
//! alerts) for the control room's snapshot tests and its render benchmark.

use std::sync::Arc;

use crate::domain::{
    AgentRole, CheckStatus, Event, EventKind, Gate, GateCode, GateId, GateStatus, Ledger, Phase, Report, Review, Run,
    RunId, RunStatus,
};
use crate::orchestrator::{
    CheckBrief, Evidence, EvidenceKind, PhaseBrief, PreviousRevision, ReviewData, RoleView, RunView, Snapshot,
    StatusCounts,
};
use crate::providers::ProviderStats;
use crate::providers::gateway::Circuit;
use crate::providers::rng::Rng;

/// The fixed "now" of the fixture: 2027-01-15T10:40:00Z.
pub const NOW: u64 = 1_800_002_400_000;

const NAMES: [&str; 8] =
    ["Ledgerly", "BrandFocus", "CareCircle", "Dockwise", "FarmLink", "GreenGrid", "Hirefly", "Kitchenly"];

fn report(run: RunId, role: AgentRole, done: &[&str], next: &[&str], blockers: &[&str]) -> Report {
    let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
    Report {
        run,
        role,
        task: format!("{run}.build.{}", done.last().copied().unwrap_or("plan")),
        at: NOW - 60_000,
        tasks_completed: v(done),
        currently_working_on: Vec::new(),
        blockers: v(blockers),
        ready_for_integration: vec!["app/backend/app/models.py".into()],
        next: v(next),
    }
}

fn team(run: RunId) -> Vec<RoleView> {
    vec![
        RoleView {
            role: AgentRole::Backend,
            state: "running".into(),
            current: Some("Authentication endpoints".into()),
            running: 1,
            done: 3,
            total: 5,
            latest_report: Some(std::sync::Arc::new(report(
                run,
                AgentRole::Backend,
                &["data-models", "api"],
                &["auth"],
                &[],
            ))),
        },
        RoleView {
            role: AgentRole::Frontend,
            state: "blocked".into(),
            current: Some("waits on Authentication endpoints".into()),
            running: 0,
            done: 1,
            total: 3,
            latest_report: Some(std::sync::Arc::new(report(
                run,
                AgentRole::Frontend,
                &["ui-shell"],
                &[],
                &["views waits on auth (backend)"],
            ))),
        },
        RoleView {
            role: AgentRole::Testing,
            state: "idle".into(),
            current: None,
            running: 0,
            done: 0,
            total: 2,
            latest_report: None,
        },
        RoleView {
            role: AgentRole::DevOps,
            state: "done".into(),
            current: None,
            running: 0,
            done: 1,
            total: 1,
            latest_report: None,
        },
    ]
}

fn briefs(upto: Phase, revision: u32) -> Vec<PhaseBrief> {
    Phase::ALL
        .iter()
        .take(upto.index() + 1)
        .map(|p| PhaseBrief {
            phase: *p,
            revision: if *p == upto { revision } else { 0 },
            cost_micros: 4_000 + 700 * p.index() as u64,
            quality: Some(0.9 + 0.01 * p.index() as f32),
            done: *p != upto,
        })
        .collect()
}

/// `n` runs in a repeating mix of states, with a team on the build-phase ones.
pub fn runs(n: usize) -> Vec<Arc<RunView>> {
    let mut rng = Rng::new(7);
    (0..n)
        .map(|k| {
            let id = RunId(k as u32 + 1);
            let (status, phase, gate) = match k % 8 {
                0 => (RunStatus::AwaitingGate, Phase::Spec, Some(GateCode::G1)),
                1 => (RunStatus::Running, Phase::Build, None),
                2 => (RunStatus::Running, Phase::Research, None),
                3 => (RunStatus::AwaitingGate, Phase::FounderFit, Some(GateCode::G0)),
                4 => (RunStatus::Completed, Phase::Deploy, None),
                5 => (RunStatus::Paused, Phase::Architecture, None),
                6 => (RunStatus::Failed, Phase::Quality, None),
                _ => (RunStatus::AwaitingGate, Phase::Build, Some(GateCode::Budget)),
            };
            let round = k / NAMES.len();
            let name = if round == 0 {
                NAMES[k % NAMES.len()].to_string()
            } else {
                format!("{} {}", NAMES[k % NAMES.len()], round + 1)
            };
            let budget = 3_000_000 + 500_000 * rng.range(0, 18);
            let cost = if gate == Some(GateCode::Budget) { budget - 2_000 } else { rng.range(10_000, 90_000) };
            Arc::new(RunView {
                id,
                name,
                idea: "Bookkeeping for freelancers that reconciles bank feeds and files quarterly taxes".into(),
                status,
                phase,
                revision: u32::from(k % 8 == 0),
                gate,
                progress: if status == RunStatus::Completed { 1.0 } else { (phase.index() as f32 + 0.5) / 7.0 },
                cost_micros: cost,
                budget_micros: budget,
                tokens_in: cost * 9,
                tokens_out: cost,
                priority: (k % 4) as u8 + 1,
                template: "neoforge".into(),
                simulated: true,
                created_at: NOW - 3_600_000,
                phase_started_at: NOW - 40_000 - 1_000 * k as u64,
                in_flight: u32::from(status == RunStatus::Running),
                team: if phase == Phase::Build { team(id) } else { Vec::new() },
                phases: briefs(phase, u32::from(k % 8 == 0)),
                failure: (status == RunStatus::Failed)
                    .then(|| "s-07.quality.r0: every provider failed: sim: HTTP 500".into()),
                checks: if k % 8 == 1 { checks() } else { Vec::new() },
                repair_rounds: u32::from(k % 8 == 1),
                // s-10's release gate waits for a person: its checks still fail.
                automation_blocked: (k == 9).then(|| "the build's checks are failing (frontend-tests, e2e)".into()),
            })
        })
        .collect()
}

/// A build's round of checks after one repair round: the backend green, a frontend test
/// still failing, a tool missing.
fn checks() -> Vec<CheckBrief> {
    let c = |name: &str, status, duration_ms, passed, failed| CheckBrief {
        name: name.into(),
        status,
        duration_ms,
        tests_passed: passed,
        tests_failed: failed,
    };
    vec![
        c("syntax", CheckStatus::Passed, 180, None, None),
        c("backend-install", CheckStatus::Passed, 8_400, None, None),
        c("backend-tests", CheckStatus::Passed, 3_150, Some(14), Some(0)),
        c("frontend-tests", CheckStatus::Failed, 5_020, Some(6), Some(1)),
        c("e2e", CheckStatus::Skipped, 0, None, None),
    ]
}

fn gate(run: RunId, code: GateCode, waited_ms: u64, late: bool) -> Gate {
    Gate {
        id: GateId { run, code, n: u32::from(code == GateCode::G1) },
        status: GateStatus::Pending,
        opened_at: NOW - waited_ms,
        decided_at: None,
        decided_by: None,
        note: None,
        review: Review {
            phase: code.phase(),
            artifact: code.phase().map(|p| p.artifact().to_string()),
            provider: Some("sim".into()),
            model: Some("sim-standard".into()),
            simulated: true,
            cost_micros: 4_321,
            quality: Some(0.94),
        },
        budget: None,
        timeout_alerted: late,
    }
}

fn provider(name: &str, kind: &str, model: &str, in_flight: u32, max: u32, seed: u64) -> ProviderStats {
    let mut rng = Rng::new(seed);
    ProviderStats {
        name: name.into(),
        kind: kind.into(),
        model: model.into(),
        simulated: kind == "sim",
        in_flight,
        max_concurrent: max,
        queued: in_flight / 3,
        requests: 1_204,
        errors: 31,
        p50_ms: 820,
        p95_ms: 2_140,
        tokens_in: 2_400_000,
        tokens_out: 310_000,
        cost_micros: 3_420_000,
        cache_hits: 120,
        cache_misses: 480,
        circuit: Some(if name == "anthropic" { Circuit::HalfOpen } else { Circuit::Closed }),
        keys_ready: 1,
        keys_total: 2,
        load: (0..60).map(|_| rng.range(0, 40) as u32).collect(),
    }
}

/// A snapshot of `runs` runs, `providers` providers and `gates` pending gates.
pub fn snapshot(runs_n: usize, providers_n: usize, gates_n: usize) -> Snapshot {
    let runs = runs(runs_n);
    let mut counts = StatusCounts::default();
    for r in &runs {
        counts.add(r.status);
    }
    let catalogue = [
        ("sim", "sim", "sim-standard", 12, 64),
        ("openai", "openai", "gpt-4o-mini", 7, 10),
        ("anthropic", "anthropic", "claude-sonnet-4-5", 4, 8),
        ("perplexity", "openai", "sonar", 1, 4),
        ("local", "cli", "llama3", 0, 2),
        ("openrouter", "openai", "gpt-4.1-mini", 3, 16),
    ];
    let providers = catalogue
        .iter()
        .cycle()
        .take(providers_n)
        .enumerate()
        .map(|(i, (n, k, m, f, x))| provider(n, k, m, *f, *x, i as u64))
        .collect();
    let codes = [GateCode::G1, GateCode::G0, GateCode::G2, GateCode::G3];
    let gates = (0..gates_n)
        .map(|k| {
            gate(
                RunId(k as u32 * 3 % runs_n.max(1) as u32 + 1),
                codes[k % 4],
                50 * 3_600_000 / (k as u64 + 1) + 7_000,
                k == 0,
            )
        })
        .collect();
    Snapshot {
        version: 1,
        at: NOW,
        runs,
        gates,
        providers,
        counts,
        spent_today_micros: 12_480_000,
        daily_cap_micros: 200_000_000,
        total_cost_micros: 31_020_000,
        alerts: 3,
        last_alert: Some((NOW - 120_000, "s-08 would pass its budget of $4.50; it waits on a budget gate".into())),
        simulated: true,
        idle: false,
        phase_ms: [42_000, 30_000, 51_000, 60_000, 240_000, 45_000, 38_000],
        in_flight: 27,
        tasks_done: 4_812,
        gate_reviewers: vec![(GateCode::G3, vec!["alice".into()])],
    }
}

/// What the review screen loads for the first gate of [`snapshot`].
pub fn review(snap: &Snapshot) -> ReviewData {
    let gate = snap.gates[0].clone();
    let earlier = Gate {
        id: GateId { n: 0, ..gate.id },
        status: GateStatus::Revised,
        decided_at: Some(NOW - 4 * 3_600_000),
        decided_by: Some("alice@10.0.0.7 (ssh)".into()),
        note: Some("Narrow it to one persona; drop the marketplace idea".into()),
        ..gate.clone()
    };
    let view = &snap.runs[gate.id.run.0 as usize - 1];
    let mut review = ReviewData {
        run: Run {
            id: view.id,
            name: view.name.clone(),
            idea: view.idea.clone(),
            template: "neoforge".into(),
            priority: 2,
            budget_micros: view.budget_micros,
            status: view.status,
            phase: view.phase,
            revision: 1,
            gate: Some(gate.id),
            ledger: Ledger { cost_micros: view.cost_micros, ..Ledger::default() },
            simulated: true,
            unpriced: false,
            created_at: NOW - 3_600_000,
            updated_at: NOW,
            last_progress_at: NOW,
            phases: Vec::new(),
            budget_alerted: false,
            stall_alerted: false,
            failure: None,
            plan_source: None,
            workspace: "/data/workspaces/s-01".into(),
            checks: Vec::new(),
            repair_rounds: 0,
            checks_failing: false,
            verdict: None,
            template_version: Some("1.0.0".into()),
            ports: Default::default(),
            gate_policies: Vec::new(),
        },
        artifact: "> **Startup Factory artifact** · phase `spec` · revision 1 · provider `sim` · model `sim-standard` · **SIMULATED**\n> tokens 1795 in / 482 out · cost $0.003723\n\n# MVP spec: Ledgerly\n\n## Problem\n\nFreelancers lose hours every quarter reconciling bank feeds by hand, and miss deductions they are owed because receipts live in five places.\n\n## Core features\n\n1. Bank feed import with automatic categorisation.\n2. Quarterly tax estimate with a filing checklist.\n3. Receipt capture by photo or e-mail forward.\n\n## User stories\n\n- As a freelancer, I connect my bank once and see every transaction categorised.\n- As a freelancer, I know what I owe each quarter before the deadline.\n\n## Acceptance criteria\n\n- Import 12 months of transactions in under a minute.\n- A hostile title \u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7} stays inert.\n\n## Out of scope\n\nPayroll, invoicing, multi-currency.\n".into(),
        history: vec![earlier.clone(), gate.clone()],
        evidence: vec![
            Evidence { title: "MVP spec".into(), kind: EvidenceKind::Document, path: Some("docs/spec.md".into()), text: String::new() },
            Evidence {
                title: "Market research".into(),
                kind: EvidenceKind::Document,
                path: Some("docs/research.md".into()),
                text: "# Market research: Ledgerly\n\n## Market\n\n4.2 million US freelancers file quarterly estimates.\n\n## Competitors\n\n- QuickBooks Self-Employed\n- Keeper Tax\n".into(),
            },
        ],
        focus: 0,
        previous: Some(PreviousRevision {
            revision: 0,
            text: "> **Startup Factory artifact** · phase `spec` · revision 0 · provider `sim` · model `sim-standard` · **SIMULATED**\n\n# MVP spec: Ledgerly\n\n## Problem\n\nFreelancers and small agencies lose hours reconciling bank feeds.\n\n## Core features\n\n1. Bank feed import with automatic categorisation.\n2. A marketplace of bookkeepers.\n3. Receipt capture by photo or e-mail forward.\n\n## Out of scope\n\nPayroll, invoicing, multi-currency.\n".into(),
            note: earlier.note.clone(),
            by: earlier.decided_by.clone(),
        }),
        gate,
    };
    review.evidence[0].text = review.artifact.clone();
    review
}

/// Alerts for the alerts overlay, oldest first.
pub fn alerts() -> Vec<Event> {
    use crate::domain::AlertKind;
    [
        (AlertKind::Budget80, 8, "s-08 has spent $3.60 of its $4.50 budget (80% or more)"),
        (AlertKind::Budget100, 8, "s-08 would pass its budget of $4.50; it waits on a budget gate"),
        (AlertKind::GateTimeout, 1, "gate s-01.G1.1 Problem-solution fit has waited 1d 02h (its timeout is 1d 00h)"),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (alert, run, message))| Event {
        seq: 100 + i as u64,
        ts: NOW - 600_000 + 60_000 * i as u64,
        startup: Some(RunId(run)),
        kind: EventKind::Alert { alert, message: message.into() },
    })
    .collect()
}

/// Reports for the report-history overlay, newest first.
pub fn reports(run: RunId) -> Vec<Report> {
    vec![
        report(run, AgentRole::Backend, &["data-models", "api"], &["auth"], &[]),
        report(run, AgentRole::Backend, &["data-models"], &["api", "auth"], &[]),
    ]
}

/// The built-in templates as the registry lists them, with some runs counted.
pub fn templates() -> Vec<crate::templates::TemplateInfo> {
    let mut out: Vec<_> = crate::templates::builtin()
        .unwrap_or_default()
        .iter()
        .map(|t| crate::templates::TemplateInfo::new(t, true))
        .collect();
    for (k, t) in out.iter_mut().enumerate() {
        t.runs = 10 * k as u32;
        t.finished_runs = 5 * k as u32;
        t.rating = (k > 0).then_some(0.2 * k as f64);
        t.gates = ["G0", "G1", "G2", "G3"]
            .iter()
            .enumerate()
            .map(|(g, code)| crate::templates::GateTally {
                gate: code.to_string(),
                name: String::new(),
                reached: (5 * k as u32).saturating_sub(g as u32),
                approved: (4 * k as u32).saturating_sub(g as u32),
            })
            .collect();
    }
    out
}
