//! The actor's running counts for `factory metrics` and the snapshot: tasks done, commits,
//! records written, and the last scheduling delays.

use std::collections::VecDeque;

/// Scheduling delays kept for the percentiles (the oldest go first).
const DELAYS_KEPT: usize = 65_536;

#[derive(Default)]
pub(super) struct Counters {
    tasks_done: u64,
    commits: u64,
    records_written: u64,
    /// The last scheduling delays (ready to dispatched), in microseconds.
    sched_delays: VecDeque<u32>,
}

impl Counters {
    /// Starts from the tasks the store holds done.
    pub fn new(tasks_done: u64) -> Self {
        Counters { tasks_done, ..Default::default() }
    }

    pub fn tasks_done(&self) -> u64 {
        self.tasks_done
    }

    pub fn task_done(&mut self) {
        self.tasks_done += 1;
    }

    /// A commit of `records` records (none: no commit is counted).
    pub fn committed(&mut self, records: usize) {
        if records > 0 {
            self.commits += 1;
            self.records_written += records as u64;
        }
    }

    /// A task dispatched `delay` after it became ready.
    pub fn sched_delay(&mut self, delay: std::time::Duration) {
        if self.sched_delays.len() >= DELAYS_KEPT {
            self.sched_delays.pop_front();
        }
        self.sched_delays.push_back(delay.as_micros().min(u32::MAX as u128) as u32);
    }

    pub fn metrics(&self) -> super::command::Metrics {
        let mut d: Vec<u32> = self.sched_delays.iter().copied().collect();
        d.sort_unstable();
        let pct = |p: usize| d.get(d.len().saturating_sub(1) * p / 100).copied().unwrap_or(0);
        super::command::Metrics {
            tasks_done: self.tasks_done,
            sched_delay_p50_us: pct(50),
            sched_delay_p99_us: pct(99),
            sched_delay_samples: d.len(),
            commits: self.commits,
            records_written: self.records_written,
        }
    }
}
