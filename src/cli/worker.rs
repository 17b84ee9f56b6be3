//! `factory worker` (run jobs for an orchestrator through NATS) and `factory workers`
//! (list them from the workers bucket).

use std::time::Duration;

use super::args::WorkerArgs;
use super::say;
use super::session::Ctx;
use crate::cluster::protocol::JobKind;
use crate::cluster::{Endpoint, WorkerRecord, connect, registry};
use crate::error::{FactoryError, Result};
use crate::worker::WorkerOptions;

pub async fn run(ctx: &Ctx, a: WorkerArgs) -> Result<()> {
    let mut kinds = Vec::new();
    for k in a.jobs.split(',').filter(|k| !k.trim().is_empty()) {
        let kind = JobKind::parse(k).ok_or_else(|| {
            FactoryError::usage(format!(
                "--jobs names `{}`, which is not a job kind; use checks, calls or checks,calls",
                k.trim()
            ))
        })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Err(FactoryError::usage("--jobs names no job kind; use checks, calls or checks,calls"));
    }
    if a.max_jobs == 0 {
        return Err(FactoryError::usage("--max-jobs 0 would take no job; give at least 1"));
    }
    let name = a.name.unwrap_or_else(|| format!("{}-{}", crate::worker::hostname(), std::process::id()));
    let mut opts = WorkerOptions::new(&a.nats, &name);
    opts.kinds = kinds;
    opts.max_jobs = a.max_jobs;
    opts.allow_insecure = a.allow_insecure;
    opts.grace = Duration::from_secs(a.grace_s);
    opts.verbose = a.verbose;
    if let Some(dir) = a.work_dir {
        opts.work_dir = dir;
    }
    if let Some(p) = a.protocol {
        opts.protocol = p;
    }
    let _log = crate::logging::init(&opts.work_dir);
    crate::worker::run(opts, ctx.cfg.clone()).await.map_err(FactoryError::from)
}

pub async fn list(ctx: &Ctx, nats: Option<String>, json: bool) -> Result<()> {
    let workers = fetch(ctx, nats).await?;
    if json {
        say::outln(serde_json::json!({ "workers": workers }));
        return Ok(());
    }
    if workers.is_empty() {
        say::outln(
            "no worker has a live record (each announces itself every 2 s; start one with `factory worker --nats URL`)",
        );
        return Ok(());
    }
    say::outln(table(&workers, now_ms()));
    Ok(())
}

/// The workers with live records, through the config's `[cluster]` or `--nats`.
pub async fn fetch(ctx: &Ctx, nats: Option<String>) -> Result<Vec<WorkerRecord>> {
    let cluster = ctx.cfg.cluster.as_ref();
    let url = match (&nats, cluster) {
        (Some(u), _) => u.clone(),
        (None, Some(c)) => c.nats_url.clone(),
        (None, None) => {
            return Err(FactoryError::usage(
                "no NATS server to ask: set [cluster] nats_url in the config, or pass --nats URL",
            ));
        }
    };
    let endpoint = Endpoint::for_worker(&url, false, cluster)?;
    let client = connect::connect(&endpoint, "factory workers", Some(Duration::from_secs(3)), None).await?;
    let js = connect::jetstream(&client);
    let kv = connect::workers_bucket(&js).await?;
    Ok(registry::list(&kv).await?)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// One line per worker: name, host, jobs, in flight, done, failed, last heartbeat.
pub fn table(workers: &[WorkerRecord], now: u64) -> String {
    let mut out = format!(
        "{:<20} {:<16} {:<13} {:>9} {:>7} {:>7}  {}",
        "WORKER", "HOST", "JOBS", "IN FLIGHT", "DONE", "FAILED", "HEARTBEAT"
    );
    for w in workers {
        let ago = now.saturating_sub(w.heartbeat_ms) as f64 / 1000.0;
        let state = if w.state == "running" { String::new() } else { format!(" ({})", w.state) };
        out.push_str(&format!(
            "\n{:<20} {:<16} {:<13} {:>9} {:>7} {:>7}  {ago:.1} s ago{state}",
            crate::sanitize::line(&w.name),
            crate::sanitize::line(&w.host),
            w.jobs.join(","),
            format!("{}/{}", w.in_flight, w.max_jobs),
            w.done,
            w.failed,
        ));
    }
    out
}
