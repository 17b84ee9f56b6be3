//! `Command::Stats`: the event log folded up to its newest event (only what is new since the
//! last time is read), then the window's figures from it and the runs.

use super::command::Reply;
use super::state::State;
use crate::error::{FactoryError, Result};
use crate::stats::MAX_DAYS;

/// Events read from the store at a time while catching up.
const CHUNK: usize = 4096;

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
        Ok(Reply::Stats { stats: Box::new(crate::stats::compute(inputs)) })
    }

    /// Folds in the events written since the last call (those of this very batch, not yet
    /// written, come the next time).
    fn catch_up_stats(&mut self) -> Result<()> {
        loop {
            let events = self.store.events_from(self.stats_log.next_seq, CHUNK)?;
            for e in &events {
                self.stats_log.fold(e);
            }
            if events.len() < CHUNK {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
#[path = "stats_tests.rs"]
mod tests;
