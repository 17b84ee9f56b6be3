//! The orchestrator driven through its handle, as views and the CLI drive it: the pipeline's
//! state machine, gates and policies, budgets, alerts, and recovery from the store.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::*;
use crate::config::{GatePolicy, ProviderConfig, ProviderKind};
use crate::domain::{AlertKind, Decision, EventKind, GateCode, GateStatus, Phase, RunStatus};

mod deliveries;
mod last_frame;

struct Harness {
    dir: tempfile::TempDir,
    clock: Arc<AtomicU64>,
    cfg: Config,
}

const START: u64 = 1_800_000_000_000;

impl Harness {
    fn new() -> Self {
        let mut cfg = Config::default();
        cfg.sim.latency_ms = 0;
        // The template's checks install packages: the tests that run them say so.
        cfg.checks.enabled = false;
        Harness { dir: tempfile::tempdir().unwrap(), clock: Arc::new(AtomicU64::new(START)), cfg }
    }

    fn start(&self, dispatch: bool, auto_approve: bool) -> OrchestratorHandle {
        let mut opts = Options::new(self.dir.path().join("data"));
        opts.dispatch = dispatch;
        opts.auto_approve = auto_approve;
        opts.grace_ms = 200;
        let clock = Arc::clone(&self.clock);
        start(Arc::new(self.cfg.clone()), opts, Arc::new(move || clock.load(Ordering::SeqCst))).unwrap()
    }

    /// Builds with a CLI provider named `name` that runs the shell `script`.
    fn build_with_script(&mut self, name: &str, script: String) {
        self.cfg.providers.insert(
            name.into(),
            ProviderConfig {
                kind: Some(ProviderKind::Cli),
                command: Some(vec!["sh".into(), "-c".into(), script]),
                model: Some("sim-standard".into()),
                ..Default::default()
            },
        );
        self.cfg.routing.chains.insert("build".into(), vec![name.into()]);
    }

    fn advance(&self, ms: u64) {
        self.clock.fetch_add(ms, Ordering::SeqCst);
    }
}

async fn new_run(h: &OrchestratorHandle, name: &str, budget: Option<&str>) -> String {
    let new =
        NewRun { name: name.into(), idea: "An idea".into(), budget_usd: budget.map(String::from), ..NewRun::default() };
    match h.request(Command::NewRun(new)).await.unwrap() {
        Reply::Created { id } => id,
        other => panic!("{other:?}"),
    }
}

/// Waits until the snapshot satisfies `cond` (or fails after 60 s: a busy machine is slow).
async fn until(h: &OrchestratorHandle, what: &str, cond: impl Fn(&Snapshot) -> bool) -> Arc<Snapshot> {
    let mut rx = h.watch();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let snap = Arc::clone(&rx.borrow_and_update());
        if cond(&snap) {
            return snap;
        }
        if tokio::time::timeout_at(deadline, rx.changed()).await.is_err() {
            panic!(
                "timed out waiting for {what}; runs: {:?}",
                snap.runs.iter().map(|r| (r.id, r.status, r.phase, r.gate)).collect::<Vec<_>>()
            );
        }
    }
}

async fn gate_waiting(h: &OrchestratorHandle, code: GateCode) -> Arc<Snapshot> {
    until(h, &format!("gate {code}"), |s| s.runs.iter().all(|r| r.gate == Some(code))).await
}

async fn decide(h: &OrchestratorHandle, gate: &str, decision: Decision, note: Option<&str>) -> Result<Reply> {
    h.request(Command::Decide {
        gate: gate.parse().unwrap(),
        decision,
        note: note.map(String::from),
        by: "alice".into(),
        budget_usd: None,
    })
    .await
}

async fn detail(h: &OrchestratorHandle, run: &str) -> RunDetail {
    match h.request(Command::Status { run: Some(run.parse().unwrap()) }).await.unwrap() {
        Reply::Run { detail } => *detail,
        other => panic!("{other:?}"),
    }
}

async fn alerts(h: &OrchestratorHandle) -> Vec<AlertKind> {
    match h.request(Command::Alerts).await.unwrap() {
        Reply::Alerts { alerts, .. } => alerts.iter().filter_map(|e| e.alert()).collect(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_walks_the_pipeline_through_approvals_and_a_revision() {
    let t = Harness::new();
    let h = t.start(true, false);
    let id = new_run(&h, "Ledgerly", None).await;
    assert_eq!(id, "s-01");
    gate_waiting(&h, GateCode::G0).await;
    let snap = h.snapshot();
    assert_eq!(snap.runs[0].status, RunStatus::AwaitingGate);
    assert_eq!(snap.gates.len(), 1);
    decide(&h, "s-01", Decision::Approve, None).await.unwrap();
    gate_waiting(&h, GateCode::G1).await;
    // A revise needs a note, and sends the spec back with the next revision number.
    let err = decide(&h, "s-01.G1", Decision::Revise, None).await.unwrap_err();
    assert!(err.message.contains("needs a note"), "{}", err.message);
    decide(&h, "s-01.G1.0", Decision::Revise, Some("Narrow it to one persona")).await.unwrap();
    until(&h, "G1 again", |s| s.runs[0].gate == Some(GateCode::G1) && s.runs[0].revision == 1).await;
    // Deciding the old opening again is refused, naming who decided it.
    let err = decide(&h, "s-01.G1.0", Decision::Approve, None).await.unwrap_err();
    assert!(err.message.contains("already revised by alice"), "{}", err.message);
    for code in [GateCode::G1, GateCode::G2, GateCode::G3] {
        gate_waiting(&h, code).await;
        if code == GateCode::G3 {
            // The release is reviewed on the quality and build reports, the checks, the
            // deploy document and the app's files.
            let g3 = review(&h, "s-01.G3.0").await;
            let tabs: Vec<_> = g3.evidence.iter().map(|e| (e.kind, e.path.as_deref())).collect();
            use crate::orchestrator::EvidenceKind::*;
            assert_eq!(
                tabs,
                [
                    (Document, Some("docs/quality.md")),
                    (Document, Some("docs/build.md")),
                    (Checks, Some("docs/checks.md")),
                    (Document, Some("docs/deploy.md")),
                    (Tree, None)
                ]
            );
            assert_eq!(g3.focus, 3);
            assert!(g3.evidence[4].text.lines().any(|l| l == "app/backend/app/main.py"), "{}", g3.evidence[4].text);
        }
        decide(&h, "s-01", Decision::Approve, None).await.unwrap();
    }
    until(&h, "completion", |s| s.runs[0].status == RunStatus::Completed).await;
    let d = detail(&h, "s-01").await;
    let phases: Vec<(Phase, u32)> = d.run.phases.iter().map(|p| (p.phase.unwrap(), p.revision)).collect();
    assert_eq!(
        phases,
        vec![
            (Phase::Research, 0),
            (Phase::FounderFit, 0),
            (Phase::Spec, 0),
            (Phase::Spec, 1),
            (Phase::Architecture, 0),
            (Phase::Build, 0),
            (Phase::Quality, 0),
            (Phase::Deploy, 0)
        ]
    );
    assert!(d.run.simulated);
    assert!(!d.reports.is_empty(), "the build team posted reports");
    assert!(d.run.ledger.cost_micros > 0);
    let ws = std::path::Path::new(&d.run.workspace);
    for p in Phase::ALL {
        let text = std::fs::read_to_string(ws.join(p.artifact())).unwrap();
        if p != Phase::Build {
            assert!(text.contains("SIMULATED") && text.contains("provider `sim`"), "{p}: {text}");
        }
    }
    assert!(ws.join("app/backend/app/main.py").exists());
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_revision_note_and_project_memory_reach_the_next_prompt() {
    let mut t = Harness::new();
    // A provider that answers with its prompt shows what the prompt held.
    t.cfg.providers.insert(
        "echo".into(),
        ProviderConfig {
            kind: Some(ProviderKind::Cli),
            command: Some(vec!["cat".into()]),
            model: Some("echo".into()),
            ..Default::default()
        },
    );
    t.cfg.routing.chains.insert("spec".into(), vec!["echo".into()]);
    let h = t.start(true, false);
    new_run(&h, "Ledgerly", None).await;
    gate_waiting(&h, GateCode::G0).await;
    decide(&h, "s-01", Decision::Approve, Some("Strong niche")).await.unwrap();
    gate_waiting(&h, GateCode::G1).await;
    decide(&h, "s-01", Decision::Revise, Some("Focus on invoicing only")).await.unwrap();
    until(&h, "spec revision", |s| s.runs[0].gate == Some(GateCode::G1) && s.runs[0].revision == 1).await;
    let d = detail(&h, "s-01").await;
    let spec = std::fs::read_to_string(std::path::Path::new(&d.run.workspace).join("docs/spec.md")).unwrap();
    assert!(spec.contains("Focus on invoicing only"), "the revise note is in the prompt");
    assert!(spec.contains("Strong niche"), "earlier gate notes are in the prompt");
    assert!(spec.contains("## Market size"), "the research artifact is in the project memory");
    assert!(spec.contains("unpriced"), "a model missing from the price table is marked, not $0 silently");
    assert!(d.run.unpriced);
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revisions_are_capped_and_reject_ends_the_run() {
    let mut t = Harness::new();
    t.cfg.gates.max_revisions = 1;
    let h = t.start(true, false);
    new_run(&h, "A", None).await;
    gate_waiting(&h, GateCode::G0).await;
    decide(&h, "s-01", Decision::Revise, Some("again")).await.unwrap();
    until(&h, "G0.1", |s| s.runs[0].gate == Some(GateCode::G0) && s.runs[0].revision == 1).await;
    let err = decide(&h, "s-01", Decision::Revise, Some("once more")).await.unwrap_err();
    assert!(err.message.contains("cap of 1 revisions"), "{}", err.message);
    decide(&h, "s-01", Decision::Reject, Some("No market")).await.unwrap();
    let snap = until(&h, "rejection", |s| s.runs[0].status == RunStatus::Rejected).await;
    assert!(snap.gates.is_empty());
    let err = decide(&h, "s-01", Decision::Approve, None).await.unwrap_err();
    assert!(err.message.contains("no pending gate"), "{}", err.message);
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_policies_approve_by_quality_or_wait() {
    let mut t = Harness::new();
    t.cfg.gates.g0.policy = GatePolicy::Auto;
    t.cfg.gates.g1.policy = GatePolicy::AutoIfQuality(0.5);
    t.cfg.gates.g2.policy = GatePolicy::AutoIfQuality(1.01);
    let h = t.start(true, false);
    new_run(&h, "A", None).await;
    gate_waiting(&h, GateCode::G2).await;
    let d = detail(&h, "s-01").await;
    let by: Vec<_> = d.gates.iter().map(|g| (g.id.code, g.status, g.decided_by.clone())).collect();
    assert_eq!(by[0], (GateCode::G0, GateStatus::Approved, Some("policy: auto".into())));
    assert_eq!(by[1], (GateCode::G1, GateStatus::Approved, Some("policy: auto_if_quality >= 0.5".into())));
    assert_eq!(by[2], (GateCode::G2, GateStatus::Pending, None));
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runs_own_gate_policies_take_over_the_configs() {
    let mut t = Harness::new();
    t.cfg.gates.g1.policy = GatePolicy::Auto;
    let h = t.start(true, false);
    let new = NewRun {
        name: "A".into(),
        idea: "An idea".into(),
        gates: vec![(GateCode::G0, GatePolicy::Auto), (GateCode::G1, GatePolicy::Human)],
        ..NewRun::default()
    };
    h.request(Command::NewRun(new)).await.unwrap();
    new_run(&h, "B", None).await;
    until(&h, "A at G1 and B at G0", |s| {
        s.runs.len() == 2 && s.runs[0].gate == Some(GateCode::G1) && s.runs[1].gate == Some(GateCode::G0)
    })
    .await;
    let d = detail(&h, "s-01").await;
    assert_eq!(d.gates[0].decided_by.as_deref(), Some("policy: auto"), "the run's own G0 policy");
    assert_eq!(d.gates[1].status, GateStatus::Pending, "the run's G1 is a person's, though the config's is auto");
    let budget = NewRun {
        name: "C".into(),
        idea: "x".into(),
        gates: vec![(GateCode::Budget, GatePolicy::Auto)],
        ..NewRun::default()
    };
    let err = h.request(Command::NewRun(budget)).await.unwrap_err();
    assert!(err.message.contains("the budget gate has no policy"), "{}", err.message);
    h.shutdown().await.unwrap();
}

async fn review(h: &OrchestratorHandle, gate: &str) -> crate::orchestrator::ReviewData {
    match h.request(Command::Review { gate: gate.parse().unwrap() }).await.unwrap() {
        Reply::Review { review } => *review,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_carries_its_evidence_and_the_revision_before_it() {
    let t = Harness::new();
    let h = t.start(true, false);
    new_run(&h, "Ledgerly", None).await;
    gate_waiting(&h, GateCode::G0).await;
    let g0 = review(&h, "s-01.G0.0").await;
    let tabs: Vec<_> = g0.evidence.iter().map(|e| e.path.clone().unwrap()).collect();
    assert_eq!(tabs, ["docs/research.md", "docs/founder-fit.md"]);
    assert_eq!(g0.focus, 1, "the review opens on the gate's own artifact");
    assert!(g0.evidence[0].text.contains("Market"), "{}", g0.evidence[0].text);
    assert!(g0.previous.is_none());
    decide(&h, "s-01", Decision::Approve, None).await.unwrap();
    gate_waiting(&h, GateCode::G1).await;
    decide(&h, "s-01", Decision::Revise, Some("Narrow it to one persona")).await.unwrap();
    until(&h, "G1.1", |s| s.runs[0].gate == Some(GateCode::G1) && s.runs[0].revision == 1).await;
    let g1 = review(&h, "s-01.G1.1").await;
    let prev = g1.previous.expect("a revision shows the one before it");
    assert_eq!(
        (prev.revision, prev.note.as_deref(), prev.by.as_deref()),
        (0, Some("Narrow it to one persona"), Some("alice"))
    );
    assert!(prev.text.contains("revision 0") && g1.artifact.contains("revision 1"), "{}", prev.text);
    // Both revisions are kept on disk, and export lists them.
    let d = detail(&h, "s-01").await;
    let ws = std::path::Path::new(&d.run.workspace);
    for kept in ["docs/history/spec.r0.md", "docs/history/spec.r1.md", "docs/history/research.r0.md"] {
        assert!(ws.join(kept).is_file(), "{kept}");
    }
    let Reply::Export { data } = h.request(Command::Export { run: "s-01".parse().unwrap() }).await.unwrap() else {
        panic!()
    };
    let kept: Vec<_> = data.revisions.iter().map(|f| f.path.as_str()).collect();
    assert!(kept.contains(&"docs/history/spec.r1.md"), "{kept:?}");
    // The workspace can be listed and read, never outside it or through a link.
    let Reply::Files { files, .. } = h.request(Command::Files { run: "s-01".parse().unwrap() }).await.unwrap() else {
        panic!()
    };
    assert!(files.iter().any(|f| f.path == "docs/spec.md" && f.bytes > 0), "{files:?}");
    let Reply::File { file } =
        h.request(Command::ReadFile { run: "s-01".parse().unwrap(), path: "docs/spec.md".into() }).await.unwrap()
    else {
        panic!()
    };
    assert!(file.text.contains("revision 1") && !file.binary && !file.truncated);
    std::os::unix::fs::symlink("/etc/hostname", ws.join("docs/link.md")).unwrap();
    for bad in ["../../etc/hostname", "/etc/hostname", "docs/link.md"] {
        let err = h.request(Command::ReadFile { run: "s-01".parse().unwrap(), path: bad.into() }).await.unwrap_err();
        assert!(err.message.contains(&format!("s-01 has no readable file `{bad}`")), "{}", err.message);
    }
    std::fs::write(ws.join("docs/blob.bin"), [0u8, 1, 2, 255]).unwrap();
    let Reply::File { file } =
        h.request(Command::ReadFile { run: "s-01".parse().unwrap(), path: "docs/blob.bin".into() }).await.unwrap()
    else {
        panic!()
    };
    assert!(file.binary && file.text.is_empty() && file.bytes == 4);
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_gate_holds_the_call_until_the_budget_is_raised() {
    let t = Harness::new();
    let h = t.start(true, true);
    new_run(&h, "Tight", Some("0.02")).await;
    let snap = gate_waiting(&h, GateCode::Budget).await;
    let run = &snap.runs[0];
    assert!(
        run.cost_micros <= run.budget_micros,
        "never spends past the budget: {} > {}",
        run.cost_micros,
        run.budget_micros
    );
    assert!(alerts(&h).await.contains(&AlertKind::Budget100));
    // Too little, or no note: refused, nothing changes.
    let raise = |budget: &str, note: Option<&str>| Command::Decide {
        gate: "s-01".parse().unwrap(),
        decision: Decision::Approve,
        note: note.map(String::from),
        by: "alice".into(),
        budget_usd: Some(budget.into()),
    };
    let err = h.request(raise("0.01", Some("more"))).await.unwrap_err();
    assert!(err.message.contains("does not cover the held call"), "{}", err.message);
    let err = h.request(raise("5", None)).await.unwrap_err();
    assert!(err.message.contains("needs a note"), "{}", err.message);
    h.request(raise("5", Some("worth it"))).await.unwrap();
    until(&h, "completion", |s| s.runs[0].status == RunStatus::Completed).await;
    let d = detail(&h, "s-01").await;
    assert_eq!(d.run.budget_micros, 5_000_000);
    let budget_gate = d.gates.iter().find(|g| g.id.code == GateCode::Budget).unwrap();
    assert_eq!(budget_gate.budget.as_ref().unwrap().raised_to_micros, Some(5_000_000));
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_alerts_at_eighty_percent_and_the_daily_cap_gates() {
    let mut t = Harness::new();
    t.cfg.budget.alert_percent = 50;
    let h = t.start(true, true);
    // Enough for the phases before the build, whose tasks hold large worst cases (the code
    // they quote): the early alert fires, then the gate (the team's calls in flight may
    // cross the early mark after the gate opened).
    new_run(&h, "A", Some("0.08")).await;
    gate_waiting(&h, GateCode::Budget).await;
    let mut kinds = alerts(&h).await;
    kinds.sort_by_key(|k| k.as_str());
    assert_eq!(kinds, vec![AlertKind::Budget100, AlertKind::Budget80]);
    h.shutdown().await.unwrap();

    let mut t = Harness::new();
    t.cfg.budget.alert_percent = 50;
    t.cfg.budget.daily_cap_usd = 0.08;
    let h = t.start(true, true);
    new_run(&h, "B", None).await;
    gate_waiting(&h, GateCode::Budget).await;
    let mut kinds = alerts(&h).await;
    kinds.sort_by_key(|k| k.as_str());
    assert_eq!(kinds, vec![AlertKind::Daily100, AlertKind::Daily80]);
    let snap = h.snapshot();
    assert!(snap.spent_today_micros <= snap.daily_cap_micros);
    let d = detail(&h, "s-01").await;
    assert_eq!(d.gates.last().unwrap().budget.as_ref().unwrap().scope, "daily");
    // Cancelling at a budget gate ends the run.
    decide(&h, "s-01", Decision::Reject, Some("stop")).await.unwrap();
    until(&h, "cancel", |s| s.runs[0].status == RunStatus::Cancelled).await;
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_timeouts_and_stalls_raise_alerts_once() {
    let t = Harness::new();
    let h = t.start(true, false);
    new_run(&h, "A", None).await;
    gate_waiting(&h, GateCode::G0).await;
    t.advance(47 * 3_600_000);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert!(!alerts(&h).await.contains(&AlertKind::GateTimeout), "G0 waits 48 h before its alert");
    t.advance(2 * 3_600_000);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let kinds = alerts(&h).await;
    assert_eq!(kinds.iter().filter(|k| **k == AlertKind::GateTimeout).count(), 1, "{kinds:?}");
    h.shutdown().await.unwrap();

    let mut t = Harness::new();
    t.cfg.factory.stall_minutes = 1;
    t.cfg.sim.latency_ms = 600_000;
    let h = t.start(true, false);
    new_run(&h, "Slow", None).await;
    until(&h, "a call in flight", |s| s.in_flight == 1).await;
    t.advance(2 * 60_000);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let kinds = alerts(&h).await;
    assert_eq!(kinds.iter().filter(|k| **k == AlertKind::Stalled).count(), 1, "{kinds:?}");
    h.shutdown().await.unwrap();
}

async fn ack(h: &OrchestratorHandle, alerts: Vec<u64>) -> Result<String> {
    match h.request(Command::AckAlerts { alerts, by: "alice".into() }).await? {
        Reply::Done { message } => Ok(message),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_are_acknowledged_by_number_or_all_and_stay_acknowledged_after_a_restart() {
    let t = Harness::new();
    let h = t.start(true, false);
    new_run(&h, "A", None).await;
    new_run(&h, "B", None).await;
    gate_waiting(&h, GateCode::G0).await;
    t.advance(49 * 3_600_000);
    let snap = until(&h, "two timeout alerts", |s| s.alerts == 2).await;
    assert_eq!(snap.alerts_open, 2);
    let seqs: Vec<u64> = match h.request(Command::Alerts).await.unwrap() {
        Reply::Alerts { alerts, acks, .. } => {
            assert!(acks.is_empty());
            alerts.iter().map(|e| e.seq).collect()
        }
        other => panic!("{other:?}"),
    };
    let err = ack(&h, vec![seqs[0], 999_999]).await.unwrap_err();
    assert_eq!(err.kind, crate::error::ErrorKind::Usage);
    assert!(err.message.contains("#999999"), "{}", err.message);
    assert_eq!(h.snapshot().alerts_open, 2, "a refused acknowledgement changes nothing");
    assert_eq!(ack(&h, vec![seqs[0]]).await.unwrap(), "acknowledged 1 alert");
    assert_eq!(h.snapshot().alerts_open, 1, "the reply comes after the snapshot");
    assert_eq!(ack(&h, vec![seqs[0]]).await.unwrap(), "already acknowledged");
    assert_eq!(ack(&h, vec![]).await.unwrap(), "acknowledged 1 alert");
    assert_eq!(ack(&h, vec![]).await.unwrap(), "no open alerts to acknowledge");
    assert_eq!(h.snapshot().alerts_open, 0);
    h.shutdown().await.unwrap();

    let h = t.start(false, false);
    let snap = h.snapshot();
    assert_eq!((snap.alerts, snap.alerts_open), (2, 0), "acknowledgements are kept");
    match h.request(Command::Alerts).await.unwrap() {
        Reply::Alerts { acks, .. } => {
            assert_eq!(
                acks.iter().map(|a| (a.seq, a.by.as_str())).collect::<Vec<_>>(),
                [(seqs[0], "alice"), (seqs[1], "alice")]
            );
        }
        other => panic!("{other:?}"),
    }
    let events = match h.request(Command::Events { limit: 1000 }).await.unwrap() {
        Reply::Events { events } => events,
        other => panic!("{other:?}"),
    };
    let logged: Vec<String> =
        events.iter().filter(|e| e.kind.name() == "alerts_acknowledged").map(|e| e.kind.describe()).collect();
    assert_eq!(
        logged,
        [format!("alice acknowledged 1 alert: #{}", seqs[0]), format!("alice acknowledged 1 alert: #{}", seqs[1])]
    );
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_waits_are_learned_from_people_and_start_at_the_timeout() {
    let mut t = Harness::new();
    t.cfg.gates.g1.policy = crate::domain::GatePolicy::Auto;
    let h = t.start(true, false);
    let snap = h.snapshot();
    assert_eq!(snap.gate_wait_ms[0], t.cfg.gates.timeout_ms(GateCode::G0), "no history: the timeout");
    assert_eq!(snap.gate_auto, [false, true, false, false, false]);
    for name in ["A", "B", "C"] {
        new_run(&h, name, None).await;
    }
    gate_waiting(&h, GateCode::G0).await;
    for (run, minutes) in [("s-01", 10), ("s-02", 30), ("s-03", 20)] {
        t.advance(minutes * 60_000);
        decide(&h, run, Decision::Approve, None).await.unwrap();
    }
    // Waits of 10, 40 and 60 minutes (the clock ran on): the median is 40.
    assert_eq!(h.snapshot().gate_wait_ms[0], 40 * 60_000);
    h.shutdown().await.unwrap();
    let h = t.start(false, false);
    assert_eq!(h.snapshot().gate_wait_ms[0], 40 * 60_000, "learned again from the gates on disk");
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_cancel() {
    let mut t = Harness::new();
    t.cfg.sim.latency_ms = 30;
    let h = t.start(true, true);
    new_run(&h, "A", None).await;
    h.request(Command::Pause { run: "s-01".parse().unwrap() }).await.unwrap();
    until(&h, "pause", |s| s.runs[0].status == RunStatus::Paused && s.in_flight == 0).await;
    let before = h.snapshot().tasks_done;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(h.snapshot().tasks_done, before, "a paused run starts nothing");
    let err = h.request(Command::Pause { run: "s-01".parse().unwrap() }).await.unwrap_err();
    assert!(err.message.contains("only a live run can be paused"));
    h.request(Command::Resume { run: "s-01".parse().unwrap() }).await.unwrap();
    until(&h, "progress", |s| s.tasks_done > before).await;
    h.request(Command::Cancel { run: "s-01".parse().unwrap(), by: "bob".into() }).await.unwrap();
    until(&h, "cancel", |s| s.runs[0].status == RunStatus::Cancelled && s.idle).await;
    let err = h.request(Command::Resume { run: "s-01".parse().unwrap() }).await.unwrap_err();
    assert!(err.message.contains("only a paused or failed run"));
    let err = h.request(Command::Pause { run: "s-09".parse().unwrap() }).await.unwrap_err();
    assert!(err.message.contains("there is no run s-09"));
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_survives_a_restart_and_done_tasks_never_run_again() {
    let t = Harness::new();
    {
        let h = t.start(true, false);
        new_run(&h, "A", None).await;
        new_run(&h, "B", None).await;
        gate_waiting(&h, GateCode::G0).await;
        decide(&h, "s-01", Decision::Approve, Some("go")).await.unwrap();
        h.shutdown().await.unwrap();
    }
    {
        // Reopened without dispatch (as a CLI command would): same state.
        let h = t.start(false, false);
        let snap = h.snapshot();
        assert_eq!(snap.runs.len(), 2);
        assert_eq!(snap.runs[1].gate, Some(GateCode::G0));
        h.shutdown().await.unwrap();
    }
    let h = t.start(true, true);
    until(&h, "completion", |s| s.runs.iter().all(|r| r.status == RunStatus::Completed)).await;
    let events = match h.request(Command::Events { limit: 100_000 }).await.unwrap() {
        Reply::Events { events } => events,
        other => panic!("{other:?}"),
    };
    let mut done = std::collections::HashMap::new();
    for e in &events {
        if let EventKind::TaskDone { task, .. } = &e.kind {
            *done.entry(task.clone()).or_insert(0) += 1;
        }
    }
    assert!(done.len() > 20);
    assert!(done.values().all(|n| *n == 1), "a task ran twice: {done:?}");
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "event numbers run on across restarts");
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_new_runs_are_refused_with_reasons() {
    let t = Harness::new();
    let h = t.start(false, false);
    let cases = [
        (NewRun { name: "".into(), idea: "x".into(), ..NewRun::default() }, "run name"),
        (NewRun { name: "A".into(), idea: " ".into(), ..NewRun::default() }, "idea"),
        (
            NewRun { name: "A".into(), idea: "x".into(), template: Some("cobol".into()), ..NewRun::default() },
            "no template named `cobol`",
        ),
        (
            NewRun { name: "A".into(), idea: "x".into(), budget_usd: Some("lots".into()), ..NewRun::default() },
            "not a dollar amount",
        ),
        (
            NewRun { name: "A".into(), idea: "x".into(), budget_usd: Some("0".into()), ..NewRun::default() },
            "more than $0",
        ),
        (NewRun { name: "A".into(), idea: "x".into(), priority: Some(9), ..NewRun::default() }, "priority 9"),
    ];
    for (new, needle) in cases {
        let err = h.request(Command::NewRun(new)).await.unwrap_err();
        assert!(err.message.contains(needle), "{}", err.message);
        assert_eq!(err.exit_code(), 2);
    }
    assert!(h.snapshot().runs.is_empty(), "nothing was created");
    h.shutdown().await.unwrap();
}

/// Runs four runs to completion and returns the peaks seen: calls in flight overall, in
/// one run, and of one role of one run.
async fn peaks(global: u32, per_run: u32, per_role: u32) -> (u32, u32, u32) {
    let mut t = Harness::new();
    t.cfg.sim.latency_ms = 15;
    t.cfg.factory.max_concurrent_calls = global;
    t.cfg.factory.max_concurrent_per_run = per_run;
    t.cfg.team.max_per_role = per_role;
    let h = t.start(true, true);
    for k in 0..4 {
        new_run(&h, &format!("Run {k}"), None).await;
    }
    let mut rx = h.watch();
    let (mut peak_global, mut peak_run, mut peak_role) = (0, 0, 0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let snap = Arc::clone(&rx.borrow_and_update());
        peak_global = peak_global.max(snap.in_flight);
        for r in &snap.runs {
            peak_run = peak_run.max(r.in_flight);
            peak_role = peak_role.max(r.team.iter().map(|x| x.running).max().unwrap_or(0));
        }
        if snap.runs.iter().all(|r| r.status == RunStatus::Completed) {
            break;
        }
        assert!(tokio::time::timeout_at(deadline, rx.changed()).await.is_ok(), "runs did not complete");
    }
    h.shutdown().await.unwrap();
    (peak_global, peak_run, peak_role)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_hold_globally_per_run_and_per_role() {
    let (global, run, role) = peaks(5, 3, 1).await;
    assert_eq!(global, 5, "the global limit is reached, never passed");
    assert!(run <= 3, "{run}");
    assert_eq!(role, 1, "one task per role at a time");
    let (global, run, role) = peaks(16, 2, 3).await;
    assert!(global <= 8, "four runs of at most two: {global}");
    assert_eq!(run, 2, "the per-run limit is reached, never passed");
    assert!(role <= 2, "{role}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_that_stays_invalid_falls_back_to_the_template_plan() {
    let mut t = Harness::new();
    t.cfg.providers.insert(
        "garbage".into(),
        ProviderConfig {
            kind: Some(ProviderKind::Cli),
            command: Some(vec!["echo".into(), "no plan today".into()]),
            model: Some("sim-standard".into()),
            ..Default::default()
        },
    );
    t.cfg.routing.chains.insert("plan".into(), vec!["garbage".into()]);
    let h = t.start(true, true);
    new_run(&h, "A", None).await;
    until(&h, "completion", |s| s.runs[0].status == RunStatus::Completed).await;
    let d = detail(&h, "s-01").await;
    assert_eq!(d.run.plan_source.as_deref(), Some("template"));
    let plan = d.tasks.iter().find(|t| t.kind == crate::domain::TaskKind::Plan).unwrap();
    assert_eq!(plan.attempts, t.cfg.team.max_plan_attempts);
    assert_eq!(plan.result.as_ref().unwrap().ledger.calls, 3, "every attempt was paid for and recorded");
    let template = crate::templates::find("neoforge").unwrap();
    let team = d.tasks.iter().filter(|t| t.kind == crate::domain::TaskKind::Team).count();
    assert_eq!(team, template.manifest.plan.len());
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_keeps_failing_opens_its_circuit_and_alerts() {
    let mut t = Harness::new();
    t.cfg.sim.failure_rate = 1.0;
    t.cfg.retry.base_delay_ms = 1;
    t.cfg.retry.max_delay_ms = 2;
    t.cfg.retry.max_attempts = 4;
    let h = t.start(true, true);
    for k in 0..3 {
        new_run(&h, &format!("Run {k}"), None).await;
    }
    // The runs fail too, each with its alert, before or after the circuit opens.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !alerts(&h).await.contains(&AlertKind::CircuitOpen) {
        assert!(std::time::Instant::now() < deadline, "no circuit alert: {:?}", alerts(&h).await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let kinds = alerts(&h).await;
    assert_eq!(kinds.iter().filter(|k| **k == AlertKind::CircuitOpen).count(), 1, "{kinds:?}");
    assert!(kinds.iter().all(|k| matches!(k, AlertKind::CircuitOpen | AlertKind::RunFailed)), "{kinds:?}");
    let snap = h.snapshot();
    assert_eq!(snap.providers[0].circuit, crate::orchestrator::CircuitState::Open);
    assert!(snap.providers[0].errors >= 10);
    h.shutdown().await.unwrap();
}

async fn template_infos(h: &OrchestratorHandle) -> Vec<crate::templates::TemplateInfo> {
    match h.request(Command::Templates).await.unwrap() {
        Reply::Templates { templates, .. } => templates,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_recorded_without_a_template_version_or_ports_get_them_at_load() {
    let t = Harness::new();
    let h = t.start(false, false);
    new_run(&h, "A", None).await;
    new_run(&h, "B", None).await;
    assert_eq!(detail(&h, "s-02").await.run.ports["backend"], 8020);
    h.shutdown().await.unwrap();
    {
        // As an older factory wrote them: no version, no ports.
        let store = crate::store::Store::open(&t.dir.path().join("data"), 1).unwrap();
        let mut w = crate::store::Writes::default();
        for mut run in store.load().unwrap().runs {
            run.template_version = None;
            run.ports.clear();
            w.run(&run);
        }
        store.commit(&w).unwrap();
        store.flush().unwrap();
    }
    let h = t.start(false, false);
    for (id, backend) in [("s-01", 8010), ("s-02", 8020)] {
        let run = detail(&h, id).await.run;
        assert_eq!(run.template_version.as_deref(), Some("1.0.0"));
        assert_eq!((run.ports["backend"], run.ports["frontend"]), (backend, backend - 8000 + 5173));
    }
    h.shutdown().await.unwrap();
    let h = t.start(false, false);
    assert_eq!(detail(&h, "s-01").await.run.template_version.as_deref(), Some("1.0.0"), "written back");
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_is_rated_by_its_runs_approved_at_g3() {
    let t = Harness::new();
    let h = t.start(true, false);
    for name in ["A", "B", "C"] {
        new_run(&h, name, None).await;
    }
    gate_waiting(&h, GateCode::G0).await;
    decide(&h, "s-03", Decision::Reject, Some("no market")).await.unwrap();
    let neo = template_infos(&h).await.into_iter().find(|i| i.name == "neoforge").unwrap();
    assert_eq!((neo.runs, neo.live_runs, neo.finished_runs, neo.rating), (3, 2, 1, None), "no run reached G3");
    assert_eq!((neo.gates[0].reached, neo.gates[0].approved), (3, 0));
    for code in [GateCode::G0, GateCode::G1, GateCode::G2, GateCode::G3] {
        until(&h, &format!("{code} on s-01 and s-02"), |s| s.runs[..2].iter().all(|r| r.gate == Some(code))).await;
        decide(&h, &format!("s-01.{code}"), Decision::Approve, None).await.unwrap();
        if code != GateCode::G3 {
            decide(&h, &format!("s-02.{code}"), Decision::Approve, None).await.unwrap();
        }
    }
    decide(&h, "s-02.G3", Decision::Reject, Some("not ready")).await.unwrap();
    until(&h, "s-01 completed", |s| s.runs[0].status == RunStatus::Completed).await;
    let neo = template_infos(&h).await.into_iter().find(|i| i.name == "neoforge").unwrap();
    assert_eq!((neo.runs, neo.live_runs, neo.finished_runs), (3, 0, 3));
    assert_eq!(neo.rating, Some(0.5), "a person approved one of the two runs that reached G3");
    assert_eq!(neo.auto_approved_g3, 0);
    let approvals: Vec<(u32, u32)> = neo.gates.iter().map(|g| (g.reached, g.approved)).collect();
    assert_eq!(approvals, [(3, 2), (2, 2), (2, 2), (2, 1)]);
}

/// A run approved at G3 automatically is shown apart, not rated: no person judged it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_g3_approvals_are_shown_apart_and_not_rated() {
    let t = Harness::new();
    let h = t.start(true, true);
    new_run(&h, "Auto", None).await;
    until(&h, "completion", |s| s.runs[0].status == RunStatus::Completed).await;
    let neo = template_infos(&h).await.into_iter().find(|i| i.name == "neoforge").unwrap();
    assert_eq!(neo.rating, None, "an automatic approval is not a person's");
    assert_eq!((neo.finished_runs, neo.auto_approved_g3, neo.gates[3].approved), (1, 1, 1));
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outputs_and_peoples_gate_decisions_feed_the_persisted_quality_scores() {
    let t = Harness::new();
    let h = t.start(true, false);
    new_run(&h, "Scored", None).await;
    gate_waiting(&h, GateCode::G0).await;
    decide(&h, "s-01", Decision::Approve, Some("good niche")).await.unwrap();
    gate_waiting(&h, GateCode::G1).await;
    decide(&h, "s-01", Decision::Revise, Some("tighter scope")).await.unwrap();
    until(&h, "the revised spec", |s| s.runs[0].gate == Some(GateCode::G1) && s.runs[0].revision == 1).await;
    decide(&h, "s-01", Decision::Reject, Some("no")).await.unwrap();
    h.shutdown().await.unwrap();
    let store = crate::store::Store::open(&t.dir.path().join("data"), 1).unwrap();
    let book = crate::providers::quality::QualityBook::open(Some(store.quality_tree().clone()));
    let research = book.get("sim", "research").unwrap();
    assert_eq!(research.outputs, 1, "every output's checks are scored");
    let fit = book.get("sim", "founder_fit").unwrap();
    assert_eq!((fit.outputs, fit.approvals), (1, 1), "G0 reviews the founder-fit artifact");
    let spec = book.get("sim", "spec").unwrap();
    assert_eq!((spec.outputs, spec.revisions, spec.rejections), (2, 1, 1));
    assert!(spec.quality() < fit.quality(), "revise and reject lower the score");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_approvals_teach_the_router_nothing() {
    let t = Harness::new();
    let h = t.start(true, true);
    new_run(&h, "Auto", None).await;
    until(&h, "completion", |s| s.runs[0].status == RunStatus::Completed).await;
    h.shutdown().await.unwrap();
    let store = crate::store::Store::open(&t.dir.path().join("data"), 1).unwrap();
    let book = crate::providers::quality::QualityBook::open(Some(store.quality_tree().clone()));
    let all = book.all();
    assert!(all.iter().all(|(_, _, r)| r.approvals == 0), "{all:?}");
    assert!(all.iter().any(|(_, route, r)| route == "build" && r.outputs > 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_answer_is_asked_again_on_resume_not_replayed_from_the_cache() {
    let mut t = Harness::new();
    let calls = t.dir.path().join("calls");
    let script = format!(
        "echo call >> '{}'; cat >/dev/null; printf '### File: ../../../escaped.txt\\n```text\\npwned\\n```\\n'",
        calls.display()
    );
    t.build_with_script("careless", script);
    let h = t.start(true, true);
    new_run(&h, "Careless", None).await;
    until(&h, "the failure", |s| s.runs[0].status == RunStatus::Failed).await;
    let first = std::fs::read_to_string(&calls).unwrap().lines().count();
    let failed_tasks = |d: &RunDetail| d.tasks.iter().filter(|t| t.status == crate::domain::TaskStatus::Failed).count();
    assert_eq!(failed_tasks(&detail(&h, "s-01").await), 1);
    h.request(Command::Resume { run: "s-01".parse().unwrap() }).await.unwrap();
    // Resumed, the task runs again and fails again; the tool must have been asked again.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let d = detail(&h, "s-01").await;
        if d.run.status == RunStatus::Failed && failed_tasks(&d) == 1 && d.run.failure.is_some() {
            let second = std::fs::read_to_string(&calls).unwrap().lines().count();
            if second > first {
                break;
            }
        }
        assert!(std::time::Instant::now() < deadline, "the resumed task never asked the tool again");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let events = match h.request(Command::Events { limit: 10_000 }).await.unwrap() {
        Reply::Events { events } => events,
        other => panic!("{other:?}"),
    };
    let failed = events.iter().filter(|e| matches!(e.kind, EventKind::TaskFailed { .. })).count();
    assert_eq!(failed, 2, "failed, resumed, failed again on a fresh answer");
    // Both refused answers were paid for, and both are in the ledger.
    let d = detail(&h, "s-01").await;
    let refused = d.tasks.iter().find(|t| t.status == crate::domain::TaskStatus::Failed).unwrap();
    let ledger = &refused.result.as_ref().expect("the paid answers are recorded").ledger;
    assert_eq!(ledger.calls, 2);
    assert!(ledger.cost_micros > 0);
    let tasks_cost: u64 = d.tasks.iter().filter_map(|t| t.result.as_ref()).map(|r| r.ledger.cost_micros).sum();
    assert_eq!(d.run.ledger.cost_micros, tasks_cost, "the run's cost is the sum of what its tasks paid");
    h.shutdown().await.unwrap();
}

#[tokio::test]
async fn commands_sent_together_are_applied_in_order() {
    let t = Harness::new();
    let h = t.start(false, false);
    let new = |name: &str| NewRun { name: name.into(), idea: "An idea".into(), ..NewRun::default() };
    let names: Vec<String> = (1..=20).map(|k| format!("Run {k}")).collect();
    let replies = h.request_all(names.iter().map(|n| Command::NewRun(new(n)))).await.unwrap();
    let ids: Vec<String> = replies
        .into_iter()
        .map(|r| match r {
            Reply::Created { id } => id,
            other => panic!("{other:?}"),
        })
        .collect();
    let expected: Vec<String> = (1..=20).map(|n| crate::domain::RunId(n).to_string()).collect();
    assert_eq!(ids, expected);
    let snap = h.snapshot();
    assert_eq!(snap.runs.iter().map(|r| r.name.clone()).collect::<Vec<_>>(), names);
    // The first refusal is the answer; the commands before it stand.
    let bad = NewRun { name: String::new(), ..new("x") };
    let err = h.request_all([Command::NewRun(new("Run 21")), Command::NewRun(bad)]).await.unwrap_err();
    assert_eq!(err.exit_code(), 2, "{}", err.message);
    assert_eq!(h.snapshot().runs.len(), 21);
    h.shutdown().await.unwrap();
}

#[tokio::test]
async fn tasks_never_started_are_there_after_a_restart() {
    let t = Harness::new();
    let h = t.start(false, false);
    let live = new_run(&h, "Alpha", None).await;
    let ended = new_run(&h, "Beta", None).await;
    h.request(Command::Cancel { run: ended.parse().unwrap(), by: "bob".into() }).await.unwrap();
    h.shutdown().await.unwrap();
    // Alpha's task was never written, and is made again; Beta's was written as it ended.
    let h = t.start(false, false);
    for id in [&live, &ended] {
        match h.request(Command::Status { run: Some(id.parse().unwrap()) }).await.unwrap() {
            Reply::Run { detail } => {
                let tasks: Vec<String> = detail.tasks.iter().map(|t| t.id.clone()).collect();
                assert_eq!(tasks, vec![format!("{id}.research.r0")]);
            }
            other => panic!("{other:?}"),
        }
    }
    h.shutdown().await.unwrap();
    let h = t.start(true, true);
    until(&h, "Alpha completes", |s| s.runs[0].status == RunStatus::Completed).await;
    assert_eq!(h.snapshot().runs[1].status, RunStatus::Cancelled);
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_resumed_after_a_restart_tries_its_failed_task_again() {
    let mut t = Harness::new();
    let calls = t.dir.path().join("calls");
    // The first build call's answer is refused (a path out of the workspace), which fails
    // the task and the run; later calls answer with notes only.
    let script = format!(
        "echo call >> '{c}'; cat >/dev/null; if [ $(wc -l < '{c}') -le 1 ]; then printf '### File: ../x.txt\\n```text\\nx\\n```\\n'; else printf '## Notes\\nnothing to write\\n'; fi",
        c = calls.display()
    );
    t.build_with_script("flaky", script);
    let h = t.start(true, true);
    new_run(&h, "Flaky", None).await;
    until(&h, "the failure", |s| s.runs[0].status == RunStatus::Failed).await;
    h.shutdown().await.unwrap();
    // After a restart the failed run's tasks are in the store only.
    let h = t.start(true, true);
    h.request(Command::Resume { run: "s-01".parse().unwrap() }).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&calls).unwrap().lines().count() < 2 {
        assert!(std::time::Instant::now() < deadline, "the failed task was not tried again");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    h.shutdown().await.unwrap();
}

async fn all_events(h: &OrchestratorHandle) -> Vec<crate::domain::Event> {
    match h.request(Command::Events { limit: 10_000 }).await.unwrap() {
        Reply::Events { events } => events,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_writing_files_outside_its_task_is_refused_and_asked_again_with_the_reason() {
    let mut t = Harness::new();
    let prompts = t.dir.path().join("prompts");
    std::fs::create_dir_all(&prompts).unwrap();
    // The first build call (the first team task runs alone) writes a file no task lists;
    // later calls write nothing.
    let script = format!(
        "n=$(ls '{p}' | wc -l); cat > '{p}/prompt-'$n; if [ $n -eq 0 ]; then printf '### File: stray.py\\n```python\\nx = 1\\n```\\n'; else printf '## Notes\\nnothing to write\\n'; fi",
        p = prompts.display()
    );
    t.build_with_script("stray", script);
    let h = t.start(true, true);
    new_run(&h, "Stray", None).await;
    until(&h, "completion", |s| s.runs[0].status == RunStatus::Completed).await;
    let refused: Vec<_> = all_events(&h)
        .await
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::AnswerRefused { task, reason, retry } => Some((task, reason, retry)),
            _ => None,
        })
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    let (task, reason, retry) = &refused[0];
    assert!(task.ends_with(".build.data-models") && *retry, "{refused:?}");
    assert!(reason.contains("stray.py") && reason.contains("does not list"), "{reason}");
    // The task was asked again with the refusal in its prompt, and the stray file is nowhere.
    let again = std::fs::read_to_string(prompts.join("prompt-1")).unwrap();
    assert!(again.contains("## Your previous answer was refused") && again.contains("stray.py"), "{again}");
    let d = detail(&h, "s-01").await;
    assert!(!std::path::Path::new(&d.run.workspace).join("app/stray.py").exists());
    let task = d.tasks.iter().find(|t| t.id.ends_with(".build.data-models")).unwrap();
    assert_eq!(task.result.as_ref().unwrap().ledger.calls, 2, "the refused answer was paid for too");
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_quality_verdict_holds_the_release_gate_for_a_person() {
    let mut t = Harness::new();
    t.cfg.providers.insert(
        "strict".into(),
        ProviderConfig {
            kind: Some(ProviderKind::Cli),
            command: Some(vec![
                "sh".into(),
                "-c".into(),
                "cat >/dev/null; printf '## OWASP top 10\\nA01 broken access control: any user reads any item.\\n\\n## Error handling\\nErrors leak stack traces to the client on every failure.\\n\\n## Test gaps\\nNo test covers another user reading an item by id.\\n\\n## Verdict\\n\\nVerdict: FAIL\\n- fix access control before release\\n'".into(),
            ]),
            model: Some("sim-standard".into()),
            ..Default::default()
        },
    );
    t.cfg.routing.chains.insert("quality".into(), vec!["strict".into()]);
    // Even --auto-approve and an `auto` policy do not pass it.
    t.cfg.gates.g3.policy = GatePolicy::Auto;
    let h = t.start(true, true);
    new_run(&h, "Strict", None).await;
    gate_waiting(&h, GateCode::G3).await;
    let d = detail(&h, "s-01").await;
    assert_eq!(d.run.verdict.as_deref(), Some("FAIL"));
    assert_eq!(d.run.status, RunStatus::AwaitingGate);
    let snap = h.snapshot();
    assert_eq!(snap.runs[0].automation_blocked.as_deref(), Some("the quality review's verdict is FAIL"));
    let withheld = all_events(&h)
        .await
        .into_iter()
        .any(|e| matches!(e.kind, EventKind::AutoApprovalWithheld { ref reason, .. } if reason.contains("FAIL")));
    assert!(withheld, "the held gate says why");
    // A person may still approve it.
    decide(&h, "s-01", Decision::Approve, Some("accepted risk")).await.unwrap();
    until(&h, "completion", |s| s.runs[0].status == RunStatus::Completed).await;
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_refused_at_its_third_file_writes_none_of_them() {
    let mut t = Harness::new();
    // The first team task's three files; the third is over the size limit.
    let script = "cat >/dev/null; printf '### File: backend/app/db.py\\n```python\\nx = 1\\n```\\n### File: backend/app/models.py\\n```python\\ny = 2\\n```\\n### File: backend/app/schemas.py\\n```python\\n'; head -c 1100000 /dev/zero | tr '\\0' a; printf '\\n```\\n'".to_string();
    t.build_with_script("bulky", script);
    let h = t.start(true, true);
    new_run(&h, "Bulky", None).await;
    until(&h, "the failure", |s| s.runs[0].status == RunStatus::Failed).await;
    let d = detail(&h, "s-01").await;
    assert!(d.run.failure.as_deref().unwrap_or("").contains("schemas.py"), "{:?}", d.run.failure);
    let app = std::path::Path::new(&d.run.workspace).join("app/backend/app");
    assert!(app.join("main.py").exists(), "the scaffold is there");
    for f in ["db.py", "models.py", "schemas.py"] {
        assert!(!app.join(f).exists(), "{f} was written by a refused answer");
    }
    h.shutdown().await.unwrap();
}

#[test]
fn a_reused_answer_adds_no_priced_tokens_and_estimated_ones_are_counted() {
    use super::dispatch::ledger_of;
    use super::worker::AnswerMeta;
    use crate::providers::{Prices, Usage};
    let prices = Prices::builtin();
    let usage = Usage { input: 1_000, output: 200, cached_input: 100, estimated: false };
    let priced = |l: &crate::domain::Ledger| {
        prices.cost(
            "gpt-4o-mini",
            &Usage { input: l.tokens_in, output: l.tokens_out, cached_input: l.tokens_cached, estimated: false },
        )
    };
    // Paid for by another task: it costs nothing now, so its tokens are counted apart.
    let reused = AnswerMeta { model: "gpt-4o-mini".into(), usage, cached: true, reused: true, ..AnswerMeta::default() };
    let l = ledger_of(&reused);
    assert_eq!(priced(&l), Some(l.cost_micros), "tokens x price = cost: {l:?}");
    assert_eq!(l.tokens_reused, 1_300);
    let paid = AnswerMeta { usage, cost_micros: prices.cost("gpt-4o-mini", &usage).unwrap(), ..reused.clone() };
    let paid = AnswerMeta { reused: false, cached: false, ..paid };
    let l = ledger_of(&paid);
    assert_eq!(priced(&l), Some(l.cost_micros));
    assert!(!l.estimated());
    let guessed = AnswerMeta { usage: Usage { estimated: true, ..usage }, ..paid };
    assert!(ledger_of(&guessed).estimated(), "estimated tokens mark the ledger");
}
