//! `factory bench startup`: a new process opens a data directory of 1,000 runs and 100,000
//! events written by another, its files evicted from the page cache first where the
//! machine allows it, and draws the control room's first frame (store, state, the latest
//! events and alerts, snapshot, a 200x50 frame).

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::util::{Scratch, percentile};
use crate::config::Config;
use crate::config::keys::Keymap;
use crate::domain::{
    AgentRole, Decision, Event, EventKind, Gate, GateCode, GateId, GateStatus, Ledger, Phase, PhaseSpan, Review, Run,
    RunId, RunStatus, Task, TaskKind, TaskResult, TaskStatus,
};
use crate::error::Result;
use crate::orchestrator::{self, Options};
use crate::store::{Store, Writes};
use crate::tui::app::App;
use crate::tui::terminal::Term;
use crate::tui::theme::{ColorMode, Theme};

#[derive(Debug, Serialize)]
pub struct StartupFigures {
    pub runs: u32,
    pub live_runs: u32,
    pub events: u64,
    pub store_mib: f64,
    pub repeats: usize,
    /// Open to first frame inside the new process, milliseconds: the frame saved at the
    /// last clean stop when there was one (every open but the first), else the live one.
    pub first_frame_p50_ms: f64,
    pub first_frame_max_ms: f64,
    /// Open to the first frame of the live state (store opened, state loaded).
    pub live_frame_p50_ms: f64,
    pub live_frame_max_ms: f64,
    /// How many of the opens first drew a saved frame.
    pub saved_frames: usize,
    /// From spawning the process to its first frame (exec and runtime start included).
    pub spawn_to_frame_p50_ms: Option<f64>,
    /// `cold` (the store's files were evicted from the page cache before each open),
    /// `warm` (they could not be), or `in-process` (no binary to spawn: a unit test).
    pub cache: String,
}

/// The variable naming the data directory a child process opens (`bench startup` spawns
/// `factory bench startup-child`).
pub const CHILD_DIR: &str = "FACTORY_BENCH_STARTUP_DIR";

const T0: u64 = 1_800_000_000_000;

fn run_record(n: u32, live: bool) -> Run {
    let phases = Phase::ALL
        .iter()
        .take(if live { 5 } else { 7 })
        .map(|p| PhaseSpan {
            phase: Some(*p),
            revision: 0,
            started_at: T0 + p.index() as u64 * 1000,
            finished_at: (!live || *p != Phase::Build).then_some(T0 + p.index() as u64 * 1000 + 900),
            ledger: Ledger { cost_micros: 5_000, tokens_in: 3_000, tokens_out: 500, calls: 1, ..Ledger::default() },
            provider: Some("sim".into()),
            model: Some("sim-standard".into()),
            quality: Some(0.95),
        })
        .collect();
    Run {
        id: RunId(n),
        name: format!("Startup {n}"),
        idea: "Bookkeeping for freelancers that reconciles bank feeds and files quarterly taxes".into(),
        template: "neoforge".into(),
        priority: (n % 4) as u8 + 1,
        budget_micros: 5_000_000,
        status: if live { RunStatus::Running } else { RunStatus::Completed },
        phase: if live { Phase::Build } else { Phase::Deploy },
        revision: 0,
        gate: None,
        ledger: Ledger { cost_micros: 60_000, tokens_in: 40_000, tokens_out: 5_000, calls: 16, ..Ledger::default() },
        simulated: true,
        unpriced: false,
        created_at: T0,
        updated_at: T0 + 9_000,
        last_progress_at: T0 + 9_000,
        phases,
        budget_alerted: false,
        stall_alerted: false,
        failure: None,
        plan_source: Some("provider".into()),
        workspace: format!("/nonexistent/workspaces/s-{n:02}"),
        template_version: Some("1.0.0".into()),
        ports: [("backend".to_string(), 8000 + n as u16 % 1000 * 10)].into_iter().collect(),
        // A finished build's round of checks, each with an output tail, as a real run has.
        checks: ["syntax", "backend-venv", "backend-install", "backend-compile", "backend-tests"]
            .iter()
            .map(|name| crate::domain::CheckResult {
                name: name.to_string(),
                status: crate::domain::CheckStatus::Passed,
                duration_ms: 1_500,
                tests_passed: (*name == "backend-tests").then_some(14),
                tests_failed: (*name == "backend-tests").then_some(0),
                output_tail: "..............                                                           [100%]\n14 passed in 1.52s\n".repeat(3),
                reason: None,
            })
            .collect(),
        repair_rounds: 0,
        checks_failing: false,
        verdict: Some("PASS".into()),
        gate_policies: Vec::new(),
    }
}

fn tasks(run: RunId) -> Vec<Task> {
    let plan = Task {
        id: format!("{run}.build.plan"),
        kind: TaskKind::Plan,
        role: AgentRole::Orchestrator,
        title: "Plan the build".into(),
        depends_on: Vec::new(),
        files: Vec::new(),
        status: TaskStatus::Done,
        created_at: T0 - 1,
        ..team_task(run, 0)
    };
    std::iter::once(plan).chain((0..17).map(|k| team_task(run, k))).collect()
}

fn team_task(run: RunId, k: usize) -> Task {
    Task {
        id: format!("{run}.build.task-{k}"),
        run,
        phase: Phase::Build,
        revision: 0,
        kind: TaskKind::Team,
        role: AgentRole::ALL[1 + k % 4],
        title: format!("Task {k}"),
        depends_on: if k > 0 { vec![format!("{run}.build.task-{}", k - 1)] } else { Vec::new() },
        files: vec![format!("backend/app/m{k}.py")],
        status: if k < 12 { TaskStatus::Done } else { TaskStatus::Waiting },
        attempts: 0,
        error: None,
        result: (k < 12).then(|| TaskResult {
            provider: "sim".into(),
            model: "sim-standard".into(),
            simulated: true,
            ledger: Ledger { cost_micros: 3_000, tokens_in: 2_500, tokens_out: 300, calls: 1, ..Ledger::default() },
            quality: 1.0,
            output_chars: 1_200,
            files: vec![format!("app/backend/app/m{k}.py")],
            finished_at: T0 + 5_000,
            ..TaskResult::default()
        }),
        created_at: T0 + k as u64,
        plan: None,
        repair: None,
        refused: None,
    }
}

/// Writes a data directory of `runs` runs (a tenth of them live, in their build, unless
/// `all_finished`) and `events` events.
pub fn populate(dir: &std::path::Path, runs: u32, events: u64, all_finished: bool) -> Result<()> {
    let store = Store::open(dir, 16)?;
    let mut seq = 1u64;
    for chunk in (1..=runs).collect::<Vec<_>>().chunks(50) {
        let mut w = Writes::default();
        for &n in chunk {
            let live = !all_finished && n.is_multiple_of(10);
            let run = run_record(n, live);
            w.run(&run);
            for (k, code) in [GateCode::G0, GateCode::G1, GateCode::G2, GateCode::G3].iter().enumerate() {
                if live && k == 3 {
                    continue;
                }
                w.gate(&Gate {
                    id: GateId { run: run.id, code: *code, n: 0 },
                    status: GateStatus::Approved,
                    opened_at: T0 + k as u64,
                    decided_at: Some(T0 + k as u64 + 1),
                    decided_by: Some("alice".into()),
                    note: None,
                    review: Review::default(),
                    budget: None,
                    timeout_alerted: false,
                });
            }
            for t in tasks(run.id) {
                w.task(&t);
            }
        }
        store.commit(&w)?;
    }
    while seq <= events {
        let mut w = Writes::default();
        for _ in 0..500 {
            if seq > events {
                break;
            }
            let run = RunId((seq % runs as u64) as u32 + 1);
            let kind = if seq.is_multiple_of(7) {
                EventKind::GateDecided {
                    gate: GateId { run, code: GateCode::G0, n: 0 },
                    decision: Decision::Approve,
                    by: "alice".into(),
                    note: None,
                }
            } else {
                EventKind::PhaseStarted { phase: Phase::Spec, revision: 0 }
            };
            w.event(&Event { seq, ts: T0 + seq, startup: Some(run), kind });
            seq += 1;
        }
        store.commit(&w)?;
    }
    store.flush()?;
    Ok(())
}

/// How long a control room took, from the start of the process's work, to its first frame
/// (the saved one when there was one) and to its first frame of the live state.
#[derive(Clone, Copy, Debug, Default, Serialize, serde::Deserialize)]
pub struct FrameTimes {
    pub first_frame_us: u64,
    pub live_frame_us: u64,
    /// Whether the first frame was the one saved at the last clean stop.
    pub saved: bool,
}

/// Opens `data` as a control room does at start: the frame saved at the last clean stop
/// drawn first when there is one, then the store opened, the state loaded, and the live
/// state drawn; says how long each took.
pub async fn open_once(data: &std::path::Path) -> Result<FrameTimes> {
    let internal = |e: std::io::Error| crate::error::FactoryError::internal(e.to_string());
    let cfg = Arc::new(Config::default());
    // The theme and the terminal are made inside the clock, as a control room makes them.
    let t = Instant::now();
    let mode = ColorMode::TrueColor;
    let theme = Theme::load("dark", mode)?;
    let mut term = Term::fixed(std::io::sink(), 200, 50).map_err(internal)?;
    let saved = crate::store::last_frame::read(data)
        .and_then(|bytes| serde_json::from_slice::<orchestrator::Snapshot>(&bytes).ok());
    let mut app = None;
    let mut times = FrameTimes::default();
    if let Some(saved) = saved {
        let mut shown = App::new(Arc::new(saved), theme.clone(), mode, Keymap::default(), "bench".into());
        shown.say("opening the data directory…");
        shown.set_now(orchestrator::system_clock()());
        term.draw(&mut shown).map_err(internal)?;
        times.first_frame_us = t.elapsed().as_micros() as u64;
        times.saved = true;
        app = Some(shown);
    }
    let store = Store::open(data, cfg.store.cache_mb)?;
    // What the first screens read beyond the state: the latest events and the alerts.
    let events = store.last_events(100)?;
    let alerts = store.alerts()?;
    std::hint::black_box((events.len(), alerts.len()));
    let handle = orchestrator::start_with_store(
        Arc::clone(&cfg),
        Options::new(data.to_path_buf()),
        store,
        orchestrator::system_clock(),
    )?;
    let mut app = match app {
        Some(mut app) => {
            app.clear_status();
            std::hint::black_box(app.on_snapshot(handle.snapshot()));
            app
        }
        None => App::new(handle.snapshot(), theme, mode, Keymap::default(), "bench".into()),
    };
    app.set_now(orchestrator::system_clock()());
    term.draw(&mut app).map_err(internal)?;
    times.live_frame_us = t.elapsed().as_micros() as u64;
    if !times.saved {
        times.first_frame_us = times.live_frame_us;
    }
    handle.shutdown().await?;
    Ok(times)
}

/// `factory bench startup-child`: the child's side, printing its figures as JSON.
pub async fn child() -> Result<String> {
    let dir = std::env::var_os(CHILD_DIR).ok_or_else(|| {
        crate::error::FactoryError::usage(format!("`startup-child` is run by `bench startup`, with {CHILD_DIR} set"))
    })?;
    let times = open_once(std::path::Path::new(&dir)).await?;
    Ok(format!("{}\n", serde_json::to_string(&times).unwrap_or_default()))
}

/// Asks the kernel to drop the cached pages of every file under `dir` (after a sync), so
/// that the next open reads the disk; false if it could not for some file.
pub fn evict(dir: &std::path::Path) -> bool {
    use std::os::fd::AsRawFd;
    let mut all = true;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(file) = std::fs::File::open(&path) else {
                all = false;
                continue;
            };
            let _ = file.sync_all();
            // SAFETY: an open descriptor; offset 0 and length 0 mean the whole file.
            all &= unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) } == 0;
        }
    }
    all
}

/// Opens `data` in a new process of `exe` (`bench startup-child`) and draws its first
/// frames: their times, and from spawn to exit in microseconds.
pub fn first_frame_in_child(exe: &std::path::Path, data: &std::path::Path) -> Result<(FrameTimes, u64)> {
    let t = Instant::now();
    let out = std::process::Command::new(exe)
        .args(["bench", "startup-child"])
        .env(CHILD_DIR, data)
        .env_remove("FACTORY_DATA_DIR")
        .output()
        .map_err(|e| crate::error::FactoryError::internal(format!("the startup child did not start: {e}")))?;
    let took = t.elapsed().as_micros() as u64;
    let times = serde_json::from_slice(&out.stdout).map_err(|_| {
        crate::error::FactoryError::internal(format!(
            "the startup child said no figure: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    })?;
    Ok((times, took))
}

/// With `exe` (the factory binary), each open is a new process on evicted files; without
/// it (a unit test), opens run here, warm.
pub async fn run(quick: bool, exe: Option<&std::path::Path>) -> Result<StartupFigures> {
    let (runs, events) = if quick { (100u32, 10_000u64) } else { (1_000, 100_000) };
    let scratch = Scratch::new(None)?;
    let data = scratch.path().join("data");
    populate(&data, runs, events, false)?;
    let store_mib = dir_size(&data) as f64 / (1024.0 * 1024.0);
    let repeats = if quick { 2 } else { 7 };
    let mut times = Vec::new();
    let mut live = Vec::new();
    let mut saved = 0;
    let mut spawned = Vec::new();
    let mut cold = true;
    for _ in 0..repeats {
        let frames = match exe {
            None => open_once(&data).await?,
            Some(exe) => {
                cold &= evict(&data);
                let (frames, took) = first_frame_in_child(exe, &data)?;
                spawned.push(took);
                frames
            }
        };
        times.push(frames.first_frame_us);
        live.push(frames.live_frame_us);
        saved += usize::from(frames.saved);
    }
    let max = times.iter().copied().max().unwrap_or(0);
    let live_max = live.iter().copied().max().unwrap_or(0);
    let cache = match (exe, cold) {
        (None, _) => "in-process",
        (Some(_), true) => "cold",
        (Some(_), false) => "warm",
    };
    Ok(StartupFigures {
        runs,
        live_runs: runs / 10,
        events,
        store_mib,
        repeats,
        first_frame_p50_ms: percentile(&mut times, 50) as f64 / 1000.0,
        first_frame_max_ms: max as f64 / 1000.0,
        live_frame_p50_ms: percentile(&mut live, 50) as f64 / 1000.0,
        live_frame_max_ms: live_max as f64 / 1000.0,
        saved_frames: saved,
        spawn_to_frame_p50_ms: (!spawned.is_empty()).then(|| percentile(&mut spawned, 50) as f64 / 1000.0),
        cache: cache.into(),
    })
}

fn dir_size(p: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![p.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

impl StartupFigures {
    pub fn text(&self) -> String {
        format!(
            "startup: a data directory of {} runs ({} live) and {} events ({:.1} MiB), page cache {}\n  open to first frame: p50 {:.1} ms, max {:.1} ms over {} opens, {} of them the frame saved at the last stop (target: at most 150 ms)\n  open to the live state's first frame: p50 {:.1} ms, max {:.1} ms{}\n",
            self.runs,
            self.live_runs,
            self.events,
            self.store_mib,
            self.cache,
            self.first_frame_p50_ms,
            self.first_frame_max_ms,
            self.repeats,
            self.saved_frames,
            self.live_frame_p50_ms,
            self.live_frame_max_ms,
            self.spawn_to_frame_p50_ms
                .map(|ms| format!("\n  a new process, spawn to first frame: p50 {ms:.1} ms"))
                .unwrap_or_default()
        )
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_quick_startup_bench_runs() {
        let f = super::run(true, None).await.unwrap();
        assert_eq!((f.runs, f.events), (100, 10_000));
        assert!(f.first_frame_p50_ms > 0.0);
        // The first open finds none; every open stops cleanly and saves one for the next.
        assert_eq!(f.saved_frames, 1);
        assert!(f.live_frame_p50_ms >= f.first_frame_p50_ms);
        assert_eq!((f.cache.as_str(), f.spawn_to_frame_p50_ms), ("in-process", None));
    }
}
