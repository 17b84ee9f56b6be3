//! The paired measurement at concurrency 1: each request goes through the bare client and
//! through the gateway one right after the other (which goes first alternates), on a client
//! thread and runtime of their own; each call is timed and clocked on that thread's CPU
//! clock, and the figures are percentiles of the per-pair differences.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use serde::Serialize;
use serde_json::json;

use super::server::ServerClocks;
use super::{MAX_TOKENS, SYSTEM, prompt};
use crate::bench::measure::{Latency, Spread, process_cpu_ns, thread_cpu_ns};
use crate::error::{FactoryError, Result};
use crate::providers::{CallRequest, Gateway, GatewayNote};

const BEARER: &str = "Bearer sk-bench-not-a-real-key";

/// What both paths ask, and of whom.
pub struct Paths {
    /// The `chat/completions` URL the bare client posts to (the gateway's provider has the
    /// same base URL).
    pub url: String,
    pub model: String,
    /// The gateway with its provider streaming, and with it asking for one JSON body.
    pub streamed: Arc<Gateway>,
    pub whole: Arc<Gateway>,
    /// The bench's own server's threads, whose CPU is not the clients' (none for a server
    /// in another process).
    pub server_clocks: Option<ServerClocks>,
}

/// One mode's pairs.
#[derive(Clone, Debug, Serialize)]
pub struct Paired {
    pub streamed: bool,
    /// Pairs in which both calls succeeded (the figures below are over these).
    pub pairs: usize,
    pub errors_bare: usize,
    pub errors_layer: usize,
    /// Wall time of each path's calls.
    pub bare: Latency,
    pub layer: Latency,
    /// Per pair: the gateway call's wall time minus the bare call's.
    pub added: Spread,
    /// CPU of the client thread per call (the bare client's, the gateway's) and per pair
    /// the difference: everything either path does on the thread that calls, the HTTP
    /// connection's task included.
    pub cpu_bare: Spread,
    pub cpu_layer: Spread,
    pub cpu_added_on_thread: Spread,
    /// CPU of the process's other threads per gateway call: the gateway's writer thread
    /// (cache entries and scores into sled) and sled's own; the bare client uses none. The
    /// bench's own server thread is not counted.
    pub cpu_off_thread_us_per_call: f64,
    /// The added CPU per call: the median on-thread difference plus the off-thread share.
    pub cpu_added_us_per_call: f64,
    /// How the answers arrived at the bare client: bytes and reads per answer.
    pub bytes_per_answer: u64,
    pub reads_per_answer: f64,
}

/// The bare path's request body: what the gateway's OpenAI provider sends for `text`.
pub(super) fn bare_body(model: &str, text: &str, streamed: bool) -> Bytes {
    let mut body = json!({
        "model": model,
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}],
        "stream": streamed,
        "max_tokens": MAX_TOKENS,
    });
    if streamed {
        body["stream_options"] = json!({"include_usage": true});
    }
    Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
}

/// The bare client: a POST of a ready body, the answer read to its end. Bytes and reads.
async fn bare(client: &reqwest::Client, url: &str, body: Bytes) -> Option<(u64, u64)> {
    let mut resp = client
        .post(url)
        .header(reqwest::header::AUTHORIZATION, BEARER)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .ok()?;
    if !resp.status().is_success() {
        return None;
    }
    let (mut bytes, mut reads) = (0u64, 0u64);
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                bytes += c.len() as u64;
                reads += 1;
            }
            Ok(None) => return Some((bytes, reads)),
            Err(_) => return None,
        }
    }
}

async fn layer(g: &Gateway, req: CallRequest) -> bool {
    let quiet = |_: GatewayNote| {};
    g.call(req, &quiet).await.is_ok_and(|a| !a.response.text.is_empty())
}

/// A call's wall time and client-thread CPU, in microseconds and nanoseconds.
struct Took {
    us: u64,
    cpu_ns: u64,
}

async fn timed<T>(f: impl Future<Output = T>) -> (T, Took) {
    let (t, c) = (Instant::now(), thread_cpu_ns());
    let out = f.await;
    let cpu_ns = thread_cpu_ns().saturating_sub(c);
    (out, Took { us: t.elapsed().as_micros() as u64, cpu_ns })
}

async fn measure(p: &Paths, client: &reqwest::Client, streamed: bool, warm: u64, n: u64, seed: u64) -> Paired {
    let g = if streamed { &p.streamed } else { &p.whole };
    let (mut bare_us, mut layer_us, mut added) = (Vec::new(), Vec::new(), Vec::new());
    let (mut cpu_bare, mut cpu_layer, mut cpu_added) = (Vec::new(), Vec::new(), Vec::new());
    let (mut errors_bare, mut errors_layer) = (0, 0);
    let (mut bytes, mut reads, mut answers) = (0u64, 0u64, 0u64);
    let (mut thread0, mut process0, mut server0) = (0, 0, 0);
    for i in 0..warm + n {
        // The caller's work, outside the clocks: the prompt, the bare body, the request.
        let text = prompt(seed + i);
        let mut body = Some(bare_body(&p.model, &text, streamed));
        let mut req = Some(CallRequest::new("build", SYSTEM, &text, MAX_TOKENS));
        if i == warm {
            (thread0, process0, server0) =
                (thread_cpu_ns(), process_cpu_ns(), p.server_clocks.as_ref().map_or(0, ServerClocks::ns));
        }
        let (mut b, mut l) = (None, None);
        for bare_turn in if i % 2 == 0 { [true, false] } else { [false, true] } {
            if bare_turn {
                b = Some(timed(bare(client, &p.url, body.take().unwrap_or_default())).await);
            } else if let Some(req) = req.take() {
                l = Some(timed(layer(g, req)).await);
            }
        }
        if i < warm {
            continue;
        }
        let (Some((b_ok, b)), Some((l_ok, l))) = (b, l) else { continue };
        errors_bare += usize::from(b_ok.is_none());
        errors_layer += usize::from(!l_ok);
        let Some((got, r)) = b_ok.filter(|_| l_ok) else { continue };
        (bytes, reads, answers) = (bytes + got, reads + r, answers + 1);
        bare_us.push(b.us);
        layer_us.push(l.us);
        added.push(l.us as i64 - b.us as i64);
        cpu_bare.push((b.cpu_ns / 1000) as i64);
        cpu_layer.push((l.cpu_ns / 1000) as i64);
        cpu_added.push((l.cpu_ns as i64 - b.cpu_ns as i64) / 1000);
    }
    let on_thread = thread_cpu_ns().saturating_sub(thread0);
    let server = p.server_clocks.as_ref().map_or(0, ServerClocks::ns).saturating_sub(server0);
    let off_thread = process_cpu_ns().saturating_sub(process0).saturating_sub(on_thread).saturating_sub(server);
    let off_per_call = off_thread as f64 / 1000.0 / (n.max(1) as f64);
    let cpu_added_on_thread = Spread::of(cpu_added);
    Paired {
        streamed,
        pairs: bare_us.len(),
        errors_bare,
        errors_layer,
        bare: Latency::of(bare_us, errors_bare),
        layer: Latency::of(layer_us, errors_layer),
        added: Spread::of(added),
        cpu_bare: Spread::of(cpu_bare),
        cpu_layer: Spread::of(cpu_layer),
        cpu_added_us_per_call: cpu_added_on_thread.p50_us as f64 + off_per_call,
        cpu_added_on_thread,
        cpu_off_thread_us_per_call: off_per_call,
        bytes_per_answer: bytes.checked_div(answers).unwrap_or(0),
        reads_per_answer: if answers == 0 { 0.0 } else { reads as f64 / answers as f64 },
    }
}

/// Runs `n` pairs streamed, then `n` asking for whole bodies (each after `warm` pairs not
/// counted), on a new thread with a current-thread runtime of its own.
pub async fn run(paths: Paths, warm: u64, n: u64) -> Result<(Paired, Paired)> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("bench-client".into())
        .spawn(move || {
            let result = (|| -> Result<(Paired, Paired)> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| FactoryError::internal(format!("cannot start the bench's client runtime: {e}")))?;
                // The gateway's provider uses the process's client; the bare path its own,
                // built alike (TCP_NODELAY), so that each keeps its own connection.
                crate::providers::transport::http::client().map_err(|e| FactoryError::internal(e.message))?;
                let client = reqwest::Client::builder()
                    .tcp_nodelay(true)
                    .build()
                    .map_err(|e| FactoryError::internal(format!("cannot set up the bare HTTP client: {e}")))?;
                Ok(rt.block_on(async {
                    let s = measure(&paths, &client, true, warm, n, 1_000_000).await;
                    let w = measure(&paths, &client, false, warm, n, 2_000_000).await;
                    (s, w)
                }))
            })();
            let _ = tx.send(result);
        })
        .map_err(|e| FactoryError::internal(format!("cannot start the bench's client thread: {e}")))?;
    rx.await.map_err(|_| FactoryError::internal("the bench's client thread stopped before it reported"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bare_client_sends_the_benchs_key() {
        assert_eq!(BEARER, format!("Bearer {}", super::super::KEY));
    }

    #[test]
    fn the_bare_body_is_the_providers_body() {
        let provider =
            crate::providers::wire::openai::OpenAiProvider::new("o", "http://127.0.0.1:9/v1", "m", true, 60, None);
        let req = CallRequest::new("build", SYSTEM, "hello", MAX_TOKENS);
        let ours: serde_json::Value = serde_json::from_slice(&bare_body("m", "hello", true)).unwrap();
        assert_eq!(ours, provider.body(&req));
        let provider =
            crate::providers::wire::openai::OpenAiProvider::new("o", "http://127.0.0.1:9/v1", "m", false, 60, None);
        let ours: serde_json::Value = serde_json::from_slice(&bare_body("m", "hello", false)).unwrap();
        assert_eq!(ours, provider.body(&req));
    }
}
