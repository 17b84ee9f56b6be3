//! The provider layer's writes to sled (cache entries, quality scores) on one long-lived
//! thread, off the calls' path: a call never waits for the disk, nor makes a system call
//! to hand a write over unless the thread is asleep; the thread gathers what comes in for
//! a moment before it writes, and closing drains every write before the data directory is
//! let go.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long the thread, woken by a first write, waits for more before writing them all:
/// at most one wake-up per this long however many calls write.
const LINGER: Duration = Duration::from_millis(5);

enum Job {
    Insert(sled::Tree, Vec<u8>, Vec<u8>),
    Remove(sled::Tree, Vec<u8>),
    Barrier(std::sync::mpsc::Sender<()>),
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    /// The thread is waiting for a first write (so a write must wake it).
    asleep: bool,
    /// A barrier is queued, or the writer is closing: write without lingering.
    urgent: bool,
    closed: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
    linger: Duration,
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct Writer {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Default for Writer {
    fn default() -> Self {
        Writer::start()
    }
}

impl Writer {
    pub fn start() -> Writer {
        Writer::with_linger(LINGER)
    }

    /// A writer whose thread gathers writes for `linger` after a first one.
    fn with_linger(linger: Duration) -> Writer {
        let shared = Arc::new(Shared { queue: Mutex::default(), wake: Condvar::new(), linger });
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new().name("provider-writes".into()).spawn(move || drain(&theirs)).ok();
        // Without a thread (it could not start), writes happen on the caller's thread.
        shared.queue().closed = thread.is_none();
        Writer { shared, thread: Mutex::new(thread) }
    }

    fn send(&self, job: Job) {
        let mut q = self.shared.queue();
        if q.closed {
            drop(q);
            apply(job);
            return;
        }
        let urgent = matches!(job, Job::Barrier(_));
        q.jobs.push(job);
        q.urgent |= urgent;
        if q.asleep || urgent {
            q.asleep = false;
            self.shared.wake.notify_one();
        }
    }

    pub fn insert(&self, tree: &sled::Tree, key: Vec<u8>, value: Vec<u8>) {
        self.send(Job::Insert(tree.clone(), key, value));
    }

    pub fn remove(&self, tree: &sled::Tree, key: Vec<u8>) {
        self.send(Job::Remove(tree.clone(), key));
    }

    /// Waits until every write sent so far has been applied.
    pub fn sync(&self) {
        let (done, wait) = std::sync::mpsc::channel();
        self.send(Job::Barrier(done));
        let _ = wait.recv();
    }

    /// Finishes every write sent so far and stops the thread; later writes are applied
    /// directly by their callers.
    pub fn close(&self) {
        {
            let mut q = self.shared.queue();
            q.closed = true;
            q.urgent = true;
            self.shared.wake.notify_one();
        }
        if let Some(t) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = t.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.close();
    }
}

fn drain(shared: &Shared) {
    let mut q = shared.queue();
    loop {
        if q.jobs.is_empty() {
            if q.closed {
                return;
            }
            q.asleep = true;
            q = shared.wake.wait_while(q, |q| q.asleep && !q.closed).unwrap_or_else(|e| e.into_inner());
            q.asleep = false;
            continue;
        }
        if !q.urgent {
            // Gather the writes of the next few milliseconds; a barrier or close cuts it short.
            q = shared
                .wake
                .wait_timeout_while(q, shared.linger, |q| !q.urgent)
                .map(|r| r.0)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        let jobs = std::mem::take(&mut q.jobs);
        q.urgent = false;
        drop(q);
        for job in jobs {
            apply(job);
        }
        q = shared.queue();
    }
}

fn apply(job: Job) {
    let result = match job {
        Job::Insert(tree, k, v) => tree.insert(k, v).map(|_| ()),
        Job::Remove(tree, k) => tree.remove(k).map(|_| ()),
        Job::Barrier(done) => {
            let _ = done.send(());
            Ok(())
        }
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "the provider layer could not save to the data store");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_land_and_close_drains_them() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let tree = db.open_tree("t").unwrap();
        let w = Writer::start();
        for i in 0..1000u32 {
            w.insert(&tree, i.to_be_bytes().to_vec(), b"v".to_vec());
        }
        w.remove(&tree, 7u32.to_be_bytes().to_vec());
        w.sync();
        assert_eq!(tree.len(), 999);
        w.insert(&tree, b"x".to_vec(), b"v".to_vec());
        w.remove(&tree, b"x".to_vec());
        w.close();
        assert_eq!(tree.len(), 999);
        w.insert(&tree, b"after".to_vec(), b"v".to_vec());
        assert!(tree.contains_key("after").unwrap(), "after close, writes are direct");
    }

    #[test]
    fn a_write_lands_without_a_sync_and_a_sync_or_close_does_not_wait_for_more() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let tree = db.open_tree("t").unwrap();
        let w = Writer::start();
        w.insert(&tree, b"a".to_vec(), b"v".to_vec());
        let t = std::time::Instant::now();
        while !tree.contains_key("a").unwrap() {
            assert!(t.elapsed() < Duration::from_secs(10), "the write never landed");
            std::thread::sleep(Duration::from_millis(1));
        }
        // With a long gathering, a sync still returns at once: the barrier cuts it short.
        let slow = Writer::with_linger(Duration::from_secs(600));
        let t = std::time::Instant::now();
        slow.insert(&tree, b"b".to_vec(), b"v".to_vec());
        slow.sync();
        assert!(tree.contains_key("b").unwrap());
        slow.insert(&tree, b"c".to_vec(), b"v".to_vec());
        slow.close();
        assert!(tree.contains_key("c").unwrap(), "closing writes what was gathered");
        assert!(t.elapsed() < Duration::from_secs(300), "waited for the gathering: {:?}", t.elapsed());
    }
}
