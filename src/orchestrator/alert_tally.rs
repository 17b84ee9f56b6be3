//! The alerts raised so far, the latest one, and the acknowledged ones by number: what the
//! snapshot counts as raised and open.

use std::collections::BTreeMap;

use super::AlertAck;
use crate::domain::{Event, EventKind};

#[derive(Default)]
pub(super) struct AlertTally {
    raised: u32,
    /// When the latest alert was raised, and its message.
    last: Option<(u64, String)>,
    /// Acknowledged alerts by number (kept in the meta tree as `alert_ack:SEQ`).
    acks: BTreeMap<u64, AlertAck>,
}

impl AlertTally {
    /// Counts the alerts the store holds, oldest first.
    pub fn load(&mut self, alerts: &[Event]) {
        self.raised = alerts.len() as u32;
        self.last = alerts.last().and_then(|e| match &e.kind {
            EventKind::Alert { message, .. } => Some((e.ts, message.clone())),
            _ => None,
        });
    }

    /// An alert raised at `ts`.
    pub fn raised(&mut self, ts: u64, message: &str) {
        self.raised += 1;
        self.last = Some((ts, message.to_string()));
    }

    pub fn count(&self) -> u32 {
        self.raised
    }

    /// Alerts raised and not acknowledged.
    pub fn open(&self) -> u32 {
        self.raised.saturating_sub(self.acks.len() as u32)
    }

    pub fn last(&self) -> Option<&(u64, String)> {
        self.last.as_ref()
    }

    pub fn is_acked(&self, seq: u64) -> bool {
        self.acks.contains_key(&seq)
    }

    pub fn ack(&mut self, ack: AlertAck) {
        self.acks.insert(ack.seq, ack);
    }

    /// The acknowledgements by alert number.
    pub fn acks(&self) -> impl Iterator<Item = &AlertAck> {
        self.acks.values()
    }
}
