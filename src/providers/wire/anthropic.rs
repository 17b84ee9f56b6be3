//! The Anthropic messages wire format: `x-api-key`, `anthropic-version: 2023-06-01`,
//! `max_tokens`; streamed as named SSE events (`message_start`, `content_block_*`,
//! `message_delta`, `message_stop`, `ping`, and `error` even after HTTP 200) or one JSON body.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::ProviderKind;
use crate::providers::transport::http::{self, Flow};
use crate::providers::transport::http_error;
use crate::providers::{BoxFuture, CallRequest, CallResponse, ErrorClass, Provider, ProviderError, Secret, Usage};

pub const API_VERSION: &str = "2023-06-01";

pub struct AnthropicProvider {
    name: String,
    url: String,
    model: String,
    stream: bool,
    timeout: Duration,
    max_tokens: Option<u32>,
}

impl AnthropicProvider {
    pub fn new(name: &str, base_url: &str, model: &str, stream: bool, timeout_s: u64, max_tokens: Option<u32>) -> Self {
        let base = base_url.trim_end_matches('/');
        // Accept a base URL given with or without the version segment.
        let url =
            if base.ends_with("/v1") { http::join_url(base, "messages") } else { http::join_url(base, "v1/messages") };
        AnthropicProvider {
            name: name.into(),
            url,
            model: model.into(),
            stream,
            timeout: Duration::from_secs(timeout_s),
            max_tokens,
        }
    }

    pub fn body(&self, req: &CallRequest) -> Value {
        let max = self.max_tokens.map_or(req.max_tokens, |m| m.min(req.max_tokens));
        let mut body = json!({
            "model": self.model,
            "max_tokens": max,
            "messages": [{"role": "user", "content": req.prompt}],
            "stream": self.stream,
        });
        if !req.system.is_empty() {
            body["system"] = json!(req.system);
        }
        body
    }

    async fn call_inner(&self, req: &CallRequest, key: Option<&Secret>) -> Result<CallResponse, ProviderError> {
        let client = http::client()?;
        let mut headers = vec![(
            reqwest::header::HeaderName::from_static("anthropic-version"),
            reqwest::header::HeaderValue::from_static(API_VERSION),
        )];
        if let Some(k) = key {
            headers.push(http::secret_header("x-api-key", k.expose())?);
        }
        let body = serde_json::to_vec(&self.body(req)).unwrap_or_default();
        let key_var = key.map(Secret::var);
        let resp = http::post_json(&client, &self.url, headers, body, key_var).await?;
        let rest = http::rest_hint(&resp);
        let mut answer = if self.stream {
            let mut acc = StreamAcc::default();
            http::each_event(resp, |ev| acc.event(ev.event.as_deref(), &ev.data, key_var)).await?;
            acc.finish(&self.model, req)?
        } else {
            let bytes = http::read_limited(resp, http::MAX_BODY, false).await?;
            parse_body(&bytes, &self.model)?
        };
        answer.rest_key_for = rest;
        Ok(answer)
    }
}

impl Provider for AnthropicProvider {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> ProviderKind {
        ProviderKind::Anthropic
    }
    fn model(&self) -> &str {
        &self.model
    }
    fn call<'a>(
        &'a self,
        req: &'a CallRequest,
        key: Option<&'a Secret>,
    ) -> BoxFuture<'a, Result<CallResponse, ProviderError>> {
        Box::pin(http::within(self.timeout, self.call_inner(req, key)))
    }
}

/// Anthropic's token counts. `input_tokens` excludes both cache reads and cache writes.
#[derive(Deserialize, Default, Clone, Copy)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
}

impl WireUsage {
    /// `message_delta` counts are cumulative: a field it carries replaces the earlier one.
    fn update(&mut self, later: WireUsage) {
        self.input_tokens = later.input_tokens.or(self.input_tokens);
        self.output_tokens = later.output_tokens.or(self.output_tokens);
        self.cache_creation_input_tokens = later.cache_creation_input_tokens.or(self.cache_creation_input_tokens);
        self.cache_read_input_tokens = later.cache_read_input_tokens.or(self.cache_read_input_tokens);
    }

    /// Cache writes are charged as input (their 25% premium is not in the price table).
    fn usage(&self) -> Usage {
        Usage {
            input: self.input_tokens.unwrap_or(0).saturating_add(self.cache_creation_input_tokens.unwrap_or(0)),
            output: self.output_tokens.unwrap_or(0),
            cached_input: self.cache_read_input_tokens.unwrap_or(0),
            estimated: false,
        }
    }
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    content: Vec<Block>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct Block {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

/// The model stopped at the request's `max_tokens`, or (newer models) at the context window.
fn cut_off(stop_reason: Option<&str>) -> bool {
    matches!(stop_reason, Some("max_tokens" | "model_context_window_exceeded"))
}

fn empty_answer() -> ProviderError {
    ProviderError::new(ErrorClass::BadResponse, "the provider answered with no text; it is tried again")
}

pub fn parse_body(bytes: &[u8], model: &str) -> Result<CallResponse, ProviderError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| http::malformed("an answer", &e))?;
    if v.get("type").and_then(Value::as_str) == Some("error") {
        return Err(http_error::from_stream_error(&v, None));
    }
    let body: Body = serde_json::from_value(v).map_err(|e| http::malformed("an answer", &e))?;
    let truncated = cut_off(body.stop_reason.as_deref());
    let text: String = body.content.into_iter().filter(|b| b.kind == "text").filter_map(|b| b.text).collect();
    // A cut-off answer is returned even when empty (the whole limit spent thinking): it
    // was paid for, and asking again with a larger limit is the cure.
    if text.trim().is_empty() && !truncated {
        return Err(empty_answer());
    }
    let usage = body.usage.ok_or_else(|| {
        ProviderError::new(
            ErrorClass::BadResponse,
            "the answer carries no usage, so it cannot be priced; it is tried again",
        )
    })?;
    Ok(CallResponse {
        text,
        usage: usage.usage(),
        model: body.model.filter(|m| !m.is_empty()).unwrap_or_else(|| model.into()),
        citations: Vec::new(),
        rest_key_for: None,
        truncated,
    })
}

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    message: Option<StartMessage>,
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct StartMessage {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    text: Option<String>,
    /// On `message_delta`: why the message ended.
    #[serde(default)]
    stop_reason: Option<String>,
}

/// The parts of a streamed message gathered so far.
#[derive(Default)]
pub struct StreamAcc {
    text: String,
    model: Option<String>,
    usage: WireUsage,
    /// `message_delta` said `stop_reason: "max_tokens"`.
    truncated: bool,
    started: bool,
    done: bool,
}

impl StreamAcc {
    /// One event: its SSE name (the payload's `type` says the same) and its data.
    pub fn event(&mut self, name: Option<&str>, data: &str, key_var: Option<&str>) -> Result<Flow, ProviderError> {
        if name == Some("ping") {
            return Ok(Flow::Continue);
        }
        if name == Some("error") {
            let v: Value = serde_json::from_str(data).map_err(|e| http::malformed("an error event", &e))?;
            return Err(http_error::from_stream_error(&v, key_var));
        }
        let ev: Event = serde_json::from_str(data).map_err(|e| http::malformed("a stream event", &e))?;
        match ev.kind.as_str() {
            "message_start" => {
                self.started = true;
                if let Some(m) = ev.message {
                    self.model = m.model.filter(|m| !m.is_empty());
                    if let Some(u) = m.usage {
                        self.usage.update(u);
                    }
                }
            }
            "content_block_delta" => {
                if let Some(d) = ev.delta
                    && d.kind.as_deref().is_none_or(|k| k == "text_delta")
                    && let Some(t) = d.text
                {
                    self.text.push_str(&t);
                }
            }
            "message_delta" => {
                if let Some(u) = ev.usage {
                    self.usage.update(u);
                }
                if let Some(d) = ev.delta {
                    self.truncated |= cut_off(d.stop_reason.as_deref());
                }
            }
            "message_stop" => {
                self.done = true;
                return Ok(Flow::Done);
            }
            "error" => {
                let v: Value = serde_json::from_str(data).map_err(|e| http::malformed("an error event", &e))?;
                return Err(http_error::from_stream_error(&v, key_var));
            }
            // content_block_start/stop, ping, and event types added later carry nothing we use.
            _ => {}
        }
        Ok(Flow::Continue)
    }

    /// The answer. A stream that carried no token counts is priced from an estimate (four
    /// characters a token), marked `estimated`, rather than as $0 and exact.
    pub fn finish(self, model: &str, req: &CallRequest) -> Result<CallResponse, ProviderError> {
        if !self.done || !self.started {
            return Err(ProviderError::new(
                ErrorClass::CutStream,
                "the stream ended before message_stop; it is tried again",
            ));
        }
        if self.text.trim().is_empty() && !self.truncated {
            return Err(empty_answer());
        }
        let usage = if self.usage.input_tokens.is_none() && self.usage.output_tokens.is_none() {
            Usage::estimate(req.system.len() + req.prompt.len(), self.text.len())
        } else {
            self.usage.usage()
        };
        Ok(CallResponse {
            text: self.text,
            usage,
            model: self.model.unwrap_or_else(|| model.into()),
            citations: Vec::new(),
            rest_key_for: None,
            truncated: self.truncated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(events: &[(&str, &str)]) -> Result<CallResponse, ProviderError> {
        let mut acc = StreamAcc::default();
        for (name, data) in events {
            if acc.event(Some(name), data, None)? == Flow::Done {
                break;
            }
        }
        acc.finish("claude-sonnet-4-5", &CallRequest::test("spec", "be brief", "hi"))
    }

    const START: &str = r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":10,"cache_read_input_tokens":100,"output_tokens":1}}}"#;

    #[test]
    fn the_request_body_and_url() {
        let p = AnthropicProvider::new("anthropic", "https://api.anthropic.com", "claude-sonnet-4-5", true, 60, None);
        assert_eq!(p.url, "https://api.anthropic.com/v1/messages");
        let b = p.body(&CallRequest::test("spec", "be brief", "hi"));
        assert_eq!(b["system"], "be brief");
        assert_eq!(b["max_tokens"], 4000);
        assert_eq!(b["messages"][0]["role"], "user");
        let p = AnthropicProvider::new("a", "http://127.0.0.1:1/v1/", "m", false, 60, None);
        assert_eq!(p.url, "http://127.0.0.1:1/v1/messages");
    }

    #[test]
    fn a_full_stream_with_cache_tokens() {
        let r = stream(&[
            ("message_start", START),
            ("content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
            ("ping", r#"{"type": "ping"}"#),
            ("content_block_delta", r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#),
            ("content_block_delta", r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!"}}"#),
            ("content_block_stop", r#"{"type":"content_block_stop","index":0}"#),
            ("message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"#),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ])
        .unwrap();
        assert_eq!(r.text, "Hello!");
        assert_eq!(r.model, "claude-sonnet-4-5-20250929");
        assert_eq!(r.usage, Usage { input: 35, output: 15, cached_input: 100, estimated: false });
    }

    #[test]
    fn message_delta_may_restate_input_counts() {
        let r = stream(&[
            ("message_start", START),
            ("content_block_delta", r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}"#),
            ("message_delta", r#"{"type":"message_delta","delta":{},"usage":{"input_tokens":30,"cache_creation_input_tokens":0,"cache_read_input_tokens":100,"output_tokens":9}}"#),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ])
        .unwrap();
        assert_eq!(r.usage, Usage { input: 30, output: 9, cached_input: 100, estimated: false });
    }

    #[test]
    fn a_stream_without_usage_is_estimated_and_marked_not_free() {
        let r = stream(&[
            ("message_start", r#"{"type":"message_start","message":{"model":"claude-sonnet-4-5"}}"#),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello there"}}"#,
            ),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ])
        .unwrap();
        assert!(r.usage.estimated, "a stream with no usage is not exact");
        // "be brief" + "hi" is 10 characters (3 tokens); "Hello there" 11 (3 tokens).
        assert_eq!((r.usage.input, r.usage.output), (3, 3));
    }

    #[test]
    fn an_error_event_after_http_200() {
        let e = stream(&[
            ("message_start", START),
            ("error", r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#),
        ])
        .unwrap_err();
        assert_eq!(e.class, ErrorClass::Overloaded);
        assert!(e.retryable());
    }

    #[test]
    fn thinking_is_not_the_answer_and_a_cut_stream_is_an_error() {
        let r = stream(&[
            ("message_start", START),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"yes"}}"#,
            ),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ])
        .unwrap();
        assert_eq!(r.text, "yes");
        let e = stream(&[("message_start", START)]).unwrap_err();
        assert_eq!(e.class, ErrorClass::CutStream);
        let e = stream(&[("message_start", "{\"type\":\"message_st")]).unwrap_err();
        assert_eq!(e.class, ErrorClass::BadResponse);
    }

    #[test]
    fn a_whole_body() {
        let body = br#"{"id":"m","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","usage":{"input_tokens":12,"output_tokens":3,"cache_read_input_tokens":4}}"#;
        let r = parse_body(body, "x").unwrap();
        assert_eq!(r.usage, Usage { input: 12, output: 3, cached_input: 4, estimated: false });
        let err = br#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#;
        assert_eq!(parse_body(err, "x").unwrap_err().class, ErrorClass::Auth);
    }

    #[test]
    fn stop_reason_max_tokens_marks_the_answer_truncated() {
        let r = stream(&[
            ("message_start", START),
            ("content_block_delta", r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Half"}}"#),
            ("message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":4000}}"#),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ])
        .unwrap();
        assert!(r.truncated);
        assert_eq!(r.usage.output, 4000, "a cut-off answer's usage is read: it was paid for");
        let body = |reason: &str, text: &str| {
            format!(
                r#"{{"content":[{{"type":"text","text":"{text}"}}],"stop_reason":"{reason}","usage":{{"input_tokens":3,"output_tokens":9}}}}"#
            )
        };
        assert!(!parse_body(body("end_turn", "x").as_bytes(), "m").unwrap().truncated);
        assert!(parse_body(body("max_tokens", "x").as_bytes(), "m").unwrap().truncated);
        assert!(parse_body(body("model_context_window_exceeded", "x").as_bytes(), "m").unwrap().truncated);
        // The whole limit spent thinking: no text, but cut off rather than empty.
        let r = parse_body(body("max_tokens", "").as_bytes(), "m").unwrap();
        assert!(r.truncated && r.text.is_empty() && r.usage.output == 9);
        assert_eq!(parse_body(body("end_turn", "").as_bytes(), "m").unwrap_err().class, ErrorClass::BadResponse);
    }
}
