//! The saved mark: the number of the last group commit known to be on disk, kept in a small
//! file beside sled. sled reads a log damaged in the middle as if it ended there and opens
//! without a word; a store that holds fewer commits than the mark lost saved changes, and
//! is refused instead of being run from an older state.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The `meta` key that counts group commits.
pub const COMMIT_KEY: &str = "commit";

const FILE: &str = "saved.mark";

pub struct Mark {
    path: PathBuf,
    written: AtomicU64,
}

impl Mark {
    /// The mark of the data directory `dir` (0 when there is none yet, or it is unreadable).
    pub fn read(dir: &Path) -> Mark {
        let path = dir.join(FILE);
        let found = std::fs::read_to_string(&path).ok().and_then(|t| t.trim().parse().ok()).unwrap_or(0);
        Mark { path, written: AtomicU64::new(found) }
    }

    pub fn value(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Records that commit `number` is on disk. Written in place, always the same length,
    /// without a sync: a write lost in a crash leaves an older, lower mark, which is still true.
    pub fn advance(&self, number: u64) {
        if number <= self.value() {
            return;
        }
        let text = format!("{number:020}\n");
        let written = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.path)
            .and_then(|f: File| f.write_all_at(text.as_bytes(), 0));
        if written.is_ok() {
            self.written.store(number, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_only_moves_forward_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let mark = Mark::read(dir.path());
        assert_eq!(mark.value(), 0);
        mark.advance(12);
        mark.advance(7);
        assert_eq!(Mark::read(dir.path()).value(), 12);
        std::fs::write(dir.path().join(FILE), "garbage").unwrap();
        assert_eq!(Mark::read(dir.path()).value(), 0, "an unreadable mark checks nothing");
    }
}
