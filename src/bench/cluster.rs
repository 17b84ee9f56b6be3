//! `factory bench cluster`: what dispatch through NATS costs against doing the work in this
//! process. A `nats-server -js` on a loopback port, then 1, 2 and 4 worker processes of this
//! binary; simulated calls (latency 0, so only the overhead is measured) at a fixed
//! concurrency give jobs per second, and one call or one check round at a time gives the
//! overhead each job pays (the round trip through the streams, and for checks the upload).

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::util::{Scratch, machine, percentile};
use crate::cluster::Dispatcher;
use crate::config::{ClusterConfig, ClusterDispatch, Config, Placement, SimConfig};
use crate::error::{FactoryError, Result};
use crate::providers::{CallRequest, Gateway, Trees};
use crate::templates::Check;

#[derive(Debug, Serialize)]
pub struct Figures {
    pub machine: String,
    pub calls: u32,
    pub concurrency: u32,
    pub local_jobs_per_s: f64,
    /// Per worker count: jobs per second.
    pub cluster: Vec<WorkerRun>,
    /// One call at a time: median wall time locally and through one worker, in microseconds.
    pub call_local_p50_us: u64,
    pub call_cluster_p50_us: u64,
    /// One round of one trivial check at a time (the sandbox's start is in both).
    pub checks_local_p50_ms: Option<u64>,
    pub checks_cluster_p50_ms: Option<u64>,
    pub checks_note: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct WorkerRun {
    pub workers: u32,
    pub jobs_per_s: f64,
}

impl Figures {
    pub fn text(&self) -> String {
        let mut out = format!(
            "cluster dispatch against local, on {} (nats-server and the workers share this machine)\n\
             {} simulated calls (latency 0) at concurrency {}:\n  local           {:>8.0} jobs/s\n",
            self.machine, self.calls, self.concurrency, self.local_jobs_per_s
        );
        for w in &self.cluster {
            out.push_str(&format!(
                "  {} worker{:<7} {:>8.0} jobs/s\n",
                w.workers,
                if w.workers == 1 { "" } else { "s" },
                w.jobs_per_s
            ));
        }
        out.push_str(&format!(
            "one call at a time: local p50 {:.2} ms, through a worker p50 {:.2} ms: overhead {:.2} ms a call\n",
            self.call_local_p50_us as f64 / 1000.0,
            self.call_cluster_p50_us as f64 / 1000.0,
            self.call_cluster_p50_us.saturating_sub(self.call_local_p50_us) as f64 / 1000.0
        ));
        match (self.checks_local_p50_ms, self.checks_cluster_p50_ms) {
            (Some(l), Some(c)) => out.push_str(&format!(
                "one check round at a time (one `true` check in bwrap): local p50 {l} ms, through a worker p50 {c} ms: overhead {} ms a round\n",
                c.saturating_sub(l)
            )),
            _ => out.push_str(&format!("check rounds: not measured ({})\n", self.checks_note.as_deref().unwrap_or("?"))),
        }
        out
    }
}

/// A nats-server of our own, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            // SIGTERM: each returns what it holds and deletes its record.
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
        }
        for c in &mut self.0 {
            let _ = c.wait();
        }
    }
}

fn nats_server() -> Option<String> {
    let on_path = |p: &str| Command::new(p).arg("--version").output().is_ok_and(|o| o.status.success());
    ["nats-server", "/usr/sbin/nats-server"].into_iter().find(|p| on_path(p)).map(str::to_string)
}

fn start_server(bin: &str, dir: &std::path::Path) -> Result<(Server, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| FactoryError::internal(format!("no free loopback port: {e}")))?;
    let child = Command::new(bin)
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(dir.join("jetstream"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| FactoryError::internal(format!("cannot start nats-server: {e}")))?;
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(FactoryError::internal("nats-server did not listen within 10 s"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((server, format!("nats://127.0.0.1:{port}")))
}

fn request(i: usize) -> CallRequest {
    let mut req = CallRequest::new("spec", "You write MVP specs.", "Write the spec of a bench startup.", 1_500);
    req.task_id = format!("bench-{i}");
    req.bypass_cache = true;
    req
}

/// Runs `n` calls at `concurrency` through `call` and returns jobs per second.
async fn throughput<F, Fut>(n: usize, concurrency: usize, call: F) -> f64
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (call, next) = (Arc::clone(&call), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return;
                }
                call(i).await;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

async fn p50_us<F, Fut>(n: usize, call: F) -> u64
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut us = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        call(i).await;
        us.push(t.elapsed().as_micros() as u64);
    }
    percentile(&mut us, 50)
}

pub async fn run(quick: bool) -> Result<Figures> {
    let bin = nats_server().ok_or_else(|| {
        FactoryError::usage("bench cluster needs nats-server (Debian package nats-server); install it and run again")
    })?;
    let exe = std::env::current_exe().map_err(|e| FactoryError::internal(format!("cannot find this binary: {e}")))?;
    let scratch = Scratch::new(None)?;
    let (_server, url) = start_server(&bin, scratch.path())?;
    let (calls, concurrency, one_at_a_time) = if quick { (60, 8, 10) } else { (2_000, 64, 200) };
    let sim = SimConfig { latency_ms: 0, ..SimConfig::default() };
    let mut cfg = Config { sim: sim.clone(), ..Config::default() };
    cfg.checks.enabled = true;
    let local = Arc::new(Gateway::from_config(&cfg, true, Trees::default()));
    let note = |_| {};

    let gw = Arc::clone(&local);
    let local_jobs_per_s = throughput(calls, concurrency, move |i| {
        let gw = Arc::clone(&gw);
        async move { gw.call(request(i), &|_| {}).await.is_ok() }
    })
    .await;
    let call_local_p50_us = p50_us(one_at_a_time, |i| {
        let gw = Arc::clone(&local);
        async move { gw.call(request(100_000 + i), &note).await.is_ok() }
    })
    .await;

    let cluster_cfg = ClusterConfig {
        nats_url: url.clone(),
        ack_wait_s: 30,
        max_deliver: 5,
        dispatch: ClusterDispatch { checks: Placement::Cluster, calls: Placement::Cluster },
        ..ClusterConfig::default()
    };
    let dispatcher = Dispatcher::start(cluster_cfg, true, sim, Arc::new(|_| {}))?;
    let empty_config = scratch.path().join("worker.toml");
    std::fs::write(&empty_config, "").map_err(|e| FactoryError::internal(e.to_string()))?;
    let counts: &[u32] = if quick { &[1] } else { &[1, 2, 4] };
    let mut cluster = Vec::new();
    let mut call_cluster_p50_us = 0;
    let mut checks = (None, None, None);
    for &n in counts {
        let workers = Workers(
            (0..n)
                .map(|k| {
                    Command::new(&exe)
                        .args(["--config"])
                        .arg(&empty_config)
                        .args(["worker", "--nats", &url, "--name", &format!("bench-{n}-{k}"), "--max-jobs", "16"])
                        .arg("--work-dir")
                        .arg(scratch.path().join(format!("w{n}-{k}")))
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn()
                        .map_err(|e| FactoryError::internal(format!("cannot start a worker: {e}")))
                })
                .collect::<Result<Vec<_>>>()?,
        );
        // Ready when every one has announced itself.
        let deadline = Instant::now() + Duration::from_secs(30);
        while dispatcher.workers().iter().filter(|w| w.name.starts_with(&format!("bench-{n}-"))).count() < n as usize {
            if Instant::now() > deadline {
                return Err(FactoryError::internal("the bench's workers did not announce themselves within 30 s"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let d = Arc::clone(&dispatcher);
        let base = 1_000_000 * n as usize;
        let jobs_per_s = throughput(calls, concurrency, move |i| {
            let d = Arc::clone(&d);
            async move { d.call(request(base + i), &|_| {}).await.is_ok() }
        })
        .await;
        cluster.push(WorkerRun { workers: n, jobs_per_s });
        if n == 1 {
            call_cluster_p50_us = p50_us(one_at_a_time, |i| {
                let d = Arc::clone(&dispatcher);
                async move { d.call(request(500_000 + i), &note).await.is_ok() }
            })
            .await;
            checks = check_rounds(&dispatcher, &cfg, scratch.path(), if quick { 3 } else { 15 }).await;
        }
        drop(workers);
    }
    Ok(Figures {
        machine: machine(),
        calls: calls as u32,
        concurrency: concurrency as u32,
        local_jobs_per_s,
        cluster,
        call_local_p50_us,
        call_cluster_p50_us,
        checks_local_p50_ms: checks.0,
        checks_cluster_p50_ms: checks.1,
        checks_note: checks.2,
    })
}

/// One trivial check round at a time, locally and through the worker: medians in ms.
async fn check_rounds(
    dispatcher: &Dispatcher,
    cfg: &Config,
    scratch: &std::path::Path,
    n: usize,
) -> (Option<u64>, Option<u64>, Option<String>) {
    let sandbox = crate::sandbox::Sandbox::new(&cfg.checks, scratch.join("cache"));
    if let Err(why) = sandbox.readiness() {
        return (None, None, Some(why));
    }
    let app = scratch.join("app");
    let _ = std::fs::create_dir_all(app.join("src"));
    let _ = std::fs::write(app.join("src/main.py"), "print('bench')\n");
    let checks = vec![Check { name: "true".into(), command: vec!["true".into()], cwd: None, network: false }];
    let mut local = Vec::new();
    let mut remote = Vec::new();
    for i in 0..n {
        let t = Instant::now();
        sandbox.run_round(&app, "bench", "1.0.0", &checks).await;
        local.push(t.elapsed().as_millis() as u64);
        let t = Instant::now();
        if let Err(e) = dispatcher.checks(&format!("bench.checks.{i}"), 0, &app, "bench", "1.0.0", &checks).await {
            return (None, None, Some(e.to_string()));
        }
        remote.push(t.elapsed().as_millis() as u64);
    }
    (Some(percentile(&mut local, 50)), Some(percentile(&mut remote, 50)), None)
}
