//! Finding programs: a `PATH` lookup, and where node and npm live.

use std::ffi::{OsStr, OsString};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The system folders every check's `PATH` holds, after the private one.
pub const SYSTEM_PATH: [&str; 3] = ["/usr/local/bin", "/usr/bin", "/bin"];

/// The first executable file named `name` in the folders of `path` (a `PATH` value).
pub fn which(name: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    if name.is_empty() || name.contains('/') {
        return None;
    }
    std::env::split_paths(path?).filter(|d| d.is_absolute()).map(|d| d.join(name)).find(|p| is_executable(p))
}

/// Whether `p` is a file (after symlinks) that someone may execute.
pub fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The folder `node` and `npm` are in on this process's `PATH`, if they are installed
/// somewhere other than the system folders (nvm, a tarball in /opt, ...).
pub fn node_dirs(path: Option<&OsStr>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for name in ["node", "npm", "npx"] {
        if let Some(p) = which(name, path)
            && let Some(dir) = p.parent()
            && !SYSTEM_PATH.iter().any(|s| Path::new(s) == dir)
            && !out.iter().any(|d| d == dir)
        {
            out.push(dir.to_path_buf());
        }
    }
    out
}

/// The installation folder of node (`<prefix>/bin/node` gives `<prefix>`), which the
/// sandbox must be able to read when it is in a hidden folder such as the home folder.
pub fn node_prefix(path: Option<&OsStr>) -> Option<PathBuf> {
    let node = std::fs::canonicalize(which("node", path)?).ok()?;
    Some(node.parent()?.parent()?.to_path_buf())
}

/// `PATH` for a check: the private folder first, then the system folders, then node's.
pub fn check_path(private_bin: &Path, node_dirs: &[PathBuf]) -> OsString {
    let mut dirs: Vec<PathBuf> = vec![private_bin.to_path_buf()];
    dirs.extend(SYSTEM_PATH.iter().map(PathBuf::from));
    dirs.extend(node_dirs.iter().cloned());
    std::env::join_paths(dirs).unwrap_or_else(|_| OsString::from("/usr/local/bin:/usr/bin:/bin"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_finds_executables_only() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("tool");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        std::fs::write(dir.path().join("data"), "").unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::join_paths([Path::new("/nonexistent"), dir.path()]).unwrap();
        assert_eq!(which("tool", Some(&path)), Some(exe));
        assert_eq!(which("data", Some(&path)), None);
        assert_eq!(which("../tool", Some(&path)), None);
        assert_eq!(which("sh", None), None);
    }

    #[test]
    fn the_check_path_puts_the_private_folder_first() {
        let p = check_path(Path::new("/cache/bin"), &[PathBuf::from("/opt/node/bin")]);
        assert_eq!(p, OsString::from("/cache/bin:/usr/local/bin:/usr/bin:/bin:/opt/node/bin"));
    }
}
