//! The bubblewrap command line of one check: what it sees, writes and reaches.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The check's home folder inside the sandbox (on its private `/tmp`).
pub const HOME: &str = "/tmp/.home";

/// Folders that must stay visible: hiding one of them (or a folder holding one) would
/// break every program, so they are never covered.
const SYSTEM: [&str; 14] =
    ["/", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/var", "/opt", "/tmp", "/dev", "/proc", "/sys"];

/// What one check's sandbox is made of.
#[derive(Clone, Debug, Default)]
pub struct Mounts {
    /// The run's `app/`: the one folder of the machine the check may write (besides the
    /// cache for install steps). Bound last, so that it is writable wherever it is.
    pub app: PathBuf,
    /// The template's dependency cache.
    pub cache: PathBuf,
    /// Whether the cache is writable (install steps) or read-only (other checks).
    pub cache_writable: bool,
    /// Folders of the cache that stay read-only even when it is writable (ready venvs).
    pub cache_read_only: Vec<PathBuf>,
    /// Existing folders covered by an empty tmpfs (the home folder, `/run`, the data
    /// directory).
    pub hidden: Vec<PathBuf>,
    /// Existing paths made readable again when a hidden folder or `/tmp` holds them (the
    /// interpreter's installation, node's, the private `bin/`, the DNS config).
    pub readable: Vec<PathBuf>,
    /// Whether the check has the network (install steps).
    pub share_net: bool,
    /// Where the check starts, inside `app`.
    pub cwd: PathBuf,
    /// The check's whole environment.
    pub env: Vec<(String, OsString)>,
}

/// Whether `p` is a folder that may be hidden: not a system folder nor one holding one.
fn hideable(p: &Path) -> bool {
    p.is_absolute() && !SYSTEM.iter().any(|s| Path::new(s).starts_with(p))
}

/// bwrap's arguments (after the `bwrap` program) to run `program` with `args` in `m`.
///
/// Order matters: the whole file system read-only, then fresh `/dev`, `/proc` and a
/// private `/tmp`, then the hidden folders covered, then what is re-exposed, then the
/// cache, and last the writable `app/` (often under `/tmp`, so bound after the tmpfs).
pub fn args(m: &Mounts, program: &Path, args: &[String]) -> Vec<OsString> {
    let mut a: Vec<OsString> = Vec::new();
    let mut push = |items: &[&std::ffi::OsStr]| a.extend(items.iter().map(|s| s.to_os_string()));
    push(&["--die-with-parent".as_ref(), "--new-session".as_ref(), "--unshare-all".as_ref()]);
    if m.share_net {
        push(&["--share-net".as_ref()]);
    }
    push(&["--cap-drop".as_ref(), "ALL".as_ref()]);
    push(&["--ro-bind".as_ref(), "/".as_ref(), "/".as_ref()]);
    push(&[
        "--dev".as_ref(),
        "/dev".as_ref(),
        "--proc".as_ref(),
        "/proc".as_ref(),
        "--tmpfs".as_ref(),
        "/tmp".as_ref(),
    ]);
    let mut hidden: Vec<&PathBuf> = m.hidden.iter().filter(|h| hideable(h) && !h.starts_with("/tmp")).collect();
    // Outer folders first, so that an inner one is not covered again by its parent.
    hidden.sort_by_key(|h| h.components().count());
    hidden.dedup();
    for h in &hidden {
        push(&["--tmpfs".as_ref(), h.as_os_str()]);
    }
    for r in &m.readable {
        if r.starts_with("/tmp") || hidden.iter().any(|h| r.starts_with(h)) {
            push(&["--ro-bind".as_ref(), r.as_os_str(), r.as_os_str()]);
        }
    }
    let cache_bind = if m.cache_writable { "--bind" } else { "--ro-bind" };
    push(&[cache_bind.as_ref(), m.cache.as_os_str(), m.cache.as_os_str()]);
    for r in m.cache_read_only.iter().filter(|_| m.cache_writable) {
        push(&["--ro-bind".as_ref(), r.as_os_str(), r.as_os_str()]);
    }
    push(&["--bind".as_ref(), m.app.as_os_str(), m.app.as_os_str()]);
    push(&["--dir".as_ref(), HOME.as_ref()]);
    push(&["--chdir".as_ref(), m.cwd.as_os_str()]);
    push(&["--clearenv".as_ref()]);
    for (k, v) in &m.env {
        push(&["--setenv".as_ref(), k.as_ref(), v.as_os_str()]);
    }
    push(&["--".as_ref(), program.as_os_str()]);
    a.extend(args.iter().map(OsString::from));
    a
}

/// The arguments of a trial run (`true` in a sandbox like a check's), to tell whether
/// bubblewrap works on this machine at all.
pub fn trial_args() -> Vec<OsString> {
    ["--die-with-parent", "--new-session", "--unshare-all", "--cap-drop", "ALL", "--ro-bind", "/", "/"]
        .into_iter()
        .chain(["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--clearenv", "--", "/bin/true"])
        .map(OsString::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(a: &[OsString]) -> String {
        a.iter().map(|s| s.to_string_lossy().into_owned()).collect::<Vec<_>>().join(" ")
    }

    fn mounts() -> Mounts {
        Mounts {
            app: "/tmp/x/ws/app".into(),
            cache: "/data/check-cache/neoforge@1.0.0".into(),
            cache_writable: false,
            cache_read_only: vec!["/data/check-cache/neoforge@1.0.0/envs".into()],
            hidden: vec!["/root".into(), "/".into(), "/usr".into(), "/tmp/y".into()],
            readable: vec!["/root".into(), "/usr/lib/python3".into(), "/tmp/c/bin".into()],
            share_net: false,
            cwd: "/tmp/x/ws/app/backend".into(),
            env: vec![("PATH".into(), "/usr/bin:/bin".into()), ("HOME".into(), HOME.into())],
        }
    }

    #[test]
    fn the_command_line_confines_the_check() {
        let a = joined(&args(&mounts(), Path::new("/usr/bin/python3"), &["-m".into(), "pytest".into()]));
        let expected_start = "--die-with-parent --new-session --unshare-all --cap-drop ALL --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp";
        assert!(a.starts_with(expected_start), "{a}");
        // app/ is bound after the private /tmp, which would otherwise cover it.
        let tmp = a.find("--tmpfs /tmp").unwrap();
        let app = a.find("--bind /tmp/x/ws/app /tmp/x/ws/app").unwrap();
        assert!(app > tmp, "{a}");
        assert!(a.contains("--ro-bind /data/check-cache/neoforge@1.0.0 /data/check-cache/neoforge@1.0.0"), "{a}");
        assert!(!a.contains("envs"), "{a}");
        assert!(!a.contains("--share-net"), "{a}");
        assert!(
            a.contains("--chdir /tmp/x/ws/app/backend --clearenv --setenv PATH /usr/bin:/bin --setenv HOME /tmp/.home")
        );
        assert!(a.ends_with("-- /usr/bin/python3 -m pytest"), "{a}");
        // System folders and folders under the private /tmp are never covered.
        assert!(!a.contains("--tmpfs / ") && !a.contains("--tmpfs /usr") && !a.contains("--tmpfs /tmp/y"), "{a}");
        // Only what a hidden folder or the private /tmp holds is bound again.
        assert!(!a.contains("--ro-bind /usr/lib/python3"), "{a}");
        assert!(a.contains("--ro-bind /tmp/c/bin /tmp/c/bin"), "{a}");
    }

    #[test]
    fn install_steps_get_the_network_and_a_writable_cache() {
        let m = Mounts { share_net: true, cache_writable: true, ..mounts() };
        let a = joined(&args(&m, Path::new("/usr/bin/npm"), &["install".into()]));
        assert!(a.contains("--unshare-all --share-net"), "{a}");
        let rw = a.find("--bind /data/check-cache/neoforge@1.0.0 /data/check-cache/neoforge@1.0.0").unwrap();
        let ro = a.find("--ro-bind /data/check-cache/neoforge@1.0.0/envs").unwrap();
        let app = a.find("--bind /tmp/x/ws/app").unwrap();
        assert!(rw < ro && ro < app, "{a}");
    }

    #[test]
    fn hidden_folders_come_before_what_is_shown_again() {
        let m = Mounts {
            hidden: vec!["/home/u/.local/share/startup-factory".into(), "/home/u".into()],
            readable: vec!["/home/u/.pyenv/versions/3.13.0".into(), "/usr/bin".into()],
            ..mounts()
        };
        let a = joined(&args(&m, Path::new("/bin/true"), &[]));
        let outer = a.find("--tmpfs /home/u ").unwrap();
        let inner = a.find("--tmpfs /home/u/.local/share/startup-factory").unwrap();
        let show = a.find("--ro-bind /home/u/.pyenv/versions/3.13.0 /home/u/.pyenv/versions/3.13.0").unwrap();
        let app = a.find("--bind /tmp/x/ws/app").unwrap();
        assert!(outer < inner && inner < show && show < app, "{a}");
        assert!(!a.contains("--ro-bind /usr/bin"), "{a}");
    }
}
