//! Chaos: fifty runs against the fake provider server while a third of its answers misbehave
//! in every way it knows. Every run completes or fails with a recorded reason, nothing
//! panics, and every run's cost is exactly what the server billed times the price table.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::Factory;
use startup_factory::fake_server::{FakeOptions, FakeServer, Fault, FaultPlan};
use startup_factory::providers::Prices;

fn config(f: &Factory, server: &FakeServer) -> String {
    let text = format!(
        "[retry]\nbase_delay_ms = 1\nmax_delay_ms = 20\n\n[factory]\nmax_concurrent_calls = 24\n\n{}\n{}",
        common::NO_CHECKS,
        common::fake_providers_toml(server, true, "rpm = 100000\n")
    );
    f.write("chaos.toml", &text).to_str().unwrap().to_string()
}

async fn run(f: &Factory, cfg: &str, args: &[&str]) -> common::Run {
    let mut cmd = f.cmd(&["--config", cfg]);
    cmd.args(args)
        .env("OPENAI_API_KEY", "sk-chaos-one")
        .env("OPENAI_API_KEY_2", "sk-chaos-two")
        .env("ANTHROPIC_API_KEY", "sk-ant-chaos-one")
        .env("ANTHROPIC_API_KEY_2", "sk-ant-chaos-two")
        .env("PERPLEXITY_API_KEY", "pplx-chaos");
    tokio::task::spawn_blocking(move || cmd.output().expect("the factory binary runs").into()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_runs_through_thirty_percent_faults_end_well_or_say_why_and_cost_exactly() {
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    // The refusals that last (a quota, a key refused, a key echoed back) come first, once
    // each; then every third request misbehaves, in turn through every other kind of fault
    // the server knows.
    server.set_faults(FaultPlan {
        script: vec![Fault::Quota, Fault::Unauthorized, Fault::EchoKey],
        every: 3,
        cycle: Fault::all(),
    });
    let f = Factory::new();
    let cfg = config(&f, &server);
    for k in 0..50 {
        run(&f, &cfg, &["new", "--name", &format!("Chaos {k}"), "--idea", "Survive a bad day"]).await.ok();
    }
    let out = tokio::time::timeout(
        Duration::from_secs(600),
        run(&f, &cfg, &["run", "--headless", "--quiet", "--auto-approve", "--exit-when-idle"]),
    )
    .await
    .expect("the runs end");
    assert!(out.code == 0 || out.code == 1, "exit {}: {}", out.code, out.stderr);
    for bad in ["panicked", "internal error", "RUST_BACKTRACE"] {
        assert!(!out.stderr.contains(bad), "{bad}: {}", out.stderr);
    }
    let status = f.status();
    let summary: Vec<String> = status["startups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {} {} {}", r["id"], r["status"], r["phase"], r["failure"]))
        .collect();
    assert!(server.requests() > 50 * 15, "{} requests; {}\n{}", server.requests(), out.stderr, summary.join("\n"));

    let prices = Prices::builtin();
    let mut billed: HashMap<String, u64> = HashMap::new();
    // Runs with a stream cut midway: the factory charges its input as estimated spend.
    let mut cut: std::collections::HashSet<String> = Default::default();
    for r in server.ledger() {
        let run = r.run.expect("every prompt names its run");
        if r.cut {
            cut.insert(run);
            continue;
        }
        let cost = prices.cost(&r.model, &r.billed).unwrap_or_else(|| panic!("{} is priced", r.model));
        *billed.entry(run).or_default() += cost;
    }
    let status = f.status();
    let runs = status["startups"].as_array().unwrap();
    assert_eq!(runs.len(), 50);
    let mut completed = 0;
    for r in runs {
        let id = r["id"].as_str().unwrap();
        match r["status"].as_str().unwrap() {
            "completed" => completed += 1,
            "failed" => {
                let why = r["failure"].as_str().unwrap_or("");
                assert!(why.len() > 20 && why.contains(id), "{id} failed without a clear reason: {why:?}");
            }
            other => panic!("{id} ended {other}"),
        }
        let (cost, exact) = (r["cost_micros"].as_u64().unwrap(), billed.get(id).copied().unwrap_or(0));
        if cut.contains(id) {
            assert!(cost > exact && r["estimated"] == true, "{id}: a cut stream's input is estimated spend: {r}");
        } else {
            assert_eq!(cost, exact, "{id}: cost = billed x prices");
        }
    }
    eprintln!("chaos: {completed} of 50 runs completed, {} requests served", server.requests());
    assert!(completed >= 40, "most runs get through retries and fallbacks: {completed} of 50");
}
