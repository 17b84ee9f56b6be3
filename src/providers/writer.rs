//! The provider layer's writes to sled (cache entries, quality scores) on one long-lived
//! thread, off the calls' path: a call never waits for the disk, and closing drains every
//! write before the data directory is let go.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

enum Job {
    Insert(sled::Tree, Vec<u8>, Vec<u8>),
    Remove(sled::Tree, Vec<u8>),
    Barrier(Sender<()>),
}

pub struct Writer {
    tx: Mutex<Option<Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Default for Writer {
    fn default() -> Self {
        Writer::start()
    }
}

impl Writer {
    pub fn start() -> Writer {
        let (tx, rx) = channel();
        let thread = std::thread::Builder::new().name("provider-writes".into()).spawn(move || drain(rx)).ok();
        // Without a thread (it could not start), writes happen on the caller's thread.
        let tx = thread.as_ref().map(|_| tx);
        Writer { tx: Mutex::new(tx), thread: Mutex::new(thread) }
    }

    fn send(&self, job: Job) {
        let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        match tx.as_ref() {
            Some(tx) => {
                if let Err(e) = tx.send(job) {
                    apply(e.0);
                }
            }
            None => apply(job),
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
        let (done, wait) = channel();
        self.send(Job::Barrier(done));
        let _ = wait.recv();
    }

    /// Finishes every write sent so far and stops the thread; later writes are applied
    /// directly by their callers.
    pub fn close(&self) {
        self.tx.lock().unwrap_or_else(|e| e.into_inner()).take();
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

fn drain(rx: Receiver<Job>) {
    while let Ok(job) = rx.recv() {
        apply(job);
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
}
