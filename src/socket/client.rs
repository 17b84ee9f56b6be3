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

use super::protocol::{ClientMsg, MAX_LINE, ServerMsg, VERSION, read_line_bounded};
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
    let mut first = String::new();
    match tokio::time::timeout(Duration::from_secs(5), read_line_bounded(&mut reader, &mut first, MAX_LINE)).await {
        Ok(Ok(n)) if n > 0 => {}
        _ => return Ok(None),
    }
    match serde_json::from_str::<ServerMsg>(&first) {
        Ok(ServerMsg::Hello { pid, .. }) => Ok(Some(Conn { reader, writer, pid })),
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
        let mut buf = String::new();
        loop {
            buf.clear();
            if read_line_bounded(&mut conn.reader, &mut buf, MAX_LINE).await.map_err(|e| lost(&e.to_string()))? == 0 {
                return Err(lost("the owner closed the connection"));
            }
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
        let mut buf = String::new();
        // Attached: pass calls out, replies, snapshots and events in. A read cut short by
        // a call going out leaves its part of the line in `buf`: it is cleared only once a
        // whole line has been handled.
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
                read = read_line_bounded(&mut conn.reader, &mut buf, MAX_LINE) => {
                    match read {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    let msg = serde_json::from_str::<ServerMsg>(&buf);
                    buf.clear();
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
