//! The handle everything else holds: send a command and await its reply; watch snapshots;
//! subscribe to events; the same whether the orchestrator runs in this process or is
//! reached over the socket of the process that owns the data directory.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use super::Msg;
use super::command::{Command, Reply};
use super::snapshot::Snapshot;
use crate::domain::Event;
use crate::error::{ErrorKind, FactoryError, Result};

/// How this handle reaches the orchestrator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Link {
    /// The orchestrator runs in this process.
    Owner,
    /// Attached over the socket to the process that owns the data directory.
    Attached { pid: u32, read_only: bool },
    /// The owner went away; trying to attach again.
    Lost { read_only: bool },
}

/// A command on its way over the socket, with where its reply goes.
pub type RemoteCall = (Command, oneshot::Sender<Result<Reply>>);

#[derive(Clone)]
enum Route {
    Local(std::sync::mpsc::Sender<Msg>),
    Remote(mpsc::UnboundedSender<RemoteCall>),
}

/// Why the orchestrator stopped on its own (the store refused a write), once it has.
pub(super) type Fatal = Arc<std::sync::OnceLock<FactoryError>>;

#[derive(Clone)]
pub struct OrchestratorHandle {
    route: Route,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    events: broadcast::Sender<Arc<Event>>,
    link: watch::Receiver<Link>,
    fatal: Fatal,
}

impl OrchestratorHandle {
    pub(super) fn new(
        tx: std::sync::mpsc::Sender<Msg>,
        snapshots: watch::Receiver<Arc<Snapshot>>,
        events: broadcast::Sender<Arc<Event>>,
        fatal: Fatal,
    ) -> Self {
        let (_, link) = watch::channel(Link::Owner);
        OrchestratorHandle { route: Route::Local(tx), snapshots, events, link, fatal }
    }

    /// A handle whose commands go to a socket client task (see `crate::socket::client`).
    pub fn remote(
        calls: mpsc::UnboundedSender<RemoteCall>,
        snapshots: watch::Receiver<Arc<Snapshot>>,
        events: broadcast::Sender<Arc<Event>>,
        link: watch::Receiver<Link>,
    ) -> Self {
        OrchestratorHandle { route: Route::Remote(calls), snapshots, events, link, fatal: Fatal::default() }
    }

    /// Why the orchestrator can no longer be reached: the store's refusal that stopped it
    /// (a full disk, say), else that it has stopped.
    pub fn stop_reason(&self) -> FactoryError {
        self.fatal.get().cloned().unwrap_or_else(|| {
            FactoryError::new(ErrorKind::Unavailable, "the orchestrator has stopped; start it again")
        })
    }

    /// Sends a command and waits for its reply, which comes once its changes are on disk.
    pub async fn request(&self, cmd: Command) -> Result<Reply> {
        let rx = self.send(cmd)?;
        rx.await.map_err(|_| self.stop_reason())?
    }

    /// Sends every command at once, in order, then waits for their replies: the
    /// orchestrator applies them in that order and writes them in as few group commits
    /// as it can. Stops at the first error.
    pub async fn request_all(&self, cmds: impl IntoIterator<Item = Command>) -> Result<Vec<Reply>> {
        let pending: Vec<_> = cmds.into_iter().map(|cmd| self.send(cmd)).collect::<Result<_>>()?;
        let mut replies = Vec::with_capacity(pending.len());
        for rx in pending {
            replies.push(rx.await.map_err(|_| self.stop_reason())??);
        }
        Ok(replies)
    }

    fn send(&self, cmd: Command) -> Result<oneshot::Receiver<Result<Reply>>> {
        let (tx, rx) = oneshot::channel();
        match &self.route {
            Route::Local(local) => local.send(Msg::Command(cmd, tx)).map_err(|_| self.stop_reason())?,
            Route::Remote(remote) => remote.send((cmd, tx)).map_err(|_| self.stop_reason())?,
        }
        Ok(rx)
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

    /// How this handle reaches the orchestrator, as it changes.
    pub fn link(&self) -> watch::Receiver<Link> {
        self.link.clone()
    }

    pub fn is_owner(&self) -> bool {
        matches!(self.route, Route::Local(_))
    }

    /// The owner stops dispatching, waits for calls in flight (up to the grace time),
    /// flushes and stops. An attached handle just lets go: the owner keeps running.
    pub async fn shutdown(&self) -> Result<()> {
        match self.route {
            Route::Local(_) => self.request(Command::Shutdown).await.map(|_| ()),
            Route::Remote(_) => Ok(()),
        }
    }
}
