//! OpenAI response parsing: the input as a whole JSON body, and as an SSE stream of chunks; never a panic, errors are one line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use startup_factory::providers::transport::http::Flow;
use startup_factory::providers::wire::openai::{StreamAcc, parse_body};
use startup_factory::providers::transport::sse::SseParser;
use startup_factory::providers::{CallRequest, ProviderError};

fn one_line(e: &ProviderError) {
    assert!(!e.message.is_empty() && !e.message.contains('\n'), "{:?}", e.message);
}

fuzz_target!(|data: &[u8]| {
    let req = CallRequest::new("build", "system", "prompt", 1000);
    if let Err(e) = parse_body(data, "gpt-4o-mini", &req) {
        one_line(&e);
    }
    let mut sse = SseParser::new();
    let mut events = Vec::new();
    let _ = sse.push(data, &mut events);
    let mut acc = StreamAcc::default();
    for ev in events {
        match acc.event(&ev.data, Some("OPENAI_API_KEY")) {
            Ok(Flow::Continue) => {}
            Ok(Flow::Done) => break,
            Err(e) => return one_line(&e),
        }
    }
    match acc.finish("gpt-4o-mini", &req) {
        Ok(r) => assert!(!r.text.trim().is_empty()),
        Err(e) => one_line(&e),
    }
});
