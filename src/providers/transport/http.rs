//! The HTTP side shared by the wire formats: one reqwest client (rustls with ring), sending
//! a JSON request, typing a failed response, reading a bounded body, and walking an SSE body.

use std::sync::OnceLock;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Client, Response};

use super::http_error;
use super::rate_headers::RateHints;
use super::sse::{SseEvent, SseParser};
use crate::providers::{ErrorClass, ProviderError};

/// Largest answer body read (non-streaming) or streamed.
pub const MAX_BODY: usize = 32 << 20;
/// Largest error body read for its message.
const MAX_ERROR_BODY: usize = 64 << 10;

/// A whole HTTP call (request, answer, stream) within `limit`; past it, a retryable timeout.
pub async fn within<T>(
    limit: Duration,
    call: impl Future<Output = Result<T, ProviderError>>,
) -> Result<T, ProviderError> {
    tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
        Err(ProviderError::new(
            ErrorClass::Timeout,
            format!("no complete answer within {} s (timeout_s); it is tried again", limit.as_secs()),
        ))
    })
}

/// The process's HTTP client: connection pools are per client, so every provider shares it.
pub fn client() -> Result<Client, ProviderError> {
    static CLIENT: OnceLock<Result<Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
            Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .tcp_nodelay(true)
                .pool_idle_timeout(Duration::from_secs(60))
                .user_agent(concat!("startup-factory/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| format!("cannot set up the HTTP client: {e}"))
        })
        .clone()
        .map_err(|e| ProviderError::new(ErrorClass::Network, e))
}

/// A header carrying a key, marked sensitive so that no debug output shows it.
pub fn secret_header(name: &'static str, value: &str) -> Result<(HeaderName, HeaderValue), ProviderError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        ProviderError::new(ErrorClass::Auth, "the API key holds characters a header cannot carry; check the variable")
    })?;
    v.set_sensitive(true);
    Ok((HeaderName::from_static(name), v))
}

/// Sends `body` as JSON and returns the response if its status is a success; otherwise the
/// typed error (with retry-after and the provider's message).
pub async fn post_json(
    client: &Client,
    url: &str,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Vec<u8>,
    key_var: Option<&str>,
) -> Result<Response, ProviderError> {
    let mut req = client.post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.map_err(|e| http_error::from_transport(&e, false))?;
    check(resp, key_var).await
}

/// The response itself if its status is a success, else its typed error.
pub async fn check(resp: Response, key_var: Option<&str>) -> Result<Response, ProviderError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let headers = resp.headers().clone();
    let body = read_limited(resp, MAX_ERROR_BODY, true).await.unwrap_or_default();
    Err(http_error::from_status(status, &headers, &body, key_var))
}

/// Reads a whole body, up to `limit` bytes (`truncate`: keep the start; else fail past it).
pub async fn read_limited(mut resp: Response, limit: usize, truncate: bool) -> Result<Vec<u8>, ProviderError> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| http_error::from_transport(&e, !out.is_empty()))? {
        if out.len() + chunk.len() > limit {
            if truncate {
                out.extend_from_slice(&chunk[..limit - out.len()]);
                return Ok(out);
            }
            return Err(ProviderError::new(
                ErrorClass::BadResponse,
                format!("the answer is larger than {} MiB; lower max_tokens", limit >> 20),
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// What a stream handler wants next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// The format's end marker arrived (`[DONE]`, `message_stop`).
    Done,
}

/// Feeds every event of an SSE body to `on_event` until it says `Done`. A body that ends
/// before the end marker is a cut stream. Each event's memory is reused for the next.
pub async fn each_event(
    mut resp: Response,
    mut on_event: impl FnMut(&SseEvent) -> Result<Flow, ProviderError>,
) -> Result<(), ProviderError> {
    let mut parser = SseParser::new();
    let mut events = Vec::with_capacity(8);
    let mut total = 0usize;
    loop {
        let chunk = resp.chunk().await.map_err(|e| http_error::from_transport(&e, true))?;
        let Some(chunk) = chunk else {
            return Err(ProviderError::new(
                ErrorClass::CutStream,
                if parser.has_partial() {
                    "the stream stopped in the middle of an event; it is tried again"
                } else {
                    "the stream ended before its end marker; it is tried again"
                },
            ));
        };
        total += chunk.len();
        if total > MAX_BODY {
            return Err(ProviderError::new(
                ErrorClass::BadResponse,
                format!("the streamed answer is larger than {} MiB; lower max_tokens", MAX_BODY >> 20),
            ));
        }
        parser
            .push(&chunk, &mut events)
            .map_err(|e| ProviderError::new(ErrorClass::BadResponse, format!("the stream is malformed ({})", e.0)))?;
        for ev in events.drain(..) {
            if on_event(&ev)? == Flow::Done {
                return Ok(());
            }
            parser.recycle(ev);
        }
    }
}

/// How long the key should rest after a successful answer whose headers say a limit is
/// used up.
pub fn rest_hint(resp: &Response) -> Option<Duration> {
    RateHints::parse(resp.headers()).exhausted_for.filter(|d| !d.is_zero())
}

/// A JSON document of the answer that does not parse.
pub fn malformed(what: &str, e: &serde_json::Error) -> ProviderError {
    ProviderError::new(
        ErrorClass::BadResponse,
        format!("the provider sent {what} that is not the expected JSON ({e}); it is tried again"),
    )
}

/// `base` with `path` appended, without doubling the slash.
pub fn join_url(base: &str, path: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_call_past_its_limit_is_a_retryable_timeout_and_one_within_it_passes_through() {
        let slow = within(Duration::from_millis(10), std::future::pending::<Result<(), ProviderError>>());
        let e = slow.await.unwrap_err();
        assert_eq!(e.class, ErrorClass::Timeout);
        assert!(e.message.contains("no complete answer within 0 s (timeout_s)"), "{}", e.message);
        assert!(e.retryable());
        assert_eq!(within(Duration::from_secs(5), async { Ok(7) }).await.unwrap(), 7);
    }

    #[test]
    fn joins_urls() {
        assert_eq!(
            join_url("https://api.openai.com/v1/", "/chat/completions"),
            "https://api.openai.com/v1/chat/completions"
        );
        assert_eq!(join_url("http://127.0.0.1:9/v1", "chat/completions"), "http://127.0.0.1:9/v1/chat/completions");
    }

    #[test]
    fn the_key_header_is_sensitive() {
        let (_, v) = secret_header("x-api-key", "sk-abc").unwrap();
        assert!(v.is_sensitive());
        assert!(!format!("{v:?}").contains("sk-abc"));
        assert!(secret_header("x-api-key", "bad\nkey").is_err());
    }

    #[test]
    fn the_client_builds() {
        assert!(client().is_ok());
    }
}
