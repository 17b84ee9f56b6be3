//! `factory bench routing`: three simulated providers with hidden quality, latency and price;
//! the router's own code (`router::order` over the `QualityBook`) picks for each task under
//! each policy, learning from output scores and gate decisions as the factory does. Adaptive
//! is compared with `preferred` and with the best fixed choice in hindsight.

use serde::Serialize;

use crate::providers::gateway::router::{self, Adaptive, Candidate, Policy};
use crate::providers::quality::{GateFeedback, QualityBook};
use crate::providers::rng::Rng;

/// A provider as the world sees it, unknown to the router.
struct Hidden {
    name: &'static str,
    /// Chance that a reviewer approves its artifact (and its output score's mean).
    quality: f64,
    latency_ms: f64,
    /// Cost of one call, micro-dollars.
    cost_micros: u64,
}

const PROVIDERS: [Hidden; 3] = [
    // First in the chain: the premium model `preferred` always uses.
    Hidden { name: "premium", quality: 0.90, latency_ms: 2400.0, cost_micros: 30_000 },
    Hidden { name: "balanced", quality: 0.88, latency_ms: 1300.0, cost_micros: 6_000 },
    Hidden { name: "budget", quality: 0.45, latency_ms: 700.0, cost_micros: 900 },
];

#[derive(Debug, Serialize)]
pub struct PolicyResult {
    pub policy: String,
    pub tasks: u32,
    /// Share of artifacts a reviewer approved.
    pub quality: f64,
    pub cost_micros: u64,
    pub mean_latency_ms: f64,
    /// Tasks given to each provider.
    pub picks: Vec<(String, u32)>,
}

#[derive(Debug, Serialize)]
pub struct RoutingFigures {
    pub tasks: u32,
    pub preferred: PolicyResult,
    pub adaptive: PolicyResult,
    pub fixed: Vec<PolicyResult>,
    /// The fixed choice with the best quality per dollar among those above the floor.
    pub best_fixed: String,
    /// Adaptive against the best fixed choice: its quality and cost as shares of it.
    pub quality_vs_best: f64,
    pub cost_vs_best: f64,
    /// Adaptive's saving over `preferred`, and the quality difference (points).
    pub saving_vs_preferred: f64,
    pub quality_diff_vs_preferred: f64,
    /// Regret against the best fixed choice in hindsight: what adaptive paid beyond it
    /// (negative: less), and the approval points it lost to it (negative: gained).
    pub regret_cost_micros: i64,
    pub regret_quality_points: f64,
    pub within_10_percent_of_best: bool,
    /// Equal quality: within 1 point of `preferred`'s approval rate.
    pub at_least_20_percent_cheaper_than_preferred_at_equal_quality: bool,
}

fn simulate(policy: Policy, fixed: Option<usize>, tasks: u32, seed: u64) -> PolicyResult {
    let book = QualityBook::open(None);
    let mut rng = Rng::new(seed);
    let mut world = Rng::new(seed ^ 0xA5A5);
    let settings = Adaptive { quality_floor: 0.6, explore: 0.1 };
    let (mut approved, mut cost, mut latency) = (0u32, 0u64, 0.0);
    let mut picks = vec![0u32; PROVIDERS.len()];
    for _ in 0..tasks {
        let choice = match fixed {
            Some(i) => i,
            None => {
                let cands = PROVIDERS
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        // The price is hidden: the learner knows only the charges it saw.
                        let rec = book.get(p.name, "spec");
                        let seen = rec.as_ref().filter(|r| r.calls > 0).map(|r| r.cost_micros.round() as u64);
                        Candidate::from_record(i, false, seen, rec.as_ref())
                    })
                    .collect();
                router::order(policy, cands, settings, &mut rng)[0]
            }
        };
        let p = &PROVIDERS[choice];
        picks[choice] += 1;
        let lat = (p.latency_ms * (0.8 + 0.4 * world.f64())) as u64;
        let score = (p.quality + 0.1 * (world.f64() - 0.5)).clamp(0.0, 1.0);
        let ok = world.chance(p.quality);
        approved += u32::from(ok);
        cost += p.cost_micros;
        latency += lat as f64;
        book.record_call(p.name, "spec", lat, p.cost_micros);
        book.record_output(p.name, "spec", score);
        book.record_gate(p.name, "spec", if ok { GateFeedback::Approved } else { GateFeedback::Revised });
    }
    let name = match fixed {
        Some(i) => format!("always {}", PROVIDERS[i].name),
        None => format!("{policy:?}").to_lowercase(),
    };
    PolicyResult {
        policy: name,
        tasks,
        quality: approved as f64 / tasks as f64,
        cost_micros: cost,
        mean_latency_ms: latency / tasks as f64,
        picks: PROVIDERS.iter().zip(picks).map(|(p, n)| (p.name.to_string(), n)).collect(),
    }
}

pub fn run(quick: bool) -> RoutingFigures {
    let tasks = if quick { 300 } else { 3_000 };
    let preferred = simulate(Policy::Preferred, None, tasks, 7);
    let adaptive = simulate(Policy::Adaptive, None, tasks, 7);
    let fixed: Vec<PolicyResult> =
        (0..PROVIDERS.len()).map(|i| simulate(Policy::Preferred, Some(i), tasks, 7)).collect();
    let best = fixed
        .iter()
        .filter(|f| f.quality >= 0.6)
        .max_by(|a, b| (a.quality / a.cost_micros as f64).total_cmp(&(b.quality / b.cost_micros as f64)))
        .expect("one provider is above the floor");
    let quality_vs_best = adaptive.quality / best.quality;
    let cost_vs_best = adaptive.cost_micros as f64 / best.cost_micros as f64;
    let saving = 1.0 - adaptive.cost_micros as f64 / preferred.cost_micros as f64;
    let diff = (adaptive.quality - preferred.quality) * 100.0;
    RoutingFigures {
        tasks,
        best_fixed: best.policy.clone(),
        quality_vs_best,
        cost_vs_best,
        saving_vs_preferred: saving,
        quality_diff_vs_preferred: diff,
        regret_cost_micros: adaptive.cost_micros as i64 - best.cost_micros as i64,
        regret_quality_points: (best.quality - adaptive.quality) * 100.0,
        within_10_percent_of_best: quality_vs_best >= 0.9 && cost_vs_best <= 1.1,
        at_least_20_percent_cheaper_than_preferred_at_equal_quality: saving >= 0.2 && diff >= -1.0,
        preferred,
        adaptive,
        fixed,
    }
}

impl RoutingFigures {
    pub fn text(&self) -> String {
        let row = |r: &PolicyResult| {
            let picks: Vec<String> = r.picks.iter().map(|(n, k)| format!("{n} {k}")).collect();
            format!(
                "  {:<18} quality {:.3}  cost ${:.2}  latency {:.0} ms  ({})\n",
                r.policy,
                r.quality,
                r.cost_micros as f64 / 1e6,
                r.mean_latency_ms,
                picks.join(", ")
            )
        };
        let mut out = format!(
            "routing: {} tasks of one kind, three providers with hidden quality, latency and price (the learner sees only the charges it pays)\n",
            self.tasks
        );
        out.push_str(&row(&self.preferred));
        out.push_str(&row(&self.adaptive));
        for f in &self.fixed {
            out.push_str(&row(f));
        }
        out.push_str(&format!(
            "  adaptive vs the best fixed choice ({}): quality {:.1}%, cost {:.1}% of it (target: within 10%): {}\n  regret against it: {:+.2} $ and {:+.1} approval points over {} tasks\n  adaptive vs preferred: {:.1}% cheaper, quality {:+.1} points (target: at least 20% cheaper at equal quality, within 1 point): {}\n",
            self.best_fixed,
            self.quality_vs_best * 100.0,
            self.cost_vs_best * 100.0,
            if self.within_10_percent_of_best { "met" } else { "NOT met" },
            self.regret_cost_micros as f64 / 1e6,
            self.regret_quality_points,
            self.tasks,
            self.saving_vs_preferred * 100.0,
            self.quality_diff_vs_preferred,
            if self.at_least_20_percent_cheaper_than_preferred_at_equal_quality { "met" } else { "NOT met" },
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_quick_routing_bench_runs_and_adaptive_learns() {
        let f = super::run(true);
        assert_eq!(f.preferred.picks[0].1, f.tasks, "preferred always takes the chain's first");
        assert!(f.adaptive.cost_micros < f.preferred.cost_micros);
        assert!(f.text().contains("adaptive vs preferred") && f.text().contains("regret against it"));
        // With prices hidden, learning a price means paying it: every provider was tried.
        assert!(f.adaptive.picks.iter().all(|(_, n)| *n > 0), "{:?}", f.adaptive.picks);
        let best = f.fixed.iter().find(|r| r.policy == f.best_fixed).unwrap();
        assert_eq!(f.regret_cost_micros, f.adaptive.cost_micros as i64 - best.cost_micros as i64);
    }
}
