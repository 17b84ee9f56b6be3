//! Storage faults on the real binary: a read-only data directory, a full disk, a damaged
//! sled file, a newer schema, two owners racing. Each gives one clear sentence and a
//! non-zero exit, never a panic; every decision acknowledged before the fault is there after.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Factory, Run};

/// Who runs the binary. Root ignores file permissions, so when the tests run as root the
/// read-only case runs the binary as `nobody` (uid 65534) in a data directory it owns.
#[derive(Clone, Copy)]
struct User(Option<u32>);

const NOBODY: u32 = 65_534;

impl User {
    fn me() -> Self {
        User(None)
    }

    /// Someone file permissions apply to: this user, or `nobody` when this is root.
    fn unprivileged(f: &Factory) -> Self {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return User(None);
        }
        chown_tree(f.dir.path(), NOBODY);
        User(Some(NOBODY))
    }

    fn cmd(self, f: &Factory, args: &[&str]) -> Command {
        let mut c = f.cmd(args);
        if let Some(uid) = self.0 {
            c.uid(uid).gid(uid);
        }
        c
    }

    fn run(self, f: &Factory, args: &[&str]) -> Run {
        self.cmd(f, args).output().expect("the factory binary runs").into()
    }
}

fn chown_tree(p: &Path, uid: u32) {
    std::os::unix::fs::chown(p, Some(uid), Some(uid)).unwrap();
    if p.is_dir() {
        for e in std::fs::read_dir(p).unwrap().flatten() {
            chown_tree(&e.path(), uid);
        }
    }
}

/// A config with a quick simulated provider.
fn config(f: &Factory) -> String {
    f.write("config.toml", "[sim]\nlatency_ms = 2\n").to_str().unwrap().to_string()
}

/// A headless owner of the data directory, stopped with SIGTERM (or killed when dropped).
struct Owner {
    child: Option<Child>,
}

impl Owner {
    fn start(f: &Factory, mut cmd: Command) -> Owner {
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

    fn pid(&self) -> i32 {
        self.child.as_ref().unwrap().id() as i32
    }

    fn exited(&mut self) -> bool {
        self.child.as_mut().unwrap().try_wait().unwrap().is_some()
    }

    /// SIGTERM, as systemd or tmux would stop it, then its exit code and standard error.
    fn stop(mut self) -> Run {
        // SAFETY: a signal to our own child, which has not been reaped.
        unsafe { libc::kill(self.pid(), libc::SIGTERM) };
        self.finish()
    }

    fn finish(&mut self) -> Run {
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
fn clear_refusal(what: &str, out: &Run, needle: &str) {
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
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                stack.push(p);
            } else if t.is_file() && !p.ends_with("open.lock") {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn set_writable(dir: &Path, writable: bool) {
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
struct Acknowledged {
    runs: Vec<String>,
    gates: Vec<String>,
}

impl Acknowledged {
    /// `new` through whoever serves the data directory; remembered if it answered.
    fn new_run(&mut self, user: User, f: &Factory, cfg: &str, idea: &str) -> Run {
        let name = format!("Run {}", self.runs.len() + 1);
        let out = user.run(f, &["--config", cfg, "new", "--name", &name, "--idea", idea]);
        if out.code == 0 {
            self.runs.push(out.stdout.trim().to_string());
        }
        out
    }

    /// Approves every pending gate it can, remembering each one the factory confirmed.
    fn approve_pending(&mut self, user: User, f: &Factory, cfg: &str) -> Vec<Run> {
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
    fn all_present(&self, user: User, f: &Factory) {
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
fn wait_for_gates(user: User, f: &Factory, cfg: &str, n: usize) {
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

#[test]
fn a_read_only_data_dir_is_refused_clearly_and_left_alone() {
    let f = Factory::new();
    let cfg = config(&f);
    std::fs::create_dir_all(f.data_dir()).unwrap();
    let user = User::unprivileged(&f);
    let mut acked = Acknowledged::default();
    for _ in 0..2 {
        acked.new_run(user, &f, &cfg, "Invoices for freelancers").ok();
    }
    let owner = Owner::start(&f, user.cmd(&f, &["--config", &cfg, "run", "--headless", "--quiet"]));
    wait_for_gates(user, &f, &cfg, 2);
    acked.approve_pending(user, &f, &cfg);
    acked.new_run(user, &f, &cfg, "Rotas for clinics").ok();
    assert_eq!((acked.runs.len(), acked.gates.len()), (3, 2));
    assert_eq!(owner.stop().code, 0);

    set_writable(&f.data_dir(), false);
    let before = files(&f.data_dir());
    for args in [
        vec!["status"],
        vec!["approve", "s-01", "--note", "ok"],
        vec!["new", "--name", "X", "--idea", "Y"],
        vec!["run", "--headless", "--quiet", "--exit-when-idle"],
    ] {
        let out = user.run(&f, &args);
        clear_refusal(
            &format!("{args:?} on a read-only data dir"),
            &out,
            "cannot be written (permission denied); give this user write access again",
        );
    }
    assert!(files(&f.data_dir()) == before, "a refused command changed the data directory");

    // A read-only filesystem (a read-only bind mount), where root can mount one: the
    // refusal names the filesystem, for root as for anyone.
    set_writable(&f.data_dir(), true);
    if let Some(_ro) = ReadOnlyMount::over(&f.data_dir()) {
        let out = User::me().run(&f, &["status"]);
        clear_refusal("status on a read-only mount", &out, "cannot be written (the filesystem is read-only)");
    } else {
        eprintln!("no read-only bind mount here (not root, or no mount permission): that part was skipped");
    }
    acked.all_present(user, &f);
    user.run(&f, &["--config", &cfg, "run", "--headless", "--quiet", "--exit-when-idle", "--auto-approve"]).ok();
}

/// A read-only bind mount of a folder over itself, undone when dropped.
struct ReadOnlyMount(PathBuf);

impl ReadOnlyMount {
    fn over(dir: &Path) -> Option<ReadOnlyMount> {
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
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
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
fn long_idea() -> String {
    "A marketplace for independent bookkeepers and the freelancers who need them. ".repeat(120)
}

/// Makes decisions through the owner until it stops on the fault (at most `rounds`), and
/// checks that every refusal on the way is one clear sentence.
fn decide_until_the_owner_stops(acked: &mut Acknowledged, f: &Factory, cfg: &str, owner: &mut Owner, rounds: usize) {
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
fn runs_with_decisions(f: &Factory, cfg: &str) -> Acknowledged {
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
fn recovers(acked: &Acknowledged, f: &Factory, cfg: &str) {
    acked.all_present(User::me(), f);
    f.run(&["--config", cfg, "run", "--headless", "--quiet", "--exit-when-idle", "--auto-approve"]).ok();
    let status = f.status();
    for r in status["startups"].as_array().unwrap() {
        assert_eq!(r["status"], "completed", "{r}");
    }
}

#[test]
fn a_file_size_limit_stops_the_owner_saying_the_disk_is_full_and_loses_nothing_acknowledged() {
    let f = Factory::new();
    let cfg = config(&f);
    let mut acked = runs_with_decisions(&f, &cfg);
    // The owner may grow the store's log by 1 MiB more; then every write past it is
    // refused (EFBIG). sled writes whole buffers, so less would stop it as it opens.
    let limit = std::fs::metadata(f.data_dir().join("db/db")).unwrap().len() + (1 << 20);
    let mut cmd = f.cmd(&["--config", &cfg, "run", "--headless", "--quiet"]);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit { rlim_cur: limit, rlim_max: limit };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // Past the limit a write fails with EFBIG instead of killing the process.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let mut owner = Owner::start(&f, cmd);
    decide_until_the_owner_stops(&mut acked, &f, &cfg, &mut owner, 300);
    let out = owner.finish();
    clear_refusal(
        "the owner on a full disk",
        &out,
        "is full (a file size limit was reached); free some space and try again; the orchestrator stopped and nothing unsaved was acknowledged",
    );
    assert!(acked.runs.len() > 2, "decisions were made through the limited owner too: {acked:?}");
    recovers(&acked, &f, &cfg);
}

#[test]
fn a_full_filesystem_stops_the_owner_clearly_and_after_space_is_freed_nothing_acknowledged_is_lost() {
    let f = Factory::new();
    let Some(_fs) = Tmpfs::mount(&f.data_dir(), "64m") else {
        eprintln!(
            "cannot mount a tmpfs here (not root, or no permission): the file-size-limit test covers a full disk"
        );
        return;
    };
    let cfg = config(&f);
    let mut acked = runs_with_decisions(&f, &cfg);
    let mut owner = Owner::start(&f, f.cmd(&["--config", &cfg, "run", "--headless", "--quiet"]));
    // Another program takes all but 1 MiB of the disk.
    let free = startup_factory::store::free_bytes(&f.data_dir()).unwrap();
    let filler = f.data_dir().join("filler");
    std::fs::write(&filler, vec![0xa5u8; (free - (1 << 20)) as usize]).unwrap();
    decide_until_the_owner_stops(&mut acked, &f, &cfg, &mut owner, 300);
    let out = owner.finish();
    clear_refusal(
        "the owner on a full disk",
        &out,
        "MiB free; the factory stops writing below 32 MiB, so that no write is cut short); free some space and try again; the orchestrator stopped and nothing unsaved was acknowledged",
    );
    // While the disk is full, a decision is refused the same way, and changes nothing.
    let before = f.run(&["gates", "--all", "--json"]).ok().stdout;
    let out = f.run(&["new", "--name", "Late", "--idea", "Too late"]);
    clear_refusal("a decision on a full disk", &out, "MiB free; the factory stops writing below 32 MiB");
    assert_eq!(f.run(&["gates", "--all", "--json"]).ok().stdout, before);
    // Space is back.
    std::fs::remove_file(&filler).unwrap();
    recovers(&acked, &f, &cfg);
}

/// The middle of the written part of sled's log (the file is longer than what is written).
fn middle_of_the_log(log: &[u8]) -> usize {
    log.iter().rposition(|&b| b != 0).expect("the log holds records") / 2
}

#[test]
fn a_damaged_store_is_refused_clearly_and_left_as_it_was_found() {
    let f = Factory::new();
    let cfg = config(&f);
    let acked = runs_with_decisions(&f, &cfg);
    // An open after the owner's writes leaves sled's snapshot file too.
    f.run(&["status"]).ok();
    let data = f.data_dir();
    let pristine = files(&data);
    let log = data.join("db/db");
    let snap = pristine.keys().find(|p| p.file_name().unwrap().to_str().unwrap().starts_with("snap.")).unwrap().clone();
    type Damage = Box<dyn Fn(&Path, &Path)>;
    let damages: Vec<(&str, Damage)> = vec![
        (
            "bytes overwritten in the middle of the log",
            Box::new(|log, _| {
                let mut b = std::fs::read(log).unwrap();
                let at = middle_of_the_log(&b);
                b[at..at + 64].fill(0x5a);
                std::fs::write(log, b).unwrap();
            }),
        ),
        (
            "the log truncated",
            Box::new(|log, _| {
                let b = std::fs::read(log).unwrap();
                let at = middle_of_the_log(&b);
                std::fs::write(log, &b[..at]).unwrap();
            }),
        ),
        (
            "the snapshot overwritten",
            Box::new(|_, snap| {
                let mut b = std::fs::read(snap).unwrap();
                let at = b.len() / 2;
                b[at..at + 8].fill(0xff);
                std::fs::write(snap, b).unwrap();
            }),
        ),
    ];
    for (what, damage) in damages {
        for (p, bytes) in &pristine {
            std::fs::write(p, bytes).unwrap();
        }
        damage(&log, &snap);
        let damaged = files(&data);
        for args in [
            vec!["status"],
            vec!["approve", "s-01", "--note", "ok"],
            vec!["--config", cfg.as_str(), "run", "--headless", "--quiet"],
        ] {
            let out = f.run(&args);
            clear_refusal(&format!("{what}: {args:?}"), &out, " is damaged (");
            assert!(out.stderr.contains("it was left as it was found: restore the data directory from a backup"));
            assert!(files(&data) == damaged, "{what}: {args:?} changed the data directory");
        }
    }
    for (p, bytes) in &pristine {
        std::fs::write(p, bytes).unwrap();
    }
    acked.all_present(User::me(), &f);
}

#[test]
fn a_data_dir_from_a_newer_factory_is_refused_and_not_changed() {
    let f = Factory::new();
    let cfg = config(&f);
    let acked = runs_with_decisions(&f, &cfg);
    let set_schema = |v: &str| {
        let db = sled::open(f.data_dir().join("db")).unwrap();
        db.open_tree("meta").unwrap().insert("schema", v.as_bytes()).unwrap();
        db.flush().unwrap();
    };
    set_schema("2");
    let before = files(&f.data_dir());
    for args in [
        vec!["status"],
        vec!["approve", "s-01", "--note", "ok"],
        vec!["--config", cfg.as_str(), "run", "--headless", "--quiet"],
    ] {
        let out = f.run(&args);
        clear_refusal(
            &format!("{args:?} on a newer schema"),
            &out,
            "was written by a newer factory (schema 2, this one reads 1); upgrade factory or use another --data-dir",
        );
        assert!(files(&f.data_dir()) == before, "{args:?} changed a newer factory's data directory");
    }
    set_schema("1");
    acked.all_present(User::me(), &f);
}

#[test]
fn of_two_owners_started_at_once_exactly_one_owns_the_data_dir() {
    let f = Factory::new();
    let cfg = config(&f);
    let mut acked = Acknowledged::default();
    for _ in 0..3 {
        acked.new_run(User::me(), &f, &cfg, "Invoices for freelancers").ok();
    }
    for round in 0..4 {
        let start = || {
            f.cmd(&["--config", &cfg, "run", "--headless", "--quiet"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let mut pair = [Owner { child: Some(start()) }, Owner { child: Some(start()) }];
        // The loser gives up within a few seconds; the winner keeps running.
        let deadline = Instant::now() + Duration::from_secs(15);
        let loser = loop {
            if let Some(i) = pair.iter_mut().position(Owner::exited) {
                break i;
            }
            assert!(Instant::now() < deadline, "round {round}: both kept running");
            std::thread::sleep(Duration::from_millis(20));
        };
        let out = pair[loser].finish();
        assert_eq!(out.code, 3, "round {round}: {}", out.stderr);
        let err = out.stderr.trim();
        assert_eq!(err.lines().count(), 1, "{err}");
        let winner_pid = pair[1 - loser].pid();
        assert_eq!(
            err,
            format!(
                "factory: a factory (pid {winner_pid}) already runs over {}; attach to it with `factory`, or stop it first",
                f.data_dir().display()
            ),
            "round {round}"
        );
        std::thread::sleep(Duration::from_millis(300));
        assert!(!pair[1 - loser].exited(), "round {round}: the winner keeps running");
        // Decisions through the winner's socket.
        wait_for_gates(User::me(), &f, &cfg, 1);
        let decided = acked.approve_pending(User::me(), &f, &cfg);
        assert!(decided.iter().all(|o| o.code == 0), "round {round}");
        acked.new_run(User::me(), &f, &cfg, "Rotas for clinics").ok();
        let [a, b] = pair;
        let winner = if loser == 0 { b } else { a };
        assert_eq!(winner.stop().code, 0, "round {round}");
    }
    assert!(acked.gates.len() >= 4, "{acked:?}");
    acked.all_present(User::me(), &f);
}
