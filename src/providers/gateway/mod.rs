//! The gateway: per task kind a chain of providers ordered by the routing policy, each
//! behind its key pool and circuit breaker; the cache first, then retries with backoff and
//! jitter (honouring retry-after), then the next candidate; usage priced from the table;
//! quality, latency and cost fed to the router; live figures for the providers pane.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

mod assemble;
pub mod breaker;
pub mod cache;
mod failure;
pub mod pool;
pub mod prices;
pub mod probe;
pub mod quality;
pub mod router;
pub mod stats;
pub mod writer;

use breaker::Admit;
use cache::ResponseCache;
use pool::{KeyVerdict, Pool, PoolError};
use quality::{GateFeedback, QualityBook};
use router::{Adaptive, Candidate, Policy};
use stats::{BUCKET_SECS, Live};
use writer::Writer;

use super::rng::{Rng, fnv1a};
use super::secret::Scrubber;
use super::{CallRequest, CallResponse, ErrorClass, Prices, Provider, ProviderError, Usage};
use crate::config::RetryConfig;

pub use assemble::{EnvLookup, unavailable_reason, unavailable_reason_with};
pub use breaker::Circuit;
pub use failure::{CallFailure, GivenUp, Why};
pub use stats::{ProviderStats, Routing};

/// Longest a call waits for a resting key before it tries the next candidate instead.
const MAX_KEY_WAIT: Duration = Duration::from_secs(60);
/// Longest backoff honoured from a server's retry-after on a 5xx.
const MAX_SERVER_WAIT: Duration = Duration::from_secs(120);
/// A call waiting this long for a key (its rpm used up, or resting) says so.
const WAIT_NOTE_AFTER: Duration = Duration::from_secs(1);

/// Something the caller should record: a retry, a fallback, a circuit opening.
#[derive(Clone, Debug, PartialEq)]
pub enum GatewayNote {
    Retry {
        provider: String,
        attempt: u32,
        error: String,
        wait_ms: u64,
    },
    Fallback {
        from: String,
        to: String,
        reason: String,
    },
    /// A call has waited [`WAIT_NOTE_AFTER`] for a key of `provider`: `reason` is `rpm` (a
    /// requests-per-minute limit is used up) or `key resting` (after a 429 or 529, or a
    /// header saying a limit is used up), and it expects to wait about `expected_ms` more.
    Wait {
        provider: String,
        reason: String,
        expected_ms: u64,
    },
    CircuitOpened {
        provider: String,
        failures: u32,
    },
    /// A call the provider accepted was cut off mid-stream: its input was paid for, so the
    /// input tokens (estimated from the prompt) are charged, marked estimated.
    Spent {
        provider: String,
        model: String,
        usage: Usage,
        cost_micros: u64,
        unpriced: bool,
    },
}

/// A priced answer. A cut-off one (`response.truncated`) is priced and counted like any
/// other (it was paid for) but never cached.
#[derive(Clone, Debug)]
pub struct Answer {
    pub response: CallResponse,
    pub provider: String,
    pub simulated: bool,
    pub cost_micros: u64,
    pub unpriced: bool,
    pub latency_ms: u64,
    /// Served from the response cache.
    pub cached: bool,
    /// Served from the cache and paid for by another task: its tokens were not paid again
    /// (`cost_micros` is 0), so they are counted apart from the priced ones.
    pub reused: bool,
    /// Where the answer sits in the cache, so that a refused answer can be dropped from it.
    pub cache_key: Option<[u8; 32]>,
}

impl Answer {
    /// The provider stopped at the token limit: the answer is incomplete.
    pub fn truncated(&self) -> bool {
        self.response.truncated
    }
}

/// The sled trees the gateway keeps its cache and quality scores in (none in some tests).
#[derive(Clone, Default)]
pub struct Trees {
    pub cache: Option<sled::Tree>,
    pub quality: Option<sled::Tree>,
}

pub(super) struct Slot {
    pub(super) provider: Arc<dyn Provider>,
    pub(super) pool: Pool,
    pub(super) live: Mutex<Live>,
}

impl Slot {
    pub(super) fn live(&self) -> std::sync::MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }
    pub(super) fn name(&self) -> &str {
        self.provider.name()
    }
}

pub struct Gateway {
    pub(super) slots: Vec<Slot>,
    pub(super) chains: HashMap<String, Vec<usize>>,
    pub(super) prices: Prices,
    pub(super) retry: RetryConfig,
    pub(super) policy: Policy,
    pub(super) adaptive: Adaptive,
    /// `None` when caching is off, or once the store has closed.
    pub(super) cache: RwLock<Option<Arc<ResponseCache>>>,
    pub(super) quality: QualityBook,
    /// Saves cache entries and scores on its own thread.
    pub(super) writer: Arc<Writer>,
    pub(super) scrubber: Scrubber,
    pub(super) started: Instant,
}

impl Gateway {
    /// Lets go of the data directory's trees (the store is closing); the cache is off and
    /// scores are no longer saved from then on.
    pub fn close_store(&self) {
        *self.cache.write().unwrap_or_else(|e| e.into_inner()) = None;
        self.quality.close();
        self.writer.close();
    }

    /// Sends the quality scores changed since their last save to be saved (without waiting).
    pub fn save_scores(&self) {
        self.quality.save_changed();
    }

    /// Waits until every cache entry and score sent for saving is in the store.
    pub fn sync_writes(&self) {
        self.quality.save_changed();
        self.writer.sync();
    }

    /// Drops a refused answer (files out of the workspace, an invalid plan) from the cache,
    /// so that trying the task again asks the provider again.
    pub fn forget(&self, answer: &Answer) {
        if let (Some(cache), Some(key)) = (self.cache(), answer.cache_key) {
            cache.remove(&key);
        }
    }

    fn cache(&self) -> Option<Arc<ResponseCache>> {
        self.cache.read().unwrap_or_else(|e| e.into_inner()).clone()
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

    pub fn quality(&self) -> &QualityBook {
        &self.quality
    }

    /// The checks' score of an output a provider wrote for a task kind.
    pub fn record_output_quality(&self, provider: &str, route: &str, score: f32) {
        self.quality.record_output(provider, route, score as f64);
    }

    /// A reviewer's gate decision about an artifact a provider wrote.
    pub fn record_gate_feedback(&self, provider: &str, route: &str, feedback: GateFeedback) {
        self.quality.record_gate(provider, route, feedback);
    }

    /// The candidates of the request's chain in the order the policy wants them tried.
    fn order(&self, req: &CallRequest, rng: &mut Rng) -> Vec<usize> {
        let chain = self.chain(req.route);
        if self.policy == Policy::Preferred || chain.len() < 2 {
            return chain;
        }
        let expected = Usage {
            input: (req.system.len() + req.prompt.len()).div_ceil(4) as u64,
            output: req.max_tokens as u64 / 2,
            cached_input: 0,
            estimated: true,
        };
        let cands = chain
            .iter()
            .map(|&i| {
                let p = &self.slots[i].provider;
                let rec = self.quality.get(p.name(), req.route);
                Candidate::from_record(i, p.simulated(), self.prices.cost(p.model(), &expected), rec.as_ref())
            })
            .collect();
        router::order(self.policy, cands, self.adaptive, rng)
    }

    fn backoff(&self, attempt: u32, err: &ProviderError, rng: &mut Rng) -> Duration {
        if let Some(after) = err.retry_after {
            return after.min(MAX_SERVER_WAIT);
        }
        let exp = self.retry.base_delay_ms.saturating_mul(1u64 << attempt.min(16)).min(self.retry.max_delay_ms);
        Duration::from_millis(exp / 2 + rng.range(0, exp / 2 + 1))
    }

    /// Calls the candidates for `req.route` in the policy's order: the cache, then each
    /// provider up to `max_attempts` times while its errors are retryable, then the next.
    /// `note` hears of retries, fallbacks and circuits.
    pub async fn call(&self, mut req: CallRequest, note: &(dyn Fn(GatewayNote) + Sync)) -> Result<Answer, CallFailure> {
        let mut rng = Rng::new(self.started.elapsed().as_nanos() as u64 ^ fnv1a(req.task_id.as_bytes()));
        let order = self.order(&req, &mut rng);
        let mut given_up = Vec::new();
        for (pos, &index) in order.iter().enumerate() {
            let slot = &self.slots[index];
            let is_last = pos + 1 == order.len();
            match self.try_candidate(slot, &mut req, is_last, note, &mut rng).await {
                Ok(answer) => return Ok(answer),
                Err(gone) => {
                    if let Some(&next) = order.get(pos + 1) {
                        let to = self.slots[next].name().to_string();
                        let reason = format!("{}; the call moves to {to}", gone.reason());
                        note(GatewayNote::Fallback { from: slot.name().into(), to, reason });
                    }
                    given_up.push(gone);
                }
            }
        }
        Err(CallFailure::GaveUp(given_up))
    }

    /// One candidate: the cache, then calls with retries. `Err` is why it gave up, with
    /// every call's error.
    async fn try_candidate(
        &self,
        slot: &Slot,
        req: &mut CallRequest,
        is_last: bool,
        note: &(dyn Fn(GatewayNote) + Sync),
        rng: &mut Rng,
    ) -> Result<Answer, GivenUp> {
        // The request's place in the cache, hashed once for the lookup and the store.
        let cache_key = (!slot.provider.simulated() && self.cache().is_some())
            .then(|| cache::key(slot.name(), slot.provider.model(), req));
        if let Some(answer) = self.cached_answer(slot, req, cache_key) {
            return Ok(answer);
        }
        let mut errors = Vec::new();
        let give_up =
            |errors, why| GivenUp { provider: slot.name().into(), model: slot.provider.model().into(), errors, why };
        let mut attempt = 0;
        loop {
            // Keys first: a provider with no key to use for a long while is given up on
            // without taking the circuit's one probe (which would then go unanswered).
            match slot.pool.wait_hint() {
                Err(PoolError::NoKeys(reason)) => return Err(give_up(errors, Why::NoKeys(reason))),
                Ok(Some(wait)) if wait > MAX_KEY_WAIT => return Err(give_up(errors, Why::KeysResting(wait))),
                _ => {}
            }
            if !self.admit(slot, is_last).await {
                return Err(give_up(errors, Why::CircuitOpen));
            }
            req.attempt = attempt;
            let (err, key) = match self.call_once(slot, req, cache_key, note).await {
                Ok(answer) => return Ok(answer),
                Err(failed) => failed,
            };
            if err.class == ErrorClass::CutStream {
                note(self.cut_stream_spend(slot, req));
            }
            let verdict = key.map_or(KeyVerdict::Unchanged, |i| slot.pool.failed(i, &err));
            let key_fault = matches!(err.class, ErrorClass::Auth | ErrorClass::Quota);
            if !key_fault
                && err.class != ErrorClass::BadRequest
                && let Some(failures) = self.record_failure(slot)
            {
                note(GatewayNote::CircuitOpened { provider: slot.name().into(), failures });
            }
            let other_key =
                key_fault && verdict != KeyVerdict::Unchanged && key.is_some_and(|i| slot.pool.has_other_key(i));
            attempt += 1;
            if !(err.retryable() || other_key) || attempt >= self.retry.max_attempts {
                errors.push(err);
                return Err(give_up(errors, Why::Failed));
            }
            // A resting key is waited for by the pool (another key may serve at once);
            // other failures back off with jitter.
            let pool_waits = verdict != KeyVerdict::Unchanged;
            let key_wait = slot.pool.wait_hint().ok().flatten().unwrap_or(Duration::ZERO);
            let wait = if pool_waits { key_wait } else { self.backoff(attempt - 1, &err, rng) };
            // After the backoff the call still waits for a key (resting, or its rpm used
            // up): the retry is that far away.
            note(GatewayNote::Retry {
                provider: slot.name().into(),
                attempt,
                error: err.to_string(),
                wait_ms: wait.max(key_wait).as_millis() as u64,
            });
            if !pool_waits {
                tokio::time::sleep(wait).await;
            }
            errors.push(err);
        }
    }

    /// What a stream cut after its first byte is known to have cost: its input tokens,
    /// estimated from the prompt, at the model's input price.
    fn cut_stream_spend(&self, slot: &Slot, req: &CallRequest) -> GatewayNote {
        let usage = Usage {
            input: (req.system.len() + req.prompt.len()).div_ceil(4) as u64,
            output: 0,
            cached_input: 0,
            estimated: true,
        };
        let model = slot.provider.model();
        let cost = self.prices.cost(model, &usage);
        GatewayNote::Spent {
            provider: slot.name().into(),
            model: model.into(),
            usage,
            cost_micros: cost.unwrap_or(0),
            unpriced: cost.is_none(),
        }
    }

    fn cached_answer(&self, slot: &Slot, req: &CallRequest, key: Option<[u8; 32]>) -> Option<Answer> {
        if slot.provider.simulated() || req.bypass_cache {
            return None;
        }
        let (cache, key) = (self.cache()?, key?);
        let Some(entry) = cache.get_at(key) else {
            slot.live().cache_misses += 1;
            return None;
        };
        slot.live().cache_hits += 1;
        // The task that paid for this answer never recorded it: record its cost now.
        let recovered = !req.task_id.is_empty() && entry.task_id == req.task_id;
        Some(Answer {
            response: entry.response(),
            provider: slot.name().into(),
            simulated: false,
            cost_micros: if recovered { entry.cost_micros } else { 0 },
            unpriced: recovered && entry.unpriced,
            latency_ms: 0,
            cached: true,
            reused: !recovered,
            cache_key: Some(key),
        })
    }

    /// Whether the slot's circuit lets a call through; the last candidate waits for the
    /// circuit to half-open rather than giving up.
    async fn admit(&self, slot: &Slot, wait: bool) -> bool {
        loop {
            let until = match slot.live().breaker.admit(Instant::now()) {
                Admit::Yes => return true,
                Admit::No(t) => t,
            };
            if !wait {
                return false;
            }
            tokio::time::sleep_until(until.into()).await;
        }
    }

    fn record_failure(&self, slot: &Slot) -> Option<u32> {
        slot.live().breaker.failure(Instant::now())
    }

    /// Waits for a key; one waited for [`WAIT_NOTE_AFTER`] because of an rpm limit or a
    /// resting key is noted (and shown in the provider's live figures until it comes).
    async fn acquire<'s>(
        &self,
        slot: &'s Slot,
        note: &(dyn Fn(GatewayNote) + Sync),
    ) -> Result<pool::Lease<'s>, PoolError> {
        let acquire = slot.pool.acquire();
        tokio::pin!(acquire);
        tokio::select! {
            lease = &mut acquire => return lease,
            _ = tokio::time::sleep(WAIT_NOTE_AFTER) => {}
        }
        let Some((reason, left)) = slot.pool.wait_reason() else {
            return acquire.await;
        };
        slot.live().waiting = Some((reason, Instant::now() + left));
        // Cleared when the key comes, and when the call is abandoned while waiting.
        let _shown = Waiting(slot);
        note(GatewayNote::Wait {
            provider: slot.name().into(),
            reason: reason.into(),
            expected_ms: left.as_millis() as u64,
        });
        acquire.await
    }

    /// One call on one key. On failure, the error (keys scrubbed out) and the key used.
    async fn call_once(
        &self,
        slot: &Slot,
        req: &CallRequest,
        cache_key: Option<[u8; 32]>,
        note: &(dyn Fn(GatewayNote) + Sync),
    ) -> Result<Answer, (ProviderError, Option<usize>)> {
        let mut guard = Counted::queued(slot);
        let lease = match self.acquire(slot, note).await {
            Ok(l) => l,
            Err(PoolError::NoKeys(reason)) => return Err((ProviderError::new(ErrorClass::Auth, reason), None)),
        };
        guard.start(self.started.elapsed().as_secs() / BUCKET_SECS);
        let start = Instant::now();
        let result = slot.provider.call(req, lease.key()).await;
        let latency_ms = start.elapsed().as_millis() as u64;
        let index = lease.index();
        match result {
            Err(mut err) => {
                drop(lease);
                guard.fail();
                err.message = self.scrubber.scrub(&err.message);
                Err((err, Some(index)))
            }
            Ok(response) => {
                slot.pool.succeeded(index, response.rest_key_for);
                drop(lease);
                let cost = self.prices.cost(&response.model, &response.usage);
                guard.succeed(latency_ms, &response.usage, cost.unwrap_or(0));
                if cost.is_none() {
                    tracing::warn!(provider = slot.name(), model = %response.model, "model missing from the price table; the run's cost is marked unpriced");
                }
                self.quality.record_call(slot.name(), req.route, latency_ms, cost.unwrap_or(0));
                // A cut-off answer is never cached: asking again must reach the provider.
                let cache_key = match (cache_key, self.cache()) {
                    (Some(key), Some(cache)) if !slot.provider.simulated() && !response.truncated => {
                        cache.put_at(key, &response, cost.unwrap_or(0), cost.is_none(), &req.task_id);
                        Some(key)
                    }
                    _ => None,
                };
                Ok(Answer {
                    provider: slot.name().to_string(),
                    simulated: slot.provider.simulated(),
                    cost_micros: cost.unwrap_or(0),
                    unpriced: cost.is_none(),
                    latency_ms,
                    response,
                    cached: false,
                    reused: false,
                    cache_key,
                })
            }
        }
    }

    /// The routing policy in force (with its quality floor when adaptive).
    pub fn routing(&self) -> Routing {
        Routing {
            policy: self.policy.as_str().into(),
            quality_floor: (self.policy == Policy::Adaptive).then_some(self.adaptive.quality_floor),
        }
    }

    /// The learned quality score of each provider per task kind, for the kinds it has been
    /// observed on (a score without observations is only the prior).
    pub fn quality_scores(&self) -> HashMap<String, std::collections::BTreeMap<String, f64>> {
        let mut out: HashMap<String, std::collections::BTreeMap<String, f64>> = HashMap::new();
        for (provider, route, rec) in self.quality.all() {
            if rec.observations() > 0 {
                out.entry(provider).or_default().insert(route, rec.quality());
            }
        }
        out
    }

    /// Live figures of every provider, for the snapshot.
    pub fn stats(&self) -> Vec<ProviderStats> {
        let bucket_now = self.started.elapsed().as_secs() / BUCKET_SECS;
        let now = Instant::now();
        let mut quality = self.quality_scores();
        self.slots
            .iter()
            .map(|slot| {
                let base = slot.live().stats(bucket_now, now);
                ProviderStats {
                    quality: quality.remove(slot.name()).unwrap_or_default(),
                    name: slot.name().into(),
                    kind: slot.provider.kind().as_str().into(),
                    model: slot.provider.model().into(),
                    simulated: slot.provider.simulated(),
                    max_concurrent: slot.pool.max_concurrent(),
                    keys_ready: slot.pool.keys_ready(),
                    keys_total: slot.pool.keys_total(),
                    ..base
                }
            })
            .collect()
    }
}

/// Clears a slot's live "waiting for a key" when dropped.
struct Waiting<'a>(&'a Slot);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.live().waiting = None;
    }
}

/// Keeps a slot's queued and in-flight counts right even when a call is abandoned midway
/// (its future dropped at shutdown or by a timeout).
struct Counted<'a> {
    slot: &'a Slot,
    stage: Stage,
}

#[derive(PartialEq)]
enum Stage {
    Queued,
    InFlight,
    Done,
}

impl<'a> Counted<'a> {
    fn queued(slot: &'a Slot) -> Self {
        slot.live().queued += 1;
        Counted { slot, stage: Stage::Queued }
    }
    fn start(&mut self, bucket: u64) {
        self.slot.live().started(bucket);
        self.stage = Stage::InFlight;
    }
    fn fail(&mut self) {
        self.slot.live().failed();
        self.stage = Stage::Done;
    }
    fn succeed(&mut self, latency_ms: u64, usage: &Usage, cost: u64) {
        let mut live = self.slot.live();
        live.succeeded(latency_ms, usage, cost);
        live.breaker.success();
        self.stage = Stage::Done;
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        match self.stage {
            Stage::Queued => {
                let mut live = self.slot.live();
                live.queued = live.queued.saturating_sub(1);
            }
            Stage::InFlight => {
                let mut live = self.slot.live();
                live.in_flight = live.in_flight.saturating_sub(1);
            }
            Stage::Done => {}
        }
    }
}

#[cfg(test)]
mod tests;
