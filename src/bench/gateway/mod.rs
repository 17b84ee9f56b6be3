//! `factory bench gateway`: what the provider layer (router, pool, circuit, SSE and JSON
//! parsing, pricing, the response cache and scores in sled) adds over a bare reqwest call
//! to the same OpenAI-compatible server: paired at concurrency 1, streamed and not, in
//! time and CPU; then, against the bench's own paced server, pairs at a fixed rate with
//! about 1,000 streams open and a burst of 2,000 calls.

mod load;
mod paired;
mod server;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use serde_json::{Value, json};

use super::BenchOptions;
use crate::config::{Config, ProviderConfig, ProviderKind};
use crate::error::{FactoryError, Result};
use crate::providers::transport::http;
use crate::providers::{CallRequest, Gateway, GatewayNote, Trees};
use load::{Burst, OpenLoop};
use paired::Paired;
use server::ServerThread;

const KEY_VAR: &str = "BENCH_API_KEY";
const KEY: &str = "sk-bench-not-a-real-key";
/// The model asked for unless `--model` names another.
pub const DEFAULT_MODEL: &str = "gpt-4o-mini";
const SYSTEM: &str = "You are brief.";
const MAX_TOKENS: u32 = 400;
/// Pieces of each streamed answer of the bench's own server (plus role, finish, usage and
/// `[DONE]` chunks).
const CHUNKS: usize = 20;
/// Pause between chunks of the paced server: a stream lasts about `(CHUNKS + 3) x PACE`.
const PACE: Duration = Duration::from_millis(50);
/// The added CPU per call the gateway is built for.
const CPU_TARGET_US: f64 = 50.0;

/// One request's prompt: about 2 KB, different each time so that the cache never answers.
fn prompt(i: u64) -> String {
    let mut p = format!("Benchmark request {i}. Summarise the market for a startup in one paragraph.\n");
    while p.len() < 2000 {
        p.push_str("Context: customers, pricing, competitors, risks and trends of a small software market. ");
    }
    p
}

fn config(base_url: &str, model: &str, stream: bool) -> Config {
    let mut cfg = Config::default();
    cfg.providers.clear();
    cfg.providers.insert(
        "openai".into(),
        ProviderConfig {
            kind: Some(ProviderKind::Openai),
            base_url: Some(base_url.into()),
            keys: Some(vec![KEY_VAR.into()]),
            model: Some(model.into()),
            max_concurrent: Some(4096),
            max_concurrent_per_key: Some(4096),
            timeout_s: Some(60),
            stream: Some(stream),
            ..ProviderConfig::default()
        },
    );
    for chain in cfg.routing.chains.values_mut() {
        *chain = vec!["openai".into()];
    }
    cfg
}

/// `url` if it is an http(s) URL of this machine (a loopback address or `localhost`).
pub fn loopback_url(url: &str) -> Result<String> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| FactoryError::usage(format!("--server-url `{url}` is not a URL ({e})")))?;
    let host = parsed.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let local = host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !matches!(parsed.scheme(), "http" | "https") || !local {
        return Err(FactoryError::usage(format!(
            "--server-url `{url}` must be an http(s) address on this machine (127.0.0.1, ::1 or localhost), such as http://127.0.0.1:8000/v1"
        )));
    }
    Ok(url.to_string())
}

/// The gateways of the load parts, and the bare client, against the paced server.
struct Loaded {
    gateway: Arc<Gateway>,
    client: reqwest::Client,
    url: String,
    body: Bytes,
}

impl load::Paths for Loaded {
    fn bare(&self) -> std::pin::Pin<Box<dyn Future<Output = bool> + Send>> {
        let req = self
            .client
            .post(&self.url)
            .header("authorization", format!("Bearer {KEY}"))
            .header("content-type", "application/json")
            .body(self.body.clone());
        Box::pin(async move {
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
        })
    }

    fn layer(&self, k: u64) -> std::pin::Pin<Box<dyn Future<Output = bool> + Send>> {
        let g = Arc::clone(&self.gateway);
        Box::pin(async move {
            let req = CallRequest::new("build", SYSTEM, &prompt(k), MAX_TOKENS);
            let quiet = |_: GatewayNote| {};
            g.call(req, &quiet).await.is_ok_and(|a| !a.response.text.is_empty())
        })
    }
}

pub async fn run(opts: BenchOptions) -> Result<(Value, String)> {
    let external = opts.server_url.as_deref().map(loopback_url).transpose()?;
    let model = opts.model.clone().unwrap_or_else(|| DEFAULT_MODEL.into());
    // The bench's own servers run on a thread of their own, even when measuring another.
    let own = match &external {
        None => Some(ServerThread::start(CHUNKS, PACE)?),
        Some(_) => None,
    };
    let base = external.clone().or_else(|| own.as_ref().map(|s| s.fast().openai_url())).unwrap_or_default();
    // The cache and scores are written to a real (temporary) sled database, as in a run.
    let db = sled::Config::new().temporary(true).open()?;
    let trees = || -> Result<Trees> {
        Ok(Trees { cache: Some(db.open_tree("cache")?), quality: Some(db.open_tree("quality")?) })
    };
    let env = |name: &str| (name == KEY_VAR).then(|| KEY.to_string());
    let gateway = |base: &str, stream: bool| -> Result<Arc<Gateway>> {
        Ok(Arc::new(Gateway::from_config_with(&config(base, &model, stream), false, trees()?, &env)))
    };
    let (warm, pairs) = if opts.quick { (10, 100) } else { (100, 2000) };
    let paths = paired::Paths {
        url: http::join_url(&base, "chat/completions"),
        model: model.clone(),
        streamed: gateway(&base, true)?,
        whole: gateway(&base, false)?,
        server_clocks: own.as_ref().map(ServerThread::clocks),
    };
    let (streamed, whole) = paired::run(paths, warm, pairs).await?;

    // Load: only against the bench's own server, whose streams are paced.
    let (open, burst) = match &own {
        Some(server) => {
            let (secs, cpu_secs, rate, burst_n) = if opts.quick {
                (0.5, 0.5, opts.rate.min(100), opts.burst.min(100))
            } else {
                (10.0, 4.0, opts.rate, opts.burst)
            };
            let paced = server.paced().openai_url();
            let loaded = Loaded {
                gateway: gateway(&paced, true)?,
                client: http::client().map_err(|e| FactoryError::internal(e.message))?,
                url: http::join_url(&paced, "chat/completions"),
                body: paired::bare_body(&model, &prompt(0), true),
            };
            // Warm the connection pool to the paced server for both paths alike.
            let warm: Vec<_> = (0..rate.min(1200)).map(|_| tokio::spawn(load::Paths::bare(&loaded))).collect();
            for w in warm {
                let _ = w.await;
            }
            let stream_ms = (PACE * (CHUNKS as u32 + 3)).as_millis() as u64;
            let open = load::open(&loaded, server, rate, secs, cpu_secs, stream_ms).await;
            let burst = load::burst(&loaded, server, burst_n).await;
            (Some(open), Some(burst))
        }
        None => (None, None),
    };

    let cpu_within = streamed.cpu_added_us_per_call <= CPU_TARGET_US && whole.cpu_added_us_per_call <= CPU_TARGET_US;
    let server_json = json!({
        "url": base,
        "own": own.is_some(),
        "runs_on": if own.is_some() { "its own tokio runtime and two OS threads in this process" } else { "another process" },
    });
    let json = json!({
        "scenario": "gateway",
        "quick": opts.quick,
        "server": server_json,
        "model": model,
        "streamed": streamed,
        "non_streamed": whole,
        "open_loop": open,
        "burst": burst,
        "verdict": {
            "added_p50_us_streamed": streamed.added.p50_us,
            "added_p99_us_streamed": streamed.added.p99_us,
            "added_p50_us_non_streamed": whole.added.p50_us,
            "added_p99_us_non_streamed": whole.added.p99_us,
            "added_cpu_us_per_call_streamed": streamed.cpu_added_us_per_call,
            "added_cpu_us_per_call_non_streamed": whole.cpu_added_us_per_call,
            "added_cpu_within_50us": cpu_within,
            "added_p99_us_paired_under_load": open.as_ref().map(|o| o.added.p99_us),
            "added_p99_within_1ms_under_load": open.as_ref().map(|o| o.added.p99_us <= 1000),
            "burst_all_ok": burst.as_ref().zip(open.as_ref()).map(|(b, o)| b.errors == 0 && o.cpu_errors == 0),
        },
    });
    let text = text(&base, own.is_some(), &streamed, &whole, open.as_ref(), burst.as_ref(), opts.quick);
    Ok((json, text))
}

fn ms(us: u64) -> String {
    format!("{:.3} ms", us as f64 / 1000.0)
}

fn pairs_text(p: &Paired) -> String {
    let row = |name: &str, l: &crate::bench::measure::Latency| {
        format!(
            "  {name:<6} p50 {:>10}  p90 {:>10}  p99 {:>10}  max {:>10}\n",
            ms(l.p50_us),
            ms(l.p90_us),
            ms(l.p99_us),
            ms(l.max_us)
        )
    };
    let mut out = format!(
        "{} ({} pairs; errors: bare {}, gateway {}; {} bytes in {:.1} reads an answer):\n",
        if p.streamed { "Streamed" } else { "Not streamed (one JSON body)" },
        p.pairs,
        p.errors_bare,
        p.errors_layer,
        p.bytes_per_answer,
        p.reads_per_answer
    );
    out.push_str(&row("bare", &p.bare));
    out.push_str(&row("layer", &p.layer));
    out.push_str(&format!(
        "  added time per pair: p50 {} us, p90 {} us, p99 {} us (mean {:.0} us)\n",
        p.added.p50_us, p.added.p90_us, p.added.p99_us, p.added.mean_us
    ));
    out.push_str(&format!(
        "  CPU per call on the calling thread: bare p50 {} us, layer p50 {} us; added per pair p50 {} us (mean {:.0} us)\n",
        p.cpu_bare.p50_us, p.cpu_layer.p50_us, p.cpu_added_on_thread.p50_us, p.cpu_added_on_thread.mean_us
    ));
    out.push_str(&format!(
        "  CPU on other threads per gateway call (writer thread, sled): {:.1} us\n  added CPU per call: {:.1} us (target {CPU_TARGET_US:.0} us: {})\n\n",
        p.cpu_off_thread_us_per_call,
        p.cpu_added_us_per_call,
        if p.cpu_added_us_per_call <= CPU_TARGET_US { "met" } else { "NOT met" }
    ));
    out
}

fn text(
    base: &str,
    own: bool,
    streamed: &Paired,
    whole: &Paired,
    open: Option<&OpenLoop>,
    burst: Option<&Burst>,
    quick: bool,
) -> String {
    let mut out = String::from("gateway: what the provider layer adds over a bare reqwest call\n");
    if quick {
        out.push_str("(quick run: short and light; not a measurement to quote)\n");
    }
    out.push_str(&format!(
        "\nServer: {base} ({})\n\nPaired at concurrency 1: each request through the bare client and the gateway in turn (order alternating), on one client thread and runtime:\n\n",
        if own { "the bench's own fake server, OpenAI format, 20 pieces a stream, on its own runtime and threads" } else { "another process" }
    ));
    out.push_str(&pairs_text(streamed));
    out.push_str(&pairs_text(whole));
    match open {
        Some(o) => {
            let row = |name: &str, l: &crate::bench::measure::Latency| {
                format!(
                    "  {name:<6} n={:<6} errors={:<3} p50 {:>10}  p99 {:>10}\n",
                    l.n,
                    l.errors,
                    ms(l.p50_us),
                    ms(l.p99_us)
                )
            };
            out.push_str(&format!(
                "Under load: pairs launched together at {} requests/s for {:.0} s, streams of ~{} ms, up to {} open at once:\n",
                o.rate_per_s, o.seconds, o.stream_ms, o.peak_streams_open
            ));
            out.push_str(&row("bare", &o.bare));
            out.push_str(&row("layer", &o.layer));
            out.push_str(&format!(
                "  added per pair: p50 {} us, p99 {} us (two shared cores and the server's timers make this spread wide)\n  CPU per request, each path alone at this rate, the server's thread left out: bare {} us, layer {} us, added {} us\n\n",
                o.added.p50_us, o.added.p99_us, o.cpu_us_per_request_bare, o.cpu_us_per_request_layer, o.cpu_us_added_per_request
            ));
        }
        None => out.push_str(
            "Under load and burst: skipped (they need the bench's own paced server; --server-url was given)\n",
        ),
    }
    if let Some(b) = burst {
        out.push_str(&format!(
            "Burst: {} calls launched at once: {} ok, {} errors, {} in flight at the server at peak, {:.1} s\n",
            b.launched, b.ok, b.errors, b.peak_in_flight_at_server, b.seconds
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machines_servers_are_measured() {
        for ok in ["http://127.0.0.1:8000/v1", "http://localhost:4000", "https://[::1]:9/v1", "http://127.1.2.3/v1"] {
            assert_eq!(loopback_url(ok).unwrap(), ok);
        }
        for (bad, why) in [
            ("http://10.0.0.1:8000/v1", "on this machine"),
            ("https://api.openai.com/v1", "on this machine"),
            ("ftp://127.0.0.1/v1", "on this machine"),
            ("127.0.0.1:8000", "is not a URL"),
            ("file:///tmp/x", "http(s) address"),
            ("not a url", "is not a URL"),
        ] {
            let e = loopback_url(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
            assert!(e.message.contains(why), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn prompts_differ_and_weigh_about_2_kb() {
        assert_ne!(prompt(1), prompt(2));
        assert!((2000..2100).contains(&prompt(7).len()));
    }
}
