//! Opening a data directory: create it private, recognise a factory's, lock it, check the schema.

use std::fs;
use std::io::ErrorKind as IoKind;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::AtomicU64;

use super::{Store, fault, last_frame, mark, safety};
use crate::error::{ErrorKind, FactoryError, Result};

/// Version of the layout of records in sled; a data directory from a newer one is refused,
/// one from an older one is read as it is and marked current (2: a record of the `events`
/// tree holds a group commit's events, where in 1 it held one event; both are read. 3: a
/// task not started yet is not written, and the plan task holds its plan, from which the
/// team's tasks are made again; stores of 2 have every task written, so read as they are).
pub const SCHEMA_VERSION: u32 = 3;

/// The file that marks a folder as a factory's data directory.
pub const DATA_DIR_MARKER: &str = "FACTORY_DATA_DIR";

const OWNER_PID: &str = "owner.pid";

impl Store {
    /// Opens (creating if need be) the data directory `dir`. Refuses a folder that holds
    /// other things, one held by another process, one from a newer schema, and a damaged
    /// store, which is left exactly as it was found.
    pub fn open(dir: &Path, cache_mb: u64) -> Result<Store> {
        prepare_dir(dir)?;
        let turn = safety::lock(dir);
        let copy = turn.as_ref().and_then(|_| safety::take(dir));
        let opened = sled::Config::new()
            .path(dir.join("db"))
            .cache_capacity(cache_mb.max(1) * 1024 * 1024)
            .flush_every_ms(Some(200))
            .open()
            .map_err(|e| open_error(dir, e))
            .and_then(|db| Store::with_db(dir, db));
        match (opened, copy) {
            (Ok(store), copy) => {
                if let Some(copy) = copy {
                    copy.discard();
                }
                drop(turn);
                last_frame::forget(dir);
                let _ = fs::write(dir.join(OWNER_PID), std::process::id().to_string());
                Ok(store)
            }
            (Err(e), Some(copy)) if e.kind != ErrorKind::Held => {
                let restored = copy.restore();
                let damaged = e.message.contains(&format!("{} (", fault::DAMAGED));
                Err(if restored && damaged { left_as_it_was(e) } else { e })
            }
            (Err(e), copy) => {
                if let Some(copy) = copy {
                    copy.discard();
                }
                Err(e)
            }
        }
    }

    /// The trees, once the schema is known to be one this factory reads (checked before
    /// any tree is made, so that a newer factory's store is not changed).
    fn with_db(dir: &Path, db: sled::Db) -> Result<Store> {
        let fail = |e: sled::Error| fault::from_sled(Some(dir), &e);
        let meta = db.open_tree("meta").map_err(fail)?;
        match meta.get("schema").map_err(fail)? {
            Some(v) => {
                let found = std::str::from_utf8(&v).ok().and_then(|s| s.parse::<u32>().ok()).unwrap_or(u32::MAX);
                if found > SCHEMA_VERSION {
                    return Err(FactoryError::storage(format!(
                        "the data directory {} was written by a newer factory (schema {found}, this one reads {SCHEMA_VERSION}); upgrade factory or use another --data-dir",
                        dir.display()
                    )));
                }
                if found < SCHEMA_VERSION {
                    // From now on it holds records an older factory cannot read: say so
                    // before writing any.
                    meta.insert("schema", SCHEMA_VERSION.to_string().as_bytes()).map_err(fail)?;
                    db.flush().map_err(fail)?;
                }
            }
            None => {
                meta.insert("schema", SCHEMA_VERSION.to_string().as_bytes()).map_err(fail)?;
                db.flush().map_err(fail)?;
            }
        }
        let commits = match meta.get(mark::COMMIT_KEY).map_err(fail)? {
            Some(v) => std::str::from_utf8(&v).ok().and_then(|s| s.parse::<u64>().ok()).unwrap_or(0),
            None => 0,
        };
        let saved = mark::Mark::read(dir);
        if commits < saved.value() {
            return Err(FactoryError::storage(fault::message(
                Some(dir),
                fault::Cause::Damaged,
                &format!(
                    "it ends at commit {commits}, but commit {} was saved; a db/ restored alone from an older backup needs saved.mark removed too",
                    saved.value()
                ),
            )));
        }
        let tree = |name: &str| db.open_tree(name).map_err(fail);
        Ok(Store {
            dir: dir.to_path_buf(),
            meta,
            runs: tree("runs")?,
            gates: tree("gates")?,
            tasks: tree("tasks")?,
            events: tree("events")?,
            alerts: tree("alerts")?,
            reports: tree("reports")?,
            cache: tree("cache")?,
            quality: tree("quality")?,
            commits: AtomicU64::new(commits),
            mark: saved,
            min_free: super::DEFAULT_MIN_FREE_MB * 1024 * 1024,
            db,
        })
    }
}

/// A refusal after the store was put back as it was found.
fn left_as_it_was(e: FactoryError) -> FactoryError {
    let message = match e.message.rsplit_once("; ") {
        Some((what, todo)) => format!("{what}; it was left as it was found: {todo}"),
        None => e.message,
    };
    FactoryError { message, ..e }
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
    let (cause, what) = fault::io_cause(&e);
    FactoryError::storage(fault::message(Some(dir), cause, &what))
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
        other => fault::from_sled(Some(dir), &other),
    }
}
