//! Acknowledging alerts: who saw which and when, kept in the meta tree as `alert_ack:SEQ`.

use super::state::State;
use super::{AlertAck, Reply};
use crate::domain::EventKind;
use crate::error::{FactoryError, Result};

/// The meta keys of acknowledgements start with this, followed by the alert's number.
pub const PREFIX: &str = "alert_ack:";

impl State {
    /// Every alert, oldest first, with the acknowledgements.
    pub fn alerts_reply(&self) -> Result<Reply> {
        let alerts = self.store.alerts()?;
        Ok(Reply::Alerts { alerts, acks: self.alerts.acks().cloned().collect(), deliveries: self.deliveries_reply() })
    }

    /// Marks `wanted` (every open alert when empty) as seen by `by`. A number that names no
    /// alert is refused before anything is written.
    pub fn ack_alerts(&mut self, wanted: &[u64], by: String) -> Result<String> {
        let raised: Vec<u64> = self.store.alerts()?.iter().map(|e| e.seq).collect();
        if let Some(bad) = wanted.iter().find(|n| !raised.contains(n)) {
            return Err(FactoryError::usage(format!(
                "there is no alert #{bad}; `factory alerts` lists them with their numbers"
            )));
        }
        let chosen: Vec<u64> = if wanted.is_empty() { raised } else { wanted.to_vec() };
        let fresh: Vec<u64> = chosen.into_iter().filter(|n| !self.alerts.is_acked(*n)).collect();
        if fresh.is_empty() {
            return Ok(if wanted.is_empty() {
                "no open alerts to acknowledge".into()
            } else {
                "already acknowledged".into()
            });
        }
        let at = self.now();
        for &seq in &fresh {
            let ack = AlertAck { seq, by: by.clone(), at };
            self.outbox.meta((format!("{PREFIX}{seq}"), serde_json::to_vec(&ack).unwrap_or_default()));
            self.alerts.ack(ack);
        }
        let message = format!("acknowledged {}", crate::plural::count(fresh.len() as u64, "alert"));
        self.emit(None, EventKind::AlertsAcknowledged { alerts: fresh, by });
        self.outbox.make_durable();
        Ok(message)
    }

    /// One acknowledgement read back at start-up; a damaged one is refused like any damage.
    pub fn load_ack(&mut self, key: &str, value: &[u8]) -> Result<()> {
        let ack: AlertAck = serde_json::from_slice(value).map_err(|e| {
            FactoryError::storage(format!(
                "the record `{key}` in the data store is damaged ({e}); restore the data directory from a backup"
            ))
        })?;
        self.alerts.ack(ack);
        Ok(())
    }
}
