//! Python syntax checks for the integration step: one long-lived `python3` that parses
//! files with `ast.parse` (never running them), shared by every run, so a check costs a
//! line on a pipe rather than an interpreter start.

use std::path::Path;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::Mutex;

const SCRIPT: &str = r#"
import ast, json, sys
for line in sys.stdin:
    problems = []
    for f in json.loads(line):
        try:
            with open(f, encoding="utf-8") as h:
                ast.parse(h.read(), f)
        except Exception as e:
            problems.append(f"{f}: {type(e).__name__}: {e}")
    print(json.dumps(problems), flush=True)
"#;

struct Checker {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// The shared checker; `None` inside when `python3` is not installed.
#[derive(Default)]
pub(crate) struct PyCheck {
    inner: Mutex<Option<Option<Checker>>>,
}

impl PyCheck {
    fn spawn() -> Option<Checker> {
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(SCRIPT)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .ok()?;
        let stdin = child.stdin.take()?;
        let stdout = BufReader::new(child.stdout.take()?);
        Some(Checker { _child: child, stdin, stdout })
    }

    /// Problems found in `files` (paths relative to `root`), one line each (empty when all
    /// parse), or why they could not be checked: no `python3`, or it died. Never "no
    /// problems" for files nobody read.
    pub async fn check(&self, root: &Path, files: &[String]) -> Result<Vec<String>, String> {
        if files.is_empty() {
            return Ok(Vec::new());
        }
        let mut guard = self.inner.lock().await;
        let checker = guard.get_or_insert_with(Self::spawn);
        let Some(c) = checker.as_mut() else {
            // Looked for again next time: it may have been installed since.
            *guard = None;
            return Err("python3 is not installed, so the Python files' syntax was not checked".into());
        };
        let paths: Vec<String> = files.iter().map(|f| root.join(f).to_string_lossy().into_owned()).collect();
        let mut line = serde_json::to_string(&paths).unwrap_or_default();
        line.push('\n');
        let mut answer = String::new();
        let ok = c.stdin.write_all(line.as_bytes()).await.is_ok()
            && c.stdout.read_line(&mut answer).await.is_ok_and(|n| n > 0);
        let parsed = if ok { serde_json::from_str::<Vec<String>>(&answer).ok() } else { None };
        let Some(problems) = parsed else {
            // The checker died; try a fresh one next time.
            *guard = None;
            return Err(
                "the Python syntax checker (python3) stopped answering, so the Python files were not checked".into()
            );
        };
        let prefix = format!("{}/", root.display());
        Ok(problems.into_iter().map(|p| p.strip_prefix(&prefix).map(str::to_string).unwrap_or(p)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn finds_syntax_errors_without_running_code() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ok.py"), "x = 1\n").unwrap();
        std::fs::write(dir.path().join("bad.py"), "def f(:\n").unwrap();
        let check = PyCheck::default();
        let files = vec!["ok.py".to_string(), "bad.py".to_string()];
        let result = check.check(dir.path(), &files).await;
        if Command::new("python3").arg("-V").output().await.is_err() {
            assert!(std::env::var("CI").is_err(), "python3 is required under CI");
            assert!(result.unwrap_err().contains("python3 is not installed"));
            return;
        }
        let problems = result.unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("bad.py: SyntaxError"), "{problems:?}");
        // Used twice: the same process answers again.
        assert_eq!(check.check(dir.path(), &files[..1]).await, Ok(Vec::<String>::new()));
    }
}
