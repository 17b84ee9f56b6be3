//! The bench's own loopback fake servers, on a tokio runtime and OS threads of their own,
//! so that their work neither shares the clients' threads nor counts on their CPU clocks.

use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::bench::measure::ThreadClock;
use crate::error::{FactoryError, Result};
use crate::fake_server::{FakeOptions, FakeServer};

/// Two fake servers (OpenAI format, `chunks` pieces a stream): one streaming as fast as it
/// can, one pausing `pace` between chunks; both on a runtime of two worker threads (so that
/// about 1,000 paced streams at once do not wait on one core), started from a thread that
/// then waits for the end.
pub struct ServerThread {
    servers: (FakeServer, FakeServer),
    /// The CPU clocks of the runtime's threads.
    clocks: Arc<Mutex<Vec<ThreadClock>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

type Started = std::io::Result<(FakeServer, FakeServer)>;

impl ServerThread {
    pub fn start(chunks: usize, pace: Duration) -> Result<ServerThread> {
        let (tx, rx) = mpsc::channel::<Started>();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let clocks = Arc::new(Mutex::new(Vec::new()));
        let registry = Arc::clone(&clocks);
        let thread = std::thread::Builder::new()
            .name("bench-server".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("bench-server")
                    .on_thread_start(move || {
                        if let Some(c) = ThreadClock::current() {
                            registry.lock().unwrap_or_else(|e| e.into_inner()).push(c);
                        }
                    })
                    .enable_all()
                    .build();
                let rt = match rt {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    let opts = |delay| FakeOptions {
                        chunks,
                        chunk_delay: delay,
                        words: 100,
                        ledger: false,
                        ..FakeOptions::default()
                    };
                    let started = async {
                        let fast = FakeServer::start(opts(Duration::ZERO)).await?;
                        let paced = FakeServer::start(opts(pace)).await?;
                        Ok((fast, paced))
                    }
                    .await;
                    let _ = tx.send(started);
                    let _ = stopped.await;
                });
            })
            .map_err(|e| FactoryError::internal(format!("cannot start the loopback server's thread: {e}")))?;
        let servers = rx
            .recv()
            .map_err(|_| FactoryError::internal("the loopback server's thread stopped before it started"))?
            .map_err(|e| FactoryError::internal(format!("cannot start the loopback server: {e}")))?;
        Ok(ServerThread { servers, clocks, stop: Some(stop), thread: Some(thread) })
    }

    /// The server that streams without pauses.
    pub fn fast(&self) -> &FakeServer {
        &self.servers.0
    }

    /// The server that pauses between chunks.
    pub fn paced(&self) -> &FakeServer {
        &self.servers.1
    }

    /// The CPU clocks of the servers' threads.
    pub fn clocks(&self) -> ServerClocks {
        ServerClocks(Arc::clone(&self.clocks))
    }

    /// The CPU time the servers' threads have used so far, in nanoseconds.
    pub fn cpu_ns(&self) -> u64 {
        self.clocks().ns()
    }
}

/// The CPU clocks of a server's threads, readable from any thread.
#[derive(Clone)]
pub struct ServerClocks(Arc<Mutex<Vec<ThreadClock>>>);

impl ServerClocks {
    /// Their CPU time so far, all together, in nanoseconds.
    pub fn ns(&self) -> u64 {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).iter().map(ThreadClock::ns).sum()
    }
}

impl Drop for ServerThread {
    /// Stops the runtime (the servers' tasks end with it) and waits for the thread.
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
