//! The workers' records in the KV bucket: what each announces with every heartbeat, and
//! reading them back for `factory workers`, the control room and `doctor`.

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::error::ClusterError;

/// What a worker says about itself; the bucket forgets it `WORKER_TTL_S` after its last
/// heartbeat.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkerRecord {
    pub name: String,
    pub host: String,
    /// The factory version the worker runs, and the protocol it speaks.
    pub version: String,
    pub protocol: u32,
    /// `checks`, `calls`.
    pub jobs: Vec<String>,
    pub max_jobs: u32,
    pub in_flight: u32,
    pub done: u64,
    pub failed: u64,
    /// Unix milliseconds of this record.
    pub heartbeat_ms: u64,
    /// `running`, or `stopping` once it got SIGTERM.
    pub state: String,
}

/// The KV key of a worker (names are made safe for a key).
pub fn key_of(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// Every worker with a live record, by name (within 5 s: a listing that hangs, as while the
/// server restarts, is an error to try again, not a wait).
pub async fn list(kv: &async_nats::jetstream::kv::Store) -> Result<Vec<WorkerRecord>, ClusterError> {
    tokio::time::timeout(std::time::Duration::from_secs(5), list_all(kv))
        .await
        .unwrap_or_else(|_| Err(ClusterError::Unreachable("listing the workers took over 5 s".into())))
}

async fn list_all(kv: &async_nats::jetstream::kv::Store) -> Result<Vec<WorkerRecord>, ClusterError> {
    let mut keys = kv.keys().await.map_err(|e| ClusterError::from_nats("listing the workers", e))?;
    let mut out = Vec::new();
    while let Some(k) = keys.next().await {
        let Ok(k) = k else { continue };
        if let Ok(Some(bytes)) = kv.get(&k).await
            && let Ok(rec) = serde_json::from_slice::<WorkerRecord>(&bytes)
        {
            out.push(rec);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_becomes_a_safe_key() {
        assert_eq!(key_of("gpu box.1/a"), "gpu_box_1_a");
        assert_eq!(key_of("w-1_b"), "w-1_b");
    }
}
