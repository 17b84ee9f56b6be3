//! The gateway against the loopback fake server: retries and fallbacks, key pools, the
//! cache, the circuit, routing policies, secrets kept out of messages, and costs equal to
//! the reported usage times the price table.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::*;
use crate::config::Config;
use crate::fake_server::{FakeOptions, FakeServer, Fault, FaultPlan, Format};

const KEYS: [(&str, &str); 5] = [
    ("OPENAI_KEY_1", "sk-test-openai-one-0001"),
    ("OPENAI_KEY_2", "sk-test-openai-two-0002"),
    ("ANTHROPIC_KEY", "sk-ant-test-0003"),
    ("PPLX_KEY", "pplx-test-0004"),
    ("UNSET_KEY", ""),
];

fn env(name: &str) -> Option<String> {
    KEYS.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
}

fn config(server: &FakeServer) -> Config {
    let mut cfg = Config::default();
    let set = |cfg: &mut Config, name: &str, url: String, keys: &[&str]| {
        let p = cfg.providers.get_mut(name).unwrap();
        p.base_url = Some(url);
        p.keys = Some(keys.iter().map(|k| k.to_string()).collect());
        p.rpm = None;
    };
    set(&mut cfg, "openai", server.openai_url(), &["OPENAI_KEY_1", "OPENAI_KEY_2"]);
    set(&mut cfg, "anthropic", server.anthropic_url(), &["ANTHROPIC_KEY"]);
    set(&mut cfg, "perplexity", server.perplexity_url(), &["PPLX_KEY"]);
    cfg.retry.base_delay_ms = 1;
    cfg.retry.max_delay_ms = 5;
    cfg
}

struct Db {
    _dir: tempfile::TempDir,
    db: sled::Db,
}

fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let db = sled::Config::new().path(dir.path()).open().unwrap();
    Db { _dir: dir, db }
}

fn gateway(cfg: &Config, db: &Db) -> Gateway {
    let trees =
        Trees { cache: Some(db.db.open_tree("cache").unwrap()), quality: Some(db.db.open_tree("quality").unwrap()) };
    Gateway::from_config_with(cfg, false, trees, &env)
}

fn request(route: &'static str, run: u32) -> CallRequest {
    let mut r = CallRequest::new(
        route,
        "You are careful.",
        &format!("You are working for startup run `s-{run:02}`.\nIt must contain:\n- `## Market size`\n- `## Risks`\n"),
        800,
    );
    r.task_id = format!("s-{run:02}.{route}.r0");
    r
}

/// Collects the notes a call makes.
#[derive(Default)]
struct Notes(Mutex<Vec<GatewayNote>>);

impl Notes {
    fn sink(&self) -> impl Fn(GatewayNote) + Sync + '_ {
        move |n| self.0.lock().unwrap().push(n)
    }
    fn all(&self) -> Vec<GatewayNote> {
        self.0.lock().unwrap().clone()
    }
}

fn stats(all: Vec<ProviderStats>, name: &str) -> ProviderStats {
    all.into_iter().find(|s| s.name == name).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_every_fault_each_answer_costs_its_reported_usage_times_the_prices() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    server.set_faults(FaultPlan::cycle(2, Fault::all()));
    let db = db();
    let g = gateway(&config(&server), &db);
    let notes = Notes::default();
    let sink = notes.sink();
    let routes = ["research", "spec", "build", "plan", "deploy"];
    let mut answers = Vec::new();
    for run in 1..=40u32 {
        let route = routes[run as usize % routes.len()];
        let a = g.call(request(route, run), &sink).await.unwrap_or_else(|f| panic!("run {run}: {f}"));
        answers.push((run, a));
    }
    let ledger = server.ledger();
    for (run, a) in &answers {
        let id = format!("s-{run:02}");
        let entries: Vec<_> = ledger.iter().filter(|r| r.run.as_deref() == Some(&id) && !r.cut).collect();
        assert_eq!(entries.len(), 1, "one completed answer per call for {id}");
        let e = entries[0];
        assert_eq!(a.response.usage, e.billed, "{id}");
        assert_eq!(Some(a.cost_micros), g.prices().cost(&e.model, &e.billed), "{id}: cost to the micro-dollar");
        assert!(a.cost_micros > 0 && !a.unpriced && !a.cached);
    }
    let retries = notes.all().iter().filter(|n| matches!(n, GatewayNote::Retry { .. })).count();
    assert!(retries >= 15, "faults on every second request cause retries: {retries}");
    let formats: std::collections::HashSet<Format> = ledger.iter().map(|r| r.format).collect();
    assert_eq!(formats.len(), 3, "all three formats served");
    let total: u64 = answers.iter().map(|(_, a)| a.cost_micros).sum();
    let by_stats: u64 = g.stats().iter().map(|s| s.cost_micros).sum();
    assert_eq!(total, by_stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_cut_after_it_was_accepted_charges_its_input_as_estimated_spend() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    server.set_faults(FaultPlan { script: vec![Fault::CutStream], every: 0, cycle: Vec::new() });
    let db = db();
    let g = gateway(&config(&server), &db);
    let notes = Notes::default();
    let req = request("build", 1);
    let prompt_tokens = (req.system.len() + req.prompt.len()).div_ceil(4) as u64;
    let a = g.call(req, &notes.sink()).await.unwrap();
    let spent: Vec<_> = notes.all().into_iter().filter(|n| matches!(n, GatewayNote::Spent { .. })).collect();
    assert_eq!(spent.len(), 1, "{:?}", notes.all());
    let GatewayNote::Spent { provider, model, usage, cost_micros, unpriced } = &spent[0] else { unreachable!() };
    assert_eq!(provider, &a.provider);
    assert!(usage.estimated && usage.input == prompt_tokens && usage.output == 0, "{usage:?}");
    assert_eq!(Some(*cost_micros), g.prices().cost(model, usage));
    assert!(*cost_micros > 0 && !unpriced);
}

/// The config with openai on one key allowed one request a minute.
fn one_a_minute(server: &FakeServer) -> Config {
    let mut cfg = config(server);
    let openai = cfg.providers.get_mut("openai").unwrap();
    openai.keys = Some(vec!["OPENAI_KEY_1".into()]);
    openai.rpm = Some(1);
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_waiting_on_rpm_says_so_after_a_second_and_the_pane_shows_it() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    let db = db();
    let g = gateway(&one_a_minute(&server), &db);
    let quiet = |_: GatewayNote| {};
    g.call(request("build", 1), &quiet).await.unwrap();
    let notes = Notes::default();
    let sink = notes.sink();
    let look = async {
        tokio::time::sleep(Duration::from_millis(1_400)).await;
        stats(g.stats(), "openai")
    };
    tokio::select! {
        _ = g.call(request("build", 2), &sink) => panic!("the second call of the minute waits"),
        s = look => assert!(s.waiting.as_deref().is_some_and(|w| w.starts_with("rpm ")), "{:?}", s.waiting),
    }
    let waits: Vec<_> = notes.all().into_iter().filter(|n| matches!(n, GatewayNote::Wait { .. })).collect();
    assert_eq!(waits.len(), 1, "{:?}", notes.all());
    let GatewayNote::Wait { provider, reason, expected_ms } = &waits[0] else { unreachable!() };
    assert_eq!((provider.as_str(), reason.as_str()), ("openai", "rpm"));
    assert!((50_000..=60_000).contains(expected_ms), "{expected_ms}");
    assert_eq!(stats(g.stats(), "openai").waiting, None, "an abandoned wait is no longer shown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retrys_wait_includes_the_time_until_the_key_may_be_used() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    server.set_faults(FaultPlan { script: vec![Fault::ServerError], every: 0, cycle: Vec::new() });
    let db = db();
    let g = gateway(&one_a_minute(&server), &db);
    let notes = Notes::default();
    let sink = notes.sink();
    let _ = tokio::time::timeout(Duration::from_millis(300), g.call(request("build", 1), &sink)).await;
    let n = notes.all();
    let Some(GatewayNote::Retry { wait_ms, .. }) = n.first() else { panic!("{n:?}") };
    assert!(*wait_ms > 50_000, "the key's rpm window is part of the wait: {wait_ms} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_given_up_on_no_longer_promises_to_try_again() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    let db = db();
    let mut cfg = config(&server);
    cfg.retry.max_attempts = 2;
    cfg.providers.get_mut("openai").unwrap().keys = Some(vec!["OPENAI_KEY_1".into()]);
    let g = gateway(&cfg, &db);
    // A 429 whose key rests longer than a call waits: the call moves to the next provider.
    server.set_faults(FaultPlan {
        script: vec![Fault::RateLimited { retry_after: Duration::from_secs(120) }],
        every: 0,
        cycle: Vec::new(),
    });
    let notes = Notes::default();
    let a = g.call(request("build", 1), &notes.sink()).await.unwrap();
    assert_eq!(a.provider, "anthropic");
    let n = notes.all();
    let Some(GatewayNote::Fallback { reason, .. }) = n.iter().find(|n| matches!(n, GatewayNote::Fallback { .. }))
    else {
        panic!("{n:?}")
    };
    assert!(reason.contains("rate limited") && reason.contains("moves to anthropic"), "{reason}");
    assert!(!reason.contains("tried again"), "{reason}");
    // Every provider failing: the final failure says what went wrong, not that it is retried.
    server.set_faults(FaultPlan::cycle(1, vec![Fault::ServerError]));
    let fresh = self::db();
    let g = gateway(&cfg, &fresh);
    let f = g.call(request("spec", 2), &|_| {}).await.unwrap_err();
    // Each provider's calls keep their typed errors until the failure is shown.
    let CallFailure::GaveUp(given_up) = &f else { panic!("{f:?}") };
    assert!(!given_up.is_empty(), "{f:?}");
    assert!(given_up.iter().flat_map(|g| &g.errors).all(|e| e.class == ErrorClass::Server), "{f:?}");
    let f = f.to_string();
    assert!(f.contains("the provider failed") && !f.contains("tried again"), "{f}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_refusal_is_not_retried_and_falls_back_with_its_reason() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    server.set_faults(FaultPlan { script: vec![Fault::Quota], every: 0, cycle: Vec::new() });
    let db = db();
    let g = gateway(&config(&server), &db);
    let notes = Notes::default();
    let a = g.call(request("research", 1), &notes.sink()).await.unwrap();
    assert_eq!(a.provider, "anthropic");
    assert_eq!(server.requests(), 2, "no retry of a quota refusal");
    let n = notes.all();
    assert_eq!(n.len(), 1, "{n:?}");
    let GatewayNote::Fallback { from, to, reason } = &n[0] else { panic!("{n:?}") };
    assert_eq!((from.as_str(), to.as_str()), ("perplexity", "anthropic"));
    assert!(reason.contains("out of quota") && reason.contains("PPLX_KEY"), "{reason}");
    // The key rests: the next research call goes straight to the next candidate.
    let notes = Notes::default();
    g.call(request("research", 2), &notes.sink()).await.unwrap();
    assert_eq!(server.requests(), 3);
    let GatewayNote::Fallback { reason, .. } = &notes.all()[0] else { panic!() };
    assert!(reason.contains("every key is resting"), "{reason}");
    assert_eq!(stats(g.stats(), "perplexity").keys_ready, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_key_rests_while_the_other_key_serves() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    server.set_faults(FaultPlan {
        script: vec![Fault::RateLimited { retry_after: Duration::from_secs(30) }],
        every: 0,
        cycle: Vec::new(),
    });
    let db = db();
    let g = gateway(&config(&server), &db);
    let notes = Notes::default();
    let t = Instant::now();
    let a = g.call(request("build", 1), &notes.sink()).await.unwrap();
    assert!(t.elapsed() < Duration::from_secs(5), "the other key served at once");
    assert_eq!(a.provider, "openai");
    assert!(matches!(&notes.all()[0], GatewayNote::Retry { provider, attempt: 1, .. } if provider == "openai"));
    let seen = server.keys_seen();
    assert_eq!(
        seen.get("sk-test-openai-one-0001").copied().unwrap_or(0)
            + seen.get("sk-test-openai-two-0002").copied().unwrap_or(0),
        2
    );
    assert_eq!(seen.len(), 2, "both keys were used: {seen:?}");
    let s = stats(g.stats(), "openai");
    assert_eq!((s.keys_ready, s.keys_total), (1, 2));
    for run in 2..6 {
        g.call(request("build", run), &notes.sink()).await.unwrap();
    }
    assert_eq!(server.keys_seen().values().sum::<u64>(), 6, "the resting key stays unused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_hit_costs_nothing_is_counted_and_revisions_bypass_it() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    let db = db();
    let g = gateway(&config(&server), &db);
    let quiet = |_: GatewayNote| {};
    let first = g.call(request("spec", 1), &quiet).await.unwrap();
    assert!(!first.cached && first.cost_micros > 0);
    g.sync_writes();
    let mut other_task = request("spec", 1);
    other_task.task_id = "s-01.spec.r0#1".into();
    let hit = g.call(other_task, &quiet).await.unwrap();
    assert!(hit.cached && hit.reused, "paid for by another task");
    assert_eq!(hit.cost_micros, 0);
    assert_eq!(hit.response.text, first.response.text);
    assert_eq!(server.requests(), 1);
    // The task that paid, asking again, lost its first answer: its cost is recorded once.
    let recovered = g.call(request("spec", 1), &quiet).await.unwrap();
    assert!(recovered.cached && !recovered.reused);
    assert_eq!(recovered.cost_micros, first.cost_micros);
    let mut revision = request("spec", 1);
    revision.bypass_cache = true;
    let again = g.call(revision, &quiet).await.unwrap();
    assert!(!again.cached);
    assert_eq!(server.requests(), 2);
    let s = stats(g.stats(), "anthropic");
    assert_eq!((s.cache_hits, s.cache_misses), (2, 1));
    // The cache lives in the data directory: a new gateway over it hits too.
    g.sync_writes();
    let g2 = gateway(&config(&server), &db);
    let hit = g2.call(request("spec", 1), &quiet).await.unwrap();
    assert!(hit.cached);
    // A refused answer is dropped: the next call asks the provider again.
    g2.forget(&hit);
    g2.sync_writes();
    assert!(!g2.call(request("spec", 1), &quiet).await.unwrap().cached);
    assert_eq!(server.requests(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_off_answer_is_passed_on_priced_and_never_cached() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    server.set_faults(FaultPlan { script: vec![Fault::TokenLimit], every: 0, cycle: Vec::new() });
    let db = db();
    let g = gateway(&config(&server), &db);
    let notes = Notes::default();
    let cut = g.call(request("spec", 1), &notes.sink()).await.unwrap();
    assert!(cut.truncated() && cut.response.truncated);
    assert!(notes.all().is_empty(), "a cut-off answer is not a failure to retry: {:?}", notes.all());
    let reported = server.ledger().last().unwrap().clone();
    assert!(reported.truncated);
    assert_eq!(cut.response.usage, reported.billed);
    assert_eq!(Some(cut.cost_micros), g.prices().cost(&reported.model, &reported.billed), "it was paid for");
    assert!(cut.cost_micros > 0 && !cut.cached && cut.cache_key.is_none());
    g.sync_writes();
    // Asking again reaches the provider; the whole answer is cached as usual.
    let whole = g.call(request("spec", 1), &notes.sink()).await.unwrap();
    assert!(!whole.truncated() && !whole.cached && whole.cache_key.is_some());
    assert_eq!(server.requests(), 2);
    g.sync_writes();
    let hit = g.call(request("spec", 1), &notes.sink()).await.unwrap();
    assert!(hit.cached && !hit.truncated());
    assert_eq!(hit.response.text, whole.response.text);
    assert_eq!(server.requests(), 2);
    // Cut off below a threshold: a retry with a larger max_tokens is a new request, answered whole.
    server.set_faults(FaultPlan::cycle(1, vec![Fault::TokenLimitBelow(1000)]));
    let small = g.call(request("build", 2), &notes.sink()).await.unwrap();
    assert!(small.truncated() && !small.cached);
    g.sync_writes();
    let larger = CallRequest { max_tokens: 1600, ..request("build", 2) };
    let again = g.call(larger, &notes.sink()).await.unwrap();
    assert!(!again.truncated() && !again.cached);
    let s = stats(g.stats(), "anthropic");
    assert_eq!(s.cache_hits, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_circuit_opens_after_repeated_failures_and_a_probe_closes_it() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    server.set_faults(FaultPlan::cycle(1, vec![Fault::ServerError]));
    let db = db();
    let mut cfg = config(&server);
    cfg.retry.circuit_failures = 3;
    cfg.retry.circuit_open_ms = 300;
    cfg.retry.max_attempts = 2;
    cfg.routing.chains.insert("build".into(), vec!["openai".into()]);
    cfg.routing.chains.insert("spec".into(), vec!["openai".into(), "anthropic".into()]);
    let g = gateway(&cfg, &db);
    let notes = Notes::default();
    assert!(g.call(request("build", 1), &notes.sink()).await.is_err());
    assert!(g.call(request("build", 2), &notes.sink()).await.is_err());
    let opened = notes.all().iter().filter(|n| matches!(n, GatewayNote::CircuitOpened { .. })).count();
    assert_eq!(opened, 1);
    assert_eq!(stats(g.stats(), "openai").circuit, Some(Circuit::Open));
    // Not the last candidate: skipped at once while open.
    let before = server.requests();
    let notes = Notes::default();
    server.set_faults(FaultPlan::none());
    let a = g.call(request("spec", 3), &notes.sink()).await.unwrap();
    assert_eq!(a.provider, "anthropic");
    assert_eq!(server.requests(), before + 1);
    assert!(matches!(&notes.all()[0], GatewayNote::Fallback { reason, .. } if reason.contains("circuit")));
    // The last candidate waits for the half-open probe, which closes it.
    let a = g.call(request("build", 4), &notes.sink()).await.unwrap();
    assert_eq!(a.provider, "openai");
    assert_eq!(stats(g.stats(), "openai").circuit, Some(Circuit::Closed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_echoed_by_the_provider_never_reaches_a_message() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    server.set_faults(FaultPlan { script: vec![Fault::EchoKey, Fault::EchoKey], every: 0, cycle: Vec::new() });
    let db = db();
    let g = gateway(&config(&server), &db);
    let notes = Notes::default();
    let a = g.call(request("build", 1), &notes.sink()).await.unwrap();
    assert_eq!(a.provider, "anthropic", "both openai keys were refused");
    let text = format!("{:?}", notes.all());
    assert!(text.contains("[redacted]"), "{text}");
    for (_, v) in KEYS.iter().filter(|(_, v)| !v.is_empty()) {
        assert!(!text.contains(v), "{text}");
    }
    assert!(text.contains("OPENAI_KEY_1") || text.contains("OPENAI_KEY_2"), "the variable is named: {text}");
    let s = stats(g.stats(), "openai");
    assert_eq!(s.keys_ready, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_choose_by_price_and_by_learned_quality() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    let db = db();
    let mut cfg = config(&server);
    cfg.routing.policy = "cheapest".into();
    let g = gateway(&cfg, &db);
    let quiet = |_: GatewayNote| {};
    // spec's chain is anthropic then openai; gpt-4o-mini is the cheaper.
    assert_eq!(g.call(request("spec", 1), &quiet).await.unwrap().provider, "openai");
    cfg.routing.policy = "best_quality".into();
    let g = gateway(&cfg, &db);
    assert_eq!(g.call(request("spec", 2), &quiet).await.unwrap().provider, "anthropic", "equal scores: chain order");
    for _ in 0..3 {
        g.record_gate_feedback("anthropic", "spec", GateFeedback::Rejected);
    }
    g.record_output_quality("openai", "spec", 1.0);
    assert_eq!(g.call(request("spec", 3), &quiet).await.unwrap().provider, "openai");
    // Scores persist: a new gateway over the same data directory routes the same way.
    g.sync_writes();
    let g = gateway(&cfg, &db);
    assert_eq!(g.call(request("spec", 4), &quiet).await.unwrap().provider, "openai");
    cfg.routing.policy = "adaptive".into();
    cfg.routing.explore = 0.0;
    let g = gateway(&cfg, &db);
    assert_eq!(g.call(request("spec", 5), &quiet).await.unwrap().provider, "openai", "anthropic is below the floor");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulated_provider_stands_in_only_where_allowed() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    server.set_faults(FaultPlan::cycle(1, vec![Fault::Unauthorized]));
    let db = db();
    let mut cfg = config(&server);
    cfg.sim.latency_ms = 0;
    let g = gateway(&cfg, &db);
    let notes = Notes::default();
    let f = g.call(request("spec", 1), &notes.sink()).await.unwrap_err();
    let f = f.to_string();
    assert!(f.starts_with("openai: ") && f.contains("refused"), "{f}");
    assert!(!g.uses_simulated());
    cfg.routing.allow_simulated_fallback = true;
    let g = gateway(&cfg, &db);
    assert!(g.uses_simulated());
    let notes = Notes::default();
    let a = g.call(request("spec", 2), &notes.sink()).await.unwrap();
    assert!(a.simulated && a.provider == "sim");
    assert!(matches!(notes.all().last(), Some(GatewayNote::Fallback { to, .. }) if to == "sim"));
}

/// A provider of kind `sim` under another name is reached by that name in a chain, first
/// when it is first, and `sim` still names the simulated provider.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sim_provider_under_another_name_is_reachable_in_chains() {
    use crate::config::{ProviderConfig, ProviderKind};
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    let db = db();
    let mut cfg = config(&server);
    cfg.sim.latency_ms = 0;
    cfg.providers.insert("rehearsal".into(), ProviderConfig { kind: Some(ProviderKind::Sim), ..Default::default() });
    cfg.routing.chains.insert("spec".into(), vec!["rehearsal".into(), "openai".into()]);
    cfg.routing.chains.insert("research".into(), vec!["sim".into()]);
    let g = gateway(&cfg, &db);
    let a = g.call(request("spec", 1), &Notes::default().sink()).await.unwrap();
    assert!(a.simulated && a.provider == "rehearsal", "answered by {}", a.provider);
    let a = g.call(request("research", 2), &Notes::default().sink()).await.unwrap();
    assert!(a.simulated && a.provider == "rehearsal", "answered by {}", a.provider);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_json_has_every_field_the_issue_names() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    let db = db();
    let g = gateway(&config(&server), &db);
    let v = serde_json::to_value(g.stats()).unwrap();
    let names: Vec<&str> = v.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["anthropic", "openai", "perplexity", "sim"]);
    for field in "name kind model in_flight max_concurrent queued requests errors p50_ms p95_ms tokens_in tokens_out cost_micros cache_hits cache_misses circuit keys_ready keys_total".split(' ') {
        assert!(v[0].get(field).is_some(), "missing {field}");
    }
    assert_eq!(v[1]["keys_total"], 2);
    assert_eq!(v[1]["max_concurrent"], 10);
}

#[test]
fn a_provider_without_key_names_needs_no_key_and_one_with_unset_keys_is_skipped() {
    let mut p = Config::default().providers["openai"].clone();
    p.keys = Some(vec!["UNSET_KEY".into()]);
    assert!(unavailable_reason_with(&p, &env).unwrap().contains("UNSET_KEY"));
    p.keys = Some(Vec::new());
    assert_eq!(unavailable_reason_with(&p, &env), None, "a local server without keys");
    p.enabled = Some(false);
    assert!(unavailable_reason_with(&p, &env).is_some());
}
