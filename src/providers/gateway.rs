//! The gateway: per task kind a chain of providers, each behind a concurrency limit and a
//! circuit breaker; retries with backoff (honouring retry-after), then the next provider;
//! usage priced from the table; live figures for the providers pane.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use super::cli::CliProvider;
use super::rng::Rng;
use super::sim::SimProvider;
use super::{CallRequest, CallResponse, Prices, Provider, ProviderError};
use crate::config::{Config, ProviderKind, RetryConfig};

/// Consecutive failures that open a provider's circuit.
const CIRCUIT_THRESHOLD: u32 = 10;
/// How long an open circuit stays open before one probe is let through.
const CIRCUIT_COOLDOWN: Duration = Duration::from_secs(15);
/// Seconds per bucket of the load history, and buckets kept (5 minutes).
const BUCKET_SECS: u64 = 5;
const BUCKETS: usize = 60;

/// Something the caller should record: a retry, a fallback, a circuit opening.
#[derive(Clone, Debug, PartialEq)]
pub enum GatewayNote {
    Retry { provider: String, attempt: u32, error: String, wait_ms: u64 },
    Fallback { from: String, to: String, reason: String },
    CircuitOpened { provider: String, failures: u32 },
}

/// A priced answer.
#[derive(Clone, Debug)]
pub struct Answer {
    pub response: CallResponse,
    pub provider: String,
    pub simulated: bool,
    pub cost_micros: u64,
    pub unpriced: bool,
    pub latency_ms: u64,
}

/// Every provider of the chain failed.
#[derive(Clone, Debug)]
pub struct CallFailure {
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Circuit {
    Closed,
    Open,
    HalfOpen,
}

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
}

#[derive(Default)]
struct Live {
    in_flight: u32,
    queued: u32,
    requests: u64,
    errors: u64,
    latencies: VecDeque<u32>,
    tokens_in: u64,
    tokens_out: u64,
    cost_micros: u64,
    consecutive_failures: u32,
    open_until: Option<Instant>,
    probing: bool,
    load: VecDeque<(u64, u32)>,
}

struct Slot {
    provider: Arc<dyn Provider>,
    limit: Semaphore,
    max_concurrent: u32,
    keys_total: u32,
    live: Mutex<Live>,
}

impl Slot {
    fn live(&self) -> std::sync::MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct Gateway {
    slots: Vec<Slot>,
    chains: HashMap<String, Vec<usize>>,
    prices: Prices,
    retry: RetryConfig,
    started: Instant,
}

/// Why a configured provider is not used (no key set, disabled, not yet supported).
pub fn unavailable_reason(cfg: &crate::config::ProviderConfig) -> Option<String> {
    if !cfg.enabled() {
        return Some("disabled in the config".into());
    }
    match cfg.kind {
        Some(ProviderKind::Openai | ProviderKind::Anthropic) => {
            if !cfg.keys().iter().any(|k| std::env::var(k).is_ok_and(|v| !v.is_empty())) {
                return Some(format!("none of its key variables is set ({})", cfg.keys().join(", ")));
            }
            Some("this build has no client for its wire format yet".into())
        }
        Some(ProviderKind::Cli) if cfg.command().is_empty() => Some("it has no command".into()),
        Some(ProviderKind::Sim) | Some(ProviderKind::Cli) => None,
        None => Some("it has no kind".into()),
    }
}

impl Gateway {
    /// Builds the providers the config makes available. With `simulate`, or when none is
    /// available, the simulated provider does all the work.
    pub fn from_config(cfg: &Config, simulate: bool) -> Gateway {
        let mut providers: Vec<(Arc<dyn Provider>, u32, u32)> = Vec::new();
        if !simulate {
            for (name, p) in &cfg.providers {
                if unavailable_reason(p).is_some() {
                    continue;
                }
                let provider: Arc<dyn Provider> = match p.kind {
                    Some(ProviderKind::Cli) => {
                        Arc::new(CliProvider::new(name, p.command().to_vec(), p.model.clone(), p.timeout_s()))
                    }
                    Some(ProviderKind::Sim) => Arc::new(SimProvider::new(&cfg.sim)),
                    _ => continue,
                };
                providers.push((provider, p.max_concurrent(), p.keys().len() as u32));
            }
        }
        let sim_index = providers.iter().position(|(p, _, _)| p.simulated());
        let sim_index = sim_index.unwrap_or_else(|| {
            providers.push((Arc::new(SimProvider::new(&cfg.sim)), cfg.sim.max_concurrent, 0));
            providers.len() - 1
        });
        let by_name: HashMap<String, usize> =
            providers.iter().enumerate().map(|(i, (p, _, _))| (p.name().to_string(), i)).collect();
        let mut chains = HashMap::new();
        for (route, names) in &cfg.routing.chains {
            let mut chain: Vec<usize> = names.iter().filter_map(|n| by_name.get(n).copied()).collect();
            chain.dedup();
            if chain.is_empty() || (cfg.routing.allow_simulated_fallback && !chain.contains(&sim_index)) {
                chain.push(sim_index);
            }
            chains.insert(route.clone(), chain);
        }
        let slots = providers
            .into_iter()
            .map(|(provider, max_concurrent, keys_total)| Slot {
                provider,
                limit: Semaphore::new(max_concurrent as usize),
                max_concurrent,
                keys_total,
                live: Mutex::new(Live::default()),
            })
            .collect();
        Gateway { slots, chains, prices: Prices::builtin(), retry: cfg.retry.clone(), started: Instant::now() }
    }

    fn chain(&self, route: &str) -> Vec<usize> {
        match self.chains.get(route) {
            Some(c) if !c.is_empty() => c.clone(),
            // A task kind without a chain goes to the simulated provider, or the first.
            _ => vec![self.slots.iter().position(|s| s.provider.simulated()).unwrap_or(0)],
        }
    }

    /// Whether the simulated provider may answer any task.
    pub fn uses_simulated(&self) -> bool {
        self.chains.values().flatten().any(|i| self.slots[*i].provider.simulated())
    }

    /// The most a call of this kind may cost, over every provider it may reach.
    pub fn worst_case(&self, route: &str, input_tokens: u64, max_output: u64) -> u64 {
        self.chain(route)
            .iter()
            .map(|i| self.prices.worst_case(self.slots[*i].provider.model(), input_tokens, max_output))
            .max()
            .unwrap_or(0)
    }

    pub fn prices(&self) -> &Prices {
        &self.prices
    }

    fn backoff(&self, attempt: u32, err: &ProviderError, rng: &mut Rng) -> Duration {
        if let Some(after) = err.retry_after {
            return after.min(Duration::from_secs(120));
        }
        let exp = self.retry.base_delay_ms.saturating_mul(1u64 << attempt.min(16)).min(self.retry.max_delay_ms);
        Duration::from_millis(exp / 2 + rng.range(0, exp / 2 + 1))
    }

    /// Calls the chain for `req.route`: each provider up to `max_attempts` times while its
    /// errors are retryable, then the next. `note` hears of retries, fallbacks and circuits.
    pub async fn call(&self, mut req: CallRequest, note: &(dyn Fn(GatewayNote) + Sync)) -> Result<Answer, CallFailure> {
        let chain = self.chain(req.route);
        let mut jitter =
            Rng::new(self.started.elapsed().as_nanos() as u64 ^ crate::providers::rng::fnv1a(req.task_id.as_bytes()));
        let mut last_error = String::from("no provider was available");
        for (pos, &index) in chain.iter().enumerate() {
            let slot = &self.slots[index];
            let name = slot.provider.name().to_string();
            let is_last = pos + 1 == chain.len();
            if !self.admit(slot, is_last).await {
                last_error = format!("{name}: circuit open");
                if let Some(&next) = chain.get(pos + 1) {
                    note(GatewayNote::Fallback {
                        from: name,
                        to: self.slots[next].provider.name().into(),
                        reason: "circuit open".into(),
                    });
                }
                continue;
            }
            for attempt in 0..self.retry.max_attempts {
                req.attempt = attempt;
                match self.call_once(slot, &req).await {
                    Ok(answer) => return Ok(answer),
                    Err(err) => {
                        last_error = format!("{name}: {err}");
                        if let Some(failures) = self.record_failure(slot) {
                            note(GatewayNote::CircuitOpened { provider: name.clone(), failures });
                        }
                        let more = attempt + 1 < self.retry.max_attempts;
                        if !err.retryable() || !more {
                            break;
                        }
                        let wait = self.backoff(attempt, &err, &mut jitter);
                        note(GatewayNote::Retry {
                            provider: name.clone(),
                            attempt: attempt + 1,
                            error: err.to_string(),
                            wait_ms: wait.as_millis() as u64,
                        });
                        tokio::time::sleep(wait).await;
                        if !self.admit(slot, is_last).await {
                            break;
                        }
                    }
                }
            }
            if let Some(&next) = chain.get(pos + 1) {
                note(GatewayNote::Fallback {
                    from: name,
                    to: self.slots[next].provider.name().into(),
                    reason: last_error.clone(),
                });
            }
        }
        Err(CallFailure { message: last_error })
    }

    /// Whether the slot's circuit lets a call through; the last candidate waits for the
    /// circuit to half-open rather than giving up.
    async fn admit(&self, slot: &Slot, wait: bool) -> bool {
        loop {
            let until = {
                let mut live = slot.live();
                match live.open_until {
                    None => return true,
                    Some(t) if Instant::now() >= t && !live.probing => {
                        live.probing = true;
                        return true;
                    }
                    Some(t) => t,
                }
            };
            if !wait {
                return false;
            }
            let now = Instant::now();
            tokio::time::sleep(if until > now { until - now } else { Duration::from_millis(100) }).await;
        }
    }

    fn record_failure(&self, slot: &Slot) -> Option<u32> {
        let mut live = slot.live();
        live.errors += 1;
        live.consecutive_failures += 1;
        let reopen = live.probing;
        live.probing = false;
        if live.consecutive_failures >= CIRCUIT_THRESHOLD || reopen {
            let was_closed = live.open_until.is_none();
            live.open_until = Some(Instant::now() + CIRCUIT_COOLDOWN);
            if was_closed {
                return Some(live.consecutive_failures);
            }
        }
        None
    }

    async fn call_once(&self, slot: &Slot, req: &CallRequest) -> Result<Answer, ProviderError> {
        slot.live().queued += 1;
        let permit = slot.limit.acquire().await;
        {
            let mut live = slot.live();
            live.queued -= 1;
            live.in_flight += 1;
            live.requests += 1;
            let bucket = self.started.elapsed().as_secs() / BUCKET_SECS;
            match live.load.back_mut() {
                Some((b, n)) if *b == bucket => *n += 1,
                _ => {
                    live.load.push_back((bucket, 1));
                    while live.load.len() > BUCKETS {
                        live.load.pop_front();
                    }
                }
            }
        }
        let start = Instant::now();
        let result = slot.provider.call(req).await;
        drop(permit);
        let latency_ms = start.elapsed().as_millis() as u64;
        let mut live = slot.live();
        live.in_flight -= 1;
        let response = result?;
        let model = response.model.clone();
        let cost = self.prices.cost(&model, &response.usage);
        live.consecutive_failures = 0;
        live.open_until = None;
        live.probing = false;
        live.latencies.push_back(latency_ms.min(u32::MAX as u64) as u32);
        if live.latencies.len() > 512 {
            live.latencies.pop_front();
        }
        live.tokens_in += response.usage.input + response.usage.cached_input;
        live.tokens_out += response.usage.output;
        live.cost_micros += cost.unwrap_or(0);
        if cost.is_none() {
            tracing::warn!(provider = slot.provider.name(), model = %model, "model missing from the price table; the run's cost is marked unpriced");
        }
        Ok(Answer {
            provider: slot.provider.name().to_string(),
            simulated: slot.provider.simulated(),
            cost_micros: cost.unwrap_or(0),
            unpriced: cost.is_none(),
            latency_ms,
            response,
        })
    }

    /// Live figures of every provider, for the snapshot.
    pub fn stats(&self) -> Vec<ProviderStats> {
        let bucket_now = self.started.elapsed().as_secs() / BUCKET_SECS;
        self.slots
            .iter()
            .map(|slot| {
                let live = slot.live();
                let mut lat: Vec<u32> = live.latencies.iter().copied().collect();
                lat.sort_unstable();
                let pct = |p: usize| {
                    if lat.is_empty() { 0 } else { lat[(lat.len() - 1) * p / 100] as u64 }
                };
                let mut load = vec![0u32; BUCKETS];
                for (b, n) in &live.load {
                    let age = bucket_now.saturating_sub(*b) as usize;
                    if age < BUCKETS {
                        load[BUCKETS - 1 - age] = *n;
                    }
                }
                let circuit = match live.open_until {
                    None => Circuit::Closed,
                    Some(t) if Instant::now() >= t => Circuit::HalfOpen,
                    Some(_) => Circuit::Open,
                };
                ProviderStats {
                    name: slot.provider.name().into(),
                    kind: slot.provider.kind().as_str().into(),
                    model: slot.provider.model().into(),
                    simulated: slot.provider.simulated(),
                    in_flight: live.in_flight,
                    max_concurrent: slot.max_concurrent,
                    queued: live.queued,
                    requests: live.requests,
                    errors: live.errors,
                    p50_ms: pct(50),
                    p95_ms: pct(95),
                    tokens_in: live.tokens_in,
                    tokens_out: live.tokens_out,
                    cost_micros: live.cost_micros,
                    cache_hits: 0,
                    cache_misses: 0,
                    circuit: Some(circuit),
                    keys_ready: slot.keys_total,
                    keys_total: slot.keys_total,
                    load,
                }
            })
            .collect()
    }
}
