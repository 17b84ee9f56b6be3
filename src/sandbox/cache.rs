//! Dependency caches per template version, and the private `bin/` that gives checks `python3`.
//!
//! Layout under the cache root:
//! - `<template>@<version>/pip`, `.../npm`: pip's and npm's download caches, so that a
//!   hundred runs of a template download its packages once. Install steps (`network =
//!   true`) get them read-write, other checks read-only. Runs of the same template version
//!   share them: an install step of one run could write into what a later run reads (npm
//!   checks the integrity of what it reads back; pip's HTTP cache is trusted as written).
//!   pip's HTTP cache only keeps what the server marks cacheable, which a proxy may not.
//! - `<template>@<version>/envs/<key>/venv`: ready venvs (see `venv`), read-only to every
//!   check, install steps included.
//! - `bin/<python version>-<hash>/python3` (and `python`): links to the interpreter found.
//!   A venv made by a check points at this link, so it stays where it is.

use std::io;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The cache folder of `template`@`version`, its name made of safe characters only.
pub fn template_dir(root: &Path, template: &str, version: &str) -> PathBuf {
    let safe = |s: &str| -> String {
        let s: String =
            s.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.+".contains(c) { c } else { '_' }).take(64).collect();
        if s.is_empty() || s.chars().all(|c| c == '.') { "_".into() } else { s }
    };
    root.join(format!("{}@{}", safe(template), safe(version)))
}

/// Makes the template's cache folders (`pip`, `npm`, `envs`), returning the template's folder.
pub fn prepare_template(root: &Path, template: &str, version: &str) -> io::Result<PathBuf> {
    let dir = template_dir(root, template, version);
    for sub in ["pip", "npm", "envs"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    Ok(dir)
}

/// The cache variables a check gets: pip's and npm's caches in `dir`.
pub fn env(dir: &Path) -> Vec<(String, String)> {
    let p = |sub: &str| dir.join(sub).to_string_lossy().into_owned();
    vec![("PIP_CACHE_DIR".into(), p("pip")), ("npm_config_cache".into(), p("npm"))]
}

/// The private `bin/` folder with `python3` and `python` linking to `python` (none when no
/// interpreter was found), made once and kept.
pub fn private_bin(root: &Path, python: Option<&Path>, version: &str) -> io::Result<PathBuf> {
    let Some(python) = python else {
        let dir = root.join("bin").join("none");
        std::fs::create_dir_all(&dir)?;
        return Ok(dir);
    };
    let hash = Sha256::digest(python.as_os_str().as_encoded_bytes());
    let tag: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let dir = root.join("bin").join(format!("{version}-{tag}"));
    std::fs::create_dir_all(&dir)?;
    for name in ["python3", "python"] {
        let link = dir.join(name);
        if std::fs::read_link(&link).is_ok_and(|t| t == python) {
            continue;
        }
        // Made beside and renamed over, so that a concurrent check never sees it missing;
        // named for this call alone (two rounds of one process may make it at once).
        static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}.{call}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        symlink(python, &tmp)?;
        std::fs::rename(&tmp, &link)?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_folders_are_safe_names() {
        let root = Path::new("/c");
        assert_eq!(template_dir(root, "neoforge", "1.0.0"), Path::new("/c/neoforge@1.0.0"));
        assert_eq!(template_dir(root, "../x", "1.0.0+b/../.."), Path::new("/c/.._x@1.0.0+b_.._.."));
        assert_eq!(template_dir(root, "..", ""), Path::new("/c/_@_"));
    }

    #[test]
    fn rounds_of_one_process_make_the_private_bin_at_once_without_failing() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let root = root.clone();
                std::thread::spawn(move || {
                    // Each version a new folder that all eight make at the same moment.
                    (0..50)
                        .map(|i| private_bin(&root, Some(Path::new("/usr/bin/python3.12")), &format!("3.12.{i}")))
                        .filter(Result::is_err)
                        .count()
                })
            })
            .collect();
        let failed: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(failed, 0, "a concurrent round saw its link made and then taken away");
    }

    #[test]
    fn the_private_bin_links_python_and_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        let a = private_bin(dir.path(), Some(Path::new("/usr/bin/python3.12")), "3.12.1").unwrap();
        let b = private_bin(dir.path(), Some(Path::new("/usr/bin/python3.12")), "3.12.1").unwrap();
        assert_eq!(a, b);
        assert_eq!(std::fs::read_link(a.join("python3")).unwrap(), Path::new("/usr/bin/python3.12"));
        assert_eq!(std::fs::read_link(a.join("python")).unwrap(), Path::new("/usr/bin/python3.12"));
        let none = private_bin(dir.path(), None, "").unwrap();
        assert!(std::fs::read_dir(none).unwrap().next().is_none());
    }
}
