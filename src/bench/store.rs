//! `factory bench store`: events appended per second with the durability the orchestrator
//! uses (group commits, sled's background flush), and the cost of a gate decision that is
//! flushed before it is acknowledged.

use std::time::Instant;

use serde::Serialize;

use super::util::{Scratch, percentile};
use crate::domain::{Event, EventKind, Gate, GateCode, GateId, GateStatus, Review, RunId};
use crate::error::Result;
use crate::store::{Store, Writes};

#[derive(Debug, Serialize)]
pub struct StoreFigures {
    pub events: u64,
    /// Events per group commit (one transaction over every tree).
    pub batch: u64,
    pub events_per_second: f64,
    pub commit_p50_us: u64,
    pub commit_p99_us: u64,
    pub decisions: u32,
    /// A gate decision: the gate and its event in one transaction, then a flush to disk.
    pub decision_p50_us: u64,
    pub decision_p99_us: u64,
}

fn event(seq: u64) -> Event {
    Event {
        seq,
        ts: 1_800_000_000_000 + seq,
        startup: Some(RunId((seq % 1000) as u32 + 1)),
        kind: EventKind::TaskDone {
            task: format!("s-{:02}.build.api-{seq}", seq % 1000 + 1),
            attempt: 0,
            role: None,
            provider: "sim".into(),
            model: "sim-standard".into(),
            simulated: true,
            tokens_in: 3_200,
            tokens_out: 480,
            cost_micros: 5_120,
            quality: 0.97,
            cached: false,
            latency_ms: Some(840),
        },
    }
}

pub fn run(quick: bool) -> Result<StoreFigures> {
    let dir = Scratch::new(None)?;
    let store = Store::open(&dir.path().join("data"), 16)?;
    let (events, batch) = if quick { (5_000u64, 64u64) } else { (200_000, 64) };
    let mut commit_us = Vec::new();
    let start = Instant::now();
    let mut seq = 1;
    while seq <= events {
        let mut w = Writes::default();
        for _ in 0..batch {
            w.event(&event(seq));
            seq += 1;
        }
        let t = Instant::now();
        store.commit(&w)?;
        commit_us.push(t.elapsed().as_micros() as u64);
    }
    let secs = start.elapsed().as_secs_f64();
    let decisions = if quick { 50 } else { 500 };
    let mut decision_us = Vec::new();
    for n in 0..decisions {
        let id = GateId { run: RunId(n + 1), code: GateCode::G1, n: 0 };
        let gate = Gate {
            id,
            status: GateStatus::Approved,
            opened_at: 1,
            decided_at: Some(2),
            decided_by: Some("alice".into()),
            note: Some("a clear niche".into()),
            review: Review::default(),
            budget: None,
            timeout_alerted: false,
        };
        let mut w = Writes::default();
        w.gate(&gate);
        w.event(&Event {
            seq,
            ts: 2,
            startup: Some(id.run),
            kind: EventKind::GateDecided {
                gate: id,
                decision: crate::domain::Decision::Approve,
                by: "alice".into(),
                note: None,
            },
        });
        seq += 1;
        let t = Instant::now();
        store.commit(&w)?;
        store.flush()?;
        decision_us.push(t.elapsed().as_micros() as u64);
    }
    Ok(StoreFigures {
        events,
        batch,
        events_per_second: events as f64 / secs,
        commit_p50_us: percentile(&mut commit_us, 50),
        commit_p99_us: percentile(&mut commit_us, 99),
        decisions,
        decision_p50_us: percentile(&mut decision_us, 50),
        decision_p99_us: percentile(&mut decision_us, 99),
    })
}

impl StoreFigures {
    pub fn text(&self) -> String {
        format!(
            "store: {} events in group commits of {}: {:.0} events/s (commit p50 {} us, p99 {} us)\n  a flushed gate decision: p50 {} us, p99 {} us over {} decisions\n",
            self.events,
            self.batch,
            self.events_per_second,
            self.commit_p50_us,
            self.commit_p99_us,
            self.decision_p50_us,
            self.decision_p99_us,
            self.decisions,
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_quick_store_bench_runs() {
        let f = super::run(true).unwrap();
        assert_eq!(f.events, 5_000);
        assert!(f.events_per_second > 0.0 && f.decision_p50_us > 0);
    }
}
