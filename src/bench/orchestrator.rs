//! `factory bench orchestrator`: R runs through the whole pipeline on the simulated provider
//! at latency 0, with persistence on: tasks and runs per second, scheduling delay, memory.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::util::{Scratch, machine, peak_rss_mib};
use crate::config::Config;
use crate::error::Result;
use crate::orchestrator::{self, Command, Options, Reply};

/// One pass of the scenario.
#[derive(Debug, Serialize)]
pub struct Pass {
    pub completed: usize,
    /// Tasks finished (provider calls and integration checks).
    pub tasks: u64,
    pub seconds: f64,
    pub tasks_per_second: f64,
    pub runs_per_second: f64,
    pub sched_delay_p50_us: u32,
    pub sched_delay_p99_us: u32,
    pub commits: u64,
    pub records_per_commit: f64,
    /// CPU the process spent per task while the runs ran (all threads), in user space and
    /// in the kernel: on 2 cores, 20,000 tasks/s needs 100 µs in all.
    pub cpu_user_us_per_task: f64,
    pub cpu_system_us_per_task: f64,
    /// A new process opening the store this pass left (page cache dropped when `cold`)
    /// to its first control-room frame (the one saved at the clean stop, see
    /// `first_frame_saved`); `None` when there was no factory binary to start.
    pub first_frame_after_restart_ms: Option<f64>,
    /// The same process to its first frame of the live state: store opened, state loaded.
    pub live_frame_after_restart_ms: Option<f64>,
    /// Whether that first frame was the saved one.
    pub first_frame_saved: bool,
    /// The same, for the open after that one (sled replays its log since the last open, so
    /// the first open after a long session reads the whole of it).
    pub first_frame_next_open_ms: Option<f64>,
    pub live_frame_next_open_ms: Option<f64>,
    pub restart_cold: bool,
}

#[derive(Debug, Serialize)]
pub struct OrchestratorFigures {
    pub machine: String,
    pub runs: usize,
    /// Every pass, in order: the figures below are their range.
    pub passes: Vec<Pass>,
    pub tasks_per_second_min: f64,
    pub tasks_per_second_median: f64,
    pub tasks_per_second_max: f64,
    /// Whether every pass completed every run.
    pub all_completed: bool,
    /// Peak resident memory of the process over every pass (VmHWM).
    pub peak_rss_mib: f64,
    /// Where the sled store and the workspaces were.
    pub store_on: String,
    pub workspaces_on: String,
}

/// `repeat` passes of `runs` runs (1,000 by default, 50 quick); with `exe`, each pass ends
/// with a new process of it opening the store to the first frame.
pub async fn run(
    quick: bool,
    runs: Option<usize>,
    repeat: u32,
    exe: Option<&std::path::Path>,
) -> Result<OrchestratorFigures> {
    let runs = runs.unwrap_or(if quick { 50 } else { 1000 });
    let mut passes = Vec::new();
    let mut store_on = String::new();
    let mut workspaces_on = String::new();
    for _ in 0..repeat.max(1) {
        let data = Scratch::new(None)?;
        // Workspaces on tmpfs when there is one: the files are written all the same, but this
        // disk's inode allocation (not our code) would otherwise dominate; see BENCHMARKS.md.
        let shm = std::path::Path::new("/dev/shm");
        let ws = Scratch::new(shm.is_dir().then_some(shm))?;
        store_on = data.path().display().to_string();
        workspaces_on = ws.path().display().to_string();
        let mut pass = one(quick, runs, &data.path().join("data"), ws.path()).await?;
        if let Some(exe) = exe {
            let ms = |us: u64| Some(us as f64 / 1000.0);
            pass.restart_cold = super::startup::evict(&data.path().join("data"));
            let (frames, _) = super::startup::first_frame_in_child(exe, &data.path().join("data"))?;
            pass.first_frame_after_restart_ms = ms(frames.first_frame_us);
            pass.live_frame_after_restart_ms = ms(frames.live_frame_us);
            pass.first_frame_saved = frames.saved;
            pass.restart_cold &= super::startup::evict(&data.path().join("data"));
            let (frames, _) = super::startup::first_frame_in_child(exe, &data.path().join("data"))?;
            pass.first_frame_next_open_ms = ms(frames.first_frame_us);
            pass.live_frame_next_open_ms = ms(frames.live_frame_us);
        }
        passes.push(pass);
    }
    let mut rates: Vec<f64> = passes.iter().map(|p| p.tasks_per_second).collect();
    rates.sort_by(f64::total_cmp);
    Ok(OrchestratorFigures {
        machine: machine(),
        runs,
        tasks_per_second_min: rates[0],
        tasks_per_second_median: rates[rates.len() / 2],
        tasks_per_second_max: rates[rates.len() - 1],
        all_completed: passes.iter().all(|p| p.completed == runs),
        passes,
        peak_rss_mib: peak_rss_mib(),
        store_on,
        workspaces_on,
    })
}

async fn one(quick: bool, runs: usize, data: &std::path::Path, ws: &std::path::Path) -> Result<Pass> {
    let mut cfg = Config::default();
    cfg.sim.latency_ms = 0;
    cfg.budget.daily_cap_usd = 0.0;
    cfg.factory.workspaces = ws.display().to_string();
    cfg.factory.max_concurrent_calls = 64;
    // The scheduler, store and gateway are measured here, not the template's checks (they
    // install packages and run test suites: `BENCHMARKS.md` has their own figures).
    cfg.checks.enabled = false;
    let mut opts = Options::new(data.to_path_buf());
    opts.dispatch = true;
    opts.auto_approve = true;
    let handle = orchestrator::start(Arc::new(cfg), opts, orchestrator::system_clock())?;
    let mut watch = handle.watch();
    let samples = crate::cli::demo::sample_runs(runs as u32, 42);
    let start = Instant::now();
    let (user0, system0) = super::measure::cpu_split_us();
    // All at once, as `factory demo` seeds them: every run concurrent from the start.
    handle.request_all(samples.into_iter().map(Command::NewRun)).await?;
    let limit = tokio::time::Instant::now() + Duration::from_secs(if quick { 60 } else { 600 + runs as u64 / 10 });
    loop {
        {
            let s = watch.borrow_and_update();
            if s.idle && s.runs.len() == runs {
                break;
            }
        }
        if tokio::time::timeout_at(limit, watch.changed()).await.is_err() {
            break;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let (user1, system1) = super::measure::cpu_split_us();
    let snap = handle.snapshot();
    let completed = snap.runs.iter().filter(|r| r.status == crate::domain::RunStatus::Completed).count();
    drop(snap);
    let m = match handle.request(Command::Metrics).await? {
        Reply::Metrics { metrics } => metrics,
        _ => Default::default(),
    };
    handle.shutdown().await?;
    Ok(Pass {
        completed,
        tasks: m.tasks_done,
        seconds,
        tasks_per_second: m.tasks_done as f64 / seconds,
        runs_per_second: completed as f64 / seconds,
        sched_delay_p50_us: m.sched_delay_p50_us,
        sched_delay_p99_us: m.sched_delay_p99_us,
        commits: m.commits,
        records_per_commit: if m.commits == 0 { 0.0 } else { m.records_written as f64 / m.commits as f64 },
        cpu_user_us_per_task: (user1 - user0) as f64 / m.tasks_done.max(1) as f64,
        cpu_system_us_per_task: (system1 - system0) as f64 / m.tasks_done.max(1) as f64,
        first_frame_after_restart_ms: None,
        live_frame_after_restart_ms: None,
        first_frame_saved: false,
        first_frame_next_open_ms: None,
        live_frame_next_open_ms: None,
        restart_cold: false,
    })
}

impl OrchestratorFigures {
    pub fn text(&self) -> String {
        let mut out = format!(
            "orchestrator: {} runs at latency 0, persistence on, template checks off ({})\n",
            self.runs, self.machine
        );
        for (n, p) in self.passes.iter().enumerate() {
            out += &format!(
                "  pass {}: {} of {} completed, {} tasks in {:.2} s: {:.0} tasks/s, {:.1} runs/s; CPU per task {:.0} us user + {:.0} us system; scheduling delay p50 {} us, p99 {} us; {} group commits, {:.1} records each{}\n",
                n + 1,
                p.completed,
                self.runs,
                p.tasks,
                p.seconds,
                p.tasks_per_second,
                p.runs_per_second,
                p.cpu_user_us_per_task,
                p.cpu_system_us_per_task,
                p.sched_delay_p50_us,
                p.sched_delay_p99_us,
                p.commits,
                p.records_per_commit,
                match (
                    p.first_frame_after_restart_ms,
                    p.live_frame_after_restart_ms,
                    p.first_frame_next_open_ms,
                    p.live_frame_next_open_ms,
                ) {
                    (Some(ms), Some(live), Some(next), Some(next_live)) => format!(
                        "; first frame after a restart {ms:.0} ms ({}), live {live:.0} ms; at the open after it {next:.0} ms, live {next_live:.0} ms ({})",
                        if p.first_frame_saved { "the one saved at the stop" } else { "no saved frame" },
                        if p.restart_cold { "page cache dropped" } else { "warm: the page cache could not be dropped" }
                    ),
                    _ => String::new(),
                },
            );
        }
        out += &format!(
            "  tasks/s over {} pass(es): min {:.0}, median {:.0}, max {:.0} (target: 20,000)\n  peak memory {:.1} MiB (target: under 100 MB for 1,000 runs, 500 MB for 10,000)\n  store in {}, workspaces in {}\n",
            self.passes.len(),
            self.tasks_per_second_min,
            self.tasks_per_second_median,
            self.tasks_per_second_max,
            self.peak_rss_mib,
            self.store_on,
            self.workspaces_on,
        );
        out
    }
}
