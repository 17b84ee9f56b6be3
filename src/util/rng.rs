//! A small seeded random number generator (SplitMix64) whose sequence never changes between
//! versions, so that the simulated provider gives the same answers for the same seed.

#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// A generator for one (seed, task, attempt): the same inputs always give the same stream.
    pub fn for_call(seed: u64, task: &str, attempt: u32) -> Self {
        let mut h = fnv1a(task.as_bytes());
        h ^= seed.rotate_left(17);
        h ^= (attempt as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut r = Rng(h);
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `lo..hi` (`hi` excluded; returns `lo` when the range is empty).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo { lo } else { lo + self.next_u64() % (hi - lo) }
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as u64) as usize]
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// A standard normal sample (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.f64().max(f64::MIN_POSITIVE);
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A lognormal sample with the given median and spread (sigma of the log).
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }
}

/// FNV-1a, a stable 64-bit hash of bytes.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_inputs_same_stream_and_a_known_value() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::for_call(7, "s-01.research.r0", 0);
                move |_| r.next_u64()
            })
            .collect();
        let mut r = Rng::for_call(7, "s-01.research.r0", 0);
        let b: Vec<u64> = (0..4).map(|_| r.next_u64()).collect();
        assert_eq!(a, b);
        let mut other = Rng::for_call(7, "s-01.research.r0", 1);
        assert_ne!(other.next_u64(), a[0]);
        // Pinned: a change here changes every simulated run.
        assert_eq!(Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn lognormal_median_is_about_right() {
        let mut r = Rng::new(1);
        let mut xs: Vec<f64> = (0..10_001).map(|_| r.lognormal(100.0, 0.5)).collect();
        xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let median = xs[5000];
        assert!((85.0..115.0).contains(&median), "{median}");
    }
}
