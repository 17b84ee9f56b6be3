//! A fake provider server on 127.0.0.1 (axum, a random port, TCP_NODELAY) speaking the
//! OpenAI, Perplexity and Anthropic formats, streamed or not, that injects faults on plan
//! and keeps a ledger of the usage it reported. Used by the tests and `factory bench gateway`.

mod answers;
mod anthropic_wire;
mod faults;
mod openai_wire;
pub mod webhook;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use serde_json::{Value, json};

pub use answers::run_of;
pub use faults::{Fault, FaultPlan};

use crate::providers::Usage;

/// The three shapes the server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    OpenAi,
    Perplexity,
    Anthropic,
}

/// How the server answers.
#[derive(Clone, Debug)]
pub struct FakeOptions {
    pub faults: FaultPlan,
    /// Pieces a streamed answer is split into.
    pub chunks: usize,
    /// Pause between streamed pieces.
    pub chunk_delay: Duration,
    /// Words of a free-form answer (a prompt that asks for sections or files gets those).
    pub words: usize,
    /// Keep a ledger entry per answer (tests); off for long benchmarks.
    pub ledger: bool,
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions { faults: FaultPlan::none(), chunks: 8, chunk_delay: Duration::ZERO, words: 120, ledger: true }
    }
}

/// Token counts of one answer as the server reports them on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// All prompt tokens, cached ones included.
    pub prompt: u64,
    /// Prompt tokens served from the (pretend) prompt cache.
    pub cached: u64,
    pub completion: u64,
    /// Perplexity's tokens of cited sources.
    pub citation: u64,
}

impl Counts {
    /// Anthropic: prompt tokens written to the cache.
    pub fn cache_write(&self) -> u64 {
        self.prompt / 10
    }
}

/// One answer the server completed, with its usage as the provider bills it: OpenAI's
/// cached tokens at the cached price, Perplexity's citation tokens at the input price,
/// Anthropic's cache writes at the input price and cache reads at the cached price.
#[derive(Clone, Debug, PartialEq)]
pub struct Reported {
    pub request: u64,
    pub format: Format,
    pub model: String,
    pub run: Option<String>,
    pub billed: Usage,
    /// The answer stopped at the token limit ([`Fault::TokenLimit`]); billed all the same.
    pub truncated: bool,
    /// The answer's token limit the request asked for, if it named one.
    pub max_tokens: Option<u64>,
    /// The connection was cut mid-answer ([`Fault::CutStream`]): billed all the same, for
    /// the input and the output streamed before the cut, as a provider bills an accepted call.
    pub cut: bool,
}

struct Shared {
    opts: Mutex<FakeOptions>,
    requests: AtomicU64,
    /// Answers being sent now, and the most at once.
    open: AtomicU64,
    peak_open: AtomicU64,
    ledger: Mutex<Vec<Reported>>,
    keys: Mutex<HashMap<String, u64>>,
}

/// A running fake server; stopped when dropped.
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeServer {
    /// Starts the server on 127.0.0.1 at a random port, on the current tokio runtime.
    pub async fn start(opts: FakeOptions) -> std::io::Result<FakeServer> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let listener = socket.listen(4096)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            opts: Mutex::new(opts),
            requests: AtomicU64::new(0),
            open: AtomicU64::new(0),
            peak_open: AtomicU64::new(0),
            ledger: Mutex::new(Vec::new()),
            keys: Mutex::new(HashMap::new()),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(openai))
            .route("/perplexity/chat/completions", post(perplexity))
            .route("/v1/messages", post(anthropic))
            .route("/v1/models", get(models))
            .with_state(Arc::clone(&shared));
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeServer { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `base_url` for an OpenAI-compatible provider.
    pub fn openai_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// `base_url` for the Perplexity shape.
    pub fn perplexity_url(&self) -> String {
        format!("http://{}/perplexity", self.addr)
    }

    /// `base_url` for the Anthropic shape.
    pub fn anthropic_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests received so far.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// The most requests handled at once (from arrival to the last byte of the answer).
    pub fn peak_open(&self) -> u64 {
        self.shared.peak_open.load(Ordering::Relaxed)
    }

    /// Every answer completed so far.
    pub fn ledger(&self) -> Vec<Reported> {
        self.shared.ledger.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// How many requests each key (by value) made.
    pub fn keys_seen(&self) -> HashMap<String, u64> {
        self.shared.keys.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the fault plan (request numbering continues).
    pub fn set_faults(&self, plan: FaultPlan) {
        self.shared.opts.lock().unwrap_or_else(|e| e.into_inner()).faults = plan;
    }
}

async fn openai(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    handle(s, Format::OpenAi, &headers, &body).await
}

async fn perplexity(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    handle(s, Format::Perplexity, &headers, &body).await
}

async fn anthropic(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    handle(s, Format::Anthropic, &headers, &body).await
}

/// The models endpoint (OpenAI and Anthropic shapes alike), for `factory doctor`.
async fn models(headers: HeaderMap) -> Response {
    if key_of(&headers).is_none() {
        return json_response(
            StatusCode::UNAUTHORIZED,
            &openai_wire::error("invalid_request_error", "invalid_api_key", "No API key provided."),
        );
    }
    json_response(
        StatusCode::OK,
        &json!({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}, {"id": "claude-sonnet-4-5", "type": "model"}]}),
    )
}

fn key_of(headers: &HeaderMap) -> Option<String> {
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    get("x-api-key")
        .or_else(|| get("authorization").and_then(|a| a.strip_prefix("Bearer ")))
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(String::from)
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

fn error_response(format: Format, status: u16, kind: &str, code: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match format {
        Format::Anthropic => json_response(status, &anthropic_wire::error(kind, message)),
        _ => json_response(status, &openai_wire::error(kind, code, message)),
    }
}

/// What a request asked for.
struct Asked {
    model: String,
    prompt: String,
    stream: bool,
    /// `max_tokens` (`max_completion_tokens` in api.openai.com's shape), if given.
    max_tokens: Option<u64>,
}

fn parse_request(format: Format, body: &[u8]) -> Result<Asked, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let model = v["model"].as_str().ok_or("model is required")?.to_string();
    let mut prompt = String::new();
    if let Some(s) = v["system"].as_str() {
        prompt.push_str(s);
    }
    for m in v["messages"].as_array().ok_or("messages is required")? {
        prompt.push_str(m["content"].as_str().unwrap_or_default());
    }
    let max_tokens = v["max_tokens"].as_u64().or_else(|| v["max_completion_tokens"].as_u64());
    if format == Format::Anthropic && v["max_tokens"].as_u64().is_none() {
        return Err("max_tokens: Field required".into());
    }
    Ok(Asked { model, prompt, stream: v["stream"].as_bool().unwrap_or(false), max_tokens })
}

/// Counts a request as open until its answer is sent (or dropped).
struct Open(Arc<Shared>);

impl Open {
    fn new(s: &Arc<Shared>) -> Open {
        let now = s.open.fetch_add(1, Ordering::Relaxed) + 1;
        s.peak_open.fetch_max(now, Ordering::Relaxed);
        Open(Arc::clone(s))
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn handle(s: Arc<Shared>, format: Format, headers: &HeaderMap, body: &[u8]) -> Response {
    let open = Open::new(&s);
    answer(s, format, headers, body, open).await
}

async fn answer(s: Arc<Shared>, format: Format, headers: &HeaderMap, body: &[u8], open: Open) -> Response {
    let n = s.requests.fetch_add(1, Ordering::Relaxed) + 1;
    let opts = s.opts.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let Some(key) = key_of(headers) else {
        return error_response(format, 401, "authentication_error", "invalid_api_key", "No API key provided.");
    };
    if format == Format::Anthropic
        && headers.get("anthropic-version").and_then(|v| v.to_str().ok())
            != Some(crate::providers::wire::anthropic::API_VERSION)
    {
        return error_response(format, 400, "invalid_request_error", "", "anthropic-version: header is required");
    }
    *s.keys.lock().unwrap_or_else(|e| e.into_inner()).entry(key.clone()).or_default() += 1;
    let asked = match parse_request(format, body) {
        Ok(a) => a,
        Err(e) => return error_response(format, 400, "invalid_request_error", "invalid_request_error", &e),
    };
    let fault = opts.faults.for_request(n);
    if let Some(r) = fault_response(format, fault.as_ref(), &key) {
        return r;
    }
    if let Some(Fault::SlowFirstByte(d)) = fault {
        tokio::time::sleep(d).await;
    }
    let cut_off = fault.as_ref().is_some_and(|f| f.cuts_off(asked.max_tokens));
    let mut text = answers::answer(&asked.prompt, opts.words);
    if cut_off {
        text = cut_at_token_limit(&text, asked.max_tokens);
    }
    let prompt_tokens = (asked.prompt.len() as u64).div_ceil(4);
    let counts = Counts {
        prompt: prompt_tokens,
        cached: if format == Format::Perplexity { 0 } else { prompt_tokens / 4 },
        completion: (text.len() as u64).div_ceil(4),
        citation: if format == Format::Perplexity { 17 } else { 0 },
    };
    // A dated model name, as providers report it; prices match it to its base name.
    let model = format!("{}-2025-01-01", asked.model);
    let reported = opts.ledger.then(|| Reported {
        request: n,
        format,
        model: model.clone(),
        run: answers::run_of(&asked.prompt),
        billed: billed(format, &counts),
        truncated: cut_off,
        max_tokens: asked.max_tokens,
        cut: false,
    });
    // What a cut answer is billed: the input, and the output of the `sent` characters of
    // text that went out before the cut.
    let cut_entry = {
        let (reported, s) = (reported.clone(), s.clone());
        move |sent: usize| {
            if let Some(mut r) = reported {
                r.billed = billed(format, &Counts { completion: (sent as u64).div_ceil(4), ..counts });
                r.cut = true;
                s.ledger.lock().unwrap_or_else(|e| e.into_inner()).push(r);
            }
        }
    };
    let ledger_entry = move || {
        if let Some(r) = reported {
            s.ledger.lock().unwrap_or_else(|e| e.into_inner()).push(r);
        }
    };
    let cut = fault == Some(Fault::CutStream);
    let malformed = fault == Some(Fault::MalformedJson);
    let stream_error = fault == Some(Fault::ErrorInStream);
    if !asked.stream {
        let whole = match format {
            Format::Anthropic => anthropic_wire::body(&model, &text, &counts, cut_off),
            _ => openai_wire::body(&model, &text, &counts, format == Format::Perplexity, cut_off),
        };
        if stream_error {
            return error_response(format, 500, "api_error", "server_error", "Internal server error");
        }
        if malformed {
            return (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], whole.slice(..whole.len() / 2))
                .into_response();
        }
        if cut {
            // The whole answer was written before half of it was sent.
            cut_entry(text.len());
            let half = whole.slice(..whole.len() / 2);
            return streamed(vec![half], Duration::ZERO, Some(1), "application/json", || {});
        }
        ledger_entry();
        return (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], whole).into_response();
    }
    let pieces = split(&text, opts.chunks.max(1));
    let mut frames = match format {
        Format::Anthropic => anthropic_wire::frames(&model, &pieces, &counts, cut_off),
        _ => openai_wire::frames(&model, &pieces, &counts, format == Format::Perplexity, cut_off),
    };
    let half = frames.len() / 2;
    if malformed {
        frames.insert(half, Bytes::from_static(b"data: {\"choices\": [{\"delta\": {\"content\": \"broken\n\n"));
    }
    if stream_error {
        frames.truncate(half);
        frames.push(if format == Format::Anthropic {
            anthropic_wire::stream_error()
        } else {
            openai_wire::stream_error()
        });
        return streamed(frames, opts.chunk_delay, None, "text/event-stream", || {});
    }
    if cut {
        // Billed what went out before the cut: the frames ahead of the text pieces (three
        // Anthropic events, one OpenAI chunk), then the pieces sent.
        let lead = if format == Format::Anthropic { 3 } else { 1 };
        cut_entry(pieces.iter().take(half.saturating_sub(lead)).map(String::len).sum());
    }
    if cut || malformed {
        // Nothing after the cut or the broken chunk is streamed: the answer never completes.
        return streamed(frames, opts.chunk_delay, cut.then_some(half), "text/event-stream", || {});
    }
    streamed(frames, opts.chunk_delay, None, "text/event-stream", move || {
        ledger_entry();
        drop(open);
    })
}

/// The usage as the provider bills it (see [`Reported`]).
fn billed(format: Format, c: &Counts) -> Usage {
    match format {
        Format::OpenAi => {
            Usage { input: c.prompt - c.cached, cached_input: c.cached, output: c.completion, estimated: false }
        }
        Format::Perplexity => {
            Usage { input: c.prompt + c.citation, cached_input: 0, output: c.completion, estimated: false }
        }
        Format::Anthropic => Usage {
            input: (c.prompt - c.cached - c.cache_write()) + c.cache_write(),
            cached_input: c.cached,
            output: c.completion,
            estimated: false,
        },
    }
}

fn fault_response(format: Format, fault: Option<&Fault>, key: &str) -> Option<Response> {
    let r = match fault? {
        Fault::RateLimited { retry_after } => {
            let ms = retry_after.as_millis() as u64;
            let mut r = error_response(format, 429, "rate_limit_error", "rate_limit_exceeded", "Rate limit reached for requests");
            let h = r.headers_mut();
            match format {
                Format::Anthropic => {
                    let at = time::OffsetDateTime::now_utc() + *retry_after;
                    let at = at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
                    h.insert("anthropic-ratelimit-requests-remaining", HeaderValue::from_static("0"));
                    h.insert("anthropic-ratelimit-requests-reset", HeaderValue::from_str(&at).ok()?);
                }
                _ => {
                    h.insert("retry-after-ms", HeaderValue::from(ms));
                    h.insert("x-ratelimit-remaining-requests", HeaderValue::from_static("0"));
                    h.insert("x-ratelimit-reset-requests", HeaderValue::from_str(&format!("{ms}ms")).ok()?);
                }
            }
            r
        }
        Fault::Quota => match format {
            Format::Anthropic => error_response(format, 400, "invalid_request_error", "", "Your credit balance is too low to access the Anthropic API."),
            _ => error_response(format, 429, "insufficient_quota", "insufficient_quota", "You exceeded your current quota, please check your plan and billing details."),
        },
        Fault::Overloaded => error_response(format, 529, "overloaded_error", "overloaded", "Overloaded"),
        Fault::ServerError => error_response(format, 500, "api_error", "server_error", "Internal server error"),
        Fault::Unauthorized => error_response(format, 401, "authentication_error", "invalid_api_key", "invalid x-api-key"),
        Fault::EchoKey => error_response(format, 401, "authentication_error", "invalid_api_key", &format!("Incorrect API key provided: {key}.")),
        Fault::HtmlPage => (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
        )
            .into_response(),
        Fault::SlowFirstByte(_)
        | Fault::CutStream
        | Fault::MalformedJson
        | Fault::ErrorInStream
        | Fault::TokenLimit
        | Fault::TokenLimitBelow(_) => return None,
    };
    Some(r)
}

/// What a model stopped at its token limit would have written: the first half of the
/// answer, and no more than `max_tokens` at four characters a token (at least one).
fn cut_at_token_limit(text: &str, max_tokens: Option<u64>) -> String {
    let chars = text.chars().count();
    let limit = max_tokens.map_or(usize::MAX, |m| usize::try_from(m.saturating_mul(4)).unwrap_or(usize::MAX));
    text.chars().take((chars / 2).min(limit).max(1)).collect()
}

/// Splits text into about `n` pieces on character boundaries.
fn split(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let size = chars.len().div_ceil(n).max(1);
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

/// A body sent frame by frame, `delay` apart; with `cut_after`, the connection breaks
/// after that many frames. `done` runs once the last frame has been handed over.
fn streamed(
    frames: Vec<Bytes>,
    delay: Duration,
    cut_after: Option<usize>,
    content_type: &'static str,
    done: impl FnOnce() + Send + 'static,
) -> Response {
    let total = frames.len();
    let state = (frames.into_iter(), 0usize, Some(done));
    let stream = futures_util::stream::unfold(state, move |(mut it, i, mut done)| async move {
        if cut_after == Some(i) {
            // Let what was sent reach the client first, so that the cut is halfway.
            tokio::time::sleep(Duration::from_millis(20)).await;
            return Some((Err(std::io::Error::other("connection cut by the fake server")), (it, usize::MAX, done)));
        }
        if i == usize::MAX {
            return None;
        }
        let frame = it.next()?;
        if i > 0 && !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if i + 1 == total
            && let Some(f) = done.take()
        {
            f();
        }
        Some((Ok::<Bytes, std::io::Error>(frame), (it, i + 1, done)))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

#[cfg(test)]
mod tests;
