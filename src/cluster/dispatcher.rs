//! The orchestrator's side of the cluster: publishes jobs, uploads check files by content
//! hash, and applies each job's result exactly once, keyed by task and attempt (a second
//! result is ignored and said so). A job whose deliveries run out fails with that reason.
//! While NATS is away, jobs wait and are published again once it is back; local work goes on.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::message::PublishMessage as Publish;
use futures_util::StreamExt;
use tokio::sync::{oneshot, watch};

use super::connect::{self, Endpoint, Handles};
use super::error::ClusterError;
use super::files;
use super::protocol::{
    CallJob, ChecksJob, JOBS_STREAM, Job, JobBody, JobKind, Outcome, PROTOCOL_VERSION, WireAnswer, WireError,
    WireRequest, decode_result, encode,
};
use super::registry::WorkerRecord;
use crate::config::{ClusterConfig, Placement, SimConfig};
use crate::domain::CheckResult;
use crate::providers::CallRequest;
use crate::providers::gateway::{Answer, CallFailure, GatewayNote};
use crate::templates::Check;

/// Something for the event log: a duplicate result ignored, a refusal, the connection.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    /// The task it concerns (`s-01.spec.0`), if any.
    pub task: Option<String>,
    pub message: String,
}

pub type NoticeHook = Arc<dyn Fn(Notice) + Send + Sync>;

/// How many applied keys are remembered to tell a duplicate from a stranger.
const REMEMBERED: usize = 100_000;

struct Pending {
    task: String,
    tx: oneshot::Sender<Result<Outcome, ClusterError>>,
    /// The latest reason a worker gave for not taking the job.
    refusal: Option<String>,
    /// Where the job sits in the jobs stream, once JetStream has it.
    seq: Option<u64>,
}

#[derive(Default)]
struct Book {
    pending: HashMap<String, Pending>,
    /// The jobs stream's sequence of each published job, to its key.
    seqs: HashMap<u64, String>,
    applied: HashSet<String>,
    applied_order: VecDeque<String>,
    /// Results applied and ignored, for tests and the bench.
    pub applied_count: u64,
    pub ignored_count: u64,
}

struct Live {
    js: async_nats::jetstream::Context,
    handles: Handles,
}

/// The orchestrator's handle on the cluster.
pub struct Dispatcher {
    cfg: ClusterConfig,
    simulate: bool,
    sim: SimConfig,
    book: Mutex<Book>,
    live: watch::Receiver<Option<Arc<Live>>>,
    notices: NoticeHook,
    /// The workers' records as last read from the bucket (every two seconds).
    workers: Mutex<Vec<WorkerRecord>>,
}

/// Results applied and ignored so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub applied: u64,
    pub ignored: u64,
    pub pending: usize,
}

impl Dispatcher {
    /// Starts connecting in the background and returns at once: until NATS answers, cluster
    /// jobs wait, and everything local goes on.
    pub fn start(
        cfg: ClusterConfig,
        simulate: bool,
        sim: SimConfig,
        notices: NoticeHook,
    ) -> Result<Arc<Dispatcher>, ClusterError> {
        let endpoint = Endpoint::from_config(&cfg)?;
        let (tx, rx) = watch::channel(None);
        let me = Arc::new(Dispatcher {
            cfg,
            simulate,
            sim,
            book: Mutex::new(Book::default()),
            live: rx,
            notices,
            workers: Mutex::new(Vec::new()),
        });
        let weak = Arc::downgrade(&me);
        tokio::spawn(async move { connect_loop(weak, endpoint, tx).await });
        Ok(me)
    }

    pub fn checks_here(&self) -> bool {
        self.cfg.dispatch.checks == Placement::Cluster
    }

    pub fn calls_here(&self) -> bool {
        self.cfg.dispatch.calls == Placement::Cluster
    }

    pub fn tally(&self) -> Tally {
        let b = self.book();
        Tally { applied: b.applied_count, ignored: b.ignored_count, pending: b.pending.len() }
    }

    /// The workers with live records, as last read.
    pub fn workers(&self) -> Vec<WorkerRecord> {
        self.workers.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn say(&self, task: Option<&str>, message: String) {
        tracing::info!(task = task.unwrap_or(""), %message, "cluster");
        (self.notices)(Notice { task: task.map(str::to_string), message });
    }

    /// Waits until connected with the streams in place.
    async fn live(&self) -> Arc<Live> {
        let mut rx = self.live.clone();
        loop {
            if let Some(l) = rx.borrow_and_update().clone() {
                return l;
            }
            if rx.changed().await.is_err() {
                // The connect loop ended (never, while the dispatcher lives): wait politely.
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }

    /// A provider call on a worker: its notes are replayed here, its answer (priced where
    /// it ran) comes back as if the gateway here had given it.
    pub async fn call(&self, req: CallRequest, note: &(dyn Fn(GatewayNote) + Sync)) -> Result<Answer, CallFailure> {
        let key = format!("call:{}", req.task_id);
        let task = req.task_id.split('#').next().unwrap_or_default().to_string();
        let request = WireRequest::from_request(&req);
        let body = JobBody::Call(Box::new(CallJob { request, simulate: self.simulate, sim: self.sim.clone() }));
        let failure = CallFailure::Elsewhere;
        match self.submit(key, task, JobKind::Calls, body).await {
            Ok(Outcome::Answer { answer, notes }) => {
                notes.into_iter().for_each(|n| note(n.into()));
                Ok(WireAnswer::into_answer(answer))
            }
            Ok(Outcome::CallFailed { message, notes }) => {
                notes.into_iter().for_each(|n| note(n.into()));
                Err(failure(message))
            }
            Ok(_) => Err(failure("a worker answered a call with something else; the call is not applied".into())),
            Err(e) => Err(failure(e.to_string())),
        }
    }

    /// A round of the template's checks on a worker, over `app`'s files.
    pub async fn checks(
        &self,
        task: &str,
        attempt: u32,
        app: &Path,
        template: &str,
        version: &str,
        checks: &[Check],
    ) -> Result<Vec<CheckResult>, ClusterError> {
        let dir = app.to_path_buf();
        let bundle = tokio::task::spawn_blocking(move || files::pack(&dir))
            .await
            .map_err(|e| ClusterError::JobFailed(format!("packing app/ failed: {e}")))?
            .map_err(ClusterError::JobFailed)?;
        self.upload(&bundle).await;
        let body = JobBody::Checks(ChecksJob {
            files: bundle.hash.clone(),
            size: bundle.bytes.len() as u64,
            template: template.into(),
            version: version.into(),
            checks: checks.to_vec(),
        });
        match self.submit(format!("checks:{task}#{attempt}"), task.to_string(), JobKind::Checks, body).await? {
            Outcome::Checks { results } => Ok(accept_checks(results, checks)),
            _ => Err(ClusterError::JobFailed("a worker answered a check round with something else".into())),
        }
    }

    /// Puts the bundle in the object store unless one with its hash is there already.
    async fn upload(&self, bundle: &files::Bundle) {
        loop {
            let live = self.live().await;
            if live.handles.files.info(&bundle.hash).await.is_ok() {
                return;
            }
            let meta =
                async_nats::jetstream::object_store::ObjectMetadata { name: bundle.hash.clone(), ..Default::default() };
            match live.handles.files.put(meta, &mut bundle.bytes.as_slice()).await {
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "uploading check files failed; trying again");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    }

    /// Publishes a job (again and again while NATS is away; JetStream drops the copies by
    /// the job's id) and waits for its one applied result.
    async fn submit(&self, key: String, task: String, kind: JobKind, body: JobBody) -> Result<Outcome, ClusterError> {
        let id = job_id();
        let job = Job { v: PROTOCOL_VERSION, id: id.clone(), key: key.clone(), kind, body };
        let bytes =
            encode(&job).map_err(|e| ClusterError::JobFailed(format!("the job for {task} cannot be sent: {e}")))?;
        let (tx, rx) = oneshot::channel();
        self.book().pending.insert(key.clone(), Pending { task: task.clone(), tx, refusal: None, seq: None });
        let mut warned = false;
        loop {
            let live = self.live().await;
            let publish = Publish::build().payload(bytes.clone().into()).message_id(&id);
            let sent = match live.js.send_publish(kind.subject(), publish).await {
                Ok(ack) => ack.await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match sent {
                Ok(ack) => {
                    let mut book = self.book();
                    // The result may have come first (a fast worker): then nothing is kept.
                    if let Some(p) = book.pending.get_mut(&key) {
                        p.seq = Some(ack.sequence);
                        book.seqs.insert(ack.sequence, key.clone());
                    }
                    break;
                }
                Err(e) => {
                    if !warned {
                        self.say(
                            Some(&task),
                            format!(
                                "publishing the {} job waits for NATS ({e}); it is sent once NATS answers",
                                kind.as_str()
                            ),
                        );
                        warned = true;
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        rx.await.unwrap_or_else(|_| Err(ClusterError::JobFailed(format!("the job for {task} was dropped"))))
    }

    /// Applies one result message: once per key; a second is ignored, and said so.
    fn on_result(&self, bytes: &[u8]) {
        let result = match decode_result(bytes) {
            Ok(r) => r,
            Err((head, e)) => {
                let task = task_of(&head.key);
                let why = match e {
                    WireError::Version { theirs, .. } => format!(
                        "worker {} answered in protocol {theirs}, this factory speaks {PROTOCOL_VERSION}; run workers of this factory's version",
                        head.worker
                    ),
                    other => format!("a result from worker {} was refused: {other}", head.worker),
                };
                if let Some(p) = self.book().pending.get_mut(&head.key) {
                    p.refusal = Some(why.clone());
                }
                self.say(task.as_deref(), why);
                return;
            }
        };
        let task = task_of(&result.key);
        if let Outcome::Refused { reason, retry } = &result.outcome {
            let mut book = self.book();
            let Some(p) = book.pending.get_mut(&result.key) else { return };
            let first = p.refusal.as_deref() != Some(reason.as_str());
            p.refusal = Some(format!("worker {}: {reason}", result.worker));
            if !retry {
                let p = book.pending.remove(&result.key).expect("it is pending");
                if let Some(seq) = p.seq {
                    book.seqs.remove(&seq);
                }
                drop(book);
                let _ = p
                    .tx
                    .send(Err(ClusterError::JobFailed(format!("worker {} refused the job: {reason}", result.worker))));
            } else {
                drop(book);
            }
            if first {
                let again = if *retry { "; it goes back for another worker" } else { "" };
                self.say(task.as_deref(), format!("worker {} refused the job: {reason}{again}", result.worker));
            }
            return;
        }
        let mut book = self.book();
        match book.pending.remove(&result.key) {
            Some(p) => {
                if let Some(seq) = p.seq {
                    book.seqs.remove(&seq);
                }
                book.applied_count += 1;
                book.applied.insert(result.key.clone());
                book.applied_order.push_back(result.key.clone());
                if book.applied_order.len() > REMEMBERED
                    && let Some(old) = book.applied_order.pop_front()
                {
                    book.applied.remove(&old);
                }
                drop(book);
                let _ = p.tx.send(Ok(result.outcome));
            }
            None => {
                book.ignored_count += 1;
                let seen = book.applied.contains(&result.key);
                drop(book);
                let why = if seen {
                    format!(
                        "a second result for {} (from worker {}) was ignored: the first was applied",
                        result.key, result.worker
                    )
                } else {
                    format!(
                        "a result for {} (from worker {}) was ignored: no task waits for it",
                        result.key, result.worker
                    )
                };
                self.say(task.as_deref(), why);
            }
        }
    }

    /// A job delivered `max_deliver` times without a result: its task fails, saying why.
    async fn on_exhausted(&self, live: &Live, stream_seq: u64, deliveries: u64) {
        let key = self.book().seqs.remove(&stream_seq);
        let _ = live.handles.jobs.delete_message(stream_seq).await;
        let Some(key) = key else { return };
        let Some(p) = self.book().pending.remove(&key) else { return };
        let mut reason = format!(
            "no worker finished the job after {deliveries} deliveries (cluster.max_deliver = {})",
            self.cfg.max_deliver
        );
        if let Some(r) = &p.refusal {
            reason.push_str(&format!("; the last refusal: {r}"));
        }
        self.say(Some(&p.task), reason.clone());
        let _ = p.tx.send(Err(ClusterError::JobFailed(reason)));
    }
}

/// A job id unique across processes and time: the process, the clock and a counter.
fn job_id() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{:x}-{:x}-{n:x}", std::process::id(), nanos)
}

/// The task a key names (`call:s-01.spec.0#1` → `s-01.spec.0`).
fn task_of(key: &str) -> Option<String> {
    let rest = key.split_once(':').map(|(_, r)| r).unwrap_or(key);
    let task = rest.split('#').next().unwrap_or_default();
    (!task.is_empty()).then(|| task.to_string())
}

/// A worker's check results, held to what a local round could give: only the checks the
/// job named, each once, with output made inert and cut to the local tail's size.
fn accept_checks(results: Vec<CheckResult>, checks: &[Check]) -> Vec<CheckResult> {
    let mut seen = HashSet::new();
    results
        .into_iter()
        .filter(|r| checks.iter().any(|c| c.name == r.name) && seen.insert(r.name.clone()))
        .map(|mut r| {
            let text = crate::sanitize::text(&r.output_tail).into_owned();
            r.output_tail = tail_of(&text, crate::sandbox::TAIL_BYTES);
            r.reason = r.reason.map(|s| tail_of(&crate::sanitize::line(&s), 1000));
            r
        })
        .collect()
}

fn tail_of(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_string()
}

/// Connects, makes the streams, then reads results and delivery advisories; when NATS goes
/// away it tells the log, and the client reconnects by itself.
async fn connect_loop(me: std::sync::Weak<Dispatcher>, endpoint: Endpoint, tx: watch::Sender<Option<Arc<Live>>>) {
    let hook: connect::EventHook = {
        let me = me.clone();
        Arc::new(move |e: async_nats::Event| {
            let Some(d) = me.upgrade() else { return };
            match e {
                async_nats::Event::Disconnected => {
                    d.say(None, "the NATS connection dropped; cluster jobs wait, local work goes on".into())
                }
                async_nats::Event::Connected => d.say(None, "connected to NATS; cluster dispatch goes on".into()),
                _ => {}
            }
        })
    };
    let client = loop {
        match connect::connect(&endpoint, "factory-orchestrator", None, Some(hook.clone())).await {
            Ok(c) => break c,
            Err(e) => {
                if let Some(d) = me.upgrade() {
                    d.say(None, format!("cluster: {e}"));
                }
                if !e.retryable() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    };
    let js = connect::jetstream(&client);
    tokio::spawn(watch_workers(me.clone(), js.clone()));
    let mut warned = false;
    let Some(cfg) = me.upgrade().map(|d| d.cfg.clone()) else { return };
    loop {
        let handles = match connect::ensure(&js, &cfg).await {
            Ok(h) => h,
            Err(e) => {
                if !warned && let Some(d) = me.upgrade() {
                    d.say(None, format!("the cluster is not ready ({e}); cluster jobs wait, local work goes on"));
                    warned = true;
                }
                if me.upgrade().is_none() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let live = Arc::new(Live { js: js.clone(), handles });
        let _ = tx.send(Some(Arc::clone(&live)));
        let advisories =
            client.subscribe(format!("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{JOBS_STREAM}.*")).await.ok();
        let ended = read_results(&me, &live, advisories).await;
        if !ended {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Reads the workers bucket every two seconds while the dispatcher lives.
async fn watch_workers(me: std::sync::Weak<Dispatcher>, js: async_nats::jetstream::Context) {
    let mut bucket = None;
    loop {
        if me.strong_count() == 0 {
            return;
        }
        if bucket.is_none() {
            bucket = connect::workers_bucket(&js).await.ok();
        }
        if let Some(kv) = &bucket {
            match super::registry::list(kv).await {
                Ok(list) => {
                    if let Some(d) = me.upgrade() {
                        *d.workers.lock().unwrap_or_else(|e| e.into_inner()) = list;
                    }
                }
                Err(_) => bucket = None,
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Reads results and advisories until the consumer breaks (true: make it again) or the
/// dispatcher is gone (false).
async fn read_results(
    me: &std::sync::Weak<Dispatcher>,
    live: &Arc<Live>,
    mut advisories: Option<async_nats::Subscriber>,
) -> bool {
    let mut messages = match live.handles.results.messages().await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "reading results failed; trying again");
            return true;
        }
    };
    let mut errors = 0u32;
    loop {
        let advisory = async {
            match advisories.as_mut() {
                Some(s) => s.next().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            m = messages.next() => {
                let Some(d) = me.upgrade() else { return false };
                match m {
                    Some(Ok(msg)) => {
                        errors = 0;
                        d.on_result(&msg.payload);
                        if let Err(e) = msg.ack().await {
                            tracing::warn!(error = %e, "acknowledging a result failed (it comes again and is ignored)");
                        }
                    }
                    Some(Err(e)) => {
                        errors += 1;
                        tracing::debug!(error = %e, "reading results");
                        if errors > 5 {
                            return true;
                        }
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    None => return true,
                }
            }
            a = advisory => {
                let Some(d) = me.upgrade() else { return false };
                match a {
                    Some(msg) => {
                        let v: serde_json::Value = serde_json::from_slice(&msg.payload).unwrap_or_default();
                        let seq = v["stream_seq"].as_u64().unwrap_or(0);
                        let deliveries = v["deliveries"].as_u64().unwrap_or(0);
                        d.on_exhausted(live, seq, deliveries).await;
                    }
                    None => advisories = None,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CheckStatus;

    fn result(key: &str, worker: &str, outcome: Outcome) -> Vec<u8> {
        let r = super::super::protocol::JobResult {
            v: PROTOCOL_VERSION,
            id: "j".into(),
            key: key.into(),
            worker: worker.into(),
            outcome,
        };
        encode(&r).unwrap()
    }

    /// A dispatcher whose server never answers: enough to apply results by hand.
    fn offline() -> (Arc<Dispatcher>, Arc<Mutex<Vec<Notice>>>) {
        let heard = Arc::new(Mutex::new(Vec::new()));
        let h = Arc::clone(&heard);
        let cfg = ClusterConfig { nats_url: "nats://127.0.0.1:1".into(), ..ClusterConfig::default() };
        let hook: NoticeHook = Arc::new(move |n| h.lock().unwrap().push(n));
        (Dispatcher::start(cfg, true, SimConfig::default(), hook).unwrap(), heard)
    }

    #[tokio::test]
    async fn a_result_is_applied_once_and_a_second_is_ignored_and_said_so() {
        let (d, heard) = offline();
        let (tx, rx) = oneshot::channel();
        d.book().pending.insert(
            "checks:s-01.build.integrate#0".into(),
            Pending { task: "s-01.build.integrate".into(), tx, refusal: None, seq: Some(7) },
        );
        let first = result("checks:s-01.build.integrate#0", "w1", Outcome::Checks { results: Vec::new() });
        d.on_result(&first);
        assert!(matches!(rx.await.unwrap(), Ok(Outcome::Checks { .. })));
        let again = result("checks:s-01.build.integrate#0", "w2", Outcome::Checks { results: Vec::new() });
        d.on_result(&again);
        assert_eq!(d.tally(), Tally { applied: 1, ignored: 1, pending: 0 });
        assert!(d.book().seqs.is_empty(), "an applied job's sequence is forgotten");
        let heard = heard.lock().unwrap();
        let n = heard.iter().find(|n| n.message.contains("ignored")).expect("the duplicate is reported");
        assert_eq!(n.task.as_deref(), Some("s-01.build.integrate"));
        assert!(n.message.contains("second result") && n.message.contains("w2"), "{}", n.message);
    }

    #[tokio::test]
    async fn a_refusal_sends_the_job_back_or_ends_it_with_the_reason() {
        let (d, _) = offline();
        let (tx, mut rx) = oneshot::channel();
        d.book()
            .pending
            .insert("call:s-01.spec.0".into(), Pending { task: "s-01.spec.0".into(), tx, refusal: None, seq: None });
        let later = Outcome::Refused { reason: "busy".into(), retry: true };
        d.on_result(&result("call:s-01.spec.0", "w1", later));
        assert!(rx.try_recv().is_err(), "a refusal with retry leaves the job waiting for another worker");
        let never = Outcome::Refused { reason: "the files were refused".into(), retry: false };
        d.on_result(&result("call:s-01.spec.0", "w1", never));
        let err = rx.await.unwrap().unwrap_err();
        assert!(!err.retryable() && err.to_string().contains("the files were refused"), "{err}");
    }

    #[test]
    fn keys_name_their_task() {
        assert_eq!(task_of("call:s-01.spec.0#2").as_deref(), Some("s-01.spec.0"));
        assert_eq!(task_of("checks:s-02.build.integrate#0").as_deref(), Some("s-02.build.integrate"));
        assert_eq!(task_of(""), None);
    }

    #[test]
    fn hostile_check_results_are_held_to_the_checks_asked_for() {
        let check = Check { name: "tests".into(), command: vec!["true".into()], cwd: None, network: false };
        let r = |name: &str, tail: String| CheckResult {
            name: name.into(),
            status: CheckStatus::Passed,
            duration_ms: 1,
            tests_passed: None,
            tests_failed: None,
            output_tail: tail,
            reason: None,
        };
        let got = accept_checks(
            vec![
                r("tests", format!("\u{1b}[2J{}", "x".repeat(crate::sandbox::TAIL_BYTES + 10))),
                r("tests", String::new()),
                r("invented", String::new()),
            ],
            &[check],
        );
        assert_eq!(got.len(), 1);
        assert!(got[0].output_tail.len() <= crate::sandbox::TAIL_BYTES);
        assert!(!got[0].output_tail.contains('\u{1b}'));
    }
}
