//! Headless output for scripts: one line per event (or JSON lines), and the loop that runs the orchestrator until it is idle or told to stop.

mod flush;

use serde_json::{Map, Value, json};
use tokio::sync::broadcast::error::RecvError;

use crate::domain::Event;
use crate::error::Result;
use crate::fmt::format_ts;
use crate::orchestrator::OrchestratorHandle;
use crate::signals::Signals;

/// One human line: time, run, kind, description.
pub fn event_line(e: &Event) -> String {
    let run = e.startup.map(|r| r.to_string()).unwrap_or_else(|| "-".into());
    format!("{} {run:<5} {:<17} {}", format_ts(e.ts), e.kind.name(), e.kind.describe())
}

/// One JSON object: `seq`, `ts` (RFC 3339), `ts_ms`, `startup`, `kind` and the event's data.
pub fn event_json(e: &Event) -> Value {
    let mut map = Map::new();
    map.insert("seq".into(), json!(e.seq));
    map.insert("ts".into(), json!(format_ts(e.ts)));
    map.insert("ts_ms".into(), json!(e.ts));
    map.insert("startup".into(), json!(e.startup.map(|r| r.to_string())));
    if let Ok(Value::Object(data)) = serde_json::to_value(&e.kind) {
        for (k, v) in data {
            map.insert(k, v);
        }
    }
    map.insert("message".into(), json!(e.kind.describe()));
    Value::Object(map)
}

#[derive(Clone, Copy, Debug, Default)]
pub struct HeadlessOptions {
    pub json: bool,
    pub quiet: bool,
    pub exit_when_idle: bool,
    /// With `exit_when_idle`: how long to wait for pending alert deliveries before exiting
    /// (`alerts.flush_s`).
    pub flush_ms: u64,
}

/// Prints events until the orchestrator is idle (with `exit_when_idle`) or a signal comes,
/// then shuts it down cleanly.
pub async fn run(handle: &OrchestratorHandle, opts: HeadlessOptions) -> Result<()> {
    let mut events = handle.subscribe();
    let mut snapshots = handle.watch();
    let mut stop = Signals::new();
    let print = |e: &Event| {
        if opts.quiet {
            return;
        }
        if opts.json {
            crate::cli::say::json(event_json(e));
        } else {
            crate::cli::say::outln(event_line(e));
        }
    };
    // Already idle (every run finished or waiting on a person): nothing will change.
    let mut done = opts.exit_when_idle && snapshots.borrow_and_update().idle;
    let mut signalled = false;
    while !done {
        tokio::select! {
            ev = events.recv() => match ev {
                // Whoever read the events is gone (`| head -5`): stop as after a signal.
                Ok(e) => {
                    print(&e);
                    done = crate::cli::say::stdout_closed();
                }
                Err(RecvError::Lagged(n)) => {
                    if !opts.quiet {
                        crate::cli::say::errln(format_args!("{n} events were not shown (output too slow); `factory status` has the current state"));
                    }
                }
                Err(RecvError::Closed) => done = true,
            },
            changed = snapshots.changed() => {
                if changed.is_err() || (opts.exit_when_idle && snapshots.borrow_and_update().idle) {
                    while let Ok(e) = events.try_recv() {
                        print(&e);
                    }
                    done = true;
                }
            }
            _ = stop.recv() => {
                done = true;
                signalled = true;
            }
        }
    }
    if opts.exit_when_idle && !signalled {
        flush::wait(handle, std::time::Duration::from_millis(opts.flush_ms), &mut stop).await;
    }
    let snap = handle.snapshot();
    handle.shutdown().await?;
    if opts.exit_when_idle {
        let failed: Vec<String> = snap
            .runs
            .iter()
            .filter(|r| r.status == crate::domain::RunStatus::Failed)
            .map(|r| r.id.to_string())
            .collect();
        if !failed.is_empty() {
            return Err(crate::error::FactoryError::new(
                crate::error::ErrorKind::Failed,
                format!(
                    "{} run(s) failed: {}; `factory status {}` says why, `factory resume {}` tries again",
                    failed.len(),
                    failed.join(", "),
                    failed[0],
                    failed[0]
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EventKind, RunId};

    #[test]
    fn json_lines_carry_seq_ts_startup_kind() {
        let e = Event { seq: 3, ts: 0, startup: Some(RunId(1)), kind: EventKind::RunPaused };
        let v = event_json(&e);
        assert_eq!(v["seq"], 3);
        assert_eq!(v["ts"], "1970-01-01T00:00:00.000Z");
        assert_eq!(v["startup"], "s-01");
        assert_eq!(v["kind"], "run_paused");
    }
}
