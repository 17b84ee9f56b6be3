//! A thousand runs at once: the demo the issue names completes every one of them.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use common::Factory;

#[test]
fn a_thousand_concurrent_runs_complete() {
    let f = Factory::new();
    f.run(&[
        "demo",
        "--startups",
        "1000",
        "--headless",
        "--auto-approve",
        "--exit-when-idle",
        "--sim-latency-ms",
        "0",
        "--quiet",
    ])
    .ok();
    let status = f.status();
    let runs = status["startups"].as_array().unwrap();
    assert_eq!(runs.len(), 1000);
    let done = runs.iter().filter(|r| r["status"] == "completed").count();
    assert_eq!(done, 1000, "every run completed");
}
