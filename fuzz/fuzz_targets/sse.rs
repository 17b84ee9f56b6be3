//! SSE parser: never panics, and however the bytes are cut into chunks (empty ones too) the same events, error and partial state come out.
#![no_main]

use libfuzzer_sys::fuzz_target;
use startup_factory::providers::transport::sse::{SseEvent, SseParser};

/// Events dispatched, whether the stream broke the format, and whether an event was left open.
fn parse(chunks: &[&[u8]]) -> (Vec<SseEvent>, bool, bool) {
    let mut p = SseParser::new();
    let mut out = Vec::new();
    for c in chunks {
        if p.push(c, &mut out).is_err() {
            return (out, true, p.has_partial());
        }
    }
    let partial = p.has_partial();
    (out, false, partial)
}

fuzz_target!(|data: &[u8]| {
    // The first byte says how many of the next bytes are chunk lengths (0 allowed), used in turn.
    let Some((&n, rest)) = data.split_first() else { return };
    let n = (n as usize % 8).min(rest.len());
    let (lengths, body) = rest.split_at(n);
    let mut chunks: Vec<&[u8]> = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < body.len() {
        let len = if lengths.is_empty() { body.len() } else { lengths[i % lengths.len()] as usize % 32 };
        let end = (at + len).min(body.len());
        chunks.push(&body[at..end]);
        at = end;
        i += 1;
        if i > 4 * body.len() + 8 {
            chunks.push(&body[at..]);
            break;
        }
    }
    let whole = parse(&[body]);
    let split = parse(&chunks);
    if whole.1 {
        // A format error: the same events came before it, and the split stream fails too.
        assert!(split.1, "an error in one piece but none in chunks");
        assert_eq!(whole.0, split.0);
    } else {
        assert_eq!(whole, split, "chunking changed what was parsed");
    }
    for e in &whole.0 {
        assert!(!e.event.as_deref().unwrap_or("").contains(['\r', '\n']));
        assert!(!e.data.contains('\r'));
    }
});
