//! The real binary end to end: runs to completion, gate decisions from the command line,
//! reports, exports and alerts.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use common::Factory;

const DEMO_FAST: [&str; 7] =
    ["demo", "--headless", "--exit-when-idle", "--quiet", "--sim-latency-ms", "0", "--startups"];

#[test]
fn five_runs_complete_with_auto_approve() {
    let f = Factory::new();
    let mut args = DEMO_FAST.to_vec();
    args.extend(["5", "--auto-approve"]);
    f.run(&args).ok();
    let status = f.status();
    let runs = status["startups"].as_array().unwrap();
    assert_eq!(runs.len(), 5);
    let mut total = 0;
    for r in runs {
        assert_eq!(r["status"], "completed", "{r}");
        assert_eq!(r["simulated"], true);
        assert!(r["tokens_in"].as_u64().unwrap() > 0 && r["tokens_out"].as_u64().unwrap() > 0);
        let cost = r["cost_micros"].as_u64().unwrap();
        assert!(cost > 0 && cost <= r["budget_micros"].as_u64().unwrap());
        total += cost;
        let ws = std::path::Path::new(r["workspace"].as_str().unwrap());
        for doc in ["research", "founder-fit", "spec", "architecture", "quality", "deploy"] {
            let text = std::fs::read_to_string(ws.join(format!("docs/{doc}.md"))).unwrap();
            assert!(text.starts_with("> **Startup Factory artifact** · phase"), "{doc}: header");
            assert!(text.contains("**SIMULATED**") && text.contains("model `sim-standard`") && text.contains("cost $"));
        }
        let entry = match r["template"].as_str().unwrap() {
            "neoforge" => "app/backend/app/main.py",
            "pythonml" => "app/pyproject.toml",
            _ => "app/package.json",
        };
        assert!(ws.join(entry).exists(), "{entry} in {r}");
    }
    assert_eq!(status["totals"]["cost_micros"].as_u64().unwrap(), total);

    // One run in detail: its tasks, and the build team's reports in the plan's format.
    let detail = f.run(&["status", "s-01", "--json"]).ok().json();
    let reports = detail["reports"].as_array().unwrap();
    assert!(reports.len() >= 5, "{}", reports.len());
    for key in ["tasks_completed", "currently_working_on", "blockers", "ready_for_integration", "next"] {
        assert!(reports[0].get(key).is_some(), "report lacks {key}");
    }
    let tasks = detail["tasks"].as_array().unwrap();
    assert!(tasks.iter().all(|t| t["status"] == "done"));
    assert!(tasks.iter().any(|t| t["kind"] == "team") && tasks.iter().any(|t| t["kind"] == "integrate"));

    // The run report: per phase, gates, and the MVP's cost.
    let md = f.run(&["export", "s-01", "--format", "md"]).ok().stdout;
    for needle in [
        "# Run report: Ledgerly (s-01)",
        "## Phases",
        "| build |",
        "## Gates",
        "Cost of the MVP (build phase)",
        "Simulated",
    ] {
        assert!(md.contains(needle), "report lacks {needle}:\n{md}");
    }
    let out = f.dir.path().join("report.json");
    f.run(&["export", "s-01", "--format", "json", "--out", out.to_str().unwrap()]).ok();
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert!(json["mvp_cost_micros"].as_u64().unwrap() > 0);
    assert_eq!(json["gates"].as_array().unwrap().len(), 4);
}

#[test]
fn approve_revise_and_reject_from_the_command_line() {
    let f = Factory::new();
    let mut args = DEMO_FAST.to_vec();
    args.push("5");
    f.run(&args).ok();
    let gates = f.run(&["gates", "--json"]).ok().json();
    let mut ids: Vec<&str> = gates["gates"].as_array().unwrap().iter().map(|g| g["id"].as_str().unwrap()).collect();
    ids.sort();
    // The demo's runs have their own gate policies: s-03 and s-05 wait for a person at G0.
    assert_eq!(ids, ["s-01.G3.0", "s-02.G1.0", "s-03.G0.0", "s-04.G1.0", "s-05.G0.0"]);

    let out = f.run(&["approve", "s-03", "--note", "clear niche"]).ok();
    assert_eq!(out.stdout.trim(), "s-03.G0.0 approved by tester");
    f.run(&["revise", "s-05.G0", "--note", "narrow the segment", "--reviewer", "alice"]).ok();
    f.run(&["run", "--headless", "--exit-when-idle", "--quiet"]).ok();
    let status = f.status();
    assert_eq!(Factory::startup(&status, "s-03")["gate"], "s-03.G1.0");
    assert_eq!(Factory::startup(&status, "s-05")["gate"], "s-05.G0.1");

    f.run(&["reject", "s-05.G0.1", "--note", "no market"]).ok();
    let status = f.status();
    assert_eq!(Factory::startup(&status, "s-05")["status"], "rejected");

    let all = f.run(&["gates", "--all", "--json"]).ok().json();
    let find = |id: &str| all["gates"].as_array().unwrap().iter().find(|g| g["id"] == id).unwrap().clone();
    let g = find("s-03.G0.0");
    assert_eq!(
        (g["status"].as_str(), g["decided_by"].as_str(), g["note"].as_str()),
        (Some("approved"), Some("tester"), Some("clear niche"))
    );
    let g = find("s-05.G0.0");
    assert_eq!(
        (g["status"].as_str(), g["decided_by"].as_str(), g["revision"].as_u64()),
        (Some("revised"), Some("alice"), Some(0))
    );
    let g = find("s-05.G0.1");
    assert_eq!(
        (g["status"].as_str(), g["code"].as_str(), g["name"].as_str()),
        (Some("rejected"), Some("G0"), Some("Niche validation"))
    );
    assert!(g["opened_at"].as_str().unwrap().ends_with('Z') && g["decided_at"].as_str().is_some());
    assert_eq!(f.run(&["gates", "--json"]).ok().json()["gates"].as_array().unwrap().len(), 4);
}

#[test]
fn new_pause_resume_cancel_and_alerts() {
    let f = Factory::new();
    let id =
        f.run(&["new", "--name", "Tiny", "--idea", "A very small budget", "--budget", "0.02", "--priority", "3"]).ok();
    assert_eq!(id.stdout.trim(), "s-01");
    f.run(&["new", "--name", "Other", "--idea", "Another idea"]).ok();
    assert_eq!(f.run(&["pause", "s-02"]).ok().stdout.trim(), "s-02 paused");
    f.run(&["run", "--headless", "--exit-when-idle", "--quiet", "--auto-approve"]).ok();
    let status = f.status();
    assert_eq!(Factory::startup(&status, "s-01")["gate"], "s-01.budget.0", "the tiny budget opened a budget gate");
    assert_eq!(Factory::startup(&status, "s-02")["status"], "paused");
    assert_eq!(Factory::startup(&status, "s-02")["calls"], 0);
    let alerts = f.run(&["alerts", "--json"]).ok().json();
    let kinds: Vec<&str> = alerts["alerts"].as_array().unwrap().iter().map(|a| a["alert"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"budget_100"), "{kinds:?}");
    // Alerts are numbered, and acknowledged by number or all at once.
    let first = alerts["alerts"][0]["seq"].as_u64().unwrap();
    assert!(alerts["alerts"][0]["acknowledged"].is_null());
    let text = f.run(&["alerts"]).ok().stdout;
    assert!(text.starts_with(&format!("! #{first} ")), "{text}");
    assert!(text.contains("acknowledge with `factory alerts ack ID` or `--all`"), "{text}");
    let bad = f.run(&["alerts", "ack", "nine"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("`nine` is not an alert number"), "{}", bad.stderr);
    let unknown = f.run(&["alerts", "ack", "#999999"]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(unknown.stderr.contains("there is no alert #999999"), "{}", unknown.stderr);
    assert_eq!(
        f.run(&["alerts", "ack", "--reviewer", "carol", &format!("#{first}")]).ok().stdout.trim(),
        "acknowledged 1 alert"
    );
    let text = f.run(&["alerts"]).ok().stdout;
    assert!(text.starts_with(&format!("✓ #{first} ")) && text.contains("(acknowledged by carol)"), "{text}");
    f.run(&["alerts", "ack", "--all"]).ok();
    let alerts = f.run(&["alerts", "--json"]).ok().json();
    assert!(alerts["alerts"].as_array().unwrap().iter().all(|a| a["acknowledged"]["by"].is_string()), "{alerts}");
    let n = alerts["alerts"].as_array().unwrap().len() as u64;
    let text = f.run(&["alerts"]).ok().stdout;
    assert!(text.contains(&format!("\n0 open of {n} alert")), "{text}");
    f.run(&["resume", "s-02"]).ok();
    f.run(&["cancel", "s-02"]).ok();
    assert_eq!(Factory::startup(&f.status(), "s-02")["status"], "cancelled");
    f.run(&["approve", "s-01", "--budget", "10", "--note", "worth it"]).ok();
    f.run(&["run", "--headless", "--exit-when-idle", "--quiet", "--auto-approve"]).ok();
    assert_eq!(Factory::startup(&f.status(), "s-01")["status"], "completed");
}

#[test]
fn json_lines_name_every_event() {
    let f = Factory::new();
    f.run(&["new", "--name", "A", "--idea", "B"]).ok();
    let out = f.run(&["run", "--headless", "--json", "--exit-when-idle", "--auto-approve", "--simulate"]).ok();
    let lines: Vec<serde_json::Value> = out.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.len() > 30);
    for l in &lines {
        assert!(l["seq"].is_u64() && l["ts"].is_string() && l["kind"].is_string(), "{l}");
        assert!(l.get("startup").is_some());
    }
    assert_eq!(lines.last().unwrap()["kind"], "run_completed");
    assert!(out.stderr.is_empty(), "stderr: {}", out.stderr);
}

#[test]
fn shell_completions_and_the_man_page_come_from_the_command_line_itself() {
    let f = Factory::new();
    let bash = f.run(&["completions", "bash"]).ok().stdout;
    assert!(bash.contains("_factory()") && bash.contains("approve") && bash.contains("--startups"), "{bash}");
    let script = f.write("factory.bash", &bash);
    let syntax = std::process::Command::new("bash").arg("-n").arg(&script).output().unwrap();
    assert!(syntax.status.success(), "bash -n: {}", String::from_utf8_lossy(&syntax.stderr));
    assert!(f.run(&["completions", "zsh"]).ok().stdout.starts_with("#compdef factory"));
    assert!(f.run(&["completions", "fish"]).ok().stdout.contains("complete -c factory"));
    for shell in ["elvish", "powershell"] {
        assert!(f.run(&["completions", shell]).ok().stdout.contains("factory"), "{shell}");
    }
    // Made without a config or a data directory, so a broken config does not stop them.
    let man = f.run(&["--config", "/no/such/file.toml", "manpage"]).ok().stdout;
    assert!(man.contains(".TH factory") && man.contains("demo"), "{man}");
    let bad = f.run(&["completions", "tcsh"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn gates_are_one_line_each_with_the_runs_name_and_the_first_line_of_a_note() {
    let f = Factory::new();
    f.run(&["new", "--name", "Ledgerly", "--idea", "Bookkeeping"]).ok();
    f.run(&["run", "--headless", "--exit-when-idle", "--quiet", "--simulate"]).ok();
    let waiting = f.run(&["gates"]).ok().stdout;
    assert!(waiting.contains("Ledgerly") && waiting.contains(" waiting "), "{waiting}");
    f.run(&["revise", "s-01", "--note", "Narrow the segment\nand say who pays"]).ok();
    let all = f.run(&["gates", "--all"]).ok().stdout;
    let line = all.lines().find(|l| l.starts_with("s-01.G0.0")).unwrap();
    assert!(line.contains(" waited ") && line.contains(" · by tester: Narrow the segment …"), "{all}");
    assert_eq!(all.lines().count(), 1, "one line a gate (G0.1 opens at the next run):\n{all}");
}

#[test]
fn a_runs_status_lists_its_tasks_and_gates_in_pipeline_order() {
    let f = Factory::new();
    f.run(&["new", "--name", "Ledgerly", "--idea", "Bookkeeping"]).ok();
    f.run(&["run", "--headless", "--exit-when-idle", "--quiet", "--simulate"]).ok();
    f.run(&["approve", "s-01", "--note", "clear niche"]).ok();
    f.run(&["run", "--headless", "--exit-when-idle", "--quiet", "--simulate"]).ok();
    let text = f.run(&["status", "s-01"]).ok().stdout;
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle} missing:\n{text}"));
    assert!(at("s-01.research") < at("s-01.founder_fit"), "{text}");
    assert!(at("s-01.founder_fit") < at("▸ gate s-01.G0.0"), "{text}");
    assert!(at("▸ gate s-01.G0.0") < at("s-01.spec"), "{text}");
    assert!(text.contains("approved by tester: clear niche"), "{text}");
    assert!(at("s-01.spec") < at("▸ gate s-01.G1.0"), "{text}");
}

#[test]
fn wide_characters_in_a_name_keep_the_status_columns_aligned() {
    use unicode_width::UnicodeWidthStr;
    let f = Factory::new();
    f.run(&["new", "--name", "Émoji 🚀 名前", "--idea", "x"]).ok();
    f.run(&["new", "--name", "Plain", "--idea", "x"]).ok();
    let text = f.run(&["status"]).ok().stdout;
    let col = |l: &str| l.find("queued").map(|i| l[..i].width());
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("s-0")).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(col(lines[0]), col(lines[1]), "the STATUS column lines up:\n{text}");
}
