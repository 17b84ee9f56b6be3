//! `factory bench fairness`: ten runs of unequal size and priority share a provider limit;
//! the orchestrator's own `Scheduler` picks every dispatch, in a discrete-event model of the
//! limit. Each run's share of calls while all are backlogged, against its weight: Jain's index.
//! `fairness_live` asks the same of the whole orchestrator.

use serde::Serialize;

use crate::orchestrator::scheduler::Scheduler;
use crate::providers::rng::Rng;

#[derive(Debug, Serialize)]
pub struct RunShare {
    pub run: usize,
    pub priority: u8,
    pub tasks: u32,
    /// Calls dispatched while every run still had work.
    pub calls: u32,
    /// Its share of those calls divided by its weight's share (1.0 is exactly fair).
    pub normalised: f64,
}

#[derive(Debug, Serialize)]
pub struct FairnessFigures {
    pub runs: usize,
    pub limit: u32,
    pub dispatches_backlogged: u32,
    pub shares: Vec<RunShare>,
    /// Jain's fairness index of the normalised shares (1.0 is perfectly fair).
    pub jain_index: f64,
    pub met: bool,
    /// The same question asked of the real orchestrator (per-run caps, dependencies, a
    /// budget gate); `factory bench fairness` fills it in.
    pub through_the_orchestrator: Option<super::fairness_live::LiveFairness>,
}

pub fn run(quick: bool) -> FairnessFigures {
    let scale = if quick { 1 } else { 10 };
    let sizes: [u32; 10] = [50, 80, 120, 200, 300, 60, 90, 150, 250, 400].map(|s| s * scale);
    let priority: [u8; 10] = [1, 2, 3, 4, 1, 2, 3, 4, 2, 3];
    let limit = 4u32;
    let mut left = sizes;
    let mut sched = Scheduler::default();
    for (r, n) in left.iter().enumerate() {
        sched.set_eligible(r as u32, *n > 0);
    }
    let mut rng = Rng::new(3);
    // In-flight calls: (finish time, run).
    let mut flight: Vec<(f64, usize)> = Vec::new();
    let mut calls = [0u32; 10];
    let mut now = 0.0;
    let mut backlogged = true;
    let mut dispatches = 0u32;
    loop {
        while (flight.len() as u32) < limit {
            let Some(r) = sched.pop() else { break };
            let r = r as usize;
            left[r] -= 1;
            sched.charge(r as u32, priority[r]);
            sched.set_eligible(r as u32, left[r] > 0);
            // Calls take between 0.5 and 1.5 time units.
            flight.push((now + 0.5 + rng.f64(), r));
            if backlogged {
                calls[r] += 1;
                dispatches += 1;
            }
            if left[r] == 0 {
                backlogged = false;
            }
        }
        let Some(k) = (0..flight.len()).min_by(|a, b| flight[*a].0.total_cmp(&flight[*b].0)) else { break };
        let (t, _) = flight.swap_remove(k);
        now = t;
    }
    let total_weight: f64 = priority.iter().map(|p| *p as f64).sum();
    let shares: Vec<RunShare> = (0..10)
        .map(|r| {
            let share = calls[r] as f64 / dispatches.max(1) as f64;
            RunShare {
                run: r + 1,
                priority: priority[r],
                tasks: sizes[r],
                calls: calls[r],
                normalised: share / (priority[r] as f64 / total_weight),
            }
        })
        .collect();
    let sum: f64 = shares.iter().map(|s| s.normalised).sum();
    let sum_sq: f64 = shares.iter().map(|s| s.normalised * s.normalised).sum();
    let jain = sum * sum / (shares.len() as f64 * sum_sq);
    FairnessFigures {
        runs: 10,
        limit,
        dispatches_backlogged: dispatches,
        shares,
        jain_index: jain,
        met: jain >= 0.95,
        through_the_orchestrator: None,
    }
}

impl FairnessFigures {
    pub fn text(&self) -> String {
        let mut out = format!(
            "fairness: {} runs of unequal size and priority share a limit of {} calls\n  while all were backlogged ({} dispatches):\n",
            self.runs, self.limit, self.dispatches_backlogged
        );
        for s in &self.shares {
            out.push_str(&format!(
                "  run {:>2}  priority {}  {:>4} tasks  {:>4} calls  share/weight {:.3}\n",
                s.run, s.priority, s.tasks, s.calls, s.normalised
            ));
        }
        out.push_str(&format!(
            "  Jain's index {:.4} (target: at least 0.95): {}\n",
            self.jain_index,
            if self.met { "met" } else { "NOT met" }
        ));
        if let Some(live) = &self.through_the_orchestrator {
            out.push_str(&live.text());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn weighted_shares_are_fair() {
        let f = super::run(true);
        assert!(f.jain_index >= 0.95, "{}", f.text());
        assert_eq!(f.shares.len(), 10);
    }
}
