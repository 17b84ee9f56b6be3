//! Storage failures in the user's words: a full disk, a data directory that cannot be
//! written, a damaged store, each naming the directory and what to do.

use std::io::ErrorKind as IoKind;
use std::path::Path;

use crate::error::FactoryError;

/// What went wrong underneath, by cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    Full,
    ReadOnly,
    Damaged,
    Other,
}

/// The cause of an I/O error, and its description in a few words. sled re-wraps the
/// errors it keeps (its `Display` shows a Rust debug dump), so only the kind is trusted.
pub fn io_cause(e: &std::io::Error) -> (Cause, String) {
    match e.kind() {
        IoKind::StorageFull => (Cause::Full, "no space left on the device".into()),
        IoKind::FileTooLarge => (Cause::Full, "a file size limit was reached".into()),
        IoKind::QuotaExceeded => (Cause::Full, "the disk quota is used up".into()),
        IoKind::PermissionDenied => (Cause::ReadOnly, "permission denied".into()),
        IoKind::ReadOnlyFilesystem => (Cause::ReadOnly, "the filesystem is read-only".into()),
        IoKind::InvalidData | IoKind::UnexpectedEof => (Cause::Damaged, "unreadable data".into()),
        other => (Cause::Other, other.to_string()),
    }
}

/// The cause of a sled error, and its description in a few words.
pub fn sled_cause(e: &sled::Error) -> (Cause, String) {
    match e {
        sled::Error::Io(io) => io_cause(io),
        sled::Error::Corruption { .. } => (Cause::Damaged, "sled found corrupted data".into()),
        sled::Error::Unsupported(what) => (Cause::Other, format!("unsupported: {what}")),
        sled::Error::ReportableBug(what) => (Cause::Other, format!("a sled bug: {what}")),
        sled::Error::CollectionNotFound(_) => (Cause::Other, "a tree is missing".into()),
    }
}

/// What every damaged-store message says after naming the store.
pub const DAMAGED: &str = " is damaged";

/// One sentence for a failure of the store in `dir` (the data directory, when known).
pub fn message(dir: Option<&Path>, cause: Cause, what: &str) -> String {
    let shown = dir.map(|d| format!(" {}", d.display())).unwrap_or_default();
    match cause {
        Cause::Full => {
            format!("the disk holding the data directory{shown} is full ({what}); free some space and try again")
        }
        Cause::ReadOnly => format!(
            "the data directory{shown} cannot be written ({what}); give this user write access again (its permissions, its mount) and try again"
        ),
        Cause::Damaged => format!(
            "the data store in{}{DAMAGED} ({what}); restore the data directory from a backup, or use another --data-dir",
            if shown.is_empty() { " the data directory".to_string() } else { shown }
        ),
        Cause::Other => format!(
            "the data store in{} failed ({what}); check the disk and the data directory, then try again",
            if shown.is_empty() { " the data directory".to_string() } else { shown }
        ),
    }
}

/// A sled failure as the factory's error.
pub fn from_sled(dir: Option<&Path>, e: &sled::Error) -> FactoryError {
    let (cause, what) = sled_cause(e);
    FactoryError::storage(message(dir, cause, &what))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrapped(kind: IoKind) -> sled::Error {
        // What sled hands back once it has kept an error: the kind survives, the text is a dump.
        sled::Error::Io(std::io::Error::new(kind, format!("{:?}", std::io::Error::from(kind))))
    }

    #[test]
    fn a_full_disk_and_a_size_limit_say_the_disk_is_full() {
        let dir = Path::new("/srv/factory");
        for kind in [IoKind::StorageFull, IoKind::FileTooLarge, IoKind::QuotaExceeded] {
            let e = from_sled(Some(dir), &wrapped(kind));
            assert!(
                e.message.starts_with("the disk holding the data directory /srv/factory is full ("),
                "{}",
                e.message
            );
            assert!(e.message.ends_with("free some space and try again"), "{}", e.message);
            assert!(!e.message.contains("Custom") && !e.message.contains("Os {"), "{}", e.message);
            assert_eq!(e.exit_code(), 1);
            assert!(!e.retryable());
        }
    }

    #[test]
    fn read_only_damaged_and_other_failures_read_as_one_sentence() {
        let e = from_sled(None, &wrapped(IoKind::ReadOnlyFilesystem));
        assert_eq!(
            e.message,
            "the data directory cannot be written (the filesystem is read-only); give this user write access again (its permissions, its mount) and try again"
        );
        let e = from_sled(Some(Path::new("/d")), &sled::Error::Corruption { at: None, bt: () });
        assert!(e.message.starts_with("the data store in /d is damaged (sled found corrupted data); restore"));
        let e = from_sled(Some(Path::new("/d")), &wrapped(IoKind::BrokenPipe));
        assert!(e.message.starts_with("the data store in /d failed (broken pipe);"), "{}", e.message);
        assert_eq!(e.message.lines().count(), 1);
    }
}
