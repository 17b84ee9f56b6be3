//! The storage fault tests' kit: the binary run as an unprivileged user, a headless owner
//! stopped by signal, the decisions acknowledged before a fault, mounts that undo themselves.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Factory, Run};

/// Who runs the binary. Root ignores file permissions, so when the tests run as root the
/// read-only case runs the binary as `nobody` (uid 65534) in a data directory it owns.
#[derive(Clone, Copy)]
pub struct User(pub Option<u32>);

pub const NOBODY: u32 = 65_534;

impl User {
    pub fn me() -> Self {
        User(None)
    }

    /// Someone file permissions apply to: this user, or `nobody` when this is root.
    pub fn unprivileged(f: &Factory) -> Self {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return User(None);
        }
        chown_tree(f.dir.path(), NOBODY);
        User(Some(NOBODY))
    }

    pub fn cmd(self, f: &Factory, args: &[&str]) -> Command {
        let Some(uid) = self.0 else { return f.cmd(args) };
        let mut c = f.cmd_of(&reachable_binary(f), args);
        c.uid(uid).gid(uid);
        c
    }

    pub fn run(self, f: &Factory, args: &[&str]) -> Run {
        self.cmd(f, args).output().expect("the factory binary runs").into()
    }
}

/// The factory binary where another user can run it: a copy in the test's own folder.
/// The build's binary may sit in a clone inside a 0700 folder (`mktemp -d`, root's home)
/// that `nobody` cannot enter.
pub fn reachable_binary(f: &Factory) -> PathBuf {
    let bin = f.dir.path().join("bin");
    let copy = bin.join("factory");
    if !copy.exists() {
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let built = Path::new(env!("CARGO_BIN_EXE_factory"));
        if std::fs::hard_link(built, &copy).is_err() {
            std::fs::copy(built, &copy).unwrap();
        }
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    copy
}

pub fn chown_tree(p: &Path, uid: u32) {
    std::os::unix::fs::chown(p, Some(uid), Some(uid)).unwrap();
    if p.is_dir() {
        for e in std::fs::read_dir(p).unwrap().flatten() {
            chown_tree(&e.path(), uid);
        }
    }
}

/// A config with a quick simulated provider.
pub fn config(f: &Factory) -> String {
    f.write("config.toml", &format!("[sim]\nlatency_ms = 2\n\n{}", crate::common::NO_CHECKS))
        .to_str()
        .unwrap()
        .to_string()
}

/// A headless owner of the data directory, stopped with SIGTERM (or killed when dropped).
pub struct Owner {
    pub child: Option<Child>,
}

impl Owner {
    pub fn start(f: &Factory, mut cmd: Command) -> Owner {
        let child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let mut owner = Owner { child: Some(child) };
        let sock = f.data_dir().join("factory.sock");
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::os::unix::net::UnixStream::connect(&sock).is_err() {
            if let Some(status) = owner.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("the owner exited ({status}) before serving: {}", owner.finish().stderr);
            }
            assert!(Instant::now() < deadline, "the owner never served its socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        owner
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().unwrap().id() as i32
    }

    pub fn exited(&mut self) -> bool {
        self.child.as_mut().unwrap().try_wait().unwrap().is_some()
    }

    /// SIGTERM, as systemd or tmux would stop it, then its exit code and standard error.
    pub fn stop(mut self) -> Run {
        // SAFETY: a signal to our own child, which has not been reaped.
        unsafe { libc::kill(self.pid(), libc::SIGTERM) };
        self.finish()
    }

    pub fn finish(&mut self) -> Run {
        let child = self.child.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let pid = child.id() as i32;
        let waiter = std::thread::spawn(move || child.wait_with_output().unwrap());
        while !waiter.is_finished() {
            if Instant::now() > deadline {
                // SAFETY: as above.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                panic!("the owner did not stop within 20 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        waiter.join().unwrap().into()
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The one-sentence refusal every fault must give: exit 1, one line on stderr starting
/// `factory: ` and holding `needle`, no panic, no backtrace, nothing on stdout.
pub fn clear_refusal(what: &str, out: &Run, needle: &str) {
    assert_eq!(out.code, 1, "{what}: exit code; stderr: {}", out.stderr);
    let err = out.stderr.trim();
    assert_eq!(err.lines().count(), 1, "{what}: one line, got:\n{err}");
    assert!(err.starts_with("factory: ") && err.contains(needle), "{what}: {err}");
    for bad in ["panicked", "RUST_BACKTRACE", "internal error", "Custom {", "Os {"] {
        assert!(!err.contains(bad), "{what}: {err}");
    }
    assert!(out.stdout.is_empty(), "{what}: stdout {}", out.stdout);
}

/// Every file under `dir` (the empty open lock aside) with its bytes.
pub fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    crate::common::files(dir).into_iter().filter(|(p, _)| !p.ends_with("open.lock")).collect()
}

pub fn set_writable(dir: &Path, writable: bool) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if e.file_type().unwrap().is_dir() {
            set_writable(&p, writable);
        } else {
            let mode = if writable { 0o600 } else { 0o400 };
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
    let mode = if writable { 0o700 } else { 0o500 };
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// What the user was told was done: runs created and gates decided, with who decided.
#[derive(Default, Debug)]
pub struct Acknowledged {
    pub runs: Vec<String>,
    pub gates: Vec<String>,
}

impl Acknowledged {
    /// `new` through whoever serves the data directory; remembered if it answered.
    pub fn new_run(&mut self, user: User, f: &Factory, cfg: &str, idea: &str) -> Run {
        let name = format!("Run {}", self.runs.len() + 1);
        let out = user.run(f, &["--config", cfg, "new", "--name", &name, "--idea", idea]);
        if out.code == 0 {
            self.runs.push(out.stdout.trim().to_string());
        }
        out
    }

    /// Approves every pending gate it can, remembering each one the factory confirmed.
    pub fn approve_pending(&mut self, user: User, f: &Factory, cfg: &str) -> Vec<Run> {
        let listed = user.run(f, &["--config", cfg, "gates", "--json"]);
        if listed.code != 0 {
            return vec![listed];
        }
        let mut outs = Vec::new();
        for g in listed.json()["gates"].as_array().unwrap() {
            let id = g["id"].as_str().unwrap().to_string();
            let out = user.run(f, &["--config", cfg, "approve", &id, "--note", "fine"]);
            if out.code == 0 {
                assert_eq!(out.stdout.trim(), format!("{id} approved by tester"));
                self.gates.push(id);
            }
            outs.push(out);
        }
        outs
    }

    /// Every acknowledged run and decision is on disk (read by a process of its own).
    pub fn all_present(&self, user: User, f: &Factory) {
        let status = user.run(f, &["status", "--json"]).ok().json();
        let ids: Vec<&str> = status["startups"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
        for id in &self.runs {
            assert!(ids.contains(&id.as_str()), "acknowledged run {id} is missing from {ids:?}");
        }
        let gates = user.run(f, &["gates", "--all", "--json"]).ok().json();
        for id in &self.gates {
            let g = gates["gates"].as_array().unwrap().iter().find(|g| g["id"] == id.as_str());
            let g = g.unwrap_or_else(|| panic!("acknowledged decision on {id} is missing"));
            assert_eq!((g["status"].as_str(), g["decided_by"].as_str()), (Some("approved"), Some("tester")), "{g}");
        }
    }
}

/// Waits until `cond` holds for `gates --json` (read through the owner).
pub fn wait_for_gates(user: User, f: &Factory, cfg: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let gates = user.run(f, &["--config", cfg, "gates", "--json"]).ok().json();
        if gates["gates"].as_array().unwrap().len() >= n {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {n} gates: {gates}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A read-only bind mount of a folder over itself, undone when dropped.
pub struct ReadOnlyMount(PathBuf);

impl ReadOnlyMount {
    pub fn over(dir: &Path) -> Option<ReadOnlyMount> {
        let d = dir.to_str().unwrap();
        let ok = |args: &[&str]| Command::new("mount").args(args).output().is_ok_and(|o| o.status.success());
        if !ok(&["--bind", d, d]) {
            return None;
        }
        let mount = ReadOnlyMount(dir.to_path_buf());
        ok(&["-o", "remount,bind,ro", d]).then_some(mount)
    }
}

impl Drop for ReadOnlyMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).output();
    }
}

/// A small tmpfs mounted on `dir`, unmounted when dropped.
pub struct Tmpfs(PathBuf);

impl Tmpfs {
    pub fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let opts = format!("size={size},mode=0700");
        let out = Command::new("mount").args(["-t", "tmpfs", "-o", &opts, "tmpfs"]).arg(dir).output().ok()?;
        out.status.success().then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).output();
    }
}

/// An idea long enough that each run fills the store quickly (every update of the run
/// rewrites it).
pub fn long_idea() -> String {
    "A marketplace for independent bookkeepers and the freelancers who need them. ".repeat(120)
}

/// Makes decisions through the owner until it stops on the fault (at most `rounds`), and
/// checks that every refusal on the way is one clear sentence.
pub fn decide_until_the_owner_stops(
    acked: &mut Acknowledged,
    f: &Factory,
    cfg: &str,
    owner: &mut Owner,
    rounds: usize,
) {
    let idea = long_idea();
    for _ in 0..rounds {
        if owner.exited() {
            return;
        }
        let mut outs = vec![acked.new_run(User::me(), f, cfg, &idea)];
        outs.extend(acked.approve_pending(User::me(), f, cfg));
        for out in outs.iter().filter(|o| o.code != 0) {
            // Through the stopping owner: its reason, or that it went away.
            let err = out.stderr.trim();
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(!err.contains("panicked") && !err.contains("internal error"), "{err}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the owner never stopped on the fault after {rounds} rounds of decisions");
}

/// Two runs with their first gates approved through an owner, which then stops cleanly.
pub fn runs_with_decisions(f: &Factory, cfg: &str) -> Acknowledged {
    let mut acked = Acknowledged::default();
    let owner = Owner::start(f, f.cmd(&["--config", cfg, "run", "--headless", "--quiet"]));
    acked.new_run(User::me(), f, cfg, "Invoices for freelancers").ok();
    acked.new_run(User::me(), f, cfg, "Rotas for clinics").ok();
    wait_for_gates(User::me(), f, cfg, 2);
    acked.approve_pending(User::me(), f, cfg);
    assert_eq!((acked.runs.len(), acked.gates.len()), (2, 2));
    assert_eq!(owner.stop().code, 0);
    acked
}

/// After the space is back: every acknowledged decision is there, and the runs finish.
pub fn recovers(acked: &Acknowledged, f: &Factory, cfg: &str) {
    acked.all_present(User::me(), f);
    f.run(&["--config", cfg, "run", "--headless", "--quiet", "--exit-when-idle", "--auto-approve"]).ok();
    let status = f.status();
    for r in status["startups"].as_array().unwrap() {
        assert_eq!(r["status"], "completed", "{r}");
    }
}

/// The middle of the written part of sled's log (the file is longer than what is written).
pub fn middle_of_the_log(log: &[u8]) -> usize {
    log.iter().rposition(|&b| b != 0).expect("the log holds records") / 2
}
