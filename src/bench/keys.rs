//! Key to screen, end to end: the real binary's control room in a pseudo-terminal over a
//! data directory of finished runs; a key is written to the terminal, and the clock stops
//! when the frame that answers it comes out of the terminal.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{FactoryError, Result};

/// Key to frame through the real input path, microseconds.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct KeyFigures {
    pub keys: usize,
    pub p50_us: u64,
    pub p99_us: u64,
    /// Bytes the idle control room sent (clocks, its own health in the header) over
    /// `idle_seconds` before the first key: what an SSH link carries when nothing happens.
    pub idle_bytes: u64,
    pub idle_seconds: f64,
}

fn internal(what: &str, e: impl std::fmt::Display) -> FactoryError {
    FactoryError::internal(format!("the key benchmark could not {what}: {e}"))
}

/// A pseudo-terminal `w` x `h`: the master to drive it, the slave for the program.
fn pty(w: u16, h: u16) -> Result<(OwnedFd, OwnedFd)> {
    let (mut master, mut slave) = (-1, -1);
    let size = libc::winsize { ws_row: h, ws_col: w, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: out-pointers to two ints and a filled winsize; no name buffer, default termios.
    let rc = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &size) };
    if rc != 0 {
        return Err(internal("open a pseudo-terminal", std::io::Error::last_os_error()));
    }
    // SAFETY: openpty returned two open descriptors that nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) })
}

/// Waits up to `wait` for output and reads it, answering a cursor-position query as a
/// terminal does (crossterm asks at start); the bytes read, or `None` on silence or an end.
fn read_some(master: &mut std::fs::File, wait: Duration) -> Option<usize> {
    let mut p = libc::pollfd { fd: master.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd.
    if unsafe { libc::poll(&mut p, 1, wait.as_millis().max(1) as i32) } <= 0 {
        return None;
    }
    let mut buf = [0u8; 65536];
    let n = master.read(&mut buf).ok().filter(|n| *n > 0)?;
    if buf[..n].windows(4).any(|w| w == b"\x1b[6n") {
        let _ = master.write_all(b"\x1b[1;1R");
    }
    Some(n)
}

/// Reads what arrives within `quiet` of the last byte; returns when the first byte came.
fn drain(master: &mut std::fs::File, quiet: Duration, limit: Duration) -> Option<Instant> {
    let mut first = None;
    let start = Instant::now();
    loop {
        let wait = if first.is_some() { quiet } else { limit.saturating_sub(start.elapsed()) };
        if read_some(master, wait).is_none() {
            return first;
        }
        first.get_or_insert_with(Instant::now);
    }
}

/// Counts the bytes that come out for `span`.
fn count_bytes(master: &mut std::fs::File, span: Duration) -> u64 {
    let end = Instant::now() + span;
    let mut total = 0u64;
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        total += read_some(master, left).unwrap_or(0) as u64;
    }
    total
}

/// Starts `exe` over `data` in a 200x50 terminal, waits for its first frame, counts what
/// it sends while idle for `idle`, then presses `keys` keys (down and up through the
/// Startups list) one at a time.
pub fn run(exe: &Path, data: &Path, keys: usize, idle: Duration) -> Result<KeyFigures> {
    let (master, slave) = pty(200, 50)?;
    let home = data.parent().unwrap_or(data);
    let stdio =
        |fd: &OwnedFd| fd.try_clone().map(std::process::Stdio::from).map_err(|e| internal("share the terminal", e));
    let mut child = std::process::Command::new(exe)
        .arg("--data-dir")
        .arg(data)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("TERM", "xterm-256color")
        .stdin(stdio(&slave)?)
        .stdout(stdio(&slave)?)
        .stderr(stdio(&slave)?)
        .spawn()
        .map_err(|e| internal("start the control room", e))?;
    drop(slave);
    let mut term = std::fs::File::from(master);
    let result = (|| {
        if drain(&mut term, Duration::from_millis(500), Duration::from_secs(30)).is_none() {
            return Err(internal("see the first frame", "nothing was drawn in 30 s"));
        }
        let idle_bytes = count_bytes(&mut term, idle);
        let mut took = Vec::with_capacity(keys);
        for k in 0..keys {
            let key: &[u8] = if k % 40 < 20 { b"j" } else { b"k" };
            let t = Instant::now();
            term.write_all(key).map_err(|e| internal("press a key", e))?;
            // Frames are paced at 33 ms: a quiet 60 ms means the answer is all out.
            let Some(seen) = drain(&mut term, Duration::from_millis(60), Duration::from_secs(5)) else {
                return Err(internal("see a frame answer a key", "nothing came in 5 s"));
            };
            took.push(seen.duration_since(t).as_micros() as u64);
        }
        let _ = term.write_all(b"q");
        Ok((took, idle_bytes))
    })();
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let (mut took, idle_bytes) = result?;
    took.sort_unstable();
    let at = |p: usize| took.get((took.len().saturating_sub(1)) * p / 100).copied().unwrap_or(0);
    Ok(KeyFigures { keys: took.len(), p50_us: at(50), p99_us: at(99), idle_bytes, idle_seconds: idle.as_secs_f64() })
}
