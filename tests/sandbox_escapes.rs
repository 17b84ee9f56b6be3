//! Model-written code tries to get out of the checks' sandbox: write outside `app/`, reach
//! a port on the machine, outlive its timeout, read the factory's API keys; and the
//! sandbox's limits, output tail and round rules hold.
//!
//! Each escape test fails when the confinement is removed: run them with
//! `SANDBOX_ESCAPES_KIND=none` to see it (they then run with `checks.sandbox = "none"`).
//! Without bwrap they skip with a reason, and under `CI=true` they fail instead.
//!
//! `cargo test --test sandbox_escapes -- --ignored --nocapture scaffold` runs the
//! neoforge backend's and pythonml's real checks (installs from PyPI) twice, cold and warm
//! cache, and prints their times.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

use startup_factory::config::{ChecksConfig, SandboxKind};
use startup_factory::sandbox::{BWRAP_MISSING, Check, CheckResult, CheckStatus, NO_PYTHON, Sandbox};

const KEY_MARKER: &str = "sk-K3YMARK-sandbox-5e1f0c";

/// Sets a fake API key in this process's environment, once, before any test starts a
/// process (every test calls this first).
fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: done once, while every other test waits on this Once, before any of them
        // reads the environment or starts a process.
        unsafe {
            std::env::set_var("OPENAI_API_KEY", KEY_MARKER);
            std::env::set_var("ANTHROPIC_API_KEY", KEY_MARKER);
        }
    });
}

/// The sandbox under test: bwrap, unless `SANDBOX_ESCAPES_KIND=none`.
fn kind() -> SandboxKind {
    match std::env::var("SANDBOX_ESCAPES_KIND").as_deref() {
        Ok("none") => SandboxKind::None,
        _ => SandboxKind::Bwrap,
    }
}

fn config() -> ChecksConfig {
    ChecksConfig { sandbox: kind(), timeout_s: 60, ..ChecksConfig::default() }
}

/// A run's folders: `ws/app/` (the app), `ws/sibling/`, and the cache root.
struct Fixture {
    _dir: tempfile::TempDir,
    ws: PathBuf,
    app: PathBuf,
    cache: PathBuf,
}

impl Fixture {
    /// In the system's temporary folder (which the sandbox replaces by a private one).
    fn in_tmp() -> Fixture {
        Fixture::at(tempfile::tempdir().unwrap())
    }

    /// Outside `/tmp`, in cargo's target folder (which the sandbox shows read-only).
    fn outside_tmp() -> Fixture {
        Fixture::at(tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap())
    }

    fn at(dir: tempfile::TempDir) -> Fixture {
        let ws = dir.path().canonicalize().unwrap().join("ws");
        let app = ws.join("app");
        std::fs::create_dir_all(&app).unwrap();
        std::fs::create_dir_all(ws.join("sibling")).unwrap();
        let cache = dir.path().canonicalize().unwrap().join("cache");
        Fixture { _dir: dir, ws, app, cache }
    }

    /// A ready sandbox, or `None` (the test skips) when bwrap cannot run here outside CI.
    fn sandbox(&self, cfg: ChecksConfig) -> Option<Sandbox> {
        setup();
        let s = Sandbox::new(&cfg, self.cache.clone());
        match s.readiness() {
            Ok(()) => Some(s),
            Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("the sandbox cannot run under CI: {why}")
            }
            Err(why) => {
                eprintln!("skipped: {why}");
                None
            }
        }
    }
}

fn check(name: &str, command: &[&str]) -> Check {
    Check { name: name.into(), command: command.iter().map(|s| s.to_string()).collect(), cwd: None, network: false }
}

fn unique() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{}{nanos:09}", std::process::id())
}

async fn one(s: &Sandbox, app: &Path, c: Check) -> CheckResult {
    let mut r = s.run_round(app, "escapes", "1.0.0", &[c]).await;
    assert_eq!(r.len(), 1);
    r.remove(0)
}

#[tokio::test]
async fn writes_outside_app_do_not_land() {
    for f in [Fixture::in_tmp(), Fixture::outside_tmp()] {
        let Some(s) = f.sandbox(config()) else { return };
        let id = unique();
        let in_tmp = PathBuf::from(format!("/tmp/escape-{id}"));
        let sibling = f.ws.join("sibling").join(format!("escape-{id}"));
        let beside = f.ws.join(format!("escape-{id}"));
        let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("escape-{id}"));
        let inside = f.app.join("inside");
        let script = format!(
            "touch {} ; echo x > {} ; echo x > {} ; echo x > {} ; echo ok > {}",
            in_tmp.display(),
            sibling.display(),
            beside.display(),
            target.display(),
            inside.display()
        );
        let r = one(&s, &f.app, check("write", &["sh", "-c", &script])).await;
        let landed: Vec<&PathBuf> = [&in_tmp, &sibling, &beside, &target].into_iter().filter(|p| p.exists()).collect();
        for p in &landed {
            let _ = std::fs::remove_file(p);
        }
        assert!(landed.is_empty(), "a check wrote outside app/: {landed:?} ({r:?})");
        // app/ itself is writable.
        assert_eq!(std::fs::read_to_string(&inside).unwrap_or_default(), "ok\n", "{r:?}");
    }
}

#[tokio::test]
async fn a_loopback_port_is_out_of_reach_without_network() {
    let f = Fixture::in_tmp();
    let Some(s) = f.sandbox(config()) else { return };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let connect = format!("exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected");
    let r = one(&s, &f.app, check("connect", &["bash", "-c", &connect])).await;
    let accepted = listener.accept();
    assert!(
        matches!(&accepted, Err(e) if e.kind() == ErrorKind::WouldBlock),
        "the check reached the test's port: {r:?}"
    );
    assert_eq!(r.status, CheckStatus::Failed, "{r:?}");
    // The same check marked `network = true` does reach it: the test can see a connection.
    if kind() == SandboxKind::Bwrap {
        let r = one(&s, &f.app, Check { network: true, ..check("connect", &["bash", "-c", &connect]) }).await;
        assert_eq!(r.status, CheckStatus::Passed, "{r:?}");
        let deadline = Instant::now() + Duration::from_secs(5);
        while listener.accept().is_err() {
            assert!(Instant::now() < deadline, "no connection with network = true");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Processes whose command line holds `marker`.
fn processes_with(marker: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(marker) {
                out.push(format!("{}: {cmd}", e.file_name().to_string_lossy()));
            }
        }
    }
    out
}

#[tokio::test]
async fn a_check_past_its_timeout_is_killed_with_all_its_children() {
    let f = Fixture::in_tmp();
    // No pids cgroup (which would kill stragglers as root even without a sandbox): what
    // kills them here is the sandbox's pid namespace dying with the check.
    let Some(s) = f.sandbox(ChecksConfig { timeout_s: 2, max_processes: 0, ..config() }) else { return };
    // A unique sleep length marks the check's processes; one leaves the process group.
    let marker = format!("300.{}", unique());
    let script = format!("setsid sleep {marker} & sleep {marker} & sleep {marker}");
    let started = Instant::now();
    let r = one(&s, &f.app, check("sleepy", &["sh", "-c", &script])).await;
    assert_eq!(r.status, CheckStatus::Failed, "{r:?}");
    assert_eq!(r.reason.as_deref(), Some("timed out after 2 s and was killed"));
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let left = processes_with(&marker);
        if left.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            for p in &left {
                if let Some(pid) = p.split(':').next().and_then(|p| p.parse::<i32>().ok()) {
                    let _ = std::process::Command::new("kill").args(["-9", &pid.to_string()]).status();
                }
            }
            panic!("processes outlived the check: {left:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn no_api_key_reaches_a_check() {
    let f = Fixture::in_tmp();
    let Some(s) = f.sandbox(config()) else { return };
    assert_eq!(std::env::var("OPENAI_API_KEY").as_deref(), Ok(KEY_MARKER));
    // A process started with a key, as the factory is: /proc shows its first environment.
    let mut holder = std::process::Command::new("sleep")
        .arg("60")
        .env("OPENAI_API_KEY", KEY_MARKER)
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Its own environment, and the key holder's and its parent's, read through /proc.
    let script = format!(
        "env; echo ---; tr '\\0' '\\n' < /proc/{}/environ; tr '\\0' '\\n' < /proc/$PPID/environ; true",
        holder.id()
    );
    let r = one(&s, &f.app, check("env", &["sh", "-c", &script])).await;
    // An install step gets the proxy settings too, and no more.
    let install = one(&s, &f.app, Check { network: true, ..check("env", &["sh", "-c", &script]) }).await;
    let _ = holder.kill();
    let _ = holder.wait();
    assert!(!install.output_tail.contains("K3YMARK"), "an API key reached an install step:\n{}", install.output_tail);
    assert_eq!(r.status, CheckStatus::Passed, "{r:?}");
    assert!(!r.output_tail.contains("K3YMARK"), "an API key reached the check:\n{}", r.output_tail);
    assert!(!r.output_tail.contains("_API_KEY"), "{}", r.output_tail);
    for expected in ["CI=true", "LANG=C.UTF-8", "HOME=", "PIP_CACHE_DIR=", "npm_config_cache="] {
        assert!(r.output_tail.contains(expected), "{expected} missing:\n{}", r.output_tail);
    }
    let path = r.output_tail.lines().find_map(|l| l.strip_prefix("PATH=")).unwrap_or_default();
    assert!(path.contains("/usr/local/bin:/usr/bin:/bin"), "{path}");
}

#[tokio::test]
async fn hidden_folders_and_the_home_folder_are_not_readable() {
    let f = Fixture::outside_tmp();
    setup();
    let secret_dir = f.ws.join("data-dir");
    std::fs::create_dir_all(&secret_dir).unwrap();
    std::fs::write(secret_dir.join("secret"), "K3YMARK-file").unwrap();
    let Some(s) = f.sandbox(config()) else { return };
    let s = s.hide(secret_dir.clone());
    let home = std::env::var("HOME").unwrap_or_default();
    let script = format!("cat {}/secret; ls -A {home}; true", secret_dir.display());
    let r = one(&s, &f.app, check("peek", &["sh", "-c", &script])).await;
    assert!(!r.output_tail.contains("K3YMARK"), "a hidden file was read: {r:?}");
    if kind() == SandboxKind::Bwrap && !home.is_empty() && !home.starts_with("/tmp") && home != "/" {
        // The home folder shows empty, but for what the checks need (pyenv's Python, nvm's node).
        let listed: Vec<&str> = r.output_tail.lines().filter(|l| !l.starts_with("cat:")).collect();
        assert!(listed.iter().all(|l| l.is_empty() || *l == ".pyenv" || *l == ".nvm"), "{listed:?}");
    }
}

#[tokio::test]
async fn the_data_directory_holding_the_cache_is_hidden() {
    // A data directory: its marker, its control socket (here a plain file) and other runs.
    let f = Fixture::outside_tmp();
    let data = f.cache.parent().unwrap().to_path_buf();
    std::fs::write(data.join("FACTORY_DATA_DIR"), "").unwrap();
    std::fs::write(data.join("factory.sock"), "K3YMARK-socket").unwrap();
    std::fs::write(f.ws.join("sibling").join("other-run.txt"), "K3YMARK-other-run").unwrap();
    let Some(s) = f.sandbox(config()) else { return };
    let script = format!(
        "cat {0}/factory.sock {1}/sibling/other-run.txt; echo written > {2}/out; cat {2}/out",
        data.display(),
        f.ws.display(),
        f.app.display()
    );
    let r = one(&s, &f.app, check("peek", &["sh", "-c", &script])).await;
    assert!(!r.output_tail.contains("K3YMARK"), "the data directory was read: {r:?}");
    assert!(r.output_tail.contains("written"), "app/ is still writable: {r:?}");
}

#[tokio::test]
async fn the_cache_is_writable_by_install_steps_only() {
    let f = Fixture::in_tmp();
    let Some(s) = f.sandbox(config()) else { return };
    let write = |name: &str, network: bool| Check {
        network,
        ..check(name, &["sh", "-c", &format!("touch \"$PIP_CACHE_DIR/{name}\"")])
    };
    let r = s.run_round(&f.app, "t", "1.0.0", &[write("install", true), write("tests", false)]).await;
    assert_eq!(r[0].status, CheckStatus::Passed, "{r:?}");
    let cache = f.cache.join("t@1.0.0/pip");
    assert!(cache.join("install").exists());
    if kind() == SandboxKind::Bwrap {
        assert_eq!(r[1].status, CheckStatus::Failed, "{r:?}");
        assert!(!cache.join("tests").exists());
    }
}

#[tokio::test]
async fn a_missing_bwrap_skips_every_check() {
    setup();
    let f = Fixture::in_tmp();
    let cfg = ChecksConfig { sandbox: SandboxKind::Bwrap, ..ChecksConfig::default() };
    let s = Sandbox::with_bwrap(&cfg, f.cache.clone(), PathBuf::from("/nonexistent/bwrap"));
    assert_eq!(s.readiness(), Err(BWRAP_MISSING.to_string()));
    let r = s.run_round(&f.app, "t", "1.0.0", &[check("a", &["true"]), check("b", &["true"])]).await;
    assert_eq!(r.len(), 2);
    for c in &r {
        assert_eq!(c.status, CheckStatus::Skipped);
        assert_eq!(c.reason.as_deref(), Some(BWRAP_MISSING));
    }
    // Without a sandbox nothing is needed: it is ready, and unsafe.
    let none = ChecksConfig { sandbox: SandboxKind::None, ..ChecksConfig::default() };
    let s = Sandbox::with_bwrap(&none, f.cache.clone(), PathBuf::from("/nonexistent/bwrap"));
    assert_eq!(s.readiness(), Ok(()));
    let r = s.run_round(&f.app, "t", "1.0.0", &[check("a", &["true"])]).await;
    assert_eq!(r[0].status, CheckStatus::Passed, "{r:?}");
}

#[tokio::test]
async fn missing_tools_and_python_are_skipped_never_passed() {
    let f = Fixture::in_tmp();
    let Some(s) = f.sandbox(config()) else { return };
    let s = s.with_python(None);
    let r = s
        .run_round(
            &f.app,
            "t",
            "1.0.0",
            &[
                check("flutter", &["flutter-not-installed-here", "pub", "get"]),
                check("venv", &["python3", "-m", "venv", ".venv"]),
                check("tests", &[".venv/bin/python", "-m", "pytest"]),
            ],
        )
        .await;
    assert_eq!(r[0].status, CheckStatus::Skipped);
    assert_eq!(
        r[0].reason.as_deref(),
        Some("tool missing: flutter-not-installed-here is not installed on this machine")
    );
    for c in &r[1..] {
        assert_eq!((c.status, c.reason.as_deref()), (CheckStatus::Skipped, Some(NO_PYTHON)), "{c:?}");
    }
}

#[tokio::test]
async fn a_failed_install_skips_the_later_checks_of_its_folder_only() {
    let f = Fixture::in_tmp();
    for d in ["a", "b"] {
        std::fs::create_dir_all(f.app.join(d)).unwrap();
    }
    let Some(s) = f.sandbox(config()) else { return };
    let at = |c: Check, cwd: &str| Check { cwd: Some(cwd.into()), ..c };
    let checks = [
        at(Check { network: true, ..check("install-a", &["sh", "-c", "echo broken >&2; exit 3"]) }, "a"),
        at(check("typecheck-a", &["true"]), "a"),
        at(check("typecheck-b", &["false"]), "b"),
        at(check("tests-b", &["true"]), "b"),
        at(
            Check { network: true, ..check("install-b", &["sh", "-c", "echo 'npm error code EAI_AGAIN' >&2; exit 1"]) },
            "b",
        ),
        at(check("build-b", &["true"]), "b"),
    ];
    let r = s.run_round(&f.app, "t", "1.0.0", &checks).await;
    let got: Vec<(CheckStatus, &str)> = r.iter().map(|c| (c.status, c.reason.as_deref().unwrap_or(""))).collect();
    assert_eq!(
        got,
        [
            (CheckStatus::Failed, "exit status 3"),
            (CheckStatus::Skipped, "an earlier step (install-a) did not pass"),
            (CheckStatus::Failed, "exit status 1"),
            (CheckStatus::Passed, ""),
            (CheckStatus::Skipped, "could not reach the package registry"),
            (CheckStatus::Skipped, "an earlier step (install-b) did not pass"),
        ]
    );
    assert!(r[0].output_tail.contains("broken"));
}

#[tokio::test]
async fn only_the_last_64_kib_of_output_are_kept() {
    let f = Fixture::in_tmp();
    let Some(s) = f.sandbox(config()) else { return };
    let script = "yes 'line of output' | head -c 5000000; printf '\\033[31mred\\033[0m\\n'; echo LAST >&2";
    let r = one(&s, &f.app, check("loud", &["sh", "-c", script])).await;
    assert_eq!(r.status, CheckStatus::Passed, "{}", r.reason.unwrap_or_default());
    assert!(r.output_tail.len() <= 64 * 1024 + 100, "{}", r.output_tail.len());
    assert!(r.output_tail.starts_with("[… "), "{}", &r.output_tail[..80]);
    assert!(r.output_tail.ends_with("red\nLAST\n"), "{:?}", &r.output_tail[r.output_tail.len() - 40..]);
}

#[tokio::test]
async fn test_counts_are_read_from_the_output() {
    let f = Fixture::in_tmp();
    let Some(s) = f.sandbox(config()) else { return };
    let r = one(&s, &f.app, check("tests", &["sh", "-c", "echo '1 failed, 4 passed in 0.52s'; exit 1"])).await;
    assert_eq!((r.status, r.tests_passed, r.tests_failed), (CheckStatus::Failed, Some(4), Some(1)));
}

#[tokio::test]
async fn the_limits_hold() {
    let f = Fixture::in_tmp();
    let cfg = ChecksConfig { cpu_s: 1, max_file_mb: 1, max_processes: 20, memory_mb: 256, timeout_s: 30, ..config() };
    let Some(s) = f.sandbox(cfg) else { return };
    let checks = [
        check("cpu", &["sh", "-c", "while :; do :; done"]),
        check("file", &["sh", "-c", "set -e; head -c 3000000 /dev/zero > big; echo written"]),
        check("fork", &["sh", "-c", "for i in $(seq 60); do sleep 3 & done; wait"]),
        check("memory", &["sh", "-c", "x=$(head -c 400000000 /dev/zero | tr '\\0' a); echo ${#x}"]),
        check("small", &["sh", "-c", "head -c 500000 /dev/zero > small"]),
    ];
    let r = s.run_round(&f.app, "t", "1.0.0", &checks).await;
    let reason = |i: usize| r[i].reason.clone().unwrap_or_default();
    assert_eq!(r[0].status, CheckStatus::Failed, "{:?}", r[0]);
    assert!(reason(0).contains("1 CPU seconds"), "{}", reason(0));
    assert!(r[0].duration_ms < 20_000, "{:?}", r[0]);
    assert_eq!(r[1].status, CheckStatus::Failed, "{:?}", r[1]);
    assert!(reason(1).contains("larger than 1 MiB"), "{}", reason(1));
    assert!(std::fs::metadata(f.app.join("big")).unwrap().len() <= 1024 * 1024);
    assert_eq!(r[2].status, CheckStatus::Failed, "{:?}", r[2]);
    assert!(r[2].output_tail.contains("fork") || r[2].output_tail.contains("Resource"), "{}", r[2].output_tail);
    assert_eq!(r[3].status, CheckStatus::Failed, "{:?}", r[3]);
    assert_eq!(r[4].status, CheckStatus::Passed, "{:?}", r[4]);
}

/// The real checks of two templates' scaffolds, with a cold and then a warm cache.
#[tokio::test]
#[ignore = "slow: installs packages from PyPI"]
async fn scaffold_rounds_cold_and_warm() {
    use startup_factory::templates::{Registry, ScaffoldVars, render_files};
    setup();
    let registry = Registry::load(None, None).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let cfg = ChecksConfig { sandbox: kind(), ..ChecksConfig::default() };
    let s = Sandbox::new(&cfg, cache.path().to_path_buf());
    s.readiness().unwrap();
    // SCAFFOLD_TEMPLATES=neoforge,reactnext picks others (whole check lists).
    let picked = std::env::var("SCAFFOLD_TEMPLATES").unwrap_or_default();
    let cases: Vec<(&str, Option<&str>)> = if picked.is_empty() {
        vec![("neoforge", Some("backend")), ("pythonml", None)]
    } else {
        picked.split(',').map(|n| (n, None)).collect()
    };
    for (name, only) in cases {
        let t = registry.resolve(&name.parse().unwrap()).unwrap();
        let checks: Vec<Check> =
            t.manifest.checks.iter().filter(|c| only.is_none() || c.cwd.as_deref() == only).cloned().collect();
        for warmth in ["cold", "warm"] {
            let run = tempfile::tempdir().unwrap();
            let app = run.path().join("app");
            let vars = ScaffoldVars::new(&t, 1, "Ledgerly", "Bookkeeping for freelancers.");
            for (path, content) in render_files(&t, &vars).unwrap() {
                let p = app.join(path);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, content).unwrap();
            }
            let before = children_cpu();
            let started = Instant::now();
            let r = s.run_round(&app, &t.manifest.name, &t.manifest.version, &checks).await;
            let wall = started.elapsed();
            let cpu = children_cpu() - before;
            println!("{name} ({warmth} cache): wall {:.1} s, CPU {:.1} s", wall.as_secs_f64(), cpu);
            for c in &r {
                println!(
                    "  {:<20} {:?} {:>6} ms tests {:?}/{:?} {}",
                    c.name,
                    c.status,
                    c.duration_ms,
                    c.tests_passed,
                    c.tests_failed,
                    c.reason.as_deref().unwrap_or("")
                );
            }
            for c in &r {
                assert_eq!(
                    c.status,
                    CheckStatus::Passed,
                    "{}: {}\n{}",
                    c.name,
                    c.reason.as_deref().unwrap_or(""),
                    c.output_tail
                );
            }
        }
    }
}

/// CPU seconds used by this process's cgroup (cgroup v1 cpuacct or v2 cpu.stat), which
/// counts the sandboxed processes however they were reaped; else by its waited-for children.
fn children_cpu() -> f64 {
    let groups = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    for line in groups.lines() {
        let mut f = line.splitn(3, ':');
        let (_, controllers, path) = (f.next().unwrap_or(""), f.next().unwrap_or(""), f.next().unwrap_or(""));
        if controllers.split(',').any(|c| c == "cpuacct") {
            let file = format!("/sys/fs/cgroup/cpuacct{path}/cpuacct.usage");
            if let Ok(ns) = std::fs::read_to_string(file).map(|t| t.trim().parse::<f64>().unwrap_or(0.0)) {
                return ns / 1e9;
            }
        }
        if controllers.is_empty() {
            let file = format!("/sys/fs/cgroup{path}/cpu.stat");
            if let Some(us) = std::fs::read_to_string(file).ok().and_then(|t| {
                t.lines().find_map(|l| l.strip_prefix("usage_usec ")).and_then(|v| v.trim().parse::<f64>().ok())
            }) {
                return us / 1e6;
            }
        }
    }
    // SAFETY: getrusage fills the struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(ru.ru_utime) + secs(ru.ru_stime)
}
