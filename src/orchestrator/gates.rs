//! Every gate by id, and the pending ones by opening time: a gate is in the pending set
//! exactly while its status is pending.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::{Gate, GateCode, GateId, GateStatus, RunId};

#[derive(Default)]
pub(super) struct Gates {
    all: BTreeMap<GateId, Gate>,
    /// The pending gates by (opening time, id).
    pending: BTreeSet<(u64, GateId)>,
}

impl Gates {
    pub fn get(&self, id: &GateId) -> Option<&Gate> {
        self.all.get(id)
    }

    /// Every gate, by run, code and number.
    pub fn all(&self) -> impl Iterator<Item = &Gate> {
        self.all.values()
    }

    /// The pending gates, oldest first.
    pub fn pending(&self) -> impl Iterator<Item = &Gate> {
        self.pending.iter().filter_map(|(_, id)| self.all.get(id))
    }

    /// A run's gates, by code and number.
    pub fn of_run(&self, run: RunId) -> impl Iterator<Item = &Gate> {
        self.all
            .range(GateId { run, code: GateCode::G0, n: 0 }..)
            .take_while(move |(id, _)| id.run == run)
            .map(|(_, g)| g)
    }

    /// A run's gates of one code, by number.
    pub fn of_code(&self, run: RunId, code: GateCode) -> impl Iterator<Item = &Gate> {
        self.all.range(GateId { run, code, n: 0 }..=GateId { run, code, n: u32::MAX }).map(|(_, g)| g)
    }

    /// The number the run's next gate of `code` gets.
    pub fn next_n(&self, run: RunId, code: GateCode) -> u32 {
        self.of_code(run, code).count() as u32
    }

    /// Adds a gate (opened, or read back from the store).
    pub fn insert(&mut self, gate: Gate) {
        if gate.status == GateStatus::Pending {
            self.pending.insert((gate.opened_at, gate.id));
        }
        self.all.insert(gate.id, gate);
    }

    /// Closes a gate with a decision; returns when it was opened, or `None` if there is no
    /// such gate.
    pub fn decide(
        &mut self,
        id: GateId,
        status: GateStatus,
        now: u64,
        by: String,
        note: Option<String>,
    ) -> Option<u64> {
        let gate = self.all.get_mut(&id)?;
        gate.status = status;
        gate.decided_at = Some(now);
        gate.decided_by = Some(by);
        gate.note = note;
        self.pending.remove(&(gate.opened_at, id));
        Some(gate.opened_at)
    }

    /// Notes on a budget gate the limit it raised.
    pub fn note_raise(&mut self, id: GateId, to: u64) {
        if let Some(ask) = self.all.get_mut(&id).and_then(|g| g.budget.as_mut()) {
            ask.raised_to_micros = Some(to);
        }
    }

    /// Notes that the gate's timeout alert went out.
    pub fn timeout_alerted(&mut self, id: GateId) {
        if let Some(g) = self.all.get_mut(&id) {
            g.timeout_alerted = true;
        }
    }
}

impl std::ops::Index<&GateId> for Gates {
    type Output = Gate;
    fn index(&self, id: &GateId) -> &Gate {
        &self.all[id]
    }
}
