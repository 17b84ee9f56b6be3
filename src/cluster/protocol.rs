//! The messages between the orchestrator and its workers: versioned jobs and results, the
//! job kinds, the subjects they travel on, and the size caps. No secret is ever in one:
//! a worker calls providers with the keys of its own environment.

use serde::{Deserialize, Serialize};

use crate::config::SimConfig;
use crate::domain::{CheckResult, Phase};
use crate::providers::gateway::{Answer, GatewayNote};
use crate::providers::{CallRequest, CallResponse, SimHints, Usage};
use crate::templates::Check;

/// The version of these messages. A worker refuses a job of another version, saying so.
pub const PROTOCOL_VERSION: u32 = 1;

/// The largest job or result message, in bytes (under NATS's default 1 MiB payload).
pub const MAX_MESSAGE_BYTES: usize = 1_000_000;

/// The largest bundle of `app/` files a check round may upload, in bytes.
pub const MAX_FILES_BYTES: u64 = 64 * 1024 * 1024;

/// The stream of jobs (work queue: each is taken by one worker), and its subjects.
pub const JOBS_STREAM: &str = "FACTORY_JOBS";
/// The stream of results, read by the orchestrator alone.
pub const RESULTS_STREAM: &str = "FACTORY_RESULTS";
pub const RESULTS_SUBJECT: &str = "factory.results";
/// The orchestrator's durable consumer of results.
pub const RESULTS_CONSUMER: &str = "orchestrator";
/// The object store bucket of check files, keyed by content hash.
pub const FILES_BUCKET: &str = "factory_files";
/// The KV bucket where workers announce themselves.
pub const WORKERS_BUCKET: &str = "factory_workers";
/// How long a worker's record lives without a heartbeat.
pub const WORKER_TTL_S: u64 = 15;

/// What a job asks for. A worker takes only the kinds it was started for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// A round of a template's checks, in the worker's sandbox.
    Checks,
    /// A provider call, through the worker's gateway and keys.
    Calls,
}

impl JobKind {
    pub const ALL: [JobKind; 2] = [JobKind::Checks, JobKind::Calls];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Checks => "checks",
            JobKind::Calls => "calls",
        }
    }

    /// The subject (and the durable consumer's name) of this kind's jobs.
    pub fn subject(self) -> String {
        format!("factory.jobs.{}", self.as_str())
    }

    pub fn parse(s: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// A job: the header every version can read, and its body.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Job {
    pub v: u32,
    /// Unique per dispatch (also the message id JetStream deduplicates by).
    pub id: String,
    /// The task and its attempt: results are applied once per key.
    pub key: String,
    pub kind: JobKind,
    pub body: JobBody,
}

/// Only what every version of the protocol agrees on: enough to refuse a job clearly.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Head {
    pub v: u32,
    pub id: String,
    pub key: String,
    pub kind: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JobBody {
    Call(Box<CallJob>),
    Checks(ChecksJob),
}

/// A provider call. With `simulate`, the orchestrator's simulated provider settings go
/// along (seed, latency), so that a worker answers exactly as the orchestrator would.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CallJob {
    pub request: WireRequest,
    pub simulate: bool,
    pub sim: SimConfig,
}

/// A round of checks over the files in the object store under `files` (their SHA-256).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChecksJob {
    pub files: String,
    pub size: u64,
    pub template: String,
    pub version: String,
    pub checks: Vec<Check>,
}

/// A worker's answer to a job.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobResult {
    pub v: u32,
    pub id: String,
    pub key: String,
    pub worker: String,
    pub outcome: Outcome,
}

/// A result's header, readable whatever its version.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResultHead {
    pub v: u32,
    pub id: String,
    pub key: String,
    pub worker: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outcome {
    Answer {
        answer: WireAnswer,
        notes: Vec<WireNote>,
    },
    CallFailed {
        message: String,
        notes: Vec<WireNote>,
    },
    Checks {
        results: Vec<CheckResult>,
    },
    /// The worker could not take the job (another protocol version, a kind it does not
    /// take, files it could not fetch). With `retry`, the job goes back for another worker.
    Refused {
        reason: String,
        retry: bool,
    },
}

/// [`CallRequest`] as it travels.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WireRequest {
    pub task_id: String,
    pub route: String,
    pub system: String,
    pub prompt: String,
    pub max_tokens: u32,
    pub bypass_cache: bool,
    /// What the simulated provider needs (real providers ignore it).
    pub hints: SimHints,
}

/// [`Answer`] as it travels: the cost was computed where the call ran, with the same
/// price table.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WireAnswer {
    pub text: String,
    pub usage: Usage,
    pub model: String,
    pub citations: Vec<String>,
    pub truncated: bool,
    pub provider: String,
    pub simulated: bool,
    pub cost_micros: u64,
    pub unpriced: bool,
    pub latency_ms: u64,
    pub cached: bool,
    pub reused: bool,
}

/// [`GatewayNote`] as it travels, replayed on the orchestrator as if the call ran there.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WireNote {
    Retry { provider: String, attempt: u32, error: String, wait_ms: u64 },
    Fallback { from: String, to: String, reason: String },
    Wait { provider: String, reason: String, expected_ms: u64 },
    CircuitOpened { provider: String, failures: u32 },
    Spent { provider: String, model: String, usage: Usage, cost_micros: u64, unpriced: bool },
}

/// Why a message could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("the message is {0} bytes, over the {MAX_MESSAGE_BYTES}-byte cap")]
    TooLarge(usize),
    #[error("the message is not valid: {0}")]
    Malformed(String),
    #[error(
        "the message speaks protocol {theirs} and this side speaks protocol {mine}; run workers of the orchestrator's factory version"
    )]
    Version { theirs: u32, mine: u32 },
    #[error("the route `{0}` is not one this factory knows")]
    Route(String),
}

/// Serialises a message, refusing one over the cap.
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, WireError> {
    let bytes = serde_json::to_vec(msg).map_err(|e| WireError::Malformed(e.to_string()))?;
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(WireError::TooLarge(bytes.len()));
    }
    Ok(bytes)
}

/// Reads a job for a worker speaking protocol `mine`: its header first, so that a job of
/// another version is refused by its version rather than by whatever field it lacks.
pub fn decode_job(bytes: &[u8], mine: u32) -> Result<Job, (Head, WireError)> {
    let head: Head = serde_json::from_slice(bytes).unwrap_or_default();
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err((head, WireError::TooLarge(bytes.len())));
    }
    if head.v != mine {
        let theirs = head.v;
        return Err((head, WireError::Version { theirs, mine }));
    }
    serde_json::from_slice(bytes).map_err(|e| (head, WireError::Malformed(e.to_string())))
}

/// Reads a result, the same way.
pub fn decode_result(bytes: &[u8]) -> Result<JobResult, (ResultHead, WireError)> {
    let head: ResultHead = serde_json::from_slice(bytes).unwrap_or_default();
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err((head, WireError::TooLarge(bytes.len())));
    }
    if head.v != PROTOCOL_VERSION {
        let theirs = head.v;
        return Err((head, WireError::Version { theirs, mine: PROTOCOL_VERSION }));
    }
    serde_json::from_slice(bytes).map_err(|e| (head, WireError::Malformed(e.to_string())))
}

/// The routes a call may take, as the gateway names them.
fn static_route(route: &str) -> Option<&'static str> {
    if route == "plan" {
        return Some("plan");
    }
    Phase::ALL.iter().map(|p| p.as_str()).find(|r| *r == route)
}

impl WireRequest {
    pub fn from_request(req: &CallRequest) -> WireRequest {
        WireRequest {
            task_id: req.task_id.clone(),
            route: req.route.to_string(),
            system: req.system.clone(),
            prompt: req.prompt.clone(),
            max_tokens: req.max_tokens,
            bypass_cache: req.bypass_cache,
            hints: req.hints.clone(),
        }
    }

    pub fn into_request(self) -> Result<CallRequest, WireError> {
        let route = static_route(&self.route).ok_or_else(|| WireError::Route(self.route.clone()))?;
        Ok(CallRequest {
            task_id: self.task_id,
            attempt: 0,
            route,
            system: self.system,
            prompt: self.prompt,
            max_tokens: self.max_tokens,
            bypass_cache: self.bypass_cache,
            hints: self.hints,
        })
    }
}

impl WireAnswer {
    pub fn from_answer(a: &Answer) -> WireAnswer {
        WireAnswer {
            text: a.response.text.clone(),
            usage: a.response.usage,
            model: a.response.model.clone(),
            citations: a.response.citations.clone(),
            truncated: a.response.truncated,
            provider: a.provider.clone(),
            simulated: a.simulated,
            cost_micros: a.cost_micros,
            unpriced: a.unpriced,
            latency_ms: a.latency_ms,
            cached: a.cached,
            reused: a.reused,
        }
    }

    pub fn into_answer(self) -> Answer {
        Answer {
            response: CallResponse {
                text: self.text,
                usage: self.usage,
                model: self.model,
                citations: self.citations,
                rest_key_for: None,
                truncated: self.truncated,
            },
            provider: self.provider,
            simulated: self.simulated,
            cost_micros: self.cost_micros,
            unpriced: self.unpriced,
            latency_ms: self.latency_ms,
            cached: self.cached,
            reused: self.reused,
            // The worker's cache is its own: nothing here to forget.
            cache_key: None,
        }
    }
}

impl From<GatewayNote> for WireNote {
    fn from(n: GatewayNote) -> Self {
        match n {
            GatewayNote::Retry { provider, attempt, error, wait_ms } => {
                WireNote::Retry { provider, attempt, error, wait_ms }
            }
            GatewayNote::Fallback { from, to, reason } => WireNote::Fallback { from, to, reason },
            GatewayNote::Wait { provider, reason, expected_ms } => WireNote::Wait { provider, reason, expected_ms },
            GatewayNote::CircuitOpened { provider, failures } => WireNote::CircuitOpened { provider, failures },
            GatewayNote::Spent { provider, model, usage, cost_micros, unpriced } => {
                WireNote::Spent { provider, model, usage, cost_micros, unpriced }
            }
        }
    }
}

impl From<WireNote> for GatewayNote {
    fn from(n: WireNote) -> Self {
        match n {
            WireNote::Retry { provider, attempt, error, wait_ms } => {
                GatewayNote::Retry { provider, attempt, error, wait_ms }
            }
            WireNote::Fallback { from, to, reason } => GatewayNote::Fallback { from, to, reason },
            WireNote::Wait { provider, reason, expected_ms } => GatewayNote::Wait { provider, reason, expected_ms },
            WireNote::CircuitOpened { provider, failures } => GatewayNote::CircuitOpened { provider, failures },
            WireNote::Spent { provider, model, usage, cost_micros, unpriced } => {
                GatewayNote::Spent { provider, model, usage, cost_micros, unpriced }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> Job {
        let req = CallRequest::new("spec", "system", "prompt", 100);
        Job {
            v: PROTOCOL_VERSION,
            id: "j1".into(),
            key: "s-01.spec.0#0".into(),
            kind: JobKind::Calls,
            body: JobBody::Call(Box::new(CallJob {
                request: WireRequest::from_request(&req),
                simulate: true,
                sim: SimConfig::default(),
            })),
        }
    }

    #[test]
    fn a_job_survives_the_wire_and_its_request_comes_back_whole() {
        let bytes = encode(&job()).unwrap();
        let back = decode_job(&bytes, PROTOCOL_VERSION).unwrap();
        let JobBody::Call(call) = back.body else { panic!("a call") };
        let req = call.request.into_request().unwrap();
        assert_eq!((req.route, req.prompt.as_str(), req.max_tokens), ("spec", "prompt", 100));
    }

    #[test]
    fn another_version_is_refused_by_its_version_with_its_key_known() {
        let mut j = serde_json::to_value(job()).unwrap();
        j["v"] = 2.into();
        j["body"] = serde_json::json!({"type": "something_new"});
        let (head, err) = decode_job(&serde_json::to_vec(&j).unwrap(), PROTOCOL_VERSION).unwrap_err();
        assert_eq!(head.key, "s-01.spec.0#0");
        assert_eq!(err, WireError::Version { theirs: 2, mine: PROTOCOL_VERSION });
        assert!(err.to_string().contains("protocol 2") && err.to_string().contains("protocol 1"));
    }

    #[test]
    fn messages_over_the_cap_are_refused_both_ways() {
        let mut j = job();
        let JobBody::Call(c) = &mut j.body else { unreachable!() };
        c.request.prompt = "x".repeat(MAX_MESSAGE_BYTES);
        assert!(matches!(encode(&j), Err(WireError::TooLarge(_))));
        let big = format!("{{\"v\":1,\"pad\":\"{}\"}}", "y".repeat(MAX_MESSAGE_BYTES));
        assert!(matches!(decode_result(big.as_bytes()), Err((_, WireError::TooLarge(_)))));
    }

    #[test]
    fn an_unknown_route_is_refused() {
        let mut r = WireRequest::from_request(&CallRequest::new("spec", "", "", 1));
        r.route = "../etc".into();
        assert!(matches!(r.into_request(), Err(WireError::Route(_))));
    }

    #[test]
    fn kinds_are_named_and_parsed() {
        assert_eq!(JobKind::parse("checks"), Some(JobKind::Checks));
        assert_eq!(JobKind::Calls.subject(), "factory.jobs.calls");
        assert_eq!(JobKind::parse("builds"), None);
    }
}
