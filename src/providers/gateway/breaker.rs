//! A provider's circuit breaker: closed while calls succeed, open after repeated failures
//! in a row (the provider is skipped), half-open after a pause to let one probe through;
//! the probe's success closes it, its failure opens it again.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Circuit {
    Closed,
    Open,
    HalfOpen,
}

/// Whether a call may go to the provider now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    Yes,
    /// Not now; the circuit half-opens at this time.
    No(Instant),
}

#[derive(Clone, Debug)]
pub struct Breaker {
    threshold: u32,
    open_for: Duration,
    failures: u32,
    open_until: Option<Instant>,
    /// When the probe of a half-open circuit was let through (a probe that never reports,
    /// because its caller gave up, is replaced after `open_for`).
    probe_since: Option<Instant>,
}

impl Breaker {
    pub fn new(threshold: u32, open_for: Duration) -> Self {
        Breaker { threshold: threshold.max(1), open_for, failures: 0, open_until: None, probe_since: None }
    }

    pub fn state(&self, now: Instant) -> Circuit {
        match self.open_until {
            None => Circuit::Closed,
            Some(t) if now >= t => Circuit::HalfOpen,
            Some(_) => Circuit::Open,
        }
    }

    pub fn admit(&mut self, now: Instant) -> Admit {
        let Some(until) = self.open_until else { return Admit::Yes };
        if now < until {
            return Admit::No(until);
        }
        match self.probe_since {
            Some(t) if now < t + self.open_for => Admit::No(t + self.open_for),
            _ => {
                self.probe_since = Some(now);
                Admit::Yes
            }
        }
    }

    pub fn success(&mut self) {
        self.failures = 0;
        self.open_until = None;
        self.probe_since = None;
    }

    /// Records a failure; returns the failures in a row if this one opened the circuit.
    pub fn failure(&mut self, now: Instant) -> Option<u32> {
        self.failures += 1;
        let probing = self.probe_since.take().is_some();
        if probing || self.failures >= self.threshold {
            let was_closed = self.open_until.is_none();
            self.open_until = Some(now + self.open_for);
            if was_closed {
                return Some(self.failures);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_then_probes_once() {
        let t0 = Instant::now();
        let pause = Duration::from_secs(15);
        let mut b = Breaker::new(3, pause);
        assert_eq!(b.failure(t0), None);
        assert_eq!(b.failure(t0), None);
        assert_eq!(b.failure(t0), Some(3), "the third failure in a row opens it");
        assert_eq!(b.state(t0), Circuit::Open);
        assert_eq!(b.admit(t0), Admit::No(t0 + pause));
        let later = t0 + pause;
        assert_eq!(b.state(later), Circuit::HalfOpen);
        assert_eq!(b.admit(later), Admit::Yes, "one probe");
        assert!(matches!(b.admit(later), Admit::No(_)), "and only one");
        assert_eq!(b.failure(later), None, "a failed probe opens it again, without a second alert");
        assert_eq!(b.state(later), Circuit::Open);
        let again = later + pause;
        assert_eq!(b.admit(again), Admit::Yes);
        b.success();
        assert_eq!(b.state(again), Circuit::Closed);
        assert_eq!(b.admit(again), Admit::Yes);
    }

    #[test]
    fn a_success_resets_the_count_and_a_lost_probe_is_replaced() {
        let t0 = Instant::now();
        let mut b = Breaker::new(2, Duration::from_secs(1));
        b.failure(t0);
        b.success();
        assert_eq!(b.failure(t0), None);
        assert_eq!(b.failure(t0), Some(2));
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(b.admit(t1), Admit::Yes);
        // The probe's caller went away without reporting.
        assert!(matches!(b.admit(t1), Admit::No(_)));
        assert_eq!(b.admit(t1 + Duration::from_secs(1)), Admit::Yes);
    }
}
