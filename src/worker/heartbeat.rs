//! The worker's record in the workers bucket, put every two seconds (the bucket forgets it
//! without one), marked `stopping` after SIGTERM and deleted on the way out.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;

use super::Shared;
use crate::cluster::connect;
use crate::cluster::registry::{WorkerRecord, key_of};

const EVERY: Duration = Duration::from_secs(2);

pub(crate) async fn run(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let key = key_of(&shared.opts.name);
    let mut bucket = None;
    loop {
        if bucket.is_none() {
            bucket = connect::workers_bucket(&shared.js).await.ok();
        }
        if let Some(kv) = &bucket
            && let Ok(bytes) = serde_json::to_vec(&record(&shared))
            && kv.put(&key, bytes.into()).await.is_err()
        {
            bucket = None;
        }
        let stopping = *stop.borrow();
        if stopping && shared.counters.in_flight.load(Ordering::SeqCst) == 0 {
            if let Some(kv) = &bucket {
                let _ = kv.delete(&key).await;
            }
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(if stopping { Duration::from_millis(200) } else { EVERY }) => {}
            _ = stop.changed(), if !stopping => {}
        }
    }
}

fn record(shared: &Shared) -> WorkerRecord {
    let c = &shared.counters;
    WorkerRecord {
        name: shared.opts.name.clone(),
        host: hostname(),
        version: crate::templates::FACTORY_VERSION.to_string(),
        protocol: shared.opts.protocol,
        jobs: shared.opts.kinds.iter().map(|k| k.as_str().to_string()).collect(),
        max_jobs: shared.opts.max_jobs,
        in_flight: c.in_flight.load(Ordering::SeqCst),
        done: c.done.load(Ordering::SeqCst),
        failed: c.failed.load(Ordering::SeqCst),
        heartbeat_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
        state: if c.stopping.load(Ordering::SeqCst) { "stopping" } else { "running" }.into(),
    }
}

/// This machine's name.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}
