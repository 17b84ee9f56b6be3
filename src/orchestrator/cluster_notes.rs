//! The orchestrator's hook to the cluster: starts the dispatcher with a way back to the
//! actor, and records what it reports in the event log (under the run it concerns).

use std::sync::Arc;

use super::Msg;
use super::state::State;
use crate::cluster::{Dispatcher, Notice};
use crate::config::{ClusterConfig, Config};
use crate::domain::{EventKind, RunId};
use crate::error::Result;

/// Starts the dispatcher. Its calls are simulated ones when this orchestrator was told to
/// simulate (`--simulate`, `demo`); otherwise each worker calls real providers with the keys
/// of its own environment (and one with none sends the call back for another).
pub(super) fn start_dispatcher(
    cluster: &ClusterConfig,
    cfg: &Config,
    simulate: bool,
    tx: std::sync::mpsc::Sender<Msg>,
) -> Result<Arc<Dispatcher>> {
    let tx = std::sync::Mutex::new(tx);
    let hook = Arc::new(move |n: Notice| {
        let _ = tx.lock().unwrap_or_else(|e| e.into_inner()).send(Msg::Cluster(n));
    });
    Ok(Dispatcher::start(cluster.clone(), simulate, cfg.sim.clone(), hook)?)
}

impl State {
    pub(super) fn cluster_notice(&mut self, n: Notice) {
        let run = n.task.as_deref().and_then(|t| t.split('.').next()).and_then(|r| r.parse::<RunId>().ok());
        let run = run.filter(|id| self.runs.iter().any(|r| r.run.id == *id));
        self.emit(run, EventKind::Cluster { task: n.task, message: n.message });
    }

    /// The cluster's workers for the snapshot (none without `[cluster]`).
    pub(super) fn cluster_workers(&self) -> Vec<crate::cluster::WorkerRecord> {
        self.shared.cluster.as_ref().map(|c| c.workers()).unwrap_or_default()
    }
}
