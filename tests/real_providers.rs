//! The real binary against the loopback fake provider server: full runs through 429s,
//! 529s, 500s, HTML pages, cut streams, malformed JSON and errors inside streams, with
//! retries and fallbacks as events, and every run's recorded cost equal to the usage the
//! server reported times the price table, to the micro-dollar. Keys never leave memory.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use common::Factory;
use serde_json::Value;
use startup_factory::fake_server::{FakeOptions, FakeServer, Fault, FaultPlan};
use startup_factory::providers::Prices;

const KEY_1: &str = "sk-MARKER-openai-7f3a9c1e5b";
const KEY_2: &str = "sk-MARKER-openai-second-42d8";
const ANTHROPIC_KEY: &str = "sk-ant-MARKER-anthropic-c0ffee";
const PPLX_KEY: &str = "pplx-MARKER-perplexity-beef01";
const MARKER: &str = "MARKER";

fn config(f: &Factory, server: &FakeServer) -> String {
    let text = format!(
        "[retry]\nbase_delay_ms = 1\nmax_delay_ms = 20\n\n{}\n{}",
        common::NO_CHECKS,
        common::fake_providers_toml(server, false, "")
    );
    f.write("providers.toml", &text).to_str().unwrap().to_string()
}

/// Runs the binary off the async runtime, so that the fake server keeps serving.
async fn run(f: &Factory, config: &str, args: &[&str]) -> common::Run {
    let mut cmd = f.cmd(&["--config", config]);
    cmd.args(args)
        .env("OPENAI_API_KEY", KEY_1)
        .env("OPENAI_API_KEY_2", KEY_2)
        .env("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
        .env("PERPLEXITY_API_KEY", PPLX_KEY)
        .env("FACTORY_LOG", "debug");
    tokio::task::spawn_blocking(move || cmd.output().expect("the factory binary runs").into()).await.unwrap()
}

fn events(stdout: &str) -> Vec<Value> {
    stdout.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Every file under `dir` that holds `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p)
                && bytes.windows(needle.len()).any(|w| w == needle)
            {
                hits.push(p.display().to_string());
            }
        }
    }
    hits
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_runs_complete_through_faults_and_cost_exactly_the_reported_usage() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    // The first request (a research call to Perplexity) is refused for quota: Perplexity's
    // only key rests and research falls back. Then every third request misbehaves.
    server.set_faults(FaultPlan {
        script: vec![Fault::Quota],
        every: 3,
        cycle: vec![
            Fault::RateLimited { retry_after: Duration::from_millis(30) },
            Fault::Overloaded,
            Fault::ServerError,
            Fault::HtmlPage,
            Fault::CutStream,
            Fault::MalformedJson,
            Fault::ErrorInStream,
            Fault::SlowFirstByte(Duration::from_millis(100)),
        ],
    });
    let f = Factory::new();
    let cfg = config(&f, &server);
    for (name, idea) in [("Ledgerly", "Invoices for freelancers"), ("Brandly", "Brand kits"), ("Shiftly", "Rotas")] {
        run(&f, &cfg, &["new", "--name", name, "--idea", idea]).await.ok();
    }
    let out = run(&f, &cfg, &["run", "--headless", "--json", "--auto-approve", "--exit-when-idle"]).await.ok();
    assert!(!out.stderr.contains("internal error") && !out.stderr.contains("panic"), "{}", out.stderr);
    let events = events(&out.stdout);
    let kinds = |k: &str| events.iter().filter(|e| e["kind"] == k).collect::<Vec<_>>();
    assert!(kinds("task_retry").len() >= 10, "retries are events: {}", kinds("task_retry").len());
    let fallbacks = kinds("provider_fallback");
    assert!(
        fallbacks.iter().any(|e| e["from"] == "perplexity" && e["to"] == "anthropic"),
        "the research fallback is an event: {fallbacks:?}"
    );
    assert!(fallbacks.iter().all(|e| !e["reason"].as_str().unwrap().is_empty()));
    assert!(kinds("task_failed").is_empty(), "{:?}", kinds("task_failed"));

    let status = f.run(&["status", "--json"]).ok().json();
    let prices = Prices::builtin();
    let ledger = server.ledger();
    let mut expected: HashMap<String, u64> = HashMap::new();
    // A stream cut midway is charged as estimated input, apart from the exact ledger.
    let cut: std::collections::HashSet<String> =
        ledger.iter().filter(|r| r.cut).filter_map(|r| r.run.clone()).collect();
    for r in ledger.iter().filter(|r| !r.cut) {
        let cost = prices.cost(&r.model, &r.billed).unwrap_or_else(|| panic!("{} is priced", r.model));
        *expected.entry(r.run.clone().expect("every prompt names its run")).or_default() += cost;
    }
    let runs = status["startups"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    for r in runs {
        let id = r["id"].as_str().unwrap();
        assert_eq!(r["status"], "completed", "{r}");
        assert_eq!(r["simulated"], false);
        assert_eq!(r["unpriced"], false);
        let cost = r["cost_micros"].as_u64().unwrap();
        if cut.contains(id) {
            assert!(
                cost > expected[id] && r["estimated"] == true,
                "{id}: a cut stream's input is estimated spend: {r}"
            );
        } else {
            assert_eq!(cost, expected[id], "{id}: recorded cost = reported usage x prices");
            assert_eq!(r["estimated"], false);
        }
        let ws = Path::new(r["workspace"].as_str().unwrap());
        let research = std::fs::read_to_string(ws.join("docs/research.md")).unwrap();
        assert!(research.contains("not simulated") && research.contains("## Market size"), "{research}");
    }
    let providers = run(&f, &cfg, &["providers", "--json"]).await.ok().json();
    let names: Vec<&str> =
        providers["providers"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["anthropic", "openai", "perplexity", "sim"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn perplexity_citations_reach_the_research_artifact() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    let f = Factory::new();
    let cfg = config(&f, &server);
    run(&f, &cfg, &["new", "--name", "Citely", "--idea", "Sources"]).await.ok();
    run(&f, &cfg, &["run", "--headless", "--quiet", "--exit-when-idle"]).await.ok();
    let status = f.run(&["status", "--json"]).ok().json();
    let ws = Path::new(status["startups"][0]["workspace"].as_str().unwrap()).to_path_buf();
    let research = std::fs::read_to_string(ws.join("docs/research.md")).unwrap();
    assert!(research.contains("provider `perplexity`"), "{research}");
    assert!(research.contains("## Sources cited by the provider"));
    assert!(research.contains("1. https://example.com/market-report"));
    assert_eq!(status["startups"][0]["gate"], "s-01.G0.0", "then it waits for a person");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_never_reach_the_data_dir_logs_exports_or_the_screen() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    // A careless provider quotes the key it was sent (refusing Perplexity's and then
    // Anthropic's only key), and rate limits now and then.
    server.set_faults(common::key_echoing_faults());
    let f = Factory::new();
    let cfg = config(&f, &server);
    let mut screen = String::new();
    // The demo (simulated) with every key set, then a real run through the fake server.
    for args in [
        vec![
            "demo",
            "--headless",
            "--json",
            "--auto-approve",
            "--exit-when-idle",
            "--startups",
            "2",
            "--sim-latency-ms",
            "0",
        ],
        vec!["new", "--name", "Keyless", "--idea", "Never leak"],
        vec!["run", "--headless", "--json", "--auto-approve", "--exit-when-idle"],
        vec!["status", "--json"],
        vec!["status", "s-03"],
        vec!["providers", "--json"],
        vec!["providers"],
        vec!["alerts", "--json"],
        vec!["gates", "--all", "--json"],
        vec!["export", "s-03", "--format", "json"],
        vec!["export", "s-03", "--format", "md"],
        vec!["doctor"],
        vec!["config", "check"],
    ] {
        let out = run(&f, &cfg, &args).await;
        screen.push_str(&out.stdout);
        screen.push_str(&out.stderr);
    }
    assert!(screen.contains("completed"), "the real run finished");
    assert!(screen.contains("OPENAI_API_KEY set"), "doctor names the variables");
    assert!(server.keys_seen().contains_key(KEY_1), "the keys were really sent");
    for key in [KEY_1, KEY_2, ANTHROPIC_KEY, PPLX_KEY, MARKER] {
        assert!(!screen.contains(key), "{key} reached the screen");
        let hits = files_containing(&f.data_dir(), key.as_bytes());
        assert!(hits.is_empty(), "{key} is in {hits:?}");
    }
    assert!(f.data_dir().join("logs").read_dir().unwrap().next().is_some(), "logs were written and searched");
}

/// Keys set, but no provider answers: `doctor` says so on standard error and exits 1. It
/// reports the free disk against `store.min_free_mb` too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_exits_1_when_no_usable_provider_answers_and_reports_the_free_disk() {
    let f = Factory::new();
    let down = "http://127.0.0.1:9";
    let text = format!(
        "{}\n[store]\nmin_free_mb = 1000000000\n\n[providers.openai]\nbase_url = \"{down}/v1\"\n\n\
         [providers.anthropic]\nbase_url = \"{down}\"\n\n[providers.perplexity]\nbase_url = \"{down}\"\n",
        common::NO_CHECKS
    );
    let cfg = f.write("down.toml", &text).to_str().unwrap().to_string();
    let out = run(&f, &cfg, &["doctor"]).await;
    assert_eq!(out.code, 1, "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("no usable provider answers"), "{}", out.stderr);
    assert_eq!(out.stderr.trim().lines().count(), 1, "one sentence: {}", out.stderr);
    assert!(out.stdout.contains("does not answer"), "{}", out.stdout);
    assert!(out.stdout.contains("below store.min_free_mb (1000000000 MB)"), "{}", out.stdout);
    assert!(out.stdout.contains("which its provider bills"), "doctor says what a probe costs: {}", out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_says_which_keys_are_set_and_which_providers_answer() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    let f = Factory::new();
    let cfg = config(&f, &server);
    let out = run(&f, &cfg, &["doctor"]).await.ok().stdout;
    for line in ["OPENAI_API_KEY set", "OPENAI_API_KEY_2 set", "ANTHROPIC_API_KEY set", "PERPLEXITY_API_KEY set"] {
        assert!(out.contains(line), "{line}:\n{out}");
    }
    let line = |name: &str| out.lines().find(|l| l.trim_start().starts_with(name)).unwrap().to_string();
    assert!(line("openai").contains("answers: models endpoint"), "{out}");
    assert!(line("anthropic").contains("answers: models endpoint"), "{out}");
    assert!(line("perplexity").contains("answers: a minimal call"), "{out}");
    assert!(out.contains("colours:") && out.contains("Data directory:"), "{out}");
    assert!(out.contains("free space: ") && out.contains("store.min_free_mb"), "{out}");
    assert!(line("perplexity").contains("billed by the provider"), "{out}");
    let missing = f.run(&["doctor"]).ok().stdout;
    assert!(missing.contains("OPENAI_API_KEY not set") && missing.contains("not used: none of its key variables"));
}
