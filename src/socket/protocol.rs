//! The socket's JSON lines: the same `Command`s, `Reply`s, snapshots and events the
//! in-process control room uses; snapshots after the first carry only the runs that changed.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::domain::{Event, GateRef, RunId};
use crate::error::FactoryError;
use crate::orchestrator::{Command, Reply, RunView, Snapshot};

/// Longest line either side accepts (a full snapshot of many runs is the largest).
pub const MAX_LINE: usize = 64 << 20;

/// Protocol version: a client and an owner with different versions refuse each other.
pub const VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    Hello {
        protocol: u32,
        /// Refuse this connection's commands that change anything.
        read_only: bool,
        snapshots: bool,
        events: bool,
    },
    Request {
        id: u64,
        command: Command,
    },
    /// A delta did not apply: send the next snapshot whole.
    Resync,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    Hello { protocol: u32, pid: u32 },
    Refused { message: String },
    Reply { id: u64, result: Result<Reply, FactoryError> },
    Snapshot(Box<SnapshotDelta>),
    Event { event: Event },
}

/// A snapshot as sent: everything but the runs, then the runs that changed since `base`
/// (all of them when `base` is 0).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SnapshotDelta {
    /// The snapshot version this applies to (0: none, this is complete).
    pub base: u64,
    pub runs_len: usize,
    pub changed: Vec<Arc<RunView>>,
    /// The snapshot with `runs` left empty.
    pub rest: Snapshot,
}

impl SnapshotDelta {
    /// Everything in `snap`.
    pub fn full(snap: &Snapshot) -> Self {
        SnapshotDelta {
            base: 0,
            runs_len: snap.runs.len(),
            changed: snap.runs.clone(),
            rest: Snapshot { runs: Vec::new(), ..snap.clone() },
        }
    }

    /// What changed from `prev` to `next`: runs whose view was rebuilt (a new `Arc`).
    pub fn between(prev: &Snapshot, next: &Snapshot) -> Self {
        let changed = next
            .runs
            .iter()
            .enumerate()
            .filter(|(i, r)| prev.runs.get(*i).is_none_or(|p| !Arc::ptr_eq(p, r)))
            .map(|(_, r)| Arc::clone(r))
            .collect();
        SnapshotDelta {
            base: prev.version,
            runs_len: next.runs.len(),
            changed,
            rest: Snapshot { runs: Vec::new(), ..next.clone() },
        }
    }

    /// The snapshot this delta makes of `prev`; `None` if it does not apply to `prev`.
    pub fn apply(self, prev: Option<&Snapshot>) -> Option<Snapshot> {
        let mut runs = match (self.base, prev) {
            // `runs_len` comes from the wire: nothing is allocated on its word.
            (0, _) => Vec::with_capacity(self.changed.len()),
            (b, Some(p)) if p.version == b => p.runs.clone(),
            _ => return None,
        };
        runs.truncate(self.runs_len);
        for r in self.changed {
            // Run ids start at 1; a 0 from the wire is refused, not wrapped.
            let i = (r.id.0 as usize).checked_sub(1)?;
            if i < runs.len() {
                runs[i] = r;
            } else if i == runs.len() {
                runs.push(r);
            } else {
                return None;
            }
        }
        if runs.len() != self.runs_len {
            return None;
        }
        Some(Snapshot { runs, ..self.rest })
    }
}

/// Reads JSON lines from a stream, refusing one longer than `max` bytes. Cancel-safe: the
/// part of a line read before the future was dropped (a `select!` branch that lost) stays
/// in the buffer, and the next call goes on from there.
#[derive(Debug)]
pub struct LineReader {
    buf: Vec<u8>,
    max: usize,
}

impl LineReader {
    pub fn new(max: usize) -> Self {
        LineReader { buf: Vec::new(), max }
    }

    /// The next whole line without its `\n`; `Ok(None)` at the end of the stream (a last
    /// line cut short is dropped with it). Only `fill_buf` awaits, and what it returned is
    /// moved into the buffer before the next await, so no byte is ever lost to a cancel.
    pub async fn next_line<R: tokio::io::AsyncBufRead + Unpin>(
        &mut self,
        reader: &mut R,
    ) -> std::io::Result<Option<String>> {
        use tokio::io::AsyncBufReadExt;
        loop {
            let available = reader.fill_buf().await?;
            if available.is_empty() {
                self.buf.clear();
                return Ok(None);
            }
            let (take, done) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (available.len(), false),
            };
            if self.buf.len() + take > self.max + 1 {
                self.buf.clear();
                let max = self.max;
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("a line is longer than {max} bytes"),
                ));
            }
            self.buf.extend_from_slice(&available[..take]);
            reader.consume(take);
            if done {
                let mut line = std::mem::take(&mut self.buf);
                line.pop();
                return String::from_utf8(line)
                    .map(Some)
                    .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "a line is not UTF-8"));
            }
        }
    }
}

/// Reads one line, refusing one longer than `max` bytes. Not cancel-safe: for a one-off
/// read under a timeout; a loop that `select!`s uses a [`LineReader`].
pub async fn read_line_bounded<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut String,
    max: usize,
) -> std::io::Result<usize> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    let n = (&mut *reader).take(max as u64 + 1).read_line(buf).await?;
    if n > max {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("a line is longer than {max} bytes")));
    }
    Ok(n)
}

/// A request line whose command names a run or a gate that is not one (`"run": "x"`) and is
/// otherwise sound: its id, whether the command changes anything, and why the id is not
/// one, in the words the orchestrator used when it parsed the ids itself; so a client that
/// sends them unparsed gets the same reply as before rather than a refusal.
pub fn misnamed(line: &str) -> Option<(u64, bool, String)> {
    let mut msg: serde_json::Value = serde_json::from_str(line).ok()?;
    if msg.get("type")? != "request" {
        return None;
    }
    let id = msg.get("id")?.as_u64()?;
    let command = msg.get_mut("command")?.as_object_mut()?;
    let mut why = None;
    for (key, check) in [("run", check::<RunId> as fn(&str) -> Option<String>), ("gate", check::<GateRef>)] {
        if let Some(bad) = command.get(key).and_then(|v| v.as_str()).and_then(check) {
            why = why.or(Some(bad));
            command.insert(key.into(), "s-01".into());
        }
    }
    let command: Command = serde_json::from_value(serde_json::Value::Object(command.clone())).ok()?;
    Some((id, mutates(&command), why?))
}

fn check<T: std::str::FromStr<Err = String>>(text: &str) -> Option<String> {
    text.parse::<T>().err()
}

/// Whether a command changes anything (refused on a read-only connection). Every command
/// is named here, with no catch-all: a new one does not compile until it is classed.
pub fn mutates(cmd: &Command) -> bool {
    match cmd {
        Command::NewRun(_)
        | Command::Decide { .. }
        | Command::Pause { .. }
        | Command::Resume { .. }
        | Command::Cancel { .. }
        | Command::RemoveTemplate { .. }
        | Command::AckAlerts { .. }
        | Command::Shutdown => true,
        Command::Status { .. }
        | Command::Gates { .. }
        | Command::Alerts
        | Command::Providers
        | Command::Export { .. }
        | Command::Events { .. }
        | Command::Metrics
        | Command::Review { .. }
        | Command::Files { .. }
        | Command::ReadFile { .. }
        | Command::Stats { .. }
        | Command::Templates => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Decision;
    use crate::testkit::fixture;
    use proptest::prelude::*;

    fn command() -> impl Strategy<Value = Command> {
        let text = "\\PC{0,12}";
        let run = (1..2000u32).prop_map(RunId);
        let gate = "s-[0-9]{1,3}[1-9](\\.G[1-3](\\.[0-9])?)?".prop_map(|g| g.parse::<GateRef>().unwrap());
        prop_oneof![
            (gate, any::<bool>(), proptest::option::of(text), text, proptest::option::of("[0-9.]{1,6}"), 0..3usize)
                .prop_map(|(gate, _, note, by, budget_usd, d)| Command::Decide {
                    gate,
                    decision: [Decision::Approve, Decision::Revise, Decision::Reject][d],
                    note,
                    by,
                    budget_usd,
                }),
            run.clone().prop_map(|run| Command::Pause { run }),
            (run.clone(), text).prop_map(|(run, by)| Command::Cancel { run, by }),
            proptest::option::of(run).prop_map(|run| Command::Status { run }),
            any::<bool>().prop_map(|all| Command::Gates { all }),
            any::<usize>().prop_map(|limit| Command::Events { limit }),
            Just(Command::Alerts),
            Just(Command::Shutdown),
        ]
    }

    fn client_msg() -> impl Strategy<Value = ClientMsg> {
        prop_oneof![
            (any::<u32>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
                |(protocol, read_only, snapshots, events)| {
                    ClientMsg::Hello { protocol, read_only, snapshots, events }
                }
            ),
            (any::<u64>(), command()).prop_map(|(id, command)| ClientMsg::Request { id, command }),
            Just(ClientMsg::Resync),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Every message a client can send comes back the same through its JSON line.
        #[test]
        fn client_messages_round_trip(msg in client_msg()) {
            let line = serde_json::to_string(&msg).unwrap();
            prop_assert!(!line.contains('\n'), "one line");
            let back: ClientMsg = serde_json::from_str(&line).unwrap();
            prop_assert_eq!(back, msg);
        }

        /// A delta between two snapshots, sent as a line, rebuilds the second from the first,
        /// whichever runs changed, appeared or went.
        #[test]
        fn snapshot_deltas_round_trip(
            n in 0usize..6,
            changes in proptest::collection::vec((0usize..8, any::<u64>()), 0..5),
            keep in 0usize..8,
            extra in 0usize..3,
        ) {
            let mut a = fixture::snapshot(n, 1, 1);
            a.version = 3;
            let mut b = a.clone();
            b.version = 4;
            b.runs.truncate(keep.min(n));
            let more = fixture::snapshot(b.runs.len() + extra, 1, 1);
            b.runs.extend(more.runs[b.runs.len()..].iter().cloned());
            for (i, cost) in changes {
                if let Some(r) = b.runs.get_mut(i) {
                    let mut v = (**r).clone();
                    v.cost_micros = cost;
                    *r = Arc::new(v);
                }
            }
            let line = serde_json::to_string(&ServerMsg::Snapshot(Box::new(SnapshotDelta::between(&a, &b)))).unwrap();
            let ServerMsg::Snapshot(back) = serde_json::from_str(&line).unwrap() else { panic!("not a snapshot") };
            prop_assert_eq!(back.apply(Some(&a)), Some(b));
        }

        /// A delta from the wire, whatever its base, length and run ids, applies or is refused.
        #[test]
        fn any_delta_applies_or_is_refused(
            base in prop_oneof![Just(0u64), Just(3u64), any::<u64>()],
            runs_len in prop_oneof![0usize..8, any::<usize>()],
            ids in proptest::collection::vec(prop_oneof![0u32..8, any::<u32>()], 0..6),
        ) {
            let mut prev = fixture::snapshot(3, 1, 1);
            prev.version = 3;
            let template = fixture::snapshot(1, 1, 1).runs[0].clone();
            let changed = ids.iter().map(|id| Arc::new(RunView { id: RunId(*id), ..(*template).clone() })).collect();
            let delta = SnapshotDelta { base, runs_len, changed, rest: Snapshot::default() };
            if let Some(s) = delta.clone().apply(Some(&prev)) {
                prop_assert_eq!(s.runs.len(), runs_len);
            }
            if let Some(s) = delta.apply(None) {
                prop_assert_eq!(s.runs.len(), runs_len);
            }
        }
    }

    /// Found by `any_delta_applies_or_is_refused`: a run id of 0 underflowed, and a huge
    /// `runs_len` from the wire was allocated up front.
    #[test]
    fn a_hostile_delta_is_refused_not_a_panic() {
        let template = fixture::snapshot(1, 1, 1).runs[0].clone();
        let zero = Arc::new(RunView { id: RunId(0), ..(*template).clone() });
        let delta = SnapshotDelta { base: 0, runs_len: 1, changed: vec![zero], rest: Snapshot::default() };
        assert_eq!(delta.apply(None), None);
        let huge = SnapshotDelta { base: 0, runs_len: usize::MAX, changed: Vec::new(), rest: Snapshot::default() };
        assert_eq!(huge.apply(None), None);
    }

    #[test]
    fn deltas_carry_only_changed_runs_and_rebuild_the_snapshot() {
        let a = fixture::snapshot(50, 3, 5);
        let mut b = a.clone();
        b.version = a.version + 1;
        let mut changed = (*b.runs[7]).clone();
        changed.cost_micros += 1;
        b.runs[7] = Arc::new(changed);
        let mut extra = (*b.runs[0]).clone();
        extra.id = crate::domain::RunId(51);
        b.runs.push(Arc::new(extra));
        let delta = SnapshotDelta::between(&a, &b);
        assert_eq!(delta.changed.len(), 2);
        let line = serde_json::to_string(&ServerMsg::Snapshot(Box::new(delta))).unwrap();
        let ServerMsg::Snapshot(back) = serde_json::from_str(&line).unwrap() else { panic!() };
        let rebuilt = back.apply(Some(&a)).unwrap();
        assert_eq!(rebuilt, b);
        // A delta on the wrong base is refused, so the client asks for it whole.
        let stale = SnapshotDelta::between(&a, &b);
        let mut other = a.clone();
        other.version = 99;
        assert!(stale.apply(Some(&other)).is_none());
        assert_eq!(SnapshotDelta::full(&b).apply(None).unwrap(), b);
    }

    /// The ids cross the socket as the strings clients sent before they were typed.
    #[test]
    fn run_and_gate_ids_are_sent_as_the_text_they_always_were() {
        let pause = serde_json::to_string(&Command::Pause { run: RunId(1) }).unwrap();
        assert_eq!(pause, r#"{"command":"pause","run":"s-01"}"#);
        let review = serde_json::to_string(&Command::Review { gate: "s-03.G1".parse().unwrap() }).unwrap();
        assert_eq!(review, r#"{"command":"review","gate":"s-03.G1"}"#);
        let old: Command = serde_json::from_str(r#"{"command":"status","run":"7"}"#).unwrap();
        assert_eq!(old, Command::Status { run: Some(RunId(7)) });
        // An id that is not one is answered with the orchestrator's words, not refused.
        let line = r#"{"type":"request","id":4,"command":{"command":"pause","run":"x"}}"#;
        assert!(serde_json::from_str::<ClientMsg>(line).is_err());
        assert_eq!(misnamed(line), Some((4, true, "`x` is not a run id (expected the form s-01)".into())));
        let line = r#"{"type":"request","id":5,"command":{"command":"review","gate":"s-01.G9"}}"#;
        assert_eq!(misnamed(line).map(|m| (m.0, m.1)), Some((5, false)));
        // Anything else wrong with the line is refused as before.
        assert_eq!(misnamed(r#"{"type":"request","id":6,"command":{"command":"nope","run":"x"}}"#), None);
        assert_eq!(misnamed(r#"{"type":"request","id":7,"command":{"command":"pause","run":"s-01"}}"#), None);
    }
}
