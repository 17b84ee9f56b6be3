//! `factory bench gateway`: the latency and CPU the provider layer (router, pool, SSE and
//! JSON parsing, pricing, cache and score persistence) adds over a bare reqwest call to the
//! same loopback fake server; at concurrency 1, open-loop at a fixed rate with about 1,000
//! streams open, and a burst of 2,000 calls in flight at once.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use serde::Serialize;
use serde_json::{Value, json};

use super::BenchOptions;
use super::measure::{Latency, cpu_us};
use crate::config::{Config, ProviderConfig, ProviderKind};
use crate::error::{FactoryError, Result};
use crate::fake_server::{FakeOptions, FakeServer};
use crate::providers::{CallRequest, Gateway, GatewayNote, Trees, http};

const KEY_VAR: &str = "BENCH_API_KEY";
const KEY: &str = "sk-bench-not-a-real-key";
const MODEL: &str = "gpt-4o-mini";
/// Pieces of each streamed answer (plus role, finish, usage and `[DONE]` chunks).
const CHUNKS: usize = 20;
/// Pause between chunks in the paced parts: a stream lasts about `(CHUNKS + 3) x PACE`.
const PACE: Duration = Duration::from_millis(50);

#[derive(Serialize)]
struct Compare {
    bare: Latency,
    layer: Latency,
    added_mean_us: i64,
    added_p50_us: i64,
    added_p99_us: i64,
}

impl Compare {
    fn new(bare: Latency, layer: Latency) -> Compare {
        Compare {
            added_mean_us: layer.mean_us as i64 - bare.mean_us as i64,
            added_p50_us: layer.p50_us as i64 - bare.p50_us as i64,
            added_p99_us: layer.p99_us as i64 - bare.p99_us as i64,
            bare,
            layer,
        }
    }
}

#[derive(Serialize)]
struct OpenLoop {
    rate_per_s: u32,
    seconds: f64,
    stream_ms: u64,
    peak_streams_open: usize,
    latency: Compare,
    cpu_us_per_request_bare: u64,
    cpu_us_per_request_layer: u64,
    cpu_us_added_per_request: i64,
    cpu_errors: usize,
}

#[derive(Serialize)]
struct Burst {
    launched: u32,
    ok: usize,
    errors: usize,
    peak_in_flight_at_server: u64,
    seconds: f64,
}

/// One request's prompt: about 2 KB, different each time so that the cache never answers.
fn prompt(i: u64) -> String {
    let mut p = format!("Benchmark request {i}. Summarise the market for a startup in one paragraph.\n");
    while p.len() < 2000 {
        p.push_str("Context: customers, pricing, competitors, risks and trends of a small software market. ");
    }
    p
}

fn config(server: &FakeServer) -> Config {
    let mut cfg = Config::default();
    cfg.providers.clear();
    cfg.providers.insert(
        "openai".into(),
        ProviderConfig {
            kind: Some(ProviderKind::Openai),
            base_url: Some(server.openai_url()),
            keys: Some(vec![KEY_VAR.into()]),
            model: Some(MODEL.into()),
            max_concurrent: Some(4096),
            max_concurrent_per_key: Some(4096),
            timeout_s: Some(60),
            ..ProviderConfig::default()
        },
    );
    for chain in cfg.routing.chains.values_mut() {
        *chain = vec!["openai".into()];
    }
    cfg
}

struct Setup {
    _fast: FakeServer,
    paced: FakeServer,
    fast_gateway: Arc<Gateway>,
    paced_gateway: Arc<Gateway>,
    fast_url: String,
    paced_url: String,
    client: reqwest::Client,
    body: Bytes,
    _db: sled::Db,
}

async fn setup() -> Result<Setup> {
    let start = |delay| {
        FakeServer::start(FakeOptions {
            chunks: CHUNKS,
            chunk_delay: delay,
            words: 100,
            ledger: false,
            ..FakeOptions::default()
        })
    };
    let io = |e: std::io::Error| FactoryError::internal(format!("cannot start the loopback server: {e}"));
    let fast = start(Duration::ZERO).await.map_err(io)?;
    let paced = start(PACE).await.map_err(io)?;
    // The cache and scores are written to a real (temporary) sled database, as in a run.
    let db = sled::Config::new().temporary(true).open()?;
    let trees = || -> Result<Trees> {
        Ok(Trees { cache: Some(db.open_tree("cache")?), quality: Some(db.open_tree("quality")?) })
    };
    let env = |name: &str| (name == KEY_VAR).then(|| KEY.to_string());
    let fast_gateway = Arc::new(Gateway::from_config_with(&config(&fast), false, trees()?, &env));
    let paced_gateway = Arc::new(Gateway::from_config_with(&config(&paced), false, trees()?, &env));
    let client = http::client().map_err(|e| FactoryError::internal(e.message))?;
    let body = serde_json::to_vec(&json!({
        "model": MODEL,
        "messages": [{"role": "system", "content": "You are brief."}, {"role": "user", "content": prompt(0)}],
        "stream": true,
        "stream_options": {"include_usage": true},
        "max_tokens": 400,
    }))
    .unwrap_or_default();
    Ok(Setup {
        fast_url: http::join_url(&fast.openai_url(), "chat/completions"),
        paced_url: http::join_url(&paced.openai_url(), "chat/completions"),
        _fast: fast,
        paced,
        fast_gateway,
        paced_gateway,
        client,
        body: Bytes::from(body),
        _db: db,
    })
}

/// The baseline: a reqwest POST of a ready body, reading the stream to its end.
fn bare(s: &Setup, paced: bool) -> impl Future<Output = bool> + Send + 'static {
    let req = s
        .client
        .post(if paced { &s.paced_url } else { &s.fast_url })
        .header("authorization", format!("Bearer {KEY}"))
        .header("content-type", "application/json")
        .body(s.body.clone());
    async move {
        let Ok(mut resp) = req.send().await else { return false };
        if !resp.status().is_success() {
            return false;
        }
        loop {
            match resp.chunk().await {
                Ok(Some(_)) => {}
                Ok(None) => return true,
                Err(_) => return false,
            }
        }
    }
}

/// The same request through the provider layer.
fn layer(s: &Setup, paced: bool, i: u64) -> impl Future<Output = bool> + Send + 'static {
    let g = Arc::clone(if paced { &s.paced_gateway } else { &s.fast_gateway });
    async move {
        let req = CallRequest::new("build", "You are brief.", &prompt(i), 400);
        let quiet = |_: GatewayNote| {};
        g.call(req, &quiet).await.is_ok_and(|a| a.cost_micros > 0)
    }
}

async fn sequential(s: &Setup, n: u64) -> Compare {
    let (mut b, mut l) = (Vec::new(), Vec::new());
    let (mut be, mut le) = (0, 0);
    let mut i = 1_000_000;
    // Alternate blocks so that drift on a shared machine hits both alike.
    for _ in 0..(n / 100).max(1) {
        for _ in 0..100 {
            let t = Instant::now();
            if bare(s, false).await { b.push(t.elapsed().as_micros() as u64) } else { be += 1 }
        }
        for _ in 0..100 {
            i += 1;
            let t = Instant::now();
            if layer(s, false, i).await { l.push(t.elapsed().as_micros() as u64) } else { le += 1 }
        }
    }
    Compare::new(Latency::of(b, be), Latency::of(l, le))
}

type Call = std::pin::Pin<Box<dyn Future<Output = bool> + Send>>;

/// What an open-loop series measured, per path.
#[derive(Default)]
struct Series {
    bare: (Vec<u64>, usize),
    layer: (Vec<u64>, usize),
    cpu_us: u64,
    requests: u64,
}

impl Series {
    fn cpu_per_request(&self) -> u64 {
        self.cpu_us.checked_div(self.requests).unwrap_or(0)
    }
}

/// Starts `make(i)` at `rate` per second for `secs`, whatever the answers do; each latency
/// runs from the request's scheduled start (no coordinated omission). `make` says which
/// path the call takes. `peak` is raised to the most calls open at once.
async fn open_loop(rate: u32, secs: f64, peak: &Arc<AtomicUsize>, make: impl Fn(u64) -> (bool, Call)) -> Series {
    let n = (rate as f64 * secs) as u64;
    let open = Arc::new(AtomicUsize::new(0));
    let cpu0 = cpu_us();
    let start = tokio::time::Instant::now() + Duration::from_millis(20);
    let mut handles = Vec::with_capacity(n as usize);
    for k in 0..n {
        let at = start + Duration::from_secs_f64(k as f64 / rate as f64);
        tokio::time::sleep_until(at).await;
        let (is_layer, fut) = make(k);
        let (open, peak) = (Arc::clone(&open), Arc::clone(peak));
        handles.push(tokio::spawn(async move {
            let now = open.fetch_add(1, Ordering::Relaxed) + 1;
            peak.fetch_max(now, Ordering::Relaxed);
            let ok = fut.await;
            open.fetch_sub(1, Ordering::Relaxed);
            (is_layer, ok, at.elapsed().as_micros() as u64)
        }));
    }
    let mut series = Series { requests: n, ..Series::default() };
    for h in handles {
        let (is_layer, ok, us) = h.await.unwrap_or((false, false, 0));
        let side = if is_layer { &mut series.layer } else { &mut series.bare };
        if ok {
            side.0.push(us);
        } else {
            side.1 += 1;
        }
    }
    series.cpu_us = cpu_us().saturating_sub(cpu0);
    series
}

pub async fn run(opts: BenchOptions) -> Result<(Value, String)> {
    let s = setup().await?;
    let (seq_n, secs, cpu_secs, rate, burst_n) = if opts.quick {
        (100, 0.5, 0.5, opts.rate.min(100), opts.burst.min(100))
    } else {
        (2000, 10.0, 4.0, opts.rate, opts.burst)
    };
    // Warm the connection pool to the paced server for both paths alike.
    let warm: Vec<_> = (0..rate.min(1200)).map(|_| tokio::spawn(bare(&s, true))).collect();
    for w in warm {
        let _ = w.await;
    }
    let seq = sequential(&s, seq_n).await;

    // Latency: bare and layer calls interleaved in one open-loop series, so that both
    // meet the same moment of a shared machine and the same number of open streams.
    let peak = Arc::new(AtomicUsize::new(0));
    let mixed = open_loop(rate, secs, &peak, |k| -> (bool, Call) {
        if k % 2 == 0 { (false, Box::pin(bare(&s, true))) } else { (true, Box::pin(layer(&s, true, 10_000_000 + k))) }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // CPU: each path alone at the same rate, the process's CPU time divided by the calls.
    let bare_cpu = open_loop(rate, cpu_secs, &peak, |_| (false, Box::pin(bare(&s, true)))).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let layer_cpu = open_loop(rate, cpu_secs, &peak, |k| (true, Box::pin(layer(&s, true, 20_000_000 + k)))).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let open = OpenLoop {
        rate_per_s: rate,
        seconds: secs,
        // Role, pieces, finish, usage and [DONE] chunks, a pause between each two.
        stream_ms: (PACE * (CHUNKS as u32 + 3)).as_millis() as u64,
        peak_streams_open: peak.load(Ordering::Relaxed),
        cpu_us_per_request_bare: bare_cpu.cpu_per_request(),
        cpu_us_per_request_layer: layer_cpu.cpu_per_request(),
        cpu_us_added_per_request: layer_cpu.cpu_per_request() as i64 - bare_cpu.cpu_per_request() as i64,
        cpu_errors: bare_cpu.bare.1 + layer_cpu.layer.1,
        latency: Compare::new(Latency::of(mixed.bare.0, mixed.bare.1), Latency::of(mixed.layer.0, mixed.layer.1)),
    };

    let t = Instant::now();
    let calls: Vec<_> = (0..burst_n as u64).map(|i| tokio::spawn(layer(&s, true, 50_000_000 + i))).collect();
    let mut ok = 0;
    for c in calls {
        if matches!(c.await, Ok(true)) {
            ok += 1;
        }
    }
    let burst = Burst {
        launched: burst_n,
        ok,
        errors: burst_n as usize - ok,
        peak_in_flight_at_server: s.paced.peak_open(),
        seconds: t.elapsed().as_secs_f64(),
    };

    let within = open.latency.added_p99_us <= 1000;
    let json = json!({
        "scenario": "gateway",
        "quick": opts.quick,
        "sequential": seq,
        "open_loop": open,
        "burst": burst,
        "verdict": {
            "added_p99_us_open_loop": open.latency.added_p99_us,
            "added_p99_within_1ms": within,
            "burst_all_ok": burst.errors == 0 && open.cpu_errors == 0,
        },
    });
    Ok((json, text(&seq, &open, &burst, within, opts.quick)))
}

fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

fn text(seq: &Compare, open: &OpenLoop, burst: &Burst, within: bool, quick: bool) -> String {
    let row = |name: &str, l: &Latency| {
        format!(
            "  {name:<6} n={:<6} errors={:<3} p50 {:>9}  p90 {:>9}  p99 {:>9}  max {:>9}\n",
            l.n,
            l.errors,
            ms(l.p50_us),
            ms(l.p90_us),
            ms(l.p99_us),
            ms(l.max_us)
        )
    };
    let mut out = String::new();
    if quick {
        out.push_str("(quick run: short and light; not a measurement to quote)\n\n");
    }
    out.push_str("Gateway overhead against a loopback fake server (OpenAI format, streamed, 20 pieces)\n\n");
    out.push_str("Concurrency 1:\n");
    out.push_str(&row("bare", &seq.bare));
    out.push_str(&row("layer", &seq.layer));
    out.push_str(&format!(
        "  added: mean {} us, p50 {} us, p99 {} us\n\n",
        seq.added_mean_us, seq.added_p50_us, seq.added_p99_us
    ));
    out.push_str(&format!(
        "Open loop, {} requests/s for {:.0} s, bare and layer interleaved, streams of ~{} ms, up to {} open at once:\n",
        open.rate_per_s, open.seconds, open.stream_ms, open.peak_streams_open
    ));
    out.push_str(&row("bare", &open.latency.bare));
    out.push_str(&row("layer", &open.latency.layer));
    out.push_str(&format!(
        "  added: mean {} us, p50 {} us, p99 {} us ({})\n  CPU per request (each path alone at the same rate): bare {} us, layer {} us, added {} us\n\n",
        open.latency.added_mean_us,
        open.latency.added_p50_us,
        open.latency.added_p99_us,
        if within { "within 1 ms" } else { "MORE than 1 ms" },
        open.cpu_us_per_request_bare,
        open.cpu_us_per_request_layer,
        open.cpu_us_added_per_request
    ));
    out.push_str(&format!(
        "Burst: {} calls launched at once: {} ok, {} errors, {} in flight at the server at peak, {:.1} s\n",
        burst.launched, burst.ok, burst.errors, burst.peak_in_flight_at_server, burst.seconds
    ));
    out
}
