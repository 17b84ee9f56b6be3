//! `kill -9` in the middle of a demo, again and again: every run resumes and ends with the
//! same ledger (tokens and micro-dollars per run) as a demo never interrupted.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{Factory, ledger};

fn demo_args(latency: &str) -> Vec<&str> {
    vec![
        "demo",
        "--headless",
        "--exit-when-idle",
        "--auto-approve",
        "--quiet",
        "--seed",
        "7",
        "--startups",
        "4",
        "--sim-failure-rate",
        "0.2",
        "--sim-latency-ms",
        latency,
    ]
}

#[test]
fn killed_and_resumed_runs_end_with_the_uninterrupted_ledger() {
    let calm = Factory::new();
    calm.run(&demo_args("0")).ok();
    let expected = ledger(&calm.status());
    assert!(expected.iter().all(|r| r.1 == "completed"), "{expected:?}");

    let rough = Factory::new();
    let mut kills = 0;
    for round in 0..40 {
        let mut child = rough.cmd(&demo_args("15")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        if round < 6 {
            // Different moments each round: early, mid-phase, mid-build.
            std::thread::sleep(Duration::from_millis(150 + 170 * round as u64));
            if child.try_wait().unwrap().is_none() {
                // SIGKILL: no chance to flush or clean up.
                child.kill().unwrap();
                kills += 1;
            }
        }
        let status = child.wait().unwrap();
        if round >= 6 {
            assert!(status.success(), "the final, uninterrupted round ends cleanly");
            break;
        }
    }
    assert!(kills >= 3, "the demo was killed mid-run at least three times ({kills})");
    let got = ledger(&rough.status());
    assert_eq!(got, expected);

    // No task was paid for twice: each done task's recorded calls add up to the run's.
    for (id, _, cost, _, _, calls) in &got {
        let detail = rough.run(&["status", id, "--json"]).ok().json();
        let (mut c, mut n) = (0, 0);
        for t in detail["tasks"].as_array().unwrap() {
            c += t["result"]["ledger"]["cost_micros"].as_u64().unwrap_or(0);
            n += t["result"]["ledger"]["calls"].as_u64().unwrap_or(0);
        }
        assert_eq!((c, n), (*cost, *calls), "{id}");
    }
}
