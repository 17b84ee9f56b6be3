//! The courier: one task per configured sink, beside the orchestrator, that takes letters
//! (an alert's document, on disk already), tries each until it is delivered, refused for
//! good or expired, backing off between failed attempts, and reports every attempt. It
//! never blocks the orchestrator: letters come through an unbounded channel, reports go
//! back as messages, and it stops when the orchestrator lets go of it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::Sink;
use crate::config::{AlertsConfig, WebhookUrl};
use crate::orchestrator::Clock;

/// How one attempt went.
#[derive(Debug)]
pub enum Attempt {
    Delivered,
    /// Failed in a way that may pass (a timeout, a 5xx, a command's non-zero exit); `after`
    /// is when the receiver asked to be tried again (`Retry-After`), if it did.
    Retry {
        error: String,
        after: Option<Duration>,
    },
    /// Refused in a way that trying again cannot change (a 4xx, a missing program).
    Refused {
        error: String,
    },
}

/// One alert for one sink, already on disk.
#[derive(Clone, Debug)]
pub struct Letter {
    pub seq: u64,
    pub sink: Sink,
    /// When the alert was raised (ms since the epoch): it expires `deliver_hours` later.
    pub raised_at: u64,
    /// The idempotency key (`Idempotency-Key` header).
    pub key: String,
    /// The JSON document.
    pub body: Arc<[u8]>,
}

/// What one attempt (or the expiry) came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Result {
    Delivered,
    /// The attempt failed; `retry_in_ms` is when it is tried again, `None` if it is not.
    Failed {
        error: String,
        retry_in_ms: Option<u64>,
    },
    /// Undelivered `deliver_hours` after it was raised: no longer tried.
    Expired,
}

/// A report to the orchestrator: which letter, when (ms since the epoch), and how it went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub seq: u64,
    pub sink: Sink,
    pub at: u64,
    pub result: Result,
}

/// Hands an outcome to the orchestrator; `false` once it is gone (the courier then stops).
pub type Report = Arc<dyn Fn(Outcome) -> bool + Send + Sync>;

/// What the sink tasks need of the config.
#[derive(Clone, Debug)]
struct Settings {
    timeout: Duration,
    base: Duration,
    max: Duration,
    deliver_ms: u64,
}

impl Settings {
    /// The wait after the `tries`-th failed attempt in a row (0-based): `retry_base_ms`,
    /// doubling, at most `retry_max_s`.
    fn backoff(&self, tries: u32) -> Duration {
        self.base.saturating_mul(1u32 << tries.min(20)).min(self.max)
    }
}

enum Target {
    Webhook(WebhookUrl),
    Command(Vec<String>),
}

impl Target {
    async fn attempt(&self, letter: &Letter, timeout: Duration) -> Attempt {
        match self {
            Target::Webhook(url) => super::webhook::post(url, &letter.key, &letter.body, timeout).await,
            Target::Command(argv) => super::command::run(argv, &letter.body, timeout).await,
        }
    }
}

/// The running sink tasks; they stop when this is dropped.
pub struct Courier {
    sinks: Vec<(Sink, mpsc::UnboundedSender<Letter>)>,
    _stop: watch::Sender<()>,
}

impl Courier {
    /// Starts a task for each sink the config has (none when it has neither).
    pub fn start(cfg: &AlertsConfig, clock: Clock, report: Report, runtime: &tokio::runtime::Handle) -> Courier {
        let settings = Settings {
            timeout: Duration::from_secs(cfg.timeout_s),
            base: Duration::from_millis(cfg.retry_base_ms),
            max: Duration::from_secs(cfg.retry_max_s),
            deliver_ms: cfg.deliver_ms(),
        };
        let (stop, stopped) = watch::channel(());
        let mut sinks = Vec::new();
        for sink in Sink::ALL {
            let target = match sink {
                Sink::Webhook if !cfg.webhook.url.is_empty() => Target::Webhook(cfg.webhook.url.clone()),
                Sink::Command if !cfg.command.is_empty() => Target::Command(cfg.command.clone()),
                _ => continue,
            };
            let (tx, rx) = mpsc::unbounded_channel();
            let task = SinkTask {
                sink,
                target,
                settings: settings.clone(),
                clock: Arc::clone(&clock),
                report: Arc::clone(&report),
                queue: Vec::new(),
            };
            runtime.spawn(task.run(rx, stopped.clone()));
            sinks.push((sink, tx));
        }
        Courier { sinks, _stop: stop }
    }

    /// Whether the config in force has this sink.
    pub fn has(&self, sink: Sink) -> bool {
        self.sinks.iter().any(|(s, _)| *s == sink)
    }

    /// Hands a letter to its sink's task; `false` if there is none.
    pub fn post(&self, letter: Letter) -> bool {
        match self.sinks.iter().find(|(s, _)| *s == letter.sink) {
            Some((_, tx)) => tx.send(letter).is_ok(),
            None => false,
        }
    }
}

struct SinkTask {
    sink: Sink,
    target: Target,
    settings: Settings,
    clock: Clock,
    report: Report,
    /// Letters not delivered yet: when each is due, and its failed attempts in a row.
    queue: Vec<(Instant, u32, Letter)>,
}

impl SinkTask {
    async fn run(mut self, mut letters: mpsc::UnboundedReceiver<Letter>, mut stop: watch::Receiver<()>) {
        loop {
            let now = Instant::now();
            let due = (0..self.queue.len())
                .filter(|&i| self.queue[i].0 <= now)
                .min_by_key(|&i| (self.queue[i].0, self.queue[i].2.seq));
            if let Some(i) = due {
                let (_, tries, letter) = self.queue.swap_remove(i);
                let attempt = tokio::select! {
                    outcome = self.deliver(letter, tries) => outcome,
                    _ = stop.changed() => return,
                };
                if !(self.report)(attempt) {
                    return;
                }
                continue;
            }
            let next = self.queue.iter().map(|(at, _, _)| *at).min();
            tokio::select! {
                letter = letters.recv() => match letter {
                    Some(l) => self.queue.push((Instant::now(), 0, l)),
                    None => return,
                },
                _ = tokio::time::sleep_until(next.unwrap_or(now)), if next.is_some() => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// One attempt at `letter` (or its expiry); a failed one goes back in the queue.
    async fn deliver(&mut self, letter: Letter, tries: u32) -> Outcome {
        let expires_at = letter.raised_at.saturating_add(self.settings.deliver_ms);
        let (seq, sink) = (letter.seq, self.sink);
        if (self.clock)() >= expires_at {
            tracing::warn!(alert = seq, sink = sink.as_str(), "alert undelivered and expired (alerts.deliver_hours)");
            return Outcome { seq, sink, at: (self.clock)(), result: Result::Expired };
        }
        let attempt = self.target.attempt(&letter, self.settings.timeout).await;
        let at = (self.clock)();
        let result = match attempt {
            Attempt::Delivered => {
                tracing::info!(alert = seq, sink = sink.as_str(), attempt = tries + 1, "alert delivered");
                Result::Delivered
            }
            Attempt::Refused { error } => {
                tracing::warn!(alert = seq, sink = sink.as_str(), error = %error, "alert refused; not tried again");
                Result::Failed { error: format!("{error}; not tried again"), retry_in_ms: None }
            }
            Attempt::Retry { error, after } => {
                let wait = after.map_or_else(|| self.settings.backoff(tries), |a| a.min(self.settings.max));
                // An expiry before the next try comes at the expiry.
                let left = Duration::from_millis(expires_at.saturating_sub(at));
                self.queue.push((later(wait.min(left)), tries + 1, letter));
                tracing::warn!(alert = seq, sink = sink.as_str(), error = %error, retry_in_ms = wait.as_millis() as u64, "alert delivery failed");
                Result::Failed {
                    error: format!("{error}; tried again in {}", spell(wait)),
                    retry_in_ms: Some(wait.as_millis() as u64),
                }
            }
        };
        Outcome { seq, sink, at, result }
    }
}

/// `d` from now; a wait too long to reckon (a config of centuries) is a year.
fn later(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d).unwrap_or_else(|| now + Duration::from_secs(365 * 86_400))
}

/// `250 ms`, `4s`, `5m`.
fn spell(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        crate::fmt::format_duration(d.as_millis() as u64)
    }
}

#[cfg(test)]
mod tests;
