//! The `events` tree's records: a group commit's events go into one record (a JSON array,
//! keyed by its first event's number) rather than one record each, because sled's cost is
//! per record. Records of one event (a JSON object, schema 1) are still read.

use super::{from_json, keys, seq_key};
use crate::domain::Event;
use crate::error::Result;

/// Most events in one record, so that a record stays small however large a commit is.
pub const EVENTS_PER_RECORD: usize = 256;

/// Events serialised one by one as they are added, turned into records at commit.
#[derive(Default, Debug)]
pub struct Pending {
    events: Vec<(u64, Vec<u8>)>,
}

impl Pending {
    pub fn push(&mut self, seq: u64, json: Vec<u8>) {
        self.events.push((seq, json));
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Records this batch becomes.
    pub fn records_len(&self) -> usize {
        self.events.len().div_ceil(EVENTS_PER_RECORD)
    }

    /// The records: key the first event's number, value a JSON array of the events.
    pub fn records(&self) -> Vec<([u8; 8], Vec<u8>)> {
        self.events
            .chunks(EVENTS_PER_RECORD)
            .map(|chunk| {
                let size = chunk.iter().map(|(_, j)| j.len() + 1).sum::<usize>() + 1;
                let mut value = Vec::with_capacity(size);
                value.push(b'[');
                for (n, (_, json)) in chunk.iter().enumerate() {
                    if n > 0 {
                        value.push(b',');
                    }
                    value.extend_from_slice(json);
                }
                value.push(b']');
                (seq_key(chunk[0].0), value)
            })
            .collect()
    }
}

/// The events of one record, in order.
pub fn decode(value: &[u8]) -> Result<Vec<Event>> {
    if value.first() == Some(&b'[') { from_json("events", value) } else { Ok(vec![from_json("events", value)?]) }
}

/// The number the next event gets.
pub fn next_seq(tree: &sled::Tree) -> Result<u64> {
    Ok(match tree.last()? {
        Some((k, v)) => decode(&v)?.last().map_or(keys::seq_of(&k), |e| e.seq) + 1,
        None => 1,
    })
}

/// Events with `seq >= from`, at most `limit`, oldest first.
pub fn from(tree: &sled::Tree, from: u64, limit: usize) -> Result<Vec<Event>> {
    // The record holding `from` may begin before it.
    let start = match tree.range(..=seq_key(from)).next_back() {
        Some(item) => item?.0.to_vec(),
        None => seq_key(from).to_vec(),
    };
    let mut out = Vec::new();
    for item in tree.range(start..) {
        for e in decode(&item?.1)? {
            if out.len() == limit {
                return Ok(out);
            }
            if e.seq >= from {
                out.push(e);
            }
        }
    }
    Ok(out)
}

/// The last `limit` events, oldest first.
pub fn last(tree: &sled::Tree, limit: usize) -> Result<Vec<Event>> {
    let mut out = Vec::new();
    for item in tree.iter().rev() {
        if out.len() >= limit {
            break;
        }
        let events = decode(&item?.1)?;
        out.extend(events.into_iter().rev().take(limit - out.len()));
    }
    out.reverse();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EventKind, RunId};

    fn event(seq: u64) -> Event {
        Event { seq, ts: seq * 10, startup: Some(RunId(1)), kind: EventKind::RunPaused }
    }

    fn seqs(events: &[Event]) -> Vec<u64> {
        events.iter().map(|e| e.seq).collect()
    }

    /// A tree as schema 1 left it (events 1 to 3, one a record) followed by batches of
    /// schema 2 (4 to 600 in one commit, so in three records; then 601 to 605).
    fn mixed_tree() -> (tempfile::TempDir, sled::Tree) {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let tree = db.open_tree("events").unwrap();
        for seq in 1..=3 {
            tree.insert(seq_key(seq), serde_json::to_vec(&event(seq)).unwrap()).unwrap();
        }
        for range in [4..=600u64, 601..=605] {
            let mut pending = Pending::default();
            for seq in range {
                pending.push(seq, serde_json::to_vec(&event(seq)).unwrap());
            }
            for (k, v) in pending.records() {
                tree.insert(k, v).unwrap();
            }
        }
        (dir, tree)
    }

    #[test]
    fn a_commit_becomes_few_records_keyed_by_their_first_event() {
        let mut pending = Pending::default();
        assert!(pending.is_empty());
        for seq in 10..10 + EVENTS_PER_RECORD as u64 + 1 {
            pending.push(seq, serde_json::to_vec(&event(seq)).unwrap());
        }
        assert_eq!(pending.records_len(), 2);
        let records = pending.records();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].0, seq_key(10));
        assert_eq!(records[1].0, seq_key(10 + EVENTS_PER_RECORD as u64));
        assert_eq!(decode(&records[0].1).unwrap().len(), EVENTS_PER_RECORD);
        assert_eq!(decode(&records[1].1).unwrap(), vec![event(10 + EVENTS_PER_RECORD as u64)]);
    }

    #[test]
    fn single_event_records_and_batches_read_as_one_log() {
        let (_dir, tree) = mixed_tree();
        assert_eq!(tree.len(), 3 + 3 + 1);
        assert_eq!(next_seq(&tree).unwrap(), 606);
        assert_eq!(seqs(&from(&tree, 1, 5).unwrap()), vec![1, 2, 3, 4, 5]);
        // From inside a batch, across the end of one into the next.
        assert_eq!(seqs(&from(&tree, 258, 4).unwrap()), vec![258, 259, 260, 261]);
        assert_eq!(seqs(&from(&tree, 598, 100).unwrap()), vec![598, 599, 600, 601, 602, 603, 604, 605]);
        assert!(from(&tree, 606, 10).unwrap().is_empty());
        assert!(from(&tree, 5, 0).unwrap().is_empty());
        assert_eq!(from(&tree, 1, usize::MAX).unwrap(), (1..=605).map(event).collect::<Vec<_>>());
        assert_eq!(seqs(&last(&tree, 3).unwrap()), vec![603, 604, 605]);
        assert_eq!(seqs(&last(&tree, 7).unwrap()), vec![599, 600, 601, 602, 603, 604, 605]);
        assert_eq!(last(&tree, 10_000).unwrap(), (1..=605).map(event).collect::<Vec<_>>());
        assert!(last(&tree, 0).unwrap().is_empty());
    }

    #[test]
    fn an_empty_log_starts_at_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let tree = db.open_tree("events").unwrap();
        assert_eq!(next_seq(&tree).unwrap(), 1);
        assert!(last(&tree, 5).unwrap().is_empty());
        assert!(from(&tree, 1, 5).unwrap().is_empty());
    }

    #[test]
    fn a_damaged_record_is_a_clear_error() {
        let err = decode(b"[{\"seq\":").unwrap_err();
        assert!(err.message.contains("a record in the `events` tree is unreadable"), "{}", err.message);
    }
}
