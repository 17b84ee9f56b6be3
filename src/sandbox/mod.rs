//! The sandbox a template's checks (install, typecheck, tests) run in on model-written code.
//!
//! With `checks.sandbox = "bwrap"` each check runs under bubblewrap: the run's `app/` is the
//! one writable folder, the rest of the file system read-only, with a private `/tmp`, and
//! the home folder, `/run` and the factory's data directory hidden; no network, except for
//! install steps (`network = true` in the template); a cleared environment (no API key
//! reaches it); no capabilities; its own pid namespace, which dies with it. Every check,
//! sandboxed or not, gets the limits of `limits`, a wall-clock timeout that kills it with
//! all it started, and only the last 64 KiB of its output are kept, made inert.
//!
//! Install steps share download caches per template version (see `cache`), and Python
//! checks get an interpreter >= 3.12 as `python3` (see `python`).

mod bwrap;
mod cache;
mod exec;
pub mod limits;
mod output;
pub mod python;
pub(crate) mod tools;
mod venv;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub use crate::domain::{CheckResult, CheckStatus};
pub use crate::templates::Check;
pub use output::{TAIL_BYTES, Tail, parse_test_counts, registry_unreachable};
pub use python::Python;

use crate::config::{ChecksConfig, SandboxKind};
use exec::Ended;
use limits::{Limits, PidsCgroup};

/// Why checks cannot run when bwrap is not installed.
pub const BWRAP_MISSING: &str =
    "bubblewrap (bwrap) is not installed: install the `bubblewrap` package, or set checks.sandbox = \"none\" (unsafe)";

/// Why a Python check is skipped when no interpreter >= 3.12 was found.
pub const NO_PYTHON: &str =
    "python >= 3.12 not found: install Python 3.12 or newer (as python3.12 on PATH, or with pyenv)";

/// Variables passed on to install steps (`network = true`) only, when set: the proxy and
/// the certificate bundles. Nothing else of the factory's environment reaches a check.
const NETWORK_VARS: [&str; 12] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "PIP_CERT",
    "NODE_EXTRA_CA_CERTS",
    "npm_config_cafile",
];

/// Where bwrap is looked for when it is not on `PATH`.
const BWRAP_DEFAULT: &str = "/usr/bin/bwrap";

/// Runs templates' checks on runs' code, confined as the config says.
#[derive(Debug)]
pub struct Sandbox {
    cfg: ChecksConfig,
    cache_root: PathBuf,
    bwrap: PathBuf,
    /// Whether bwrap works here (tried once).
    bwrap_state: OnceLock<Result<(), String>>,
    /// The interpreter for Python checks (looked for once, on first use).
    python: OnceLock<Option<Python>>,
    /// Folders the checks must not see, besides the defaults.
    hidden: Vec<PathBuf>,
    /// Ready venvs whose build failed (not tried again by this process).
    failed_envs: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl Sandbox {
    /// A sandbox for checks as `cfg` says, keeping dependency caches under `cache_root`.
    pub fn new(cfg: &ChecksConfig, cache_root: PathBuf) -> Sandbox {
        let bwrap =
            tools::which("bwrap", std::env::var_os("PATH").as_deref()).unwrap_or_else(|| PathBuf::from(BWRAP_DEFAULT));
        Sandbox::with_bwrap(cfg, cache_root, bwrap)
    }

    /// As `new`, with bubblewrap at `bwrap` (tests point it at a missing file).
    pub fn with_bwrap(cfg: &ChecksConfig, cache_root: PathBuf, bwrap: PathBuf) -> Sandbox {
        Sandbox {
            cfg: cfg.clone(),
            cache_root,
            bwrap,
            bwrap_state: OnceLock::new(),
            python: OnceLock::new(),
            hidden: Vec::new(),
            failed_envs: Default::default(),
        }
    }

    /// Uses `python` for Python checks instead of looking for one (`None`: there is none).
    pub fn with_python(self, python: Option<Python>) -> Sandbox {
        let _ = self.python.set(python);
        self
    }

    /// Hides `folder` from the checks too (an empty folder in its place), for example a
    /// data directory that does not hold the cache root.
    pub fn hide(mut self, folder: PathBuf) -> Sandbox {
        self.hidden.push(folder);
        self
    }

    /// The checks' config.
    pub fn config(&self) -> &ChecksConfig {
        &self.cfg
    }

    /// Whether checks can run here, or the one-sentence reason they cannot (for doctor and
    /// for refusing).
    pub fn readiness(&self) -> Result<(), String> {
        if self.cfg.sandbox == SandboxKind::None {
            return Ok(());
        }
        self.bwrap_state.get_or_init(|| try_bwrap(&self.bwrap)).clone()
    }

    /// The interpreter Python checks use (looked for on first call; this may take a second).
    pub fn python(&self) -> Option<&Python> {
        self.python.get_or_init(python::discover_here).as_ref()
    }

    /// Runs a template's checks in order on `app` (the run's app/ folder), for template
    /// `template`@`version`. Never panics; every check gets a result.
    ///
    /// A check whose program is not installed is skipped, never passed. An install step
    /// (`network = true`) that does not pass skips the later checks in its folder (or
    /// below it); other failures do not stop the round.
    pub async fn run_round(&self, app: &Path, template: &str, version: &str, checks: &[Check]) -> Vec<CheckResult> {
        let skip_all = |reason: &str| checks.iter().map(|c| skipped(&c.name, reason)).collect::<Vec<_>>();
        if checks.is_empty() {
            return Vec::new();
        }
        if self.cfg.sandbox == SandboxKind::Bwrap {
            let bwrap = self.bwrap.clone();
            let state = match self.bwrap_state.get() {
                Some(s) => s.clone(),
                None => tokio::task::spawn_blocking(move || try_bwrap(&bwrap))
                    .await
                    .unwrap_or_else(|e| Err(format!("bubblewrap could not be tried: {e}"))),
            };
            let state = self.bwrap_state.get_or_init(|| state).clone();
            if let Err(reason) = state {
                return skip_all(&reason);
            }
        }
        let app = match std::fs::canonicalize(app) {
            Ok(a) if a.is_dir() => a,
            _ => {
                let shown = crate::sanitize::line(&app.to_string_lossy()).into_owned();
                return skip_all(&format!("the app folder {shown} does not exist"));
            }
        };
        let cache = match cache::prepare_template(&self.cache_root, template, version) {
            Ok(c) => c,
            Err(e) => {
                return skip_all(&format!(
                    "the check cache {} cannot be made: {e}",
                    cache::template_dir(&self.cache_root, template, version).display()
                ));
            }
        };
        let python = match self.python.get() {
            Some(p) => p.clone(),
            None => {
                let found = tokio::task::spawn_blocking(python::discover_here).await.unwrap_or(None);
                self.python.get_or_init(|| found).clone()
            }
        };
        let bin = match cache::private_bin(
            &self.cache_root,
            python.as_ref().map(|p| p.executable.as_path()),
            &python.as_ref().map(Python::version_text).unwrap_or_default(),
        ) {
            Ok(b) => b,
            Err(e) => {
                return skip_all(&format!("the check cache {} cannot be written: {e}", self.cache_root.display()));
            }
        };
        // Without a sandbox, HOME is a folder of its own for the round.
        let home_dir = match self.cfg.sandbox {
            SandboxKind::None => match tempfile::Builder::new().prefix("factory-check-home-").tempdir() {
                Ok(d) => Some(d),
                Err(e) => return skip_all(&format!("a home folder for the checks cannot be made: {e}")),
            },
            SandboxKind::Bwrap => None,
        };
        let home: PathBuf =
            home_dir.as_ref().map(|d| d.path().to_path_buf()).unwrap_or_else(|| PathBuf::from(bwrap::HOME));
        let round = Round { sandbox: self, app, cache, bin, python, home };
        let mut results = Vec::with_capacity(checks.len());
        // Folders whose install step did not pass, with that step's name.
        let mut blocked: BTreeMap<PathBuf, String> = BTreeMap::new();
        for check in checks {
            let folder = PathBuf::from(check.cwd.as_deref().unwrap_or(""));
            if let Some((_, step)) = blocked.iter().find(|(f, _)| folder.starts_with(f)) {
                let step = crate::sanitize::line(step);
                results.push(skipped(&check.name, &format!("an earlier step ({step}) did not pass")));
                continue;
            }
            let result = round.run(check).await;
            if check.network && result.status != CheckStatus::Passed {
                blocked.insert(folder, check.name.clone());
            }
            results.push(result);
        }
        drop(home_dir);
        results
    }
}

/// One round's shared facts.
struct Round<'a> {
    sandbox: &'a Sandbox,
    app: PathBuf,
    cache: PathBuf,
    bin: PathBuf,
    python: Option<Python>,
    home: PathBuf,
}

/// A process to run in the round's sandbox.
struct Spec<'a> {
    program: PathBuf,
    args: &'a [String],
    cwd: PathBuf,
    /// The network, and the cache writable (install steps).
    network: bool,
    /// The folder it may write: `app/`, or a ready venv being built.
    writable: PathBuf,
}

impl Round<'_> {
    async fn run(&self, check: &Check) -> CheckResult {
        let started = Instant::now();
        let mut result = match self.prepare(check) {
            Ok((job, cwd)) => {
                if check.network
                    && let Some(py) = &self.python
                    && let Some(step) =
                        venv::detect(check, &cwd, &format!("{} {}", py.executable.display(), py.version_text()))
                {
                    self.use_ready_venv(&step, &cwd).await;
                }
                self.execute(check, job).await
            }
            Err((status, reason)) => CheckResult {
                name: check.name.clone(),
                status,
                duration_ms: 0,
                tests_passed: None,
                tests_failed: None,
                output_tail: String::new(),
                reason: Some(reason),
            },
        };
        result.duration_ms = started.elapsed().as_millis() as u64;
        result
    }

    /// The process to start for `check` and the folder it starts in, or why it cannot start.
    fn prepare(&self, check: &Check) -> Result<(exec::Job, PathBuf), (CheckStatus, String)> {
        let failed = |r: String| (CheckStatus::Failed, r);
        let Some((program, args)) = check.command.split_first() else {
            return Err(failed("the check has no command".into()));
        };
        let cwd = match &check.cwd {
            None => self.app.clone(),
            Some(c) => {
                crate::workspace::check_relative_path(c).map_err(|e| failed(format!("its folder {e}")))?;
                match std::fs::canonicalize(self.app.join(c)) {
                    Ok(p) if p.is_dir() && p.starts_with(&self.app) => p,
                    _ => {
                        return Err(failed(format!(
                            "the folder `{}` does not exist in app/",
                            crate::sanitize::line(c)
                        )));
                    }
                }
            }
        };
        let base = Path::new(program).file_name().and_then(|n| n.to_str()).unwrap_or("");
        let is_python = base == "python"
            || base == "python3"
            || base.strip_prefix("python3.").is_some_and(|v| v.chars().all(|c| c.is_ascii_digit()));
        if is_python && self.python.is_none() {
            return Err((CheckStatus::Skipped, NO_PYTHON.into()));
        }
        let program_path = if program.contains('/') {
            let p = cwd.join(program);
            if !p.exists() {
                return Err(failed(format!(
                    "`{}` does not exist in {}",
                    crate::sanitize::line(program),
                    check.cwd.as_deref().map(|c| format!("{c}/")).unwrap_or_else(|| "app/".into())
                )));
            }
            p
        } else {
            match tools::which(program, Some(&self.path())) {
                Some(p) => p,
                None => {
                    return Err((
                        CheckStatus::Skipped,
                        format!("tool missing: {} is not installed on this machine", crate::sanitize::line(program)),
                    ));
                }
            }
        };
        let spec =
            Spec { program: program_path, args, cwd: cwd.clone(), network: check.network, writable: self.app.clone() };
        Ok((self.job(spec), cwd))
    }

    /// The checks' `PATH`.
    fn path(&self) -> OsString {
        tools::check_path(&self.bin, &tools::node_dirs(std::env::var_os("PATH").as_deref()))
    }

    /// The process of `spec`: in bwrap, or, without a sandbox, as it is; with the
    /// checks' environment and limits either way.
    fn job(&self, spec: Spec) -> exec::Job {
        let cfg = &self.sandbox.cfg;
        let home = self.home.to_string_lossy().into_owned();
        let mut env: Vec<(String, OsString)> = vec![
            ("PATH".into(), self.path()),
            ("LANG".into(), "C.UTF-8".into()),
            ("HOME".into(), home.clone().into()),
            ("CI".into(), "true".into()),
            ("TERM".into(), "dumb".into()),
            ("NO_COLOR".into(), "1".into()),
            ("TMPDIR".into(), "/tmp".into()),
            ("XDG_CACHE_HOME".into(), format!("{home}/.cache").into()),
            ("PYTHONUNBUFFERED".into(), "1".into()),
            ("PIP_DISABLE_PIP_VERSION_CHECK".into(), "1".into()),
            ("PIP_NO_INPUT".into(), "1".into()),
            ("npm_config_update_notifier".into(), "false".into()),
            ("npm_config_fund".into(), "false".into()),
            ("npm_config_audit".into(), "false".into()),
            ("npm_config_logs_dir".into(), format!("{home}/.npm-logs").into()),
            ("NEXT_TELEMETRY_DISABLED".into(), "1".into()),
            ("NUXT_TELEMETRY_DISABLED".into(), "1".into()),
        ];
        env.extend(cache::env(&self.cache).into_iter().map(|(k, v)| (k, v.into())));
        if spec.network {
            // How this machine reaches the registries: its proxy, and the certificates to
            // trust (paths). Registry mirrors and their credentials belong in /etc/pip.conf
            // and npm's global npmrc, which the sandbox can read.
            for k in NETWORK_VARS {
                if let Some(v) = std::env::var_os(k).filter(|v| !v.is_empty()) {
                    env.push((k.to_string(), v));
                }
            }
        }
        let limits = Limits::from_config(cfg);
        let timeout = Duration::from_secs(cfg.timeout_s.max(1));
        match cfg.sandbox {
            SandboxKind::None => {
                let mut argv = vec![spec.program.into_os_string()];
                argv.extend(spec.args.iter().map(OsString::from));
                exec::Job { argv, cwd: spec.cwd, env, limits, timeout }
            }
            SandboxKind::Bwrap => {
                let mounts = bwrap::Mounts {
                    app: spec.writable,
                    cache: self.cache.clone(),
                    cache_writable: spec.network,
                    cache_read_only: vec![venv::envs_dir(&self.cache)],
                    hidden: self.hidden(),
                    readable: self.readable(),
                    share_net: spec.network,
                    cwd: spec.cwd,
                    env,
                };
                let mut argv = vec![self.sandbox.bwrap.clone().into_os_string()];
                argv.extend(bwrap::args(&mounts, &spec.program, spec.args));
                exec::Job { argv, cwd: self.app.clone(), env: Vec::new(), limits, timeout }
            }
        }
    }

    /// Runs a helper process of the round (not a check): whether it succeeded, and its output.
    async fn helper(&self, spec: Spec<'_>) -> (bool, String) {
        let (ended, tail) = exec::run(self.job(spec), None).await;
        (matches!(ended, Ended::Exited(s) if s.success()), tail.text())
    }

    /// Before a pip install step: puts the ready venv of its dependencies in place of the
    /// run's venv (building it first if it is not there yet). On any trouble the step
    /// simply installs everything itself.
    async fn use_ready_venv(&self, step: &venv::PipStep, cwd: &Path) {
        if self.python.is_none() {
            return;
        }
        let ready = match venv::ready(&self.cache, &step.key) {
            Some(r) => Some(r),
            None => self.build_ready_venv(step).await,
        };
        let Some((dir, built_at)) = ready else { return };
        let args = vec![
            "-I".to_string(),
            "-c".to_string(),
            venv::COPY_SCRIPT.to_string(),
            dir.to_string_lossy().into_owned(),
            step.venv.to_string_lossy().into_owned(),
            built_at,
        ];
        let spec = Spec {
            program: self.bin.join("python3"),
            args: &args,
            cwd: cwd.to_path_buf(),
            network: false,
            writable: self.app.clone(),
        };
        let (ok, out) = self.helper(spec).await;
        if ok {
            let cache = self.cache.clone();
            let key = step.key.clone();
            let _ = tokio::task::spawn_blocking(move || venv::touch_and_trim(&cache, &key)).await;
        } else {
            tracing::warn!(key = %step.key, output = %out, "a ready venv could not be copied");
        }
    }

    /// Builds the ready venv of `step` (once: under a file lock, and not again in this
    /// process after a failure). Returns it, or `None`.
    async fn build_ready_venv(&self, step: &venv::PipStep) -> Option<(PathBuf, String)> {
        let envs = venv::envs_dir(&self.cache);
        std::fs::create_dir_all(&envs).ok()?;
        let lock_path = envs.join(format!("{}.lock", step.key));
        let _lock = tokio::task::spawn_blocking(move || venv::lock(&lock_path)).await.ok()?.ok()?;
        if let Some(r) = venv::ready(&self.cache, &step.key) {
            return Some(r);
        }
        if self.sandbox.failed_envs.lock().map(|f| f.contains(&step.key)).unwrap_or(true) {
            return None;
        }
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = envs.join(format!("{}.build-{}-{n}", step.key, std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).ok()?;
        let built = self.build_in(step, &tmp).await;
        let done = built
            && std::fs::write(tmp.join("built_at"), tmp.join("venv").to_string_lossy().as_bytes()).is_ok()
            && std::fs::rename(&tmp, envs.join(&step.key)).is_ok();
        if !done {
            let _ = std::fs::remove_dir_all(&tmp);
            if let Ok(mut f) = self.sandbox.failed_envs.lock() {
                f.insert(step.key.clone());
            }
            return None;
        }
        venv::ready(&self.cache, &step.key)
    }

    /// `python3 -m venv TMP/venv`, then pip installs the requirements into it, in the
    /// sandbox with `tmp` as the writable folder.
    async fn build_in(&self, step: &venv::PipStep, tmp: &Path) -> bool {
        if std::fs::write(tmp.join("requirements.txt"), step.requirements.join("\n") + "\n").is_err() {
            return false;
        }
        let venv_args = vec!["-m".to_string(), "venv".to_string(), tmp.join("venv").to_string_lossy().into_owned()];
        let spec = Spec {
            program: self.bin.join("python3"),
            args: &venv_args,
            cwd: tmp.to_path_buf(),
            network: false,
            writable: tmp.to_path_buf(),
        };
        let (ok, out) = self.helper(spec).await;
        if !ok {
            tracing::warn!(key = %step.key, output = %out, "a ready venv could not be made");
            return false;
        }
        let pip_args: Vec<String> =
            ["-m", "pip", "install", "-q", "-r", "requirements.txt"].iter().map(|s| s.to_string()).collect();
        let spec = Spec {
            program: tmp.join("venv/bin/python"),
            args: &pip_args,
            cwd: tmp.to_path_buf(),
            network: true,
            writable: tmp.to_path_buf(),
        };
        let (ok, out) = self.helper(spec).await;
        if !ok {
            tracing::warn!(key = %step.key, output = %out, "a ready venv's dependencies could not be installed");
        }
        ok
    }

    /// Folders covered in the sandbox: the home folder, `/run` (sockets of docker, dbus,
    /// systemd), the data directory holding the cache, and those the caller named.
    fn hidden(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = Vec::new();
        if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            out.push(PathBuf::from(home));
        }
        out.push(PathBuf::from("/run"));
        if let Some(data) = self.sandbox.cache_root.parent()
            && data.join(crate::store::DATA_DIR_MARKER).exists()
        {
            out.push(data.to_path_buf());
        }
        out.extend(self.sandbox.hidden.iter().cloned());
        out.into_iter().filter_map(|p| std::fs::canonicalize(p).ok()).filter(|p| p.is_dir()).collect()
    }

    /// What must stay readable even inside a hidden folder.
    fn readable(&self) -> Vec<PathBuf> {
        let mut out = vec![self.bin.clone()];
        if let Some(py) = &self.python {
            out.push(py.prefix.clone());
            if let Some(dir) = py.executable.parent() {
                out.push(dir.to_path_buf());
            }
        }
        let path = std::env::var_os("PATH");
        out.extend(tools::node_prefix(path.as_deref()));
        out.extend(tools::node_dirs(path.as_deref()));
        // DNS for install steps, when resolv.conf points into /run (systemd-resolved).
        if let Ok(conf) = std::fs::canonicalize("/etc/resolv.conf") {
            out.push(conf);
        }
        let mut out: Vec<PathBuf> = out.into_iter().filter_map(|p| std::fs::canonicalize(p).ok()).collect();
        out.sort();
        out.dedup();
        out
    }

    async fn execute(&self, check: &Check, job: exec::Job) -> CheckResult {
        let cfg = &self.sandbox.cfg;
        let cgroup = if limits::is_root() && cfg.max_processes > 0 {
            let max = cfg.max_processes;
            tokio::task::spawn_blocking(move || PidsCgroup::create(max)).await.unwrap_or(None)
        } else {
            None
        };
        let (ended, tail) = exec::run(job, cgroup.as_ref()).await;
        if let Some(cg) = cgroup {
            // Removing the folder waits for its processes to be gone.
            let _ = tokio::task::spawn_blocking(move || drop(cg)).await;
        }
        let text = tail.text();
        let (tests_passed, tests_failed) = parse_test_counts(&text);
        let (status, reason) = match ended {
            Ended::Exited(s) if s.success() => (CheckStatus::Passed, None),
            Ended::TimedOut => {
                (CheckStatus::Failed, Some(format!("timed out after {} s and was killed", cfg.timeout_s.max(1))))
            }
            Ended::NotStarted(e) if cfg.sandbox == SandboxKind::Bwrap && e.kind() == std::io::ErrorKind::NotFound => {
                (CheckStatus::Skipped, Some(BWRAP_MISSING.to_string()))
            }
            Ended::NotStarted(e) => (CheckStatus::Failed, Some(format!("it could not be started: {e}"))),
            Ended::Exited(s) => {
                // bwrap failing to set up prints one line and exits 1, before the check runs.
                let lines: Vec<&str> = text.lines().collect();
                let bwrap_said = match lines[..] {
                    [line] if line.starts_with("bwrap: ") && s.code() == Some(1) => Some(line),
                    _ => None,
                };
                if cfg.sandbox == SandboxKind::Bwrap
                    && let Some(line) = bwrap_said
                {
                    (CheckStatus::Skipped, Some(format!("the sandbox could not be set up ({line})")))
                } else if check.network && registry_unreachable(&text) {
                    (CheckStatus::Skipped, Some("could not reach the package registry".to_string()))
                } else {
                    (CheckStatus::Failed, Some(exit_reason(s, cfg)))
                }
            }
        };
        CheckResult {
            name: check.name.clone(),
            status,
            duration_ms: 0,
            tests_passed,
            tests_failed,
            output_tail: text,
            reason,
        }
    }
}

/// One sentence on how a process ended that was not a success.
fn exit_reason(s: std::process::ExitStatus, cfg: &ChecksConfig) -> String {
    use std::os::unix::process::ExitStatusExt;
    // bwrap passes a signal that ended the check on as exit status 128 + the signal.
    let (signal, shown) = match (s.signal(), s.code()) {
        (Some(sig), _) => (sig, format!("killed by signal {sig}")),
        (None, Some(code)) if (129..=128 + 64).contains(&code) => (code - 128, format!("exit status {code}")),
        (None, Some(code)) => return format!("exit status {code}"),
        (None, None) => return "it ended without an exit status".into(),
    };
    let why = match signal {
        libc::SIGXCPU => format!(": a process used more than its {} CPU seconds", cfg.cpu_s),
        libc::SIGXFSZ => format!(": a process wrote a file larger than {} MiB", cfg.max_file_mb),
        libc::SIGKILL => " (SIGKILL: out of memory, or a limit was hit)".into(),
        libc::SIGSEGV => " (SIGSEGV: a crash, or memory beyond the limit)".into(),
        _ => String::new(),
    };
    format!("{shown}{why}")
}

fn skipped(name: &str, reason: &str) -> CheckResult {
    CheckResult {
        name: name.to_string(),
        status: CheckStatus::Skipped,
        duration_ms: 0,
        tests_passed: None,
        tests_failed: None,
        output_tail: String::new(),
        reason: Some(reason.to_string()),
    }
}

/// Whether bwrap at `path` exists and can make a sandbox like a check's here.
fn try_bwrap(path: &Path) -> Result<(), String> {
    if !tools::is_executable(path) {
        return Err(BWRAP_MISSING.to_string());
    }
    let out = std::process::Command::new(path)
        .args(bwrap::trial_args())
        .env_clear()
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("bubblewrap ({}) could not be started: {e}", path.display()))?;
    if out.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&out.stderr);
    let said = crate::sanitize::line(said.lines().next().unwrap_or("no message").trim()).into_owned();
    Err(format!(
        "bubblewrap is installed but cannot make a sandbox here ({said}): allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or the AppArmor bwrap profile), or set checks.sandbox = \"none\" (unsafe)"
    ))
}

impl Sandbox {
    /// One line for `factory doctor`: whether checks can run here (the sandbox, or why
    /// not), the Python they get, and whether node and npm are installed. Runs programs
    /// (`--version`): call it off the async threads.
    pub fn describe(&self) -> String {
        let sandbox = if !self.cfg.enabled {
            "off (checks.enabled = false): builds are not verified".to_string()
        } else {
            match (self.cfg.sandbox, self.readiness()) {
                (SandboxKind::None, _) => {
                    "can run, WITHOUT a sandbox (checks.sandbox = \"none\"): model-written code runs as you".into()
                }
                (SandboxKind::Bwrap, Ok(())) => {
                    let v = version_of(&self.bwrap, "--version").unwrap_or_else(|| "bubblewrap".into());
                    format!("can run, in {v} ({})", self.bwrap.display())
                }
                (SandboxKind::Bwrap, Err(why)) => format!("cannot run: {why}"),
            }
        };
        let python = match self.python() {
            Some(p) if p.has_venv => format!("python {} ({})", p.version_text(), p.executable.display()),
            Some(p) => format!("python {} ({}) without venv/ensurepip", p.version_text(), p.executable.display()),
            None => "python >= 3.12 not found".into(),
        };
        let path = std::env::var_os("PATH");
        let tool = |name: &str| match tools::which(name, path.as_deref()) {
            Some(p) => format!("{name} {}", version_of(&p, "--version").unwrap_or_else(|| "(version unknown)".into())),
            None => format!("{name} not found"),
        };
        format!("{sandbox}; {python}; {}, {}", tool("node"), tool("npm"))
    }
}

/// The first line a program prints for `arg` (within 10 s), if it runs.
fn version_of(program: &Path, arg: &str) -> Option<String> {
    let mut child = std::process::Command::new(program)
        .arg(arg)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().ok()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next()?.trim();
    (out.status.success() && !line.is_empty()).then(|| crate::sanitize::line(line).into_owned())
}

/// The first program among `checks` this machine does not have (`python >= 3.12` for
/// `python3`), for `templates list` and `show`; `None` when all are there. Programs inside
/// the app (`.venv/bin/python`) are made by earlier checks and are not looked for.
pub fn missing_tool(checks: &[Check]) -> Option<String> {
    let path = std::env::var_os("PATH");
    for c in checks {
        let Some(program) = c.command.first() else { continue };
        if program.contains('/') {
            continue;
        }
        if program == "python3" || program == "python" {
            if python::found_here().is_none() {
                return Some("python >= 3.12".into());
            }
            continue;
        }
        if tools::which(program, path.as_deref()).is_none() {
            return Some(crate::sanitize::line(program).into_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_reasons_name_the_limit() {
        use std::os::unix::process::ExitStatusExt;
        let cfg = ChecksConfig::default();
        assert_eq!(exit_reason(std::process::ExitStatus::from_raw(1 << 8), &cfg), "exit status 1");
        assert!(exit_reason(std::process::ExitStatus::from_raw(152 << 8), &cfg).contains("900 CPU seconds"));
        assert!(exit_reason(std::process::ExitStatus::from_raw(libc::SIGXFSZ), &cfg).contains("larger than 512 MiB"));
        assert!(
            exit_reason(std::process::ExitStatus::from_raw(137 << 8), &cfg).starts_with("exit status 137 (SIGKILL")
        );
    }

    #[test]
    fn a_missing_bwrap_is_named_with_the_fix() {
        assert_eq!(try_bwrap(Path::new("/nonexistent/bwrap")), Err(BWRAP_MISSING.to_string()));
    }
}
