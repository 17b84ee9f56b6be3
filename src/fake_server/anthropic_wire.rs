//! The fake server's Anthropic messages answers: the named SSE events of a streamed message
//! (with a `ping`, cache tokens in `message_start`, output tokens in `message_delta`), or one
//! JSON body; errors in Anthropic's shape.

use axum::body::Bytes;
use serde_json::{Value, json};

use super::Counts;

/// Anthropic counts input without cache reads or writes.
fn start_usage(c: &Counts) -> Value {
    json!({
        "input_tokens": c.prompt - c.cached - c.cache_write(),
        "cache_creation_input_tokens": c.cache_write(),
        "cache_read_input_tokens": c.cached,
        "output_tokens": 1,
    })
}

/// `max_tokens` when the answer stopped at the token limit.
fn stop_reason(cut_off: bool) -> &'static str {
    if cut_off { "max_tokens" } else { "end_turn" }
}

pub fn body(model: &str, text: &str, c: &Counts, cut_off: bool) -> Bytes {
    let mut usage = start_usage(c);
    usage["output_tokens"] = json!(c.completion);
    let v = json!({
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop_reason(cut_off),
        "stop_sequence": null,
        "usage": usage,
    });
    Bytes::from(v.to_string())
}

fn event(name: &str, v: &Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {v}\n\n"))
}

/// The stream's events; the stop reason (`max_tokens` when `cut_off`) is in `message_delta`.
pub fn frames(model: &str, pieces: &[String], c: &Counts, cut_off: bool) -> Vec<Bytes> {
    let mut out = Vec::with_capacity(pieces.len() + 6);
    out.push(event(
        "message_start",
        &json!({"type": "message_start", "message": {"id": "msg_fake", "type": "message", "role": "assistant", "content": [], "model": model, "stop_reason": null, "stop_sequence": null, "usage": start_usage(c)}}),
    ));
    out.push(event(
        "content_block_start",
        &json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ));
    out.push(event("ping", &json!({"type": "ping"})));
    for p in pieces {
        out.push(event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}),
        ));
    }
    out.push(event("content_block_stop", &json!({"type": "content_block_stop", "index": 0})));
    out.push(event(
        "message_delta",
        &json!({"type": "message_delta", "delta": {"stop_reason": stop_reason(cut_off), "stop_sequence": null}, "usage": {"output_tokens": c.completion}}),
    ));
    out.push(event("message_stop", &json!({"type": "message_stop"})));
    out
}

pub fn error(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}})
}

/// An `error` event after HTTP 200, as Anthropic sends when it is overloaded mid-answer.
pub fn stream_error() -> Bytes {
    event("error", &error("overloaded_error", "Overloaded"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::wire::anthropic::StreamAcc;

    #[test]
    fn frames_parse_with_the_client() {
        let c = Counts { prompt: 100, cached: 25, completion: 9, citation: 0 };
        for cut_off in [false, true] {
            let mut parser = crate::providers::transport::sse::SseParser::new();
            let mut events = Vec::new();
            for f in frames("claude-sonnet-4-5", &["a".into(), "b".into()], &c, cut_off) {
                parser.push(&f, &mut events).unwrap();
            }
            let mut acc = StreamAcc::default();
            for e in events {
                acc.event(e.event.as_deref(), &e.data, None).unwrap();
            }
            let r = acc.finish("x", &crate::providers::CallRequest::new("x", "", "p", 10)).unwrap();
            assert_eq!(r.text, "ab");
            assert_eq!((r.usage.input, r.usage.cached_input, r.usage.output), (75, 25, 9));
            assert_eq!(r.truncated, cut_off);
            let whole = crate::providers::wire::anthropic::parse_body(&body("m", "ab", &c, cut_off), "m").unwrap();
            assert_eq!((whole.truncated, whole.usage.output), (cut_off, 9));
        }
    }
}
