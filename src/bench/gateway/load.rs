//! The gateway under load, against the bench's own paced server: pairs (a bare call and a
//! gateway call launched at the same instant) at a fixed offered rate, open loop; the
//! client CPU per request of each path alone at that rate; and a burst of calls at once.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::server::ServerThread;
use crate::bench::measure::{Latency, Spread, process_cpu_ns};

type Call = std::pin::Pin<Box<dyn Future<Output = bool> + Send>>;

#[derive(Clone, Debug, Serialize)]
pub struct OpenLoop {
    /// Requests per second, both paths together (half of them each).
    pub rate_per_s: u32,
    pub seconds: f64,
    pub stream_ms: u64,
    pub peak_streams_open: usize,
    pub bare: Latency,
    pub layer: Latency,
    /// Per pair (launched at the same instant): the gateway call's time minus the bare one's.
    pub added: Spread,
    /// The process's CPU per request, the server's thread left out, each path alone at the
    /// same rate: what each client spends with about `peak_streams_open` streams open.
    pub cpu_us_per_request_bare: u64,
    pub cpu_us_per_request_layer: u64,
    pub cpu_us_added_per_request: i64,
    pub cpu_errors: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Burst {
    pub launched: u32,
    pub ok: usize,
    pub errors: usize,
    pub peak_in_flight_at_server: u64,
    pub seconds: f64,
}

/// One call of each path for request `k`.
pub trait Paths: Sync {
    fn bare(&self) -> Call;
    fn layer(&self, k: u64) -> Call;
}

/// Launches `per_tick` calls from `make(k)` at `rate` ticks per second for `secs`, whatever
/// the answers do; each latency runs from its scheduled start (no coordinated omission).
/// Returns, per tick, each call's result and microseconds; `peak` is raised to the most
/// calls open at once.
async fn open_loop(
    rate: u32,
    secs: f64,
    peak: &Arc<AtomicUsize>,
    make: impl Fn(u64) -> Vec<Call>,
) -> Vec<Vec<Option<u64>>> {
    let n = (rate as f64 * secs) as u64;
    let open = Arc::new(AtomicUsize::new(0));
    let start = tokio::time::Instant::now() + Duration::from_millis(20);
    let mut ticks = Vec::with_capacity(n as usize);
    for k in 0..n {
        let at = start + Duration::from_secs_f64(k as f64 / rate as f64);
        tokio::time::sleep_until(at).await;
        let calls = make(k)
            .into_iter()
            .map(|fut| {
                let (open, peak) = (Arc::clone(&open), Arc::clone(peak));
                tokio::spawn(async move {
                    let now = open.fetch_add(1, Ordering::Relaxed) + 1;
                    peak.fetch_max(now, Ordering::Relaxed);
                    let ok = fut.await;
                    open.fetch_sub(1, Ordering::Relaxed);
                    ok.then(|| at.elapsed().as_micros() as u64)
                })
            })
            .collect::<Vec<_>>();
        ticks.push(calls);
    }
    let mut out = Vec::with_capacity(ticks.len());
    for calls in ticks {
        let mut results = Vec::with_capacity(calls.len());
        for c in calls {
            results.push(c.await.ok().flatten());
        }
        out.push(results);
    }
    out
}

/// CPU per request of one path alone at `rate`, the server's thread left out; and errors.
async fn cpu_alone(rate: u32, secs: f64, server: &ServerThread, make: impl Fn(u64) -> Call) -> (u64, usize) {
    let peak = Arc::new(AtomicUsize::new(0));
    let (p0, s0) = (process_cpu_ns(), server.cpu_ns());
    let ticks = open_loop(rate, secs, &peak, |k| vec![make(k)]).await;
    let spent = process_cpu_ns().saturating_sub(p0).saturating_sub(server.cpu_ns().saturating_sub(s0));
    let errors = ticks.iter().flatten().filter(|r| r.is_none()).count();
    ((spent / 1000).checked_div(ticks.len() as u64).unwrap_or(0), errors)
}

pub async fn open(
    paths: &impl Paths,
    server: &ServerThread,
    rate: u32,
    secs: f64,
    cpu_secs: f64,
    stream_ms: u64,
) -> OpenLoop {
    let peak = Arc::new(AtomicUsize::new(0));
    let pairs = open_loop((rate / 2).max(1), secs, &peak, |k| vec![paths.bare(), paths.layer(10_000_000 + k)]).await;
    let (mut bare, mut layer, mut added) = (Vec::new(), Vec::new(), Vec::new());
    let (mut bare_errors, mut layer_errors) = (0, 0);
    for pair in pairs {
        match (pair.first().copied().flatten(), pair.get(1).copied().flatten()) {
            (Some(b), Some(l)) => {
                bare.push(b);
                layer.push(l);
                added.push(l as i64 - b as i64);
            }
            (b, l) => {
                bare_errors += usize::from(b.is_none());
                layer_errors += usize::from(l.is_none());
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (bare_cpu, bare_cpu_errors) = cpu_alone(rate, cpu_secs, server, |_| paths.bare()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (layer_cpu, layer_cpu_errors) = cpu_alone(rate, cpu_secs, server, |k| paths.layer(20_000_000 + k)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    OpenLoop {
        rate_per_s: rate,
        seconds: secs,
        stream_ms,
        peak_streams_open: peak.load(Ordering::Relaxed),
        bare: Latency::of(bare, bare_errors),
        layer: Latency::of(layer, layer_errors),
        added: Spread::of(added),
        cpu_us_per_request_bare: bare_cpu,
        cpu_us_per_request_layer: layer_cpu,
        cpu_us_added_per_request: layer_cpu as i64 - bare_cpu as i64,
        cpu_errors: bare_cpu_errors + layer_cpu_errors,
    }
}

/// `n` gateway calls launched at once.
pub async fn burst(paths: &impl Paths, server: &ServerThread, n: u32) -> Burst {
    let t = Instant::now();
    let calls: Vec<_> = (0..n as u64).map(|i| tokio::spawn(paths.layer(50_000_000 + i))).collect();
    let mut ok = 0;
    for c in calls {
        if matches!(c.await, Ok(true)) {
            ok += 1;
        }
    }
    Burst {
        launched: n,
        ok,
        errors: n as usize - ok,
        peak_in_flight_at_server: server.paced().peak_open(),
        seconds: t.elapsed().as_secs_f64(),
    }
}
