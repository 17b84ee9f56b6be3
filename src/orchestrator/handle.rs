//! The handle everything else holds: send a command and await its reply; watch snapshots;
//! subscribe to events.

use std::sync::Arc;

use tokio::sync::{broadcast, oneshot, watch};

use super::Msg;
use super::command::{Command, Reply};
use super::snapshot::Snapshot;
use crate::domain::Event;
use crate::error::{ErrorKind, FactoryError, Result};

#[derive(Clone)]
pub struct OrchestratorHandle {
    tx: std::sync::mpsc::Sender<Msg>,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    events: broadcast::Sender<Arc<Event>>,
}

fn stopped() -> FactoryError {
    FactoryError::new(ErrorKind::Unavailable, "the orchestrator has stopped; start it again")
}

impl OrchestratorHandle {
    pub(super) fn new(
        tx: std::sync::mpsc::Sender<Msg>,
        snapshots: watch::Receiver<Arc<Snapshot>>,
        events: broadcast::Sender<Arc<Event>>,
    ) -> Self {
        OrchestratorHandle { tx, snapshots, events }
    }

    /// Sends a command and waits for its reply, which comes once its changes are on disk.
    pub async fn request(&self, cmd: Command) -> Result<Reply> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(Msg::Command(cmd, tx)).map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// The latest snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshots.borrow())
    }

    /// A receiver that wakes on every new snapshot.
    pub fn watch(&self) -> watch::Receiver<Arc<Snapshot>> {
        self.snapshots.clone()
    }

    /// Every event from now on, as it is committed.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.events.subscribe()
    }

    /// Stops dispatching, waits for calls in flight (up to the grace time), flushes, stops.
    pub async fn shutdown(&self) -> Result<()> {
        self.request(Command::Shutdown).await.map(|_| ())
    }
}
