//! The real binary in tmux: a 3,000-character bracketed paste into the new-run form's idea
//! (Ctrl-S right after creates the run, no key held back), and `--mouse` clicks that focus a
//! pane, select a row and, clicked again, open it.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::Factory;
use common::tmux::Tmux;

/// Starts the control room on a fresh demo of `startups` runs, with `flags` before `demo`.
fn launch(f: &Factory, tmux: &Tmux, flags: &str, startups: u32) {
    assert!(Command::new("tmux").arg("-V").output().is_ok(), "tmux is needed for this test; .ci/run installs it");
    let command = format!(
        "env -i PATH=/usr/bin:/bin HOME={home} XDG_CONFIG_HOME={home}/config TERM=xterm-256color USER=tester {bin} --data-dir {data} --reviewer tester {flags} demo --startups {startups} --sim-latency-ms 5",
        home = f.dir.path().display(),
        data = f.data_dir().display(),
        bin = env!("CARGO_BIN_EXE_factory"),
    );
    tmux.start(160, 45, &command);
}

/// An idea of `len` characters in lines of words, as a person would paste it.
fn idea(len: usize) -> String {
    let words = ["bookkeeping", "for", "freelancers", "that", "reconciles", "bank", "feeds", "and", "taxes"];
    let mut text = String::new();
    let mut k = 0;
    while text.len() < len {
        if k % 12 == 11 {
            text.push('\n');
        } else if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(words[k % words.len()]);
        k += 1;
    }
    text.truncate(len);
    text.trim_end().to_string()
}

#[test]
fn a_long_paste_into_the_idea_then_ctrl_s_creates_the_run_at_once() {
    let f = Factory::new();
    let tmux = Tmux::new(format!("sf-paste-{}", std::process::id()), "control");
    launch(&f, &tmux, "", 1);
    tmux.wait("the control room", |s| s.contains("Startups") && s.contains("s-01"));
    tmux.keys(&["n"]);
    tmux.wait("the new-run form", |s| s.contains("New run") && s.contains("default: $"));
    tmux.type_text("Pasted");
    tmux.keys(&["Tab"]);
    let text = idea(3_200);
    let n = text.chars().count();
    assert!(n >= 3_000);
    let out = tmux.cmd(&["set-buffer", "-b", "idea", &text]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // `-p`: bracketed, as a terminal pastes for a program that asked for it.
    let out = tmux.cmd(&["paste-buffer", "-p", "-d", "-b", "idea", "-t", &tmux.session]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let counter = format!("{},{:03}/10,000", n / 1000, n % 1000);
    tmux.wait("the pasted idea's counter", |s| s.contains(&counter));
    // One Ctrl-S, and nothing after it: the run is created without another key.
    let sent = Instant::now();
    tmux.keys(&["C-s"]);
    tmux.wait("the new run", |s| s.contains("created s-02"));
    assert!(sent.elapsed() < Duration::from_secs(10), "Ctrl-S waited {:?}", sent.elapsed());
    tmux.keys(&["q"]);
    tmux.wait_gone("q did not quit");

    let status = f.status();
    let run = Factory::startup(&status, "s-02");
    assert_eq!(run["name"], "Pasted");
    let saved = run["idea"].as_str().unwrap();
    assert_eq!(saved, text.trim(), "the idea is saved as pasted, line breaks and all");
}

/// Where `needle` is on the screen: 1-based column and row, as the mouse reports them.
fn at(screen: &str, needle: &str) -> Option<(usize, usize)> {
    screen
        .lines()
        .enumerate()
        .find_map(|(y, line)| line.find(needle).map(|byte| (line[..byte].chars().count() + 1, y + 1)))
}

/// A left click (SGR mouse: press, then release) at a 1-based cell.
fn click(tmux: &Tmux, (x, y): (usize, usize)) {
    tmux.cmd(&["send-keys", "-t", &tmux.session, "-l", &format!("\x1b[<0;{x};{y}M")]);
    tmux.cmd(&["send-keys", "-t", &tmux.session, "-l", &format!("\x1b[<0;{x};{y}m")]);
    std::thread::sleep(Duration::from_millis(150));
}

/// The line of the screen holding `needle`.
fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen.lines().find(|l| l.contains(needle)).unwrap_or("")
}

#[test]
fn with_mouse_a_click_focuses_and_selects_and_a_second_click_opens() {
    let f = Factory::new();
    let tmux = Tmux::new(format!("sf-mouse-{}", std::process::id()), "control");
    launch(&f, &tmux, "--mouse", 3);
    let screen = tmux.wait("three runs and two gates in the inbox", |s| {
        s.contains("s-03") && (s.contains("Gate inbox (2)") || s.contains("Gate inbox (3)"))
    });
    // The Startups pane has the focus (a heavy border); a click on s-03 selects it.
    assert!(line_with(&screen, "Startups").contains('┏'), "{screen}");
    let row = at(&screen, "s-03 ").expect("s-03 in the Startups pane");
    click(&tmux, row);
    tmux.wait("s-03 selected: the team pane shows it", |s| s.contains("Agent team · s-03"));

    // A click on the inbox's first gate: the inbox takes the focus, the gate its run.
    let screen = tmux.screen();
    let inbox_top = at(&screen, "Gate inbox").expect("the inbox").1;
    let gate_row = (inbox_top + 1, inbox_top + 1);
    let gate_line = screen.lines().nth(inbox_top).unwrap_or("");
    let gate = gate_line
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .find(|w| w.starts_with("s-") && w.contains(".G"))
        .unwrap_or_else(|| panic!("a gate on the inbox's first row:\n{screen}"))
        .to_string();
    let run = gate.split('.').next().unwrap().to_string();
    let x = at(&screen, &gate).expect("the gate").0;
    click(&tmux, (x, gate_row.1));
    let screen = tmux.wait("the inbox focused, its gate's run in the team pane", |s| {
        line_with(s, "Gate inbox").contains('┏') && s.contains(&format!("Agent team · {run}"))
    });
    assert!(!line_with(&screen, "Startups").contains('┏'), "one pane has the focus:\n{screen}");
    // The same row again: its review opens, as Enter does.
    click(&tmux, (x, gate_row.1));
    tmux.wait("the gate's review", |s| s.contains("Revision history") && s.contains(&gate));
    tmux.keys(&["Escape", "q"]);
    tmux.wait_gone("q did not quit");
}
