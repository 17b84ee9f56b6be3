//! `factory bench orchestrator`: R runs through the whole pipeline on the simulated provider
//! at latency 0, with persistence on: tasks and runs per second, scheduling delay, memory.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::util::{Scratch, machine, peak_rss_mib};
use crate::config::Config;
use crate::error::Result;
use crate::orchestrator::{self, Command, Options, Reply};

#[derive(Debug, Serialize)]
pub struct OrchestratorFigures {
    pub machine: String,
    pub runs: usize,
    pub completed: usize,
    /// Tasks finished (provider calls and integration checks).
    pub tasks: u64,
    pub seconds: f64,
    pub tasks_per_second: f64,
    pub runs_per_second: f64,
    pub sched_delay_p50_us: u32,
    pub sched_delay_p99_us: u32,
    /// Peak resident memory of the process (VmHWM).
    pub peak_rss_mib: f64,
    pub commits: u64,
    pub records_per_commit: f64,
    /// Where the sled store and the workspaces were.
    pub store_on: String,
    pub workspaces_on: String,
}

pub async fn run(quick: bool, runs: Option<usize>) -> Result<OrchestratorFigures> {
    let runs = runs.unwrap_or(if quick { 50 } else { 1000 });
    let data = Scratch::new(None)?;
    // Workspaces on tmpfs when there is one: the files are written all the same, but this
    // disk's inode allocation (not our code) would otherwise dominate; see BENCHMARKS.md.
    let shm = std::path::Path::new("/dev/shm");
    let ws = Scratch::new(shm.is_dir().then_some(shm))?;
    let mut cfg = Config::default();
    cfg.sim.latency_ms = 0;
    cfg.budget.daily_cap_usd = 0.0;
    cfg.factory.workspaces = ws.path().display().to_string();
    cfg.factory.max_concurrent_calls = 64;
    // The scheduler, store and gateway are measured here, not the template's checks (they
    // install packages and run test suites: `BENCHMARKS.md` has their own figures).
    cfg.checks.enabled = false;
    let mut opts = Options::new(data.path().join("data"));
    opts.dispatch = true;
    opts.auto_approve = true;
    let handle = orchestrator::start(Arc::new(cfg), opts, orchestrator::system_clock())?;
    let mut watch = handle.watch();
    let samples = crate::cli::demo::sample_runs(runs as u32, 42);
    let start = Instant::now();
    // All at once, as `factory demo` seeds them: 1,000 concurrent runs from the start.
    handle.request_all(samples.into_iter().map(Command::NewRun)).await?;
    let limit = tokio::time::Instant::now() + Duration::from_secs(if quick { 60 } else { 600 });
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
    let snap = handle.snapshot();
    let completed = snap.runs.iter().filter(|r| r.status == crate::domain::RunStatus::Completed).count();
    let m = match handle.request(Command::Metrics).await? {
        Reply::Metrics { metrics } => metrics,
        _ => Default::default(),
    };
    handle.shutdown().await?;
    Ok(OrchestratorFigures {
        machine: machine(),
        runs,
        completed,
        tasks: m.tasks_done,
        seconds,
        tasks_per_second: m.tasks_done as f64 / seconds,
        runs_per_second: completed as f64 / seconds,
        sched_delay_p50_us: m.sched_delay_p50_us,
        sched_delay_p99_us: m.sched_delay_p99_us,
        peak_rss_mib: peak_rss_mib(),
        commits: m.commits,
        records_per_commit: if m.commits == 0 { 0.0 } else { m.records_written as f64 / m.commits as f64 },
        store_on: data.path().display().to_string(),
        workspaces_on: ws.path().display().to_string(),
    })
}

impl OrchestratorFigures {
    pub fn text(&self) -> String {
        format!(
            "orchestrator: {} runs at latency 0, persistence on, template checks off ({})\n  {} of {} completed, {} tasks in {:.2} s: {:.0} tasks/s, {:.1} runs/s (target: 10,000 tasks/s)\n  scheduling delay p50 {} us, p99 {} us\n  peak memory {:.1} MiB (target: under 100 MB)\n  {} group commits, {:.1} records each\n  store in {}, workspaces in {}\n",
            self.runs,
            self.machine,
            self.completed,
            self.runs,
            self.tasks,
            self.seconds,
            self.tasks_per_second,
            self.runs_per_second,
            self.sched_delay_p50_us,
            self.sched_delay_p99_us,
            self.peak_rss_mib,
            self.commits,
            self.records_per_commit,
            self.store_on,
            self.workspaces_on,
        )
    }
}
