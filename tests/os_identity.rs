//! Who the factory thinks it is: the reviewer named from the system's user database (NSS,
//! not `/etc/passwd` alone), and the socket's owner taken from the effective uid (not
//! `/proc`), each run through the real binary.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::Factory;

/// Where Debian and Fedora put nss_wrapper's library (package `libnss-wrapper`).
fn nss_wrapper() -> Option<PathBuf> {
    let dirs = std::fs::read_dir("/usr/lib").into_iter().flatten().flatten().map(|d| d.path());
    dirs.chain([PathBuf::from("/usr/lib"), PathBuf::from("/usr/lib64")])
        .map(|d| d.join("libnss_wrapper.so"))
        .find(|p| p.is_file())
}

/// This test process's uid and gid, as the kernel has them.
fn ids() -> (u32, u32) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| -> u32 {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    (field("Uid:"), field("Gid:"))
}

#[test]
fn with_no_user_variable_the_reviewer_is_named_by_the_user_database_not_etc_passwd() {
    let Some(lib) = nss_wrapper() else {
        return common::skip_or_fail("nss_wrapper (Debian package libnss-wrapper) is not installed");
    };
    let f = Factory::new();
    f.run(&["demo", "--headless", "--exit-when-idle", "--quiet", "--sim-latency-ms", "0", "--startups", "3"]).ok();
    // A user database of its own (as NSS or LDAP would give), naming this uid with a name
    // that /etc/passwd does not hold.
    let (uid, gid) = ids();
    let passwd = f.write("passwd", &format!("nss-only-reviewer:x:{uid}:{gid}:NSS user:/nonexistent:/bin/sh\n"));
    let group = f.write("group", &format!("nss-only-group:x:{gid}:\n"));
    assert!(!std::fs::read_to_string("/etc/passwd").unwrap_or_default().contains("nss-only-reviewer"));

    let out = f
        .cmd(&["approve", "s-03", "--note", "named by NSS"])
        .env_remove("USER")
        .env_remove("LOGNAME")
        .env("LD_PRELOAD", &lib)
        .env("NSS_WRAPPER_PASSWD", &passwd)
        .env("NSS_WRAPPER_GROUP", &group)
        .output()
        .unwrap();
    let out = common::Run::from(out).ok();
    assert_eq!(out.stdout.trim(), "s-03.G0.0 approved by nss-only-reviewer", "{}", out.stderr);
}

/// `factory run --headless` with no `/proc` in its view of the file system (a tmpfs over
/// it, in a bubblewrap mount namespace), serving its socket in the test's folder.
fn owner_without_proc(f: &Factory) -> Option<Child> {
    let bwrap = std::process::Command::new("bwrap").arg("--version").output();
    if !bwrap.is_ok_and(|o| o.status.success()) {
        common::skip_or_fail("bwrap (Debian package bubblewrap) is not installed");
        return None;
    }
    let cfg = f.write("config.toml", &format!("[sim]\nlatency_ms = 5\n\n{}", common::NO_CHECKS));
    let inner = f.cmd(&["--config", cfg.to_str().unwrap(), "run", "--headless", "--quiet"]);
    let mut outer = std::process::Command::new("bwrap");
    outer.args(["--dev-bind", "/", "/", "--tmpfs", "/proc", "--die-with-parent", "--"]);
    outer.arg(inner.get_program()).args(inner.get_args()).env_clear();
    for (k, v) in inner.get_envs() {
        if let Some(v) = v {
            outer.env(k, v);
        }
    }
    let mut child = outer.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let sock = startup_factory::socket::socket_path(&f.data_dir());
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::os::unix::net::UnixStream::connect(&sock).is_err() {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            panic!("the owner without /proc stopped ({status}) before serving its socket:\n{err}");
        }
        assert!(Instant::now() < deadline, "the owner without /proc never served its socket");
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(child)
}

#[test]
fn an_owner_that_cannot_read_proc_still_serves_its_own_user() {
    let f = Factory::new();
    let Some(mut owner) = owner_without_proc(&f) else { return };
    // The command line attaches to the owner through its socket: the owner compares our
    // uid with its own effective uid.
    let out = f.run(&["new", "--name", "Attached", "--idea", "a run made through the socket"]);
    let status = f.run(&["status", "--json"]);
    owner.kill().unwrap();
    owner.wait().unwrap();
    let out = out.ok();
    assert!(!out.stderr.contains("serves only its own user"), "{}", out.stderr);
    let names: Vec<String> = status.ok().json()["startups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["Attached"]);
}
