//! One POST of an alert's document to the webhook, within `alerts.timeout_s`, with its
//! idempotency key in a header. No redirect is followed (it could carry the URL's token
//! elsewhere), and no error text holds the URL: only its redacted form.

use std::sync::OnceLock;
use std::time::Duration;

use reqwest::Client;

use super::courier::Attempt;
use crate::config::WebhookUrl;

/// Bytes of an error answer's body kept for the message.
const ERROR_BODY: usize = 300;

fn client() -> Result<Client, String> {
    static CLIENT: OnceLock<Result<Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
            Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .tcp_nodelay(true)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("startup-factory/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| format!("cannot set up the HTTP client for alerts: {}", e.without_url()))
        })
        .clone()
}

/// POSTs `body` to `url` with `Idempotency-Key: key`.
pub async fn post(url: &WebhookUrl, key: &str, body: &[u8], timeout: Duration) -> Attempt {
    let shown = url.redacted();
    let scrub = super::redact::scrubber(url.expose());
    let clean = |text: String| scrub.scrub(&crate::sanitize::line(&text));
    let client = match client() {
        Ok(c) => c,
        Err(e) => return Attempt::Retry { error: e, after: None },
    };
    let request = client
        .post(url.expose())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("Idempotency-Key", key)
        .timeout(timeout)
        .body(body.to_vec());
    let call = async {
        let resp = request.send().await?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let mut text = String::new();
        if !status.is_success() {
            let bytes = resp.bytes().await.unwrap_or_default();
            text = String::from_utf8_lossy(&bytes[..bytes.len().min(ERROR_BODY)]).trim().replace(['\n', '\r'], " ");
        }
        Ok::<_, reqwest::Error>((status, retry_after, text))
    };
    let Ok(outcome) = tokio::time::timeout(timeout, call).await else {
        return Attempt::Retry { error: timed_out(&shown, timeout), after: None };
    };
    match outcome {
        Ok((status, _, _)) if status.is_success() => Attempt::Delivered,
        Ok((status, after, text)) => {
            let body = if text.is_empty() { String::new() } else { format!(": {text}") };
            let error = clean(format!("{shown} answered HTTP {}{body}", status.as_u16()));
            let transient = status.is_server_error() || matches!(status.as_u16(), 408 | 425 | 429);
            if transient { Attempt::Retry { error, after } } else { Attempt::Refused { error } }
        }
        Err(e) if e.is_timeout() => Attempt::Retry { error: timed_out(&shown, timeout), after: None },
        Err(e) => Attempt::Retry { error: clean(format!("cannot reach {shown} ({})", cause(&e))), after: None },
    }
}

fn timed_out(shown: &str, timeout: Duration) -> String {
    format!("{shown} gave no answer within {} s (alerts.timeout_s)", timeout.as_secs_f64())
}

/// The innermost cause of a transport error (`connection refused`), without the URL.
fn cause(e: &reqwest::Error) -> String {
    let mut inner: &dyn std::error::Error = e;
    while let Some(next) = inner.source() {
        inner = next;
    }
    let text = inner.to_string();
    if text.contains("://") { "the connection failed".into() } else { text }
}
