//! One run of `[alerts] command` for an alert: the program started directly (no shell) in
//! its own process group, the document on standard input, killed with its group at
//! `alerts.timeout_s`. Exit 0 is delivered. Error text names only the program: its
//! arguments may hold a token, so they are scrubbed out of what it printed too.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::courier::Attempt;
use crate::providers::secret::{Scrubber, Secret};
use crate::providers::wire::cli::GroupGuard;

/// Bytes of the program's standard error read, and characters of it kept for a message.
const MAX_STDERR: u64 = 64 << 10;
const STDERR_SHOWN: usize = 200;

pub async fn run(argv: &[String], body: &[u8], timeout: Duration) -> Attempt {
    let Some((program, args)) = argv.split_first() else {
        return Attempt::Refused { error: "the alert command is empty; set `alerts.command`".into() };
    };
    let name = std::path::Path::new(program).file_name().map(|n| n.to_string_lossy().into_owned());
    let name = name.unwrap_or_else(|| program.clone());
    let secrets: Vec<Secret> =
        args.iter().map(|a| Secret::new("alerts.command", Arc::<str>::from(a.as_str()))).collect();
    let scrub = Scrubber::new(&secrets);
    let spawned = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied) => {
            return Attempt::Refused {
                error: format!("cannot start the alert command `{name}` ({e}); check `alerts.command` and PATH"),
            };
        }
        Err(e) => {
            return Attempt::Retry { error: format!("cannot start the alert command `{name}` ({e})"), after: None };
        }
    };
    let mut group = GroupGuard::new(child.id());
    let mut stdin = child.stdin.take();
    let mut stderr = child.stderr.take();
    let work = async {
        let write = async {
            if let Some(mut s) = stdin.take() {
                // A program that exits without reading its input is judged by its exit.
                let _ = s.write_all(body).await;
                let _ = s.write_all(b"\n").await;
                let _ = s.shutdown().await;
            }
        };
        let read = async {
            let mut err = Vec::new();
            if let Some(s) = stderr.as_mut() {
                let _ = s.take(MAX_STDERR).read_to_end(&mut err).await;
            }
            err
        };
        let ((), err) = tokio::join!(write, read);
        (child.wait().await, err)
    };
    let Ok((status, err)) = tokio::time::timeout(timeout, work).await else {
        return Attempt::Retry {
            error: format!(
                "the alert command `{name}` did not finish within {} s (alerts.timeout_s) and was killed",
                timeout.as_secs_f64()
            ),
            after: None,
        };
    };
    // It exited by itself: nothing left to kill.
    group.disarm();
    match status {
        Ok(s) if s.success() => Attempt::Delivered,
        Ok(s) => {
            let text = String::from_utf8_lossy(&err);
            let tail: String = text.trim().lines().last().unwrap_or("").chars().take(STDERR_SHOWN).collect();
            let tail = scrub.scrub(&crate::sanitize::line(&tail));
            let said = if tail.is_empty() { String::new() } else { format!(": {tail}") };
            let how = match s.code() {
                Some(code) => format!("exited with status {code}"),
                None => format!("was stopped by a signal ({s})"),
            };
            Attempt::Retry { error: format!("the alert command `{name}` {how}{said}"), after: None }
        }
        Err(e) => Attempt::Retry { error: format!("the alert command `{name}` failed: {e}"), after: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    #[tokio::test]
    async fn the_document_arrives_on_standard_input_and_exit_0_delivers() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("got.json");
        let argv = sh(&format!("cat > '{}'", out.display()));
        let attempt = run(&argv, br#"{"kind":"run_failed"}"#, Duration::from_secs(5)).await;
        assert!(matches!(attempt, Attempt::Delivered), "{attempt:?}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "{\"kind\":\"run_failed\"}\n");
    }

    #[tokio::test]
    async fn failures_say_why_without_the_arguments() {
        // A program that prints the token it was given as an argument.
        let mut argv = sh("echo \"no route for $1\" >&2; exit 3");
        argv.extend(["sh".to_string(), "tok-3x4mpl3-s3cr3t".to_string()]);
        match run(&argv, b"{}", Duration::from_secs(5)).await {
            Attempt::Retry { error, .. } => {
                assert_eq!(error, "the alert command `sh` exited with status 3: no route for [redacted]");
            }
            other => panic!("{other:?}"),
        }
        let started = std::time::Instant::now();
        match run(&sh("sleep 30"), b"{}", Duration::from_millis(300)).await {
            Attempt::Retry { error, .. } => assert!(error.contains("did not finish within 0.3 s"), "{error}"),
            other => panic!("{other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(5), "killed at its timeout");
        let missing = vec!["/nonexistent/notify-me".to_string()];
        match run(&missing, b"{}", Duration::from_secs(5)).await {
            Attempt::Refused { error } => assert!(error.contains("`notify-me`") && error.contains("alerts.command")),
            other => panic!("{other:?}"),
        }
    }
}
