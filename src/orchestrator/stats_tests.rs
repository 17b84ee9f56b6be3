//! `Command::Stats` through the orchestrator's handle, on a clock the test moves: figures from
//! the log and the runs, caught up as events come, windows, and a restart.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::config::Config;
use crate::domain::{Decision, GateCode, GatePolicy, RunStatus};
use crate::orchestrator::{Command, NewRun, Options, OrchestratorHandle, Reply, Snapshot, start};
use crate::stats::Stats;

const START: u64 = 1_800_000_000_000;
const HOUR: u64 = 3_600_000;

struct Harness {
    dir: tempfile::TempDir,
    clock: Arc<AtomicU64>,
    cfg: Config,
}

impl Harness {
    fn new() -> Self {
        let mut cfg = Config::default();
        cfg.sim.latency_ms = 0;
        cfg.checks.enabled = false;
        // G1 and G2 pass on their own; G0 and G3 wait for a person.
        cfg.gates.g1.policy = GatePolicy::Auto;
        cfg.gates.g2.policy = GatePolicy::Auto;
        Harness { dir: tempfile::tempdir().unwrap(), clock: Arc::new(AtomicU64::new(START)), cfg }
    }

    fn start(&self, dispatch: bool) -> OrchestratorHandle {
        let mut opts = Options::new(self.dir.path().join("data"));
        opts.dispatch = dispatch;
        opts.grace_ms = 200;
        let clock = Arc::clone(&self.clock);
        start(Arc::new(self.cfg.clone()), opts, Arc::new(move || clock.load(Ordering::SeqCst))).unwrap()
    }

    fn advance(&self, ms: u64) {
        self.clock.fetch_add(ms, Ordering::SeqCst);
    }
}

async fn stats(h: &OrchestratorHandle, since: Option<u32>) -> Stats {
    match h.request(Command::Stats { since }).await.unwrap() {
        Reply::Stats { stats } => *stats,
        other => panic!("{other:?}"),
    }
}

async fn until(h: &OrchestratorHandle, what: &str, cond: impl Fn(&Snapshot) -> bool) {
    let mut rx = h.watch();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !cond(&rx.borrow_and_update()) {
        if tokio::time::timeout_at(deadline, rx.changed()).await.is_err() {
            panic!("timed out waiting for {what}");
        }
    }
}

async fn decide(h: &OrchestratorHandle, run: &str, decision: Decision) {
    let note = (decision != Decision::Approve).then(|| "not yet".to_string());
    let cmd = Command::Decide { gate: run.parse().unwrap(), decision, note, by: "alice".into(), budget_usd: None };
    h.request(cmd).await.unwrap();
}

async fn new_run(h: &OrchestratorHandle, name: &str, template: &str) {
    let new =
        NewRun { name: name.into(), idea: "An idea".into(), template: Some(template.into()), ..NewRun::default() };
    h.request(Command::NewRun(new)).await.unwrap();
}

fn at_gate(s: &Snapshot, run: usize, code: GateCode) -> bool {
    s.runs.get(run).is_some_and(|r| r.gate == Some(code))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_follow_the_runs_and_their_gates() {
    let t = Harness::new();
    let h = t.start(true);
    let empty = stats(&h, None).await;
    assert!(empty.is_empty() && empty.success_rate.is_none() && empty.days.is_empty(), "{empty:?}");
    let err = h.request(Command::Stats { since: Some(0) }).await.unwrap_err();
    assert!(err.message.contains("out of range"), "{}", err.message);

    new_run(&h, "A", "neoforge").await;
    new_run(&h, "B", "pythonml").await;
    until(&h, "both at G0", |s| at_gate(s, 0, GateCode::G0) && at_gate(s, 1, GateCode::G0)).await;
    // A waits an hour for its G0, then two more for its release; B is rejected at G0.
    t.advance(HOUR);
    decide(&h, "s-01", Decision::Approve).await;
    decide(&h, "s-02", Decision::Reject).await;
    until(&h, "A at G3", |s| at_gate(s, 0, GateCode::G3)).await;
    let midway = stats(&h, None).await;
    assert_eq!((midway.runs.started, midway.runs.live, midway.runs.rejected), (2, 1, 1));
    assert_eq!(midway.success_rate, Some(0.0), "one run ended, rejected");
    t.advance(2 * HOUR);
    decide(&h, "s-01", Decision::Approve).await;
    until(&h, "A completed", |s| s.runs[0].status == RunStatus::Completed).await;

    let s = stats(&h, Some(7)).await;
    assert_eq!((s.runs.started, s.runs.completed, s.runs.rejected, s.runs.live), (2, 1, 1, 0));
    assert_eq!(s.runs.rejected_at.get("G0"), Some(&1));
    assert_eq!(s.success_rate, Some(0.5));
    // Machine time is zero on a clock that only the test moves: all of it was waiting.
    assert_eq!(s.time_to_mvp_ms.p50, Some(3 * HOUR));
    assert_eq!((s.time_to_mvp_ms.waiting_p50, s.time_to_mvp_ms.machine_p50), (Some(3 * HOUR), Some(0)));
    let detail = match h.request(Command::Status { run: Some("s-01".parse().unwrap()) }).await.unwrap() {
        Reply::Run { detail } => detail,
        other => panic!("{other:?}"),
    };
    assert_eq!(s.cost_per_mvp_micros.p50, Some(detail.run.ledger.cost_micros));
    let by_phase: u64 = s.cost_by_phase_micros.iter().map(|p| p.cost_micros).sum();
    let spent: u64 = s.templates.iter().map(|t| t.cost_micros).sum();
    assert!(by_phase > 0 && by_phase <= spent, "{by_phase} of {spent}");
    let g0 = &s.gates[0];
    assert_eq!((g0.decided, g0.approved, g0.rejected, g0.automated_share), (2, 1, 1, Some(0.0)));
    assert_eq!((g0.wait_ms_p50, g0.wait_ms_p90), (Some(HOUR), Some(HOUR)));
    assert_eq!((s.gates[1].automated_share, s.gates[1].wait_ms_p50), (Some(1.0), None), "G1 passed on its own");
    assert_eq!(s.gates[3].wait_ms_p50, Some(2 * HOUR));
    assert_eq!(s.automated_share, Some(2.0 / 5.0), "G1 and G2 of five decisions");
    let names: Vec<&str> = s.templates.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["neoforge", "pythonml"]);
    assert_eq!((s.templates[0].success_rate, s.templates[1].success_rate), (Some(1.0), Some(0.0)));
    assert_eq!(s.templates[0].approvals["G3"], 1);
    let sim = s.providers.iter().find(|p| p.name == "sim").expect("the simulated provider answered");
    assert!(sim.calls > 0 && sim.cost_micros > 0 && sim.p50_ms.is_some(), "{sim:?}");
    assert!(!sim.quality.is_empty(), "scores learned per task kind: {sim:?}");
    assert_eq!(s.days.len(), 7);
    assert_eq!(s.days.last().map(|d| d.started), Some(2));

    // Ten days on, the week holds nothing; all time still holds both, also after a restart.
    t.advance(10 * 24 * HOUR);
    let later = stats(&h, Some(7)).await;
    assert_eq!((later.runs.started, later.success_rate, later.gates[0].decided), (0, None, 0));
    h.shutdown().await.unwrap();
    let h = t.start(false);
    let again = stats(&h, None).await;
    assert_eq!(again.runs, s.runs);
    assert_eq!((again.time_to_mvp_ms, again.gates), (s.time_to_mvp_ms, s.gates));
    h.shutdown().await.unwrap();
}
