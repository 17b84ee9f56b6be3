//! Turning what an HTTP provider sent back into a typed error: the status, the provider's
//! error object (OpenAI's and Anthropic's shapes, also inside a stream), HTML error pages,
//! quota and billing refusals, rate-limit headers, and transport failures.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::rate_headers::RateHints;
use crate::providers::{ErrorClass, ProviderError};

/// Characters of a provider's message kept in an error.
const EXCERPT: usize = 200;

/// Words in an error's type, code or message that mean the account has no money or quota
/// left: trying again will not help until a person acts.
const QUOTA_MARKERS: [&str; 6] =
    ["insufficient_quota", "billing", "quota", "credit balance", "payment required", "exceeded your current"];

/// The `(type or code, message)` of a provider's error body, or a description of what the
/// body was instead.
pub fn error_detail(body: &[u8]) -> (Option<String>, String) {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_start();
    if trimmed.starts_with('<') {
        return (None, "an HTML page instead of the API's JSON (a proxy or gateway error)".into());
    }
    if let Ok(v) = serde_json::from_str::<Value>(trimmed) {
        return json_detail(&v);
    }
    if trimmed.is_empty() { (None, "an empty body".into()) } else { (None, excerpt(trimmed)) }
}

/// The detail of an error object: `{"error": {"type", "code", "message"}}` (OpenAI, and
/// Anthropic with `"type": "error"` around it), `{"error": "text"}`, `{"message"}` or `{"detail"}`.
pub fn json_detail(v: &Value) -> (Option<String>, String) {
    let err = v.get("error").unwrap_or(v);
    if let Some(s) = err.as_str() {
        return (None, excerpt(s));
    }
    let code = ["code", "type"].iter().filter_map(|k| err.get(*k)).find_map(|c| match c {
        // The provider's code is quoted in a one-line message: its whitespace is collapsed too.
        Value::String(s) if !s.is_empty() && s != "error" => Some(excerpt(s)),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    let message = ["message", "detail"]
        .iter()
        .find_map(|k| err.get(*k).or_else(|| v.get(*k)))
        .map(|m| match m {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .unwrap_or_else(|| "no message".into());
    (code, excerpt(&message))
}

fn excerpt(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= EXCERPT {
        one_line
    } else {
        format!("{}...", one_line.chars().take(EXCERPT).collect::<String>())
    }
}

fn is_quota(code: Option<&str>, message: &str) -> bool {
    let code = code.unwrap_or("").to_lowercase();
    let message = message.to_lowercase();
    QUOTA_MARKERS.iter().any(|m| code.contains(m) || message.contains(m))
}

/// A non-success HTTP response. `key_var` names the environment variable of the key used,
/// so that the message can say which key to check (never its value).
pub fn from_status(status: StatusCode, headers: &HeaderMap, body: &[u8], key_var: Option<&str>) -> ProviderError {
    let (code, message) = error_detail(body);
    let detail = match &code {
        Some(c) => format!("{c}: {message}"),
        None => message.clone(),
    };
    let key = key_var.map(|k| format!("the key in {k}")).unwrap_or_else(|| "the API key".into());
    let s = status.as_u16();
    let hints = RateHints::parse(headers);
    let (class, text) = match s {
        401 => (ErrorClass::Auth, format!("{key} was refused ({detail}); check it or set another")),
        402 => (
            ErrorClass::Quota,
            format!("the account behind {key} has no credit left ({detail}); add credit or use another key"),
        ),
        403 if is_quota(code.as_deref(), &message) => (
            ErrorClass::Quota,
            format!("the account behind {key} is out of quota ({detail}); add credit or use another key"),
        ),
        403 => (
            ErrorClass::Auth,
            format!(
                "{key} may not use this model or endpoint ({detail}); check the account's permissions and the `model` in the config"
            ),
        ),
        404 => (
            ErrorClass::NotFound,
            format!("the model or endpoint was not found ({detail}); check `model` and `base_url` in the config"),
        ),
        408 => (ErrorClass::Timeout, format!("the provider timed out the request ({detail}); it is tried again")),
        409 => (ErrorClass::Server, format!("the provider reported a conflict ({detail}); it is tried again")),
        429 if is_quota(code.as_deref(), &message) => (
            ErrorClass::Quota,
            format!("the account behind {key} is out of quota ({detail}); add credit or use another key"),
        ),
        429 => {
            (ErrorClass::RateLimited, format!("rate limited ({detail}); the key rests, then the call is tried again"))
        }
        529 | 503 => {
            (ErrorClass::Overloaded, format!("the provider is overloaded ({detail}); it is tried again later"))
        }
        500..=599 => (ErrorClass::Server, format!("the provider failed ({detail}); it is tried again")),
        400 | 413 | 422 if is_quota(code.as_deref(), &message) => (
            ErrorClass::Quota,
            format!("the account behind {key} is out of quota or credit ({detail}); add credit or use another key"),
        ),
        413 => (
            ErrorClass::BadRequest,
            format!(
                "the request is too large for the provider ({detail}); shorten the prompt or use a model with a larger context"
            ),
        ),
        _ => (
            ErrorClass::BadRequest,
            format!("the provider refused the request ({detail}); check the model and limits in the config"),
        ),
    };
    let limited = matches!(class, ErrorClass::RateLimited | ErrorClass::Overloaded);
    ProviderError { class, message: text, status: Some(s), retry_after: hints.wait(limited) }
}

/// An error reported inside a stream that began with HTTP 200 (OpenAI's `error` object,
/// Anthropic's `error` event).
pub fn from_stream_error(v: &Value, key_var: Option<&str>) -> ProviderError {
    let (code, message) = json_detail(v);
    let c = code.as_deref().unwrap_or("");
    let status = match c {
        "overloaded_error" => 529,
        "rate_limit_error" | "rate_limit_exceeded" | "requests" | "tokens" => 429,
        "authentication_error" | "invalid_api_key" => 401,
        "permission_error" => 403,
        "not_found_error" | "model_not_found" => 404,
        "invalid_request_error" => 400,
        "request_too_large" => 413,
        _ if is_quota(code.as_deref(), &message) => 429,
        _ => 500,
    };
    let body = serde_json::json!({"error": {"type": c, "message": message}}).to_string();
    let mut e = from_status(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &HeaderMap::new(),
        body.as_bytes(),
        key_var,
    );
    e.status = None;
    e.message = format!("the stream reported an error after starting: {}", e.message);
    e
}

/// A request that failed before or while its body arrived.
pub fn from_transport(e: &reqwest::Error, streaming_started: bool) -> ProviderError {
    let cause = root_cause(e);
    if e.is_timeout() {
        return ProviderError::new(ErrorClass::Timeout, format!("no answer in time ({cause}); it is tried again"));
    }
    if e.is_connect() {
        return ProviderError::new(
            ErrorClass::Network,
            format!("cannot connect ({cause}); check `base_url` and the network, it is tried again"),
        );
    }
    if streaming_started || e.is_body() || e.is_decode() {
        return ProviderError::new(
            ErrorClass::CutStream,
            format!("the answer was cut off while arriving ({cause}); it is tried again"),
        );
    }
    ProviderError::new(ErrorClass::Network, format!("the request failed ({cause}); it is tried again"))
}

/// The innermost cause of an error: reqwest's own text is only "error sending request".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &(dyn std::error::Error + 'static) = e;
    let mut text = cur.to_string();
    while let Some(next) = cur.source() {
        cur = next;
        text = cur.to_string();
    }
    excerpt(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `anthropic` fuzz target: an error object whose `type` held a line break
    /// made the message two lines.
    #[test]
    fn an_error_code_with_a_line_break_stays_one_line() {
        let v: Value =
            serde_json::from_str(r#"{"type":"error","error":{"type":"ove\nrloaded","message":"m"}}"#).unwrap();
        let e = from_stream_error(&v, None);
        assert!(!e.message.contains('\n'), "{:?}", e.message);
        assert!(e.message.contains("ove rloaded: m"), "{:?}", e.message);
    }

    fn err(status: u16, body: &str) -> ProviderError {
        from_status(StatusCode::from_u16(status).unwrap(), &HeaderMap::new(), body.as_bytes(), Some("OPENAI_API_KEY"))
    }

    #[test]
    fn statuses_are_typed_as_the_issue_says() {
        for s in [408, 409, 429, 500, 502, 503, 504, 529] {
            assert!(err(s, "{}").retryable(), "{s} is retryable");
        }
        for s in [400, 401, 403, 404, 413, 422] {
            assert!(!err(s, "{}").retryable(), "{s} is not retryable");
        }
        assert_eq!(err(529, "").class, ErrorClass::Overloaded);
        assert_eq!(err(401, "").class, ErrorClass::Auth);
    }

    #[test]
    fn quota_and_billing_429s_are_not_retryable() {
        let openai = r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        let e = err(429, openai);
        assert_eq!(e.class, ErrorClass::Quota);
        assert!(!e.retryable());
        assert!(e.message.contains("OPENAI_API_KEY") && e.message.contains("add credit"), "{}", e.message);
        let anthropic = r#"{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}}"#;
        assert_eq!(err(400, anthropic).class, ErrorClass::Quota);
        let plain = r#"{"error":{"message":"Rate limit reached for gpt-4o-mini","type":"requests","code":"rate_limit_exceeded"}}"#;
        assert_eq!(err(429, plain).class, ErrorClass::RateLimited);
    }

    #[test]
    fn bodies_become_short_messages() {
        let e = err(502, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>");
        assert!(e.message.contains("HTML page"), "{}", e.message);
        assert!(!e.message.contains("nginx"));
        let e = err(500, &"x".repeat(5000));
        assert!(e.message.len() < 400, "{}", e.message.len());
        let e = err(404, r#"{"type":"error","error":{"type":"not_found_error","message":"model: claude-x"}}"#);
        assert!(e.message.contains("not_found_error: model: claude-x"), "{}", e.message);
        assert!(e.message.contains("check `model`"));
        assert_eq!(error_detail(b"").1, "an empty body");
        assert_eq!(error_detail(br#"{"detail":"Bad key"}"#).1, "Bad key");
    }

    #[test]
    fn retry_after_comes_from_the_headers_of_a_429() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "3".parse().unwrap());
        let e = from_status(StatusCode::TOO_MANY_REQUESTS, &h, b"{}", None);
        assert_eq!(e.retry_after, Some(std::time::Duration::from_secs(3)));
        let e = from_status(StatusCode::from_u16(529).unwrap(), &h, b"{}", None);
        assert_eq!(e.retry_after, Some(std::time::Duration::from_secs(3)));
    }

    #[test]
    fn stream_errors() {
        let v: Value =
            serde_json::from_str(r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)
                .unwrap();
        let e = from_stream_error(&v, None);
        assert_eq!(e.class, ErrorClass::Overloaded);
        assert!(e.retryable());
        assert!(e.message.contains("after starting") && e.message.contains("Overloaded"), "{}", e.message);
        let v: Value = serde_json::from_str(r#"{"error":{"message":"quota","type":"insufficient_quota"}}"#).unwrap();
        assert!(!from_stream_error(&v, None).retryable());
        let v: Value = serde_json::from_str(r#"{"error":{"message":"boom","type":"server_error"}}"#).unwrap();
        assert_eq!(from_stream_error(&v, None).class, ErrorClass::Server);
    }
}
