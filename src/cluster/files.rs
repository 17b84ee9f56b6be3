//! The files a check round needs, as one reproducible tar keyed by its SHA-256: the run's
//! `app/` without what the checks install or cache, packed on the orchestrator and
//! unpacked by a worker, which refuses any entry that would land outside its folder.

use std::io::Read;
use std::path::{Component, Path};

use sha2::{Digest, Sha256};

use super::protocol::MAX_FILES_BYTES;

/// A packed `app/`: the tar's bytes and their hash (the object's name).
pub struct Bundle {
    pub bytes: Vec<u8>,
    pub hash: String,
}

/// The SHA-256 of `bytes`, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Packs the regular files under `app` (sorted, times and owners zeroed, so that the same
/// files give the same hash), leaving out symlinks and the folders the checks make.
pub fn pack(app: &Path) -> Result<Bundle, String> {
    let mut files = Vec::new();
    walk(app, app, &mut files)?;
    files.sort();
    let mut builder = tar::Builder::new(Vec::new());
    let mut total = 0u64;
    for rel in files {
        let path = app.join(&rel);
        let data = std::fs::read(&path).map_err(|e| format!("cannot read app/{rel} ({e})"))?;
        total += data.len() as u64;
        if total > MAX_FILES_BYTES {
            return Err(format!("app/ holds more than {MAX_FILES_BYTES} bytes of files to check"));
        }
        let executable =
            std::fs::metadata(&path).map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0);
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(if executable.unwrap_or(false) { 0o755 } else { 0o644 });
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, &rel, data.as_slice()).map_err(|e| format!("cannot pack app/{rel} ({e})"))?;
    }
    let bytes = builder.into_inner().map_err(|e| format!("cannot pack app/ ({e})"))?;
    Ok(Bundle { hash: sha256_hex(&bytes), bytes })
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && dir == root => return Ok(()),
        Err(e) => return Err(format!("cannot list {} ({e})", dir.display())),
    };
    for e in entries.flatten() {
        let Ok(kind) = e.file_type() else { continue };
        let path = e.path();
        if kind.is_dir() {
            if !crate::orchestrator::made_by_checks(&e.file_name()) {
                walk(root, &path, out)?;
            }
        } else if kind.is_file()
            && let Ok(rel) = path.strip_prefix(root)
        {
            out.push(rel.to_string_lossy().into_owned());
        }
    }
    Ok(())
}

/// Unpacks a bundle into the empty folder `into`, after checking its hash is `expected`.
/// Only regular files and folders with plain relative names are written.
pub fn unpack(bytes: &[u8], expected: &str, into: &Path) -> Result<usize, String> {
    let got = sha256_hex(bytes);
    if got != expected {
        return Err(format!("the files' hash is {got}, not the {expected} the job named"));
    }
    let mut archive = tar::Archive::new(bytes);
    let mut written = 0;
    let mut total = 0u64;
    for entry in archive.entries().map_err(|e| format!("the files are not a tar ({e})"))? {
        let mut entry = entry.map_err(|e| format!("the files are not a tar ({e})"))?;
        let name = entry.path().map_err(|e| format!("an entry's name is unreadable ({e})"))?.into_owned();
        if name.as_os_str().is_empty() || !name.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(format!(
                "the entry `{}` would land outside the workspace",
                crate::sanitize::line(&name.to_string_lossy())
            ));
        }
        match entry.header().entry_type() {
            tar::EntryType::Regular => {}
            tar::EntryType::Directory => continue,
            other => return Err(format!("the entry `{}` is a {other:?}, not a file", name.display())),
        }
        total += entry.size();
        if total > MAX_FILES_BYTES {
            return Err(format!("the files unpack to more than {MAX_FILES_BYTES} bytes"));
        }
        let target = into.join(&name);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot make {} ({e})", parent.display()))?;
        }
        let mut data = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut data).map_err(|e| format!("cannot read the entry {} ({e})", name.display()))?;
        std::fs::write(&target, &data).map_err(|e| format!("cannot write {} ({e})", target.display()))?;
        if entry.header().mode().is_ok_and(|m| m & 0o111 != 0) {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755));
        }
        written += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_files_pack_to_the_same_hash_without_what_checks_install() {
        let a = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(a.path().join("backend/.venv/lib")).unwrap();
        std::fs::create_dir_all(a.path().join("backend/app")).unwrap();
        std::fs::write(a.path().join("backend/app/main.py"), "x = 1\n").unwrap();
        std::fs::write(a.path().join("backend/.venv/lib/big.so"), "binary").unwrap();
        let one = pack(a.path()).unwrap();
        let two = pack(a.path()).unwrap();
        assert_eq!(one.hash, two.hash);
        let out = tempfile::tempdir().unwrap();
        assert_eq!(unpack(&one.bytes, &one.hash, out.path()).unwrap(), 1);
        assert_eq!(std::fs::read_to_string(out.path().join("backend/app/main.py")).unwrap(), "x = 1\n");
        assert!(!out.path().join("backend/.venv").exists());
        std::fs::write(a.path().join("backend/app/main.py"), "x = 2\n").unwrap();
        assert_ne!(pack(a.path()).unwrap().hash, one.hash);
    }

    #[test]
    fn a_wrong_hash_or_an_escaping_entry_writes_nothing() {
        let out = tempfile::tempdir().unwrap();
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(2);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        // `append_data` refuses `..`, so write the name into the header by hand.
        h.as_gnu_mut().unwrap().name[..9].copy_from_slice(b"../evil.t");
        h.set_cksum();
        b.append(&h, &b"hi"[..]).unwrap();
        let bytes = b.into_inner().unwrap();
        let hash = sha256_hex(&bytes);
        assert!(unpack(&bytes, "0000", out.path()).unwrap_err().contains("hash"));
        let e = unpack(&bytes, &hash, out.path()).unwrap_err();
        assert!(e.contains("outside the workspace"), "{e}");
        assert!(!out.path().parent().unwrap().join("evil.t").exists());
    }
}
