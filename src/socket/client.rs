//! The attached side: connect to the owner's socket and get an `OrchestratorHandle` that
//! works like the owner's own; when the owner goes away, say so and attach again once an
//! owner is back.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use super::protocol::{ClientMsg, LineReader, MAX_LINE, ServerMsg, VERSION};
use crate::error::{ErrorKind, FactoryError, Result};
use crate::orchestrator::{Link, OrchestratorHandle, Reply, Snapshot};

/// How often a terminal whose owner went away tries again.
const RETRY: Duration = Duration::from_millis(300);

#[derive(Clone, Copy, Debug, Default)]
pub struct AttachOptions {
    pub read_only: bool,
    /// Receive snapshots (a control room) or not (a one-shot command).
    pub snapshots: bool,
    pub events: bool,
}

struct Conn {
    reader: BufReader<OwnedReadHalf>,
    /// The line being read: kept across `select!` turns, so a read cut short by a call
    /// going out loses nothing.
    lines: LineReader,
    writer: OwnedWriteHalf,
    pid: u32,
}

fn line<T: serde::Serialize>(msg: &T) -> String {
    let mut s = serde_json::to_string(msg).expect("protocol messages serialise");
    s.push('\n');
    s
}

/// Connects and says hello. `Ok(None)`: no owner is listening (no socket, or a stale one).
async fn connect(path: &Path, opts: AttachOptions) -> Result<Option<Conn>> {
    let stream = match UnixStream::connect(path).await {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::InvalidInput
            ) =>
        {
            return Ok(None);
        }
        Err(e) => {
            return Err(FactoryError::storage(format!(
                "cannot connect to {}: {e}; check its permissions",
                path.display()
            )));
        }
    };
    let (read, mut writer) = stream.into_split();
    let mut reader = BufReader::new(read);
    let hello = ClientMsg::Hello {
        protocol: VERSION,
        read_only: opts.read_only,
        snapshots: opts.snapshots,
        events: opts.events,
    };
    // A refusal may already be waiting even if this write fails: read the answer anyway.
    let _ = writer.write_all(line(&hello).as_bytes()).await;
    let mut lines = LineReader::new(MAX_LINE);
    let Ok(Ok(Some(first))) = tokio::time::timeout(Duration::from_secs(5), lines.next_line(&mut reader)).await else {
        return Ok(None);
    };
    match serde_json::from_str::<ServerMsg>(&first) {
        Ok(ServerMsg::Hello { pid, .. }) => Ok(Some(Conn { reader, lines, writer, pid })),
        Ok(ServerMsg::Refused { message }) => Err(FactoryError::new(ErrorKind::Held, message)),
        _ => Err(FactoryError::new(
            ErrorKind::Held,
            format!("{} answered in a way this factory does not understand", path.display()),
        )),
    }
}

/// Attaches to the owner of `data_dir`, or returns `Ok(None)` when no owner is listening.
pub async fn attach(data_dir: &Path, opts: AttachOptions) -> Result<Option<OrchestratorHandle>> {
    let path = super::socket_path(data_dir);
    let Some(mut conn) = connect(&path, opts).await? else { return Ok(None) };
    // A control room waits for its first picture before it draws.
    let mut first: Option<Snapshot> = None;
    if opts.snapshots {
        loop {
            let Some(buf) = conn.lines.next_line(&mut conn.reader).await.map_err(|e| lost(&e.to_string()))? else {
                return Err(lost("the owner closed the connection"));
            };
            if let Ok(ServerMsg::Snapshot(d)) = serde_json::from_str::<ServerMsg>(&buf) {
                first = d.apply(None);
                break;
            }
        }
    }
    let (snap_tx, snap_rx) = watch::channel(Arc::new(first.unwrap_or_default()));
    let (events, _) = broadcast::channel(16_384);
    let (link_tx, link_rx) = watch::channel(Link::Attached { pid: conn.pid, read_only: opts.read_only });
    let (calls, calls_rx) = mpsc::unbounded_channel();
    let handle = OrchestratorHandle::remote(calls, snap_rx, events.clone(), link_rx);
    tokio::spawn(run(path, opts, conn, calls_rx, snap_tx, events, link_tx));
    Ok(Some(handle))
}

fn lost(why: &str) -> FactoryError {
    FactoryError::new(ErrorKind::Unavailable, format!("not attached to the orchestrator ({why}); it is reattaching"))
}

type Pending = HashMap<u64, oneshot::Sender<Result<Reply>>>;

async fn run(
    path: PathBuf,
    opts: AttachOptions,
    mut conn: Conn,
    mut calls: mpsc::UnboundedReceiver<crate::orchestrator::RemoteCall>,
    snapshots: watch::Sender<Arc<Snapshot>>,
    events: broadcast::Sender<Arc<crate::domain::Event>>,
    link: watch::Sender<Link>,
) {
    let mut next_id = 1u64;
    loop {
        let mut pending: Pending = HashMap::new();
        // Attached: pass calls out, replies, snapshots and events in. A read cut short by
        // a call going out leaves its part of the line in `conn.lines`, and the next turn
        // goes on from there (`LineReader::next_line` is cancel-safe; `read_line` is not).
        loop {
            tokio::select! {
                call = calls.recv() => {
                    let Some((command, reply)) = call else { return };
                    let id = next_id;
                    next_id += 1;
                    let msg = line(&ClientMsg::Request { id, command });
                    if conn.writer.write_all(msg.as_bytes()).await.is_err() {
                        let _ = reply.send(Err(lost("the owner went away")));
                        break;
                    }
                    pending.insert(id, reply);
                }
                read = conn.lines.next_line(&mut conn.reader) => {
                    let Ok(Some(buf)) = read else { break };
                    let msg = serde_json::from_str::<ServerMsg>(&buf);
                    match msg {
                        Ok(ServerMsg::Reply { id, result }) => {
                            if let Some(tx) = pending.remove(&id) {
                                let _ = tx.send(result);
                            }
                        }
                        Ok(ServerMsg::Snapshot(delta)) => {
                            let prev = Arc::clone(&snapshots.borrow());
                            match delta.apply(Some(&prev)) {
                                Some(s) => {
                                    snapshots.send_replace(Arc::new(s));
                                }
                                None => {
                                    let _ = conn.writer.write_all(line(&ClientMsg::Resync).as_bytes()).await;
                                }
                            }
                        }
                        Ok(ServerMsg::Event { event }) => {
                            let _ = events.send(Arc::new(event));
                        }
                        Ok(ServerMsg::Refused { .. }) | Ok(ServerMsg::Hello { .. }) | Err(_) => {}
                    }
                }
            }
        }
        // The owner went away: fail what waits, say so, and try again until one is back.
        for (_, tx) in pending.drain() {
            let _ = tx.send(Err(lost("the owner went away before answering")));
        }
        link.send_replace(Link::Lost { read_only: opts.read_only });
        conn = loop {
            tokio::select! {
                call = calls.recv() => match call {
                    Some((_, reply)) => { let _ = reply.send(Err(lost("the owner went away"))); }
                    None => return,
                },
                _ = tokio::time::sleep(RETRY) => {
                    if let Ok(Some(c)) = connect(&path, opts).await {
                        break c;
                    }
                }
            }
        };
        link.send_replace(Link::Attached { pid: conn.pid, read_only: opts.read_only });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::Command;
    use crate::socket::protocol::SnapshotDelta;
    use tokio::net::UnixListener;

    const PLAIN: AttachOptions = AttachOptions { read_only: false, snapshots: false, events: false };

    /// A hand-driven owner: answers the hello, then hands its side of the line to the test.
    async fn fake_owner(dir: &Path) -> tokio::task::JoinHandle<(BufReader<OwnedReadHalf>, LineReader, OwnedWriteHalf)> {
        let listener = UnixListener::bind(crate::socket::socket_path(dir)).unwrap();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let (read, mut write) = stream.into_split();
            let mut reader = BufReader::new(read);
            let mut lines = LineReader::new(MAX_LINE);
            let hello = lines.next_line(&mut reader).await.unwrap().unwrap();
            assert!(matches!(serde_json::from_str(&hello).unwrap(), ClientMsg::Hello { .. }));
            write.write_all(line(&ServerMsg::Hello { protocol: VERSION, pid: 7 }).as_bytes()).await.unwrap();
            (reader, lines, write)
        })
    }

    async fn request_id(lines: &mut LineReader, reader: &mut BufReader<OwnedReadHalf>) -> u64 {
        let l = tokio::time::timeout(Duration::from_secs(5), lines.next_line(reader)).await.unwrap().unwrap().unwrap();
        match serde_json::from_str(&l).unwrap() {
            ClientMsg::Request { id, .. } => id,
            other => panic!("not a request: {other:?}"),
        }
    }

    fn reply(id: u64) -> String {
        line(&ServerMsg::Reply { id, result: Ok(Reply::Done { message: format!("reply {id}") }) })
    }

    /// A long snapshot line and a reply, each cut in two by a request going out while it is
    /// half read: neither is lost, and every request gets its own reply.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lines_half_read_when_a_request_goes_out_are_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let owner = fake_owner(dir.path()).await;
        let handle = attach(dir.path(), PLAIN).await.unwrap().expect("the fake owner listens");
        let (mut reader, mut lines, mut write) = owner.await.unwrap();
        let snap = crate::testkit::fixture::snapshot(300, 3, 5);
        let big = line(&ServerMsg::Snapshot(Box::new(SnapshotDelta::full(&snap))));
        assert!(big.len() > 100_000, "a long line: {} bytes", big.len());
        let (big_a, big_b) = big.split_at(big.len() / 2);
        let one = reply(1);
        let (one_a, one_b) = one.split_at(one.len() / 2);
        let pause = || tokio::time::sleep(Duration::from_millis(200));

        let h = handle.clone();
        let first = tokio::spawn(async move { h.request(Command::Alerts).await });
        assert_eq!(request_id(&mut lines, &mut reader).await, 1);
        write.write_all(big_a.as_bytes()).await.unwrap();
        pause().await;
        // The client is half-way through the snapshot when the second request goes out.
        let h = handle.clone();
        let second = tokio::spawn(async move { h.request(Command::Alerts).await });
        assert_eq!(request_id(&mut lines, &mut reader).await, 2);
        write.write_all(big_b.as_bytes()).await.unwrap();
        write.write_all(one_a.as_bytes()).await.unwrap();
        pause().await;
        // And half-way through the first reply when the third goes out.
        let h = handle.clone();
        let third = tokio::spawn(async move { h.request(Command::Alerts).await });
        assert_eq!(request_id(&mut lines, &mut reader).await, 3);
        write.write_all(one_b.as_bytes()).await.unwrap();
        write.write_all((reply(2) + &reply(3)).as_bytes()).await.unwrap();

        for (n, task) in [(1, first), (2, second), (3, third)] {
            let got = tokio::time::timeout(Duration::from_secs(5), task).await;
            let got = got.unwrap_or_else(|_| panic!("request {n} never got its reply")).unwrap().unwrap();
            assert_eq!(got, Reply::Done { message: format!("reply {n}") });
        }
        let mut watch = handle.watch();
        let seen = tokio::time::timeout(Duration::from_secs(5), watch.wait_for(|s| s.runs.len() == 300)).await;
        assert!(seen.is_ok(), "the snapshot cut in two never arrived whole");
    }

    /// An owner that takes a request and never answers: the request ends, saying so.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reply_that_never_comes_times_out_and_says_what_happened() {
        let dir = tempfile::tempdir().unwrap();
        let owner = fake_owner(dir.path()).await;
        let handle = attach(dir.path(), PLAIN).await.unwrap().expect("the fake owner listens");
        let handle = handle.with_reply_timeout(Duration::from_millis(300));
        let (mut reader, mut lines, _write) = owner.await.unwrap();
        let asked = tokio::spawn(async move { handle.request(Command::Status { run: None }).await });
        assert_eq!(request_id(&mut lines, &mut reader).await, 1);
        let got = tokio::time::timeout(Duration::from_secs(5), asked).await.expect("the request never ended").unwrap();
        let err = got.expect_err("no reply came");
        assert!(err.to_string().contains("did not answer `status` within 0.3 s"), "{err}");
    }
}
