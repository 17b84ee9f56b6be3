//! Bad input on the real binary: one clear sentence, the documented exit code, and no change.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::Factory;

/// Runs a command that must fail: checks the exit code, that stderr is one line naming
/// what was wrong, and that nothing changed.
fn refused(f: &Factory, args: &[&str], code: i32, needle: &str) {
    let before = f.run(&["status", "--json"]).stdout;
    let out = f.run(args);
    assert_eq!(out.code, code, "{args:?}: stdout {} stderr {}", out.stdout, out.stderr);
    let err = out.stderr.trim();
    assert_eq!(err.lines().count(), 1, "{args:?}: one line, got:\n{err}");
    assert!(err.starts_with("factory: ") && err.contains(needle), "{args:?}: {err}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"));
    assert_eq!(f.run(&["status", "--json"]).stdout, before, "{args:?} changed something");
}

#[test]
fn unknown_ids_and_bad_decisions() {
    let f = Factory::new();
    f.run(&["demo", "--headless", "--exit-when-idle", "--quiet", "--sim-latency-ms", "0", "--startups", "1"]).ok();
    refused(&f, &["pause", "s-99"], 2, "there is no run s-99");
    refused(&f, &["pause", "banana"], 2, "`banana` is not a run id");
    refused(&f, &["approve", "s-01.G2.5"], 2, "there is no gate s-01.G2.5");
    refused(&f, &["approve", "s-01.G7"], 2, "is not a gate id");
    refused(&f, &["revise", "s-01"], 2, "a revise needs a note");
    refused(&f, &["reject", "s-01", "--note", "  "], 2, "a reject needs a note");
    refused(&f, &["approve", "s-01", "--budget", "5"], 2, "--budget applies to budget gates only");
    f.run(&["approve", "s-01"]).ok();
    refused(&f, &["approve", "s-01.G0.0"], 2, "gate s-01.G0.0 is already approved by policy: auto at ");
    refused(&f, &["approve", "s-01.G3.0"], 2, "gate s-01.G3.0 is already approved by tester at ");
    refused(&f, &["new", "--name", "X", "--idea", "Y", "--budget", "ten"], 2, "`ten` is not a dollar amount");
    refused(&f, &["new", "--name", "X", "--idea", "Y", "--template", "cobol"], 2, "no template named `cobol`");
    refused(&f, &["resume", "s-01"], 2, "only a paused or failed run can be resumed");
}

#[test]
fn config_errors_name_file_line_and_key() {
    let f = Factory::new();
    let bad = f.write("bad.toml", "[factory]\nmax_concurrent_calls = 4\ncolour = \"blue\"\n");
    let bad = bad.to_str().unwrap();
    refused(&f, &["--config", bad, "status"], 2, "bad.toml, line 3, key `factory.colour`: unknown key `colour`");
    let typed = f.write("typed.toml", "[budget]\ndaily_cap_usd = \"lots\"\n");
    refused(
        &f,
        &["--config", typed.to_str().unwrap(), "config", "check"],
        2,
        "typed.toml, line 2, key `budget.daily_cap_usd`",
    );
    let broken = f.write("broken.toml", "[routing\npolicy = 1\n");
    refused(&f, &["--config", broken.to_str().unwrap(), "config", "check"], 2, "broken.toml, line 1");
    let policy = f.write("policy.toml", "[gates.G1]\npolicy = \"sometimes\"\n");
    refused(&f, &["--config", policy.to_str().unwrap(), "config", "check"], 2, "line 2, key `gates.G1.policy`");
    refused(&f, &["--config", "/no/such/file.toml", "status"], 2, "cannot read the config file /no/such/file.toml");
    let good = f.write("good.toml", "[gates.G0]\npolicy = \"auto_if_quality >= 0.8\"\n");
    let ok = f.run(&["--config", good.to_str().unwrap(), "config", "check"]).ok();
    assert!(ok.stdout.starts_with("config OK"), "{}", ok.stdout);
}

#[test]
fn a_folder_that_is_not_a_factorys_is_left_alone() {
    let f = Factory::new();
    std::fs::create_dir_all(f.data_dir()).unwrap();
    std::fs::write(f.data_dir().join("thesis.tex"), "precious").unwrap();
    let out = f.run(&["status"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("is not a factory data directory"), "{}", out.stderr);
    let entries: Vec<_> = std::fs::read_dir(f.data_dir()).unwrap().collect();
    assert_eq!(entries.len(), 1, "nothing was added");
}

#[test]
fn a_data_dir_held_by_a_process_that_cannot_be_attached_exits_3() {
    let f = Factory::new();
    f.run(&["new", "--name", "A", "--idea", "B"]).ok();
    // Something holds sled's lock but serves no socket (as a crashed tool or an old
    // factory would): the command cannot go through it.
    let lock = f.data_dir().join("db").join("db");
    let mut holder = std::process::Command::new("flock")
        .arg(&lock)
        .args(["-c", "sleep 20"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("flock (util-linux) runs");
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let out = f.run(&["status"]);
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("is in use by another factory process"), "{}", out.stderr);
    assert!(out.stderr.contains("does not answer on its socket"), "{}", out.stderr);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn an_answer_writing_outside_the_workspace_fails_the_run_and_writes_nothing() {
    let f = Factory::new();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/escape-provider.sh");
    let cfg = f.write(
        "evil.toml",
        &format!(
            "[providers.evil]\nkind = \"cli\"\ncommand = [\"{}\"]\n\n[routing.chains]\nbuild = [\"evil\"]\n\n{}",
            script.display(),
            common::NO_CHECKS
        ),
    );
    let cfg = cfg.to_str().unwrap();
    f.run(&["--config", cfg, "new", "--name", "A", "--idea", "B"]).ok();
    let out = f.run(&["--config", cfg, "run", "--headless", "--exit-when-idle", "--auto-approve", "--quiet"]);
    assert_eq!(out.code, 1, "a failed run makes --exit-when-idle exit 1: {}", out.stderr);
    assert!(out.stderr.contains("1 run(s) failed: s-01"), "{}", out.stderr);
    let run = Factory::startup(&f.status(), "s-01").clone();
    assert_eq!(run["status"], "failed");
    let why = run["failure"].as_str().unwrap();
    assert!(
        why.contains("tried to write outside the workspace") && why.contains("`../../../escaped.txt` climbs out"),
        "{why}"
    );
    for dir in [f.dir.path().to_path_buf(), f.data_dir(), f.data_dir().join("workspaces")] {
        assert!(!dir.join("escaped.txt").exists(), "escaped into {}", dir.display());
    }
}

#[test]
fn a_data_dir_that_is_a_file_is_named_with_exit_2() {
    let f = Factory::new();
    let file = f.write("notes.txt", "precious");
    for dir in [file.clone(), file.join("sub")] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_factory"))
            .args(["--data-dir", dir.to_str().unwrap(), "status"])
            .env("HOME", f.dir.path())
            .env("XDG_CONFIG_HOME", f.dir.path().join("config"))
            .output()
            .unwrap();
        let out = common::Run::from(out);
        assert_eq!(out.code, 2, "{}", out.stderr);
        let want = format!("{} is a file; pass --data-dir a folder", file.display());
        assert!(out.stderr.trim().ends_with(&want) && out.stderr.lines().count() == 1, "{}", out.stderr);
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "precious");
}
