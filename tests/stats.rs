//! `factory stats --json` over 50 finished demo runs (gates passed by their policies, decided
//! by people from the command line, revised, rejected, one run cancelled, the rest approved
//! with --auto-approve), every figure recomputed here from `factory events --json` alone.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::collections::{BTreeMap, HashMap};

use common::Factory;
use serde_json::Value;

const RUN: [&str; 4] = ["run", "--headless", "--exit-when-idle", "--quiet"];

/// The value at rank ⌊(n−1)·p/100⌋ of the sorted values, or null.
fn pct(mut v: Vec<u64>, p: usize) -> Value {
    v.sort_unstable();
    match v.len() {
        0 => Value::Null,
        n => Value::from(v[(n - 1) * p / 100]),
    }
}

/// A share recomputed here: equal to the reported one up to rounding (the factory may
/// divide in another order), null when there is nothing to divide.
#[derive(Debug)]
struct Ratio(Option<f64>);

impl PartialEq<Ratio> for Value {
    fn eq(&self, r: &Ratio) -> bool {
        match (self.as_f64(), r.0) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-12,
            (None, None) => self.is_null(),
            _ => false,
        }
    }
}

fn ratio(num: usize, den: usize) -> Ratio {
    Ratio((den > 0).then(|| num as f64 / den as f64))
}

fn automatic(by: &str) -> bool {
    by == "auto-approve" || by.starts_with("policy:")
}

/// `s-01.G1.0` → `G1`.
fn code(gate: &str) -> String {
    gate.split('.').nth(1).unwrap().to_string()
}

/// `s-01.research.r0` → `research`.
fn phase(task: &str) -> String {
    task.split('.').nth(1).unwrap().to_string()
}

#[derive(Default)]
struct RunFacts {
    created: u64,
    template: String,
    end: Option<&'static str>,
    released: Option<u64>,
    waited: u64,
    cost: u64,
    rejected_at: Option<String>,
    approvals: BTreeMap<String, u64>,
}

/// People decide every gate waiting: reject some, revise some first openings, approve the
/// rest, as alice or bob.
fn decide_waiting_gates(f: &Factory, round: usize) -> usize {
    let gates = f.run(&["gates", "--json"]).ok().json();
    let gates = gates["gates"].as_array().unwrap().clone();
    for (k, g) in gates.iter().enumerate() {
        let id = g["id"].as_str().unwrap();
        let who = if k % 2 == 0 { "alice" } else { "bob" };
        let args: Vec<&str> = match (k + round) % 7 {
            3 => vec!["reject", id, "--note", "no market here", "--reviewer", who],
            1 | 5 if id.ends_with(".0") => vec!["revise", id, "--note", "narrow it to one segment", "--reviewer", who],
            _ => vec!["approve", id, "--reviewer", who],
        };
        f.run(&args).ok();
    }
    gates.len()
}

#[test]
fn stats_agree_with_the_event_log_over_fifty_finished_demo_runs() {
    let f = Factory::new();
    f.run(&[
        "demo",
        "--headless",
        "--exit-when-idle",
        "--quiet",
        "--sim-latency-ms",
        "3",
        "--sim-failure-rate",
        "0.02",
        "--startups",
        "50",
    ])
    .ok();
    let first = decide_waiting_gates(&f, 0);
    assert!(first >= 20, "the demo's runs wait for people at their gates: {first}");
    f.run(&RUN).ok();
    decide_waiting_gates(&f, 1);
    f.run(&RUN).ok();
    let waiting = f.run(&["gates", "--json"]).ok().json();
    let cancelled = waiting["gates"][0]["startup"].as_str().expect("a run still waits").to_string();
    f.run(&["cancel", &cancelled]).ok();
    f.run(&["run", "--headless", "--exit-when-idle", "--quiet", "--auto-approve"]).ok();
    let status = f.status();
    let runs = status["startups"].as_array().unwrap();
    assert_eq!(runs.len(), 50);
    let live: Vec<&Value> = runs
        .iter()
        .filter(|r| !["completed", "rejected", "failed", "cancelled"].contains(&r["status"].as_str().unwrap()))
        .collect();
    assert!(live.is_empty(), "every run finished: {live:?}");

    let stats = f.run(&["stats", "--json"]).ok().json();
    let out = f.run(&["events", "--json", "--limit", "100000000"]).ok();
    let events: Vec<Value> = out.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events[0]["seq"], 1, "the whole log");

    // The log, folded here on its own.
    let mut facts: BTreeMap<String, RunFacts> = BTreeMap::new();
    let mut opened: HashMap<String, u64> = HashMap::new();
    // Per gate code: (decision, automatic, wait).
    let mut decisions: BTreeMap<String, Vec<(String, bool, u64)>> = BTreeMap::new();
    let mut by_phase: BTreeMap<String, u64> = BTreeMap::new();
    #[derive(Default)]
    struct Provider {
        calls: u64,
        cached: u64,
        errors: u64,
        fallbacks: u64,
        cost: u64,
        latencies: Vec<u64>,
    }
    let mut providers: BTreeMap<String, Provider> = BTreeMap::new();
    let mut days: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for e in &events {
        let ts = e["ts_ms"].as_u64().unwrap();
        let run = e["startup"].as_str().unwrap_or_default().to_string();
        match e["kind"].as_str().unwrap() {
            "run_created" => {
                let r = facts.entry(run).or_default();
                r.created = ts;
                r.template = e["template"].as_str().unwrap().to_string();
                days.entry(ts / 86_400_000).or_default().0 += 1;
            }
            "run_completed" => facts.get_mut(&run).unwrap().end = Some("completed"),
            "run_failed" => facts.get_mut(&run).unwrap().end = Some("failed"),
            "run_cancelled" => facts.get_mut(&run).unwrap().end = Some("cancelled"),
            "run_resumed" => facts.get_mut(&run).unwrap().end = None,
            "run_rejected" => {
                let r = facts.get_mut(&run).unwrap();
                r.end = Some("rejected");
                r.rejected_at = Some(code(e["gate"].as_str().unwrap()));
            }
            "gate_opened" => {
                opened.insert(e["gate"].as_str().unwrap().to_string(), ts);
            }
            "gate_decided" => {
                let gate = e["gate"].as_str().unwrap();
                let wait = ts - opened[gate];
                let (decision, auto) = (e["decision"].as_str().unwrap(), automatic(e["by"].as_str().unwrap()));
                decisions.entry(code(gate)).or_default().push((decision.to_string(), auto, wait));
                let r = facts.get_mut(&run).unwrap();
                if !auto {
                    r.waited += wait;
                }
                if decision == "approve" {
                    *r.approvals.entry(code(gate)).or_default() += 1;
                    if code(gate) == "G3" {
                        r.released = Some(ts);
                    }
                }
            }
            "task_done" => {
                let cost = e["cost_micros"].as_u64().unwrap();
                facts.get_mut(&run).unwrap().cost += cost;
                *by_phase.entry(phase(e["task"].as_str().unwrap())).or_default() += cost;
                days.entry(ts / 86_400_000).or_default().1 += cost;
                let p = providers.entry(e["provider"].as_str().unwrap().to_string()).or_default();
                p.cost += cost;
                if e["cached"] == true {
                    p.cached += 1;
                } else {
                    p.calls += 1;
                    p.latencies.push(e["latency_ms"].as_u64().expect("a call's latency"));
                }
            }
            "task_retry" => providers.entry(e["provider"].as_str().unwrap().to_string()).or_default().errors += 1,
            "provider_fallback" => {
                let p = providers.entry(e["from"].as_str().unwrap().to_string()).or_default();
                p.errors += 1;
                p.fallbacks += 1;
            }
            _ => {}
        }
    }

    // Runs by where they ended, and where the rejected ones were rejected.
    let count = |end: &str| facts.values().filter(|r| r.end == Some(end)).count();
    let (completed, rejected, failed, cancelled) =
        (count("completed"), count("rejected"), count("failed"), count("cancelled"));
    assert_eq!(stats["runs"]["started"], 50);
    assert_eq!(stats["runs"]["completed"], completed);
    assert_eq!(stats["runs"]["rejected"], rejected);
    assert_eq!(stats["runs"]["failed"], failed);
    assert_eq!(stats["runs"]["cancelled"], cancelled);
    assert!(completed > 0 && rejected > 0 && cancelled == 1, "a varied history: {completed} {rejected} {cancelled}");
    let mut rejected_at: BTreeMap<String, u64> = BTreeMap::new();
    for r in facts.values() {
        if let Some(c) = &r.rejected_at {
            *rejected_at.entry(c.clone()).or_default() += 1;
        }
    }
    assert_eq!(stats["runs"]["rejected_at"], serde_json::to_value(&rejected_at).unwrap());
    assert_eq!(stats["success_rate"], ratio(completed, completed + rejected + failed + cancelled));

    // Time to MVP (creation to G3 approved), split into waiting on people and the rest; cost.
    let done: Vec<&RunFacts> = facts.values().filter(|r| r.end == Some("completed")).collect();
    let total: Vec<u64> = done.iter().map(|r| r.released.unwrap() - r.created).collect();
    let waiting: Vec<u64> = done.iter().map(|r| r.waited).collect();
    let machine: Vec<u64> = total.iter().zip(&waiting).map(|(t, w)| t - w).collect();
    let t = &stats["time_to_mvp_ms"];
    assert_eq!(t["p50"], pct(total.clone(), 50));
    assert_eq!(t["p90"], pct(total, 90));
    assert_eq!(t["waiting_p50"], pct(waiting, 50));
    assert_eq!(t["machine_p50"], pct(machine, 50));
    assert!(t["waiting_p50"].as_u64().unwrap() > 0, "people took time to decide");
    let costs: Vec<u64> = done.iter().map(|r| r.cost).collect();
    assert_eq!(stats["cost_per_mvp_micros"]["p50"], pct(costs.clone(), 50));
    assert_eq!(stats["cost_per_mvp_micros"]["mean"], costs.iter().sum::<u64>() / costs.len() as u64);
    for p in stats["cost_by_phase_micros"].as_array().unwrap() {
        let phase = p["phase"].as_str().unwrap();
        assert_eq!(p["cost_micros"], by_phase.get(phase).copied().unwrap_or(0), "{phase}");
    }

    // Gates: decisions, the automated share and revision rate, waits for people.
    let all: Vec<&(String, bool, u64)> = decisions.values().flatten().collect();
    assert_eq!(stats["automated_share"], ratio(all.iter().filter(|d| d.1).count(), all.len()));
    let gates = stats["gates"].as_array().unwrap();
    let codes: Vec<&str> = gates.iter().map(|g| g["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["G0", "G1", "G2", "G3", "budget"]);
    for g in gates {
        let of = decisions.get(g["code"].as_str().unwrap()).cloned().unwrap_or_default();
        let human: Vec<u64> = of.iter().filter(|d| !d.1).map(|d| d.2).collect();
        assert_eq!(g["decided"], of.len(), "{g}");
        assert_eq!(g["automated_share"], ratio(of.iter().filter(|d| d.1).count(), of.len()), "{g}");
        assert_eq!(g["revision_rate"], ratio(of.iter().filter(|d| d.0 == "revise").count(), of.len()), "{g}");
        assert_eq!(g["wait_ms_p50"], pct(human.clone(), 50), "{g}");
        assert_eq!(g["wait_ms_p90"], pct(human, 90), "{g}");
    }
    assert!(gates[0]["revision_rate"].as_f64().unwrap() > 0.0, "G0 had revisions: {}", gates[0]);
    let auto = stats["automated_share"].as_f64().unwrap();
    assert!(auto > 0.0 && auto < 1.0, "policies, people and --auto-approve all decided: {auto}");

    // Templates: runs, success rate, cost, approvals at each gate.
    let templates = stats["templates"].as_array().unwrap();
    let mut names: Vec<&str> = facts.values().map(|r| r.template.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(templates.iter().map(|t| t["name"].as_str().unwrap()).collect::<Vec<_>>(), names);
    for t in templates {
        let of: Vec<&RunFacts> = facts.values().filter(|r| r.template == t["name"]).collect();
        let ok = of.iter().filter(|r| r.end == Some("completed")).count();
        assert_eq!(t["runs"], of.len());
        assert_eq!(t["success_rate"], ratio(ok, of.len()), "{t}");
        assert_eq!(t["cost_micros"], of.iter().map(|r| r.cost).sum::<u64>(), "{t}");
        for gate in ["G0", "G1", "G2", "G3"] {
            let approved: u64 = of.iter().map(|r| r.approvals.get(gate).copied().unwrap_or(0)).sum();
            assert_eq!(t["approvals"][gate], approved, "{t}");
        }
    }

    // Providers: calls, errors, latency, cost, fallbacks; quality as `providers --json` has it.
    let listed = f.run(&["providers", "--json"]).ok().json();
    for p in stats["providers"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        let mine = providers.remove(name).unwrap_or_default();
        assert_eq!(p["calls"], mine.calls, "{p}");
        assert_eq!(p["cache_hits"], mine.cached, "{p}");
        assert_eq!(p["errors"], mine.errors, "{p}");
        assert_eq!(p["error_rate"], ratio(mine.errors as usize, (mine.calls + mine.errors) as usize), "{p}");
        assert_eq!(p["p50_ms"], pct(mine.latencies.clone(), 50), "{p}");
        assert_eq!(p["p95_ms"], pct(mine.latencies, 95), "{p}");
        assert_eq!(p["cost_micros"], mine.cost, "{p}");
        assert_eq!(p["fallbacks"], mine.fallbacks, "{p}");
        let same = listed["providers"].as_array().unwrap().iter().find(|x| x["name"] == name).unwrap();
        assert_eq!(p["quality"], same["quality"], "{name}");
    }
    assert!(providers.is_empty(), "every provider in the log is listed: {:?}", providers.keys().collect::<Vec<_>>());
    let sim = &stats["providers"][0];
    assert!(sim["errors"].as_u64().unwrap() > 0, "the simulated failures were counted: {sim}");
    assert!(sim["quality"].as_object().unwrap().contains_key("spec"), "{sim}");
    assert_eq!(stats["routing"]["policy"], listed["routing"]["policy"]);

    // Days: what was started and spent each day adds up.
    let shown: BTreeMap<String, (u64, u64)> = stats["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["day"].as_str().unwrap().to_string(),
                (d["started"].as_u64().unwrap(), d["spend_micros"].as_u64().unwrap()),
            )
        })
        .collect();
    let logged: (u64, u64) = days.values().fold((0, 0), |a, d| (a.0 + d.0, a.1 + d.1));
    let summed: (u64, u64) = shown.values().fold((0, 0), |a, d| (a.0 + d.0, a.1 + d.1));
    assert_eq!(summed, logged);

    // The last week holds it all too; the text says the same without a NaN.
    let week = f.run(&["stats", "--since", "7d", "--json"]).ok().json();
    assert_eq!(
        (&week["runs"], &week["gates"], &week["templates"]),
        (&stats["runs"], &stats["gates"], &stats["templates"])
    );
    assert_eq!(week["days"].as_array().unwrap().len(), 7);
    let text = f.run(&["stats"]).ok().stdout;
    assert!(text.contains(&format!("Runs       50 started · {completed} completed")), "{text}");
    assert!(!text.contains("NaN"), "{text}");
    let bad = f.run(&["stats", "--since", "week"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("is not a window"), "{}", bad.stderr);
}

#[test]
fn an_empty_factory_has_null_figures_not_zeros() {
    let f = Factory::new();
    let stats = f.run(&["stats", "--json"]).ok().json();
    assert_eq!(stats["runs"]["started"], 0);
    for figure in [
        &stats["success_rate"],
        &stats["automated_share"],
        &stats["time_to_mvp_ms"]["p50"],
        &stats["time_to_mvp_ms"]["p90"],
        &stats["time_to_mvp_ms"]["waiting_p50"],
        &stats["cost_per_mvp_micros"]["p50"],
        &stats["cost_per_mvp_micros"]["mean"],
        &stats["gates"][0]["automated_share"],
        &stats["gates"][0]["revision_rate"],
        &stats["gates"][0]["wait_ms_p50"],
    ] {
        assert!(figure.is_null(), "{stats}");
    }
    let text = f.run(&["stats"]).ok().stdout;
    assert!(text.contains("Success    — of the runs that ended") && !text.contains("0.0%"), "{text}");
    // The factory's own health, as its header shows it.
    let health = &stats["health"];
    assert!(health["store_bytes"].as_u64().is_some_and(|b| b > 0) && health["cpu_pct"].is_u64(), "{stats}");
}
