//! The changes waiting for the next group commit: runs, tasks and gates to write again,
//! events, reports and meta records, and whether the commit must reach the disk.

use std::collections::BTreeSet;

use super::runs::{RunIx, Runs, TaskIx};
use crate::domain::{Event, GateId, Report};
use crate::store::Writes;

#[derive(Default)]
pub(super) struct Outbox {
    runs: BTreeSet<RunIx>,
    tasks: BTreeSet<(RunIx, TaskIx)>,
    gates: BTreeSet<GateId>,
    /// Written with the commit, then announced (`drain_events`).
    events: Vec<Event>,
    reports: Vec<(u64, Report)>,
    meta: Vec<(String, Vec<u8>)>,
    /// Flush to disk before the replies go out (a decision or a budget change).
    durable: bool,
}

impl Outbox {
    /// Run `i`'s record is written with the next commit.
    pub fn run(&mut self, i: RunIx) {
        self.runs.insert(i);
    }

    /// Task `t` of run `i` is written with the next commit (unless still pristine).
    pub fn task(&mut self, i: RunIx, t: TaskIx) {
        self.tasks.insert((i, t));
    }

    pub fn gate(&mut self, id: GateId) {
        self.gates.insert(id);
    }

    pub fn event(&mut self, event: Event) {
        self.events.push(event);
    }

    /// The latest event emitted, until it is announced.
    pub fn last_event(&self) -> Option<&Event> {
        self.events.last()
    }

    pub fn report(&mut self, seq: u64, report: Report) {
        self.reports.push((seq, report));
    }

    /// A meta record (key, value); only the last value of a key is written.
    pub fn meta(&mut self, record: (String, Vec<u8>)) {
        self.meta.push(record);
    }

    /// The next commit is flushed to disk before its replies go out.
    pub fn make_durable(&mut self) {
        self.durable = true;
    }

    pub fn is_durable(&self) -> bool {
        self.durable
    }

    /// Whether the commit being made must be flushed; the next one need not be.
    pub fn take_durable(&mut self) -> bool {
        std::mem::take(&mut self.durable)
    }

    /// Whether changes wait for the next commit.
    pub fn has_writes(&self) -> bool {
        !(self.runs.is_empty()
            && self.tasks.is_empty()
            && self.gates.is_empty()
            && self.events.is_empty()
            && self.reports.is_empty()
            && self.meta.is_empty())
    }

    /// Serialises every pending change for one transaction; returns it and the runs
    /// written that have ended (their tasks all written now). The events stay until they
    /// are announced (`drain_events`).
    pub fn take_writes(&mut self, runs: &mut Runs, gates: &super::gates::Gates) -> (Writes, Vec<RunIx>) {
        let mut w = Writes::default();
        let mut ended = Vec::new();
        for i in std::mem::take(&mut self.runs) {
            w.run(&runs[i].run);
            if runs[i].run.status.is_final() {
                ended.push(i);
            }
        }
        for (i, t) in std::mem::take(&mut self.tasks) {
            let rs = &mut runs[i];
            // Not started yet, and made again at start-up (`RunState::restore_unwritten`):
            // written when it changes, or when its run ends (an ended run's tasks are read
            // from the store).
            if !rs.written[t] && rs.tasks[t].is_pristine() && !rs.run.status.is_final() {
                continue;
            }
            w.task(&rs.tasks[t]);
            rs.written[t] = true;
        }
        for &i in &ended {
            let rs = &mut runs[i];
            for t in (0..rs.tasks.len()).map(TaskIx) {
                if !rs.written[t] {
                    w.task(&rs.tasks[t]);
                    rs.written[t] = true;
                }
            }
        }
        for id in std::mem::take(&mut self.gates) {
            if let Some(g) = gates.get(&id) {
                w.gate(g);
            }
        }
        for e in &self.events {
            w.event(e);
        }
        for (seq, r) in std::mem::take(&mut self.reports) {
            w.report(seq, &r);
        }
        // Only the last value of each key matters (the day's spend is rewritten per call).
        let mut meta: Vec<(String, Vec<u8>)> = Vec::new();
        for (k, v) in std::mem::take(&mut self.meta).into_iter().rev() {
            if !meta.iter().any(|(seen, _)| *seen == k) {
                meta.push((k, v));
            }
        }
        for (k, v) in meta {
            w.meta(&k, &v);
        }
        (w, ended)
    }

    /// The events of the last commit, to announce.
    pub fn drain_events(&mut self) -> std::vec::Drain<'_, Event> {
        self.events.drain(..)
    }
}
