//! Reaching the orchestrator: attach to the process that owns the data directory when one
//! is running, or open the data directory here (and, for a long-running owner, serve the
//! socket so that other terminals can attach).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::args::{Cli, RunFlags};
use crate::config::{self, Config, ConfigSource};
use crate::error::{ErrorKind, FactoryError, Result};
use crate::orchestrator::{self, Options, OrchestratorHandle};
use crate::socket::{self, AttachOptions, Server};

/// How long a command waits for an owner that holds the data directory but does not yet
/// answer on its socket (it is starting).
const OWNER_STARTING: Duration = Duration::from_secs(3);

pub struct Ctx {
    pub cfg: Arc<Config>,
    pub source: ConfigSource,
    pub data_dir: PathBuf,
    log: Option<tracing_appender::non_blocking::WorkerGuard>,
}

/// A handle, and the socket server when this process owns the data directory and serves.
pub struct Session {
    pub handle: OrchestratorHandle,
    _server: Option<Server>,
}

impl Ctx {
    pub fn load(cli: &Cli) -> Result<Ctx> {
        let (cfg, source) = config::load(cli.config.as_deref())?;
        let data_dir = crate::paths::data_dir(cli.data_dir.clone())?;
        Ok(Ctx { cfg: Arc::new(cfg), source, data_dir, log: None })
    }

    pub fn options(&self) -> Options {
        let mut opts = Options::new(self.data_dir.clone());
        opts.user_templates = user_templates_dir();
        opts
    }

    /// Opens the data directory in this process (logging into it from then on).
    fn open_here(&mut self, opts: Options) -> Result<OrchestratorHandle> {
        let mut store = crate::store::Store::open(&self.data_dir, self.cfg.store.cache_mb)?;
        store.set_min_free_mb(self.cfg.store.min_free_mb);
        if self.log.is_none() {
            self.log = crate::logging::init(&self.data_dir);
        }
        orchestrator::start_with_store(Arc::clone(&self.cfg), opts, store, orchestrator::system_clock())
    }

    /// For a command that reads or decides: through the owner when one runs, else here.
    pub async fn command_session(&mut self, read_only: bool) -> Result<Session> {
        let attach = AttachOptions { read_only, snapshots: false, events: false };
        let deadline = Instant::now() + OWNER_STARTING;
        loop {
            if let Some(handle) = socket::attach(&self.data_dir, attach).await? {
                return Ok(Session { handle, _server: None });
            }
            match self.open_here(self.options()) {
                Ok(handle) => return Ok(Session { handle, _server: None }),
                Err(e) if e.kind == ErrorKind::Held && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) if e.kind == ErrorKind::Held => return Err(unattachable(e)),
                Err(e) => return Err(e),
            }
        }
    }

    /// For the control room or a headless run. A control room attaches to a running owner;
    /// a headless run must be the owner. The owner serves the socket.
    pub async fn run_session(&mut self, opts: Options, flags: &RunFlags, read_only: bool) -> Result<Session> {
        let attach = AttachOptions { read_only, snapshots: true, events: true };
        if let Some(handle) = socket::attach(&self.data_dir, attach).await? {
            return self.attached(handle, flags);
        }
        if read_only {
            return Err(FactoryError::usage(format!(
                "no factory is running over {} to watch; start one (`factory run --headless`) and attach again",
                self.data_dir.display()
            )));
        }
        // Of two started at once, one opens the data directory and the other finds it on
        // the socket once it has loaded the state; a one-shot command holding it for a
        // moment lets go.
        let deadline = Instant::now() + OWNER_STARTING;
        loop {
            match self.open_here(opts.clone()) {
                Ok(handle) => {
                    return match socket::serve(handle.clone(), &self.data_dir) {
                        Ok(server) => Ok(Session { handle, _server: Some(server) }),
                        Err(e) => {
                            let _ = handle.shutdown().await;
                            Err(e)
                        }
                    };
                }
                Err(e) if e.kind == ErrorKind::Held && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    if let Some(handle) = socket::attach(&self.data_dir, attach).await? {
                        return self.attached(handle, flags);
                    }
                }
                Err(e) if e.kind == ErrorKind::Held => return Err(unattachable(e)),
                Err(e) => return Err(e),
            }
        }
    }

    /// Attached to a running owner: fine for a control room; a headless run is refused,
    /// since a second orchestrator would only watch.
    fn attached(&self, handle: OrchestratorHandle, flags: &RunFlags) -> Result<Session> {
        if flags.headless {
            let pid = match *handle.link().borrow() {
                orchestrator::Link::Attached { pid, .. } => pid,
                _ => 0,
            };
            return Err(FactoryError::new(
                ErrorKind::Held,
                format!(
                    "a factory (pid {pid}) already runs over {}; attach to it with `factory`, or stop it first",
                    self.data_dir.display()
                ),
            ));
        }
        Ok(Session { handle, _server: None })
    }
}

/// The user's own templates: `templates/` in the platform config folder.
pub fn user_templates_dir() -> Option<PathBuf> {
    crate::paths::config_dir().map(|d| d.join("templates"))
}

fn unattachable(e: FactoryError) -> FactoryError {
    FactoryError::new(
        ErrorKind::Held,
        format!(
            "{}; it does not answer on its socket, so this command cannot go through it",
            e.message.trim_end_matches("; stop it, or use another --data-dir")
        ),
    )
}
