//! `factory bench attach`: how soon an attached terminal sees what the owner sees (events
//! and snapshots, owner to client over the socket), and what idle attached terminals cost.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{AttachOptions, attach, serve};
use crate::config::Config;
use crate::error::{FactoryError, Result};
use crate::orchestrator::{self, Command, NewRun, Options};

#[derive(Debug, Serialize)]
pub struct AttachFigures {
    pub runs: usize,
    pub events: usize,
    /// From the owner committing an event to an attached client receiving it.
    pub event_p50_us: u64,
    pub event_p99_us: u64,
    pub event_max_us: u64,
    pub snapshots: usize,
    /// From the owner publishing a snapshot to the attached client holding it.
    pub snapshot_p50_us: u64,
    pub snapshot_p99_us: u64,
    pub idle_clients: usize,
    pub idle_seconds: f64,
    /// CPU of this process (owner and its idle clients together) over the idle period.
    pub idle_cpu_percent_of_one_core: f64,
}

fn cpu_seconds() -> f64 {
    // utime and stime, fields 14 and 15 of /proc/self/stat, in clock ticks (100 a second).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<u64> = after.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    // After the ')' the fields start at 3 (state is not a number, so it is skipped).
    (f.get(10).copied().unwrap_or(0) + f.get(11).copied().unwrap_or(0)) as f64 / 100.0
}

/// A folder under the system's temporary folder, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> Result<TempDir> {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let p = std::env::temp_dir().join(format!("factory-bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).map_err(|e| FactoryError::internal(format!("no temporary folder: {e}")))?;
        Ok(TempDir(p))
    }
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn pct(xs: &mut [u64], p: usize) -> u64 {
    xs.sort_unstable();
    xs.get(xs.len().saturating_sub(1) * p / 100).copied().unwrap_or(0)
}

pub async fn run(quick: bool) -> Result<AttachFigures> {
    let dir = TempDir::new()?;
    let mut cfg = Config::default();
    // A busy but not saturated factory: many runs, calls of about 100 ms.
    cfg.sim.latency_ms = 100;
    // The socket is measured, not the template's checks (they install packages and run
    // test suites for minutes: their own figures are `bench cluster`'s and BENCHMARKS.md's).
    cfg.checks.enabled = false;
    let mut opts = Options::new(dir.path().join("data"));
    opts.dispatch = true;
    opts.auto_approve = true;
    opts.grace_ms = 200;
    let owner = orchestrator::start(Arc::new(cfg), opts.clone(), orchestrator::system_clock())?;
    let _server = serve(owner.clone(), &opts.data_dir)?;
    let client = attach(&opts.data_dir, AttachOptions { read_only: false, snapshots: true, events: true })
        .await?
        .ok_or_else(|| FactoryError::internal("the benchmark's own socket did not answer"))?;

    // Time every event and snapshot at both ends, each end in its own task, until the
    // runs are done.
    let runs = if quick { 3 } else { 20 };
    type Stamps = Arc<std::sync::Mutex<HashMap<u64, Instant>>>;
    let stamp_events = |mut rx: tokio::sync::broadcast::Receiver<Arc<crate::domain::Event>>, at: Stamps| {
        tokio::spawn(async move {
            while let Ok(e) = rx.recv().await {
                at.lock().unwrap_or_else(|p| p.into_inner()).insert(e.seq, Instant::now());
            }
        })
    };
    let stamp_snaps = |mut rx: tokio::sync::watch::Receiver<Arc<crate::orchestrator::Snapshot>>, at: Stamps| {
        tokio::spawn(async move {
            while rx.changed().await.is_ok() {
                let v = rx.borrow_and_update().version;
                at.lock().unwrap_or_else(|p| p.into_inner()).insert(v, Instant::now());
            }
        })
    };
    let stamps: [Stamps; 4] = Default::default();
    let tasks = [
        stamp_events(owner.subscribe(), Arc::clone(&stamps[0])),
        stamp_events(client.subscribe(), Arc::clone(&stamps[1])),
        stamp_snaps(owner.watch(), Arc::clone(&stamps[2])),
        stamp_snaps(client.watch(), Arc::clone(&stamps[3])),
    ];
    for k in 0..runs {
        let new = NewRun { name: format!("Bench {k}"), idea: "Measuring the socket".into(), ..NewRun::default() };
        owner.request(Command::NewRun(new)).await?;
    }
    let mut watch = owner.watch();
    let limit = tokio::time::Instant::now() + Duration::from_secs(if quick { 30 } else { 180 });
    while !watch.borrow_and_update().idle {
        if tokio::time::timeout_at(limit, watch.changed()).await.is_err() {
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for t in tasks {
        t.abort();
    }
    let take = |s: &Stamps| std::mem::take(&mut *s.lock().unwrap_or_else(|p| p.into_inner()));
    let (at_owner, at_client, snap_owner, snap_client) =
        (take(&stamps[0]), take(&stamps[1]), take(&stamps[2]), take(&stamps[3]));
    let mut ev: Vec<u64> = at_client
        .iter()
        .filter_map(|(seq, t)| at_owner.get(seq).map(|o| t.saturating_duration_since(*o).as_micros() as u64))
        .collect();
    let mut sn: Vec<u64> = snap_client
        .iter()
        .filter_map(|(v, t)| snap_owner.get(v).map(|o| t.saturating_duration_since(*o).as_micros() as u64))
        .collect();
    drop(client);

    // Idle: nothing changes; twenty terminals attached.
    for k in 0..runs {
        let _ = owner.request(Command::Cancel { run: crate::domain::RunId(k as u32 + 1), by: "bench".into() }).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(attach(&opts.data_dir, AttachOptions { read_only: true, snapshots: true, events: true }).await?);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle_for = Duration::from_secs(if quick { 1 } else { 10 });
    let (cpu0, t0) = (cpu_seconds(), Instant::now());
    tokio::time::sleep(idle_for).await;
    let (cpu, wall) = (cpu_seconds() - cpu0, t0.elapsed().as_secs_f64());
    drop(idle);
    owner.shutdown().await?;
    Ok(AttachFigures {
        runs,
        events: ev.len(),
        event_p50_us: pct(&mut ev, 50),
        event_p99_us: pct(&mut ev, 99),
        event_max_us: ev.iter().copied().max().unwrap_or(0),
        snapshots: sn.len(),
        snapshot_p50_us: pct(&mut sn, 50),
        snapshot_p99_us: pct(&mut sn, 99),
        idle_clients: 20,
        idle_seconds: wall,
        idle_cpu_percent_of_one_core: cpu / wall * 100.0,
    })
}

impl AttachFigures {
    pub fn text(&self) -> String {
        format!(
            "attach: {} runs streaming to one attached terminal (template checks off)\n  events: {} seen, owner to client p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target: within 50 ms)\n  snapshots: {} seen, owner to client p50 {:.2} ms, p99 {:.2} ms\n  idle: {} attached terminals for {:.1} s cost {:.2}% of one core (owner and clients together; target under 5%)\n",
            self.runs,
            self.events,
            self.event_p50_us as f64 / 1000.0,
            self.event_p99_us as f64 / 1000.0,
            self.event_max_us as f64 / 1000.0,
            self.snapshots,
            self.snapshot_p50_us as f64 / 1000.0,
            self.snapshot_p99_us as f64 / 1000.0,
            self.idle_clients,
            self.idle_seconds,
            self.idle_cpu_percent_of_one_core,
        )
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_quick_attach_bench_runs_and_reports() {
        let f = super::run(true).await.unwrap();
        assert!(f.events >= 100, "{f:?}");
        assert!(f.snapshots > 0 && f.snapshot_p50_us > 0, "{f:?}");
        assert!(f.idle_seconds >= 1.0);
        assert!(f.text().contains("idle: 20 attached terminals"));
    }
}
