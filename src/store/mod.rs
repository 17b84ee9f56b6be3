//! The sled store: one tree per kind of record, a schema version, group commits in one
//! transaction, and loading the current state at start-up.

mod event_log;
pub mod fault;
mod keys;
pub mod last_frame;
mod mark;
mod open;
mod room;
mod safety;

use std::sync::atomic::Ordering;

use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use crate::domain::{Event, Gate, Report, Run, RunId, Task};
use crate::error::{FactoryError, Result};
pub use keys::{gate_key, report_key, run_key, seq_key, task_key};
pub use open::{DATA_DIR_MARKER, SCHEMA_VERSION};
pub use room::{DEFAULT_MIN_FREE_MB, free_bytes};

/// Everything one group commit writes, already serialised.
#[derive(Default, Debug)]
pub struct Writes {
    pub runs: Vec<(Vec<u8>, Vec<u8>)>,
    pub gates: Vec<(Vec<u8>, Vec<u8>)>,
    pub tasks: Vec<(Vec<u8>, Vec<u8>)>,
    /// Events become records at commit, many to a record (see `event_log`).
    pub events: event_log::Pending,
    pub alerts: Vec<(Vec<u8>, Vec<u8>)>,
    pub reports: Vec<(Vec<u8>, Vec<u8>)>,
    pub meta: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Writes {
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
            && self.gates.is_empty()
            && self.tasks.is_empty()
            && self.events.is_empty()
            && self.reports.is_empty()
            && self.meta.is_empty()
    }

    /// Records in this batch.
    pub fn len(&self) -> usize {
        self.runs.len()
            + self.gates.len()
            + self.tasks.len()
            + self.events.records_len()
            + self.reports.len()
            + self.meta.len()
    }

    pub fn run(&mut self, run: &Run) {
        self.runs.push((run_key(run.id).to_vec(), to_json(run)));
    }
    pub fn gate(&mut self, gate: &Gate) {
        self.gates.push((gate_key(gate.id).to_vec(), to_json(gate)));
    }
    pub fn task(&mut self, task: &Task) {
        self.tasks.push((task_key(task.run, &task.id), to_json(task)));
    }
    pub fn event(&mut self, event: &Event) {
        let value = to_json(event);
        if event.alert().is_some() {
            self.alerts.push((seq_key(event.seq).to_vec(), value.clone()));
        }
        self.events.push(event.seq, value);
    }
    pub fn report(&mut self, seq: u64, report: &Report) {
        self.reports.push((report_key(report.run, seq), to_json(report)));
    }
    pub fn meta(&mut self, key: &str, value: &[u8]) {
        self.meta.push((key.as_bytes().to_vec(), value.to_vec()));
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("domain records always serialise")
}

fn from_json<T: serde::de::DeserializeOwned>(tree: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        FactoryError::storage(format!("a record in the `{tree}` tree is unreadable ({e}); the data directory may be damaged, restore it from a backup"))
    })
}

/// The state found on disk at start-up.
#[derive(Default, Debug)]
pub struct Loaded {
    pub runs: Vec<Run>,
    pub gates: Vec<Gate>,
    /// Tasks of runs that are not finished (finished runs' tasks are read on demand).
    pub tasks: Vec<Task>,
    pub next_seq: u64,
    pub meta: Vec<(String, Vec<u8>)>,
}

pub struct Store {
    /// The data directory, named in errors.
    dir: std::path::PathBuf,
    db: sled::Db,
    meta: sled::Tree,
    runs: sled::Tree,
    gates: sled::Tree,
    tasks: sled::Tree,
    events: sled::Tree,
    alerts: sled::Tree,
    reports: sled::Tree,
    cache: sled::Tree,
    quality: sled::Tree,
    /// Group commits made so far (kept in `meta`, one more with each commit).
    commits: std::sync::atomic::AtomicU64,
    /// The highest commit known flushed, kept outside sled (see `mark`).
    mark: mark::Mark,
    /// Free bytes kept on the disk (see `room`).
    min_free: u64,
}

impl Store {
    /// Writes every change of one group commit in a single transaction.
    pub fn commit(&self, w: &Writes) -> Result<()> {
        if w.is_empty() {
            return Ok(());
        }
        room::check(&self.dir, self.min_free)?;
        let number = self.commits.load(Ordering::Relaxed) + 1;
        let counted = number.to_string();
        let events = w.events.records();
        (&self.runs, &self.gates, &self.tasks, &self.events, &self.alerts, &self.reports, &self.meta)
            .transaction(|(runs, gates, tasks, events_tree, alerts, reports, meta)| {
                for (tree, items) in [
                    (runs, &w.runs),
                    (gates, &w.gates),
                    (tasks, &w.tasks),
                    (alerts, &w.alerts),
                    (reports, &w.reports),
                    (meta, &w.meta),
                ] {
                    for (k, v) in items {
                        tree.insert(k.as_slice(), v.as_slice())?;
                    }
                }
                for (k, v) in &events {
                    events_tree.insert(k, v.as_slice())?;
                }
                meta.insert(mark::COMMIT_KEY, counted.as_bytes())?;
                Ok::<(), ConflictableTransactionError<()>>(())
            })
            .map(|()| self.commits.store(number, Ordering::Relaxed))
            .map_err(|e| match e {
                sled::transaction::TransactionError::Storage(e) => fault::from_sled(Some(&self.dir), &e),
                sled::transaction::TransactionError::Abort(()) => {
                    FactoryError::internal("a group commit was aborted, which it never asks for")
                }
            })
    }

    /// Below `mb` MiB free on the data directory's disk, commits are refused (`store.min_free_mb`).
    pub fn set_min_free_mb(&mut self, mb: u64) {
        self.min_free = mb.saturating_mul(1024 * 1024);
    }

    /// Forces everything committed so far to disk, then notes outside sled how far that is.
    pub fn flush(&self) -> Result<()> {
        let number = self.commits.load(Ordering::Relaxed);
        self.db.flush().map_err(|e| fault::from_sled(Some(&self.dir), &e))?;
        self.mark.advance(number);
        Ok(())
    }

    /// Current state: every run and gate, the tasks of unfinished runs, the next event number.
    pub fn load(&self) -> Result<Loaded> {
        let mut loaded = Loaded::default();
        for item in self.runs.iter() {
            let (_, v) = item?;
            loaded.runs.push(from_json("runs", &v)?);
        }
        for item in self.gates.iter() {
            let (_, v) = item?;
            loaded.gates.push(from_json("gates", &v)?);
        }
        for run in loaded.runs.iter().filter(|r| !r.status.is_final()) {
            loaded.tasks.extend(self.tasks_of(run.id)?);
        }
        loaded.next_seq = event_log::next_seq(&self.events)?;
        for item in self.meta.iter() {
            let (k, v) = item?;
            loaded.meta.push((String::from_utf8_lossy(&k).into_owned(), v.to_vec()));
        }
        Ok(loaded)
    }

    pub fn tasks_of(&self, run: RunId) -> Result<Vec<Task>> {
        self.tasks.scan_prefix(run_key(run)).map(|item| from_json("tasks", &item?.1)).collect()
    }

    pub fn reports_of(&self, run: RunId) -> Result<Vec<Report>> {
        self.reports.scan_prefix(run_key(run)).map(|item| from_json("reports", &item?.1)).collect()
    }

    /// Events with `seq >= from`, at most `limit`.
    pub fn events_from(&self, from: u64, limit: usize) -> Result<Vec<Event>> {
        event_log::from(&self.events, from, limit)
    }

    /// The last `limit` events, oldest first.
    pub fn last_events(&self, limit: usize) -> Result<Vec<Event>> {
        event_log::last(&self.events, limit)
    }

    pub fn alerts(&self) -> Result<Vec<Event>> {
        self.alerts.iter().map(|item| from_json("alerts", &item?.1)).collect()
    }

    pub fn meta_get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.meta.get(key)?.map(|v| v.to_vec()))
    }

    /// The provider response cache tree (entries written by the provider layer).
    pub fn cache_tree(&self) -> &sled::Tree {
        &self.cache
    }

    /// Quality, latency and cost learned per provider and task kind (written by the provider layer).
    pub fn quality_tree(&self) -> &sled::Tree {
        &self.quality
    }

    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests;
