//! Running one check's process: its limits, one bounded output tail, everything killed on timeout.
//!
//! Limits are set before it starts; stdout and stderr go into one bounded tail; on timeout
//! the whole process group (and pids cgroup) is killed.

use std::ffi::OsString;
use std::io;
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncReadExt;

use super::limits::{Limits, PidsCgroup};
use super::output::Tail;

/// What to run.
#[derive(Debug)]
pub struct Job {
    /// Program and arguments (bwrap's, or the check's own without a sandbox).
    pub argv: Vec<OsString>,
    /// Where the process starts.
    pub cwd: PathBuf,
    /// Its whole environment (nothing of this process's is passed on).
    pub env: Vec<(String, OsString)>,
    pub limits: Limits,
    /// Wall-clock limit.
    pub timeout: Duration,
}

/// How the process ended.
#[derive(Debug)]
pub enum Ended {
    /// It exited (or was killed by a signal) by itself.
    Exited(ExitStatus),
    /// It ran past the timeout and was killed with everything it started.
    TimedOut,
    /// It could not be started.
    NotStarted(io::Error),
}

/// How long output is still read after the process ended, from anything left holding
/// the pipe (only possible without a sandbox, for a process that left its group).
const DRAIN: Duration = Duration::from_secs(2);

/// Runs `job`, returning how it ended and the tail of its output.
pub async fn run(job: Job, cgroup: Option<&PidsCgroup>) -> (Ended, Tail) {
    let tail = Arc::new(Mutex::new(Tail::default()));
    let ended = run_into(job, cgroup, &tail).await;
    let tail = std::mem::take(&mut *tail.lock().unwrap_or_else(|p| p.into_inner()));
    (ended, tail)
}

async fn run_into(job: Job, cgroup: Option<&PidsCgroup>, tail: &Arc<Mutex<Tail>>) -> Ended {
    let Some((program, args)) = job.argv.split_first() else {
        return Ended::NotStarted(io::Error::new(io::ErrorKind::InvalidInput, "the command is empty"));
    };
    let (reader, writer) = match io::pipe() {
        Ok(p) => p,
        Err(e) => return Ended::NotStarted(e),
    };
    let writer2 = match writer.try_clone() {
        Ok(w) => w,
        Err(e) => return Ended::NotStarted(e),
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .current_dir(&job.cwd)
        .env_clear()
        .envs(job.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::from(writer2))
        .process_group(0)
        .kill_on_drop(true);
    let limits = job.limits;
    let join = cgroup.map(PidsCgroup::joiner);
    // SAFETY: the closure makes system calls only (open, write, close, setrlimit): no
    // allocation or lock between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if let Some(j) = &join {
                j.join()?;
            }
            limits.apply()
        });
    }
    let spawned = cmd.spawn();
    // Our copies of the pipe's write end go with the command, so that the reader sees
    // the end of the output once the check's processes are gone.
    drop(cmd);
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => return Ended::NotStarted(e),
    };
    let pgid = child.id().map(|p| p as i32);
    let reader = match tokio::net::unix::pipe::Receiver::from_owned_fd(OwnedFd::from(reader)) {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::warn!(error = %e, "a check's output cannot be read");
            None
        }
    };
    let sink = Arc::clone(tail);
    let reading = tokio::spawn(async move {
        let Some(mut reader) = reader else { return };
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => sink.lock().unwrap_or_else(|p| p.into_inner()).push(&buf[..n]),
            }
        }
    });
    let ended = match tokio::time::timeout(job.timeout, child.wait()).await {
        Ok(Ok(status)) => Ended::Exited(status),
        Ok(Err(e)) => Ended::NotStarted(e),
        Err(_) => {
            kill_group(pgid);
            if let Some(cg) = cgroup {
                cg.kill_all();
            }
            let _ = child.wait().await;
            Ended::TimedOut
        }
    };
    // Whatever the check left running in its group goes too (in bwrap, its pid namespace
    // has already died with it).
    kill_group(pgid);
    if let Some(cg) = cgroup {
        cg.kill_all();
    }
    let mut reading = reading;
    if tokio::time::timeout(DRAIN, &mut reading).await.is_err() {
        reading.abort();
        let _ = reading.await;
    }
    ended
}

/// SIGKILL to the process group `pgid` (the check's first process leads it).
fn kill_group(pgid: Option<i32>) {
    if let Some(pgid) = pgid.filter(|p| *p > 1) {
        // SAFETY: kill only sends a signal; a group that is gone gives ESRCH.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
    }
}
