//! The `[alerts]` section: where alerts are delivered (a webhook, a command), how long
//! each attempt may take, how retries back off, and how long an undelivered alert is kept.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::{AlertKind, Severity};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertsConfig {
    /// A program and its arguments, run without a shell for each alert with its JSON
    /// document on standard input; empty for none.
    pub command: Vec<String>,
    /// How long one delivery attempt (a POST, or the command) may take, in seconds.
    pub timeout_s: u64,
    /// How long an undelivered alert is tried again (and kept across restarts), in hours.
    pub deliver_hours: f64,
    /// How long `--exit-when-idle` waits for pending deliveries before exiting, in seconds.
    pub flush_s: u64,
    /// The wait before the first retry; it doubles with each failed attempt.
    pub retry_base_ms: u64,
    /// The longest wait between two attempts, in seconds.
    pub retry_max_s: u64,
    pub webhook: WebhookConfig,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            command: Vec::new(),
            timeout_s: 10,
            deliver_hours: 24.0,
            flush_s: 30,
            retry_base_ms: 1_000,
            retry_max_s: 300,
            webhook: WebhookConfig::default(),
        }
    }
}

impl AlertsConfig {
    /// How long an alert is tried, in milliseconds.
    pub fn deliver_ms(&self) -> u64 {
        (self.deliver_hours * 3_600_000.0) as u64
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where each alert is POSTed as JSON; empty for none. It may carry a token: it is a
    /// secret, shown only as `https://host/…`.
    pub url: WebhookUrl,
    /// The alert kinds sent (`gate_timeout`, `run_failed`, ...); empty for all.
    pub kinds: Vec<AlertKind>,
    /// The least urgent alert sent: `info`, `warning` or `critical`.
    pub min_severity: Severity,
}

impl WebhookConfig {
    /// Whether an alert of this kind goes to the webhook.
    pub fn wants(&self, kind: AlertKind) -> bool {
        !self.url.is_empty()
            && (self.kinds.is_empty() || self.kinds.contains(&kind))
            && kind.severity() >= self.min_severity
    }
}

/// The webhook's URL: printed only redacted (`Debug` and `Display` alike); only
/// [`WebhookUrl::expose`] gives it, for the request itself.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn new(url: impl Into<String>) -> Self {
        WebhookUrl(url.into())
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// The URL itself, for the one request that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `scheme://host[:port]/…`: what may be shown of it.
    pub fn redacted(&self) -> String {
        crate::delivery::redact::url(&self.0)
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl({})", self.redacted())
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The first problem of the section, as the key's path and one sentence that never
/// repeats the URL.
pub(super) fn check(a: &AlertsConfig) -> Result<(), (Vec<&'static str>, String)> {
    if a.timeout_s == 0 {
        return Err((vec!["alerts", "timeout_s"], "must be at least 1 second".into()));
    }
    if !(a.deliver_hours > 0.0 && a.deliver_hours.is_finite()) {
        return Err((vec!["alerts", "deliver_hours"], "must be a positive number of hours".into()));
    }
    if a.retry_base_ms == 0 {
        return Err((vec!["alerts", "retry_base_ms"], "must be at least 1 millisecond".into()));
    }
    if a.retry_max_s == 0 {
        return Err((vec!["alerts", "retry_max_s"], "must be at least 1 second".into()));
    }
    if a.command.first().is_some_and(|p| p.trim().is_empty()) {
        return Err((vec!["alerts", "command"], "must start with the program to run (or be [] for none)".into()));
    }
    let url = a.webhook.url.expose();
    if !url.is_empty() {
        let parsed = reqwest::Url::parse(url).ok().filter(|u| u.host_str().is_some_and(|h| !h.is_empty()));
        match parsed {
            Some(u) if matches!(u.scheme(), "http" | "https") => {}
            Some(_) => {
                return Err((vec!["alerts", "webhook", "url"], "must start with http:// or https://".into()));
            }
            None => {
                return Err((
                    vec!["alerts", "webhook", "url"],
                    "is not a URL (expected the form https://host/path); it is not repeated here as it may hold a token"
                        .into(),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_never_prints_whole() {
        let url = WebhookUrl::new("https://hooks.example.com/services/T0/B0/s3cr3t-t0ken?x=1");
        assert_eq!(format!("{url:?}"), "WebhookUrl(https://hooks.example.com/…)");
        assert_eq!(url.to_string(), "https://hooks.example.com/…");
        let cfg = WebhookConfig { url, ..WebhookConfig::default() };
        assert!(!format!("{cfg:?}").contains("s3cr3t"));
    }

    #[test]
    fn the_webhook_takes_the_kinds_and_severities_asked_for() {
        let mut w = WebhookConfig::default();
        assert!(!w.wants(AlertKind::RunFailed), "no URL, nothing sent");
        w.url = WebhookUrl::new("http://127.0.0.1:9/hook");
        assert!(w.wants(AlertKind::Budget80) && w.wants(AlertKind::RunFailed));
        w.min_severity = Severity::Warning;
        assert!(!w.wants(AlertKind::Budget80) && w.wants(AlertKind::GateTimeout));
        w.kinds = vec![AlertKind::RunFailed];
        assert!(!w.wants(AlertKind::GateTimeout) && w.wants(AlertKind::RunFailed));
    }
}
