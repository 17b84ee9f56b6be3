//! Reaching NATS: the URL's safety rule, credentials read from the environment variables
//! the config names, a client that reconnects by itself, and the streams, buckets and
//! consumers the orchestrator makes and the workers use.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};

use super::error::ClusterError;
use super::protocol::{
    FILES_BUCKET, JOBS_STREAM, JobKind, MAX_MESSAGE_BYTES, RESULTS_CONSUMER, RESULTS_STREAM, RESULTS_SUBJECT,
    WORKER_TTL_S, WORKERS_BUCKET,
};
use crate::config::{ClusterConfig, CredentialsConfig, url_allowed};

/// Where NATS is and how to log in. `Debug` never shows the secrets.
#[derive(Clone)]
pub struct Endpoint {
    pub url: String,
    user: Option<(String, String)>,
    nkey_seed: Option<String>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = if self.user.is_some() {
            "user and password"
        } else if self.nkey_seed.is_some() {
            "nkey"
        } else {
            "no credentials"
        };
        write!(f, "Endpoint({}, {how})", self.url)
    }
}

/// The credential variables a worker reads when its config names none.
pub const DEFAULT_CREDENTIALS: [&str; 3] = ["FACTORY_NATS_USER", "FACTORY_NATS_PASSWORD", "FACTORY_NATS_NKEY_SEED"];

impl Endpoint {
    /// From `[cluster]`: the URL checked, the credentials read from their variables.
    pub fn from_config(cfg: &ClusterConfig) -> Result<Endpoint, ClusterError> {
        Endpoint::new(&cfg.nats_url, cfg.allow_insecure, &cfg.credentials)
    }

    pub fn new(url: &str, allow_insecure: bool, creds: &CredentialsConfig) -> Result<Endpoint, ClusterError> {
        url_allowed(url, allow_insecure).map_err(|e| ClusterError::Config(format!("the NATS URL {e}")))?;
        let read = |var: &str| -> Result<Option<String>, ClusterError> {
            if var.is_empty() {
                return Ok(None);
            }
            match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => Ok(Some(v.trim().to_string())),
                _ => Err(ClusterError::Config(format!(
                    "the NATS credentials variable {var} is not set; export it, or change [cluster.credentials]"
                ))),
            }
        };
        let user = match (read(&creds.user)?, read(&creds.password)?) {
            (Some(u), Some(p)) => Some((u, p)),
            _ => None,
        };
        Ok(Endpoint { url: url.to_string(), user, nkey_seed: read(&creds.nkey_seed)? })
    }

    /// For `factory worker --nats URL`: the config's credentials when it has a `[cluster]`,
    /// else the `FACTORY_NATS_*` variables that are set.
    pub fn for_worker(url: &str, allow_insecure: bool, cfg: Option<&ClusterConfig>) -> Result<Endpoint, ClusterError> {
        if let Some(c) = cfg {
            return Endpoint::new(url, allow_insecure || c.allow_insecure, &c.credentials);
        }
        let set = |v: &str| std::env::var(v).is_ok_and(|s| !s.trim().is_empty());
        let [u, p, n] = DEFAULT_CREDENTIALS;
        let creds = CredentialsConfig {
            user: if set(u) && set(p) { u.into() } else { String::new() },
            password: if set(u) && set(p) { p.into() } else { String::new() },
            nkey_seed: if set(n) { n.into() } else { String::new() },
        };
        Endpoint::new(url, allow_insecure, &creds)
    }

    /// Which credentials are in use, for `doctor` (never their values).
    pub fn credentials_kind(&self) -> &'static str {
        if self.user.is_some() {
            "user and password"
        } else if self.nkey_seed.is_some() {
            "nkey seed"
        } else {
            "none"
        }
    }
}

/// A connection event, for the event log and the workers' screens.
pub type EventHook = std::sync::Arc<dyn Fn(async_nats::Event) + Send + Sync>;

/// Connects; with `wait`, returns only once connected (or on a refusal); without, returns at
/// once and keeps trying in the background. The client reconnects by itself for ever.
pub async fn connect(
    ep: &Endpoint,
    name: &str,
    wait: Option<Duration>,
    events: Option<EventHook>,
) -> Result<async_nats::Client, ClusterError> {
    let mut opts = async_nats::ConnectOptions::new()
        .name(name)
        .max_reconnects(None)
        .connection_timeout(Duration::from_secs(3))
        .reconnect_delay_callback(|attempts| Duration::from_millis((attempts as u64 * 200).min(2_000)));
    if ep.url.starts_with("tls://") {
        opts = opts.require_tls(true);
    }
    if let Some((u, p)) = &ep.user {
        opts = opts.user_and_password(u.clone(), p.clone());
    }
    if let Some(seed) = &ep.nkey_seed {
        opts = opts.nkey(seed.clone());
    }
    if let Some(hook) = events {
        opts = opts.event_callback(move |e| {
            let hook = hook.clone();
            async move { hook(e) }
        });
    }
    match wait {
        None => opts
            .retry_on_initial_connect()
            .connect(ep.url.as_str())
            .await
            .map_err(|e| ClusterError::from_nats("connecting to NATS", e)),
        Some(limit) => {
            let deadline = tokio::time::Instant::now() + limit;
            loop {
                match opts.clone().connect(ep.url.as_str()).await {
                    Ok(c) => return Ok(c),
                    Err(e) => {
                        let err = ClusterError::from_nats(&format!("connecting to NATS at {}", ep.url), e);
                        if !err.retryable() || tokio::time::Instant::now() >= deadline {
                            return Err(err);
                        }
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    }
                }
            }
        }
    }
}

/// The JetStream context, with a request timeout that a restarting server survives.
pub fn jetstream(client: &async_nats::Client) -> jetstream::Context {
    let mut js = jetstream::new(client.clone());
    js.set_timeout(Duration::from_secs(5));
    js
}

fn jobs_stream_config() -> stream::Config {
    stream::Config {
        name: JOBS_STREAM.into(),
        subjects: vec!["factory.jobs.>".into()],
        retention: stream::RetentionPolicy::WorkQueue,
        storage: stream::StorageType::File,
        max_message_size: MAX_MESSAGE_BYTES as i32 + 4096,
        ..Default::default()
    }
}

fn results_stream_config() -> stream::Config {
    stream::Config {
        name: RESULTS_STREAM.into(),
        subjects: vec![RESULTS_SUBJECT.into()],
        retention: stream::RetentionPolicy::WorkQueue,
        storage: stream::StorageType::File,
        max_message_size: MAX_MESSAGE_BYTES as i32 + 4096,
        ..Default::default()
    }
}

/// The consumer every worker of a kind pulls from: one per kind, shared, so that each job
/// goes to one worker.
pub fn job_consumer_config(kind: JobKind, ack_wait: Duration, max_deliver: u32) -> consumer::pull::Config {
    consumer::pull::Config {
        durable_name: Some(kind.as_str().into()),
        filter_subject: kind.subject(),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait,
        max_deliver: max_deliver as i64,
        max_ack_pending: 10_000,
        ..Default::default()
    }
}

/// A NATS error as ours, naming what was being done.
fn net<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> ClusterError {
    move |e| ClusterError::from_nats(what, e)
}

/// What the orchestrator makes (or brings to its config) before dispatching: both streams,
/// a job consumer per kind, its result consumer, the files bucket and the workers bucket.
pub async fn ensure(js: &jetstream::Context, cfg: &ClusterConfig) -> Result<Handles, ClusterError> {
    js.create_or_update_stream(jobs_stream_config()).await.map_err(net("making the jobs stream"))?;
    js.create_or_update_stream(results_stream_config()).await.map_err(net("making the results stream"))?;
    let jobs = js.get_stream(JOBS_STREAM).await.map_err(net("opening the jobs stream"))?;
    let ack_wait = Duration::from_secs(cfg.ack_wait_s);
    for kind in JobKind::ALL {
        // A durable consumer made again with the same name takes the new settings (the
        // server updates `ack_wait` and `max_deliver` in place).
        jobs.create_consumer(job_consumer_config(kind, ack_wait, cfg.max_deliver))
            .await
            .map_err(net("making a job consumer"))?;
    }
    let results = js.get_stream(RESULTS_STREAM).await.map_err(net("opening the results stream"))?;
    let results = results
        .get_or_create_consumer(
            RESULTS_CONSUMER,
            consumer::pull::Config {
                durable_name: Some(RESULTS_CONSUMER.into()),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(30),
                ..Default::default()
            },
        )
        .await
        .map_err(net("making the results consumer"))?;
    let files = files_bucket(js).await?;
    Ok(Handles { jobs, results, files })
}

/// What the orchestrator holds once `ensure` has run.
pub struct Handles {
    pub jobs: jetstream::stream::Stream,
    pub results: consumer::Consumer<consumer::pull::Config>,
    pub files: jetstream::object_store::ObjectStore,
}

/// The object store of check files (made if missing; a day's life).
pub async fn files_bucket(js: &jetstream::Context) -> Result<jetstream::object_store::ObjectStore, ClusterError> {
    match js.get_object_store(FILES_BUCKET).await {
        Ok(b) => Ok(b),
        Err(_) => js
            .create_object_store(jetstream::object_store::Config {
                bucket: FILES_BUCKET.into(),
                max_age: Duration::from_secs(24 * 3600),
                storage: stream::StorageType::File,
                ..Default::default()
            })
            .await
            .map_err(|e| ClusterError::from_nats("making the files bucket", e)),
    }
}

/// The KV bucket of workers (made if missing), whose records expire without a heartbeat.
/// Its stream is made here with the KV layout: the client's own `create_key_value` first
/// asks for account details in a form NATS 2.9 does not send.
pub async fn workers_bucket(js: &jetstream::Context) -> Result<jetstream::kv::Store, ClusterError> {
    if let Ok(b) = js.get_key_value(WORKERS_BUCKET).await {
        return Ok(b);
    }
    let ttl = Duration::from_secs(WORKER_TTL_S);
    js.get_or_create_stream(stream::Config {
        name: format!("KV_{WORKERS_BUCKET}"),
        subjects: vec![format!("$KV.{WORKERS_BUCKET}.>")],
        max_messages_per_subject: 1,
        max_age: ttl,
        duplicate_window: ttl,
        storage: stream::StorageType::Memory,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    })
    .await
    .map_err(net("making the workers bucket"))?;
    js.get_key_value(WORKERS_BUCKET).await.map_err(net("opening the workers bucket"))
}

/// A worker's consumer of one kind, once the orchestrator has made it.
pub async fn job_consumer(
    js: &jetstream::Context,
    kind: JobKind,
) -> Result<consumer::Consumer<consumer::pull::Config>, ClusterError> {
    let stream = js.get_stream(JOBS_STREAM).await.map_err(|e| {
        ClusterError::Unreachable(format!(
            "the jobs stream is not there yet ({e}); it appears when an orchestrator with [cluster] starts"
        ))
    })?;
    stream
        .get_consumer(kind.as_str())
        .await
        .map_err(|e| ClusterError::Unreachable(format!("the {} consumer is not there yet ({e})", kind.as_str())))
}
