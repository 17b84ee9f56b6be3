//! Measuring tools for benchmarks: latency percentiles, percentiles of signed differences,
//! and CPU time (the process's, this thread's, or another thread's).

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

/// Percentiles of signed figures (per-pair differences), in microseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Spread {
    pub n: usize,
    pub mean_us: f64,
    pub min_us: i64,
    pub p1_us: i64,
    pub p50_us: i64,
    pub p90_us: i64,
    pub p99_us: i64,
    pub max_us: i64,
}

impl Spread {
    pub fn of(mut xs: Vec<i64>) -> Spread {
        xs.sort_unstable();
        let pct = |p: f64| if xs.is_empty() { 0 } else { xs[((xs.len() - 1) as f64 * p).round() as usize] };
        Spread {
            n: xs.len(),
            mean_us: if xs.is_empty() { 0.0 } else { xs.iter().sum::<i64>() as f64 / xs.len() as f64 },
            min_us: xs.first().copied().unwrap_or(0),
            p1_us: pct(0.01),
            p50_us: pct(0.50),
            p90_us: pct(0.90),
            p99_us: pct(0.99),
            max_us: xs.last().copied().unwrap_or(0),
        }
    }
}

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes the timespec it is given.
    if unsafe { libc::clock_gettime(clock, &mut t) } != 0 {
        return 0;
    }
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// CPU time the calling thread has used so far, in nanoseconds.
pub fn thread_cpu_ns() -> u64 {
    clock_ns(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time the whole process has used so far, in nanoseconds.
pub fn process_cpu_ns() -> u64 {
    clock_ns(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// The CPU clock of one thread, readable from any other thread of the process while it
/// lives.
#[derive(Clone, Copy, Debug)]
pub struct ThreadClock(libc::clockid_t);

impl ThreadClock {
    /// The calling thread's clock.
    pub fn current() -> Option<ThreadClock> {
        let mut id: libc::clockid_t = 0;
        // SAFETY: pthread_self is always valid for the calling thread; the id is written.
        let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut id) };
        (rc == 0).then_some(ThreadClock(id))
    }

    /// The thread's CPU time so far, in nanoseconds.
    pub fn ns(&self) -> u64 {
        clock_ns(self.0)
    }
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
    fn spreads_keep_their_sign() {
        let s = Spread::of((-50..50).rev().collect());
        assert_eq!((s.n, s.min_us, s.p1_us, s.p50_us, s.p99_us, s.max_us), (100, -50, -49, 0, 48, 49));
        assert_eq!(s.mean_us, -0.5);
        assert_eq!(Spread::of(Vec::new()).p50_us, 0);
    }

    #[test]
    fn thread_clocks_count_this_threads_work_only() {
        let clock = ThreadClock::current().unwrap();
        let (p0, t0, c0) = (process_cpu_ns(), thread_cpu_ns(), clock.ns());
        let mut x = 0u64;
        for i in 0..3_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let (t1, c1) = (thread_cpu_ns(), clock.ns());
        assert!(t1 > t0 && c1 > c0, "this thread's clocks moved");
        assert!(process_cpu_ns() >= p0 + (t1 - t0), "the process counts at least this thread");
        // Another thread's work is not on this thread's clock.
        let before = clock.ns();
        let other = std::thread::spawn(|| {
            let t = thread_cpu_ns();
            let mut y = 0u64;
            for i in 0..3_000_000u64 {
                y = y.wrapping_mul(17).wrapping_add(i);
            }
            std::hint::black_box(y);
            thread_cpu_ns() - t
        })
        .join()
        .unwrap();
        assert!(other > 0);
        assert!(clock.ns() - before < other, "a waiting thread spends less than the one working");
    }
}
