//! Room to write: the free space on the data directory's disk, checked before each group
//! commit. sled 0.34 can leave its store damaged when one of its writes runs out of space
//! half-way (a large value's blob file is left empty while the log points at it), so the
//! factory stops writing while there is still room for everything already in flight.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::fault::{self, Cause};
use crate::error::{FactoryError, Result};

/// The free space kept by default, in MiB (`store.min_free_mb`).
pub const DEFAULT_MIN_FREE_MB: u64 = 32;

const MIB: u64 = 1024 * 1024;

/// Bytes free for this user on the filesystem holding `dir` (`None` if it cannot be told).
pub fn free_bytes(dir: &Path) -> Option<u64> {
    let path = CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: a valid C string and a zeroed struct for statvfs to fill.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::statvfs(path.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some((st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
}

/// Refuses to go on writing when less than `min_free` bytes are free.
pub fn check(dir: &Path, min_free: u64) -> Result<()> {
    match free_bytes(dir) {
        Some(free) if free < min_free => Err(FactoryError::storage(fault::message(
            Some(dir),
            Cause::Full,
            &format!(
                "{} MiB free; the factory stops writing below {} MiB, so that no write is cut short",
                free / MIB,
                min_free.div_ceil(MIB)
            ),
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_little_room_is_a_full_disk_in_one_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_bytes(dir.path()).expect("statvfs answers");
        assert!(free > 0);
        assert!(check(dir.path(), 0).is_ok());
        let e = check(dir.path(), free + 64 * MIB).unwrap_err();
        assert!(e.message.contains(" is full ("), "{}", e.message);
        assert!(e.message.contains("MiB free; the factory stops writing below "), "{}", e.message);
        assert!(e.message.ends_with("free some space and try again"), "{}", e.message);
    }
}
