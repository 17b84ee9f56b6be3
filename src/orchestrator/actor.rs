//! The actor loop on its own thread: drain the inbox, apply every message, start what may
//! start, write all changes in one transaction (flushing decisions), then reply, announce
//! the events, and publish a snapshot at most every 50 ms.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, watch};

use super::command::{Command, Reply};
use super::handle::{Fatal, OrchestratorHandle};
use super::state::{ReplyTo, State};
use super::worker::{self, Shared};
use super::{Msg, views};
use crate::domain::Event;
use crate::error::{ErrorKind, FactoryError, Result};

/// Most messages applied in one group commit.
const MAX_BATCH: usize = 8192;
const PUBLISH_EVERY: Duration = Duration::from_millis(50);
/// Workers' results wait at most this long to be written together; a command's reply
/// never waits for it.
const COMMIT_EVERY: Duration = Duration::from_millis(5);
const TICK_EVERY: Duration = Duration::from_secs(1);

struct Actor {
    state: State,
    shared: Arc<Shared>,
    rx: Receiver<Msg>,
    runtime: tokio::runtime::Handle,
    snapshots: watch::Sender<Arc<super::Snapshot>>,
    events: broadcast::Sender<Arc<Event>>,
    version: u64,
    last_publish: Instant,
    last_tick: Instant,
    last_commit: Instant,
    shutdown: Option<(ReplyTo, Instant)>,
    fatal: Fatal,
}

pub(super) fn spawn(
    state: State,
    shared: Arc<Shared>,
    rx: Receiver<Msg>,
    tx: Sender<Msg>,
    runtime: tokio::runtime::Handle,
) -> Result<OrchestratorHandle> {
    tracing::info!(
        runs = state.runs.len(),
        dispatch = state.opts.dispatch,
        simulated = shared.gateway.uses_simulated(),
        "orchestrator started"
    );
    let first = views::snapshot(&state, &shared.gateway, 0);
    let (snapshots, snapshot_rx) = watch::channel(Arc::new(first));
    let (events, _) = broadcast::channel(16_384);
    let fatal = Fatal::default();
    let handle = OrchestratorHandle::new(tx, snapshot_rx, events.clone(), Arc::clone(&fatal));
    let actor = Actor {
        state,
        shared,
        rx,
        runtime,
        snapshots,
        events,
        version: 0,
        last_publish: Instant::now() - PUBLISH_EVERY,
        last_tick: Instant::now(),
        last_commit: Instant::now(),
        shutdown: None,
        fatal,
    };
    std::thread::Builder::new()
        .name("orchestrator".into())
        .spawn(move || actor.run())
        .map_err(|e| FactoryError::internal(format!("cannot start the orchestrator thread: {e}")))?;
    Ok(handle)
}

impl Actor {
    fn run(mut self) {
        loop {
            let mut wait = if self.state.changed {
                PUBLISH_EVERY.saturating_sub(self.last_publish.elapsed())
            } else {
                TICK_EVERY.saturating_sub(self.last_tick.elapsed())
            };
            if self.state.outbox.has_writes() {
                wait = wait.min(COMMIT_EVERY.saturating_sub(self.last_commit.elapsed()));
            }
            // The stats' first reading of the log goes on between messages.
            let warming = self.state.opts.dispatch && self.state.stats_warming();
            if warming {
                wait = Duration::ZERO;
            }
            match self.rx.recv_timeout(wait.max(Duration::from_millis(1))) {
                Ok(msg) => {
                    self.handle(msg);
                    for _ in 1..MAX_BATCH {
                        match self.rx.try_recv() {
                            Ok(m) => self.handle(m),
                            Err(_) => break,
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if self.last_tick.elapsed() >= TICK_EVERY {
                self.last_tick = Instant::now();
                self.state.tick();
                self.shared.gateway.save_scores();
            }
            if warming {
                self.state.warm_stats();
            }
            if self.shutdown.is_none() && self.state.opts.dispatch {
                let jobs = self.state.dispatch();
                if !jobs.is_empty() {
                    self.state.changed = true;
                }
                for job in jobs {
                    self.runtime.spawn(worker::run(Arc::clone(&self.shared), job));
                }
            }
            // Group commit: workers' results gather for up to COMMIT_EVERY; anyone waiting
            // for a reply (a command, a decision, a shutdown) gets the commit at once.
            let someone_waits =
                !self.state.replies.is_empty() || self.state.outbox.is_durable() || self.shutdown.is_some();
            if someone_waits || self.last_commit.elapsed() >= COMMIT_EVERY {
                if let Err(e) = self.commit() {
                    self.fail_all(e);
                    self.abandon();
                    return;
                }
                self.last_commit = Instant::now();
            }
            // Nothing is announced before it is on disk.
            if self.last_publish.elapsed() >= PUBLISH_EVERY && !self.state.outbox.has_writes() {
                self.publish();
            }
            if let Some((_, deadline)) = &self.shutdown
                && (self.state.counters.in_flight() == 0 || Instant::now() >= *deadline)
            {
                self.publish();
                let flushed = self.state.store.flush();
                if flushed.is_ok() {
                    self.save_last_frame();
                }
                tracing::info!(in_flight = self.state.counters.in_flight(), "orchestrator stopped");
                let Actor { state, shutdown, shared, .. } = self;
                // Close the store (and its lock on the data directory) before saying so;
                // the gateway lets go of its trees too, even if a late worker still holds it.
                shared.gateway.close_store();
                match flushed {
                    Ok(()) => drop(state),
                    Err(_) => leave_unclosed(state.store),
                }
                if let Some((reply, _)) = shutdown {
                    let _ = reply.send(flushed.map(|()| Reply::Done { message: "the orchestrator stopped".into() }));
                }
                return;
            }
        }
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Finished(f) => self.state.finished(*f),
            Msg::Note { run_index, task, note } => self.state.noted(run_index, task, note),
            Msg::Delivered(outcome) => self.state.delivery_outcome(outcome),
            Msg::Cluster(notice) => self.state.cluster_notice(notice),
            Msg::Command(Command::Shutdown, reply) => {
                self.state.shutting_down = true;
                for i in self.state.runs.ixs() {
                    self.state.reschedule(i);
                }
                let deadline = Instant::now() + Duration::from_millis(self.state.opts.grace_ms);
                self.shutdown = Some((reply, deadline));
            }
            Msg::Command(cmd, reply) => {
                let result = self.command(cmd);
                self.state.replies.push((reply, result));
            }
        }
    }

    fn command(&mut self, cmd: Command) -> Result<Reply> {
        let s = &mut self.state;
        match cmd {
            Command::NewRun(new) => s.create_run(new).map(|id| Reply::Created { id: id.to_string() }),
            Command::Decide { gate, decision, note, by, budget_usd } => {
                s.decide(gate, decision, note, by, budget_usd).map(|gate| Reply::Decided { gate: Box::new(gate) })
            }
            Command::Pause { run } => s.pause(run).map(|message| Reply::Done { message }),
            Command::Resume { run } => s.resume(run).map(|message| Reply::Done { message }),
            Command::Cancel { run, by } => s.cancel(run, by).map(|message| Reply::Done { message }),
            Command::Status { run } => s.status(run),
            Command::Gates { all } => Ok(s.gates_reply(all)),
            Command::Alerts => s.alerts_reply(),
            Command::AckAlerts { alerts, by } => s.ack_alerts(&alerts, by).map(|message| Reply::Done { message }),
            Command::Providers => {
                Ok(Reply::Providers { providers: self.shared.gateway.stats(), routing: self.shared.gateway.routing() })
            }
            Command::Export { run } => s.export(run),
            Command::Events { limit } => s.store.last_events(limit).map(|events| Reply::Events { events }),
            Command::Review { gate } => s.review(gate),
            Command::Metrics => Ok(Reply::Metrics { metrics: s.counters.metrics() }),
            Command::Templates => Ok(s.templates_reply()),
            Command::RemoveTemplate { template } => s.remove_template(&template).map(|message| Reply::Done { message }),
            Command::Files { run } => s.files(run),
            Command::ReadFile { run, path } => s.read_file(run, &path),
            Command::Stats { since } => s.stats(since),
            Command::Shutdown => unreachable!("handled before"),
        }
    }

    /// Writes the pending changes in one transaction (flushed when a decision waits on
    /// it), publishes a snapshot if a reply is due, then sends the replies and announces
    /// the events.
    fn commit(&mut self) -> Result<()> {
        let writes = self.state.take_writes();
        let durable = self.state.outbox.take_durable();
        self.state.counters.committed(writes.len());
        self.state.store.commit(&writes)?;
        if durable {
            self.state.store.flush()?;
        }
        if !self.state.replies.is_empty() {
            // Whoever gets a reply finds its effect already in the snapshot.
            self.publish();
        }
        for (reply, result) in self.state.replies.drain(..) {
            let _ = reply.send(result);
        }
        for e in self.state.outbox.drain_events() {
            let _ = self.events.send(Arc::new(e));
        }
        self.state.post_letters();
        Ok(())
    }

    /// After the store refused a write: commands and views learn at once that the
    /// orchestrator stopped, and the store is left unclosed (see `leave_unclosed`).
    fn abandon(self) {
        let Actor { state, rx, snapshots, shared, .. } = self;
        drop(rx);
        drop(snapshots);
        shared.gateway.close_store();
        leave_unclosed(state.store);
    }

    fn publish(&mut self) {
        if !self.state.changed {
            return;
        }
        for i in std::mem::take(&mut self.state.views_dirty) {
            self.state.refresh_view(i);
        }
        self.version += 1;
        let snap = views::snapshot(&self.state, &self.shared.gateway, self.version);
        self.snapshots.send_replace(Arc::new(snap));
        self.state.changed = false;
        self.last_publish = Instant::now();
    }

    /// Saves the last snapshot beside the store, for the next control room's first frame
    /// (see `store::last_frame`); a store that cannot take it only starts slower next time.
    fn save_last_frame(&self) {
        let started = Instant::now();
        let saved = serde_json::to_vec(&**self.snapshots.borrow())
            .map_err(std::io::Error::other)
            .and_then(|bytes| crate::store::last_frame::save(&self.state.opts.data_dir, &bytes));
        match saved {
            Ok(()) => tracing::debug!(ms = started.elapsed().as_millis() as u64, "last frame saved"),
            Err(e) => {
                tracing::warn!(error = %e, "the last frame could not be saved; the next start waits for the store")
            }
        }
    }

    /// The store refused a write: memory is ahead of disk, so stop; a restart reloads what
    /// is on disk. Everyone waiting hears why, and so does anyone who asks later.
    fn fail_all(&mut self, e: FactoryError) {
        tracing::error!(error = %e, "the store refused a write; the orchestrator stops");
        let err = FactoryError::new(
            ErrorKind::Storage,
            format!("{}; the orchestrator stopped and nothing unsaved was acknowledged", e.message),
        );
        let _ = self.fatal.set(err.clone());
        for (reply, _) in self.state.replies.drain(..) {
            let _ = reply.send(Err(err.clone()));
        }
        if let Some((reply, _)) = self.shutdown.take() {
            let _ = reply.send(Err(err.clone()));
        }
        while let Ok(msg) = self.rx.try_recv() {
            if let Msg::Command(_, reply) = msg {
                let _ = reply.send(Err(err.clone()));
            }
        }
    }
}

/// Closing a sled store flushes it, and sled's flush after a failed write waits for writes
/// that can never land (on a full disk it waits for ever). Nothing more may be written
/// anyway: the store is let go without closing, and the operating system closes its files
/// when the process exits (what was flushed before is on disk; the rest was never acknowledged).
fn leave_unclosed(store: crate::store::Store) {
    std::mem::forget(store);
}
