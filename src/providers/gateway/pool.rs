//! A provider's pool of API keys: calls in flight per provider and per key, requests per
//! minute per key and per provider, a key resting after a 429/529 (its retry-after, else
//! exponentially longer), and a refused key left out.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, Semaphore, SemaphorePermit};

use crate::providers::{ErrorClass, ProviderError, Secret};

const MINUTE: Duration = Duration::from_secs(60);
/// First rest of a key after a 429/529 without retry-after; doubled on each one in a row.
const FIRST_REST: Duration = Duration::from_secs(1);
const MAX_REST: Duration = Duration::from_secs(60);
/// Rest of a key whose account is out of quota or credit: someone must act first.
const QUOTA_REST: Duration = Duration::from_secs(600);

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_concurrent: u32,
    pub max_concurrent_per_key: u32,
    pub rpm_per_key: Option<u32>,
    pub rpm_total: Option<u32>,
}

#[derive(Debug, Default)]
struct KeyState {
    in_flight: u32,
    /// Start times of this key's requests in the last minute (only kept with an rpm limit).
    window: VecDeque<Instant>,
    rest_until: Option<Instant>,
    /// 429/529s in a row, for the exponential rest.
    strikes: u32,
    /// Why the key is left out for good (refused by the provider).
    refused: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    keys: Vec<KeyState>,
    window: VecDeque<Instant>,
    /// Where the search for the next key starts, so that equal keys take turns.
    next: usize,
}

/// What a pool cannot do.
#[derive(Clone, Debug, PartialEq)]
pub enum PoolError {
    /// Every key was refused by the provider.
    NoKeys(String),
}

pub struct Pool {
    keys: Vec<Secret>,
    limits: Limits,
    limit: Semaphore,
    state: Mutex<State>,
    freed: Notify,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").field("keys", &self.keys).field("limits", &self.limits).finish()
    }
}

/// The right to make one call with one key; given back on drop.
pub struct Lease<'a> {
    pool: &'a Pool,
    index: usize,
    _permit: SemaphorePermit<'a>,
}

impl Lease<'_> {
    /// The key to send (`None` for a provider without keys).
    pub fn key(&self) -> Option<&Secret> {
        self.pool.keys.get(self.index)
    }
    pub fn index(&self) -> usize {
        self.index
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let mut s = self.pool.state();
        s.keys[self.index].in_flight -= 1;
        drop(s);
        self.pool.freed.notify_waiters();
    }
}

/// What a failure did to the key that made the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyVerdict {
    /// Not the key's fault.
    Unchanged,
    /// The key rests for a while (rate limit, overload, quota).
    Resting,
    /// The key was refused and is left out.
    Refused,
}

impl Pool {
    /// A pool over `keys`; with none, calls go out without a key (local servers, tools).
    pub fn new(keys: Vec<Secret>, limits: Limits) -> Pool {
        let slots = keys.len().max(1);
        Pool {
            limit: Semaphore::new(limits.max_concurrent.max(1) as usize),
            state: Mutex::new(State { keys: (0..slots).map(|_| KeyState::default()).collect(), ..State::default() }),
            keys,
            limits,
            freed: Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn max_concurrent(&self) -> u32 {
        self.limits.max_concurrent
    }

    pub fn keys_total(&self) -> u32 {
        self.keys.len() as u32
    }

    pub fn keys(&self) -> &[Secret] {
        &self.keys
    }

    /// Keys that could take a call now (not refused, not resting, under their rpm).
    pub fn keys_ready(&self) -> u32 {
        let now = Instant::now();
        let mut s = self.state();
        prune(&mut s, now);
        if self.keys.is_empty() {
            return 0;
        }
        s.keys.iter().filter(|k| self.available(k, now)).count() as u32
    }

    /// Not refused, not resting, under the per-key rpm (its concurrency aside).
    fn available(&self, k: &KeyState, now: Instant) -> bool {
        k.refused.is_none()
            && k.rest_until.is_none_or(|t| t <= now)
            && self.limits.rpm_per_key.is_none_or(|rpm| k.window.len() < rpm as usize)
    }

    /// How long until some key may be used, if none may now (resting or over its rpm);
    /// `None` when a key is free or only busy. `Err` when every key was refused.
    pub fn wait_hint(&self) -> Result<Option<Duration>, PoolError> {
        let now = Instant::now();
        let mut s = self.state();
        prune(&mut s, now);
        match self.pick_or_wake(&s, now) {
            Pick::Key(_) | Pick::Busy(_) => Ok(None),
            Pick::WakeAt(t) => Ok(Some(t.saturating_duration_since(now))),
            Pick::Refused(reason) => Err(PoolError::NoKeys(reason)),
        }
    }

    /// Why a call would wait for a key now, and about how long: `rpm` (a requests-per-minute
    /// limit is used up) or `key resting`; `None` when a key is free, or only busy.
    pub fn wait_reason(&self) -> Option<(&'static str, Duration)> {
        let now = Instant::now();
        let mut s = self.state();
        prune(&mut s, now);
        let Pick::WakeAt(t) = self.pick_or_wake(&s, now) else {
            return None;
        };
        let rpm_total = self.limits.rpm_total.is_some_and(|rpm| s.window.len() >= rpm as usize);
        let resting = !rpm_total && s.keys.iter().any(|k| k.rest_until == Some(t));
        Some((if resting { "key resting" } else { "rpm" }, t.saturating_duration_since(now)))
    }

    /// Waits for a provider slot and a usable key.
    pub async fn acquire(&self) -> Result<Lease<'_>, PoolError> {
        let permit = self.limit.acquire().await.expect("the pool's semaphore is never closed");
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            let now = Instant::now();
            let wake = {
                let mut s = self.state();
                prune(&mut s, now);
                match self.pick_or_wake(&s, now) {
                    Pick::Key(i) => {
                        let track = self.limits.rpm_per_key.is_some();
                        let k = &mut s.keys[i];
                        k.in_flight += 1;
                        if track {
                            k.window.push_back(now);
                        }
                        if self.limits.rpm_total.is_some() {
                            s.window.push_back(now);
                        }
                        s.next = (i + 1) % s.keys.len();
                        return Ok(Lease { pool: self, index: i, _permit: permit });
                    }
                    Pick::Refused(reason) => return Err(PoolError::NoKeys(reason)),
                    Pick::Busy(t) => t,
                    Pick::WakeAt(t) => Some(t),
                }
            };
            match wake {
                None => freed.await,
                Some(t) => {
                    tokio::select! {
                        _ = freed => {}
                        _ = tokio::time::sleep_until(t.into()) => {}
                    }
                }
            }
        }
    }

    fn pick_or_wake(&self, s: &State, now: Instant) -> Pick {
        let n = s.keys.len();
        if s.keys.iter().all(|k| k.refused.is_some()) {
            let reason = s.keys.iter().find_map(|k| k.refused.clone()).unwrap_or_default();
            return Pick::Refused(reason);
        }
        let mut wake: Option<Instant> = None;
        let mut earliest = |t: Instant| wake = Some(wake.map_or(t, |w| w.min(t)));
        if let Some(rpm) = self.limits.rpm_total
            && s.window.len() >= rpm as usize
        {
            earliest(s.window[0] + MINUTE);
            return Pick::WakeAt(wake.unwrap_or(now));
        }
        let mut best: Option<usize> = None;
        let mut busy = false;
        for step in 0..n {
            let i = (s.next + step) % n;
            let k = &s.keys[i];
            if k.refused.is_some() {
                continue;
            }
            if let Some(t) = k.rest_until.filter(|t| *t > now) {
                earliest(t);
                continue;
            }
            if let Some(rpm) = self.limits.rpm_per_key
                && k.window.len() >= rpm as usize
            {
                earliest(k.window[0] + MINUTE);
                continue;
            }
            if k.in_flight >= self.limits.max_concurrent_per_key {
                busy = true;
                continue;
            }
            if best.is_none_or(|b| k.in_flight < s.keys[b].in_flight) {
                best = Some(i);
            }
        }
        // Without a free key, wait for the first rest or rpm window to end, or for a busy
        // key to come back (the caller also listens for that).
        match (best, busy, wake) {
            (Some(i), _, _) => Pick::Key(i),
            (None, true, w) => Pick::Busy(w),
            (None, false, Some(t)) => Pick::WakeAt(t),
            (None, false, None) => Pick::Busy(None),
        }
    }

    /// A call on key `index` succeeded; `rest` if its headers say a limit is used up.
    pub fn succeeded(&self, index: usize, rest: Option<Duration>) {
        let mut s = self.state();
        let k = &mut s.keys[index];
        k.strikes = 0;
        if let Some(d) = rest {
            k.rest_until = Some(Instant::now() + d.min(MAX_REST));
        }
    }

    /// A call on key `index` failed with `err`: a rate limit or overload rests the key, a
    /// refused key is left out, a quota refusal rests it long.
    pub fn failed(&self, index: usize, err: &ProviderError) -> KeyVerdict {
        let mut s = self.state();
        let k = &mut s.keys[index];
        match err.class {
            ErrorClass::RateLimited | ErrorClass::Overloaded => {
                k.strikes += 1;
                let backoff = FIRST_REST.saturating_mul(1 << (k.strikes - 1).min(10)).min(MAX_REST);
                let rest = err.retry_after.unwrap_or(backoff);
                k.rest_until = Some(Instant::now() + rest);
                KeyVerdict::Resting
            }
            ErrorClass::Quota if !self.keys.is_empty() => {
                k.rest_until = Some(Instant::now() + QUOTA_REST);
                KeyVerdict::Resting
            }
            ErrorClass::Auth if !self.keys.is_empty() => {
                k.refused = Some(err.message.clone());
                KeyVerdict::Refused
            }
            _ => KeyVerdict::Unchanged,
        }
    }

    /// Whether some key other than `index` could still serve (not refused).
    pub fn has_other_key(&self, index: usize) -> bool {
        let s = self.state();
        s.keys.iter().enumerate().any(|(i, k)| i != index && k.refused.is_none())
    }
}

enum Pick {
    Key(usize),
    /// Every ready key is at its concurrency limit: wait for one to free up (or for the
    /// first rest to end).
    Busy(Option<Instant>),
    WakeAt(Instant),
    Refused(String),
}

fn prune(s: &mut State, now: Instant) {
    let old = |t: &Instant| now.duration_since(*t) >= MINUTE;
    while s.window.front().is_some_and(old) {
        s.window.pop_front();
    }
    for k in &mut s.keys {
        while k.window.front().is_some_and(old) {
            k.window.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: usize) -> Vec<Secret> {
        (0..n).map(|i| Secret::new(format!("KEY_{i}"), format!("secret-value-{i}"))).collect()
    }

    fn limits(total: u32, per_key: u32) -> Limits {
        Limits { max_concurrent: total, max_concurrent_per_key: per_key, rpm_per_key: None, rpm_total: None }
    }

    fn rate_limited(after: Option<Duration>) -> ProviderError {
        let mut e = ProviderError::new(ErrorClass::RateLimited, "slow down");
        e.retry_after = after;
        e
    }

    #[tokio::test]
    async fn spreads_calls_over_keys_within_the_per_key_limit() {
        let pool = Pool::new(keys(2), limits(4, 2));
        let a = pool.acquire().await.unwrap();
        let b = pool.acquire().await.unwrap();
        assert_ne!(a.index(), b.index(), "the least busy key is used");
        let c = pool.acquire().await.unwrap();
        let d = pool.acquire().await.unwrap();
        let mut used = [a.index(), b.index(), c.index(), d.index()];
        used.sort();
        assert_eq!(used, [0, 0, 1, 1]);
        // A fifth call waits for the provider limit.
        assert!(tokio::time::timeout(Duration::from_millis(30), pool.acquire()).await.is_err());
        drop(c);
        assert!(tokio::time::timeout(Duration::from_millis(200), pool.acquire()).await.is_ok());
    }

    #[tokio::test]
    async fn the_per_key_limit_holds_below_the_provider_limit() {
        let pool = Pool::new(keys(1), limits(10, 1));
        let a = pool.acquire().await.unwrap();
        assert!(tokio::time::timeout(Duration::from_millis(30), pool.acquire()).await.is_err());
        drop(a);
        assert!(tokio::time::timeout(Duration::from_millis(200), pool.acquire()).await.is_ok());
    }

    #[tokio::test]
    async fn a_rate_limited_key_rests_for_its_retry_after_and_others_serve() {
        let pool = Pool::new(keys(2), limits(8, 8));
        let a = pool.acquire().await.unwrap();
        let i = a.index();
        assert_eq!(pool.failed(i, &rate_limited(Some(Duration::from_secs(30)))), KeyVerdict::Resting);
        drop(a);
        assert_eq!(pool.keys_ready(), 1);
        for _ in 0..3 {
            assert_ne!(pool.acquire().await.unwrap().index(), i, "the resting key is not used");
        }
        assert_eq!(pool.wait_hint(), Ok(None));
        let other = pool.acquire().await.unwrap();
        pool.failed(other.index(), &rate_limited(Some(Duration::from_millis(50))));
        drop(other);
        let hint = pool.wait_hint().unwrap().unwrap();
        assert!(hint <= Duration::from_millis(50), "{hint:?}");
        let t = Instant::now();
        let lease = pool.acquire().await.unwrap();
        assert!(t.elapsed() >= Duration::from_millis(40), "waited for the rest to end");
        assert_ne!(lease.index(), i);
    }

    #[tokio::test]
    async fn without_retry_after_the_rest_grows_and_success_resets_it() {
        let pool = Pool::new(keys(1), limits(8, 8));
        let rest = |pool: &Pool| pool.wait_hint().unwrap().unwrap_or_default();
        pool.failed(0, &rate_limited(None));
        let first = rest(&pool);
        pool.failed(0, &rate_limited(None));
        let second = rest(&pool);
        assert!(first <= FIRST_REST && second > FIRST_REST, "{first:?} then {second:?}");
        pool.succeeded(0, None);
        pool.failed(0, &rate_limited(None));
        assert!(rest(&pool) <= FIRST_REST);
    }

    #[tokio::test]
    async fn a_refused_key_is_left_out_and_then_the_pool_says_so() {
        let pool = Pool::new(keys(2), limits(8, 8));
        let auth = ProviderError::new(ErrorClass::Auth, "the key in KEY_0 was refused");
        assert_eq!(pool.failed(0, &auth), KeyVerdict::Refused);
        assert!(pool.has_other_key(0));
        for _ in 0..3 {
            assert_eq!(pool.acquire().await.unwrap().index(), 1);
        }
        pool.failed(1, &auth);
        assert!(!pool.has_other_key(0));
        assert!(matches!(pool.acquire().await, Err(PoolError::NoKeys(_))));
        assert_eq!(pool.keys_ready(), 0);
    }

    #[tokio::test]
    async fn requests_per_minute_per_key_and_per_provider() {
        let pool = Pool::new(keys(2), Limits { rpm_per_key: Some(2), ..limits(8, 8) });
        for _ in 0..4 {
            pool.acquire().await.unwrap();
        }
        assert_eq!(pool.keys_ready(), 0);
        let hint = pool.wait_hint().unwrap().unwrap();
        assert!(hint > Duration::from_secs(58), "{hint:?}");
        assert!(tokio::time::timeout(Duration::from_millis(30), pool.acquire()).await.is_err());

        let pool = Pool::new(keys(3), Limits { rpm_total: Some(2), ..limits(8, 8) });
        pool.acquire().await.unwrap();
        pool.acquire().await.unwrap();
        assert!(pool.wait_hint().unwrap().is_some());
    }

    #[tokio::test]
    async fn a_keyless_pool_serves_without_a_key() {
        let pool = Pool::new(Vec::new(), limits(2, 2));
        let lease = pool.acquire().await.unwrap();
        assert!(lease.key().is_none());
        assert_eq!(pool.keys_total(), 0);
        let auth = ProviderError::new(ErrorClass::Auth, "no");
        assert_eq!(pool.failed(0, &auth), KeyVerdict::Unchanged, "a keyless provider has no key to refuse");
    }
}
