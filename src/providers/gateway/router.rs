//! The order in which a call tries its candidates, by routing policy: `preferred` (the
//! chain as written), `cheapest`, `fastest`, `best_quality`, or `adaptive` (learned quality,
//! latency and cost per task kind, a quality floor, and some exploration). The simulated
//! provider, when present, always stays last.

use std::str::FromStr;

use crate::providers::rng::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Preferred,
    Cheapest,
    Fastest,
    BestQuality,
    Adaptive,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Preferred => "preferred",
            Policy::Cheapest => "cheapest",
            Policy::Fastest => "fastest",
            Policy::BestQuality => "best_quality",
            Policy::Adaptive => "adaptive",
        }
    }
}

impl FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "preferred" => Policy::Preferred,
            "cheapest" => Policy::Cheapest,
            "fastest" => Policy::Fastest,
            "best_quality" => Policy::BestQuality,
            "adaptive" => Policy::Adaptive,
            other => return Err(format!("`{other}` is not a routing policy")),
        })
    }
}

/// What the router knows of one candidate for this call.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// Index of the provider in the gateway.
    pub index: usize,
    pub simulated: bool,
    /// Expected cost of this call from the price table; `None` when the model is unpriced.
    pub cost_micros: Option<u64>,
    /// Observed latency for this task kind (moving average), if any.
    pub latency_ms: Option<f64>,
    /// Quality score for this task kind (0 to 1, the prior before observations).
    pub quality: f64,
    /// Observations behind `quality`.
    pub observations: u64,
}

impl Candidate {
    /// A candidate as the quality book knows it (the prior when it has no record yet).
    pub fn from_record(
        index: usize,
        simulated: bool,
        cost_micros: Option<u64>,
        rec: Option<&super::quality::RouteRecord>,
    ) -> Candidate {
        Candidate {
            index,
            simulated,
            cost_micros,
            latency_ms: rec.filter(|r| r.calls > 0).map(|r| r.latency_ms),
            quality: rec.map_or(super::quality::PRIOR, |r| r.quality()),
            observations: rec.map_or(0, |r| r.observations()),
        }
    }
}

/// Settings of the adaptive policy.
#[derive(Clone, Copy, Debug)]
pub struct Adaptive {
    pub quality_floor: f64,
    pub explore: f64,
}

/// Observations needed before the quality floor is trusted to demote a provider.
const FLOOR_EVIDENCE: u64 = 3;
/// How much latency and cost weigh against quality in `adaptive` (each relative to the
/// slowest or dearest candidate).
const LATENCY_WEIGHT: f64 = 0.2;
/// Observations after which exploration is half as likely as at the start.
const EXPLORE_HALF_LIFE: f64 = 100.0;
const COST_WEIGHT: f64 = 0.2;

/// The candidates in the order to try them (a stable sort: ties keep the chain's order).
pub fn order(policy: Policy, mut cands: Vec<Candidate>, adaptive: Adaptive, rng: &mut Rng) -> Vec<usize> {
    let sim: Vec<Candidate> = cands.iter().filter(|c| c.simulated).cloned().collect();
    cands.retain(|c| !c.simulated);
    match policy {
        Policy::Preferred => {}
        Policy::Cheapest => cands.sort_by_key(|c| c.cost_micros.unwrap_or(u64::MAX)),
        // Unmeasured candidates first, so that each gets measured.
        Policy::Fastest => cands.sort_by(|a, b| {
            a.latency_ms.unwrap_or(-1.0).partial_cmp(&b.latency_ms.unwrap_or(-1.0)).unwrap_or(std::cmp::Ordering::Equal)
        }),
        Policy::BestQuality => {
            cands.sort_by(|a, b| b.quality.partial_cmp(&a.quality).unwrap_or(std::cmp::Ordering::Equal))
        }
        Policy::Adaptive => adaptive_order(&mut cands, adaptive, rng),
    }
    cands.into_iter().chain(sim).map(|c| c.index).collect()
}

fn adaptive_order(cands: &mut Vec<Candidate>, settings: Adaptive, rng: &mut Rng) {
    if cands.len() < 2 {
        return;
    }
    let max_latency = cands.iter().filter_map(|c| c.latency_ms).fold(0.0, f64::max);
    let max_cost = cands.iter().filter_map(|c| c.cost_micros).max().unwrap_or(0) as f64;
    let utility = |c: &Candidate| {
        let lat = match (c.latency_ms, max_latency > 0.0) {
            (Some(l), true) => l / max_latency,
            _ => 0.5,
        };
        let cost = match (c.cost_micros, max_cost > 0.0) {
            (Some(x), true) => x as f64 / max_cost,
            (None, _) => 1.0, // unpriced: assume the worst
            _ => 0.0,
        };
        c.quality - LATENCY_WEIGHT * lat - COST_WEIGHT * cost
    };
    let below_floor = |c: &Candidate| c.observations >= FLOOR_EVIDENCE && c.quality < settings.quality_floor;
    cands.sort_by(|a, b| {
        below_floor(a)
            .cmp(&below_floor(b))
            .then(utility(b).partial_cmp(&utility(a)).unwrap_or(std::cmp::Ordering::Equal))
    });
    // Exploration: now and then another candidate above the floor goes first, so that a
    // provider that was unlucky, or has improved, is measured again. It fades as evidence
    // builds up (the records decay, so it never stops), so that a settled choice is not
    // taxed for ever by detours to dearer providers.
    let evidence: u64 = cands.iter().map(|c| c.observations).sum();
    let chance = settings.explore / (1.0 + evidence as f64 / EXPLORE_HALF_LIFE);
    let eligible: Vec<usize> = (1..cands.len()).filter(|i| !below_floor(&cands[*i])).collect();
    if !eligible.is_empty() && rng.chance(chance) {
        let pick = *rng.pick(&eligible);
        let c = cands.remove(pick);
        cands.insert(0, c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(index: usize, cost: Option<u64>, latency: Option<f64>, quality: f64, obs: u64) -> Candidate {
        Candidate { index, simulated: false, cost_micros: cost, latency_ms: latency, quality, observations: obs }
    }

    const NO_EXPLORE: Adaptive = Adaptive { quality_floor: 0.5, explore: 0.0 };

    fn three() -> Vec<Candidate> {
        vec![
            cand(0, Some(900), Some(300.0), 0.9, 10),
            cand(1, Some(100), Some(900.0), 0.6, 10),
            cand(2, None, Some(100.0), 0.7, 10),
        ]
    }

    #[test]
    fn the_simple_policies() {
        let mut rng = Rng::new(1);
        assert_eq!(order(Policy::Preferred, three(), NO_EXPLORE, &mut rng), [0, 1, 2]);
        assert_eq!(order(Policy::Cheapest, three(), NO_EXPLORE, &mut rng), [1, 0, 2], "unpriced last");
        assert_eq!(order(Policy::Fastest, three(), NO_EXPLORE, &mut rng), [2, 0, 1]);
        assert_eq!(order(Policy::BestQuality, three(), NO_EXPLORE, &mut rng), [0, 2, 1]);
        let mut c = three();
        c[1].latency_ms = None;
        assert_eq!(order(Policy::Fastest, c, NO_EXPLORE, &mut rng), [1, 2, 0], "unmeasured first");
    }

    #[test]
    fn the_simulated_provider_stays_last() {
        let mut c = three();
        c.insert(0, Candidate { simulated: true, ..cand(9, Some(0), Some(1.0), 1.0, 100) });
        for p in [Policy::Preferred, Policy::Cheapest, Policy::Fastest, Policy::BestQuality, Policy::Adaptive] {
            assert_eq!(*order(p, c.clone(), NO_EXPLORE, &mut Rng::new(3)).last().unwrap(), 9, "{p:?}");
        }
    }

    #[test]
    fn adaptive_weighs_quality_latency_and_cost_above_a_floor() {
        let mut rng = Rng::new(1);
        // Equal quality: the cheaper and faster wins.
        let c = vec![cand(0, Some(1000), Some(1000.0), 0.8, 10), cand(1, Some(100), Some(200.0), 0.8, 10)];
        assert_eq!(order(Policy::Adaptive, c, NO_EXPLORE, &mut rng), [1, 0]);
        // Much better quality outweighs cost and latency.
        let c = vec![cand(0, Some(1000), Some(1000.0), 0.95, 10), cand(1, Some(100), Some(200.0), 0.55, 10)];
        assert_eq!(order(Policy::Adaptive, c, NO_EXPLORE, &mut rng), [0, 1]);
        // Below the floor goes last however cheap, once there is evidence.
        let c = vec![cand(0, Some(1), Some(1.0), 0.3, 5), cand(1, Some(1000), Some(1000.0), 0.6, 5)];
        assert_eq!(order(Policy::Adaptive, c, NO_EXPLORE, &mut rng), [1, 0]);
        let c = vec![cand(0, Some(1), Some(1.0), 0.3, 1), cand(1, Some(1000), Some(1000.0), 0.6, 1)];
        assert_eq!(order(Policy::Adaptive, c, NO_EXPLORE, &mut rng), [0, 1], "too little evidence to demote");
    }

    #[test]
    fn adaptive_explores_about_as_often_as_configured_and_never_below_the_floor() {
        let settings = Adaptive { quality_floor: 0.5, explore: 0.2 };
        let mut rng = Rng::new(7);
        let mut c = three();
        c.push(cand(3, Some(1), Some(1.0), 0.1, 10)); // below the floor
        let mut firsts = [0u32; 4];
        for _ in 0..5000 {
            firsts[order(Policy::Adaptive, c.clone(), settings, &mut rng)[0]] += 1;
        }
        let best = firsts.iter().enumerate().max_by_key(|(_, n)| **n).unwrap().0;
        let others: u32 = firsts.iter().enumerate().filter(|(i, _)| *i != best).map(|(_, n)| n).sum();
        // Forty observations so far: 0.2 / (1 + 40/100) of the calls explore.
        let expected = 5000.0 * 0.2 / (1.0 + 40.0 / EXPLORE_HALF_LIFE);
        assert!(
            (others as f64 - expected).abs() < expected * 0.2,
            "explored {others} of 5000, expected {expected}: {firsts:?}"
        );
        assert_eq!(firsts[3], 0, "a provider below the floor is not explored first");
    }

    #[test]
    fn exploration_fades_as_evidence_builds_up() {
        let settings = Adaptive { quality_floor: 0.5, explore: 0.2 };
        let explored = |obs: u64| {
            let mut rng = Rng::new(9);
            let c: Vec<Candidate> = three()
                .into_iter()
                .map(|mut x| {
                    x.observations = obs;
                    x
                })
                .collect();
            (0..4000).filter(|_| order(Policy::Adaptive, c.clone(), settings, &mut rng)[0] != 0).count()
        };
        let (early, late) = (explored(0), explored(3000));
        assert!(early > 600 && late < 100, "early {early}, late {late} of 4000");
    }
}
