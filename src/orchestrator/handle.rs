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

/// How long an attached terminal waits for the owner's reply to one command before it
/// says so (the owner's own commands answer in milliseconds; a stuck owner never does).
pub const REPLY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

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
    /// For a remote route: how long a reply may take (see [`REPLY_TIMEOUT`]).
    reply_timeout: std::time::Duration,
}

impl OrchestratorHandle {
    pub(super) fn new(
        tx: std::sync::mpsc::Sender<Msg>,
        snapshots: watch::Receiver<Arc<Snapshot>>,
        events: broadcast::Sender<Arc<Event>>,
        fatal: Fatal,
    ) -> Self {
        let (_, link) = watch::channel(Link::Owner);
        OrchestratorHandle { route: Route::Local(tx), snapshots, events, link, fatal, reply_timeout: REPLY_TIMEOUT }
    }

    /// A handle whose commands go to a socket client task (see `crate::socket::client`).
    pub fn remote(
        calls: mpsc::UnboundedSender<RemoteCall>,
        snapshots: watch::Receiver<Arc<Snapshot>>,
        events: broadcast::Sender<Arc<Event>>,
        link: watch::Receiver<Link>,
    ) -> Self {
        OrchestratorHandle {
            route: Route::Remote(calls),
            snapshots,
            events,
            link,
            fatal: Fatal::default(),
            reply_timeout: REPLY_TIMEOUT,
        }
    }

    /// The same handle, waiting at most `timeout` for each reply over the socket.
    pub fn with_reply_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.reply_timeout = timeout;
        self
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
        let what = command_name(&cmd);
        let rx = self.send(cmd)?;
        self.reply(&what, rx).await
    }

    /// Sends every command at once, in order, then waits for their replies: the
    /// orchestrator applies them in that order and writes them in as few group commits
    /// as it can. Stops at the first error.
    pub async fn request_all(&self, cmds: impl IntoIterator<Item = Command>) -> Result<Vec<Reply>> {
        let pending: Vec<_> =
            cmds.into_iter().map(|cmd| Ok((command_name(&cmd), self.send(cmd)?))).collect::<Result<_>>()?;
        let mut replies = Vec::with_capacity(pending.len());
        for (what, rx) in pending {
            replies.push(self.reply(&what, rx).await?);
        }
        Ok(replies)
    }

    /// Waits for one reply: as long as it takes from this process's orchestrator, at most
    /// the reply timeout from an owner over the socket.
    async fn reply(&self, what: &str, rx: oneshot::Receiver<Result<Reply>>) -> Result<Reply> {
        match &self.route {
            Route::Local(_) => rx.await.map_err(|_| self.stop_reason())?,
            Route::Remote(_) => match tokio::time::timeout(self.reply_timeout, rx).await {
                Ok(reply) => reply.map_err(|_| self.stop_reason())?,
                Err(_) => Err(FactoryError::new(
                    ErrorKind::Unavailable,
                    format!(
                        "the owner of the data directory did not answer `{what}` within {} s; it may be stuck: see its log, or stop it and start the factory again",
                        self.reply_timeout.as_secs_f64()
                    ),
                )),
            },
        }
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

/// A command's name as the socket spells it (`status`, `new_run`), for messages.
fn command_name(cmd: &Command) -> String {
    serde_json::to_value(cmd)
        .ok()
        .and_then(|v| v.get("command").and_then(|c| c.as_str()).map(str::to_string))
        .unwrap_or_else(|| "a command".to_string())
}
