//! `factory worker`: a process for any machine that pulls jobs from the JetStream work
//! queues (only the kinds it was started for), runs check rounds in its own sandbox and
//! provider calls through its own gateway and keys, publishes each result and then
//! acknowledges the job. It announces itself in the workers bucket, and on SIGTERM stops
//! taking jobs, finishes those it holds (or returns them after the grace period) and exits.

mod calls;
mod checks;
mod heartbeat;

pub use heartbeat::hostname;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use async_nats::jetstream::{self, AckKind};
use futures_util::StreamExt;
use tokio::sync::{Semaphore, watch};

use crate::cluster::connect::{self, Endpoint};
use crate::cluster::protocol::{
    JobBody, JobKind, JobResult, Outcome, RESULTS_SUBJECT, WireError, WireNote, decode_job, encode,
};
use crate::cluster::{ClusterError, PROTOCOL_VERSION};
use crate::config::Config;

/// How a worker runs.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    pub nats_url: String,
    pub name: String,
    pub kinds: Vec<JobKind>,
    pub max_jobs: u32,
    pub allow_insecure: bool,
    /// Where job files and the install caches go.
    pub work_dir: PathBuf,
    /// How long SIGTERM waits for jobs in hand before returning them.
    pub grace: Duration,
    /// The protocol this worker speaks (another only to test refusals).
    pub protocol: u32,
    /// Print a line per job to standard error.
    pub verbose: bool,
}

impl WorkerOptions {
    pub fn new(nats_url: &str, name: &str) -> WorkerOptions {
        WorkerOptions {
            nats_url: nats_url.into(),
            name: name.into(),
            kinds: JobKind::ALL.to_vec(),
            max_jobs: 4,
            allow_insecure: false,
            work_dir: std::env::temp_dir().join(format!("factory-worker-{}", crate::cluster::registry::key_of(name))),
            grace: Duration::from_secs(20),
            protocol: PROTOCOL_VERSION,
            verbose: false,
        }
    }
}

/// Counts the heartbeat reports.
#[derive(Default)]
pub(crate) struct Counters {
    pub in_flight: AtomicU32,
    pub done: AtomicU64,
    pub failed: AtomicU64,
    pub stopping: AtomicBool,
}

/// What every job handler shares.
pub(crate) struct Shared {
    pub opts: WorkerOptions,
    pub cfg: Arc<Config>,
    pub js: jetstream::Context,
    pub counters: Counters,
    pub gateways: calls::Gateways,
    pub sandbox: crate::sandbox::Sandbox,
}

/// Runs the worker until SIGTERM or Ctrl-C.
pub async fn run(opts: WorkerOptions, cfg: Arc<Config>) -> Result<(), ClusterError> {
    let endpoint = Endpoint::for_worker(&opts.nats_url, opts.allow_insecure, cfg.cluster.as_ref())?;
    let client =
        connect::connect(&endpoint, &format!("factory-worker {}", opts.name), Some(Duration::from_secs(15)), None)
            .await
            .map_err(|e| match e {
                ClusterError::Unreachable(m) => {
                    ClusterError::Unreachable(format!("{m}; start nats-server -js there, or check --nats"))
                }
                other => other,
            })?;
    let js = connect::jetstream(&client);
    std::fs::create_dir_all(&opts.work_dir).map_err(|e| {
        ClusterError::Config(format!(
            "cannot make the work folder {} ({e}); pass another with --work-dir",
            opts.work_dir.display()
        ))
    })?;
    let sandbox =
        crate::sandbox::Sandbox::new(&cfg.checks, opts.work_dir.join("cache")).hide(opts.work_dir.join("jobs"));
    let shared = Arc::new(Shared {
        gateways: calls::Gateways::default(),
        counters: Counters::default(),
        sandbox,
        js,
        cfg,
        opts,
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let beat = tokio::spawn(heartbeat::run(Arc::clone(&shared), stop_rx.clone()));
    let slots = Arc::new(Semaphore::new(shared.opts.max_jobs.max(1) as usize));
    let mut pullers = Vec::new();
    for kind in shared.opts.kinds.clone() {
        pullers.push(tokio::spawn(pull(Arc::clone(&shared), kind, Arc::clone(&slots), stop_rx.clone())));
    }
    say(
        &shared,
        format!(
            "worker {} takes {} jobs ({} at a time) from {}",
            shared.opts.name,
            shared.opts.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" and "),
            shared.opts.max_jobs,
            shared.opts.nats_url
        ),
    );
    wait_for_signal().await;
    shared.counters.stopping.store(true, Ordering::SeqCst);
    let _ = stop_tx.send(true);
    say(&shared, format!("stopping: finishing {} jobs in hand", shared.counters.in_flight.load(Ordering::SeqCst)));
    for p in pullers {
        let _ = p.await;
    }
    // Every permit back means every job ended (done, or returned at the grace period).
    let _ = slots.acquire_many(shared.opts.max_jobs.max(1)).await;
    let _ = beat.await;
    client.flush().await.ok();
    Ok(())
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok();
    let term = async {
        match term.as_mut() {
            Some(s) => {
                s.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = term => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

pub(crate) fn say(shared: &Shared, line: String) {
    tracing::info!(worker = %shared.opts.name, "{line}");
    if shared.opts.verbose {
        crate::cli::say::errln(line);
    }
}

/// Pulls jobs of one kind while a slot is free, until told to stop.
async fn pull(shared: Arc<Shared>, kind: JobKind, slots: Arc<Semaphore>, stop: watch::Receiver<bool>) {
    let mut warned = false;
    let consumer = loop {
        if *stop.borrow() {
            return;
        }
        match connect::job_consumer(&shared.js, kind).await {
            Ok(c) => break c,
            Err(e) => {
                if !warned {
                    say(&shared, format!("waiting for the {} queue: {e}", kind.as_str()));
                    warned = true;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    };
    let mut consumer = consumer;
    let ack_wait = consumer.cached_info().config.ack_wait;
    let mut errors = 0u32;
    loop {
        if *stop.borrow() {
            return;
        }
        let Ok(first) = Arc::clone(&slots).acquire_owned().await else { return };
        if *stop.borrow() {
            return;
        }
        // As many jobs as there are free slots, in one request.
        let mut permits = vec![first];
        while let Ok(p) = Arc::clone(&slots).try_acquire_owned() {
            permits.push(p);
        }
        let batch = consumer.fetch().max_messages(permits.len()).expires(Duration::from_secs(1)).messages().await;
        let mut batch = match batch {
            Ok(b) => b,
            Err(e) => {
                tracing::debug!(error = %e, "fetching jobs");
                drop(permits);
                errors += 1;
                // A server that came back without its store has no consumer: look it up
                // again (it reappears when the orchestrator makes it).
                if errors.is_multiple_of(10)
                    && let Ok(c) = connect::job_consumer(&shared.js, kind).await
                {
                    consumer = c;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
                continue;
            }
        };
        errors = 0;
        while let Some(msg) = batch.next().await {
            let Ok(msg) = msg else { continue };
            let Some(p) = permits.pop() else { break };
            let shared = Arc::clone(&shared);
            let stop = stop.clone();
            tokio::spawn(async move {
                handle(&shared, kind, msg, ack_wait, stop).await;
                drop(p);
            });
        }
    }
}

/// One job: refused when of another protocol or kind; else run with progress
/// acknowledgements, its result published, then the job acknowledged.
async fn handle(
    shared: &Shared,
    kind: JobKind,
    msg: jetstream::Message,
    ack_wait: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let c = &shared.counters;
    let job = match decode_job(&msg.payload, shared.opts.protocol) {
        Ok(job) if job.kind == kind && shared.opts.kinds.contains(&job.kind) => job,
        Ok(job) => {
            let reason = format!("this worker takes only {} jobs", names(&shared.opts.kinds));
            refuse(shared, &msg, &job.id, &job.key, reason, true).await;
            return;
        }
        Err((head, e)) => {
            // Another version may be done by another worker; a malformed job by none.
            let retry = matches!(e, WireError::Version { .. });
            refuse(shared, &msg, &head.id, &head.key, e.to_string(), retry).await;
            return;
        }
    };
    c.in_flight.fetch_add(1, Ordering::SeqCst);
    let started = std::time::Instant::now();
    let work = run_job(shared, job.body.clone(), &job.id);
    tokio::pin!(work);
    let mut progress = tokio::time::interval((ack_wait / 3).max(Duration::from_millis(200)));
    progress.tick().await;
    let grace = async {
        let _ = stop.wait_for(|s| *s).await;
        tokio::time::sleep(shared.opts.grace).await;
    };
    tokio::pin!(grace);
    let outcome = loop {
        tokio::select! {
            out = &mut work => break Some(out),
            _ = progress.tick() => {
                let _ = msg.ack_with(AckKind::Progress).await;
            }
            _ = &mut grace => break None,
        }
    };
    c.in_flight.fetch_sub(1, Ordering::SeqCst);
    let Some(outcome) = outcome else {
        // Past the grace period of a stop: the job goes back for another worker.
        let _ = msg.ack_with(AckKind::Nak(None)).await;
        say(shared, format!("returned {} unfinished", job.key));
        return;
    };
    let failed = matches!(outcome, Outcome::CallFailed { .. });
    // A job this worker could not do goes back for another (after a second), or, when no
    // worker could, is ended: never acknowledged as done.
    let refused = match &outcome {
        Outcome::Refused { retry: true, .. } => Some(AckKind::Nak(Some(Duration::from_secs(1)))),
        Outcome::Refused { retry: false, .. } => Some(AckKind::Term),
        _ => None,
    };
    let result = JobResult {
        v: shared.opts.protocol,
        id: job.id.clone(),
        key: job.key.clone(),
        worker: shared.opts.name.clone(),
        outcome,
    };
    if let Some(kind) = refused {
        publish(shared, &result).await;
        let _ = msg.ack_with(kind).await;
        c.failed.fetch_add(1, Ordering::SeqCst);
        say(shared, format!("{} refused after {} ms", job.key, started.elapsed().as_millis()));
        return;
    }
    if publish(shared, &result).await {
        if let Err(e) = msg.double_ack().await {
            tracing::warn!(error = %e, key = %job.key, "acknowledging a job failed: it comes again, and its second result is ignored");
        }
        if failed {
            c.failed.fetch_add(1, Ordering::SeqCst);
        } else {
            c.done.fetch_add(1, Ordering::SeqCst);
        }
        say(
            shared,
            format!("{} {} in {} ms", job.key, if failed { "failed" } else { "done" }, started.elapsed().as_millis()),
        );
    } else {
        let _ = msg.ack_with(AckKind::Nak(None)).await;
    }
}

fn names(kinds: &[JobKind]) -> String {
    kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" and ")
}

async fn run_job(shared: &Shared, body: JobBody, id: &str) -> Outcome {
    match body {
        JobBody::Call(call) => calls::run(shared, *call).await,
        JobBody::Checks(job) => checks::run(shared, job, id).await,
    }
}

/// Tells the orchestrator why this worker does not take the job; with `retry` the job goes
/// back (after a second) for another worker, else it is ended.
async fn refuse(shared: &Shared, msg: &jetstream::Message, id: &str, key: &str, reason: String, retry: bool) {
    say(shared, format!("refused {key}: {reason}"));
    let result = JobResult {
        v: shared.opts.protocol,
        id: id.into(),
        key: key.into(),
        worker: shared.opts.name.clone(),
        outcome: Outcome::Refused { reason, retry },
    };
    publish(shared, &result).await;
    let kind = if retry { AckKind::Nak(Some(Duration::from_secs(1))) } else { AckKind::Term };
    let _ = msg.ack_with(kind).await;
}

/// Publishes a result until JetStream has it (or the worker is stopping past its grace). An
/// answer over the size cap is replaced by a failure that says so (its cost still counted).
async fn publish(shared: &Shared, result: &JobResult) -> bool {
    let bytes = match encode(result) {
        Ok(b) => b,
        Err(WireError::TooLarge(n)) => {
            let notes = match &result.outcome {
                Outcome::Answer { answer, notes } => {
                    let mut notes = notes.clone();
                    notes.push(WireNote::Spent {
                        provider: answer.provider.clone(),
                        model: answer.model.clone(),
                        usage: answer.usage,
                        cost_micros: answer.cost_micros,
                        unpriced: answer.unpriced,
                    });
                    notes
                }
                _ => Vec::new(),
            };
            let message = format!(
                "the worker's answer is {n} bytes, over the {}-byte message cap",
                crate::cluster::protocol::MAX_MESSAGE_BYTES
            );
            let outcome = match &result.outcome {
                Outcome::Checks { .. } => Outcome::Refused { reason: message, retry: false },
                _ => Outcome::CallFailed { message, notes },
            };
            let small = JobResult { outcome, ..result.clone() };
            match encode(&small) {
                Ok(b) => b,
                Err(_) => return false,
            }
        }
        Err(_) => return false,
    };
    for attempt in 0.. {
        let sent = match shared.js.publish(RESULTS_SUBJECT, bytes.clone().into()).await {
            Ok(ack) => ack.await.map(|_| ()).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match sent {
            Ok(()) => return true,
            Err(e) => {
                if attempt == 0 {
                    say(shared, format!("publishing the result of {} waits for NATS ({e})", result.key));
                }
                if attempt > 600 {
                    return false;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
    false
}
