//! The fake server spoken to by the real wire-format clients: every format, streamed and
//! not, every fault typed as the client should type it, and the ledger of billed usage.

use std::time::{Duration, Instant};

use super::*;
use crate::providers::wire::anthropic::AnthropicProvider;
use crate::providers::wire::openai::OpenAiProvider;
use crate::providers::{CallRequest, CallResponse, ErrorClass, Provider, ProviderError, Secret};

fn key() -> Secret {
    Secret::new("FAKE_KEY", "sk-fake-test-key-0001")
}

fn providers(server: &FakeServer, stream: bool, timeout_s: u64) -> Vec<(Format, Box<dyn Provider>)> {
    vec![
        (
            Format::OpenAi,
            Box::new(OpenAiProvider::new("openai", &server.openai_url(), "gpt-4o-mini", stream, timeout_s, None)),
        ),
        (
            Format::Perplexity,
            Box::new(OpenAiProvider::new("perplexity", &server.perplexity_url(), "sonar", stream, timeout_s, None)),
        ),
        (
            Format::Anthropic,
            Box::new(AnthropicProvider::new(
                "anthropic",
                &server.anthropic_url(),
                "claude-sonnet-4-5",
                stream,
                timeout_s,
                None,
            )),
        ),
    ]
}

fn request() -> CallRequest {
    CallRequest::new(
        "research",
        "You are an analyst.",
        "You are doing the research phase of startup run `s-03`.\nIt must contain:\n- `## Market size`\n- `## Sources`\n",
        1000,
    )
}

async fn call(p: &dyn Provider) -> Result<CallResponse, ProviderError> {
    let k = key();
    p.call(&request(), Some(&k)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_streamed_and_not_bills_what_the_server_reported() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    for stream in [true, false] {
        for (format, p) in providers(&server, stream, 10) {
            let before = server.ledger().len();
            let r = call(p.as_ref()).await.unwrap_or_else(|e| panic!("{format:?} stream={stream}: {e}"));
            assert!(r.text.contains("## Market size") && r.text.contains("## Sources"), "{}", r.text);
            let ledger = server.ledger();
            assert_eq!(ledger.len(), before + 1);
            let reported = ledger.last().unwrap();
            assert_eq!(reported.format, format);
            assert_eq!(reported.run.as_deref(), Some("s-03"));
            assert_eq!(r.usage, reported.billed, "{format:?} stream={stream}");
            assert_eq!(r.model, reported.model);
            assert!(r.model.ends_with("-2025-01-01"));
            assert_eq!(!r.citations.is_empty(), format == Format::Perplexity, "{format:?}");
        }
    }
    assert_eq!(server.keys_seen().get("sk-fake-test-key-0001"), Some(&6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_typed_as_retryable_or_not() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    let cases: Vec<(Fault, ErrorClass)> = vec![
        (Fault::RateLimited { retry_after: Duration::from_millis(1500) }, ErrorClass::RateLimited),
        (Fault::Quota, ErrorClass::Quota),
        (Fault::Overloaded, ErrorClass::Overloaded),
        (Fault::ServerError, ErrorClass::Server),
        (Fault::HtmlPage, ErrorClass::Server),
        (Fault::Unauthorized, ErrorClass::Auth),
        (Fault::CutStream, ErrorClass::CutStream),
        (Fault::MalformedJson, ErrorClass::BadResponse),
    ];
    for stream in [true, false] {
        for (fault, class) in &cases {
            for (format, p) in providers(&server, stream, 10) {
                server.set_faults(FaultPlan { script: Vec::new(), every: 1, cycle: vec![fault.clone()] });
                let before = server.ledger().len();
                let e = call(p.as_ref()).await.unwrap_err();
                let what = format!("{fault:?} {format:?} stream={stream}: {e}");
                assert_eq!(e.class, *class, "{what}");
                assert_eq!(e.retryable(), !matches!(class, ErrorClass::Quota | ErrorClass::Auth), "{what}");
                if *fault == Fault::CutStream {
                    // A cut answer was accepted: it is billed for what was sent before the cut.
                    let ledger = server.ledger();
                    assert_eq!(ledger.len(), before + 1, "{what}");
                    let r = ledger.last().unwrap();
                    assert!(r.cut && r.billed.input > 0, "{what}: {r:?}");
                } else {
                    assert_eq!(server.ledger().len(), before, "a failed answer is not billed: {what}");
                }
                if let Fault::RateLimited { .. } = fault {
                    let after = e.retry_after.expect("a 429 says when");
                    assert!(
                        after > Duration::from_millis(1000) && after <= Duration::from_millis(1500),
                        "{what}: {after:?}"
                    );
                }
                if *fault == Fault::HtmlPage {
                    assert!(e.message.contains("HTML page") && !e.message.contains("nginx"), "{what}");
                }
                assert!(!e.to_string().contains("sk-fake-test-key"), "{what}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_inside_a_stream_after_http_200() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    server.set_faults(FaultPlan::cycle(1, vec![Fault::ErrorInStream]));
    for (format, p) in providers(&server, true, 10) {
        let e = call(p.as_ref()).await.unwrap_err();
        let expected = if format == Format::Anthropic { ErrorClass::Overloaded } else { ErrorClass::Server };
        assert_eq!(e.class, expected, "{format:?}: {e}");
        assert!(e.retryable() && e.message.contains("after starting"), "{e}");
    }
    assert!(server.ledger().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_first_byte_is_waited_for_and_a_silent_server_times_out() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    server.set_faults(FaultPlan::cycle(1, vec![Fault::SlowFirstByte(Duration::from_millis(300))]));
    let t = Instant::now();
    for (_, p) in providers(&server, true, 10) {
        call(p.as_ref()).await.unwrap();
    }
    assert!(t.elapsed() >= Duration::from_millis(900));
    server.set_faults(FaultPlan::cycle(1, vec![Fault::SlowFirstByte(Duration::from_millis(1500))]));
    let p = OpenAiProvider::new("openai", &server.openai_url(), "gpt-4o-mini", true, 1, None);
    let e = call(&p).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Timeout);
    assert!(e.retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_a_key_or_version_are_refused_by_the_server() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    let p = OpenAiProvider::new("openai", &server.openai_url(), "gpt-4o-mini", true, 10, None);
    let e = p.call(&request(), None).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Auth);
    assert!(e.message.contains("the API key was refused"), "{}", e.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_cut_midway_is_billed_for_what_it_streamed() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    for (format, p) in providers(&server, true, 10) {
        server.set_faults(FaultPlan::none());
        call(p.as_ref()).await.unwrap();
        let whole = server.ledger().last().unwrap().clone();
        server.set_faults(FaultPlan::cycle(1, vec![Fault::CutStream]));
        assert_eq!(call(p.as_ref()).await.unwrap_err().class, ErrorClass::CutStream);
        let cut = server.ledger().last().unwrap().clone();
        assert!(cut.cut && !whole.cut, "{format:?}: the cut answer is in the ledger");
        assert_eq!((cut.billed.input, cut.billed.cached_input), (whole.billed.input, whole.billed.cached_input));
        assert!(cut.billed.output > 0 && cut.billed.output < whole.billed.output, "{format:?}: {cut:?}");
    }
}

#[test]
fn billed_usage_follows_each_providers_rules() {
    let c = Counts { prompt: 100, cached: 25, completion: 10, citation: 0 };
    assert_eq!(billed(Format::OpenAi, &c), Usage { input: 75, cached_input: 25, output: 10, estimated: false });
    assert_eq!(billed(Format::Anthropic, &c), Usage { input: 75, cached_input: 25, output: 10, estimated: false });
    let p = Counts { cached: 0, citation: 17, ..c };
    assert_eq!(billed(Format::Perplexity, &p), Usage { input: 117, cached_input: 0, output: 10, estimated: false });
    assert_eq!(split("abcdefg", 3), vec!["abc", "def", "g"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_cut_off_at_the_token_limit_is_marked_truncated_and_its_usage_read() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    for stream in [true, false] {
        for (format, p) in providers(&server, stream, 10) {
            let what = format!("{format:?} stream={stream}");
            server.set_faults(FaultPlan::none());
            let whole = call(p.as_ref()).await.unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(!whole.truncated, "{what}");
            assert!(!server.ledger().last().unwrap().truncated, "{what}");
            server.set_faults(FaultPlan::cycle(1, vec![Fault::TokenLimit]));
            let cut = call(p.as_ref()).await.unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(cut.truncated, "{what}");
            assert!(!cut.text.is_empty() && whole.text.starts_with(&cut.text) && cut.text.len() < whole.text.len());
            let reported = server.ledger().last().unwrap().clone();
            assert!(reported.truncated, "{what}");
            assert_eq!(cut.usage, reported.billed, "a cut-off answer was paid for: {what}");
            assert!(cut.usage.output > 0 && !cut.usage.estimated, "{what}");
            assert_eq!(!cut.citations.is_empty(), format == Format::Perplexity, "{what}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_below_the_threshold_is_cut_off_and_a_larger_one_is_not() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    server.set_faults(FaultPlan::cycle(1, vec![Fault::TokenLimitBelow(2000)]));
    let k = key();
    for stream in [true, false] {
        for (format, p) in providers(&server, stream, 10) {
            let what = format!("{format:?} stream={stream}");
            // The request's max_tokens reaches the wire: 1000 is cut off, 2000 is not.
            let small = p.call(&request(), Some(&k)).await.unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(small.truncated, "{what}");
            let larger = CallRequest { max_tokens: 2000, ..request() };
            let r = p.call(&larger, Some(&k)).await.unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(!r.truncated && r.text.contains("## Sources"), "{what}");
        }
    }
    // The cut keeps within the request's limit, at four characters a token.
    let tiny = CallRequest { max_tokens: 3, ..request() };
    let p = AnthropicProvider::new("anthropic", &server.anthropic_url(), "claude-sonnet-4-5", true, 10, None);
    let r = p.call(&tiny, Some(&k)).await.unwrap();
    assert!(r.truncated && r.text.chars().count() <= 12, "{:?}", r.text);
    assert_eq!(r.usage.output, 3);
}
