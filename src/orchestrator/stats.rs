//! `Command::Stats`: the event log folded up to its newest event (only what is new since the
//! last time is read), then the window's figures from it and the runs. A factory that
//! dispatches folds its log a slice at a time from its start, so the first `s` is quick.

use super::command::Reply;
use super::state::State;
use crate::error::{FactoryError, Result};
use crate::stats::MAX_DAYS;

/// Events read from the store at a time while catching up.
const CHUNK: usize = 4096;
/// Events folded per turn of the actor's loop while warming up (a few milliseconds).
const WARM_SLICE: usize = 1024;

impl State {
    pub fn stats(&mut self, since: Option<u32>) -> Result<Reply> {
        if since.is_some_and(|d| d == 0 || d > MAX_DAYS) {
            return Err(FactoryError::usage(format!(
                "a window of {} days is out of range; ask for 1 to {MAX_DAYS} days, or all",
                since.unwrap_or_default()
            )));
        }
        self.catch_up_stats()?;
        let gateway = &self.shared.gateway;
        let inputs = crate::stats::Inputs {
            log: &self.stats_log,
            runs: self.runs.iter().map(|rs| &rs.run).collect(),
            now: self.now(),
            since_days: since,
            providers: gateway.stats().into_iter().map(|p| p.name).collect(),
            quality: gateway.quality_scores(),
            routing: gateway.routing(),
        };
        let mut stats = crate::stats::compute(inputs);
        stats.health = Some(self.health);
        Ok(Reply::Stats { stats: Box::new(stats) })
    }

    /// Folds in the events written since the last call (those of this very batch, not yet
    /// written, come the next time).
    fn catch_up_stats(&mut self) -> Result<()> {
        while !self.fold_slice(CHUNK)? {}
        Ok(())
    }

    /// Whether the first reading of the log is still to finish (see [`State::warm_stats`]).
    pub fn stats_warming(&self) -> bool {
        !self.stats_log.caught_up
    }

    /// One slice of the first reading of the log, between the actor's other work; nothing
    /// once it is done. A log that cannot be read is left to the next `stats` to report.
    pub fn warm_stats(&mut self) {
        if self.stats_log.caught_up {
            return;
        }
        if let Err(e) = self.fold_slice(WARM_SLICE) {
            tracing::warn!(error = %e.message, "the event log could not be read for the stats");
            self.stats_log.caught_up = true;
        }
    }

    /// Folds up to `n` events; whether the log's end was reached.
    fn fold_slice(&mut self, n: usize) -> Result<bool> {
        let events = self.store.events_from(self.stats_log.next_seq, n)?;
        for e in &events {
            self.stats_log.fold(e);
        }
        let end = events.len() < n;
        self.stats_log.caught_up |= end;
        Ok(end)
    }
}

#[cfg(test)]
#[path = "stats_tests.rs"]
mod tests;
