//! The build proves its work: runs on the simulated provider build a template's default
//! plan, the template's own checks (installs from the package registries, typecheck,
//! tests) run for real in the bubblewrap sandbox, and a planted defect is repaired within
//! bounds or left to a person. Slow (package installs): the dependency cache is shared by
//! these tests, and by later runs of them.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::Factory;
use serde_json::Value;

/// Whether the sandbox's prerequisites are here; under CI their absence fails the test.
fn prerequisites(need_node: bool) -> bool {
    let mut missing = Vec::new();
    if std::process::Command::new("bwrap").arg("--version").output().is_err() {
        missing.push("bwrap (Debian package bubblewrap)");
    }
    if need_node && std::process::Command::new("npm").arg("--version").output().is_err() {
        missing.push("npm (Debian packages nodejs, npm)");
    }
    if missing.is_empty() {
        return true;
    }
    assert!(std::env::var("CI").is_err(), "{} missing: .ci/run installs them", missing.join(" and "));
    eprintln!("skipped: {} missing", missing.join(" and "));
    false
}

/// The dependency cache all these tests share (downloads are the slow part).
fn shared_cache() -> PathBuf {
    std::env::temp_dir().join("startup-factory-test-check-cache")
}

fn config(f: &Factory, extra: &str) -> String {
    let text = format!(
        "[sim]\nlatency_ms = 1\n{extra}\n[checks]\nenabled = true\ncache_dir = \"{}\"\n",
        shared_cache().display()
    );
    f.write("checks.toml", &text).to_str().unwrap().to_string()
}

/// Runs the factory until nothing moves without a person (at most 20 minutes).
fn run_until_idle(f: &Factory, cfg: &str) {
    let mut child = f
        .cmd(&["--config", cfg, "run", "--headless", "--quiet", "--auto-approve", "--exit-when-idle"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(1200);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            assert!(status.success(), "the run ended with {status}: {err}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the run did not finish in 20 minutes");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// `status s-01 --json`.
fn detail(f: &Factory, cfg: &str) -> Value {
    f.run(&["--config", cfg, "status", "s-01", "--json"]).ok().json()
}

fn checks_by_name(d: &Value) -> Vec<(String, String, Option<u64>, Option<u64>)> {
    d["checks"]
        .as_array()
        .expect("status RUN --json has checks")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
                c["tests_passed"].as_u64(),
                c["tests_failed"].as_u64(),
            )
        })
        .collect()
}

/// Builds one run of `template` and asserts every check passed, with at least
/// `min_tests` tests passed in the check named `tests_check`.
fn builds_green(template: &str, tests: &[(&str, u64)]) -> (Factory, Value) {
    let f = Factory::new();
    let cfg = config(&f, "");
    f.run(&[
        "--config",
        &cfg,
        "new",
        "--name",
        "Ledgerly",
        "--idea",
        "Bookkeeping for freelancers",
        "--template",
        template,
    ])
    .ok();
    run_until_idle(&f, &cfg);
    let d = detail(&f, &cfg);
    let checks = checks_by_name(&d);
    let tails: Vec<String> = d["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] != "passed")
        .map(|c| format!("{}: {} {}\n{}", c["name"], c["status"], c["reason"], c["output_tail"].as_str().unwrap_or("")))
        .collect();
    assert!(checks.len() >= 3, "the template's checks ran: {checks:?}");
    assert!(checks.iter().all(|c| c.1 == "passed"), "every check passes:\n{}", tails.join("\n\n"));
    for (name, min) in tests {
        let c = checks.iter().find(|c| c.0 == *name).unwrap_or_else(|| panic!("a check named {name}: {checks:?}"));
        assert!(c.2.unwrap_or(0) >= *min, "{name} ran at least {min} tests: {c:?}");
        assert_eq!(c.3.unwrap_or(0), 0, "{name}: no test failed");
    }
    assert_eq!(d["startup"]["status"], "completed", "{}", d["startup"]);
    assert_eq!(d["startup"]["checks_failing"], false);
    assert_eq!(d["startup"]["repair_rounds"], 0);
    let ws = PathBuf::from(d["startup"]["workspace"].as_str().unwrap());
    let record = std::fs::read_to_string(ws.join("docs/checks.md")).unwrap();
    for (name, _) in tests {
        assert!(record.contains(&format!("### {name}")), "docs/checks.md records {name}");
    }
    (f, d)
}

fn workspace(d: &Value) -> PathBuf {
    PathBuf::from(d["startup"]["workspace"].as_str().unwrap())
}

/// The Python test files of a folder, which must hold real assertions.
fn assertions_in(dir: &Path) -> usize {
    common::files(dir)
        .iter()
        .filter(|(p, _)| {
            p.extension().is_some_and(|e| e == "py") && p.file_name().unwrap().to_string_lossy().starts_with("test_")
        })
        .map(|(_, b)| String::from_utf8_lossy(b).matches("assert ").count())
        .sum()
}

#[test]
fn a_neoforge_run_passes_its_backend_and_frontend_checks() {
    if !prerequisites(true) {
        return;
    }
    let (_f, d) = builds_green("neoforge", &[("backend-tests", 10), ("frontend-tests", 2)]);
    let backend = workspace(&d).join("app/backend/tests");
    assert!(assertions_in(&backend) >= 20, "the backend tests assert things");
}

#[test]
fn a_pythonml_run_passes_its_checks() {
    if !prerequisites(false) {
        return;
    }
    let (_f, d) = builds_green("pythonml", &[("tests", 5)]);
    assert!(assertions_in(&workspace(&d).join("app/tests")) >= 5);
}

#[test]
fn a_reactnext_run_passes_its_npm_checks() {
    if !prerequisites(true) {
        return;
    }
    builds_green("reactnext", &[("tests", 2)]);
}

#[test]
fn a_vuenuxt_run_passes_its_npm_checks() {
    if !prerequisites(true) {
        return;
    }
    builds_green("vuenuxt", &[("tests", 2)]);
}

#[test]
fn defects_are_repaired_within_bounds_then_left_to_a_person() {
    if !prerequisites(false) {
        return;
    }
    let f = Factory::new();
    // Every simulated build answer carries a defect, repairs too: the checks keep failing.
    let cfg = config(&f, "defect_rate = 1.0\n");
    f.run(&[
        "--config",
        &cfg,
        "new",
        "--name",
        "Brittle",
        "--idea",
        "Forecasts for bakeries",
        "--template",
        "pythonml",
    ])
    .ok();
    run_until_idle(&f, &cfg);
    let d = detail(&f, &cfg);
    let run = &d["startup"];
    assert_eq!(run["repair_rounds"], 2, "the default two repair rounds ran: {run}");
    assert_eq!(run["checks_failing"], true);
    assert!(checks_by_name(&d).iter().any(|c| c.1 == "failed"), "{:?}", checks_by_name(&d));
    // --auto-approve did not pass the release gate: a person decides.
    assert_eq!(run["status"], "awaiting_gate", "{run}");
    assert_eq!(run["gate"], "s-01.G3.0");
    let events = f.run(&["--config", &cfg, "events", "--json"]).ok().stdout;
    let kinds: Vec<String> = events
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|e| e["kind"].as_str().map(String::from))
        .collect();
    assert!(kinds.iter().filter(|k| *k == "repair_started").count() >= 2, "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "check_failed"));
    assert!(kinds.iter().any(|k| k == "checks_failing"));
    assert!(kinds.iter().any(|k| k == "auto_approval_withheld"));
    let gates = f.run(&["--config", &cfg, "gates"]).ok().stdout;
    assert!(gates.contains("s-01.G3"), "{gates}");
    // Every round is on record, with its output.
    let record = std::fs::read_to_string(workspace(&d).join("docs/checks.md")).unwrap();
    assert!(record.contains("## Round 3 (after repair round 2)"), "{record}");
    assert!(record.contains("planted defect") || record.contains("SyntaxError"), "the failure's output is kept");
}
