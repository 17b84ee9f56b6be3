//! The actor's running counts: tasks in flight (calls and local checks), and for `factory
//! metrics` and the snapshot tasks done, commits, records written, the last scheduling delays.

use std::collections::VecDeque;

/// Scheduling delays kept for the percentiles (the oldest go first).
const DELAYS_KEPT: usize = 65_536;

#[derive(Default)]
pub(super) struct Counters {
    /// Provider calls in flight (`factory.max_concurrent_calls` bounds them).
    calls_in_flight: u32,
    /// Integration checks in flight: local work, not calls, so not bounded by the call limit.
    checks_in_flight: u32,
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

    pub fn calls_in_flight(&self) -> u32 {
        self.calls_in_flight
    }

    /// Calls and checks in flight.
    pub fn in_flight(&self) -> u32 {
        self.calls_in_flight + self.checks_in_flight
    }

    /// A task started: a call, or local checks.
    pub fn started(&mut self, call: bool) {
        *self.flight_of(call) += 1;
    }

    /// A task's call (or checks) came back.
    pub fn finished(&mut self, call: bool) {
        let slot = self.flight_of(call);
        *slot = slot.saturating_sub(1);
    }

    fn flight_of(&mut self, call: bool) -> &mut u32 {
        if call { &mut self.calls_in_flight } else { &mut self.checks_in_flight }
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
