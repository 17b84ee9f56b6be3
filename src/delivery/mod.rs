//! Alerts that reach people: each alert becomes one JSON document, POSTed to a webhook or
//! given to a command, by a courier task beside the orchestrator that retries with backoff.
//! The orchestrator keeps a [`Delivery`] record per alert and sink (in its meta tree), so
//! that what is undelivered at exit is tried again at the next start.

pub mod command;
pub mod courier;
pub mod document;
pub mod redact;
pub mod webhook;

use serde::{Deserialize, Serialize};

use crate::domain::GateId;

pub use courier::{Courier, Letter, Outcome, Result as DeliveryResult};

/// Where an alert goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sink {
    /// `[alerts.webhook] url`: a POST of the JSON document.
    Webhook,
    /// `[alerts] command`: the program, with the JSON document on standard input.
    Command,
}

impl Sink {
    pub const ALL: [Sink; 2] = [Sink::Webhook, Sink::Command];

    pub fn as_str(self) -> &'static str {
        match self {
            Sink::Webhook => "webhook",
            Sink::Command => "command",
        }
    }
}

/// Where one alert's delivery to one sink stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not delivered yet: tried (again) until delivered or expired.
    Pending,
    /// The sink took it.
    Delivered,
    /// The sink refused it in a way that trying again cannot change (an HTTP 4xx, a
    /// command that cannot start); not retried.
    Failed,
    /// Still undelivered `alerts.deliver_hours` after it was raised: no longer tried.
    Expired,
    /// Pending, for a sink the config in force does not have: kept until it has it again
    /// or the alert expires. Only shown, never stored.
    Held,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
            DeliveryState::Expired => "expired",
            DeliveryState::Held => "held",
        }
    }
}

/// One alert's delivery to one sink, as kept in the store and shown by `factory alerts`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The alert's number (its event's `seq`).
    pub seq: u64,
    pub sink: Sink,
    pub state: DeliveryState,
    /// The gate its run waited on when the alert was raised, if any.
    #[serde(default)]
    pub gate: Option<GateId>,
    /// When the alert was raised (ms since the epoch): it expires `deliver_hours` later.
    pub raised_at: u64,
    /// Attempts made, failed ones included.
    pub attempts: u32,
    /// Attempts that failed.
    pub failures: u32,
    /// Why the last failed attempt failed (never holding the webhook's URL).
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub last_attempt_at: Option<u64>,
    #[serde(default)]
    pub delivered_at: Option<u64>,
}

impl Delivery {
    pub fn new(seq: u64, sink: Sink, gate: Option<GateId>, raised_at: u64) -> Self {
        Delivery {
            seq,
            sink,
            state: DeliveryState::Pending,
            gate,
            raised_at,
            attempts: 0,
            failures: 0,
            last_error: None,
            last_attempt_at: None,
            delivered_at: None,
        }
    }
}

/// Delivery figures over many records, for `factory alerts`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub attempts: u64,
    pub failed_attempts: u64,
    pub delivered: u64,
    pub pending: u64,
    pub held: u64,
    pub failed: u64,
    pub expired: u64,
}

impl Totals {
    pub fn of<'a>(records: impl IntoIterator<Item = &'a Delivery>) -> Totals {
        let mut t = Totals::default();
        for d in records {
            t.attempts += d.attempts as u64;
            t.failed_attempts += d.failures as u64;
            let slot = match d.state {
                DeliveryState::Pending => &mut t.pending,
                DeliveryState::Delivered => &mut t.delivered,
                DeliveryState::Failed => &mut t.failed,
                DeliveryState::Expired => &mut t.expired,
                DeliveryState::Held => &mut t.held,
            };
            *slot += 1;
        }
        t
    }
}
