//! The orchestrator: one actor owning all domain state, fed `Command`s through a handle,
//! publishing `Snapshot`s and `Event`s; with the scheduler, pipeline, team, budgets and alerts.

mod actor;
mod alert_acks;
mod alert_tally;
mod alerts;
pub mod answer;
mod budget;
mod cluster_notes;
pub mod command;
mod context;
mod counters;
mod day_budget;
mod deliveries;
mod dispatch;
mod feedback;
mod gates;
mod handle;
mod health;
mod integrate;
mod outbox;
pub(crate) mod pipeline;
mod pycheck;
mod queries;
mod repair;
mod runs;
pub mod scheduler;
pub mod snapshot;
mod state;
mod stats;
mod team;
mod templates;
#[cfg(test)]
mod tests;
mod views;
mod waits;
mod worker;

use std::path::PathBuf;
use std::sync::Arc;

/// What a templates reply carries, named here for the views.
pub use crate::templates::TemplateInfo;
pub use command::{
    AlertAck, Command, Evidence, EvidenceKind, ExportData, FILE_LIMIT, FileEntry, FileText, Metrics, NewRun,
    PreviousRevision, Reply, ReviewData, RunDetail,
};
pub use handle::{Link, OrchestratorHandle, RemoteCall};
pub use health::Health;
pub(crate) use integrate::made_by_checks;
pub use integrate::{CHECKS_DOC, check_line};
pub use snapshot::{
    CheckBrief, CircuitState, PhaseBrief, ProviderView, RoleState, RoleView, RoutingView, RunView, Snapshot,
    StatusCounts,
};
pub use state::{Clock, system_clock};
pub use templates::decided_automatically;

use runs::RunIx;

use crate::config::Config;
use crate::error::{FactoryError, Result};
use crate::providers::{Gateway, GatewayNote, Trees};
use crate::store::Store;

/// How the orchestrator runs.
#[derive(Clone, Debug)]
pub struct Options {
    pub data_dir: PathBuf,
    /// Start tasks. Off for a one-shot CLI command that only reads or decides.
    pub dispatch: bool,
    /// Approve every review gate (G0-G3) as it opens; budget gates still wait for a person.
    pub auto_approve: bool,
    /// Use only the simulated provider.
    pub simulate: bool,
    /// How long a shutdown waits for calls in flight.
    pub grace_ms: u64,
    /// The user's own templates (`templates new`), beside the config file; none in tests.
    pub user_templates: Option<PathBuf>,
}

impl Options {
    pub fn new(data_dir: PathBuf) -> Self {
        Options {
            data_dir,
            dispatch: false,
            auto_approve: false,
            simulate: false,
            grace_ms: 3_000,
            user_templates: None,
        }
    }
}

/// Messages to the actor: commands with their reply channel, and workers' reports.
pub(crate) enum Msg {
    Command(Command, state::ReplyTo),
    Finished(Box<worker::Finished>),
    Note {
        run_index: RunIx,
        task: String,
        note: GatewayNote,
    },
    /// How an attempt to deliver an alert went (from the courier).
    Delivered(crate::delivery::Outcome),
    /// Something the cluster dispatcher wants in the event log.
    Cluster(crate::cluster::Notice),
}

/// Opens the store, loads the state and starts the actor on its own thread.
/// Must be called inside a tokio runtime (workers run on it).
pub fn start(cfg: Arc<Config>, opts: Options, clock: Clock) -> Result<OrchestratorHandle> {
    let mut store = Store::open(&opts.data_dir, cfg.store.cache_mb)?;
    store.set_min_free_mb(cfg.store.min_free_mb);
    start_with_store(cfg, opts, store, clock)
}

pub fn start_with_store(cfg: Arc<Config>, opts: Options, store: Store, clock: Clock) -> Result<OrchestratorHandle> {
    let (tx, rx) = std::sync::mpsc::channel();
    let trees = Trees { cache: Some(store.cache_tree().clone()), quality: Some(store.quality_tree().clone()) };
    let gateway = Arc::new(Gateway::from_config(&cfg, opts.simulate, trees));
    let cluster = match (&cfg.cluster, opts.dispatch) {
        (Some(c), true) => Some(cluster_notes::start_dispatcher(c, &cfg, opts.simulate, tx.clone())?),
        _ => None,
    };
    let shared = Arc::new(worker::Shared {
        cluster,
        gateway,
        prompts: crate::prompts::Prompts::builtin()?,
        tx: tx.clone(),
        pycheck: Default::default(),
        // The data directory is out of the checks' sight wherever their cache is.
        sandbox: crate::sandbox::Sandbox::new(&cfg.checks, opts.data_dir.join(&cfg.checks.cache_dir))
            .hide(opts.data_dir.clone()),
        cfg,
    });
    let templates = crate::templates::Registry::load(Some(&opts.data_dir), opts.user_templates.as_deref())?;
    for p in &templates.problems {
        tracing::warn!(problem = %p, "template skipped");
    }
    let mut state = state::State::load(Arc::clone(&shared), opts, store, clock, templates)?;
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|_| FactoryError::internal("the orchestrator must start inside a tokio runtime"))?;
    if state.opts.dispatch {
        state.start_courier(tx.clone(), &runtime);
    }
    actor::spawn(state, shared, rx, tx, runtime)
}
