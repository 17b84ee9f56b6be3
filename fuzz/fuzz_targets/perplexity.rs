//! Perplexity's extras on the OpenAI shape (citations, search_results, citation_tokens): parsed, merged chunk by chunk and listed without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use startup_factory::providers::CallRequest;
use startup_factory::providers::wire::openai::{StreamAcc, parse_body};
use startup_factory::providers::wire::perplexity::{Extras, citations};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // Each line is one chunk's JSON, as the stream would bring them.
    let mut merged = Extras::default();
    let mut acc = StreamAcc::default();
    let mut failed = false;
    for line in text.lines() {
        if let Ok(e) = serde_json::from_str::<Extras>(line) {
            merged.merge(e);
        }
        if !failed {
            failed = acc.event(line, Some("PERPLEXITY_API_KEY")).is_err();
        }
    }
    for c in citations(merged) {
        assert!(!c.is_empty() && !c.contains(['\n', '\r', '\t']) && c.trim() == c, "{c:?}");
    }
    let req = CallRequest::new("research", "system", "prompt", 1000);
    if let Ok(r) = acc.finish("sonar", &req) {
        assert!(r.citations.iter().all(|c| !c.is_empty()));
    }
    if let Err(e) = parse_body(data, "sonar", &req) {
        assert!(!e.message.contains('\n'), "{:?}", e.message);
    }
});
