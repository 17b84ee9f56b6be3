//! Alert deliveries as the orchestrator keeps them: a record per alert and sink in the meta
//! tree (`delivery:SEQ:SINK`, written in the same group commit as the alert), a letter for
//! the courier once that commit is on disk, each attempt's outcome written back, and what
//! was undelivered at the last exit handed to the courier again at start-up.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use sha2::Digest;

use super::Msg;
use super::state::State;
use crate::delivery::{Courier, Delivery, DeliveryResult, DeliveryState, Letter, Outcome, Sink, document};
use crate::domain::Event;
use crate::error::{FactoryError, Result};

/// The meta keys of delivery records start with this, then the alert's number (20 digits,
/// so that they sort by it) and the sink.
pub const PREFIX: &str = "delivery:";
/// The meta key of the data directory's id, the first part of every idempotency key.
pub const SOURCE_KEY: &str = "data_dir_id";

#[derive(Default)]
pub struct Deliveries {
    pub records: BTreeMap<(u64, Sink), Delivery>,
    /// The records still pending, for the expiry check.
    open: BTreeSet<(u64, Sink)>,
    /// Letters whose records go to disk with the next commit: handed over after it.
    outbox: Vec<Letter>,
    /// Letters for records already on disk (pending at start-up), handed over at once.
    resumed: Vec<Letter>,
    courier: Option<Courier>,
    /// The data directory's id.
    source: String,
}

fn meta_key(seq: u64, sink: Sink) -> String {
    format!("{PREFIX}{seq:020}:{}", sink.as_str())
}

fn letter(event: &Event, d: &Delivery, source: &str) -> Option<Letter> {
    let doc = document::of(event, d.gate, source)?;
    Some(Letter {
        seq: d.seq,
        sink: d.sink,
        raised_at: d.raised_at,
        key: document::key(source, d.seq),
        body: Arc::from(serde_json::to_vec(&doc).unwrap_or_default()),
    })
}

impl State {
    /// Whether the config in force has this sink.
    fn sink_configured(&self, sink: Sink) -> bool {
        match sink {
            Sink::Webhook => !self.cfg.alerts.webhook.url.is_empty(),
            Sink::Command => !self.cfg.alerts.command.is_empty(),
        }
    }

    /// Keeps a delivery record for the next commit.
    fn write_delivery(&mut self, key: (u64, Sink)) {
        let Some(d) = self.deliveries.records.get(&key) else { return };
        if d.state == DeliveryState::Pending {
            self.deliveries.open.insert(key);
        } else {
            self.deliveries.open.remove(&key);
        }
        self.outbox.meta((meta_key(key.0, key.1), serde_json::to_vec(d).unwrap_or_default()));
    }

    /// One record (or the data directory's id) read back at start-up; a damaged one is
    /// refused like any damage.
    pub fn load_delivery(&mut self, key: &str, value: &[u8]) -> Result<()> {
        if key == SOURCE_KEY {
            self.deliveries.source = String::from_utf8_lossy(value).into_owned();
            return Ok(());
        }
        let d: Delivery = serde_json::from_slice(value).map_err(|e| {
            FactoryError::storage(format!(
                "the record `{key}` in the data store is damaged ({e}); restore the data directory from a backup"
            ))
        })?;
        if d.state == DeliveryState::Pending {
            self.deliveries.open.insert((d.seq, d.sink));
        }
        self.deliveries.records.insert((d.seq, d.sink), d);
        Ok(())
    }

    /// The data directory's id, made (and kept, with the next commit) the first time an
    /// alert is to be delivered: a factory without sinks writes nothing for it.
    fn source(&mut self) -> String {
        if self.deliveries.source.is_empty() {
            let mut h = sha2::Sha256::new();
            h.update(self.opts.data_dir.to_string_lossy().as_bytes());
            h.update(std::process::id().to_le_bytes());
            h.update(format!("{:?}", std::time::SystemTime::now()).as_bytes());
            let id: String = h.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect();
            self.outbox.meta((SOURCE_KEY.into(), id.clone().into_bytes()));
            self.deliveries.source = id;
        }
        self.deliveries.source.clone()
    }

    /// At start-up, once the alerts are read: records past `alerts.deliver_hours` expire,
    /// and the other pending ones for a sink the config has become letters for the courier.
    pub fn resume_deliveries(&mut self, alerts: &[Event]) {
        self.expire_deliveries();
        let by_seq: BTreeMap<u64, &Event> = alerts.iter().map(|e| (e.seq, e)).collect();
        let open: Vec<(u64, Sink)> = self.deliveries.open.iter().copied().collect();
        for key in open {
            if !self.sink_configured(key.1) {
                continue;
            }
            let source = self.source();
            let (Some(event), Some(d)) = (by_seq.get(&key.0), self.deliveries.records.get(&key)) else { continue };
            if let Some(l) = letter(event, d, &source) {
                self.deliveries.resumed.push(l);
            }
        }
    }

    /// Starts the courier (in an owner that dispatches) and hands it what was pending.
    pub(super) fn start_courier(&mut self, tx: std::sync::mpsc::Sender<Msg>, runtime: &tokio::runtime::Handle) {
        let report = Arc::new(move |o: Outcome| tx.send(Msg::Delivered(o)).is_ok());
        let courier = Courier::start(&self.cfg.alerts, Arc::clone(&self.clock), report, runtime);
        for l in std::mem::take(&mut self.deliveries.resumed) {
            courier.post(l);
        }
        self.deliveries.courier = Some(courier);
    }

    /// Called for every event emitted: an alert gets a record (written with it) and a letter
    /// for each sink that takes it.
    pub fn queue_delivery(&mut self) {
        let Some(event) = self.outbox.last_event() else { return };
        let Some(kind) = event.alert() else { return };
        let mut sinks = Vec::new();
        if self.cfg.alerts.webhook.wants(kind) {
            sinks.push(Sink::Webhook);
        }
        if !self.cfg.alerts.command.is_empty() {
            sinks.push(Sink::Command);
        }
        if sinks.is_empty() {
            return;
        }
        let event = event.clone();
        let source = self.source();
        let run = event.startup.and_then(|r| self.runs.ix(r)).map(|i| &self.runs[i]);
        let gate = run.and_then(|rs| rs.run.gate);
        for sink in sinks {
            let d = Delivery::new(event.seq, sink, gate, event.ts);
            if let Some(l) = letter(&event, &d, &source) {
                self.deliveries.outbox.push(l);
            }
            self.deliveries.records.insert((event.seq, sink), d);
            self.write_delivery((event.seq, sink));
        }
        // Flushed before the letters go out: an alert sent and then lost in a crash would
        // give its number, and so its idempotency key, to another alert. Alerts are rare.
        self.outbox.make_durable();
    }

    /// After a commit (flushed, see `queue_delivery`): the letters whose records it wrote go
    /// to the courier (without one, in a command that does not dispatch, they wait on disk
    /// for the next owner).
    pub fn post_letters(&mut self) {
        let letters = std::mem::take(&mut self.deliveries.outbox);
        if let Some(c) = &self.deliveries.courier {
            for l in letters {
                c.post(l);
            }
        }
    }

    /// One attempt's outcome (or an expiry), counted and written back.
    pub fn delivery_outcome(&mut self, o: Outcome) {
        let key = (o.seq, o.sink);
        let Some(d) = self.deliveries.records.get_mut(&key) else { return };
        if d.state != DeliveryState::Pending {
            return;
        }
        match o.result {
            DeliveryResult::Delivered => {
                d.attempts += 1;
                d.state = DeliveryState::Delivered;
                d.delivered_at = Some(o.at);
                d.last_attempt_at = Some(o.at);
            }
            DeliveryResult::Failed { error, retry_in_ms } => {
                d.attempts += 1;
                d.failures += 1;
                d.last_error = Some(error);
                d.last_attempt_at = Some(o.at);
                if retry_in_ms.is_none() {
                    d.state = DeliveryState::Failed;
                }
            }
            DeliveryResult::Expired => d.state = DeliveryState::Expired,
        }
        self.write_delivery(key);
    }

    /// Pending records past `alerts.deliver_hours` expire (whether or not a courier holds
    /// them: it stops trying them at the same time). Called about once a second.
    pub fn expire_deliveries(&mut self) {
        let limit = self.cfg.alerts.deliver_ms();
        let now = self.now();
        let expired: Vec<(u64, Sink)> = self
            .deliveries
            .open
            .iter()
            .filter(|k| self.deliveries.records.get(k).is_some_and(|d| now >= d.raised_at.saturating_add(limit)))
            .copied()
            .collect();
        for key in expired {
            if let Some(d) = self.deliveries.records.get_mut(&key) {
                d.state = DeliveryState::Expired;
            }
            self.write_delivery(key);
        }
    }

    /// Every delivery record, oldest alert first, a pending one for a sink the config no
    /// longer has shown as held.
    pub fn deliveries_reply(&self) -> Vec<Delivery> {
        self.deliveries
            .records
            .values()
            .map(|d| {
                let mut d = d.clone();
                if d.state == DeliveryState::Pending && !self.sink_configured(d.sink) {
                    d.state = DeliveryState::Held;
                }
                d
            })
            .collect()
    }
}
