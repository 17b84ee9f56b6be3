//! Cut-off answers are never taken as complete, for both wire formats, streamed and not:
//! an answer that stopped at the token limit is asked again once with twice the limit and
//! then written; cut off again, the task fails with the reason and writes nothing. Either
//! way the cut-off answer was paid for and is in the ledger.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::collections::HashMap;

use common::Factory;
use serde_json::Value;
use startup_factory::fake_server::{FakeOptions, FakeServer, Fault, FaultPlan};
use startup_factory::providers::Prices;

/// Before the first build task: research, founder fit, spec, architecture, the plan.
const CALLS_BEFORE_BUILD: usize = 5;

fn config(f: &Factory, server: &FakeServer, provider: &str, stream: bool) -> String {
    let extra = format!("stream = {stream}\n");
    let text = format!(
        "[retry]\nbase_delay_ms = 1\nmax_delay_ms = 20\n\n{}\n[routing.chains]\nresearch = [\"{provider}\"]\nbuild = [\"{provider}\"]\n\n{}",
        common::NO_CHECKS,
        common::fake_providers_toml(server, false, &extra)
    );
    f.write("providers.toml", &text).to_str().unwrap().to_string()
}

async fn run(f: &Factory, cfg: &str, args: &[&str]) -> common::Run {
    let mut cmd = f.cmd(&["--config", cfg]);
    cmd.args(args)
        .env("OPENAI_API_KEY", "sk-test-openai")
        .env("ANTHROPIC_API_KEY", "sk-ant-test")
        .env("PERPLEXITY_API_KEY", "pplx-test");
    tokio::task::spawn_blocking(move || cmd.output().expect("the factory binary runs").into()).await.unwrap()
}

/// The first build call is cut off (and, with `twice`, the next one too); no other is.
fn faults(twice: bool) -> FaultPlan {
    // `TokenLimitBelow(0)` never cuts: it lets the calls before the build through.
    let mut script = vec![Fault::TokenLimitBelow(0); CALLS_BEFORE_BUILD];
    script.push(Fault::TokenLimit);
    if twice {
        script.push(Fault::TokenLimit);
    }
    FaultPlan { script, every: 0, cycle: Vec::new() }
}

fn events(stdout: &str) -> Vec<Value> {
    stdout.lines().filter(|l| l.starts_with('{')).filter_map(|l| serde_json::from_str(l).ok()).collect()
}

async fn one_case(provider: &str, stream: bool) {
    let case = format!("{provider}, stream = {stream}");
    // Cut off once: asked again with a larger limit, and the run completes.
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    server.set_faults(faults(false));
    let f = Factory::new();
    let cfg = config(&f, &server, provider, stream);
    run(&f, &cfg, &["new", "--name", "Ledgerly", "--idea", "Invoices"]).await.ok();
    let out = run(&f, &cfg, &["run", "--headless", "--json", "--auto-approve", "--exit-when-idle"]).await.ok();
    let ev = events(&out.stdout);
    let refused: Vec<&Value> = ev.iter().filter(|e| e["kind"] == "answer_refused").collect();
    assert_eq!(refused.len(), 1, "{case}: {refused:?}");
    assert_eq!(refused[0]["task"], "s-01.build.data-models", "{case}");
    assert_eq!(refused[0]["retry"], true);
    assert!(refused[0]["reason"].as_str().unwrap().contains("token limit"), "{case}: {}", refused[0]);
    let ledger = server.ledger();
    let cut: Vec<_> = ledger.iter().filter(|r| r.truncated).collect();
    assert_eq!(cut.len(), 1, "{case}: the fake server cut one answer off");
    let asked: Vec<u64> = ledger.iter().filter_map(|r| r.max_tokens).collect();
    assert!(asked.contains(&2500) && asked.contains(&5000), "{case}: asked again with twice the limit: {asked:?}");
    let status = f.run(&["--config", &cfg, "status", "--json"]).ok().json();
    let first = common::Factory::startup(&status, "s-01");
    assert_eq!(first["status"], "completed", "{case}: {first}");
    // The cut-off answer was paid for: the run's cost is every billed call, priced.
    let prices = Prices::builtin();
    let mut expected: HashMap<String, u64> = HashMap::new();
    for r in &ledger {
        *expected.entry(r.run.clone().unwrap()).or_default() += prices.cost(&r.model, &r.billed).unwrap();
    }
    assert_eq!(first["cost_micros"].as_u64().unwrap(), expected["s-01"], "{case}");

    // Cut off twice: the task fails with the reason, and its files are not written.
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    server.set_faults(faults(true));
    let f = Factory::new();
    let cfg = config(&f, &server, provider, stream);
    run(&f, &cfg, &["new", "--name", "Ledgerly", "--idea", "Invoices"]).await.ok();
    let out = run(&f, &cfg, &["run", "--headless", "--json", "--auto-approve", "--exit-when-idle"]).await;
    assert_eq!(out.code, 1, "{case}: a failed run makes --exit-when-idle exit 1");
    let status = f.run(&["--config", &cfg, "status", "--json"]).ok().json();
    let second = common::Factory::startup(&status, "s-01");
    assert_eq!(second["status"], "failed", "{case}: {second}");
    assert!(second["failure"].as_str().unwrap().contains("token limit"), "{case}: {second}");
    let ws = std::path::Path::new(second["workspace"].as_str().unwrap());
    assert!(!ws.join("app/backend/app/models.py").exists(), "{case}: a cut-off answer writes nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_answers_cut_off_are_asked_again_then_refused() {
    one_case("openai", true).await;
    one_case("openai", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_answers_cut_off_are_asked_again_then_refused() {
    one_case("anthropic", true).await;
    one_case("anthropic", false).await;
}
