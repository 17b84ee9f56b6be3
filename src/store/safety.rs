//! Opening without making things worse: opens take turns (`open.lock`), and a copy of `db/`
//! taken just before sled opens it is put back when the open fails, because sled's recovery
//! overwrites the log after the first bad record before it gives up on a damaged store.

use std::fs::{self, File};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// Stores larger than this are opened without a copy (it would cost too much at every start).
pub const MAX_COPY_BYTES: u64 = 256 << 20;

const LOCK: &str = "open.lock";
const COPY: &str = "db.before-open";
const PARTIAL: &str = "db.before-open.partial";
const DAMAGED: &str = "db.damaged";

/// Held while one process opens the data directory; released when dropped.
pub struct OpenLock {
    _file: File,
}

/// Waits for any other process's open of `dir` to finish. `None` when the lock file cannot
/// be made (a read-only data directory: nothing can be changed there anyway).
pub fn lock(dir: &Path) -> Option<OpenLock> {
    let file = fs::OpenOptions::new().create(true).truncate(false).write(true).open(dir.join(LOCK)).ok()?;
    loop {
        // SAFETY: flock on a descriptor this function owns; no memory is involved.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if rc == 0 {
            return Some(OpenLock { _file: file });
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return None;
        }
    }
}

/// The state of `db/` before this open.
pub struct SafetyCopy {
    db: PathBuf,
    copy: PathBuf,
    damaged: PathBuf,
}

/// Copies `dir/db` aside (call with the open lock held). `None` when there is nothing to
/// copy yet, a process holds the store (the open will be refused), the store is too large,
/// or the copy failed (a full disk): then the open goes ahead without one.
pub fn take(dir: &Path) -> Option<SafetyCopy> {
    tidy(dir);
    let db = dir.join("db");
    if !db.is_dir() || held(&db) || tree_size(&db) > MAX_COPY_BYTES {
        return None;
    }
    let partial = dir.join(PARTIAL);
    let copied = copy_tree(&db, &partial).and_then(|()| fs::rename(&partial, dir.join(COPY)));
    if copied.is_err() {
        let _ = fs::remove_dir_all(&partial);
        return None;
    }
    Some(SafetyCopy { db, copy: dir.join(COPY), damaged: dir.join(DAMAGED) })
}

impl SafetyCopy {
    /// The open went well: the copy is not needed.
    pub fn discard(self) {
        let _ = fs::remove_dir_all(&self.copy);
    }

    /// The open failed: put `db/` back as it was, unless a process holds the store (then
    /// its files are its own and are not touched). Returns whether it was put back.
    pub fn restore(self) -> bool {
        let Some(_lock) = sled_lock(&self.db) else {
            self.discard();
            return false;
        };
        let back = fs::rename(&self.db, &self.damaged).and_then(|()| fs::rename(&self.copy, &self.db));
        let _ = fs::remove_dir_all(&self.damaged);
        back.is_ok()
    }
}

/// sled's own lock on `db/db`, taken the way sled takes it; `None` while a process holds it.
fn sled_lock(db: &Path) -> Option<File> {
    let file = File::open(db.join("db")).ok()?;
    // SAFETY: flock on a descriptor owned here; released when the file is closed.
    (unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0).then_some(file)
}

fn held(db: &Path) -> bool {
    db.join("db").exists() && sled_lock(db).is_none()
}

/// Leftovers of an open that was interrupted: a copy without a `db/` is the store (the
/// process stopped between the two renames of a restore); anything else is dropped.
fn tidy(dir: &Path) {
    let _ = fs::remove_dir_all(dir.join(PARTIAL));
    let copy = dir.join(COPY);
    if copy.is_dir() {
        if dir.join("db").exists() {
            let _ = fs::remove_dir_all(&copy);
        } else {
            let _ = fs::rename(&copy, dir.join("db"));
        }
    }
    let _ = fs::remove_dir_all(dir.join(DAMAGED));
}

fn tree_size(dir: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => tree_size(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}

/// Files and folders only (sled makes nothing else).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir(to)?;
    for e in fs::read_dir(from)? {
        let e = e?;
        let t = e.file_type()?;
        if t.is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()))?;
        } else if t.is_file() {
            fs::copy(e.path(), to.join(e.file_name()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_files(dir: &Path) {
        fs::create_dir_all(dir.join("db/blobs")).unwrap();
        fs::write(dir.join("db/db"), b"log").unwrap();
        fs::write(dir.join("db/blobs/1"), b"blob").unwrap();
    }

    #[test]
    fn a_restore_puts_back_every_byte_and_a_discard_leaves_no_trace() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        store_files(dir);
        let copy = take(dir).unwrap();
        fs::write(dir.join("db/db"), b"shredded").unwrap();
        fs::remove_file(dir.join("db/blobs/1")).unwrap();
        assert!(copy.restore());
        assert_eq!(fs::read(dir.join("db/db")).unwrap(), b"log");
        assert_eq!(fs::read(dir.join("db/blobs/1")).unwrap(), b"blob");
        take(dir).unwrap().discard();
        let mut names: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, ["db"]);
    }

    #[test]
    fn a_store_held_by_another_process_is_not_touched() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        store_files(dir);
        let copy = take(dir).unwrap();
        fs::write(dir.join("db/db"), b"the owner's latest").unwrap();
        let mut holder = std::process::Command::new("flock")
            .arg(dir.join("db/db"))
            .args(["-c", "sleep 10"])
            .spawn()
            .expect("flock (util-linux) runs");
        std::thread::sleep(std::time::Duration::from_millis(200));
        let restored = copy.restore();
        holder.kill().unwrap();
        holder.wait().unwrap();
        assert!(!restored);
        assert_eq!(fs::read(dir.join("db/db")).unwrap(), b"the owner's latest");
        assert!(!dir.join(COPY).exists());
    }

    #[test]
    fn leftovers_of_an_interrupted_open_are_tidied() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        store_files(dir);
        // Stopped between the renames of a restore: the copy is the store.
        fs::rename(dir.join("db"), dir.join(COPY)).unwrap();
        fs::create_dir(dir.join(PARTIAL)).unwrap();
        tidy(dir);
        assert_eq!(fs::read(dir.join("db/db")).unwrap(), b"log");
        assert!(!dir.join(COPY).exists() && !dir.join(PARTIAL).exists());
    }
}
