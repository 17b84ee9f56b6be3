//! Finding, parsing and validating the config file, with errors that name file, line and key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::locate::Locator;
use super::{Config, GatePolicy, ProviderKind};
use crate::error::{FactoryError, Result};
use crate::sanitize;

const DEFAULT_CONFIG: &str = include_str!("../../assets/default-config.toml");

/// The default configuration, commented, as shipped in `assets/default-config.toml`.
pub fn default_config_text() -> &'static str {
    DEFAULT_CONFIG
}

/// Where the config came from.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigSource {
    Defaults,
    File(PathBuf),
}

/// Loads the config: `explicit` (from `--config` or `FACTORY_CONFIG`) must exist; else the
/// platform config folder's `config.toml` is used if present; else the defaults.
pub fn load(explicit: Option<&Path>) -> Result<(Config, ConfigSource)> {
    let (path, required) = match explicit {
        Some(p) => (Some(p.to_path_buf()), true),
        None => (crate::paths::default_config_file(), false),
    };
    let Some(path) = path else {
        return Ok((Config::default(), ConfigSource::Defaults));
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((parse(&text, &path.display().to_string())?, ConfigSource::File(path))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            Ok((Config::default(), ConfigSource::Defaults))
        }
        Err(e) => Err(FactoryError::config(format!(
            "cannot read the config file {}: {e}; check the path given to --config or FACTORY_CONFIG",
            path.display()
        ))),
    }
}

/// Parses a config file's text laid over the defaults, then validates it.
pub fn parse(text: &str, file: &str) -> Result<Config> {
    let mut cfg: Config = toml::from_str(text).map_err(|e| {
        let loc = Locator::new(text);
        let span = e.span().unwrap_or(0..0);
        let line = if e.span().is_some() { loc.line_of(span.start) } else { 0 };
        let key = loc.key_at(span.clone());
        let place = match (&key, loc.table_at(span.start)) {
            (Some(k), _) => format!(", key `{k}`"),
            (None, t) if t.is_empty() => String::new(),
            (None, t) => format!(" in [{t}]"),
        };
        let msg = plain_message(e.message(), key.as_deref());
        FactoryError::config(sanitize::line(&format!(
            "{file}, line {line}{place}: {msg}; fix it or run `factory config check` after editing"
        )))
    })?;
    let defaults = Config::default();
    // A file that defines any provider gets exactly those: the built-in ones are not
    // added (a key in the shell must not send calls to a provider the file left out).
    // A provider named like a built-in one takes the settings the file leaves unset.
    if user_providers(text).is_empty() {
        cfg.providers = defaults.providers.clone();
    } else {
        for (name, user) in cfg.providers.iter_mut() {
            if let Some(base) = defaults.providers.get(name) {
                *user = base.overlaid(user);
            }
        }
    }
    // A task kind the file gives no chain keeps the default chain's providers that exist
    // (none left: the simulated provider does it).
    let written = user_chains(text);
    for (kind, chain) in defaults.routing.chains {
        if !written.contains(&kind) {
            let known: Vec<String> = chain.into_iter().filter(|n| cfg.providers.contains_key(n)).collect();
            cfg.routing.chains.insert(kind, known);
        }
    }
    validate(&cfg).map_err(|(path, msg)| {
        let line = Locator::new(text).line_of_path(&path).map(|l| format!(", line {l}")).unwrap_or_default();
        FactoryError::config(sanitize::line(&format!("{file}{line}, key `{}`: {msg}", path.join("."))))
    })?;
    Ok(cfg)
}

/// The `[providers.*]` tables a config file's text defines, each with the keys it sets.
fn user_providers(text: &str) -> BTreeMap<String, Vec<String>> {
    let table: toml::Table = toml::from_str(text).unwrap_or_default();
    let Some(toml::Value::Table(providers)) = table.get("providers") else {
        return BTreeMap::new();
    };
    providers
        .iter()
        .map(|(name, v)| (name.clone(), v.as_table().map(|t| t.keys().cloned().collect()).unwrap_or_default()))
        .collect()
}

/// The task kinds a config file's text gives a chain (`[routing.chains]`).
fn user_chains(text: &str) -> Vec<String> {
    let table: toml::Table = toml::from_str(text).unwrap_or_default();
    table
        .get("routing")
        .and_then(|r| r.get("chains"))
        .and_then(toml::Value::as_table)
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

/// For `config check`: per provider of a config file's text, the settings it takes from
/// the built-in provider of its name; `None` when the file defines no provider, so that
/// the built-in ones are used.
pub fn provider_defaults(text: &str) -> Option<BTreeMap<String, Vec<String>>> {
    let user = user_providers(text);
    if user.is_empty() {
        return None;
    }
    let defaults = Config::default();
    Some(
        user.into_iter()
            .map(|(name, set)| {
                let filled = match defaults.providers.get(&name).map(serde_json::to_value) {
                    Some(Ok(serde_json::Value::Object(base))) => {
                        base.into_iter().filter(|(k, v)| !v.is_null() && !set.contains(k)).map(|(k, _)| k).collect()
                    }
                    _ => Vec::new(),
                };
                (name, filled)
            })
            .collect(),
    )
}

type Invalid = (Vec<String>, String);

fn invalid(path: &[&str], msg: impl Into<String>) -> Invalid {
    (path.iter().map(|s| s.to_string()).collect(), msg.into())
}

fn validate(cfg: &Config) -> std::result::Result<(), Invalid> {
    if let Some((key, msg)) = cfg.cluster.as_ref().and_then(|c| c.problem()) {
        return Err(invalid(&["cluster", key], msg));
    }
    if cfg.factory.max_concurrent_calls == 0 {
        return Err(invalid(&["factory", "max_concurrent_calls"], "must be at least 1"));
    }
    if cfg.factory.max_concurrent_per_run == 0 {
        return Err(invalid(&["factory", "max_concurrent_per_run"], "must be at least 1"));
    }
    if cfg.team.max_per_role == 0 {
        return Err(invalid(&["team", "max_per_role"], "must be at least 1"));
    }
    if cfg.budget.default_run_usd <= 0.0 || !cfg.budget.default_run_usd.is_finite() {
        return Err(invalid(&["budget", "default_run_usd"], "must be a positive amount of dollars"));
    }
    if cfg.budget.daily_cap_usd < 0.0 || !cfg.budget.daily_cap_usd.is_finite() {
        return Err(invalid(&["budget", "daily_cap_usd"], "must be 0 (no cap) or a positive amount of dollars"));
    }
    if !(1..=100).contains(&cfg.budget.alert_percent) {
        return Err(invalid(&["budget", "alert_percent"], "must be between 1 and 100"));
    }
    if cfg.retry.max_attempts == 0 {
        return Err(invalid(&["retry", "max_attempts"], "must be at least 1"));
    }
    if !(0.0..=1.0).contains(&cfg.sim.failure_rate) {
        return Err(invalid(&["sim", "failure_rate"], "must be between 0 and 1"));
    }
    if !(0.0..=1.0).contains(&cfg.sim.defect_rate) {
        return Err(invalid(&["sim", "defect_rate"], "must be between 0 and 1"));
    }
    if cfg.checks.timeout_s == 0 {
        return Err(invalid(&["checks", "timeout_s"], "must be at least 1"));
    }
    if cfg.sim.max_concurrent == 0 {
        return Err(invalid(&["sim", "max_concurrent"], "must be at least 1"));
    }
    for (code, gate) in [("G0", &cfg.gates.g0), ("G1", &cfg.gates.g1), ("G2", &cfg.gates.g2), ("G3", &cfg.gates.g3)] {
        if gate.timeout_hours <= 0.0 || !gate.timeout_hours.is_finite() {
            return Err(invalid(&["gates", code, "timeout_hours"], "must be a positive number of hours"));
        }
        if let GatePolicy::AutoIfQuality(q) = gate.policy
            && !(0.0..=1.0).contains(&q)
        {
            return Err(invalid(&["gates", code, "policy"], "the quality threshold must be between 0 and 1"));
        }
    }
    if cfg.retry.circuit_failures == 0 {
        return Err(invalid(&["retry", "circuit_failures"], "must be at least 1"));
    }
    if !(cfg.cache.ttl_hours >= 0.0 && cfg.cache.ttl_hours.is_finite()) {
        return Err(invalid(&["cache", "ttl_hours"], "must be 0 or a positive number of hours"));
    }
    if !(0.0..=1.0).contains(&cfg.routing.quality_floor) {
        return Err(invalid(&["routing", "quality_floor"], "must be between 0 and 1"));
    }
    if !(0.0..=1.0).contains(&cfg.routing.explore) {
        return Err(invalid(&["routing", "explore"], "must be a share between 0 and 1"));
    }
    const POLICIES: [&str; 5] = ["preferred", "cheapest", "fastest", "best_quality", "adaptive"];
    if !POLICIES.contains(&cfg.routing.policy.as_str()) {
        return Err(invalid(
            &["routing", "policy"],
            format!("`{}` is not a routing policy (expected one of {})", cfg.routing.policy, POLICIES.join(", ")),
        ));
    }
    for (kind, chain) in &cfg.routing.chains {
        const KINDS: [&str; 8] =
            ["research", "founder_fit", "spec", "architecture", "plan", "build", "quality", "deploy"];
        if !KINDS.contains(&kind.as_str()) {
            return Err(invalid(
                &["routing", "chains", kind],
                format!("`{kind}` is not a task kind (expected one of {})", KINDS.join(", ")),
            ));
        }
        for name in chain {
            if name != "sim" && !cfg.providers.contains_key(name) {
                return Err(invalid(
                    &["routing", "chains", kind],
                    format!("names the provider `{name}`, which no [providers.{name}] section defines"),
                ));
            }
        }
    }
    const AFTER_DECISION: [&str; 2] = ["next", "inbox"];
    if !AFTER_DECISION.contains(&cfg.tui.after_decision.as_str()) {
        return Err(invalid(
            &["tui", "after_decision"],
            format!(
                "`{}` is not allowed (expected \"next\": open the next pending gate, or \"inbox\": back to the gate inbox)",
                cfg.tui.after_decision
            ),
        ));
    }
    if let Err(e) = crate::config::keys::Keymap::with_overrides(&cfg.tui.key_overrides()) {
        // The keymap's errors read `[tui.keys] NAME: what is wrong`.
        let found = cfg.tui.keys.keys().find_map(|k| {
            let rest = e.message.strip_prefix(&format!("[tui.keys] {k}: "))?;
            Some((k.clone(), rest.to_string()))
        });
        let (name, msg) = found.unwrap_or_else(|| (String::new(), e.message.clone()));
        return Err(invalid(&["tui", "keys", &name], msg));
    }
    super::alerts::check(&cfg.alerts).map_err(|(path, msg)| invalid(&path, msg))?;
    for (name, p) in &cfg.providers {
        let at = |key: &'static str| vec!["providers".to_string(), name.clone(), key.to_string()];
        let Some(kind) = p.kind else {
            return Err((at("kind"), "is missing (expected \"openai\", \"anthropic\", \"cli\" or \"sim\")".into()));
        };
        for key in p.keys() {
            let looks_like_name =
                !key.is_empty() && key.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if !looks_like_name {
                // Never echo the value: it may be a pasted key.
                return Err((
                    at("keys"),
                    "must list names of environment variables (such as OPENAI_API_KEY), never the keys themselves"
                        .into(),
                ));
            }
        }
        match kind {
            ProviderKind::Cli if p.command().is_empty() => {
                return Err((
                    at("command"),
                    "is required for a cli provider (for example [\"llm\", \"-m\", \"gpt-4o-mini\"])".into(),
                ));
            }
            ProviderKind::Openai | ProviderKind::Anthropic if p.model.is_none() => {
                return Err((at("model"), "is required for this provider".into()));
            }
            ProviderKind::Openai | ProviderKind::Anthropic if p.base_url.is_none() => {
                return Err((at("base_url"), "is required for this provider".into()));
            }
            _ => {}
        }
        if p.max_concurrent() == 0 {
            return Err((at("max_concurrent"), "must be at least 1".into()));
        }
        if p.max_concurrent_per_key() == 0 {
            return Err((at("max_concurrent_per_key"), "must be at least 1".into()));
        }
        if p.rpm == Some(0) {
            return Err((at("rpm"), "must be at least 1 (leave it out for no limit)".into()));
        }
        if p.rpm_total == Some(0) {
            return Err((at("rpm_total"), "must be at least 1 (leave it out for no limit)".into()));
        }
        if p.max_tokens == Some(0) {
            return Err((at("max_tokens"), "must be at least 1".into()));
        }
        if let Some(url) = &p.base_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err((at("base_url"), "must start with http:// or https://".into()));
        }
        if p.timeout_s() == 0 {
            return Err((at("timeout_s"), "must be at least 1 second".into()));
        }
    }
    Ok(())
}

/// A TOML or serde message in the user's words: no Rust type names, no line breaks, and
/// no string value that may be a pasted secret (any value of a `keys` entry, or a long word).
fn plain_message(message: &str, key: Option<&str>) -> String {
    let mut msg = message.trim().replace('\n', " ");
    if let Some(start) = msg.find("string \"")
        && let Some(len) = msg[start + 8..].find('"')
    {
        let value = &msg[start + 8..start + 8 + len];
        let secret_like = value.len() >= 20 && !value.contains(char::is_whitespace);
        if secret_like || key.is_some_and(|k| k.ends_with(".keys")) {
            msg.replace_range(start..start + 8 + len + 1, "a string");
        }
    }
    const WORDS: [(&str, &str); 11] = [
        ("unknown field", "unknown key"),
        ("expected f64", "expected a number"),
        ("expected f32", "expected a number"),
        ("expected u16", "expected a whole number from 0 to 65535"),
        ("expected u32", "expected a whole number from 0 to 4294967295"),
        ("expected u64", "expected a whole number of 0 or more"),
        ("expected usize", "expected a whole number of 0 or more"),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected a table"),
        ("expected a boolean", "expected true or false"),
        ("data did not match any variant of untagged enum KeyList", "expected a key name or a list of key names"),
    ];
    for (from, to) in WORDS {
        msg = msg.replace(from, to);
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_default_file_is_the_default_config() {
        let parsed = parse(DEFAULT_CONFIG, "assets/default-config.toml").unwrap();
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn a_user_file_changes_only_what_it_names() {
        let cfg = parse("[providers.openai]\nmodel = \"gpt-4o\"\n[gates.G1]\npolicy = \"auto\"\n", "c.toml").unwrap();
        let openai = &cfg.providers["openai"];
        assert_eq!(openai.model.as_deref(), Some("gpt-4o"));
        assert_eq!(openai.keys(), ["OPENAI_API_KEY"]);
        assert_eq!(cfg.gates.g1.policy, GatePolicy::Auto);
        assert_eq!(cfg.gates.g0, Config::default().gates.g0);
        let cfg = parse("[routing.chains]\nbuild = [\"anthropic\"]\n", "c.toml").unwrap();
        assert_eq!(cfg.routing.chains["build"], ["anthropic"]);
        assert_eq!(cfg.routing.chains["research"], Config::default().routing.chains["research"]);
    }

    #[test]
    fn a_file_that_defines_providers_gets_exactly_those() {
        let text = "[providers.openai]\nmodel = \"gpt-4o\"\n";
        let cfg = parse(text, "c.toml").unwrap();
        assert_eq!(cfg.providers.keys().collect::<Vec<_>>(), ["openai"], "no built-in provider is added");
        // The default chains keep only the providers that exist.
        assert_eq!(cfg.routing.chains["research"], ["openai"]);
        assert_eq!(cfg.routing.chains["spec"], ["openai"]);
        // What the file left unset comes from the built-in openai, and `config check` says so.
        assert_eq!(cfg.providers["openai"].rpm, Config::default().providers["openai"].rpm);
        let filled = &provider_defaults(text).unwrap()["openai"];
        assert!(filled.contains(&"rpm".to_string()) && filled.contains(&"kind".to_string()), "{filled:?}");
        assert!(!filled.contains(&"model".to_string()));
        // A provider of its own name takes nothing, and chains naming no provider left are empty.
        let cfg = parse("[providers.mine]\nkind = \"sim\"\n", "c.toml").unwrap();
        assert_eq!(cfg.providers.keys().collect::<Vec<_>>(), ["mine"]);
        assert!(cfg.routing.chains["build"].is_empty());
        assert_eq!(provider_defaults("[providers.mine]\nkind = \"sim\"\n").unwrap()["mine"], Vec::<String>::new());
        // No provider in the file: the built-in ones.
        assert_eq!(parse("", "c.toml").unwrap().providers, Config::default().providers);
        assert_eq!(provider_defaults("[budget]\ndaily_cap_usd = 5.0\n"), None);
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let err = parse("[factory]\nmax_concurrent_calls = 4\ncolour = 1\n", "c.toml").unwrap_err();
        assert!(err.message.contains("c.toml, line 3, key `factory.colour`: unknown key `colour`"), "{}", err.message);
        let err = parse("[budget]\ndaily_cap_usd = \"lots\"\n", "c.toml").unwrap_err();
        assert!(err.message.contains("line 2, key `budget.daily_cap_usd`: invalid type"), "{}", err.message);
        assert!(err.message.contains("expected a number"), "{}", err.message);
        let err = parse("[routing]\npolicy = \"random\"\n", "c.toml").unwrap_err();
        assert!(err.message.contains("c.toml, line 2, key `routing.policy`"), "{}", err.message);
        let err = parse("[providers.mine]\nkind = \"openai\"\nkeys = [\"sk-secret123\"]\n", "c.toml").unwrap_err();
        assert!(err.message.contains("line 3, key `providers.mine.keys`"), "{}", err.message);
        assert!(!err.message.contains("sk-secret123"));
        let err = parse("[providers.local]\nkind = \"cli\"\n", "c.toml").unwrap_err();
        assert!(err.message.contains("line 1, key `providers.local.command`"), "{}", err.message);
        let err = parse("[tui.keys]\napprove = \"esc\"\n", "c.toml").unwrap_err();
        assert!(err.message.contains("line 2, key `tui.keys.approve`"), "{}", err.message);
        assert!(err.message.contains("cannot be bound to Esc"), "{}", err.message);
        let err = parse("[tui]\nafter_decision = \"stay\"\n", "c.toml").unwrap_err();
        assert!(err.message.contains("c.toml, line 2, key `tui.after_decision`"), "{}", err.message);
        assert!(err.message.contains("\"next\"") && err.message.contains("\"inbox\""), "{}", err.message);
        assert_eq!(parse("[tui]\nafter_decision = \"inbox\"\n", "c.toml").unwrap().tui.after_decision, "inbox");
        assert!(!parse("", "c.toml").unwrap().tui.osc52, "OSC 52 is off unless asked for");
        assert!(parse("[tui]\nosc52 = true\n", "c.toml").unwrap().tui.osc52);
        let err = parse("[tui]\nosc52 = \"yes\"\n", "c.toml").unwrap_err();
        assert!(err.message.contains("c.toml, line 2"), "{}", err.message);
        assert!(err.message.contains("osc52"), "{}", err.message);
        let cfg = parse("[tui.keys]\nquit = [\"q\", \"ctrl-q\"]\n", "c.toml").unwrap();
        assert_eq!(cfg.tui.key_overrides()["quit"], ["q", "ctrl-q"]);
        let err = parse("x = [", "c.toml").unwrap_err();
        assert!(err.message.starts_with("c.toml, line 1"), "{}", err.message);
    }

    #[test]
    fn a_quoted_dotted_header_is_one_table() {
        // `my.server` is one name: the old line scanner split it into `my` and `server`.
        let text = "[providers.\"my.server\"]\nkind = \"openai\"\nkeys = [\"MY_KEY\"]\nrpm = \"many\"\n";
        let err = parse(text, "c.toml").unwrap_err();
        assert!(
            err.message.starts_with("c.toml, line 4, key `providers.my.server.rpm`: invalid type"),
            "{}",
            err.message
        );
        // A setting it lacks points at its header.
        let err = parse("[factory]\n[providers.\"my.server\"]\nkind = \"openai\"\n", "c.toml").unwrap_err();
        assert!(err.message.starts_with("c.toml, line 2, key `providers.my.server.model`"), "{}", err.message);
    }

    #[test]
    fn errors_inside_an_inline_table_name_their_key_and_line() {
        // Before, a wrong value in an inline table named the table's key, and a missing
        // setting of one had no line at all.
        let text = "[factory]\nmax_concurrent_calls = 4\n\n[providers]\nmine = { kind = \"sim\", rpm = -1 }\n";
        let err = parse(text, "c.toml").unwrap_err();
        assert!(err.message.starts_with("c.toml, line 5, key `providers.mine.rpm`: invalid value"), "{}", err.message);
        let text = "[providers]\n\nlocal = { kind = \"cli\" }\n";
        let err = parse(text, "c.toml").unwrap_err();
        assert!(
            err.message.starts_with("c.toml, line 3, key `providers.local.command`: is required"),
            "{}",
            err.message
        );
        let text = "gates = { G1 = { policy = \"sometimes\" } }\n";
        let err = parse(text, "c.toml").unwrap_err();
        assert!(err.message.starts_with("c.toml, line 1, key `gates.G1.policy`"), "{}", err.message);
    }
}
