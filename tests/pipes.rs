//! A closed pipe ends a command quietly, as Unix tools do: `factory events | head -1`
//! exits 0 with nothing on standard error, and a streaming `--headless` run stops cleanly
//! (its runs saved) once nobody reads its events.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::Factory;

/// Runs `args`, reads one line of its output, closes the pipe, and returns the exit code
/// and standard error once it ends (failing if it runs on for `within`).
fn read_one_line_then_close(f: &Factory, args: &[&str], within: Duration) -> (i32, String, String) {
    let mut child = f.cmd(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    drop(out);
    let deadline = Instant::now() + within;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("{args:?} went on for {within:?} after its reader left");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    (status.code().unwrap_or(-1), first, err)
}

#[test]
fn a_closed_pipe_ends_a_command_quietly_with_exit_0() {
    let f = Factory::new();
    f.run(&["demo", "--headless", "--exit-when-idle", "--quiet", "--sim-latency-ms", "0", "--startups", "3"]).ok();
    for args in [&["events"][..], &["events", "--json"], &["events", "--limit", "100000"], &["status"]] {
        let (code, first, err) = read_one_line_then_close(&f, args, Duration::from_secs(30));
        assert!(!first.is_empty(), "{args:?} printed a line");
        assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
    }
}

#[test]
fn a_streaming_headless_run_stops_cleanly_when_its_reader_leaves() {
    let f = Factory::new();
    // Without --exit-when-idle it would stream for as long as someone reads.
    let args = ["demo", "--headless", "--sim-latency-ms", "200", "--startups", "3"];
    let (code, first, err) = read_one_line_then_close(&f, &args, Duration::from_secs(60));
    // An event line (which one comes first depends on when the stream was joined).
    assert!(first.contains(" s-0"), "{first}");
    assert_eq!((code, err.as_str()), (0, ""));
    // Stopped cleanly: the runs are there, and nothing holds the data directory.
    let status = f.status();
    assert_eq!(status["startups"].as_array().unwrap().len(), 3, "{status}");
}
