//! The socket's JSON lines: the same `Command`s, `Reply`s, snapshots and events the
//! in-process control room uses; snapshots after the first carry only the runs that changed.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::domain::Event;
use crate::error::FactoryError;
use crate::orchestrator::{Command, Reply, RunView, Snapshot};

/// Longest line either side accepts (a full snapshot of many runs is the largest).
pub const MAX_LINE: usize = 64 << 20;

/// Protocol version: a client and an owner with different versions refuse each other.
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    Hello {
        protocol: u32,
        /// Refuse this connection's commands that change anything.
        read_only: bool,
        snapshots: bool,
        events: bool,
    },
    Request {
        id: u64,
        command: Command,
    },
    /// A delta did not apply: send the next snapshot whole.
    Resync,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    Hello { protocol: u32, pid: u32 },
    Refused { message: String },
    Reply { id: u64, result: Result<Reply, FactoryError> },
    Snapshot(SnapshotDelta),
    Event { event: Event },
}

/// A snapshot as sent: everything but the runs, then the runs that changed since `base`
/// (all of them when `base` is 0).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SnapshotDelta {
    /// The snapshot version this applies to (0: none, this is complete).
    pub base: u64,
    pub runs_len: usize,
    pub changed: Vec<Arc<RunView>>,
    /// The snapshot with `runs` left empty.
    pub rest: Snapshot,
}

impl SnapshotDelta {
    /// Everything in `snap`.
    pub fn full(snap: &Snapshot) -> Self {
        SnapshotDelta {
            base: 0,
            runs_len: snap.runs.len(),
            changed: snap.runs.clone(),
            rest: Snapshot { runs: Vec::new(), ..snap.clone() },
        }
    }

    /// What changed from `prev` to `next`: runs whose view was rebuilt (a new `Arc`).
    pub fn between(prev: &Snapshot, next: &Snapshot) -> Self {
        let changed = next
            .runs
            .iter()
            .enumerate()
            .filter(|(i, r)| prev.runs.get(*i).is_none_or(|p| !Arc::ptr_eq(p, r)))
            .map(|(_, r)| Arc::clone(r))
            .collect();
        SnapshotDelta {
            base: prev.version,
            runs_len: next.runs.len(),
            changed,
            rest: Snapshot { runs: Vec::new(), ..next.clone() },
        }
    }

    /// The snapshot this delta makes of `prev`; `None` if it does not apply to `prev`.
    pub fn apply(self, prev: Option<&Snapshot>) -> Option<Snapshot> {
        let mut runs = match (self.base, prev) {
            (0, _) => Vec::with_capacity(self.runs_len),
            (b, Some(p)) if p.version == b => p.runs.clone(),
            _ => return None,
        };
        runs.truncate(self.runs_len);
        for r in self.changed {
            let i = r.id.0 as usize - 1;
            if i < runs.len() {
                runs[i] = r;
            } else if i == runs.len() {
                runs.push(r);
            } else {
                return None;
            }
        }
        if runs.len() != self.runs_len {
            return None;
        }
        Some(Snapshot { runs, ..self.rest })
    }
}

/// Whether a command changes anything (refused on a read-only connection).
pub fn mutates(cmd: &Command) -> bool {
    matches!(
        cmd,
        Command::NewRun(_)
            | Command::Decide { .. }
            | Command::Pause { .. }
            | Command::Resume { .. }
            | Command::Cancel { .. }
            | Command::Shutdown
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixture;

    #[test]
    fn deltas_carry_only_changed_runs_and_rebuild_the_snapshot() {
        let a = fixture::snapshot(50, 3, 5);
        let mut b = a.clone();
        b.version = a.version + 1;
        let mut changed = (*b.runs[7]).clone();
        changed.cost_micros += 1;
        b.runs[7] = Arc::new(changed);
        let mut extra = (*b.runs[0]).clone();
        extra.id = crate::domain::RunId(51);
        b.runs.push(Arc::new(extra));
        let delta = SnapshotDelta::between(&a, &b);
        assert_eq!(delta.changed.len(), 2);
        let line = serde_json::to_string(&ServerMsg::Snapshot(delta)).unwrap();
        let ServerMsg::Snapshot(back) = serde_json::from_str(&line).unwrap() else { panic!() };
        let rebuilt = back.apply(Some(&a)).unwrap();
        assert_eq!(rebuilt, b);
        // A delta on the wrong base is refused, so the client asks for it whole.
        let stale = SnapshotDelta::between(&a, &b);
        let mut other = a.clone();
        other.version = 99;
        assert!(stale.apply(Some(&other)).is_none());
        assert_eq!(SnapshotDelta::full(&b).apply(None).unwrap(), b);
    }
}
