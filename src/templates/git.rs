//! Fetching a template from a git URL: a shallow `git clone` without prompts, bounded in
//! time, with any password in the URL kept out of messages.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Longest a clone may take.
const CLONE_TIMEOUT: Duration = Duration::from_secs(120);

/// Whether `source` names a git repository rather than a folder or an archive.
pub fn is_git_url(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    ["https://", "http://", "ssh://", "git://", "file://", "git+ssh://"].iter().any(|p| lower.starts_with(p))
        || (lower.starts_with("git@") && lower.contains(':'))
        || (lower.ends_with(".git") && !Path::new(source).is_file())
}

/// The URL with any `user:password@` replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && !userinfo.contains('/')
    {
        return format!("{scheme}://…@{host}");
    }
    url.to_string()
}

/// `git clone --depth 1` of `url` into the folder `into` (which must not exist yet).
pub fn clone(url: &str, into: &Path) -> Result<(), String> {
    let shown = redact(url);
    let mut child = std::process::Command::new("git")
        .args(["clone", "--depth", "1", "--quiet", "--no-tags", "--"])
        .arg(url)
        .arg(into)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "true")
        .env("SSH_ASKPASS", "true")
        .env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "git is not installed, so `{shown}` cannot be cloned; install git or import a folder or archive"
                )
            } else {
                format!("git could not start ({e})")
            }
        })?;
    let deadline = Instant::now() + CLONE_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "git clone of `{shown}` took longer than {} s and was stopped; check the URL and your network",
                    CLONE_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("git clone of `{shown}` failed ({e})")),
        }
    };
    if status.success() {
        return Ok(());
    }
    let mut err = String::new();
    if let Some(mut s) = child.stderr.take() {
        use std::io::Read;
        let _ = s.read_to_string(&mut err);
    }
    // git's first `fatal:` line says what went wrong; the lines after it are advice.
    let lines: Vec<&str> = err.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let why = lines
        .iter()
        .find(|l| l.starts_with("fatal:"))
        .or(lines.last())
        .copied()
        .unwrap_or("no reason given")
        .trim_start_matches("fatal: ")
        .replace(url, &shown);
    Err(format!("git could not clone `{shown}` ({why}); check the URL and that you can reach it"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_git_urls() {
        for yes in ["https://example.com/t.git", "file:///tmp/t.git", "git@host:org/t.git", "ssh://git@host/t"] {
            assert!(is_git_url(yes), "{yes}");
        }
        for no in ["./my-template", "/tmp/t.tar.gz", "template"] {
            assert!(!is_git_url(no), "{no}");
        }
    }

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(redact("https://bob:s3cret@host/t.git"), "https://…@host/t.git");
        assert_eq!(redact("https://host/a@b"), "https://host/a@b");
        let d = tempfile::tempdir().unwrap();
        let err = clone("file://bob:s3cret@/nowhere/at/all.git", &d.path().join("x")).unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
        assert!(err.starts_with("git could not clone") || err.starts_with("git is not installed"), "{err}");
    }
}
