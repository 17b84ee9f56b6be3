//! Finding a Python interpreter >= 3.12 for the checks (on PATH, then in pyenv's versions).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The oldest Python the templates accept.
pub const MIN_PYTHON: (u32, u32) = (3, 12);

/// A Python interpreter that was run and answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Python {
    /// The interpreter's own file (symlinks resolved).
    pub executable: PathBuf,
    /// `sys.base_prefix`: the installation the interpreter's standard library lives in.
    pub prefix: PathBuf,
    /// Major, minor, micro.
    pub version: (u32, u32, u32),
    /// Whether `python -m venv` can create a venv with pip (`ensurepip` is there).
    pub has_venv: bool,
}

impl Python {
    /// `3.12.1`
    pub fn version_text(&self) -> String {
        format!("{}.{}.{}", self.version.0, self.version.1, self.version.2)
    }
}

const PROBE: &str = "import sys\ntry:\n import ensurepip, venv\n v = 1\nexcept Exception:\n v = 0\nprint(sys.version_info[0], sys.version_info[1], sys.version_info[2], v)\nprint(sys.executable)\nprint(sys.base_prefix)\n";

/// Runs a candidate interpreter and reads what it says about itself (within 10 s).
pub fn probe(program: &Path) -> Option<Python> {
    let mut child = Command::new(program)
        .args(["-I", "-c", PROBE])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let mut lines = text.lines();
    let nums: Vec<u32> = lines.next()?.split_whitespace().filter_map(|n| n.parse().ok()).collect();
    let [major, minor, micro, venv] = nums[..] else { return None };
    let executable = std::fs::canonicalize(lines.next()?).ok()?;
    let prefix = PathBuf::from(lines.next()?);
    Some(Python { executable, prefix, version: (major, minor, micro), has_venv: venv == 1 })
}

/// The places to look, in order: `python3.13`, `python3.12`, `python3` on `path`, then
/// `<pyenv_root>/versions/*/bin/python3`, newest version first.
pub fn candidates(path: Option<&OsStr>, pyenv_root: Option<&Path>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for name in ["python3.13", "python3.12", "python3"] {
        // A pyenv shim is a script that asks pyenv which version to run (slow, and it fails
        // where none is selected): its versions are looked at directly below instead.
        if let Some(p) = super::tools::which(name, path)
            && p.parent().is_none_or(|d| d.file_name().is_none_or(|n| n != "shims"))
        {
            out.push(p);
        }
    }
    // pyenv's root as named, and that of any pyenv `shims` folder on PATH (its shims need
    // variables a cleared environment may lack, so the versions are looked at directly).
    let mut roots: Vec<PathBuf> = pyenv_root.map(Path::to_path_buf).into_iter().collect();
    if let Some(path) = path {
        for dir in std::env::split_paths(path) {
            if dir.file_name().is_some_and(|n| n == "shims")
                && let Some(root) = dir.parent()
                && !roots.iter().any(|r| r == root)
            {
                roots.push(root.to_path_buf());
            }
        }
    }
    for root in &roots {
        let Ok(entries) = std::fs::read_dir(root.join("versions")) else { continue };
        let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let nums: Option<Vec<u32>> = name.split('.').map(|n| n.parse().ok()).collect();
                let nums = nums.filter(|n| n.len() >= 2)?;
                let bin = e.path().join("bin").join("python3");
                bin.is_file().then_some((nums, bin))
            })
            .collect();
        versions.sort_by(|a, b| b.0.cmp(&a.0));
        out.extend(versions.into_iter().map(|(_, p)| p));
    }
    out
}

/// pyenv's root: `$PYENV_ROOT`, else `~/.pyenv`.
pub fn pyenv_root() -> Option<PathBuf> {
    std::env::var_os("PYENV_ROOT")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".pyenv")))
}

/// The first interpreter >= 3.12 that can make venvs, else the first >= 3.12 at all.
pub fn discover(path: Option<&OsStr>, pyenv_root: Option<&Path>) -> Option<Python> {
    let mut seen = Vec::new();
    let mut without_venv = None;
    for c in candidates(path, pyenv_root) {
        let Some(py) = probe(&c) else { continue };
        if seen.contains(&py.executable) {
            continue;
        }
        seen.push(py.executable.clone());
        if (py.version.0, py.version.1) < MIN_PYTHON {
            continue;
        }
        if py.has_venv {
            return Some(py);
        }
        without_venv.get_or_insert(py);
    }
    without_venv
}

/// The machine's interpreter: `discover` with this process's PATH and pyenv root.
pub fn discover_here() -> Option<Python> {
    discover(std::env::var_os("PATH").as_deref(), pyenv_root().as_deref())
}

/// `discover_here`, looked up once for the whole process (for listings, not for checks:
/// a `Sandbox` looks for its own).
pub fn found_here() -> Option<&'static Python> {
    static FOUND: std::sync::OnceLock<Option<Python>> = std::sync::OnceLock::new();
    FOUND.get_or_init(discover_here).as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyenv_versions_come_newest_first_and_junk_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        for v in ["3.9.18", "3.13.0", "3.12.1", "system", "3.10.13"] {
            let bin = dir.path().join("versions").join(v).join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            std::fs::write(bin.join("python3"), "").unwrap();
        }
        let empty = std::ffi::OsString::new();
        let found: Vec<String> = candidates(Some(&empty), Some(dir.path()))
            .iter()
            .map(|p| p.parent().unwrap().parent().unwrap().file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(found, ["3.13.0", "3.12.1", "3.10.13", "3.9.18"]);
    }

    #[test]
    fn a_program_that_is_not_python_is_no_candidate() {
        assert_eq!(probe(Path::new("/bin/false")), None);
        assert_eq!(probe(Path::new("/nonexistent/python3")), None);
    }

    #[test]
    fn the_found_python_is_new_enough() {
        // Whatever this machine has: if anything is found, it is >= 3.12 and it runs.
        if let Some(py) = discover_here() {
            assert!((py.version.0, py.version.1) >= MIN_PYTHON, "{py:?}");
            assert!(py.executable.is_absolute());
            assert_eq!(probe(&py.executable).map(|p| p.version), Some(py.version));
        }
    }
}
