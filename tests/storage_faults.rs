//! Storage faults on the real binary: a read-only data directory, a full disk, a damaged
//! sled file, a newer schema, two owners racing. Each gives one clear sentence and a
//! non-zero exit, never a panic; every decision acknowledged before the fault is there after.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;
mod fault_kit;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::Factory;
use fault_kit::*;

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
        common::skip_or_fail("no read-only bind mount here (not root, or no mount permission)");
    }
    acked.all_present(user, &f);
    user.run(&f, &["--config", &cfg, "run", "--headless", "--quiet", "--exit-when-idle", "--auto-approve"]).ok();
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
        common::skip_or_fail(
            "cannot mount a tmpfs here (not root, or no permission); the file-size-limit test covers a full disk",
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
    set_schema("4");
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
            "was written by a newer factory (schema 4, this one reads 3); upgrade factory or use another --data-dir",
        );
        assert!(files(&f.data_dir()) == before, "{args:?} changed a newer factory's data directory");
    }
    set_schema("3");
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

/// A damaged record of the day's spend (or of its cap) is refused like other damage, not
/// read as $0, which would start the daily cap again.
#[tokio::test]
async fn a_damaged_daily_spend_record_is_refused_not_read_as_nothing() {
    use startup_factory::orchestrator::{Options, start_with_store};
    use startup_factory::store::{Store, Writes};
    let now = 1_800_000_000_000u64;
    let day = now / 86_400_000;
    for (key, value) in [(format!("spend:{day}"), "12oops"), (format!("daily_cap:{day}"), "")] {
        let d = tempfile::tempdir().unwrap();
        let data = d.path().join("data");
        let store = Store::open(&data, 16).unwrap();
        let mut w = Writes::default();
        w.meta(&key, value.as_bytes());
        store.commit(&w).unwrap();
        let mut cfg = startup_factory::config::Config::default();
        cfg.checks.enabled = false;
        let started =
            start_with_store(std::sync::Arc::new(cfg), Options::new(data), store, std::sync::Arc::new(move || now));
        let Err(err) = started else { panic!("{key} = {value:?} was accepted") };
        assert!(
            err.message.starts_with(&format!("the record `{key}` in the data store is damaged"))
                && err.message.ends_with("restore the data directory from a backup"),
            "{err}"
        );
    }
}
