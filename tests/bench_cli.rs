//! `factory bench`: the gateway scenario runs end to end (a quick, light run: its figures
//! are checked for shape and errors, never for speed) and unknown scenarios are refused.

mod common;

use common::Factory;

#[test]
fn the_gateway_benchmark_runs_and_reports_every_part() {
    let f = Factory::new();
    let out = f.run(&["bench", "gateway", "--quick", "--json"]).ok();
    let v = out.json();
    assert_eq!(v["scenario"], "gateway");
    for part in ["sequential", "open_loop", "burst", "verdict"] {
        assert!(v.get(part).is_some(), "missing {part}: {v}");
    }
    assert_eq!(v["sequential"]["bare"]["errors"], 0);
    assert_eq!(v["sequential"]["layer"]["errors"], 0);
    assert!(v["sequential"]["layer"]["n"].as_u64().unwrap() >= 100);
    assert_eq!(v["open_loop"]["latency"]["layer"]["errors"], 0);
    assert_eq!(v["burst"]["errors"], 0);
    assert_eq!(v["burst"]["ok"], v["burst"]["launched"]);
    assert!(v["burst"]["peak_in_flight_at_server"].as_u64().unwrap() > 1, "calls overlapped");
    assert!(v["verdict"].get("added_p99_within_1ms").is_some());
}

#[test]
fn unknown_scenarios_are_usage_errors() {
    let f = Factory::new();
    let out = f.run(&["bench", "warp-speed"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no benchmark scenario `warp-speed`"), "{}", out.stderr);
    assert!(out.stderr.contains("orchestrator") && out.stderr.contains("render"), "{}", out.stderr);
}
