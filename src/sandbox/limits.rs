//! Resource limits of a check: rlimits set before it runs, and a pids cgroup for root.
//!
//! The rlimits are set in the child before it runs (inherited by all it starts); root,
//! whom `RLIMIT_NPROC` does not bind, gets a pids cgroup.
//!
//! What holds, measured on Linux 6.x:
//! - `RLIMIT_CPU` (`cpu_s`): CPU seconds of *each* process (the kernel counts per process);
//!   the wall-clock timeout bounds the check as a whole.
//! - `RLIMIT_DATA` (`memory_mb`): the writable private memory (heap, anonymous mappings)
//!   of each process. Not `RLIMIT_AS`: V8 reserves about 10 GiB of address space (as
//!   PROT_NONE guard regions) for each WebAssembly memory, so under an 8 GiB `RLIMIT_AS`
//!   Vitest fails at once ("WebAssembly.instantiate(): Out of memory: Cannot allocate Wasm
//!   memory", from es-module-lexer); reservations are not data, so `RLIMIT_DATA` lets
//!   node, npm, Vite, Vitest and pytest run and still stops a process that really
//!   allocates more. It is not a bound on the check's total.
//! - `RLIMIT_FSIZE` (`max_file_mb`): the largest file a process may write (SIGXFSZ beyond).
//! - `max_processes`: for a normal user, `RLIMIT_NPROC`, which the kernel counts over all
//!   of the user's processes and threads; so that a user with a busy desktop can still run
//!   checks, the limit is set to what the user runs now plus `max_processes`. For root,
//!   `RLIMIT_NPROC` is never enforced (the kernel exempts uid 0, even mapped into a user
//!   namespace with `--unshare-user --uid N`, which keeps the real uid 0); a pids cgroup
//!   (cgroup v1 `pids` hierarchy, or a cgroup v2 folder with the `pids` controller) bounds
//!   the check's processes instead when one is writable, and otherwise nothing does.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The limits of one check, as set in its first process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// CPU seconds of each process; 0 for none.
    pub cpu_s: u64,
    /// Writable private memory (`RLIMIT_DATA`) of each process, in bytes; 0 for none.
    pub memory_bytes: u64,
    /// `RLIMIT_NPROC`; 0 for none.
    pub nproc: u64,
    /// Largest file, in bytes; 0 for none.
    pub file_bytes: u64,
}

impl Limits {
    /// The limits from the config; `RLIMIT_NPROC` is raised by what the user runs now.
    pub fn from_config(cfg: &crate::config::ChecksConfig) -> Limits {
        const MIB: u64 = 1024 * 1024;
        let nproc = if cfg.max_processes == 0 || is_root() {
            0
        } else {
            cfg.max_processes.saturating_add(tasks_of_this_user())
        };
        Limits {
            cpu_s: cfg.cpu_s,
            memory_bytes: cfg.memory_mb.saturating_mul(MIB),
            nproc,
            file_bytes: cfg.max_file_mb.saturating_mul(MIB),
        }
    }

    /// Sets the limits on the calling process. Called between fork and exec: it makes
    /// system calls only, no allocation.
    pub fn apply(&self) -> io::Result<()> {
        let set = |resource, soft: u64, hard: u64| -> io::Result<()> {
            if soft == 0 {
                return Ok(());
            }
            let lim = libc::rlimit { rlim_cur: soft as libc::rlim_t, rlim_max: hard as libc::rlim_t };
            // SAFETY: setrlimit reads the struct we pass; it is async-signal-safe.
            if unsafe { libc::setrlimit(resource, &lim) } != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        };
        // SIGXCPU at the soft limit (so that a CPU overrun can be told from other kills),
        // SIGKILL 5 s later for a process that ignores it.
        set(libc::RLIMIT_CPU, self.cpu_s, self.cpu_s.saturating_add(5))?;
        set(libc::RLIMIT_DATA, self.memory_bytes, self.memory_bytes)?;
        set(libc::RLIMIT_NPROC, self.nproc, self.nproc)?;
        set(libc::RLIMIT_FSIZE, self.file_bytes, self.file_bytes)?;
        // No core files of crashed generated code in app/.
        let none = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: as above.
        unsafe { libc::setrlimit(libc::RLIMIT_CORE, &none) };
        Ok(())
    }
}

/// Whether this process runs as root (whom `RLIMIT_NPROC` does not bind).
pub fn is_root() -> bool {
    // SAFETY: getuid cannot fail.
    unsafe { libc::getuid() == 0 }
}

/// Processes and threads of this process's real user, which `RLIMIT_NPROC` counts.
fn tasks_of_this_user() -> u64 {
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() }.to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else { return 0 };
    let mut n = 0u64;
    for e in entries.flatten() {
        if !e.file_name().as_bytes().iter().all(u8::is_ascii_digit) {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(e.path().join("status")) else { continue };
        let field = |k: &str| status.lines().find_map(|l| l.strip_prefix(k)).map(str::trim).unwrap_or("");
        if field("Uid:").split_whitespace().next() == Some(uid.as_str()) {
            n += field("Threads:").parse::<u64>().unwrap_or(1);
        }
    }
    n
}

/// A pids cgroup made for one check: its processes join it before they run, so that
/// `pids.max` bounds them; dropped, it kills what is left in it and is removed.
#[derive(Debug)]
pub struct PidsCgroup {
    dir: PathBuf,
    procs: CString,
}

/// Moves the calling process into a pids cgroup (its `cgroup.procs` file).
#[derive(Debug)]
pub struct Joiner(CString);

impl Joiner {
    /// Moves the calling process into the cgroup. Called between fork and exec: system
    /// calls only.
    pub fn join(&self) -> io::Result<()> {
        // SAFETY: a valid NUL-terminated path; open, write and close are async-signal-safe.
        unsafe {
            let fd = libc::open(self.0.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            let written = libc::write(fd, b"0".as_ptr().cast(), 1);
            let err = io::Error::last_os_error();
            libc::close(fd);
            if written != 1 {
                return Err(err);
            }
        }
        Ok(())
    }
}

static NEXT: AtomicU64 = AtomicU64::new(0);

impl PidsCgroup {
    /// A new cgroup allowing `max` processes, under this process's own pids cgroup; `None`
    /// when there is no writable pids hierarchy (normal users, most containers).
    pub fn create(max: u64) -> Option<PidsCgroup> {
        let parent = own_pids_cgroup()?;
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!("startup-factory-check-{}-{n}", std::process::id()));
        std::fs::create_dir(&dir).ok()?;
        let cg = PidsCgroup { procs: CString::new(dir.join("cgroup.procs").as_os_str().as_bytes()).ok()?, dir };
        std::fs::write(cg.dir.join("pids.max"), max.to_string()).ok()?;
        Some(cg)
    }

    /// What moves a process into the cgroup, for use between fork and exec.
    pub fn joiner(&self) -> Joiner {
        Joiner(self.procs.clone())
    }

    /// Kills every process in the cgroup (a few passes, for processes forked meanwhile).
    pub fn kill_all(&self) {
        let _ = std::fs::write(self.dir.join("cgroup.kill"), "1");
        for _ in 0..20 {
            let Ok(text) = std::fs::read_to_string(self.dir.join("cgroup.procs")) else { return };
            let pids: Vec<i32> = text.lines().filter_map(|l| l.trim().parse().ok()).filter(|p| *p > 1).collect();
            if pids.is_empty() {
                return;
            }
            for pid in pids {
                // SAFETY: kill only sends a signal.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// The cgroup's folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for PidsCgroup {
    fn drop(&mut self) {
        self.kill_all();
        for _ in 0..50 {
            if std::fs::remove_dir(&self.dir).is_ok() || !self.dir.exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        tracing::warn!(dir = %self.dir.display(), "a check's pids cgroup could not be removed");
    }
}

/// This process's cgroup folder in a writable pids hierarchy: cgroup v1's `pids`, or a
/// cgroup v2 folder whose children get the `pids` controller.
fn own_pids_cgroup() -> Option<PathBuf> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let groups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    for line in mountinfo.lines() {
        let Some((left, right)) = line.split_once(" - ") else { continue };
        let fields: Vec<&str> = left.split(' ').collect();
        let (Some(root), Some(mount_point)) = (fields.get(3).map(|r| unescape(r)), fields.get(4).map(|m| unescape(m)))
        else {
            continue;
        };
        // The cgroup folder mounted there (a container sees its own as the root).
        let under = |own: &str| {
            PathBuf::from(&mount_point).join(own.strip_prefix(root.as_str()).unwrap_or(own).trim_start_matches('/'))
        };
        let mut right = right.split(' ');
        let (fstype, options) = (right.next().unwrap_or(""), right.nth(1).unwrap_or(""));
        let dir = match fstype {
            "cgroup" if options.split(',').any(|o| o == "pids") => {
                let Some(own) = groups.lines().find_map(|l| {
                    let mut f = l.splitn(3, ':');
                    let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
                    controllers.split(',').any(|c| c == "pids").then(|| path.to_string())
                }) else {
                    continue;
                };
                under(&own)
            }
            "cgroup2" => {
                let Some(own) = groups.lines().find_map(|l| l.strip_prefix("0::")) else { continue };
                let dir = under(own);
                let control = std::fs::read_to_string(dir.join("cgroup.subtree_control")).unwrap_or_default();
                if !control.split_whitespace().any(|c| c == "pids") {
                    continue;
                }
                dir
            }
            _ => continue,
        };
        if dir.join("cgroup.procs").exists() {
            return Some(dir);
        }
    }
    None
}

/// A mountinfo path with its octal escapes (`\040` for a space) decoded.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            let v = b[i + 1..i + 4].iter().fold(0u32, |acc, c| acc * 8 + u32::from(c - b'0'));
            out.push(v as u8);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes_are_decoded() {
        assert_eq!(unescape("/sys/fs/cgroup/a\\040b"), "/sys/fs/cgroup/a b");
        assert_eq!(unescape("/plain"), "/plain");
        assert_eq!(unescape("/end\\04"), "/end\\04");
    }

    #[test]
    fn zero_means_no_limit_and_the_config_maps_to_bytes() {
        let cfg = crate::config::ChecksConfig { max_processes: 0, ..Default::default() };
        let l = Limits::from_config(&cfg);
        assert_eq!(l.nproc, 0);
        assert_eq!(l.memory_bytes, 8192 * 1024 * 1024);
        assert_eq!(l.file_bytes, 512 * 1024 * 1024);
        assert_eq!(l.cpu_s, 900);
        let l = Limits::from_config(&crate::config::ChecksConfig::default());
        assert!(is_root() || l.nproc >= 512, "{l:?}");
    }
}
