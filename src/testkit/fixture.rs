//! A fixed picture of a busy factory (runs in every state, a build team, providers, gates,
//! alerts) for the control room's snapshot tests and its render benchmark.

use std::sync::Arc;

use crate::domain::{
    AgentRole, CheckStatus, Event, EventKind, Gate, GateCode, GateId, GateStatus, Ledger, Phase, Report, Review, Run,
    RunId, RunStatus,
};
use crate::orchestrator::{
    CheckBrief, CircuitState, Evidence, EvidenceKind, PhaseBrief, PreviousRevision, ProviderView, ReviewData,
    RoleState, RoleView, RoutingView, RunView, Snapshot, StatusCounts,
};
use crate::util::rng::Rng;

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
            state: RoleState::Running,
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
            state: RoleState::Blocked,
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
            state: RoleState::Idle,
            current: None,
            running: 0,
            done: 0,
            total: 2,
            latest_report: None,
        },
        RoleView {
            role: AgentRole::DevOps,
            state: RoleState::Done,
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
                estimated: false,
                gate_policies: Vec::new(),
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

fn provider(name: &str, kind: &str, in_flight: u32, max: u32, seed: u64) -> ProviderView {
    let mut rng = Rng::new(seed);
    ProviderView {
        name: name.into(),
        simulated: kind == "sim",
        in_flight,
        max_concurrent: max,
        queued: in_flight / 3,
        requests: 1_204,
        errors: 31,
        p50_ms: 820,
        p95_ms: 2_140,
        tokens: 2_400_000 + 310_000,
        cost_micros: 3_420_000,
        cache_hits: 120,
        cache_lookups: 120 + 480,
        circuit: if name == "anthropic" { CircuitState::HalfOpen } else { CircuitState::Closed },
        load: (0..60).map(|_| rng.range(0, 40) as u32).collect(),
        waiting: None,
        // Scores learned per task kind; the simulated provider's only where it answered.
        quality: ["research", "spec", "architecture", "plan", "build", "quality"]
            .iter()
            .filter(|_| kind != "sim")
            .map(|k| (k.to_string(), rng.range(55, 98) as f64 / 100.0))
            .collect(),
    }
}

/// A snapshot of `runs` runs, `providers` providers and `gates` pending gates.
pub fn snapshot(runs_n: usize, providers_n: usize, gates_n: usize) -> Snapshot {
    let runs = runs(runs_n);
    let mut counts = StatusCounts::default();
    for r in &runs {
        counts.add(r.status);
    }
    // Name, kind, calls in flight, most at once.
    let catalogue = [
        ("sim", "sim", 12, 64),
        ("openai", "openai", 7, 10),
        ("anthropic", "anthropic", 4, 8),
        ("perplexity", "openai", 1, 4),
        ("local", "cli", 0, 2),
        ("openrouter", "openai", 3, 16),
    ];
    let providers = catalogue
        .iter()
        .cycle()
        .take(providers_n)
        .enumerate()
        .map(|(i, (n, k, f, x))| provider(n, k, *f, *x, i as u64))
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
        alerts_open: 3,
        last_alert: Some((NOW - 120_000, "s-08 would pass its budget of $4.50; it waits on a budget gate".into())),
        simulated: true,
        idle: false,
        phase_ms: [42_000, 30_000, 51_000, 60_000, 240_000, 45_000, 38_000],
        // G0 and G1 learned from past decisions; G2, G3 and budget still at their timeouts.
        gate_wait_ms: [1_500_000, 2_700_000, 86_400_000, 86_400_000, 86_400_000],
        gate_auto: [false; 5],
        health: crate::orchestrator::Health {
            cpu_pct: 3,
            rss_bytes: 48_700_000,
            store_bytes: 12_300_000,
            free_bytes: Some(17_900_000_000),
        },
        in_flight: 27,
        tasks_done: 4_812,
        gate_reviewers: vec![(GateCode::G3, vec!["alice".into()])],
        routing: RoutingView { policy: "adaptive".into(), quality_floor: Some(0.6) },
        templates: crate::templates::builtin()
            .map(|ts| ts.iter().map(|t| t.name().to_string()).collect())
            .unwrap_or_default(),
        workers: Vec::new(),
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

/// What the review screen loads for the release gate (G3) of [`snapshot`]'s fourth gate:
/// five tabs (quality, build, checks, deploy, the `app/` tree), opening on deploy.
pub fn review_g3(snap: &Snapshot) -> ReviewData {
    let gate = snap.gates.iter().find(|g| g.id.code == GateCode::G3).expect("the fixture has a G3 gate").clone();
    let view = &snap.runs[gate.id.run.0 as usize - 1];
    let mut review = review(snap);
    review.run.id = view.id;
    review.run.name = view.name.clone();
    review.run.phase = Phase::Deploy;
    review.run.revision = 0;
    review.run.gate = Some(gate.id);
    review.run.workspace = format!("/data/workspaces/{}", view.id);
    review.history = vec![gate.clone()];
    review.previous = None;
    review.artifact = "> **Startup Factory artifact** · phase `deploy` · revision 0 · provider `sim` · model `sim-standard` · **SIMULATED**\n\n# Deployment prep\n\n## Environments\n\n- staging on a single VM with docker compose\n- production behind a managed load balancer\n\n## Steps\n\n1. Build the images: `docker compose build`.\n2. Run the migrations: `alembic upgrade head`.\n3. Start the services and check `/health`.\n\n## Rollback\n\nKeep the previous image tagged; `docker compose up -d` with it restores the last release.\nRollback of the database: every migration has a downgrade.\n\n## Monitoring\n\nUptime check on `/health`; error rate alert over 2%.\n".into();
    let doc = |title: &str, path: &str, text: &str| Evidence {
        title: title.into(),
        kind: EvidenceKind::Document,
        path: Some(path.into()),
        text: text.into(),
    };
    let files = [
        "app/README.md",
        "app/docker-compose.yml",
        "app/backend/main.py",
        "app/backend/app/__init__.py",
        "app/backend/app/models.py",
        "app/backend/app/auth.py",
        "app/backend/app/routes/invoices.py",
        "app/backend/tests/test_auth.py",
        "app/backend/requirements.txt",
        "app/frontend/index.html",
        "app/frontend/src/App.tsx",
        "app/frontend/src/api.ts",
        "app/frontend/package.json",
    ];
    review.evidence = vec![
        doc(
            "Quality review",
            "docs/quality.md",
            "# Quality review\n\n## OWASP top 10\n\n- A01 broken access control: every route checks the session.\n- A03 injection: queries go through the ORM.\n\n## Test gaps\n\n- No test of the password reset.\n\nScore: 0.91\n",
        ),
        doc(
            "Build",
            "docs/build.md",
            "# Build report\n\n## Integration checks\n\n13 files in `app/`; round 2 of checks.\n\n| check | result |\n|---|---|\n| backend-tests | ✓ passed |\n| frontend-tests | ✗ failed |\n\n**1 checks failing.**\n",
        ),
        Evidence {
            title: "Checks".into(),
            kind: EvidenceKind::Checks,
            path: Some("docs/checks.md".into()),
            text: "# Checks\n\n## First round\n\n### backend-tests\n\n✓ passed · 14 passed, 0 failed · 3.2 s\n\n### frontend-tests\n\n✗ failed · 6 passed, 1 failed · 5.0 s\n\n```text\nFAIL src/App.test.tsx > renders the invoice list\n```\n".into(),
        },
        doc("Deployment prep", "docs/deploy.md", &review.artifact),
        Evidence { title: "app/".into(), kind: EvidenceKind::Tree, path: None, text: files.join("\n") },
    ];
    review.focus = 3;
    review.gate = gate;
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

/// A run's workspace as the orchestrator lists it: the documents, a kept revision, and an
/// `app/` tree (backend, frontend, tests), `n` files in all (at least 12), sorted by path.
pub fn workspace_files(n: usize) -> Vec<crate::orchestrator::FileEntry> {
    let mut paths: Vec<(String, u64)> = [
        ("docs/research.md", 6_120),
        ("docs/founder-fit.md", 2_310),
        ("docs/spec.md", 4_870),
        ("docs/history/spec.r0.md", 4_410),
        ("app/README.md", 1_204),
        ("app/backend/main.py", 2_481),
        ("app/backend/models.py", 1_377),
        ("app/backend/requirements.txt", 96),
        ("app/frontend/package.json", 612),
        ("app/frontend/src/app.ts", 3_906),
        ("app/tests/test_main.py", 1_840),
        ("app/Dockerfile", 402),
    ]
    .iter()
    .map(|(p, b)| (p.to_string(), *b))
    .collect();
    let folders = ["app/backend/routes", "app/backend/services", "app/frontend/src/components", "app/tests/unit"];
    let mut i = 0;
    while paths.len() < n {
        let folder = folders[i % folders.len()];
        let ext = if folder.contains("frontend") { "ts" } else { "py" };
        paths.push((format!("{folder}/part_{:02}/module_{i:04}.{ext}", i / 40), 500 + (i as u64 * 37) % 4_000));
        i += 1;
    }
    paths.sort();
    paths.into_iter().map(|(path, bytes)| crate::orchestrator::FileEntry { path, bytes }).collect()
}

/// A Python module of `lines` lines (a FastAPI app, repeated as needed).
pub fn python_source(lines: usize) -> String {
    const HEAD: &str = r#""""Invoices API: create, list and settle invoices."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from fastapi import FastAPI, HTTPException

app = FastAPI(title="Ledgerly")
MAX_ITEMS = 100  # per invoice


@dataclass
class Invoice:
    id: int
    customer: str
    total_cents: int = 0
    items: list[str] = field(default_factory=list)

    def settle(self, amount: int) -> bool:
        """Records a payment; True when the invoice is paid."""
        if amount <= 0:
            raise ValueError(f"amount must be positive, not {amount}")
        self.total_cents -= amount
        return self.total_cents <= 0
"#;
    const BODY: &str = r#"

@app.get("/invoices/{invoice_id}")
async def get_invoice(invoice_id: int) -> dict:
    invoice = STORE.get(invoice_id)
    if invoice is None:
        raise HTTPException(status_code=404, detail="no such invoice")
    return {"id": invoice.id, "customer": invoice.customer, "total": invoice.total_cents / 100}
"#;
    let mut out = String::from(HEAD);
    out.push_str("\n\nSTORE: dict[int, Invoice] = {}\n");
    while out.lines().count() < lines {
        out.push_str(BODY);
    }
    out.lines().take(lines).collect::<Vec<_>>().join("\n") + "\n"
}
