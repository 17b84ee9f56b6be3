//! Measuring tools for benchmarks: latency percentiles and the process's CPU time.

use serde::Serialize;

/// Latencies of one series, in microseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Latency {
    pub n: usize,
    pub errors: usize,
    pub mean_us: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

impl Latency {
    pub fn of(mut us: Vec<u64>, errors: usize) -> Latency {
        us.sort_unstable();
        let pct = |p: f64| {
            if us.is_empty() { 0 } else { us[((us.len() - 1) as f64 * p).round() as usize] }
        };
        Latency {
            n: us.len(),
            errors,
            mean_us: if us.is_empty() { 0 } else { us.iter().sum::<u64>() / us.len() as u64 },
            p50_us: pct(0.50),
            p90_us: pct(0.90),
            p99_us: pct(0.99),
            max_us: us.last().copied().unwrap_or(0),
        }
    }
}

/// CPU time (user + system) the process has used so far, in microseconds.
pub fn cpu_us() -> u64 {
    let (user, system) = cpu_split_us();
    user + system
}

/// CPU time the process has used so far, in microseconds: `(user, system)`.
pub fn cpu_split_us() -> (u64, u64) {
    // SAFETY: getrusage fills the struct it is given; a zeroed rusage is a valid start.
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut r) };
    if rc != 0 {
        return (0, 0);
    }
    let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    (us(r.ru_utime), us(r.ru_stime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let l = Latency::of((1..=100).rev().collect(), 2);
        assert_eq!((l.n, l.errors, l.p50_us, l.p90_us, l.p99_us, l.max_us), (100, 2, 51, 90, 99, 100));
        assert_eq!(l.mean_us, 50);
        assert_eq!(Latency::of(Vec::new(), 0).p99_us, 0);
    }

    #[test]
    fn cpu_time_moves_forward() {
        let a = cpu_us();
        let mut x = 0u64;
        for i in 0..3_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(cpu_us() > a);
    }
}
