//! Property tests of the provider wire formats: generated answers framed as OpenAI, Anthropic and Perplexity send them parse back to the same text, usage and sources; any bytes give an answer or a one-line error.

use proptest::prelude::*;
use serde_json::json;

use super::perplexity::{Extras, citations};
use super::{anthropic, openai};
use crate::providers::transport::http::Flow;
use crate::providers::transport::sse::SseParser;
use crate::providers::{CallRequest, CallResponse, ErrorClass, ProviderError, Usage};

/// Text pieces of an answer, the first never blank.
fn pieces() -> impl Strategy<Value = Vec<String>> {
    ("[a-zA-Z]{1,6}", proptest::collection::vec("\\PC{0,8}", 0..5)).prop_map(|(first, mut rest)| {
        rest.insert(0, first);
        rest
    })
}

fn sse(events: &[(Option<&str>, serde_json::Value)], done: bool) -> Vec<u8> {
    let mut out = String::new();
    for (name, data) in events {
        if let Some(n) = name {
            out += &format!("event: {n}\n");
        }
        out += &format!("data: {data}\n\n");
    }
    if done {
        out += "data: [DONE]\n\n";
    }
    out.into_bytes()
}

fn openai_stream(bytes: &[u8], req: &CallRequest) -> Result<CallResponse, ProviderError> {
    let mut parser = SseParser::new();
    let mut events = Vec::new();
    parser.push(bytes, &mut events).map_err(|e| ProviderError::new(ErrorClass::BadResponse, e.0))?;
    let mut acc = openai::StreamAcc::default();
    for ev in events {
        if acc.event(&ev.data, Some("OPENAI_API_KEY"))? == Flow::Done {
            break;
        }
    }
    acc.finish("fallback-model", req)
}

fn anthropic_stream(bytes: &[u8]) -> Result<CallResponse, ProviderError> {
    let mut parser = SseParser::new();
    let mut events = Vec::new();
    parser.push(bytes, &mut events).map_err(|e| ProviderError::new(ErrorClass::BadResponse, e.0))?;
    let mut acc = anthropic::StreamAcc::default();
    for ev in events {
        if acc.event(ev.event.as_deref(), &ev.data, Some("ANTHROPIC_API_KEY"))? == Flow::Done {
            break;
        }
    }
    acc.finish("fallback-model", &CallRequest::new("x", "", "p", 10))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// An OpenAI stream of generated deltas with usage on its last chunk assembles to the
    /// deltas' text and that usage; the same answer as one body gives the same.
    #[test]
    fn openai_answers_parse_back(
        text in pieces(),
        prompt in 0u64..1_000_000,
        cached in 0u64..1_000_000,
        completion in 0u64..1_000_000,
    ) {
        let req = CallRequest::new("build", "s", "p", 100);
        let usage = json!({"prompt_tokens": prompt, "completion_tokens": completion,
            "prompt_tokens_details": {"cached_tokens": cached}});
        let mut events: Vec<(Option<&str>, serde_json::Value)> =
            vec![(None, json!({"model": "gpt-x", "choices": [{"delta": {"role": "assistant", "content": ""}}]}))];
        events.extend(text.iter().map(|t| (None, json!({"choices": [{"delta": {"content": t}}]}))));
        events.push((None, json!({"choices": [], "usage": usage})));
        let want = Usage { input: prompt.saturating_sub(cached), output: completion, cached_input: cached.min(prompt), estimated: false };
        let r = openai_stream(&sse(&events, true), &req).unwrap();
        prop_assert_eq!(&r.text, &text.concat());
        prop_assert_eq!(r.usage, want);
        prop_assert_eq!(r.model.as_str(), "gpt-x");
        let body = json!({"model": "gpt-x", "choices": [{"message": {"content": text.concat()}}], "usage": usage});
        let whole = openai::parse_body(body.to_string().as_bytes(), "fallback-model", &req).unwrap();
        prop_assert_eq!(whole, r);
    }

    /// An Anthropic stream of generated deltas assembles to their text, with the usage of
    /// `message_start` updated by `message_delta`; the same answer as one body gives the same.
    #[test]
    fn anthropic_answers_parse_back(
        text in pieces(),
        input in 0u64..1_000_000,
        read in 0u64..1_000_000,
        output in 0u64..1_000_000,
    ) {
        let mut events: Vec<(Option<&str>, serde_json::Value)> = vec![(Some("message_start"), json!({"type": "message_start",
            "message": {"model": "claude-x", "usage": {"input_tokens": input, "output_tokens": 1, "cache_read_input_tokens": read}}}))];
        events.push((Some("ping"), json!({"type": "ping"})));
        events.extend(text.iter().map(|t| (Some("content_block_delta"),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}}))));
        events.push((Some("message_delta"), json!({"type": "message_delta", "usage": {"output_tokens": output}})));
        events.push((Some("message_stop"), json!({"type": "message_stop"})));
        let r = anthropic_stream(&sse(&events, false)).unwrap();
        prop_assert_eq!(&r.text, &text.concat());
        prop_assert_eq!(r.usage, Usage { input, output, cached_input: read, estimated: false });
        let body = json!({"model": "claude-x", "content": [{"type": "text", "text": text.concat()}],
            "usage": {"input_tokens": input, "output_tokens": output, "cache_read_input_tokens": read}});
        prop_assert_eq!(anthropic::parse_body(body.to_string().as_bytes(), "fallback-model").unwrap(), r);
    }

    /// Perplexity's sources, however spaced and repeated, come out once each, in the order
    /// first cited, with their spaces collapsed; chunks' lists replace earlier ones.
    #[test]
    fn perplexity_sources_are_listed_once_and_clean(
        lists in proptest::collection::vec(proptest::collection::vec("[ \\t\\na-z:/.]{0,12}", 0..6), 1..4),
    ) {
        let mut merged = Extras::default();
        for l in &lists {
            merged.merge(serde_json::from_value(json!({"citations": l})).unwrap());
        }
        let last = lists.iter().rev().find(|l| !l.is_empty()).cloned().unwrap_or_default();
        let mut want: Vec<String> = Vec::new();
        for c in last {
            let clean = c.split_whitespace().collect::<Vec<_>>().join(" ");
            if !clean.is_empty() && !want.contains(&clean) {
                want.push(clean);
            }
        }
        prop_assert_eq!(citations(merged), want);
    }

    /// Any bytes, as a body or as a stream, give an answer with text or a one-line error.
    #[test]
    fn any_bytes_give_an_answer_or_one_line(bytes in proptest::collection::vec(any::<u8>(), 0..200), json_like in "[\\[\\]{}\":,0-9a-z_ ]{0,80}") {
        let req = CallRequest::new("build", "s", "p", 100);
        for input in [bytes.clone(), json_like.clone().into_bytes(), format!("data: {json_like}\n\n").into_bytes()] {
            let results = [
                openai::parse_body(&input, "m", &req),
                anthropic::parse_body(&input, "m"),
                openai_stream(&input, &req),
                anthropic_stream(&input),
            ];
            for r in results {
                match r {
                    Ok(a) => prop_assert!(!a.text.trim().is_empty()),
                    Err(e) => prop_assert!(!e.message.is_empty() && !e.message.contains('\n'), "{:?}", e.message),
                }
            }
        }
    }
}

/// Token counts near `u64::MAX` from a provider (found while writing these properties):
/// the sums saturate instead of overflowing.
#[test]
fn huge_token_counts_saturate() {
    let req = CallRequest::new("build", "s", "p", 100);
    let max = u64::MAX;
    let body = json!({"choices": [{"message": {"content": "hi"}}],
        "usage": {"prompt_tokens": max, "completion_tokens": max, "citation_tokens": max}});
    let r = openai::parse_body(body.to_string().as_bytes(), "m", &req).unwrap();
    assert_eq!(r.usage.input, max);
    let body = json!({"content": [{"type": "text", "text": "hi"}],
        "usage": {"input_tokens": max, "output_tokens": 1, "cache_creation_input_tokens": max}});
    assert_eq!(anthropic::parse_body(body.to_string().as_bytes(), "m").unwrap().usage.input, max);
}
