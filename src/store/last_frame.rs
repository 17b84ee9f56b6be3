//! What the control room showed when its orchestrator last stopped cleanly, kept in a file
//! beside sled: the next control room draws it at once, marked as such, while sled replays
//! its log. Written at a clean stop, deleted by the next open, so it is never shown for a
//! store that changed after it (a crash leaves none, and the next start waits for sled).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

const FILE: &str = "last-frame.json";

/// Saves `bytes` (written to a new file, then renamed over the old, private to the user).
pub fn save(dir: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(format!("{FILE}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(FILE))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The saved bytes, if an orchestrator stopped cleanly since the store was last opened.
pub fn read(dir: &Path) -> Option<Vec<u8>> {
    std::fs::read(dir.join(FILE)).ok()
}

/// The store is open and about to change: what was saved no longer holds.
pub(super) fn forget(dir: &Path) {
    let _ = std::fs::remove_file(dir.join(FILE));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_bytes_are_read_back_private_until_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()), None);
        save(dir.path(), b"one").unwrap();
        save(dir.path(), b"two").unwrap();
        assert_eq!(read(dir.path()).as_deref(), Some(&b"two"[..]));
        let mode =
            std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(dir.path().join(FILE)).unwrap().permissions());
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file is left");
        forget(dir.path());
        assert_eq!(read(dir.path()), None);
    }
}
