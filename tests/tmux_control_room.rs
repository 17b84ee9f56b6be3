//! The real binary in tmux, driven as a person would: wait for the four panes, approve one
//! gate, reject the next one (opened at once) with a typed note, quit, and check both
//! decisions on disk.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::process::Command;

use common::Factory;
use common::tmux::Tmux;

/// The number in `Gate inbox (N)`.
fn inbox_count(screen: &str) -> usize {
    screen
        .split("Gate inbox (")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The first gate id (`s-01.G0.0`) on the screen.
fn gate_id(screen: &str) -> Option<String> {
    let words = screen.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'));
    words
        .filter(|w| {
            let parts: Vec<&str> = w.split('.').collect();
            parts.len() == 3
                && parts[0].starts_with("s-")
                && parts[1].starts_with('G')
                && parts[2].parse::<u32>().is_ok()
        })
        .map(str::to_string)
        .next()
}

#[test]
fn a_reviewer_approves_and_rejects_by_keypress() {
    assert!(Command::new("tmux").arg("-V").output().is_ok(), "tmux is needed for this test; .ci/run installs it");
    let f = Factory::new();
    let bin = env!("CARGO_BIN_EXE_factory");
    let tmux = Tmux::new(format!("sf-test-{}", std::process::id()), "control");
    let command = format!(
        "env -i PATH=/usr/bin:/bin HOME={home} TERM=xterm-256color USER=tester {bin} --data-dir {data} --reviewer tester demo --startups 3 --sim-latency-ms 40",
        home = f.dir.path().display(),
        data = f.data_dir().display(),
    );
    tmux.start(160, 45, &command);

    let screen = tmux.wait("the four panes and two waiting gates", |s| {
        ["Startups", "Agent team", "Providers", "Gate inbox"].iter().all(|p| s.contains(p)) && inbox_count(s) >= 2
    });
    assert!(screen.contains("SIMULATED"), "the simulated badge shows:\n{screen}");

    // Approve: open the oldest gate, a, then y.
    tmux.keys(&["g", "Enter"]);
    let review = tmux.wait("the gate review", |s| s.contains("Revision history") && gate_id(s).is_some());
    let approved = gate_id(&review).unwrap();
    tmux.keys(&["a"]);
    tmux.wait("the confirmation", |s| s.contains("Press y to confirm"));
    tmux.keys(&["y"]);
    // Saved, and the next gate opens at once (`tui.after_decision = "next"`).
    let review = tmux.wait("the saved approval and the next gate", |s| {
        s.contains(&format!("{approved} approved, saved; next: "))
            && s.contains("Revision history")
            && gate_id(s).is_some_and(|g| g != approved)
    });
    let rejected = gate_id(&review).unwrap();

    // Reject it: r, a typed note, Ctrl-S.
    tmux.keys(&["r"]);
    tmux.wait("the note", |s| s.contains("Note to reject (required)"));
    tmux.type_text("Not viable: the market is too small");
    tmux.keys(&["C-s"]);
    tmux.wait("the saved rejection", |s| s.contains(&format!("{rejected} rejected, saved")));
    tmux.keys(&["Escape", "q"]);
    tmux.wait_gone("q did not quit");

    let all = f.run(&["gates", "--all", "--json"]).ok().json();
    let gate = |id: &str| all["gates"].as_array().unwrap().iter().find(|g| g["id"] == id).cloned().unwrap();
    let a = gate(&approved);
    assert_eq!((a["status"].as_str(), a["decided_by"].as_str()), (Some("approved"), Some("tester")), "{a}");
    let r = gate(&rejected);
    assert_eq!(
        (r["status"].as_str(), r["decided_by"].as_str(), r["note"].as_str()),
        (Some("rejected"), Some("tester"), Some("Not viable: the market is too small")),
        "{r}"
    );
}

#[test]
fn a_second_terminal_attaches_and_the_cli_decides_through_the_owner() {
    let f = Factory::new();
    let bin = env!("CARGO_BIN_EXE_factory");
    let tmux = Tmux::new(format!("sf-attach-{}", std::process::id()), "owner");
    let watcher = tmux.sibling("watcher");
    let launch = |t: &Tmux, args: &str| {
        let command = format!(
            "env -i PATH=/usr/bin:/bin HOME={home} TERM=xterm-256color USER=tester {bin} --data-dir {data} {args}",
            home = f.dir.path().display(),
            data = f.data_dir().display(),
        );
        t.start(140, 40, &command);
    };
    launch(&tmux, "--reviewer tester demo --startups 3 --sim-latency-ms 30");
    tmux.wait("two gates at the owner", |s| inbox_count(s) >= 2);
    launch(&watcher, "--read-only");
    let screen = watcher.wait("the attached control room", |s| s.contains("attached to pid") && inbox_count(s) >= 2);
    assert!(screen.contains("read-only"), "the lock shows:\n{screen}");
    // A read-only terminal cannot decide.
    watcher.keys(&["g", "Enter"]);
    watcher.wait("its review", |s| s.contains("Revision history"));
    watcher.keys(&["a"]);
    watcher.wait("the refusal", |s| s.contains("read-only: this terminal watches"));
    watcher.keys(&["Escape"]);

    // The CLI goes through the owner while its control room runs.
    let gates = f.run(&["gates", "--json"]).ok().json();
    let gate = gates["gates"][0]["id"].as_str().unwrap().to_string();
    let out = f.run(&["--reviewer", "carol", "approve", &gate, "--note", "from a script"]).ok();
    assert_eq!(out.stdout.trim(), format!("{gate} approved by carol"));
    let (run, code) = (gate.split('.').next().unwrap().to_string(), gate.split('.').nth(1).unwrap().to_string());
    for t in [&tmux, &watcher] {
        t.wait("the decision on both screens", |s| {
            !s.contains(&format!("{run}   {code}")) && !s.contains(&format!("{run}.{code}"))
        });
    }

    // Quitting the attached terminal leaves the owner running.
    watcher.keys(&["q"]);
    watcher.wait_gone("q did not quit the attached terminal");
    assert!(tmux.alive(), "the owner still runs");
    tmux.keys(&["q"]);
}

/// The pid in `attached to pid N`.
fn owner_pid(screen: &str) -> Option<u32> {
    screen.split("attached to pid ").nth(1)?.split_whitespace().next()?.parse().ok()
}

#[test]
fn when_the_owner_dies_an_attached_terminal_takes_over_and_the_others_reattach_to_it() {
    assert!(Command::new("tmux").arg("-V").output().is_ok(), "tmux is needed for this test; .ci/run installs it");
    let f = Factory::new();
    let bin = env!("CARGO_BIN_EXE_factory");
    let owner = Tmux::new(format!("sf-takeover-{}", std::process::id()), "owner");
    let second = owner.sibling("second");
    let watcher = owner.sibling("watcher");
    let launch = |t: &Tmux, args: &str| {
        let command = format!(
            "env -i PATH=/usr/bin:/bin HOME={home} XDG_CONFIG_HOME={home}/config TERM=xterm-256color USER=tester {bin} --data-dir {data} {args}",
            home = f.dir.path().display(),
            data = f.data_dir().display(),
        );
        t.start(140, 40, &command);
    };
    launch(&owner, "--reviewer tester demo --startups 3 --sim-latency-ms 30");
    owner.wait("two gates at the owner", |s| inbox_count(s) >= 2);
    launch(&second, "--reviewer tester");
    launch(&watcher, "--read-only");
    let first = owner_pid(&second.wait("the second terminal attached", |s| owner_pid(s).is_some())).unwrap();
    watcher.wait("the watcher attached", |s| owner_pid(s) == Some(first));

    // The owner dies without a word (SIGKILL): both see it, only the writable one may take over.
    assert!(Command::new("kill").args(["-9", &first.to_string()]).status().unwrap().success());
    second.wait("the offer to take over", |s| s.contains("owner gone, reattaching… · t takes over"));
    let screen = watcher.wait("the watcher sees it too", |s| s.contains("owner gone, reattaching…"));
    assert!(!screen.contains("t takes over"), "a read-only terminal cannot take over:\n{screen}");
    watcher.keys(&["t"]);
    watcher.wait("the watcher's refusal", |s| s.contains("read-only: this terminal only watches"));

    second.keys(&["t"]);
    let screen = second.wait("the take-over", |s| s.contains("you took over") && !s.contains("owner gone"));
    assert!(owner_pid(&screen).is_none(), "this terminal is the owner now:\n{screen}");
    let now = watcher.wait("the watcher reattached to the new owner", |s| owner_pid(s).is_some_and(|p| p != first));
    assert!(!now.contains("owner gone"), "{now}");

    // The new owner serves the socket: the CLI decides through it.
    let gates = f.run(&["gates", "--json"]).ok().json();
    let gate = gates["gates"][0]["id"].as_str().unwrap().to_string();
    let out = f.run(&["--reviewer", "carol", "approve", &gate]).ok();
    assert_eq!(out.stdout.trim(), format!("{gate} approved by carol"));
    // `doctor` asks the owner how it fares: the figures its header shows.
    let doctor = f.run(&["doctor"]).stdout;
    let health = doctor.lines().find(|l| l.contains("the owner's health: ")).unwrap_or_else(|| panic!("{doctor}"));
    assert!(health.contains("cpu ") && health.contains(" MB") && health.contains(" free"), "{health}");
    second.keys(&["q"]);
    second.wait_gone("q did not quit the new owner");
    watcher.keys(&["q"]);
}
