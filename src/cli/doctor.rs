//! `factory doctor` and `factory config check`: what is configured, which keys are set
//! (never their values), which providers answer, the terminal's colours, the data
//! directory's state.

use std::fmt::Write;
use std::path::Path;

use crate::config::{Config, ConfigSource};
use crate::providers::Secret;
use crate::providers::gateway::probe::probe;
use crate::providers::gateway::unavailable_reason;
use crate::store::DATA_DIR_MARKER;

pub fn config_summary(cfg: &Config, source: &ConfigSource) -> String {
    let from = match source {
        ConfigSource::Defaults => "the built-in defaults (no config file)".to_string(),
        ConfigSource::File(p) => p.display().to_string(),
    };
    let ready: Vec<&str> =
        cfg.providers.iter().filter(|(_, p)| unavailable_reason(p).is_none()).map(|(n, _)| n.as_str()).collect();
    format!(
        "config OK: {from}; {} defined: {}; {} usable ({}); routing policy {}{}{}",
        crate::plural::count(cfg.providers.len() as u64, "provider"),
        provider_origins(cfg, source),
        ready.len(),
        if ready.is_empty() { "the simulated provider will do the work".to_string() } else { ready.join(", ") },
        cfg.routing.policy,
        alert_sinks(&cfg.alerts),
        super::doctor_cluster::summary(cfg.cluster.as_ref())
    )
}

/// `; alerts to the webhook https://host/… (warning and above) and the command notify-send`,
/// or nothing when neither is set. The webhook's URL shows only redacted.
fn alert_sinks(a: &crate::config::AlertsConfig) -> String {
    let mut sinks = Vec::new();
    if !a.webhook.url.is_empty() {
        let kinds = if a.webhook.kinds.is_empty() {
            String::new()
        } else {
            format!(", only {}", a.webhook.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" "))
        };
        sinks.push(format!(
            "the webhook {} ({} and above{kinds})",
            a.webhook.url.redacted(),
            a.webhook.min_severity.as_str()
        ));
    }
    if let Some(program) = a.command.first() {
        let name = std::path::Path::new(program).file_name().map(|n| n.to_string_lossy().into_owned());
        sinks.push(format!("the command {}", name.unwrap_or_else(|| program.clone())));
    }
    if sinks.is_empty() { String::new() } else { format!("; alerts to {}", sinks.join(" and ")) }
}

/// The providers by name, and where each one's settings came from: the file, with the
/// values it left unset taken from the built-in provider of that name, or the built-in
/// providers when the file defines none.
fn provider_origins(cfg: &Config, source: &ConfigSource) -> String {
    let names = || cfg.providers.keys().map(String::as_str).collect::<Vec<_>>().join(", ");
    let text = match source {
        ConfigSource::File(p) => std::fs::read_to_string(p).unwrap_or_default(),
        ConfigSource::Defaults => String::new(),
    };
    let Some(filled) = crate::config::provider_defaults(&text) else {
        return format!("{} (the built-in ones: no [providers.*] table in the file)", names());
    };
    cfg.providers
        .keys()
        .map(|name| match filled.get(name).filter(|f| !f.is_empty()) {
            Some(f) => format!("{name} (from the file; {} from the defaults)", f.join(", ")),
            None => format!("{name} (from the file)"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The report, and whether a provider answers: false when providers are usable (their keys
/// are set) but none of them answered, and `factory doctor` then exits 1.
pub async fn report(cfg: &Config, source: &ConfigSource, data_dir: &Path) -> (String, bool) {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}\n\nProviders (each usable one is asked: a models endpoint costs nothing; a server without one gets a minimal call of a few tokens, which its provider bills):",
        config_summary(cfg, source)
    );
    // Every usable provider is asked at once (each within its own timeout).
    let probes = futures_util::future::join_all(cfg.providers.iter().map(|(name, p)| async move {
        if unavailable_reason(p).is_some() {
            return None;
        }
        let keys = Secret::from_env(p.keys());
        Some(probe(name, p, &keys).await)
    }))
    .await;
    let usable = probes.iter().any(Option::is_some);
    let answered = probes.iter().flatten().any(|r| r.ok);
    for ((name, p), probed) in cfg.providers.iter().zip(probes) {
        let keys: Vec<String> = p
            .keys()
            .iter()
            .map(|k| format!("{k} {}", if std::env::var(k).is_ok_and(|v| !v.is_empty()) { "set" } else { "not set" }))
            .collect();
        let state = match (unavailable_reason(p), probed) {
            (Some(r), _) => format!("not used: {r}"),
            (None, Some(r)) if r.ok => format!("usable, {}", r.detail),
            (None, Some(r)) => format!("usable but does not answer: {}", r.detail),
            (None, None) => "usable".into(),
        };
        let _ = writeln!(
            out,
            "  {name:<12} {:<10} {:<20} {state}{}",
            p.kind.map(|k| k.as_str()).unwrap_or("?"),
            p.model.as_deref().unwrap_or("-"),
            if keys.is_empty() { String::new() } else { format!(" [{}]", keys.join(", ")) }
        );
    }
    let sandbox = crate::sandbox::Sandbox::new(&cfg.checks, data_dir.join(&cfg.checks.cache_dir));
    let checks = tokio::task::spawn_blocking(move || sandbox.describe())
        .await
        .unwrap_or_else(|e| format!("checks: could not be looked at ({e})"));
    let _ = writeln!(out, "\nChecks:\n  {checks}");
    let _ = writeln!(out, "\nTerminal:");
    let env = |k: &str| std::env::var(k).unwrap_or_default();
    let colour = if std::env::var_os("NO_COLOR").is_some() {
        "none (NO_COLOR is set)".to_string()
    } else if matches!(env("COLORTERM").as_str(), "truecolor" | "24bit") {
        "truecolour (COLORTERM)".to_string()
    } else if env("TERM").contains("256color") {
        "256 colours".to_string()
    } else if env("TERM").is_empty() || env("TERM") == "dumb" {
        "none (TERM is unset or dumb)".to_string()
    } else {
        format!("16 colours or fewer (TERM={})", env("TERM"))
    };
    let _ = writeln!(out, "  colours: {colour}");
    let _ = writeln!(out, "\nData directory: {}", data_dir.display());
    if !data_dir.exists() {
        let _ = writeln!(out, "  does not exist yet; it is created (mode 0700) on first use");
    } else if !data_dir.join(DATA_DIR_MARKER).exists() {
        let _ = writeln!(out, "  exists but is not a factory data directory (no {DATA_DIR_MARKER} marker)");
    } else {
        let pid = std::fs::read_to_string(data_dir.join("owner.pid")).unwrap_or_default();
        let _ = writeln!(out, "  a factory data directory; last opened by pid {}", pid.trim());
        match crate::store::Store::open(data_dir, 1) {
            Ok(store) => {
                let _ = writeln!(out, "  not in use by another process; {} KB on disk", store.size_on_disk() / 1024);
            }
            Err(e) => {
                let _ = writeln!(out, "  {}", e.message);
                // A running owner says how it fares, as its control room's header does.
                let watch = crate::socket::AttachOptions { read_only: true, snapshots: true, events: false };
                if let Ok(Some(owner)) = crate::socket::attach(data_dir, watch).await {
                    let _ = writeln!(out, "  the owner's health: {}", owner.snapshot().health.text());
                }
            }
        }
    }
    let _ = writeln!(out, "  {}", free_space(data_dir, cfg.store.min_free_mb));
    (out, answered || !usable)
}

/// Free space where the data directory is (or would be), against `store.min_free_mb`.
fn free_space(data_dir: &Path, min_free_mb: u64) -> String {
    let Some(free) = data_dir.ancestors().find(|p| p.exists()).and_then(crate::store::free_bytes) else {
        return "free space: unknown (its filesystem cannot be looked at)".into();
    };
    let free_mb = free >> 20;
    if free_mb < min_free_mb {
        format!(
            "free space: {free_mb} MB, below store.min_free_mb ({min_free_mb} MB): the factory refuses to write there; free some space or lower store.min_free_mb"
        )
    } else {
        format!("free space: {free_mb} MB (the factory stops writing below store.min_free_mb, {min_free_mb} MB)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_check_names_the_files_providers_and_what_came_from_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        let text = "[providers.openai]\nmodel = \"gpt-4o\"\n";
        std::fs::write(&path, text).unwrap();
        let cfg = crate::config::parse(text, "c.toml").unwrap();
        let line = config_summary(&cfg, &ConfigSource::File(path));
        assert!(line.contains("1 provider defined: openai (from the file; "), "{line}");
        assert!(line.contains("rpm") && line.contains("from the defaults"), "{line}");
        assert!(!line.contains("anthropic") && !line.contains("perplexity"), "{line}");
        let line = config_summary(&Config::default(), &ConfigSource::Defaults);
        assert!(line.contains("anthropic, openai, perplexity (the built-in ones"), "{line}");
    }
}
