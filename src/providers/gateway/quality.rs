//! What the router learns per provider and task kind: a quality score from every output's
//! checks and from reviewers' gate decisions (approve +, revise -, reject - -), and the
//! latency and cost observed; kept in the data directory's `quality` tree.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::writer::Writer;

/// Each older observation counts this much less than the next (a half-life of ~14).
const DECAY: f64 = 0.95;
/// Latency and cost move this far toward each new observation.
const EWMA: f64 = 0.2;
/// What a provider is believed to score before any observation, and how much that belief weighs.
pub const PRIOR: f64 = 0.7;
const PRIOR_WEIGHT: f64 = 1.0;
/// Changed records are saved at most this often, each as it then stands, rather than on
/// every call; what a quiet spell leaves unsaved goes with the orchestrator's tick
/// (`Gateway::save_scores`, every second) or on close. They are statistics: a crash loses
/// at most about the last second of them.
const SAVE_EVERY: Duration = Duration::from_millis(200);

/// A reviewer's decision about an artifact, as feedback on the provider that wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateFeedback {
    Approved,
    Revised,
    Rejected,
}

impl GateFeedback {
    /// The observation and its weight: a person's judgement counts more than a check.
    fn observation(self) -> (f64, f64) {
        match self {
            GateFeedback::Approved => (1.0, 2.0),
            GateFeedback::Revised => (0.3, 2.0),
            GateFeedback::Rejected => (0.0, 3.0),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RouteRecord {
    /// Decayed sum of quality observations (0 to 1) times their weights, and of the weights.
    pub quality_sum: f64,
    pub quality_weight: f64,
    pub outputs: u64,
    pub approvals: u64,
    pub revisions: u64,
    pub rejections: u64,
    pub calls: u64,
    pub latency_ms: f64,
    pub cost_micros: f64,
}

impl RouteRecord {
    /// The quality score, 0 to 1, leaning on the prior until observations come in.
    pub fn quality(&self) -> f64 {
        (self.quality_sum + PRIOR * PRIOR_WEIGHT) / (self.quality_weight + PRIOR_WEIGHT)
    }

    /// Observations behind the score.
    pub fn observations(&self) -> u64 {
        self.outputs + self.approvals + self.revisions + self.rejections
    }

    fn observe(&mut self, value: f64, weight: f64) {
        self.quality_sum = self.quality_sum * DECAY + value.clamp(0.0, 1.0) * weight;
        self.quality_weight = self.quality_weight * DECAY + weight;
    }
}

/// The records, in memory and (when given a tree) on disk.
pub struct QualityBook {
    /// Taken away when the store closes (see [`QualityBook::close`]).
    tree: RwLock<Option<sled::Tree>>,
    map: Mutex<HashMap<(String, String), RouteRecord>>,
    /// Records changed since they were last saved, and when that was.
    unsaved: Mutex<(HashSet<(String, String)>, Instant)>,
    writer: Arc<Writer>,
}

fn key(provider: &str, route: &str) -> Vec<u8> {
    let mut k = provider.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(route.as_bytes());
    k
}

impl QualityBook {
    /// Loads the records kept in `tree` (unreadable ones are skipped and rewritten later).
    pub fn open(tree: Option<sled::Tree>) -> QualityBook {
        QualityBook::open_with(tree, Arc::new(Writer::start()))
    }

    /// Loads the records, saving later changes through `writer`.
    pub fn open_with(tree: Option<sled::Tree>, writer: Arc<Writer>) -> QualityBook {
        let mut map = HashMap::new();
        if let Some(t) = &tree {
            for (k, v) in t.iter().flatten() {
                let Some(split) = k.iter().position(|b| *b == 0) else { continue };
                let provider = String::from_utf8_lossy(&k[..split]).into_owned();
                let route = String::from_utf8_lossy(&k[split + 1..]).into_owned();
                if let Ok(rec) = serde_json::from_slice::<RouteRecord>(&v) {
                    map.insert((provider, route), rec);
                }
            }
        }
        QualityBook {
            tree: RwLock::new(tree),
            map: Mutex::new(map),
            unsaved: Mutex::new((HashSet::new(), Instant::now())),
            writer,
        }
    }

    /// Stops saving (the data directory is closing) once what was sent is written; scores
    /// stay in memory.
    pub fn close(&self) {
        self.save_changed();
        *self.tree.write().unwrap_or_else(|e| e.into_inner()) = None;
        self.writer.sync();
    }

    /// Sends every record changed since it was last saved to the writer.
    pub fn save_changed(&self) {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let mut unsaved = self.unsaved.lock().unwrap_or_else(|e| e.into_inner());
        self.save(&map, &mut unsaved);
    }

    fn save(&self, map: &HashMap<(String, String), RouteRecord>, unsaved: &mut (HashSet<(String, String)>, Instant)) {
        unsaved.1 = Instant::now();
        let tree = self.tree.read().unwrap_or_else(|e| e.into_inner());
        for k in unsaved.0.drain() {
            if let (Some(tree), Some(rec)) = (tree.as_ref(), map.get(&k)) {
                self.writer.insert(tree, key(&k.0, &k.1), serde_json::to_vec(rec).unwrap_or_default());
            }
        }
    }

    fn update(&self, provider: &str, route: &str, f: impl FnOnce(&mut RouteRecord)) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let k = (provider.to_string(), route.to_string());
        f(map.entry(k.clone()).or_default());
        let mut unsaved = self.unsaved.lock().unwrap_or_else(|e| e.into_inner());
        unsaved.0.insert(k);
        if unsaved.1.elapsed() >= SAVE_EVERY {
            self.save(&map, &mut unsaved);
        }
    }

    /// The checks' score (0 to 1) of one output.
    pub fn record_output(&self, provider: &str, route: &str, score: f64) {
        self.update(provider, route, |r| {
            r.outputs += 1;
            r.observe(score, 1.0);
        });
    }

    /// A reviewer's decision about an artifact the provider wrote.
    pub fn record_gate(&self, provider: &str, route: &str, feedback: GateFeedback) {
        self.update(provider, route, |r| {
            match feedback {
                GateFeedback::Approved => r.approvals += 1,
                GateFeedback::Revised => r.revisions += 1,
                GateFeedback::Rejected => r.rejections += 1,
            }
            let (v, w) = feedback.observation();
            r.observe(v, w);
        });
    }

    /// A successful call's latency and cost.
    pub fn record_call(&self, provider: &str, route: &str, latency_ms: u64, cost_micros: u64) {
        self.update(provider, route, |r| {
            if r.calls == 0 {
                r.latency_ms = latency_ms as f64;
                r.cost_micros = cost_micros as f64;
            } else {
                r.latency_ms += EWMA * (latency_ms as f64 - r.latency_ms);
                r.cost_micros += EWMA * (cost_micros as f64 - r.cost_micros);
            }
            r.calls += 1;
        });
    }

    pub fn get(&self, provider: &str, route: &str) -> Option<RouteRecord> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&(provider.to_string(), route.to_string())).cloned()
    }

    /// Every record, sorted by provider and task kind.
    pub fn all(&self) -> Vec<(String, String, RouteRecord)> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<_> = map.iter().map(|((p, r), rec)| (p.clone(), r.clone(), rec.clone())).collect();
        v.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_and_gate_decisions_move_the_score() {
        let book = QualityBook::open(None);
        assert!(book.get("a", "spec").is_none());
        book.record_output("a", "spec", 0.9);
        let after_output = book.get("a", "spec").unwrap().quality();
        assert!(after_output > PRIOR, "{after_output}");
        book.record_gate("a", "spec", GateFeedback::Approved);
        let approved = book.get("a", "spec").unwrap().quality();
        assert!(approved > after_output);
        book.record_gate("a", "spec", GateFeedback::Revised);
        let revised = book.get("a", "spec").unwrap().quality();
        assert!(revised < approved);
        book.record_gate("a", "spec", GateFeedback::Rejected);
        let rejected = book.get("a", "spec").unwrap().quality();
        assert!(rejected < revised);
        let r = book.get("a", "spec").unwrap();
        assert_eq!((r.outputs, r.approvals, r.revisions, r.rejections), (1, 1, 1, 1));
        assert!(book.get("a", "build").is_none(), "per task kind");
    }

    #[test]
    fn old_observations_fade() {
        let book = QualityBook::open(None);
        for _ in 0..50 {
            book.record_output("a", "spec", 0.1);
        }
        for _ in 0..50 {
            book.record_output("a", "spec", 0.9);
        }
        assert!(book.get("a", "spec").unwrap().quality() > 0.8);
    }

    #[test]
    fn a_burst_of_changes_is_saved_as_it_stands_once_due() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let tree = db.open_tree("quality").unwrap();
        let writer = Arc::new(Writer::start());
        let book = QualityBook::open_with(Some(tree.clone()), Arc::clone(&writer));
        let stored = || {
            writer.sync();
            tree.get(key("sim", "spec")).unwrap().map(|v| serde_json::from_slice::<RouteRecord>(&v).unwrap().outputs)
        };
        for _ in 0..50 {
            book.record_output("sim", "spec", 0.9);
        }
        // Not one write per call: at most the state of some moment of the burst.
        assert!(stored().is_none_or(|n| n < 50), "{:?}", stored());
        std::thread::sleep(SAVE_EVERY);
        book.record_output("sim", "spec", 0.9);
        assert_eq!(stored(), Some(51), "saved once due, as it then stood");
        book.record_call("sim", "spec", 10, 10);
        book.save_changed();
        assert_eq!(stored(), Some(51));
        writer.sync();
        let rec: RouteRecord = serde_json::from_slice(&tree.get(key("sim", "spec")).unwrap().unwrap()).unwrap();
        assert_eq!(rec.calls, 1, "save_changed sends what is pending");
    }

    #[test]
    fn scores_persist_across_opens() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let tree = db.open_tree("quality").unwrap();
        let book = QualityBook::open(Some(tree.clone()));
        book.record_output("anthropic", "spec", 0.4);
        book.record_gate("anthropic", "spec", GateFeedback::Rejected);
        book.record_call("anthropic", "spec", 1200, 5000);
        let before = book.get("anthropic", "spec").unwrap();
        book.close();
        drop(book);
        let again = QualityBook::open(Some(tree));
        let after = again.get("anthropic", "spec").unwrap();
        assert_eq!(after.quality(), before.quality());
        assert_eq!(after.rejections, 1);
        assert_eq!(after.latency_ms, 1200.0);
        assert_eq!(again.all().len(), 1);
    }
}
