//! Assembling the gateway from the config: which providers are usable (enabled, a key
//! set, a command given), their keys and limits, and each task kind's chain.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::breaker::Breaker;
use super::cache::ResponseCache;
use super::pool::{Limits, Pool};
use super::quality::QualityBook;
use super::router::{Adaptive, Policy};
use super::stats::Live;
use super::writer::Writer;
use super::{Gateway, Slot, Trees};
use crate::config::{Config, ProviderConfig, ProviderKind};
use crate::providers::secret::Scrubber;
use crate::providers::wire::{
    anthropic::AnthropicProvider, cli::CliProvider, openai::OpenAiProvider, sim::SimProvider,
};
use crate::providers::{Prices, Provider, Secret};

/// Where keys come from: the process environment, or (benchmarks, tests) a given map.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Why a configured provider is not used (disabled, no key set, no command).
pub fn unavailable_reason(cfg: &ProviderConfig) -> Option<String> {
    unavailable_reason_with(cfg, &process_env)
}

pub fn unavailable_reason_with(cfg: &ProviderConfig, env: EnvLookup) -> Option<String> {
    if !cfg.enabled() {
        return Some("disabled in the config".into());
    }
    match cfg.kind {
        Some(ProviderKind::Openai | ProviderKind::Anthropic) => {
            let keys = cfg.keys();
            if !keys.is_empty() && !keys.iter().any(|k| env(k).is_some_and(|v| !v.trim().is_empty())) {
                return Some(format!("none of its key variables is set ({})", keys.join(", ")));
            }
            None
        }
        Some(ProviderKind::Cli) if cfg.command().is_empty() => Some("it has no command".into()),
        Some(ProviderKind::Sim) | Some(ProviderKind::Cli) => None,
        None => Some("it has no kind".into()),
    }
}

fn build_provider(name: &str, p: &ProviderConfig, cfg: &Config) -> Option<Arc<dyn Provider>> {
    let model = p.model.clone().unwrap_or_default();
    let base = p.base_url.clone().unwrap_or_default();
    Some(match p.kind? {
        ProviderKind::Openai => {
            Arc::new(OpenAiProvider::new(name, &base, &model, p.stream(), p.timeout_s(), p.max_tokens))
        }
        ProviderKind::Anthropic => {
            Arc::new(AnthropicProvider::new(name, &base, &model, p.stream(), p.timeout_s(), p.max_tokens))
        }
        ProviderKind::Cli => Arc::new(CliProvider::new(name, p.command().to_vec(), p.model.clone(), p.timeout_s())),
        ProviderKind::Sim => Arc::new(SimProvider::named(name, &cfg.sim)),
    })
}

fn limits(p: &ProviderConfig) -> Limits {
    Limits {
        max_concurrent: p.max_concurrent(),
        max_concurrent_per_key: p.max_concurrent_per_key(),
        rpm_per_key: p.rpm,
        rpm_total: p.rpm_total,
    }
}

impl Gateway {
    /// Builds the providers the config makes available, keys read from the environment.
    /// With `simulate`, or when none is available, the simulated provider does all the work.
    pub fn from_config(cfg: &Config, simulate: bool, trees: Trees) -> Gateway {
        Gateway::from_config_with(cfg, simulate, trees, &process_env)
    }

    pub fn from_config_with(cfg: &Config, simulate: bool, trees: Trees, env: EnvLookup) -> Gateway {
        let mut slots: Vec<Slot> = Vec::new();
        let breaker = || Breaker::new(cfg.retry.circuit_failures, Duration::from_millis(cfg.retry.circuit_open_ms));
        if !simulate {
            for (name, p) in &cfg.providers {
                if let Some(reason) = unavailable_reason_with(p, env) {
                    tracing::debug!(provider = %name, %reason, "provider not used");
                    continue;
                }
                let Some(provider) = build_provider(name, p, cfg) else { continue };
                let keys: Vec<Secret> = p
                    .keys()
                    .iter()
                    .filter_map(|var| {
                        env(var)
                            .map(|v| v.trim().to_string())
                            .filter(|v| !v.is_empty())
                            .map(|v| Secret::new(var.clone(), v))
                    })
                    .collect();
                slots.push(Slot { provider, pool: Pool::new(keys, limits(p)), live: Mutex::new(Live::new(breaker())) });
            }
        }
        let sim_index = slots.iter().position(|s| s.provider.simulated()).unwrap_or_else(|| {
            let sim_limits = Limits {
                max_concurrent: cfg.sim.max_concurrent,
                max_concurrent_per_key: cfg.sim.max_concurrent,
                rpm_per_key: None,
                rpm_total: None,
            };
            slots.push(Slot {
                provider: Arc::new(SimProvider::new(&cfg.sim)),
                pool: Pool::new(Vec::new(), sim_limits),
                live: Mutex::new(Live::new(breaker())),
            });
            slots.len() - 1
        });
        let mut by_name: HashMap<String, usize> =
            slots.iter().enumerate().map(|(i, s)| (s.name().to_string(), i)).collect();
        // `sim` in a chain is the simulated provider, whatever name it was configured under.
        by_name.entry("sim".into()).or_insert(sim_index);
        let mut chains = HashMap::new();
        for (route, names) in &cfg.routing.chains {
            let mut chain: Vec<usize> = Vec::new();
            for i in names.iter().filter_map(|n| by_name.get(n).copied()) {
                if !chain.contains(&i) {
                    chain.push(i);
                }
            }
            if chain.is_empty() || (cfg.routing.allow_simulated_fallback && !chain.contains(&sim_index)) {
                if chain.is_empty() && !simulate && slots.len() > 1 {
                    tracing::warn!(%route, "no provider of this task kind's chain is configured; the simulated provider does it");
                }
                chain.push(sim_index);
            }
            chains.insert(route.clone(), chain);
        }
        let scrubber = Scrubber::new(slots.iter().flat_map(|s| s.pool.keys()));
        let writer = Arc::new(Writer::start());
        let cache = match (&trees.cache, cfg.cache.enabled) {
            (Some(tree), true) => {
                let ttl = Duration::from_secs_f64(cfg.cache.ttl_hours * 3600.0);
                let c = ResponseCache::new(tree.clone(), ttl, Arc::clone(&writer));
                c.sweep();
                Some(Arc::new(c))
            }
            _ => None,
        };
        Gateway {
            slots,
            chains,
            prices: Prices::builtin(),
            retry: cfg.retry.clone(),
            policy: cfg.routing.policy.parse().unwrap_or(Policy::Preferred),
            adaptive: Adaptive { quality_floor: cfg.routing.quality_floor, explore: cfg.routing.explore },
            cache: RwLock::new(cache),
            quality: QualityBook::open_with(trees.quality, Arc::clone(&writer)),
            writer,
            scrubber,
            started: Instant::now(),
        }
    }
}
