//! Opening a data directory: create it private, recognise a factory's, lock it, check the schema.

use std::fs;
use std::io::ErrorKind as IoKind;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

use super::Store;
use crate::error::{ErrorKind, FactoryError, Result};

/// Version of the layout of records in sled; a data directory from a newer one is refused.
pub const SCHEMA_VERSION: u32 = 1;

/// The file that marks a folder as a factory's data directory.
pub const DATA_DIR_MARKER: &str = "FACTORY_DATA_DIR";

const OWNER_PID: &str = "owner.pid";

impl Store {
    /// Opens (creating if need be) the data directory `dir`. Refuses a folder that holds
    /// other things, one held by another process, and one from a newer schema.
    pub fn open(dir: &Path, cache_mb: u64) -> Result<Store> {
        prepare_dir(dir)?;
        let db = sled::Config::new()
            .path(dir.join("db"))
            .cache_capacity(cache_mb.max(1) * 1024 * 1024)
            .flush_every_ms(Some(200))
            .open()
            .map_err(|e| open_error(dir, e))?;
        let tree = |name: &str| db.open_tree(name).map_err(FactoryError::from);
        let store = Store {
            meta: tree("meta")?,
            runs: tree("runs")?,
            gates: tree("gates")?,
            tasks: tree("tasks")?,
            events: tree("events")?,
            alerts: tree("alerts")?,
            reports: tree("reports")?,
            cache: tree("cache")?,
            quality: tree("quality")?,
            db,
        };
        match store.meta.get("schema")? {
            Some(v) => {
                let found = std::str::from_utf8(&v).ok().and_then(|s| s.parse::<u32>().ok()).unwrap_or(u32::MAX);
                if found > SCHEMA_VERSION {
                    return Err(FactoryError::storage(format!(
                        "the data directory {} was written by a newer factory (schema {found}, this one reads {SCHEMA_VERSION}); upgrade factory or use another --data-dir",
                        dir.display()
                    )));
                }
            }
            None => {
                store.meta.insert("schema", SCHEMA_VERSION.to_string().as_bytes())?;
                store.db.flush()?;
            }
        }
        let _ = fs::write(dir.join(OWNER_PID), std::process::id().to_string());
        Ok(store)
    }
}

fn prepare_dir(dir: &Path) -> Result<()> {
    let marker = dir.join(DATA_DIR_MARKER);
    match fs::metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(FactoryError::storage(format!(
                "the data directory {} is a file, not a folder; pass a folder with --data-dir",
                dir.display()
            )));
        }
        Ok(_) => {
            if marker.exists() {
                return Ok(());
            }
            let mut entries = fs::read_dir(dir).map_err(|e| io_error(dir, e))?;
            if entries.next().is_some() {
                return Err(FactoryError::usage(format!(
                    "{} is not a factory data directory (it holds other files and no {DATA_DIR_MARKER} marker); pass an empty or new folder with --data-dir",
                    dir.display()
                )));
            }
        }
        Err(e) if e.kind() == IoKind::NotFound => {
            fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| io_error(dir, e))?;
        }
        Err(e) => return Err(io_error(dir, e)),
    }
    let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
    fs::write(&marker, format!("startup-factory data directory\nschema = {SCHEMA_VERSION}\n"))
        .map_err(|e| io_error(dir, e))
}

fn io_error(dir: &Path, e: std::io::Error) -> FactoryError {
    let hint = match e.kind() {
        IoKind::PermissionDenied | IoKind::ReadOnlyFilesystem => "check its permissions or pass another --data-dir",
        IoKind::StorageFull => "free some disk space",
        _ => "check the path and the disk",
    };
    FactoryError::storage(format!("cannot use the data directory {}: {e}; {hint}", dir.display()))
}

fn open_error(dir: &Path, e: sled::Error) -> FactoryError {
    let text = e.to_string();
    if text.contains("could not acquire lock") {
        let pid = fs::read_to_string(dir.join(OWNER_PID)).map(|p| format!(" (pid {})", p.trim())).unwrap_or_default();
        return FactoryError::new(
            ErrorKind::Held,
            format!(
                "the data directory {} is in use by another factory process{pid}; stop it, or use another --data-dir",
                dir.display()
            ),
        );
    }
    match e {
        sled::Error::Io(io) => io_error(dir, io),
        other => FactoryError::storage(format!(
            "the data store in {} cannot be opened ({other}); it may be damaged: restore a backup or use another --data-dir",
            dir.display()
        )),
    }
}
