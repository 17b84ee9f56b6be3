//! The owner's side: `<data-dir>/factory.sock`, mode 0600, peers of another uid refused;
//! each snapshot and event is encoded once and sent to every attached terminal.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{broadcast, mpsc};

use super::protocol::{ClientMsg, ServerMsg, SnapshotDelta, VERSION, misnamed, mutates, read_line_bounded};

/// Longest line a client may send (a command: a new run's idea is the largest part), so
/// that a client cannot make the owner hold an endless line in memory.
const MAX_REQUEST: usize = 1 << 20;
/// The refusal of a command that changes something, on a read-only connection.
const READ_ONLY: &str = "this terminal is attached read-only; attach without --read-only to decide";
use crate::error::{FactoryError, Result};
use crate::orchestrator::{Command, OrchestratorHandle, Snapshot};

/// One encoded snapshot, shared by every connection.
struct Frame {
    version: u64,
    base: u64,
    /// The delta from `base` as a JSON line.
    delta: Arc<str>,
    snapshot: Arc<Snapshot>,
}

/// The running server; the socket file is removed when it is dropped.
pub struct Server {
    path: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

fn line<T: serde::Serialize>(msg: &T) -> String {
    let mut s = serde_json::to_string(msg).expect("protocol messages serialise");
    s.push('\n');
    s
}

/// Binds the socket (replacing a stale one) and serves it. The caller holds the data
/// directory, so a socket file already there was left by a process that is gone.
pub fn serve(handle: OrchestratorHandle, data_dir: &Path) -> Result<Server> {
    serve_for_uid(handle, data_dir, own_uid())
}

/// Serves peers of `uid` only (tests pass another uid to see refusals).
pub fn serve_for_uid(handle: OrchestratorHandle, data_dir: &Path, uid: u32) -> Result<Server> {
    let path = super::socket_path(data_dir);
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.file_type().is_socket() => {
            let _ = std::fs::remove_file(&path);
        }
        Ok(_) => {
            return Err(FactoryError::storage(format!(
                "{} exists and is not a socket; remove it so the factory can serve attached terminals",
                path.display()
            )));
        }
        Err(_) => {}
    }
    let listener = UnixListener::bind(&path).map_err(|e| {
        let (_, what) = crate::store::fault::io_cause(&e);
        FactoryError::storage(format!(
            "cannot serve the socket {} ({what}); give this user write access to the data directory, or pass another --data-dir",
            path.display()
        ))
    })?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| FactoryError::storage(format!("cannot make {} private: {e}", path.display())))?;
    let (frames, _) = broadcast::channel::<Arc<Frame>>(64);
    let (events, _) = broadcast::channel::<Arc<str>>(4096);
    tokio::spawn(encode_snapshots(handle.clone(), frames.clone()));
    tokio::spawn(encode_events(handle.clone(), events.clone()));
    let task = tokio::spawn(async move {
        let mut backoff = ACCEPT_BACKOFF_MIN;
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => {
                    backoff = ACCEPT_BACKOFF_MIN;
                    stream
                }
                Err(e) => {
                    // Out of file descriptors (EMFILE), say: the connection waits in the
                    // backlog, and trying again at once would only spin. Wait, longer each time.
                    if backoff == ACCEPT_BACKOFF_MIN {
                        tracing::warn!(error = %e, "the socket cannot accept a terminal; trying again shortly");
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                    continue;
                }
            };
            let peer = stream.peer_cred().map(|c| c.uid()).ok();
            if peer != Some(uid) {
                tokio::spawn(refuse(
                    stream,
                    format!("this factory serves only its own user (uid {uid}); connect as that user"),
                ));
                continue;
            }
            tokio::spawn(connection(stream, handle.clone(), frames.subscribe(), events.subscribe()));
        }
    });
    Ok(Server { path, task })
}

/// The first and the longest wait after `accept` fails (out of file descriptors, say).
const ACCEPT_BACKOFF_MIN: std::time::Duration = std::time::Duration::from_millis(50);
const ACCEPT_BACKOFF_MAX: std::time::Duration = std::time::Duration::from_secs(2);

/// The effective uid: the one a peer's credentials are compared with.
fn own_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

async fn refuse(mut stream: UnixStream, message: String) {
    let _ = stream.write_all(line(&ServerMsg::Refused { message }).as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Encodes each new snapshot once, as a delta from the one before.
async fn encode_snapshots(handle: OrchestratorHandle, frames: broadcast::Sender<Arc<Frame>>) {
    let mut rx = handle.watch();
    let mut prev = Arc::clone(&rx.borrow_and_update());
    while rx.changed().await.is_ok() {
        let next = Arc::clone(&rx.borrow_and_update());
        if frames.receiver_count() > 0 {
            let delta = SnapshotDelta::between(&prev, &next);
            let frame = Frame {
                version: next.version,
                base: prev.version,
                delta: line(&ServerMsg::Snapshot(Box::new(delta))).into(),
                snapshot: Arc::clone(&next),
            };
            let _ = frames.send(Arc::new(frame));
        }
        prev = next;
    }
}

async fn encode_events(handle: OrchestratorHandle, lines: broadcast::Sender<Arc<str>>) {
    let mut rx = handle.subscribe();
    loop {
        match rx.recv().await {
            Ok(e) => {
                if lines.receiver_count() > 0 {
                    let _ = lines.send(line(&ServerMsg::Event { event: (*e).clone() }).into());
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

async fn connection(
    stream: UnixStream,
    handle: OrchestratorHandle,
    mut frames: broadcast::Receiver<Arc<Frame>>,
    mut events: broadcast::Receiver<Arc<str>>,
) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut first = String::new();
    let hello = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        read_line_bounded(&mut reader, &mut first, MAX_REQUEST),
    )
    .await;
    let Ok(Ok(n)) = hello else { return };
    let (read_only, want_snapshots, want_events) = match serde_json::from_str::<ClientMsg>(&first[..n]) {
        Ok(ClientMsg::Hello { protocol, read_only, snapshots, events }) if protocol == VERSION => {
            (read_only, snapshots, events)
        }
        Ok(ClientMsg::Hello { protocol, .. }) => {
            let message =
                format!("protocol {protocol} is not this factory's ({VERSION}); use the same factory version");
            let _ = write.write_all(line(&ServerMsg::Refused { message }).as_bytes()).await;
            return;
        }
        _ => return,
    };
    let hello = line(&ServerMsg::Hello { protocol: VERSION, pid: std::process::id() });
    if write.write_all(hello.as_bytes()).await.is_err() {
        return;
    }
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<String>();
    let (resync_tx, mut resync_rx) = mpsc::unbounded_channel::<()>();
    // Reader: requests run concurrently; their replies join the outgoing lines.
    let for_reader = handle.clone();
    let reader_task = tokio::spawn(async move {
        let handle = for_reader;
        let mut buf = String::new();
        loop {
            buf.clear();
            match read_line_bounded(&mut reader, &mut buf, MAX_REQUEST).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            match serde_json::from_str::<ClientMsg>(&buf) {
                Ok(ClientMsg::Request { id, command }) => {
                    let handle = handle.clone();
                    let out = out_tx.clone();
                    tokio::spawn(async move {
                        let result = if matches!(command, Command::Shutdown) {
                            Err(FactoryError::usage(
                                "only the process that owns the data directory can stop the orchestrator",
                            ))
                        } else if read_only && mutates(&command) {
                            Err(FactoryError::usage(READ_ONLY))
                        } else {
                            handle.request(command).await
                        };
                        let _ = out.send(line(&ServerMsg::Reply { id, result }));
                    });
                }
                Ok(ClientMsg::Resync) => {
                    let _ = resync_tx.send(());
                }
                Ok(ClientMsg::Hello { .. }) => {}
                Err(e) => {
                    if let Some((id, mutating, why)) = misnamed(&buf) {
                        let why = if read_only && mutating { READ_ONLY.to_string() } else { why };
                        let _ = out_tx.send(line(&ServerMsg::Reply { id, result: Err(FactoryError::usage(why)) }));
                        continue;
                    }
                    let message = format!("a line from the client is not valid: {e}");
                    let _ = out_tx.send(line(&ServerMsg::Refused { message }));
                    return;
                }
            }
        }
    });
    // Writer: the first snapshot whole, then deltas; whole again after a gap.
    let mut sent_version = 0u64;
    if want_snapshots {
        let snap = frames_now(&handle);
        sent_version = snap.version;
        if write.write_all(line(&ServerMsg::Snapshot(Box::new(SnapshotDelta::full(&snap)))).as_bytes()).await.is_err() {
            reader_task.abort();
            return;
        }
    }
    loop {
        let out = tokio::select! {
            l = out_rx.recv() => match l { Some(l) => l, None => break },
            f = frames.recv(), if want_snapshots => match f {
                Ok(f) if f.base == sent_version => { sent_version = f.version; f.delta.to_string() }
                Ok(f) => { sent_version = f.version; line(&ServerMsg::Snapshot(Box::new(SnapshotDelta::full(&f.snapshot)))) }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let snap = frames_now(&handle);
                    sent_version = snap.version;
                    line(&ServerMsg::Snapshot(Box::new(SnapshotDelta::full(&snap))))
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            r = resync_rx.recv() => match r {
                Some(()) => {
                    let snap = frames_now(&handle);
                    sent_version = snap.version;
                    line(&ServerMsg::Snapshot(Box::new(SnapshotDelta::full(&snap))))
                }
                None => break,
            },
            e = events.recv(), if want_events => match e {
                Ok(l) => l.to_string(),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => break,
            },
        };
        if write.write_all(out.as_bytes()).await.is_err() {
            break;
        }
    }
    reader_task.abort();
}

fn frames_now(handle: &OrchestratorHandle) -> Arc<Snapshot> {
    handle.snapshot()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, Write};

    /// Run by `an_accept_that_keeps_failing_backs_off_instead_of_spinning` in a process of its
    /// own: serves the socket with every file descriptor taken, and once the test has
    /// connected, says how much CPU time the next second took.
    #[test]
    #[ignore = "run in a child process by an_accept_that_keeps_failing_backs_off_instead_of_spinning"]
    fn accept_backoff_child() {
        let Some(dir) = std::env::var_os("FACTORY_ACCEPT_DIR") else { return };
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let (calls, _calls) = mpsc::unbounded_channel();
            let (_snapshots, snapshots) = tokio::sync::watch::channel(Arc::new(Snapshot::default()));
            let (events, _) = broadcast::channel(16);
            let (_link, link) = tokio::sync::watch::channel(crate::orchestrator::Link::Owner);
            let handle = OrchestratorHandle::remote(calls, snapshots, events, link);
            let _server = serve(handle, Path::new(&dir)).unwrap();
            // Few descriptors, all of them taken: every accept fails with EMFILE.
            let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            // SAFETY: getrlimit and setrlimit with a valid struct, for this process only.
            unsafe {
                libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
                limit.rlim_cur = limit.rlim_cur.min(256);
                libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            }
            let mut held = Vec::new();
            while let Ok(f) = std::fs::File::open("/dev/null") {
                held.push(f);
            }
            println!("ready");
            let mut go = String::new();
            std::io::stdin().read_line(&mut go).unwrap();
            let cpu = || {
                let mut u: libc::rusage = unsafe { std::mem::zeroed() };
                // SAFETY: getrusage fills the struct it is given.
                unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
                let ms = |t: libc::timeval| t.tv_sec * 1000 + t.tv_usec / 1000;
                ms(u.ru_utime) + ms(u.ru_stime)
            };
            let before = cpu();
            std::thread::sleep(std::time::Duration::from_secs(1));
            println!("cpu_ms {}", cpu() - before);
        });
    }

    /// Found by reading: with no file descriptor left, `accept` fails at once, every time,
    /// and the loop that calls it spun a core. It waits between tries now.
    #[test]
    fn an_accept_that_keeps_failing_backs_off_instead_of_spinning() {
        let d = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "socket::server::tests::accept_backoff_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("FACTORY_ACCEPT_DIR", d.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut seen = String::new();
        let mut wait_for = |what: &str| -> String {
            loop {
                let mut l = String::new();
                assert!(out.read_line(&mut l).unwrap() > 0, "the child ended without `{what}`: {seen}");
                seen.push_str(&l);
                if let Some(i) = l.find(what) {
                    return l[i + what.len()..].trim().to_string();
                }
            }
        };
        wait_for("ready");
        let _waiting: Vec<_> = (0..3)
            .map(|_| std::os::unix::net::UnixStream::connect(crate::socket::socket_path(d.path())).unwrap())
            .collect();
        child.stdin.as_mut().unwrap().write_all(b"go\n").unwrap();
        let cpu_ms: i64 = wait_for("cpu_ms ").parse().unwrap();
        let _ = child.kill();
        let _ = child.wait();
        assert!(cpu_ms < 300, "the accept loop took {cpu_ms} ms of CPU in one second with no descriptor left");
    }
}
