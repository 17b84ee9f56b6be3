//! Running the real `factory` binary in a private data directory, as a user would.

#![allow(dead_code)]

pub mod tmux;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// Config lines that turn the template's checks off, for tests about something else.
pub const NO_CHECKS: &str = "[checks]\nenabled = false\n";

/// A test's prerequisite (a tool, a privilege) is missing. Under `CI=true` that fails the
/// test, since `.ci/run` installs what the tests need and runs them as root; elsewhere the
/// test says what it skipped, and goes on without that part.
pub fn skip_or_fail(what: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{what}, and under CI=true a missing prerequisite fails the test: run .ci/run as root, which installs them"
        );
    }
    eprintln!("skipped: {what}");
}

/// Runs one test of the current test binary again with `CI=true` and an empty `PATH`:
/// whether it passed, and what it printed. For the tests that a missing tool must fail.
pub fn rerun_under_ci_without_tools(test: &str) -> (bool, String) {
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--test-threads=1"])
        .env("CI", "true")
        .env("PATH", empty.path())
        .env("FACTORY_INNER_TEST", "1")
        .output()
        .unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

pub struct Factory {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Factory {
    pub fn new() -> Self {
        let f = Factory { dir: tempfile::tempdir().unwrap() };
        // The user config a test gets without `--config`: the template's checks off (they
        // install packages; the tests of checks turn them on in their own config).
        let user = f.dir.path().join("config/startup-factory");
        std::fs::create_dir_all(&user).unwrap();
        std::fs::write(user.join("config.toml"), NO_CHECKS).unwrap();
        f
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A `factory` command with a clean environment: this data directory, no user config,
    /// no API keys.
    pub fn cmd(&self, args: &[&str]) -> Command {
        self.cmd_of(Path::new(env!("CARGO_BIN_EXE_factory")), args)
    }

    /// `cmd`, running the factory binary at `program` (a copy of it, say).
    pub fn cmd_of(&self, program: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(program);
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_DATA_HOME", self.dir.path().join("xdg-data"))
            .env("USER", "tester")
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(args)
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.cmd(args).output().expect("the factory binary runs").into()
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn status(&self) -> Value {
        self.run(&["status", "--json"]).ok().json()
    }

    pub fn startup<'a>(status: &'a Value, id: &str) -> &'a Value {
        status["startups"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap()
    }
}

/// The fake server's three cloud providers as config TOML: OpenAI with two keys, Anthropic
/// with two when `anthropic_keys` (else its default one), each with the `extra` lines.
pub fn fake_providers_toml(
    server: &startup_factory::fake_server::FakeServer,
    anthropic_keys: bool,
    extra: &str,
) -> String {
    let anthropic = if anthropic_keys { "keys = [\"ANTHROPIC_API_KEY\", \"ANTHROPIC_API_KEY_2\"]\n" } else { "" };
    format!(
        "[providers.openai]\nbase_url = \"{}\"\nkeys = [\"OPENAI_API_KEY\", \"OPENAI_API_KEY_2\"]\n{extra}\n\
         [providers.anthropic]\nbase_url = \"{}\"\n{anthropic}{extra}\n\
         [providers.perplexity]\nbase_url = \"{}\"\n{extra}",
        server.openai_url(),
        server.anthropic_url(),
        server.perplexity_url()
    )
}

/// A careless provider: it quotes the key it was sent in its first two answers (so those
/// keys are refused and rest), and rate limits every fifth call after.
pub fn key_echoing_faults() -> startup_factory::fake_server::FaultPlan {
    use startup_factory::fake_server::{Fault, FaultPlan};
    FaultPlan {
        script: vec![Fault::EchoKey, Fault::EchoKey],
        every: 5,
        cycle: vec![Fault::RateLimited { retry_after: std::time::Duration::from_millis(20) }],
    }
}

/// Per run, from `status --json`: id, status, cost, tokens in, tokens out, calls.
pub fn ledger(status: &Value) -> Vec<(String, String, u64, u64, u64, u64)> {
    status["startups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
                r["cost_micros"].as_u64().unwrap(),
                r["tokens_in"].as_u64().unwrap(),
                r["tokens_out"].as_u64().unwrap(),
                r["calls"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Every file under `dir`, with its bytes.
pub fn files(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                stack.push(p);
            } else if t.is_file() {
                let bytes = std::fs::read(&p).unwrap();
                out.insert(p, bytes);
            }
        }
    }
    out
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}
