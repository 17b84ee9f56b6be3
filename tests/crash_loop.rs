//! The crash loop: a 20-run demo with latency, SIGKILLed at 30 seeded random moments (some in
//! the middle of a write) while a reviewer approves gates through it, restarted each time.
//! At the end: every run complete, no task done twice, every acknowledged decision there,
//! and the ledger of a demo that was never interrupted.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::collections::{HashMap, HashSet};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{Factory, ledger};
use serde_json::Value;
use startup_factory::providers::rng::Rng;

const RUNS: &str = "20";

fn owner(f: &Factory) -> Child {
    f.cmd(&[
        "--reviewer",
        "tester",
        "demo",
        "--headless",
        "--quiet",
        "--seed",
        "11",
        "--startups",
        RUNS,
        "--sim-latency-ms",
        "4",
        "--sim-failure-rate",
        "0.1",
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap()
}

fn wait_for_socket(f: &Factory, child: &mut Child) -> bool {
    let sock = startup_factory::socket::socket_path(&f.data_dir());
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::os::unix::net::UnixStream::connect(&sock).is_ok() {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the owner never served its socket");
}

/// Approves every pending gate through the owner (or the data dir, if none runs); returns
/// the gates whose approval was acknowledged (exit 0).
fn approve_pending(f: &Factory) -> Vec<String> {
    let mut acked = Vec::new();
    let out = f.run(&["gates", "--json"]);
    if out.code != 0 {
        return acked;
    }
    let Ok(gates) = serde_json::from_str::<Value>(&out.stdout) else { return acked };
    for g in gates["gates"].as_array().into_iter().flatten() {
        let id = g["id"].as_str().unwrap().to_string();
        if g["code"] == "budget" {
            continue;
        }
        if f.run(&["--reviewer", "tester", "approve", &id]).code == 0 {
            acked.push(id);
        }
    }
    acked
}

fn statuses(f: &Factory) -> Vec<String> {
    let s = f.status();
    s["startups"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap().to_string()).collect()
}

/// Drives a demo to completion: owner runs, the reviewer approves whatever waits; with
/// `kills`, the owner is SIGKILLed at seeded random moments that many times first.
fn drive(f: &Factory, kills: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let mut acked = Vec::new();
    let mut killed = 0;
    for _round in 0..400 {
        let mut child = owner(f);
        let served = wait_for_socket(f, &mut child);
        if killed < kills && served {
            // A random moment: sometimes at once (mid-start, mid-write), sometimes later.
            let until = Instant::now() + Duration::from_millis(rng.range(0, 400));
            while Instant::now() < until {
                acked.extend(approve_pending(f));
            }
            child.kill().unwrap();
            child.wait().unwrap();
            killed += 1;
            continue;
        }
        // Uninterrupted from here: approve until every run is done.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            acked.extend(approve_pending(f));
            if statuses(f).iter().all(|s| s == "completed") {
                break;
            }
            assert!(Instant::now() < deadline, "the demo did not complete: {:?}", statuses(f));
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        break;
    }
    assert_eq!(killed, kills, "the owner was killed {killed} times");
    acked
}

#[test]
fn thirty_sigkills_lose_nothing_and_pay_nothing_twice() {
    let calm = Factory::new();
    drive(&calm, 0, 1);
    let expected = ledger(&calm.status());

    let rough = Factory::new();
    let acked = drive(&rough, 30, 2026);
    assert!(statuses(&rough).iter().all(|s| s == "completed"), "{:?}", statuses(&rough));

    // Every acknowledged approval is on disk, as approved by the reviewer.
    let all = rough.run(&["gates", "--all", "--json"]).ok().json();
    let decided: HashMap<String, (String, String)> = all["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_str().unwrap().to_string(),
                (g["status"].as_str().unwrap().to_string(), g["decided_by"].as_str().unwrap_or("").to_string()),
            )
        })
        .collect();
    // 20 runs x 4 gates, less those the demo's runs pass by their own policies (about a quarter).
    assert!(acked.len() >= 50, "gates approved by the reviewer: {}", acked.len());
    for id in &acked {
        assert_eq!(decided[id], ("approved".to_string(), "tester".to_string()), "{id}");
    }

    // No task was done (paid for) twice: one task_done event per task and try in the log.
    let events = rough.run(&["events", "--json", "--limit", "1000000"]).ok().stdout;
    let mut done = HashSet::new();
    for line in events.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        if e["kind"] == "task_done" {
            let task = format!("{} try {}", e["task"].as_str().unwrap(), e["attempt"]);
            assert!(done.insert(task.clone()), "{task} was done twice");
        }
    }
    // Phases, plan, team and checks: about 15 a run, fewer for the smaller templates' plans.
    assert!(done.len() >= 20 * 12, "{} tasks done", done.len());

    // And the money: the same ledger as the uninterrupted demo.
    assert_eq!(ledger(&rough.status()), expected);
}
