//! The review's evidence in the real binary in tmux, as a reviewer would use it: a release
//! read on its tabs and its `app/` files (a Python file opened and searched), a revision
//! seen as a diff under the note that asked for it, and two marked gates approved at once.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::process::Command;

use common::Factory;
use common::tmux::Tmux;

/// Starts the control room on a fresh demo of `startups` runs, the checks off.
fn launch(f: &Factory, tmux: &Tmux, startups: u32) {
    assert!(Command::new("tmux").arg("-V").output().is_ok(), "tmux is needed for this test; .ci/run installs it");
    let command = format!(
        "env -i PATH=/usr/bin:/bin HOME={home} XDG_CONFIG_HOME={home}/config TERM=xterm-256color USER=tester {bin} --data-dir {data} --reviewer tester demo --startups {startups} --sim-latency-ms 5",
        home = f.dir.path().display(),
        data = f.data_dir().display(),
        bin = env!("CARGO_BIN_EXE_factory"),
    );
    tmux.start(160, 45, &command);
}

/// The line of the screen holding `needle`.
fn line_with<'a>(screen: &'a str, needle: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(needle))
}

#[test]
fn a_release_is_read_on_its_evidence_and_a_python_file_is_searched() {
    let f = Factory::new();
    let tmux = Tmux::new(format!("sf-review-{}", std::process::id()), "control");
    // One demo run: its G0 to G2 pass by its own policy, so it builds and waits at G3.
    launch(&f, &tmux, 1);
    tmux.wait("the release gate in the inbox", |s| s.contains("s-01.G3 "));
    tmux.keys(&["g", "Enter"]);
    let review = tmux.wait("the release review on its deploy tab", |s| {
        s.contains("Release approval") && s.contains("Deployment prep") && s.contains("4/5")
    });
    for tab in ["Quality review", "Build", "Checks", "app/"] {
        assert!(review.contains(tab), "the tab {tab} shows:\n{review}");
    }
    tmux.keys(&["Tab"]);
    tmux.wait("the app/ tree", |s| s.contains("5/5") && s.contains("Enter opens the file in the browser"));
    // Down the tree to the first Python file.
    let mut picked = None;
    for _ in 0..40 {
        let s = tmux.screen();
        if let Some(l) = line_with(&s, "▸ ").filter(|l| l.trim_end_matches(['┃', '│', ' ']).ends_with(".py")) {
            picked = l.split("▸ ").nth(1).map(|rest| rest.split_whitespace().next().unwrap_or("").to_string());
            break;
        }
        tmux.keys(&["Down"]);
        std::thread::sleep(std::time::Duration::from_millis(60));
    }
    let file = picked.expect("a Python file in the app/ tree");
    tmux.keys(&["Enter"]);
    let browser = tmux.wait("the file in the browser", |s| s.contains(&file) && s.contains(" 1 ") && s.contains("%"));
    assert!(browser.contains("s-01 Ledgerly"), "the browser names the run:\n{browser}");
    tmux.keys(&["/"]);
    tmux.type_text("import");
    tmux.keys(&["Enter"]);
    let found = tmux.wait("the search's match count", |s| s.contains("“import” 1/"));
    tmux.keys(&["n"]);
    if !found.contains("“import” 1/1") {
        tmux.wait("the next match", |s| s.contains("“import” 2/"));
    }
    tmux.keys(&["Escape", "Escape"]);
    tmux.wait("the dashboard", |s| s.contains("Gate inbox"));
    tmux.keys(&["q"]);
    tmux.wait_gone("q did not quit");
}

#[test]
fn a_revision_shows_as_a_diff_and_two_marked_gates_are_approved_at_once() {
    let f = Factory::new();
    let tmux = Tmux::new(format!("sf-diff-{}", std::process::id()), "control");
    launch(&f, &tmux, 5);
    // s-04 (G0 passes by its policy) waits at G1 for a person.
    tmux.wait("s-04 at G1 in the inbox", |s| s.contains("s-04.G1 "));
    tmux.keys(&["g", "/"]);
    tmux.type_text("s-04");
    tmux.keys(&["Enter", "Enter"]);
    tmux.wait("the G1 review", |s| s.contains("s-04.G1.0") && s.contains("Problem-solution fit"));
    tmux.keys(&["v"]);
    tmux.wait("the note", |s| s.contains("Note to revise (required)"));
    tmux.type_text("Narrow it to one persona");
    tmux.keys(&["C-s"]);
    tmux.wait("the saved revise", |s| s.contains("s-04.G1.0 revised") && s.contains("saved"));
    // The revision comes back: open it from the inbox.
    tmux.keys(&["Escape"]);
    tmux.wait("the dashboard", |s| s.contains("Gate inbox"));
    // `/` then Esc clears the earlier filter; `/` again types a new one.
    tmux.keys(&["g", "/", "Escape", "/"]);
    tmux.type_text("s-04.G1.1");
    // The filter matches the whole id; the inbox shows it as s-04.G1.
    tmux.wait("the revision in the inbox", |s| {
        line_with(s, "s-04.G1 ").is_some_and(|l| l.contains("Problem-solution"))
    });
    tmux.keys(&["Enter", "Enter"]);
    let diff = tmux.wait("the diff of the revision", |s| s.contains("diff r0 → r1"));
    assert!(diff.contains("revision 1 asked by tester"), "the note above the diff:\n{diff}");
    assert!(diff.contains("Narrow it to one persona"), "{diff}");
    assert!(diff.contains("@@ "), "a unified diff:\n{diff}");
    tmux.keys(&["d"]);
    tmux.wait("the whole document", |s| !s.contains("diff r0 → r1") && s.contains("docs/spec.md"));

    // Two gates marked and approved with one confirmation.
    tmux.keys(&["Escape"]);
    tmux.wait("the dashboard", |s| s.contains("Gate inbox"));
    tmux.keys(&["g", "/", "Escape"]);
    tmux.keys(&["Home", "Space", "Space"]);
    tmux.wait("two marks", |s| s.contains("2 marked"));
    tmux.keys(&["a"]);
    let confirm = tmux.wait("one confirmation for both", |s| s.contains("Approve 2 gates?"));
    let ids: Vec<String> = confirm
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .filter(|w| w.starts_with("s-") && w.matches('.').count() == 2)
        .map(str::to_string)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(ids.len(), 2, "the confirmation lists both gates: {ids:?}\n{confirm}");
    tmux.keys(&["y"]);
    tmux.wait("both saved", |s| s.contains("2 approved, saved"));
    tmux.keys(&["q"]);
    tmux.wait_gone("q did not quit");

    let all = f.run(&["gates", "--all", "--json"]).ok().json();
    for id in &ids {
        let g = all["gates"].as_array().unwrap().iter().find(|g| g["id"] == id.as_str()).unwrap();
        assert_eq!((g["status"].as_str(), g["decided_by"].as_str()), (Some("approved"), Some("tester")), "{g}");
    }
    let revised = all["gates"].as_array().unwrap().iter().find(|g| g["id"] == "s-04.G1.0").unwrap();
    assert_eq!(revised["note"], "Narrow it to one persona");
}
