//! The simulated provider: seeded and deterministic per (task, attempt), with lognormal
//! latency and injected failures (429 with retry-after, 500, timeouts).

use std::time::Duration;

use super::sim_text;
use crate::config::{ProviderKind, SimConfig};
use crate::domain::TaskKind;
use crate::providers::rng::Rng;
use crate::providers::{BoxFuture, CallRequest, CallResponse, ErrorClass, Provider, ProviderError, Secret, Usage};

/// Spread (sigma of the log) of simulated latency.
const LATENCY_SIGMA: f64 = 0.5;

pub struct SimProvider {
    /// `sim`, or the name of a `[providers.NAME]` of kind `sim`, which chains refer to.
    name: String,
    seed: u64,
    latency_ms: u64,
    failure_rate: f64,
    model: String,
}

impl SimProvider {
    pub fn new(cfg: &SimConfig) -> Self {
        Self::named("sim", cfg)
    }

    /// A simulated provider configured under `name` (`[providers.NAME] kind = "sim"`).
    pub fn named(name: &str, cfg: &SimConfig) -> Self {
        SimProvider {
            name: name.to_string(),
            seed: cfg.seed,
            latency_ms: cfg.latency_ms,
            failure_rate: cfg.failure_rate,
            model: cfg.model.clone(),
        }
    }
}

async fn pause(ms: u64) {
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

impl Provider for SimProvider {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> ProviderKind {
        ProviderKind::Sim
    }
    fn model(&self) -> &str {
        &self.model
    }
    fn simulated(&self) -> bool {
        true
    }

    fn call<'a>(
        &'a self,
        req: &'a CallRequest,
        _key: Option<&'a Secret>,
    ) -> BoxFuture<'a, Result<CallResponse, ProviderError>> {
        Box::pin(async move {
            // The same (task, attempt) gives the same answer: after a retry, a crash and
            // restart, or in a second run with the same seed.
            let mut rng = Rng::for_call(self.seed, &req.task_id, req.attempt);
            // Timing draws from its own stream, so that the latency setting never changes
            // which calls fail or what they say.
            let mut timing = Rng::for_call(self.seed ^ 0x7153_C0DE, &req.task_id, req.attempt);
            let latency =
                if self.latency_ms == 0 { 0 } else { timing.lognormal(self.latency_ms as f64, LATENCY_SIGMA) as u64 };
            if self.failure_rate > 0.0 && rng.chance(self.failure_rate) {
                let fail = match rng.range(0, 3) {
                    0 => {
                        let mut e = ProviderError::new(ErrorClass::RateLimited, "simulated rate limit");
                        e.status = Some(429);
                        e.retry_after = Some(Duration::from_millis(timing.range(20, 200)));
                        e
                    }
                    1 => {
                        let mut e = ProviderError::new(ErrorClass::Server, "simulated server error");
                        e.status = Some(500);
                        e
                    }
                    _ => {
                        pause(latency.min(2_000)).await;
                        ProviderError::new(ErrorClass::Timeout, "simulated timeout")
                    }
                };
                pause(latency / 4).await;
                return Err(fail);
            }
            // A model sometimes answers a plan request with a broken plan; so does this one,
            // as often as it fails calls, so that the plan's retry and fallback get exercised.
            let broken_plan =
                req.hints.kind == Some(TaskKind::Plan) && self.failure_rate > 0.0 && rng.chance(self.failure_rate);
            let text = if broken_plan { sim_text::broken_plan() } else { sim_text::answer(&req.hints, &mut rng) };
            pause(latency).await;
            let mut usage = Usage::estimate(req.system.len() + req.prompt.len(), text.len());
            usage.estimated = false;
            usage.output = usage.output.min(req.max_tokens as u64);
            Ok(CallResponse {
                text,
                usage,
                model: self.model.clone(),
                citations: Vec::new(),
                rest_key_for: None,
                truncated: false,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::SimHints;

    fn req(task: &str) -> CallRequest {
        CallRequest {
            task_id: task.into(),
            attempt: 0,
            route: "research",
            system: "sys".into(),
            prompt: "a prompt of some length".into(),
            max_tokens: 4000,
            bypass_cache: false,
            hints: SimHints { sections: vec!["Market size".into()], startup: "X".into(), ..SimHints::default() },
        }
    }

    #[tokio::test]
    async fn latency_never_changes_what_a_call_answers() {
        let fast = SimProvider::new(&SimConfig { latency_ms: 0, failure_rate: 0.5, ..SimConfig::default() });
        let slow = SimProvider::new(&SimConfig { latency_ms: 2, failure_rate: 0.5, ..SimConfig::default() });
        for attempt in 0..8 {
            let r = CallRequest { attempt, ..req("s-01.spec.r0") };
            let a = fast.call(&r, None).await.map(|x| x.text).map_err(|e| e.message);
            let b = slow.call(&r, None).await.map(|x| x.text).map_err(|e| e.message);
            assert_eq!(a, b, "attempt {attempt}");
        }
    }

    #[tokio::test]
    async fn deterministic_per_task_and_attempt() {
        let cfg = SimConfig { latency_ms: 0, failure_rate: 0.5, ..SimConfig::default() };
        let outcomes = |p: SimProvider| async move {
            let mut v = Vec::new();
            for attempt in 0..6 {
                let r = CallRequest { attempt, ..req("s-01.research.r0") };
                v.push(p.call(&r, None).await.map(|r| r.text).map_err(|e| e.message));
            }
            v
        };
        let a = outcomes(SimProvider::new(&cfg)).await;
        let b = outcomes(SimProvider::new(&cfg)).await;
        assert_eq!(a, b);
        assert!(a.iter().any(|r| r.is_err()) && a.iter().any(|r| r.is_ok()), "{a:?}");
    }
}
