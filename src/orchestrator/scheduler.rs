//! The fair queue across runs: weighted fair queuing on virtual time, priority 1-4 as the
//! weight, so that a run with 100 ready tasks cannot starve a run with one.

use std::collections::BTreeSet;

/// Virtual time one dispatch costs a run of priority 1; priority p pays `STEP / p`.
const STEP: u64 = 12;

#[derive(Default, Debug)]
pub struct Scheduler {
    /// Runs that may dispatch now, by (virtual time, run index).
    queue: BTreeSet<(u64, u32)>,
    vtime: Vec<u64>,
    queued: Vec<bool>,
    /// Virtual time of the latest dispatch: a run that was idle starts from here, so that
    /// idling earns no credit.
    now: u64,
}

impl Scheduler {
    fn ensure(&mut self, run: u32) {
        let n = run as usize + 1;
        if self.vtime.len() < n {
            self.vtime.resize(n, 0);
            self.queued.resize(n, false);
        }
    }

    /// Marks a run as able (or not) to dispatch; idempotent.
    pub fn set_eligible(&mut self, run: u32, eligible: bool) {
        self.ensure(run);
        let i = run as usize;
        if eligible == self.queued[i] {
            return;
        }
        if eligible {
            self.vtime[i] = self.vtime[i].max(self.now);
            self.queue.insert((self.vtime[i], run));
        } else {
            self.queue.remove(&(self.vtime[i], run));
        }
        self.queued[i] = eligible;
    }

    /// Takes the run that is furthest behind its fair share out of the queue; the caller
    /// dispatches one task of it, calls [`Scheduler::charge`], and sets it eligible again
    /// if it still is.
    pub fn pop(&mut self) -> Option<u32> {
        let (v, run) = self.queue.pop_first()?;
        self.queued[run as usize] = false;
        self.now = self.now.max(v);
        Some(run)
    }

    /// Charges one dispatch to a run of the given priority (1-4).
    pub fn charge(&mut self, run: u32, priority: u8) {
        self.ensure(run);
        self.vtime[run as usize] += STEP / priority.clamp(1, 4) as u64;
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dispatches `n` times; `ready[r]` is how many tasks run r still has.
    fn simulate(ready: &mut [u32], priority: &[u8], n: usize) -> Vec<u32> {
        let mut s = Scheduler::default();
        for (r, left) in ready.iter().enumerate() {
            s.set_eligible(r as u32, *left > 0);
        }
        let mut order = Vec::new();
        for _ in 0..n {
            let Some(r) = s.pop() else { break };
            ready[r as usize] -= 1;
            s.charge(r, priority[r as usize]);
            s.set_eligible(r, ready[r as usize] > 0);
            order.push(r);
        }
        order
    }

    #[test]
    fn a_big_run_does_not_starve_a_small_one() {
        let order = simulate(&mut [100, 1], &[2, 2], 101);
        let pos = order.iter().position(|r| *r == 1).unwrap();
        assert!(pos <= 1, "the one-task run waited {pos} dispatches");
    }

    #[test]
    fn shares_follow_priority_weights() {
        let order = simulate(&mut [1000, 1000, 1000, 1000], &[1, 2, 3, 4], 1000);
        let mut counts = [0usize; 4];
        for r in order {
            counts[r as usize] += 1;
        }
        // Weights 1:2:3:4 of 1,000 dispatches: 100, 200, 300, 400.
        for (i, c) in counts.iter().enumerate() {
            let want = 100 * (i + 1);
            assert!(c.abs_diff(want) <= 2, "run {i}: {c} dispatches, want {want} ({counts:?})");
        }
    }

    #[test]
    fn an_idle_run_earns_no_credit() {
        let mut s = Scheduler::default();
        s.set_eligible(0, true);
        for _ in 0..50 {
            let r = s.pop().unwrap();
            s.charge(r, 1);
            s.set_eligible(r, true);
        }
        // Run 1 arrives late: it must share from now on, not take 50 turns in a row.
        s.set_eligible(1, true);
        let mut next = Vec::new();
        for _ in 0..6 {
            let r = s.pop().unwrap();
            s.charge(r, 1);
            s.set_eligible(r, true);
            next.push(r);
        }
        assert_eq!(next.iter().filter(|r| **r == 1).count(), 3, "{next:?}");
    }
}
