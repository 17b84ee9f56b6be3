//! Live figures of one provider (calls in flight and queued, requests, errors, latency
//! percentiles, tokens, cost, cache hits, circuit, keys, load over the last five minutes)
//! and the `ProviderStats` that `factory providers --json` and the providers pane show, with
//! the learned quality scores and the routing policy in force.

use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::breaker::{Breaker, Circuit};
use crate::providers::Usage;

/// Seconds per bucket of the load history, and buckets kept (5 minutes).
pub const BUCKET_SECS: u64 = 5;
pub const BUCKETS: usize = 60;
/// Latencies kept for the percentiles.
const LATENCIES: usize = 512;

/// Live figures of one provider.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProviderStats {
    pub name: String,
    pub kind: String,
    pub model: String,
    pub simulated: bool,
    pub in_flight: u32,
    pub max_concurrent: u32,
    pub queued: u32,
    pub requests: u64,
    pub errors: u64,
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub cost_micros: u64,
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub circuit: Option<Circuit>,
    pub keys_ready: u32,
    pub keys_total: u32,
    /// Requests started per 5-second bucket, oldest first, over the last 5 minutes.
    pub load: Vec<u32>,
    /// A call is waiting for a key: why (`rpm`, `key resting`) and about how long, as
    /// `rpm 42 s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<String>,
    /// The learned quality score (0 to 1) per task kind (a phase name, or `plan`) that the
    /// router weighs, for the kinds with at least one observation.
    #[serde(default)]
    pub quality: BTreeMap<String, f64>,
}

/// The routing policy in force, as the providers pane and `providers --json` show it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Routing {
    /// `preferred`, `cheapest`, `fastest`, `best_quality` or `adaptive`.
    pub policy: String,
    /// `adaptive` only: a provider scoring below this for a task kind is tried after the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality_floor: Option<f64>,
}

pub struct Live {
    pub in_flight: u32,
    pub queued: u32,
    pub requests: u64,
    pub errors: u64,
    latencies: VecDeque<u32>,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub cost_micros: u64,
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub breaker: Breaker,
    load: VecDeque<(u64, u32)>,
    /// A call waits for a key: why, and until when it expects to.
    pub waiting: Option<(&'static str, Instant)>,
}

impl Live {
    pub fn new(breaker: Breaker) -> Self {
        Live {
            in_flight: 0,
            queued: 0,
            requests: 0,
            errors: 0,
            latencies: VecDeque::with_capacity(LATENCIES),
            tokens_in: 0,
            tokens_out: 0,
            cost_micros: 0,
            cache_hits: 0,
            cache_misses: 0,
            breaker,
            load: VecDeque::new(),
            waiting: None,
        }
    }

    /// A request leaves the queue and goes out, in load bucket `bucket`.
    pub fn started(&mut self, bucket: u64) {
        self.queued = self.queued.saturating_sub(1);
        self.in_flight += 1;
        self.requests += 1;
        match self.load.back_mut() {
            Some((b, n)) if *b == bucket => *n += 1,
            _ => {
                self.load.push_back((bucket, 1));
                while self.load.len() > BUCKETS {
                    self.load.pop_front();
                }
            }
        }
    }

    pub fn succeeded(&mut self, latency_ms: u64, usage: &Usage, cost_micros: u64) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if self.latencies.len() == LATENCIES {
            self.latencies.pop_front();
        }
        self.latencies.push_back(latency_ms.min(u32::MAX as u64) as u32);
        self.tokens_in += usage.input + usage.cached_input;
        self.tokens_out += usage.output;
        self.cost_micros += cost_micros;
    }

    pub fn failed(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.errors += 1;
    }

    /// The figures, with the fields only the gateway knows filled in by the caller.
    pub fn stats(&self, bucket_now: u64, now: Instant) -> ProviderStats {
        let mut lat: Vec<u32> = self.latencies.iter().copied().collect();
        lat.sort_unstable();
        let pct = |p: usize| if lat.is_empty() { 0 } else { lat[(lat.len() - 1) * p / 100] as u64 };
        let mut load = vec![0u32; BUCKETS];
        for (b, n) in &self.load {
            let age = bucket_now.saturating_sub(*b) as usize;
            if age < BUCKETS {
                load[BUCKETS - 1 - age] = *n;
            }
        }
        ProviderStats {
            in_flight: self.in_flight,
            queued: self.queued,
            requests: self.requests,
            errors: self.errors,
            p50_ms: pct(50),
            p95_ms: pct(95),
            tokens_in: self.tokens_in,
            tokens_out: self.tokens_out,
            cost_micros: self.cost_micros,
            cache_hits: self.cache_hits,
            cache_misses: self.cache_misses,
            circuit: Some(self.breaker.state(now)),
            load,
            waiting: self
                .waiting
                .map(|(why, until)| format!("{why} {} s", until.saturating_duration_since(now).as_secs())),
            ..ProviderStats::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn percentiles_tokens_and_load() {
        let mut live = Live::new(Breaker::new(3, Duration::from_secs(1)));
        for ms in 1..=100 {
            live.queued += 1;
            live.started(10);
            live.succeeded(ms, &Usage { input: 2, output: 3, cached_input: 1, estimated: false }, 5);
        }
        live.queued += 1;
        live.started(11);
        live.failed();
        let s = live.stats(11, Instant::now());
        assert_eq!((s.p50_ms, s.p95_ms), (50, 95));
        assert_eq!((s.requests, s.errors, s.in_flight, s.queued), (101, 1, 0, 0));
        assert_eq!((s.tokens_in, s.tokens_out, s.cost_micros), (300, 300, 500));
        assert_eq!(s.load[BUCKETS - 2..], [100, 1]);
        assert_eq!(s.circuit, Some(Circuit::Closed));
    }
}
