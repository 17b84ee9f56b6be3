//! The TOML configuration: every section with its defaults (the same as
//! `assets/default-config.toml`, which a test holds equal).

mod alerts;
mod cluster;
mod gates;
pub mod keys;
mod load;
mod locate;
#[cfg(test)]
mod props;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::GateCode;
pub use crate::domain::GatePolicy;
pub use alerts::{AlertsConfig, WebhookConfig, WebhookUrl};
pub use cluster::{ClusterConfig, ClusterDispatch, CredentialsConfig, Placement, url_allowed};
pub use load::{ConfigSource, default_config_text, load, parse, provider_defaults};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub factory: FactoryConfig,
    pub team: TeamConfig,
    pub budget: BudgetConfig,
    pub retry: RetryConfig,
    pub gates: GatesConfig,
    pub sim: SimConfig,
    pub checks: ChecksConfig,
    pub store: StoreConfig,
    pub cache: CacheConfig,
    pub routing: RoutingConfig,
    pub providers: BTreeMap<String, ProviderConfig>,
    pub tui: TuiConfig,
    pub alerts: AlertsConfig,
    /// Workers on other machines through NATS (`[cluster]`); absent, all work is local.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterConfig>,
}

/// One key or several, as the config may write them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl KeyList {
    pub fn keys(&self) -> Vec<String> {
        match self {
            KeyList::One(k) => vec![k.clone()],
            KeyList::Many(v) => v.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TuiConfig {
    /// `dark`, `light`, `high-contrast`, `no-colour`, or a theme file in the config folder.
    pub theme: String,
    /// Ring the terminal bell when a gate opens or an alert fires.
    pub bell: bool,
    /// Capture the mouse (it breaks text selection over SSH).
    pub mouse: bool,
    /// Let `y` in the workspace browser write the terminal's clipboard with OSC 52 (off: see
    /// SECURITY.md).
    pub osc52: bool,
    /// Where a saved decision leads: `next` opens the next pending gate, `inbox` goes back
    /// to the gate inbox.
    pub after_decision: String,
    /// Action name to key(s), for the actions whose keys change.
    pub keys: BTreeMap<String, KeyList>,
}

impl Default for TuiConfig {
    fn default() -> Self {
        TuiConfig {
            theme: "dark".into(),
            bell: true,
            mouse: false,
            osc52: false,
            after_decision: "next".into(),
            keys: BTreeMap::new(),
        }
    }
}

impl TuiConfig {
    pub fn key_overrides(&self) -> BTreeMap<String, Vec<String>> {
        self.keys.iter().map(|(k, v)| (k.clone(), v.keys())).collect()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FactoryConfig {
    /// Provider calls in flight across all runs.
    pub max_concurrent_calls: u32,
    /// Provider calls in flight for one run.
    pub max_concurrent_per_run: u32,
    /// A running run with no finished task for this long raises an alert.
    pub stall_minutes: u32,
    /// Where workspaces go, relative to the data directory unless absolute.
    pub workspaces: String,
}

impl Default for FactoryConfig {
    fn default() -> Self {
        FactoryConfig {
            max_concurrent_calls: 32,
            max_concurrent_per_run: 4,
            stall_minutes: 15,
            workspaces: "workspaces".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TeamConfig {
    /// Tasks of one role of one run running at once.
    pub max_per_role: u32,
    /// Attempts at a valid plan before the template's default plan is used.
    pub max_plan_attempts: u32,
    /// Template used when a run names none.
    pub default_template: String,
    /// Estimated tokens of code (the files a task builds on) a team task's prompt may carry.
    pub context_tokens: u32,
    /// Repair rounds after failing checks before the build ends *checks failing*.
    pub max_repair_rounds: u32,
}

impl Default for TeamConfig {
    fn default() -> Self {
        TeamConfig {
            max_per_role: 2,
            max_plan_attempts: 3,
            default_template: "neoforge".into(),
            context_tokens: 12_000,
            max_repair_rounds: 2,
        }
    }
}

/// How a check command is confined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SandboxKind {
    /// bubblewrap: `app/` writable, the rest read-only, no network, cleared environment.
    Bwrap,
    /// No confinement at all: the generated code runs as you. Unsafe.
    None,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChecksConfig {
    /// Run the template's `[[checks]]` (install, typecheck, tests) after the team's tasks.
    pub enabled: bool,
    /// `bwrap` (the default), or `none`, which runs model-written code unconfined.
    pub sandbox: SandboxKind,
    /// Wall-clock limit of one check, in seconds.
    pub timeout_s: u64,
    /// CPU seconds one check's processes may use.
    pub cpu_s: u64,
    /// Memory (address space) of each process of a check, in MiB.
    pub memory_mb: u64,
    /// Processes a check may run at once.
    pub max_processes: u64,
    /// Largest file a check may write, in MiB.
    pub max_file_mb: u64,
    /// Where dependency installs are cached between runs (per template version): relative
    /// to the data directory, or absolute (several data directories may share one).
    pub cache_dir: String,
}

impl Default for ChecksConfig {
    fn default() -> Self {
        ChecksConfig {
            enabled: true,
            sandbox: SandboxKind::Bwrap,
            timeout_s: 600,
            cpu_s: 900,
            memory_mb: 8192,
            max_processes: 512,
            max_file_mb: 512,
            cache_dir: "check-cache".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetConfig {
    /// Budget of a new run when none is given, in USD.
    pub default_run_usd: f64,
    /// The factory's spend cap per UTC day, in USD; 0 for none.
    pub daily_cap_usd: f64,
    /// Spend share that raises the early alert.
    pub alert_percent: u32,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig { default_run_usd: 5.0, daily_cap_usd: 200.0, alert_percent: 80 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// Attempts per provider for one call before falling back or failing.
    pub max_attempts: u32,
    pub base_delay_ms: u64,
    pub max_delay_ms: u64,
    /// Failures in a row that open a provider's circuit (it is then skipped).
    pub circuit_failures: u32,
    /// How long an open circuit stays open before one probe call is let through.
    pub circuit_open_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 6,
            base_delay_ms: 200,
            max_delay_ms: 10_000,
            circuit_failures: 10,
            circuit_open_ms: 15_000,
        }
    }
}

/// Read through `gates::RawGates`, so that a gate section changes only the keys it names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "gates::RawGates")]
pub struct GatesConfig {
    /// Revisions allowed per gate; past it the gate must be approved or rejected.
    pub max_revisions: u32,
    #[serde(rename = "G0")]
    pub g0: GateConfig,
    #[serde(rename = "G1")]
    pub g1: GateConfig,
    #[serde(rename = "G2")]
    pub g2: GateConfig,
    #[serde(rename = "G3")]
    pub g3: GateConfig,
}

impl Default for GatesConfig {
    fn default() -> Self {
        let gate = |hours| GateConfig { policy: GatePolicy::Human, timeout_hours: hours, reviewers: Vec::new() };
        GatesConfig { max_revisions: 3, g0: gate(48.0), g1: gate(24.0), g2: gate(12.0), g3: gate(6.0) }
    }
}

impl GatesConfig {
    pub fn get(&self, code: GateCode) -> Option<&GateConfig> {
        match code {
            GateCode::G0 => Some(&self.g0),
            GateCode::G1 => Some(&self.g1),
            GateCode::G2 => Some(&self.g2),
            GateCode::G3 => Some(&self.g3),
            GateCode::Budget => None,
        }
    }

    /// Who may decide gates of this code; empty for anyone.
    pub fn reviewers(&self, code: GateCode) -> &[String] {
        self.get(code).map(|g| g.reviewers.as_slice()).unwrap_or(&[])
    }

    /// How long a gate may wait before the timeout alert, in milliseconds.
    pub fn timeout_ms(&self, code: GateCode) -> u64 {
        let hours = self.get(code).map(|g| g.timeout_hours).unwrap_or(24.0);
        (hours * 3_600_000.0) as u64
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GateConfig {
    /// `human`, `auto`, or `auto_if_quality >= 0.8`.
    pub policy: GatePolicy,
    pub timeout_hours: f64,
    /// Who may decide this gate (reviewer names); empty for anyone.
    pub reviewers: Vec<String>,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig { policy: GatePolicy::Human, timeout_hours: 24.0, reviewers: Vec::new() }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Seed of the simulated provider; the same seed gives the same runs.
    pub seed: u64,
    /// Median latency of a simulated call (lognormal spread).
    pub latency_ms: u64,
    /// Share of simulated calls that fail (429 with retry-after, 500, timeout).
    pub failure_rate: f64,
    /// Model name the simulated provider reports (priced in `assets/prices.toml`).
    pub model: String,
    pub max_concurrent: u32,
    /// Share of simulated build answers that carry a real defect (a failing assertion or a
    /// syntax error), so that the repair loop can be seen and tested.
    pub defect_rate: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            latency_ms: 400,
            failure_rate: 0.0,
            model: "sim-standard".into(),
            max_concurrent: 64,
            defect_rate: 0.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// sled's page cache, in MiB.
    pub cache_mb: u64,
    /// Free space the factory keeps on the data directory's disk: below it, nothing more
    /// is written and the orchestrator stops (sled can damage its store when a write of
    /// its runs out of space half-way).
    pub min_free_mb: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig { cache_mb: 16, min_free_mb: crate::store::DEFAULT_MIN_FREE_MB }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// Answer a request seen before (same provider, model and prompt) from the data directory.
    pub enabled: bool,
    /// How long a cached answer is used, in hours.
    pub ttl_hours: f64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig { enabled: true, ttl_hours: 24.0 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingConfig {
    /// `preferred`, `cheapest`, `fastest`, `best_quality` or `adaptive`.
    pub policy: String,
    /// Whether the simulated provider may stand in when every configured one failed.
    pub allow_simulated_fallback: bool,
    /// `adaptive`: a provider whose quality for a task kind falls below this (0 to 1) is
    /// tried only after the others.
    pub quality_floor: f64,
    /// `adaptive`: the share of calls that try another candidate than the best so far.
    pub explore: f64,
    /// Per task kind (a phase name, or `plan`), the providers to try in order.
    pub chains: BTreeMap<String, Vec<String>>,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        let chain = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let writing = chain(&["anthropic", "openai"]);
        let coding = chain(&["openai", "anthropic"]);
        let chains = BTreeMap::from([
            ("research".to_string(), chain(&["perplexity", "anthropic", "openai"])),
            ("founder_fit".to_string(), writing.clone()),
            ("spec".to_string(), writing.clone()),
            ("architecture".to_string(), writing.clone()),
            ("plan".to_string(), coding.clone()),
            ("build".to_string(), coding),
            ("quality".to_string(), writing.clone()),
            ("deploy".to_string(), writing),
        ]);
        RoutingConfig {
            policy: "preferred".into(),
            allow_simulated_fallback: false,
            quality_floor: 0.5,
            explore: 0.1,
            chains,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    Openai,
    Anthropic,
    Cli,
    Sim,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Openai => "openai",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Cli => "cli",
            ProviderKind::Sim => "sim",
        }
    }
}

/// One provider's settings. Every field is optional so that a user file can change one
/// field of a built-in provider (`[providers.openai] model = "gpt-4o"`); the loader lays
/// the user's entry over the built-in one of the same name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderConfig {
    /// `openai` (also Perplexity and any OpenAI-compatible server), `anthropic`, `cli` or `sim`.
    pub kind: Option<ProviderKind>,
    pub base_url: Option<String>,
    /// Names of environment variables holding API keys; never the keys themselves.
    pub keys: Option<Vec<String>>,
    pub model: Option<String>,
    /// Calls in flight to this provider, all keys together.
    pub max_concurrent: Option<u32>,
    /// Calls in flight on one key (default: `max_concurrent`).
    pub max_concurrent_per_key: Option<u32>,
    /// Requests per minute, per key.
    pub rpm: Option<u32>,
    /// Requests per minute to this provider, all keys together (default: no limit beyond the keys').
    pub rpm_total: Option<u32>,
    /// Stream answers (SSE); `false` asks for one JSON body.
    pub stream: Option<bool>,
    /// For `kind = "cli"`: the program and its arguments, run without a shell.
    pub command: Option<Vec<String>>,
    pub timeout_s: Option<u64>,
    pub max_tokens: Option<u32>,
    pub enabled: Option<bool>,
}

impl ProviderConfig {
    /// This entry with every field `over` sets replaced by `over`'s.
    pub fn overlaid(&self, over: &ProviderConfig) -> ProviderConfig {
        ProviderConfig {
            kind: over.kind.or(self.kind),
            base_url: over.base_url.clone().or_else(|| self.base_url.clone()),
            keys: over.keys.clone().or_else(|| self.keys.clone()),
            model: over.model.clone().or_else(|| self.model.clone()),
            max_concurrent: over.max_concurrent.or(self.max_concurrent),
            max_concurrent_per_key: over.max_concurrent_per_key.or(self.max_concurrent_per_key),
            rpm: over.rpm.or(self.rpm),
            rpm_total: over.rpm_total.or(self.rpm_total),
            stream: over.stream.or(self.stream),
            command: over.command.clone().or_else(|| self.command.clone()),
            timeout_s: over.timeout_s.or(self.timeout_s),
            max_tokens: over.max_tokens.or(self.max_tokens),
            enabled: over.enabled.or(self.enabled),
        }
    }

    pub fn max_concurrent(&self) -> u32 {
        self.max_concurrent.unwrap_or(8)
    }
    pub fn max_concurrent_per_key(&self) -> u32 {
        self.max_concurrent_per_key.unwrap_or_else(|| self.max_concurrent())
    }
    pub fn stream(&self) -> bool {
        self.stream.unwrap_or(true)
    }
    pub fn timeout_s(&self) -> u64 {
        self.timeout_s.unwrap_or(300)
    }
    pub fn enabled(&self) -> bool {
        self.enabled.unwrap_or(true)
    }
    pub fn keys(&self) -> &[String] {
        self.keys.as_deref().unwrap_or(&[])
    }
    pub fn command(&self) -> &[String] {
        self.command.as_deref().unwrap_or(&[])
    }
}

fn openai_like(base_url: &str, key: &str, model: &str, max_concurrent: u32, rpm: u32) -> ProviderConfig {
    ProviderConfig {
        kind: Some(ProviderKind::Openai),
        base_url: Some(base_url.into()),
        keys: Some(vec![key.to_string()]),
        model: Some(model.into()),
        max_concurrent: Some(max_concurrent),
        rpm: Some(rpm),
        ..ProviderConfig::default()
    }
}

impl Default for Config {
    fn default() -> Self {
        let anthropic = ProviderConfig {
            kind: Some(ProviderKind::Anthropic),
            ..openai_like("https://api.anthropic.com", "ANTHROPIC_API_KEY", "claude-sonnet-4-5", 8, 50)
        };
        let providers = BTreeMap::from([
            ("openai".to_string(), openai_like("https://api.openai.com/v1", "OPENAI_API_KEY", "gpt-4o-mini", 10, 500)),
            ("anthropic".to_string(), anthropic),
            ("perplexity".to_string(), openai_like("https://api.perplexity.ai", "PERPLEXITY_API_KEY", "sonar", 4, 50)),
        ]);
        Config {
            factory: FactoryConfig::default(),
            team: TeamConfig::default(),
            budget: BudgetConfig::default(),
            retry: RetryConfig::default(),
            gates: GatesConfig::default(),
            sim: SimConfig::default(),
            checks: ChecksConfig::default(),
            store: StoreConfig::default(),
            cache: CacheConfig::default(),
            routing: RoutingConfig::default(),
            providers,
            tui: TuiConfig::default(),
            alerts: AlertsConfig::default(),
            cluster: None,
        }
    }
}
