//! The provider layer: one trait, the wire formats (`wire`), the HTTP transport they share
//! (`transport`), and the gateway that routes, limits, retries, caches and falls back.

pub mod gateway;
pub mod secret;
pub mod transport;
pub mod wire;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::ProviderKind;
use crate::domain::{AgentRole, Phase, Plan, TaskKind};
/// The seeded generator moved to `crate::util::rng`; provider files still reach it here.
pub use crate::util::rng;
pub use gateway::prices::Prices;
/// The orchestrator's path to the quality book and gate feedback.
pub use gateway::quality;
pub use gateway::{Gateway, GatewayNote, ProviderStats, Routing, Trees};
pub use secret::Secret;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the simulated provider needs to write a plausible answer; real providers ignore it.
/// It travels as it is to a cluster's workers (`cluster::protocol`).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct SimHints {
    pub kind: Option<TaskKind>,
    pub phase: Option<Phase>,
    pub startup: String,
    pub idea: String,
    pub sections: Vec<String>,
    pub role: Option<AgentRole>,
    pub title: String,
    /// Files a build task is to write (relative to `app/`).
    pub files: Vec<String>,
    /// The template's default plan, which the simulated planner adapts.
    pub plan: Option<Plan>,
    /// The run's template (`neoforge`, `pythonml`...), so that simulated code fits it.
    pub template: String,
    /// Share of simulated build answers that carry a real defect (`[sim] defect_rate`).
    pub defect_rate: f64,
    /// For a repair task: the failing check's output, which the simulated fix ignores.
    pub repair: bool,
}

/// One call to a model.
#[derive(Clone, Debug)]
pub struct CallRequest {
    /// The task this call serves (with `attempt`, the simulated provider's seed).
    pub task_id: String,
    /// Which try of this task on this provider (0 first), set by the gateway.
    pub attempt: u32,
    /// Routing key: a phase name, or `plan`.
    pub route: &'static str,
    pub system: String,
    pub prompt: String,
    pub max_tokens: u32,
    /// A revision must not be answered from the cache.
    pub bypass_cache: bool,
    pub hints: SimHints,
}

impl CallRequest {
    /// A request outside any run (benchmarks, probes, tests).
    pub fn new(route: &'static str, system: &str, prompt: &str, max_tokens: u32) -> Self {
        CallRequest {
            task_id: String::new(),
            attempt: 0,
            route,
            system: system.into(),
            prompt: prompt.into(),
            max_tokens,
            bypass_cache: false,
            hints: SimHints::default(),
        }
    }

    #[cfg(test)]
    pub fn test(route: &'static str, system: &str, prompt: &str) -> Self {
        CallRequest::new(route, system, prompt, 4000)
    }
}

/// Tokens of one call. `input` excludes cached input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input: u64,
    pub output: u64,
    pub cached_input: u64,
    /// Counted from text length, not reported by the provider.
    pub estimated: bool,
}

impl Usage {
    /// A token estimate from text: about four characters a token.
    pub fn estimate(prompt_chars: usize, answer_chars: usize) -> Usage {
        Usage {
            input: prompt_chars.div_ceil(4) as u64,
            output: answer_chars.div_ceil(4) as u64,
            cached_input: 0,
            estimated: true,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CallResponse {
    pub text: String,
    pub usage: Usage,
    /// The model that answered, as the provider reports it.
    pub model: String,
    /// Sources a search model cited (Perplexity).
    pub citations: Vec<String>,
    /// The response's headers said one of the key's limits is used up for this long.
    pub rest_key_for: Option<Duration>,
    /// The provider stopped at the token limit (`length` / `max_tokens`): the answer is incomplete.
    pub truncated: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    RateLimited,
    Overloaded,
    Server,
    Timeout,
    Network,
    CutStream,
    BadRequest,
    Auth,
    NotFound,
    Quota,
    BadResponse,
    Process,
}

/// A failed call, saying whether trying again may help and when.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderError {
    pub class: ErrorClass,
    pub message: String,
    pub status: Option<u16>,
    pub retry_after: Option<Duration>,
}

impl ProviderError {
    pub fn new(class: ErrorClass, message: impl Into<String>) -> Self {
        ProviderError { class, message: message.into(), status: None, retry_after: None }
    }

    /// 408, 409, 429, 5xx, 529, timeouts, resets and cut streams may succeed later; bad
    /// requests, auth, missing models and exhausted quotas will not.
    pub fn retryable(&self) -> bool {
        matches!(
            self.class,
            ErrorClass::RateLimited
                | ErrorClass::Overloaded
                | ErrorClass::Server
                | ErrorClass::Timeout
                | ErrorClass::Network
                | ErrorClass::CutStream
                | ErrorClass::BadResponse
        )
    }
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(s) => write!(f, "HTTP {s}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A model behind one wire format.
pub trait Provider: Send + Sync {
    fn name(&self) -> &str;
    fn kind(&self) -> ProviderKind;
    fn model(&self) -> &str;
    fn simulated(&self) -> bool {
        false
    }
    /// Makes one call with `key` (`None` for providers that need none).
    fn call<'a>(
        &'a self,
        req: &'a CallRequest,
        key: Option<&'a Secret>,
    ) -> BoxFuture<'a, Result<CallResponse, ProviderError>>;
}
