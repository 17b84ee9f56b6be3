//! `factory bench`: the gateway scenario runs end to end (a quick, light run: its figures
//! are checked for shape and errors, never for speed) and unknown scenarios are refused.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use common::Factory;
use startup_factory::fake_server::{FakeOptions, FakeServer};

/// The fields every paired part of the gateway report carries, checked for sense.
fn check_pairs(v: &serde_json::Value, part: &str, streamed: bool, pairs: u64) {
    let p = &v[part];
    assert_eq!(p["streamed"], streamed, "{part}: {p}");
    assert_eq!(p["pairs"], pairs, "{part}: {p}");
    assert_eq!((p["errors_bare"].as_u64(), p["errors_layer"].as_u64()), (Some(0), Some(0)), "{part}: {p}");
    for side in ["bare", "layer"] {
        assert_eq!(p[side]["n"], pairs, "{part}.{side}: {p}");
        assert!(p[side]["p50_us"].as_u64().is_some_and(|us| us > 0), "{part}.{side}: {p}");
    }
    for spread in ["added", "cpu_bare", "cpu_layer", "cpu_added_on_thread"] {
        for k in ["p50_us", "p99_us", "mean_us"] {
            assert!(p[spread].get(k).is_some(), "{part}.{spread}.{k}: {p}");
        }
    }
    assert!(p["cpu_layer"]["p50_us"].as_i64().is_some_and(|us| us > 0), "{part}: the gateway spent CPU: {p}");
    assert!(p["cpu_off_thread_us_per_call"].as_f64().is_some_and(|us| us >= 0.0), "{part}: {p}");
    assert!(p["cpu_added_us_per_call"].is_f64(), "{part}: {p}");
    assert!(p["bytes_per_answer"].as_u64().is_some_and(|b| b > 100), "{part}: {p}");
    assert!(p["reads_per_answer"].as_f64().is_some_and(|r| r >= 1.0), "{part}: {p}");
}

#[test]
fn the_gateway_benchmark_runs_and_reports_every_part() {
    let f = Factory::new();
    let out = f.run(&["bench", "gateway", "--quick", "--json"]).ok();
    let v = out.json();
    assert_eq!(v["scenario"], "gateway");
    assert_eq!(v["server"]["own"], true);
    check_pairs(&v, "streamed", true, 100);
    check_pairs(&v, "non_streamed", false, 100);
    assert_eq!(v["open_loop"]["layer"]["errors"], 0, "{v}");
    assert_eq!(v["open_loop"]["bare"]["errors"], 0, "{v}");
    assert_eq!(v["open_loop"]["added"]["n"], v["open_loop"]["layer"]["n"], "{v}");
    assert_eq!(v["burst"]["errors"], 0);
    assert_eq!(v["burst"]["ok"], v["burst"]["launched"]);
    assert!(v["burst"]["peak_in_flight_at_server"].as_u64().unwrap() > 1, "calls overlapped");
    for k in ["added_cpu_us_per_call_streamed", "added_cpu_us_per_call_non_streamed", "added_cpu_within_50us"] {
        assert!(v["verdict"].get(k).is_some(), "verdict.{k}: {v}");
    }
    assert!(v["verdict"]["added_p99_within_1ms_under_load"].is_boolean(), "{v}");
    let text = f.run(&["bench", "gateway", "--quick"]).ok().stdout;
    assert!(text.starts_with("gateway"), "{text}");
    for part in
        ["Streamed (100 pairs", "Not streamed (one JSON body) (100 pairs", "added CPU per call", "Under load", "Burst"]
    {
        assert!(text.contains(part), "no `{part}` in {text}");
    }
}

/// `--server-url`: the bench measures a server running in another process (here a fake
/// OpenAI-compatible server on this test's own thread and runtime), pairs included, and
/// skips the parts that need its own paced server.
#[test]
fn the_gateway_benchmark_measures_a_server_given_by_url() {
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let opts = FakeOptions { chunks: 5, ledger: false, ..FakeOptions::default() };
            let server = FakeServer::start(opts).await.unwrap();
            tx.send(server.openai_url()).unwrap();
            let _ = stopped.await;
            server.requests()
        })
    });
    let url = rx.recv().unwrap();
    let f = Factory::new();
    let out = f.run(&["bench", "gateway", "--quick", "--json", "--server-url", &url, "--model", "gpt-4o"]).ok();
    stop.send(()).unwrap();
    let asked = thread.join().unwrap();
    let v = out.json();
    assert_eq!(v["server"]["url"], url.as_str(), "{v}");
    assert_eq!((v["server"]["own"].as_bool(), v["model"].as_str()), (Some(false), Some("gpt-4o")), "{v}");
    check_pairs(&v, "streamed", true, 100);
    check_pairs(&v, "non_streamed", false, 100);
    assert!(v["open_loop"].is_null() && v["burst"].is_null(), "{v}");
    assert!(v["verdict"]["added_cpu_within_50us"].is_boolean(), "{v}");
    // Both paths of every pair, warm-up included, streamed and not, reached this server.
    assert_eq!(asked, 2 * 2 * 110, "the server given saw {asked} requests");

    let refused = f.run(&["bench", "gateway", "--quick", "--server-url", "http://192.0.2.1:8000/v1"]);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("must be an http(s) address on this machine"), "{}", refused.stderr);
    let refused = f.run(&["bench", "store", "--server-url", &url]);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("gateway scenario only"), "{}", refused.stderr);
}

#[test]
fn unknown_scenarios_are_usage_errors() {
    let f = Factory::new();
    let out = f.run(&["bench", "warp-speed"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no benchmark scenario `warp-speed`"), "{}", out.stderr);
    assert!(out.stderr.contains("orchestrator") && out.stderr.contains("render"), "{}", out.stderr);
}

/// Every scenario in its quick mode: it runs and its JSON has the figures it promises
/// (never checked for speed: CI machines vary).
#[test]
fn every_scenario_runs_quickly_with_well_formed_output() {
    let f = Factory::new();
    let cases: [(&str, &[&str]); 7] = [
        (
            "orchestrator",
            &[
                "passes",
                "tasks_per_second_min",
                "tasks_per_second_median",
                "tasks_per_second_max",
                "all_completed",
                "peak_rss_mib",
            ],
        ),
        ("render", &["frame_p50_us", "key_to_frame_p50_us", "key_to_screen", "idle_bytes_10s", "browser", "stats"]),
        ("startup", &["first_frame_p50_ms", "spawn_to_frame_p50_ms", "cache", "events", "runs"]),
        ("store", &["events_per_second", "decision_p50_us", "decision_p99_us"]),
        ("fairness", &["jain_index", "shares", "through_the_orchestrator"]),
        (
            "routing",
            &[
                "adaptive",
                "preferred",
                "best_fixed",
                "saving_vs_preferred",
                "regret_cost_micros",
                "regret_quality_points",
            ],
        ),
        ("attach", &["event_p50_us", "snapshot_p50_us", "idle_cpu_percent_of_one_core"]),
    ];
    for (scenario, keys) in cases {
        let v = f.run(&["bench", scenario, "--quick", "--json"]).ok().json();
        for k in keys {
            assert!(v.get(*k).is_some(), "{scenario}: no `{k}` in {v}");
        }
        let text = f.run(&["bench", scenario, "--quick"]).ok().stdout;
        assert!(text.starts_with(scenario), "{scenario}: {text}");
        if scenario == "render" {
            // Keys went into the real binary's terminal, and frames came out.
            assert!(v["key_to_screen"]["p50_us"].as_u64().is_some_and(|us| us > 0), "{v}");
            assert_eq!(v["key_to_screen"]["keys"], 10, "{v}");
            assert!(v["key_to_screen"]["idle_bytes"].is_u64() && v["key_to_screen"]["idle_seconds"] == 3.0, "{v}");
        }
        if scenario == "fairness" {
            let live = &v["through_the_orchestrator"];
            assert!(live["contested_calls"].as_u64().is_some_and(|n| n > 0), "{v}");
            assert!(live["jain_index"].as_f64().is_some_and(|j| j > 0.0 && j <= 1.0), "{v}");
        }
        if scenario == "orchestrator" {
            let pass = &v["passes"][0];
            for k in ["tasks_per_second", "runs_per_second", "sched_delay_p50_us", "sched_delay_p99_us"] {
                assert!(pass.get(k).is_some(), "no `{k}` in {pass}");
            }
            assert_eq!(v["all_completed"], true, "{v}");
            // A new process opened the store the pass left and drew its first frame.
            assert!(pass["first_frame_after_restart_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{v}");
        }
        if scenario == "startup" {
            // Each open is a new process: it reports a figure of its own, on cold files here.
            assert!(v["spawn_to_frame_p50_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{v}");
            assert!(["cold", "warm"].contains(&v["cache"].as_str().unwrap_or("")), "{v}");
        }
    }
}

/// `--runs` and `--repeat` shape the orchestrator scenario: every pass is reported, and the
/// range is taken over them.
#[test]
fn the_orchestrator_benchmark_repeats_and_reports_the_range() {
    let f = Factory::new();
    let v = f.run(&["bench", "orchestrator", "--quick", "--json", "--runs", "12", "--repeat", "2"]).ok().json();
    assert_eq!(v["runs"], 12, "{v}");
    let passes = v["passes"].as_array().expect("passes");
    assert_eq!(passes.len(), 2, "{v}");
    assert!(passes.iter().all(|p| p["completed"] == 12), "{v}");
    let rate = |k: &str| v[k].as_f64().unwrap_or(-1.0);
    assert!(rate("tasks_per_second_min") <= rate("tasks_per_second_median"), "{v}");
    assert!(
        rate("tasks_per_second_median") <= rate("tasks_per_second_max") && rate("tasks_per_second_min") > 0.0,
        "{v}"
    );
    let out = f.run(&["bench", "orchestrator", "--repeat", "0"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--repeat"), "{}", out.stderr);
}
