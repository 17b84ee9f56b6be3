//! The OpenAI chat completions wire format (also Perplexity, Ollama, vLLM, llama.cpp server,
//! OpenRouter and any other compatible base URL): `Authorization: Bearer`, streaming SSE
//! `data:` chunks ending with `[DONE]` with `stream_options.include_usage`, or one JSON body.

use std::time::Duration;

use std::borrow::Cow;

use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::perplexity::{self, Extras, SearchResult};
use crate::config::ProviderKind;
use crate::providers::transport::http::{self, Flow};
use crate::providers::transport::http_error;
use crate::providers::{BoxFuture, CallRequest, CallResponse, ErrorClass, Provider, ProviderError, Secret, Usage};

pub struct OpenAiProvider {
    name: String,
    url: String,
    model: String,
    stream: bool,
    timeout: Duration,
    max_tokens: Option<u32>,
    /// api.openai.com wants `max_completion_tokens`; compatible servers want `max_tokens`.
    completion_tokens_field: bool,
}

impl OpenAiProvider {
    pub fn new(name: &str, base_url: &str, model: &str, stream: bool, timeout_s: u64, max_tokens: Option<u32>) -> Self {
        OpenAiProvider {
            name: name.into(),
            url: http::join_url(base_url, "chat/completions"),
            model: model.into(),
            stream,
            timeout: Duration::from_secs(timeout_s),
            max_tokens,
            completion_tokens_field: base_url.contains("api.openai.com"),
        }
    }

    /// The request body, borrowed from the request: serialized straight to bytes, without
    /// copying the prompt into a JSON tree first.
    fn wire<'a>(&'a self, req: &'a CallRequest) -> WireRequest<'a> {
        let system = (!req.system.is_empty()).then(|| WireMessage { content: &req.system, role: "system" });
        let user = WireMessage { content: &req.prompt, role: "user" };
        let max = self.max_tokens.map_or(req.max_tokens, |m| m.min(req.max_tokens));
        WireRequest {
            max_completion_tokens: self.completion_tokens_field.then_some(max),
            max_tokens: (!self.completion_tokens_field).then_some(max),
            messages: match system {
                Some(s) => Messages::Two([s, user]),
                None => Messages::One([user]),
            },
            model: &self.model,
            stream: self.stream,
            stream_options: self.stream.then_some(StreamOptions { include_usage: true }),
        }
    }

    /// The request body as JSON bytes.
    pub fn body_bytes(&self, req: &CallRequest) -> Vec<u8> {
        serde_json::to_vec(&self.wire(req)).unwrap_or_default()
    }

    /// The request body.
    pub fn body(&self, req: &CallRequest) -> Value {
        serde_json::to_value(self.wire(req)).unwrap_or_default()
    }

    async fn call_inner(&self, req: &CallRequest, key: Option<&Secret>) -> Result<CallResponse, ProviderError> {
        let client = http::client()?;
        let mut headers = Vec::new();
        if let Some(k) = key {
            headers.push(http::secret_header("authorization", &format!("Bearer {}", k.expose()))?);
        }
        let body = self.body_bytes(req);
        let key_var = key.map(Secret::var);
        let resp = http::post_json(&client, &self.url, headers, body, key_var).await?;
        let rest = http::rest_hint(&resp);
        let mut answer = if self.stream {
            let mut acc = StreamAcc::default();
            http::each_event(resp, |ev| acc.event(&ev.data, key_var)).await?;
            acc.finish(&self.model, req)?
        } else {
            let bytes = http::read_limited(resp, http::MAX_BODY, false).await?;
            parse_body(&bytes, &self.model, req)?
        };
        answer.rest_key_for = rest;
        Ok(answer)
    }
}

impl Provider for OpenAiProvider {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> ProviderKind {
        ProviderKind::Openai
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

/// The request as sent; fields in the order a JSON tree would print them (alphabetical),
/// so that the bytes are those the earlier `serde_json::Value` body gave.
#[derive(Serialize)]
struct WireRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    messages: Messages<'a>,
    model: &'a str,
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Messages<'a> {
    One([WireMessage<'a>; 1]),
    Two([WireMessage<'a>; 2]),
}

#[derive(Serialize)]
struct WireMessage<'a> {
    content: &'a str,
    role: &'static str,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
    /// Perplexity: tokens of the cited sources, billed at the input price.
    #[serde(default)]
    citation_tokens: Option<u64>,
}

#[derive(Deserialize, Default)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

impl WireUsage {
    /// `prompt_tokens` counts cached tokens too; ours does not.
    fn usage(&self) -> Usage {
        let cached = self.prompt_tokens_details.as_ref().and_then(|d| d.cached_tokens).unwrap_or(0);
        Usage {
            input: self.prompt_tokens.saturating_sub(cached).saturating_add(self.citation_tokens.unwrap_or(0)),
            output: self.completion_tokens,
            cached_input: cached.min(self.prompt_tokens),
            estimated: false,
        }
    }
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    model: Option<String>,
    /// An error object (not null): the answer is read again as a whole to type it.
    #[serde(default)]
    error: Option<IgnoredAny>,
    #[serde(default)]
    choices: Vec<BodyChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    citations: Option<Vec<String>>,
    #[serde(default)]
    search_results: Option<Vec<SearchResult>>,
}

#[derive(Deserialize)]
struct BodyChoice {
    message: Message,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    content: Option<String>,
}

/// One stream chunk, its strings borrowed from the chunk's text where they have no escapes.
#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(default, borrow)]
    model: Option<Text<'a>>,
    #[serde(default, borrow)]
    choices: Vec<ChunkChoice<'a>>,
    #[serde(default)]
    usage: Option<WireUsage>,
    /// An error object (not null): the chunk is read again as a whole to type it.
    #[serde(default)]
    error: Option<IgnoredAny>,
    #[serde(default)]
    citations: Option<Vec<String>>,
    #[serde(default)]
    search_results: Option<Vec<SearchResult>>,
}

#[derive(Deserialize)]
struct ChunkChoice<'a> {
    #[serde(default, borrow)]
    delta: Option<Delta<'a>>,
    #[serde(default, borrow)]
    finish_reason: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Delta<'a> {
    #[serde(default, borrow)]
    content: Option<Text<'a>>,
}

/// A JSON string: borrowed from the text parsed when it holds no escapes, else owned.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Str;
        impl<'de> Visitor<'de> for Str {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        d.deserialize_str(Str).map(Text)
    }
}

impl Text<'_> {
    fn as_str(&self) -> &str {
        &self.0
    }
}

/// `finish_reason: "length"`: the model stopped at `max_tokens` (or the context window).
fn cut_off(finish_reason: Option<&str>) -> bool {
    finish_reason == Some("length")
}

fn empty_answer() -> ProviderError {
    ProviderError::new(ErrorClass::BadResponse, "the provider answered with no text; it is tried again")
}

/// A non-streamed answer.
pub fn parse_body(bytes: &[u8], model: &str, req: &CallRequest) -> Result<CallResponse, ProviderError> {
    // The usual answer parses straight into its shape; an error object, or a shape that
    // does not fit (duplicate keys), takes the long way through a JSON tree, as before.
    let body = match serde_json::from_slice::<Body>(bytes) {
        Ok(body) if body.error.is_none() => body,
        _ => {
            let v: Value = serde_json::from_slice(bytes).map_err(|e| http::malformed("an answer", &e))?;
            if v.get("error").is_some_and(|e| !e.is_null()) {
                return Err(http_error::from_stream_error(&v, None));
            }
            serde_json::from_value(v).map_err(|e| http::malformed("an answer", &e))?
        }
    };
    let truncated = body.choices.iter().any(|c| cut_off(c.finish_reason.as_deref()));
    let text: String = body.choices.into_iter().filter_map(|c| c.message.content).collect();
    // A cut-off answer is returned even when empty (a reasoning model may spend the whole
    // limit thinking): it was paid for, and asking again with a larger limit is the cure.
    if text.trim().is_empty() && !truncated {
        return Err(empty_answer());
    }
    let usage = match body.usage {
        Some(u) => u.usage(),
        None => Usage::estimate(req.system.len() + req.prompt.len(), text.len()),
    };
    Ok(CallResponse {
        text,
        usage,
        model: body.model.filter(|m| !m.is_empty()).unwrap_or_else(|| model.into()),
        citations: perplexity::citations(Extras { citations: body.citations, search_results: body.search_results }),
        rest_key_for: None,
        truncated,
    })
}

/// The parts of a streamed answer gathered so far.
#[derive(Default)]
pub struct StreamAcc {
    text: String,
    model: Option<String>,
    usage: Option<Usage>,
    extras: Extras,
    /// A choice finished with `length`.
    truncated: bool,
    done: bool,
}

impl StreamAcc {
    /// One `data:` payload.
    pub fn event(&mut self, data: &str, key_var: Option<&str>) -> Result<Flow, ProviderError> {
        let data = data.trim();
        if data == "[DONE]" {
            self.done = true;
            return Ok(Flow::Done);
        }
        if data.is_empty() {
            return Ok(Flow::Continue);
        }
        let chunk: Chunk = serde_json::from_str(data).map_err(|e| http::malformed("a stream chunk", &e))?;
        if chunk.error.is_some() {
            let whole: Value = serde_json::from_str(data).map_err(|e| http::malformed("a stream chunk", &e))?;
            return Err(http_error::from_stream_error(&json!({ "error": whole["error"] }), key_var));
        }
        if self.model.is_none() {
            self.model = chunk.model.filter(|m| !m.as_str().is_empty()).map(|m| m.0.into_owned());
        }
        for c in chunk.choices {
            self.truncated |= cut_off(c.finish_reason.as_ref().map(Text::as_str));
            if let Some(t) = c.delta.and_then(|d| d.content) {
                self.text.push_str(t.as_str());
            }
        }
        // Usage may come on the last chunk (OpenAI, with empty `choices`) or on chunks that
        // still carry text (Perplexity and some compatible servers): the latest wins.
        if let Some(u) = chunk.usage {
            self.usage = Some(u.usage());
        }
        if chunk.citations.is_some() || chunk.search_results.is_some() {
            self.extras.merge(Extras { citations: chunk.citations, search_results: chunk.search_results });
        }
        Ok(Flow::Continue)
    }

    pub fn finish(self, model: &str, req: &CallRequest) -> Result<CallResponse, ProviderError> {
        if !self.done {
            return Err(ProviderError::new(ErrorClass::CutStream, "the stream ended before [DONE]; it is tried again"));
        }
        if self.text.trim().is_empty() && !self.truncated {
            return Err(empty_answer());
        }
        let usage = self.usage.unwrap_or_else(|| Usage::estimate(req.system.len() + req.prompt.len(), self.text.len()));
        Ok(CallResponse {
            usage,
            model: self.model.unwrap_or_else(|| model.into()),
            citations: perplexity::citations(self.extras),
            text: self.text,
            rest_key_for: None,
            truncated: self.truncated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> CallRequest {
        CallRequest::test("research", "sys", "prompt")
    }

    fn stream(lines: &[&str]) -> Result<CallResponse, ProviderError> {
        let mut acc = StreamAcc::default();
        for l in lines {
            if acc.event(l, None)? == Flow::Done {
                break;
            }
        }
        acc.finish("gpt-4o-mini", &req())
    }

    #[test]
    fn the_request_body() {
        let p = OpenAiProvider::new("openai", "https://api.openai.com/v1", "gpt-4o-mini", true, 60, Some(100));
        let b = p.body(&req());
        assert_eq!(b["messages"][0]["role"], "system");
        assert_eq!(b["messages"][1]["content"], "prompt");
        assert_eq!(b["stream_options"]["include_usage"], true);
        assert_eq!(b["max_completion_tokens"], 100, "the config's max_tokens caps the prompt's");
        let p = OpenAiProvider::new("ollama", "http://localhost:11434/v1", "llama3", false, 60, None);
        let b = p.body(&req());
        assert_eq!(b["max_tokens"], 4000);
        assert!(b.get("stream_options").is_none());
        assert_eq!(p.url, "http://localhost:11434/v1/chat/completions");
    }

    /// The body, serialized from borrowed fields, is byte for byte what the JSON tree the
    /// provider built before gave.
    #[test]
    fn the_body_bytes_are_those_of_the_json_tree() {
        for (base, stream, cap, system) in [
            ("https://api.openai.com/v1", true, Some(100), "sys \"quoted\"\n"),
            ("http://localhost:11434/v1", false, None, ""),
            ("http://127.0.0.1:8000/v1", true, None, "s"),
        ] {
            let p = OpenAiProvider::new("o", base, "gpt-4o-mini", stream, 60, cap);
            let req = CallRequest::new("spec", system, "a prompt with \u{e9} and \"quotes\"\t", 4000);
            let mut messages = Vec::new();
            if !system.is_empty() {
                messages.push(json!({"role": "system", "content": system}));
            }
            messages.push(json!({"role": "user", "content": req.prompt}));
            let max = cap.map_or(req.max_tokens, |m| m.min(req.max_tokens));
            let mut tree = json!({"model": "gpt-4o-mini", "messages": messages, "stream": stream});
            tree[if base.contains("api.openai.com") { "max_completion_tokens" } else { "max_tokens" }] = json!(max);
            if stream {
                tree["stream_options"] = json!({"include_usage": true});
            }
            assert_eq!(String::from_utf8(p.body_bytes(&req)).unwrap(), tree.to_string(), "{base}");
            assert_eq!(p.body(&req), tree);
        }
    }

    /// Strings with escapes are read whole (owned), those without borrowed: the same text.
    #[test]
    fn chunks_with_escapes_and_a_null_error() {
        let r = stream(&[
            r#"{"model":"m\u002d1","choices":[{"delta":{"content":"a \"quoted\"\nline"},"finish_reason":null}],"error":null}"#,
            r#"{"choices":[{"delta":{"content":" \u00e9t\u00e9"},"finish_reason":"len\u0067th"}]}"#,
            "[DONE]",
        ])
        .unwrap();
        assert_eq!(r.text, "a \"quoted\"\nline \u{e9}t\u{e9}");
        assert_eq!(r.model, "m-1");
        assert!(r.truncated, "an escaped finish reason is still read");
        let e = stream(&[r#"{"choices":[],"error":{"message":"The server had an error","type":"server_error"}}"#])
            .unwrap_err();
        assert_eq!(e.class, ErrorClass::Server);
        assert_eq!(stream(&[r#"{"choices":[{"delta":{"content":7}}]}"#]).unwrap_err().class, ErrorClass::BadResponse);
    }

    #[test]
    fn a_whole_body_with_an_error_or_duplicate_keys_takes_the_long_way() {
        let err = br#"{"choices":[],"error":{"message":"bad","type":"invalid_request_error"}}"#;
        assert_eq!(parse_body(err, "m", &req()).unwrap_err().class, ErrorClass::BadRequest);
        let null_error = br#"{"choices":[{"message":{"content":"Hi"}}],"error":null}"#;
        assert_eq!(parse_body(null_error, "m", &req()).unwrap().text, "Hi");
        // A JSON tree keeps the last of duplicate keys, as the body was read before.
        let dup = br#"{"model":"a","model":"b","choices":[{"message":{"content":"Hi"}}]}"#;
        assert_eq!(parse_body(dup, "m", &req()).unwrap().model, "b");
    }

    #[test]
    fn a_stream_with_usage_on_its_last_chunk() {
        let r = stream(&[
            r#"{"id":"c","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"delta":{"role":"assistant","content":""}}],"usage":null}"#,
            r#"{"id":"c","choices":[{"index":0,"delta":{"content":"Hel"}}],"usage":null}"#,
            r#"{"id":"c","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}],"usage":null}"#,
            r#"{"id":"c","choices":[],"usage":{"prompt_tokens":100,"completion_tokens":7,"total_tokens":107,"prompt_tokens_details":{"cached_tokens":64}}}"#,
            "[DONE]",
        ])
        .unwrap();
        assert_eq!(r.text, "Hello");
        assert_eq!(r.model, "gpt-4o-mini-2024-07-18");
        assert_eq!(r.usage, Usage { input: 36, output: 7, cached_input: 64, estimated: false });
    }

    #[test]
    fn usage_on_a_chunk_that_still_carries_text() {
        let r = stream(&[
            r#"{"choices":[{"delta":{"content":"A"}}],"usage":{"prompt_tokens":10,"completion_tokens":1}}"#,
            r#"{"choices":[{"delta":{"content":"B"}}],"usage":{"prompt_tokens":10,"completion_tokens":2}}"#,
            "[DONE]",
        ])
        .unwrap();
        assert_eq!(r.text, "AB");
        assert_eq!((r.usage.input, r.usage.output), (10, 2));
    }

    #[test]
    fn an_error_object_inside_the_stream() {
        let e = stream(&[
            r#"{"choices":[{"delta":{"content":"A"}}]}"#,
            r#"{"error":{"message":"The server had an error","type":"server_error"}}"#,
        ])
        .unwrap_err();
        assert_eq!(e.class, ErrorClass::Server);
        assert!(e.retryable());
        let e = stream(&[r#"{"error":{"message":"quota","code":"insufficient_quota"}}"#]).unwrap_err();
        assert!(!e.retryable());
    }

    #[test]
    fn cut_malformed_and_empty_streams() {
        assert_eq!(stream(&[r#"{"choices":[{"delta":{"content":"A"}}]}"#]).unwrap_err().class, ErrorClass::CutStream);
        assert_eq!(stream(&[r#"{"choices":[{"delta":"#]).unwrap_err().class, ErrorClass::BadResponse);
        assert_eq!(stream(&["[DONE]"]).unwrap_err().class, ErrorClass::BadResponse);
    }

    #[test]
    fn without_usage_tokens_are_estimated_and_marked() {
        let r = stream(&[r#"{"choices":[{"delta":{"content":"Hello there"}}]}"#, "[DONE]"]).unwrap();
        assert!(r.usage.estimated);
        assert_eq!(r.usage.output, 3);
    }

    #[test]
    fn a_whole_body() {
        let body = br#"{"id":"x","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1}}"#;
        let r = parse_body(body, "gpt-4o", &req()).unwrap();
        assert_eq!((r.text.as_str(), r.usage.input, r.usage.output), ("Hi", 5, 1));
        assert_eq!(parse_body(b"{\"choices\": [", "m", &req()).unwrap_err().class, ErrorClass::BadResponse);
        let err = br#"{"error":{"message":"bad","type":"invalid_request_error"}}"#;
        assert_eq!(parse_body(err, "m", &req()).unwrap_err().class, ErrorClass::BadRequest);
    }

    #[test]
    fn finish_reason_length_marks_the_answer_truncated() {
        let r = stream(&[
            r#"{"choices":[{"delta":{"content":"Half an ans"},"finish_reason":null}]}"#,
            r#"{"choices":[{"delta":{},"finish_reason":"length"}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":4000}}"#,
            "[DONE]",
        ])
        .unwrap();
        assert!(r.truncated);
        assert_eq!((r.text.as_str(), r.usage.output), ("Half an ans", 4000));
        let whole = br#"{"choices":[{"message":{"content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1}}"#;
        assert!(!parse_body(whole, "m", &req()).unwrap().truncated);
        let cut = br#"{"choices":[{"message":{"content":"H"},"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":1}}"#;
        assert!(parse_body(cut, "m", &req()).unwrap().truncated);
        // A reasoning model that spent the whole limit thinking: no text, but paid for and cut off.
        let thought = br#"{"choices":[{"message":{"content":""},"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":4000}}"#;
        let r = parse_body(thought, "m", &req()).unwrap();
        assert!(r.truncated && r.text.is_empty() && r.usage.output == 4000);
        let r = stream(&[r#"{"choices":[{"delta":{},"finish_reason":"length"}]}"#, "[DONE]"]).unwrap();
        assert!(r.truncated && r.text.is_empty());
    }
}
