//! Ready venvs: a pip install step's dependencies installed once, then copied into each run.
//!
//! The dependencies of a `pip install` step are installed once per template version and
//! dependency set, then copied into each run's venv before its install step,
//! so that pip finds them there and downloads nothing (pip's own HTTP cache is of no help
//! behind a proxy that strips cache headers, as on the machine this was measured on).
//!
//! A ready venv is built in the sandbox from the dependency lists of `pyproject.toml`
//! only (no code of the run takes part), under a file lock, and is read-only to every
//! check afterwards, the install steps included. At most `KEEP` are kept per template
//! version, the least recently used going first.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::Check;

/// Ready venvs kept per template version.
pub const KEEP: usize = 3;

/// The copy step: the ready venv into the run's venv folder, its scripts pointed at their
/// new place. Runs in the sandbox, with the run's folder as its only writable one.
pub const COPY_SCRIPT: &str = r#"
import os, shutil, sys
src, dst, old = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
tmp = dst + ".factory-copy"
if os.path.lexists(tmp):
    shutil.rmtree(tmp) if os.path.isdir(tmp) and not os.path.islink(tmp) else os.remove(tmp)
shutil.copytree(src, tmp, symlinks=True)
bindir = os.path.join(tmp, "bin")
for name in os.listdir(bindir):
    p = os.path.join(bindir, name)
    if os.path.islink(p) or not os.path.isfile(p):
        continue
    with open(p, "rb") as f:
        data = f.read()
    if old.encode() in data:
        with open(p, "wb") as f:
            f.write(data.replace(old.encode(), dst.encode()))
if os.path.lexists(dst):
    shutil.rmtree(dst) if os.path.isdir(dst) and not os.path.islink(dst) else os.remove(dst)
os.rename(tmp, dst)
"#;

/// A `<venv>/bin/python -m pip install [-q] [-e] .[extras]` step and what it installs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipStep {
    /// The venv folder, relative to the check's folder (`.venv`).
    pub venv: PathBuf,
    /// Requirement lines: the project's dependencies and those of the extras named.
    pub requirements: Vec<String>,
    /// Names the ready venv: the interpreter and the requirements.
    pub key: String,
}

/// The pip install step `check` is, reading the dependencies from `cwd/pyproject.toml`;
/// `None` for any other check, or arguments or a project this does not understand.
pub fn detect(check: &Check, cwd: &Path, python: &str) -> Option<PipStep> {
    let (program, args) = check.command.split_first()?;
    let venv = Path::new(program).parent()?.parent()?;
    let name = Path::new(program).file_name()?.to_str()?;
    if !(name == "python" || name == "python3") || venv.as_os_str().is_empty() || program.starts_with('/') {
        return None;
    }
    if args.get(..3)? != ["-m", "pip", "install"] {
        return None;
    }
    let mut target = None;
    for a in &args[3..] {
        match a.as_str() {
            "-q" | "--quiet" | "-e" | "--editable" | "--prefer-binary" => {}
            t if t == "." || t.starts_with(".[") => target = Some(t.to_string()),
            _ => return None,
        }
    }
    let target = target?;
    let extras: Vec<&str> = match target.strip_prefix(".[") {
        Some(rest) => rest.strip_suffix(']')?.split(',').map(str::trim).filter(|e| !e.is_empty()).collect(),
        None => Vec::new(),
    };
    let text = std::fs::read_to_string(cwd.join("pyproject.toml")).ok()?;
    let doc: toml::Table = toml::from_str(&text).ok()?;
    let project = doc.get("project")?.as_table()?;
    let strings = |v: Option<&toml::Value>| -> Option<Vec<String>> {
        match v {
            None => Some(Vec::new()),
            Some(v) => v.as_array()?.iter().map(|s| s.as_str().map(str::to_string)).collect(),
        }
    };
    let mut requirements = strings(project.get("dependencies"))?;
    let optional = project.get("optional-dependencies").and_then(|o| o.as_table());
    for e in extras {
        requirements.extend(strings(optional.and_then(|o| o.get(e)))?);
    }
    // A requirement is one line of a requirements file: nothing that would be read as an
    // option or another file.
    if requirements.iter().any(|r| r.trim().is_empty() || r.trim_start().starts_with('-') || r.contains(['\n', '\r'])) {
        return None;
    }
    requirements.sort();
    requirements.dedup();
    let mut h = Sha256::new();
    h.update(python.as_bytes());
    for r in &requirements {
        h.update(b"\n");
        h.update(r.as_bytes());
    }
    let key: String = h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
    Some(PipStep { venv: venv.to_path_buf(), requirements, key })
}

/// Where ready venvs of one template version live.
pub fn envs_dir(template_cache: &Path) -> PathBuf {
    template_cache.join("envs")
}

/// The ready venv of `key`, if it was built: (its folder, the path it was built at).
pub fn ready(template_cache: &Path, key: &str) -> Option<(PathBuf, String)> {
    let dir = envs_dir(template_cache).join(key);
    let built_at = std::fs::read_to_string(dir.join("built_at")).ok()?;
    let venv = dir.join("venv");
    venv.join("bin").is_dir().then_some((venv, built_at.trim().to_string()))
}

/// Marks `key` as used now, and removes the least recently used ready venvs beyond `KEEP`.
pub fn touch_and_trim(template_cache: &Path, key: &str) {
    let envs = envs_dir(template_cache);
    let _ = std::fs::write(envs.join(key).join("used"), b"");
    let Ok(entries) = std::fs::read_dir(&envs) else { return };
    let mut all: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| e.path().join("built_at").is_file())
        .filter_map(|e| {
            let used = std::fs::metadata(e.path().join("used")).and_then(|m| m.modified()).ok()?;
            Some((used, e.path()))
        })
        .collect();
    all.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (_, old) in all.into_iter().skip(KEEP) {
        let _ = std::fs::remove_dir_all(old);
    }
}

/// An exclusive lock on `path` (made if missing), held until the file is dropped.
pub fn lock(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    let f = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(path)?;
    // SAFETY: flock on a descriptor we own; it blocks until the lock is ours.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(command: &[&str]) -> Check {
        Check {
            name: "install".into(),
            command: command.iter().map(|s| s.to_string()).collect(),
            cwd: None,
            network: true,
        }
    }

    const PYPROJECT: &str = r#"
[project]
name = "ledgerly-backend"
description = "anything, per run"
dependencies = ["fastapi>=0.115", "uvicorn[standard]>=0.30"]
[project.optional-dependencies]
dev = ["pytest>=8.2", "httpx>=0.27"]
docs = ["mkdocs"]
"#;

    #[test]
    fn a_pip_install_step_is_read_with_its_extras() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pyproject.toml"), PYPROJECT).unwrap();
        let step =
            detect(&check(&[".venv/bin/python", "-m", "pip", "install", "-q", "-e", ".[dev]"]), dir.path(), "py3.13")
                .unwrap();
        assert_eq!(step.venv, Path::new(".venv"));
        assert_eq!(step.requirements, ["fastapi>=0.115", "httpx>=0.27", "pytest>=8.2", "uvicorn[standard]>=0.30"]);
        // The key depends on the dependencies, not on the per-run name or description.
        std::fs::write(
            dir.path().join("pyproject.toml"),
            PYPROJECT.replace("ledgerly", "other").replace("anything", "x"),
        )
        .unwrap();
        let again = detect(&check(&[".venv/bin/python", "-m", "pip", "install", "-e", ".[dev]"]), dir.path(), "py3.13");
        assert_eq!(again.map(|s| s.key), Some(step.key.clone()));
        let other_python =
            detect(&check(&[".venv/bin/python", "-m", "pip", "install", ".[dev]"]), dir.path(), "py3.12");
        assert_ne!(other_python.map(|s| s.key), Some(step.key));
    }

    #[test]
    fn other_commands_are_not_pip_steps() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pyproject.toml"), PYPROJECT).unwrap();
        for c in [
            &["npm", "install"][..],
            &["python3", "-m", "pip", "install", "."],
            &["/usr/bin/python", "-m", "pip", "install", "."],
            &[".venv/bin/python", "-m", "pytest"],
            &[".venv/bin/python", "-m", "pip", "install", "-r", "requirements.txt"],
            &[".venv/bin/python", "-m", "pip", "install", ".[nope"],
        ] {
            assert_eq!(detect(&check(c), dir.path(), "py"), None, "{c:?}");
        }
        std::fs::write(dir.path().join("pyproject.toml"), "[project]\ndependencies = [\"--index-url=http://x\"]\n")
            .unwrap();
        assert_eq!(detect(&check(&[".venv/bin/python", "-m", "pip", "install", "."]), dir.path(), "py"), None);
    }

    #[test]
    fn only_the_most_recently_used_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        for (i, key) in ["a", "b", "c", "d"].iter().enumerate() {
            let d = envs_dir(dir.path()).join(key);
            std::fs::create_dir_all(d.join("venv/bin")).unwrap();
            std::fs::write(d.join("built_at"), "/x").unwrap();
            std::fs::write(d.join("used"), "").unwrap();
            let t = std::time::SystemTime::now() - std::time::Duration::from_secs(100 - i as u64 * 10);
            std::fs::File::options().write(true).open(d.join("used")).unwrap().set_modified(t).unwrap();
        }
        touch_and_trim(dir.path(), "a");
        let left: Vec<bool> = ["a", "b", "c", "d"].iter().map(|k| ready(dir.path(), k).is_some()).collect();
        assert_eq!(left, [true, false, true, true]);
    }
}
