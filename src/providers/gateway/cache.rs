//! The response cache: a SHA-256 of (provider, model, request) to the answer, in the data
//! directory's `cache` tree, used for a limited time. A hit costs nothing, except when the
//! task that paid for the entry asks again: its first answer was lost (a crash, a refused
//! output) before it was recorded, so its cost is recorded now, once.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::writer::Writer;
use crate::providers::{CallRequest, CallResponse, Usage};

/// A cached answer; never a cut-off one (the gateway does not store those), so its
/// response is whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub stored_at_ms: u64,
    pub text: String,
    pub model: String,
    pub usage: Usage,
    pub citations: Vec<String>,
    /// What the call that filled the entry cost, and the task that paid it.
    pub cost_micros: u64,
    pub unpriced: bool,
    pub task_id: String,
}

impl Entry {
    pub fn response(&self) -> CallResponse {
        CallResponse {
            text: self.text.clone(),
            usage: self.usage,
            model: self.model.clone(),
            citations: self.citations.clone(),
            rest_key_for: None,
            truncated: false,
        }
    }
}

/// An [`Entry`] borrowed from the answer it stores: the same fields in the same order,
/// so the same bytes.
#[derive(Serialize)]
struct EntryRef<'a> {
    stored_at_ms: u64,
    text: &'a str,
    model: &'a str,
    usage: Usage,
    citations: &'a [String],
    cost_micros: u64,
    unpriced: bool,
    task_id: &'a str,
}

pub struct ResponseCache {
    tree: sled::Tree,
    ttl: Duration,
    /// Puts and removals go through the writer thread, off the call's path.
    writer: Arc<Writer>,
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// The key: every field that shapes the answer, each length-prefixed so that no two
/// requests share a hash input.
pub fn key(provider: &str, model: &str, req: &CallRequest) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in [provider.as_bytes(), model.as_bytes(), req.system.as_bytes(), req.prompt.as_bytes()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.update(req.max_tokens.to_be_bytes());
    h.finalize().into()
}

impl ResponseCache {
    pub fn new(tree: sled::Tree, ttl: Duration, writer: Arc<Writer>) -> Self {
        ResponseCache { tree, ttl, writer }
    }

    /// A live entry for the request, if any (an expired one is removed).
    pub fn get(&self, provider: &str, model: &str, req: &CallRequest) -> Option<Entry> {
        self.get_at(key(provider, model, req))
    }

    /// The live entry at `k` (a [`key`]), if any.
    pub fn get_at(&self, k: [u8; 32]) -> Option<Entry> {
        let bytes = self.tree.get(k).ok()??;
        match serde_json::from_slice::<Entry>(&bytes) {
            Ok(e) if now_ms().saturating_sub(e.stored_at_ms) < self.ttl.as_millis() as u64 => Some(e),
            _ => {
                self.writer.remove(&self.tree, k.to_vec());
                None
            }
        }
    }

    pub fn put(&self, provider: &str, req: &CallRequest, configured_model: &str, entry: &Entry) {
        let k = key(provider, configured_model, req);
        let bytes = serde_json::to_vec(entry).unwrap_or_default();
        self.writer.insert(&self.tree, k.to_vec(), bytes);
    }

    /// Stores the answer at `k` (a [`key`]), serialized from the response as it is.
    pub fn put_at(&self, k: [u8; 32], resp: &CallResponse, cost_micros: u64, unpriced: bool, task_id: &str) {
        let entry = EntryRef {
            stored_at_ms: now_ms(),
            text: &resp.text,
            model: &resp.model,
            usage: resp.usage,
            citations: &resp.citations,
            cost_micros,
            unpriced,
            task_id,
        };
        let bytes = serde_json::to_vec(&entry).unwrap_or_default();
        self.writer.insert(&self.tree, k.to_vec(), bytes);
    }

    pub fn remove(&self, key: &[u8; 32]) {
        self.writer.remove(&self.tree, key.to_vec());
    }

    pub fn entry(resp: &CallResponse, cost_micros: u64, unpriced: bool, task_id: &str) -> Entry {
        Entry {
            stored_at_ms: now_ms(),
            text: resp.text.clone(),
            model: resp.model.clone(),
            usage: resp.usage,
            citations: resp.citations.clone(),
            cost_micros,
            unpriced,
            task_id: task_id.to_string(),
        }
    }

    /// Removes expired entries; returns how many.
    pub fn sweep(&self) -> usize {
        let now = now_ms();
        let ttl = self.ttl.as_millis() as u64;
        let mut removed = 0;
        for (k, v) in self.tree.iter().flatten() {
            let live = serde_json::from_slice::<Entry>(&v).is_ok_and(|e| now.saturating_sub(e.stored_at_ms) < ttl);
            if !live && self.tree.remove(k).is_ok() {
                removed += 1;
            }
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (tempfile::TempDir, sled::Tree) {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let t = db.open_tree("cache").unwrap();
        (dir, t)
    }

    fn resp(text: &str) -> CallResponse {
        CallResponse {
            text: text.into(),
            usage: Usage { input: 10, output: 5, cached_input: 0, estimated: false },
            model: "m-2025".into(),
            citations: vec!["https://a.example".into()],
            rest_key_for: None,
            truncated: false,
        }
    }

    #[test]
    fn keys_differ_by_every_part() {
        let r = CallRequest::test("spec", "sys", "prompt");
        let base = key("p", "m", &r);
        assert_eq!(base, key("p", "m", &r.clone()));
        assert_ne!(base, key("q", "m", &r));
        assert_ne!(base, key("p", "n", &r));
        assert_ne!(base, key("p", "m", &CallRequest::test("spec", "sys", "prompt!")));
        assert_ne!(base, key("p", "m", &CallRequest::test("spec", "sysp", "rompt")), "no ambiguity at the seams");
        assert_ne!(base, key("p", "m", &CallRequest { max_tokens: 1, ..r.clone() }));
        let mut other_task = r.clone();
        other_task.task_id = "another".into();
        assert_eq!(base, key("p", "m", &other_task), "the task is not part of the request");
    }

    #[test]
    fn an_entry_stored_from_its_answer_is_the_entry() {
        let (_d, t) = tree();
        let w = Arc::new(Writer::start());
        let cache = ResponseCache::new(t.clone(), Duration::from_secs(3600), Arc::clone(&w));
        let r = CallRequest::test("spec", "sys", "prompt");
        let k = key("p", "m", &r);
        cache.put_at(k, &resp("hello \"there\""), 42, true, "s-01.spec.r0");
        w.sync();
        let stored = cache.get("p", "m", &r).unwrap();
        let mut whole = ResponseCache::entry(&resp("hello \"there\""), 42, true, "s-01.spec.r0");
        whole.stored_at_ms = stored.stored_at_ms;
        assert_eq!(stored, whole);
        assert_eq!(t.get(k).unwrap().unwrap().to_vec(), serde_json::to_vec(&whole).unwrap(), "the same bytes");
        assert_eq!(cache.get_at(k), Some(whole));
    }

    #[test]
    fn stores_and_expires() {
        let (_d, t) = tree();
        let w = Arc::new(Writer::start());
        let cache = ResponseCache::new(t.clone(), Duration::from_secs(3600), Arc::clone(&w));
        let r = CallRequest::test("spec", "sys", "prompt");
        assert!(cache.get("p", "m", &r).is_none());
        cache.put("p", &r, "m", &ResponseCache::entry(&resp("hello"), 42, false, "s-01.spec.r0"));
        w.sync();
        let e = cache.get("p", "m", &r).unwrap();
        assert_eq!(e.response(), resp("hello"));
        assert_eq!((e.cost_micros, e.task_id.as_str()), (42, "s-01.spec.r0"));
        let expired = ResponseCache::new(t.clone(), Duration::ZERO, Arc::clone(&w));
        assert!(expired.get("p", "m", &r).is_none());
        w.sync();
        assert!(t.is_empty(), "an expired entry is removed when met");
        cache.put("p", &r, "m", &ResponseCache::entry(&resp("x"), 1, false, ""));
        w.sync();
        assert_eq!(cache.sweep(), 0);
        assert_eq!(expired.sweep(), 1);
    }
}
