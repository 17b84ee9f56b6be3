//! The OpenAI chat completions wire format (also Perplexity, Ollama, vLLM, llama.cpp server,
//! OpenRouter and any other compatible base URL): `Authorization: Bearer`, streaming SSE
//! `data:` chunks ending with `[DONE]` with `stream_options.include_usage`, or one JSON body.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::http::{self, Flow};
use super::perplexity::{self, Extras, SearchResult};
use super::{BoxFuture, CallRequest, CallResponse, ErrorClass, Provider, ProviderError, Secret, Usage, http_error};
use crate::config::ProviderKind;

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

    /// The request body.
    pub fn body(&self, req: &CallRequest) -> Value {
        let mut messages = Vec::with_capacity(2);
        if !req.system.is_empty() {
            messages.push(json!({"role": "system", "content": req.system}));
        }
        messages.push(json!({"role": "user", "content": req.prompt}));
        let max = self.max_tokens.map_or(req.max_tokens, |m| m.min(req.max_tokens));
        let mut body = json!({"model": self.model, "messages": messages, "stream": self.stream});
        body[if self.completion_tokens_field { "max_completion_tokens" } else { "max_tokens" }] = json!(max);
        if self.stream {
            body["stream_options"] = json!({"include_usage": true});
        }
        body
    }

    async fn call_inner(&self, req: &CallRequest, key: Option<&Secret>) -> Result<CallResponse, ProviderError> {
        let client = http::client()?;
        let mut headers = Vec::new();
        if let Some(k) = key {
            headers.push(http::secret_header("authorization", &format!("Bearer {}", k.expose()))?);
        }
        let body = serde_json::to_vec(&self.body(req)).unwrap_or_default();
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

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    citations: Option<Vec<String>>,
    #[serde(default)]
    search_results: Option<Vec<SearchResult>>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
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
    let v: Value = serde_json::from_slice(bytes).map_err(|e| http::malformed("an answer", &e))?;
    if v.get("error").is_some_and(|e| !e.is_null()) {
        return Err(http_error::from_stream_error(&v, None));
    }
    let body: Body = serde_json::from_value(v).map_err(|e| http::malformed("an answer", &e))?;
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
        if let Some(err) = chunk.error.filter(|e| !e.is_null()) {
            return Err(http_error::from_stream_error(&json!({ "error": err }), key_var));
        }
        if self.model.is_none() {
            self.model = chunk.model.filter(|m| !m.is_empty());
        }
        for c in chunk.choices {
            self.truncated |= cut_off(c.finish_reason.as_deref());
            if let Some(t) = c.delta.and_then(|d| d.content) {
                self.text.push_str(&t);
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
