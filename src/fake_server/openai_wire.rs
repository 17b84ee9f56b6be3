//! The fake server's OpenAI chat completions answers (and Perplexity's, which add
//! `citations` and carry usage on every chunk): streamed `data:` chunks ending with
//! `[DONE]`, or one JSON body; errors in OpenAI's shape.

use axum::body::Bytes;
use serde_json::{Value, json};

use super::Counts;

/// Sources the fake Perplexity cites.
pub const CITATIONS: [&str; 2] = ["https://example.com/market-report", "https://example.org/industry-survey"];

fn usage(c: &Counts, perplexity: bool) -> Value {
    let mut u = json!({
        "prompt_tokens": c.prompt,
        "completion_tokens": c.completion,
        "total_tokens": c.prompt + c.completion,
    });
    if perplexity {
        u["citation_tokens"] = json!(c.citation);
        u["num_search_queries"] = json!(1);
        u["search_context_size"] = json!("low");
    } else {
        u["prompt_tokens_details"] = json!({"cached_tokens": c.cached});
    }
    u
}

/// `length` when the answer stopped at the token limit.
fn finish_reason(cut_off: bool) -> &'static str {
    if cut_off { "length" } else { "stop" }
}

pub fn body(model: &str, text: &str, c: &Counts, perplexity: bool, cut_off: bool) -> Bytes {
    let mut v = json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish_reason(cut_off)}],
        "usage": usage(c, perplexity),
    });
    if perplexity {
        v["citations"] = json!(CITATIONS);
    }
    Bytes::from(v.to_string())
}

fn frame(v: &Value) -> Bytes {
    Bytes::from(format!("data: {v}\n\n"))
}

/// The stream's frames. OpenAI sends usage on a last chunk with empty `choices` (asked for
/// with `include_usage`); Perplexity sends usage and citations on every chunk. The finish
/// reason (`length` when `cut_off`) comes on the last choice chunk.
pub fn frames(model: &str, pieces: &[String], c: &Counts, perplexity: bool, cut_off: bool) -> Vec<Bytes> {
    let mut out = Vec::with_capacity(pieces.len() + 3);
    let base = |choices: Value| json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model, "choices": choices});
    out.push(frame(&base(json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]))));
    for (i, p) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len();
        let mut v = base(
            json!([{"index": 0, "delta": {"content": p}, "finish_reason": if last && perplexity { json!(finish_reason(cut_off)) } else { Value::Null }}]),
        );
        if perplexity {
            v["usage"] = usage(c, true);
            v["citations"] = json!(CITATIONS);
        }
        out.push(frame(&v));
    }
    if !perplexity {
        out.push(frame(&base(json!([{"index": 0, "delta": {}, "finish_reason": finish_reason(cut_off)}]))));
        let mut v = base(json!([]));
        v["usage"] = usage(c, false);
        out.push(frame(&v));
    }
    out.push(Bytes::from_static(b"data: [DONE]\n\n"));
    out
}

/// An error object in OpenAI's shape.
pub fn error(kind: &str, code: &str, message: &str) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

/// The frame of an error arriving inside a stream.
pub fn stream_error() -> Bytes {
    frame(&error("server_error", "server_error", "The server had an error while processing your request."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::wire::openai::StreamAcc;

    /// The fake's frames read back through the real client parser.
    #[test]
    fn frames_parse_with_the_client() {
        let c = Counts { prompt: 100, cached: 20, completion: 7, citation: 5 };
        for perplexity in [false, true] {
            let pieces = vec!["Hel".to_string(), "lo".to_string()];
            let mut acc = StreamAcc::default();
            let mut events = Vec::new();
            let mut parser = crate::providers::transport::sse::SseParser::new();
            for f in frames("gpt-4o-mini", &pieces, &c, perplexity, false) {
                parser.push(&f, &mut events).unwrap();
            }
            for e in events {
                acc.event(&e.data, None).unwrap();
            }
            let r = acc.finish("gpt-4o-mini", &crate::providers::CallRequest::new("x", "", "p", 10)).unwrap();
            assert_eq!(r.text, "Hello");
            assert!(!r.truncated);
            if perplexity {
                assert_eq!((r.usage.input, r.usage.cached_input), (105, 0));
                assert_eq!(r.citations.len(), 2);
            } else {
                assert_eq!((r.usage.input, r.usage.cached_input, r.usage.output), (80, 20, 7));
            }
        }
    }

    /// A cut-off answer, streamed or whole, reads back as truncated with its usage.
    #[test]
    fn a_cut_off_answer_says_length() {
        let c = Counts { prompt: 100, cached: 20, completion: 7, citation: 5 };
        let req = crate::providers::CallRequest::new("x", "", "p", 10);
        for perplexity in [false, true] {
            let mut acc = StreamAcc::default();
            let mut events = Vec::new();
            let mut parser = crate::providers::transport::sse::SseParser::new();
            for f in frames("gpt-4o-mini", &["Hel".to_string()], &c, perplexity, true) {
                parser.push(&f, &mut events).unwrap();
            }
            for e in events {
                acc.event(&e.data, None).unwrap();
            }
            let r = acc.finish("gpt-4o-mini", &req).unwrap();
            assert!(r.truncated && r.usage.output == 7, "perplexity={perplexity}");
            let whole = body("gpt-4o-mini", "Hel", &c, perplexity, true);
            let r = crate::providers::wire::openai::parse_body(&whole, "gpt-4o-mini", &req).unwrap();
            assert!(r.truncated && r.usage.output == 7, "perplexity={perplexity}");
        }
    }
}
