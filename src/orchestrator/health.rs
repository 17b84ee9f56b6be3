//! The factory's own health: its CPU share, resident memory, the store's size on disk and
//! the free space there, sampled once a second and published only when the shown value moves.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::state::State;

/// One sample, as the header, `doctor` and `stats --json` show it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// CPU used by this process over the last second, in percent of one core.
    pub cpu_pct: u32,
    /// Resident memory (0 where the platform does not say).
    pub rss_bytes: u64,
    /// The sled store's files.
    pub store_bytes: u64,
    /// Free for this user on the data directory's disk (`None` if it cannot be told).
    pub free_bytes: Option<u64>,
}

impl Health {
    /// What the header shows: `cpu 3% · mem 48 MB · store 12 MB · 17 GB free`.
    pub fn text(&self) -> String {
        let mut parts = vec![format!("cpu {}%", self.cpu_pct)];
        if self.rss_bytes > 0 {
            parts.push(format!("mem {}", bytes(self.rss_bytes)));
        }
        parts.push(format!("store {}", bytes(self.store_bytes)));
        if let Some(free) = self.free_bytes {
            parts.push(format!("{} free", bytes(free)));
        }
        parts.join(" · ")
    }
}

/// `812 KB`, `48 MB`, `17 GB`: whole units, so that the figure moves rarely.
pub fn bytes(n: u64) -> String {
    const K: u64 = 1000;
    match n {
        n if n >= K * K * K => format!("{} GB", n / (K * K * K)),
        n if n >= K * K => format!("{} MB", n / (K * K)),
        n => format!("{} KB", n.div_ceil(K)),
    }
}

/// CPU time used by this process so far (user and system).
fn cpu_time() -> Duration {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RUSAGE_SELF is always valid.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Resident memory from `/proc/self/statm` (0 where there is none).
fn rss_bytes() -> u64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else { return 0 };
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(0) as u64;
    pages * page
}

/// The last CPU reading, to take the next share against.
#[derive(Debug)]
pub struct Sampler {
    at: Instant,
    cpu: Duration,
}

impl Default for Sampler {
    fn default() -> Self {
        Sampler { at: Instant::now(), cpu: cpu_time() }
    }
}

impl Sampler {
    /// The CPU share since the last call, in percent of one core.
    fn cpu_pct(&mut self) -> u32 {
        let (at, cpu) = (Instant::now(), cpu_time());
        let wall = at.duration_since(self.at).as_secs_f64();
        let used = cpu.saturating_sub(self.cpu).as_secs_f64();
        *self = Sampler { at, cpu };
        share(used, wall)
    }
}

/// `used` seconds of CPU over `wall` seconds, in percent of one core.
fn share(used: f64, wall: f64) -> u32 {
    if wall <= 0.0 { 0 } else { (used / wall * 100.0).round() as u32 }
}

impl State {
    /// Takes a sample (about once a second, from `tick`); a snapshot goes out only when the
    /// header would show something else.
    pub fn sample_health(&mut self) {
        let next = Health {
            cpu_pct: self.sampler.cpu_pct(),
            rss_bytes: rss_bytes(),
            store_bytes: self.store.size_on_disk(),
            free_bytes: crate::store::free_bytes(&self.opts.data_dir),
        };
        if next.text() != self.health.text() {
            self.changed = true;
        }
        self.health = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_whole_units_and_unknowns_are_left_out() {
        assert_eq!(bytes(999), "1 KB");
        assert_eq!(bytes(48_700_000), "48 MB");
        assert_eq!(bytes(17_900_000_000), "17 GB");
        let h = Health { cpu_pct: 3, rss_bytes: 0, store_bytes: 12_000_000, free_bytes: None };
        assert_eq!(h.text(), "cpu 3% · store 12 MB");
    }

    #[test]
    fn the_cpu_share_is_cpu_time_over_wall_time() {
        assert_eq!(share(0.25, 1.0), 25);
        assert_eq!(share(1.5, 1.0), 150, "two busy cores");
        assert_eq!(share(0.1, 0.0), 0, "no time passed");
        // Work done shows in the process's CPU time, however the machine schedules it.
        let before = cpu_time();
        let mut x = 0u64;
        for i in 0..50_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        assert!(cpu_time() > before, "{x}");
        assert!(rss_bytes() > 0, "Linux says how much is resident");
    }
}
