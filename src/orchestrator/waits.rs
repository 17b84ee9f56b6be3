//! How long gates wait for people, learned from the decisions made: the ETA's estimate of
//! a gate still ahead (its median wait, or its configured timeout before any history).

use super::state::State;
use crate::domain::{GateCode, GatePolicy};

impl State {
    /// Records how long a gate waited for the person who decided it; decisions the factory
    /// took itself (a policy, `--auto-approve`, closing a cancelled run's gate) are not waits.
    pub fn note_wait(&mut self, code: GateCode, waited_ms: u64, by: &str) {
        if super::templates::decided_automatically(by) || by == "factory" {
            return;
        }
        let waits = &mut self.human_waits[code as usize];
        let at = waits.partition_point(|w| *w < waited_ms);
        waits.insert(at, waited_ms);
    }

    /// What a person is expected to take at each gate (by code): the median of past waits,
    /// or the configured timeout when none is known.
    pub fn gate_wait_ms(&self) -> [u64; 5] {
        GateCode::ALL.map(|code| {
            let waits = &self.human_waits[code as usize];
            if waits.is_empty() { self.cfg.gates.timeout_ms(code) } else { waits[waits.len() / 2] }
        })
    }

    /// Which gates (by code) pass on their own unless a run says otherwise: all but the
    /// budget gate with `--auto-approve`, and those whose configured policy is `auto`.
    pub fn gate_auto(&self) -> [bool; 5] {
        GateCode::ALL.map(|code| {
            self.opts.auto_approve && code != GateCode::Budget
                || self.cfg.gates.get(code).is_some_and(|g| g.policy == GatePolicy::Auto)
        })
    }
}
