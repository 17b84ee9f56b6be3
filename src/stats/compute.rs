//! The figures of a window, from the folded event log (times, decisions, calls) and the runs
//! as stored (where each stands, its template, its ledgers).

use std::collections::{BTreeMap, HashMap};

use super::log::{DAY_MS, StatsLog};
use super::report::{
    CostPerMvp, DayFigures, GateFigures, PhaseCost, ProviderFigures, RunCounts, Stats, TemplateFigures, TimeToMvp,
};
use crate::domain::{Decision, GateCode, Phase, Run, RunStatus};
use crate::providers::Routing;

/// What the figures are made from.
pub struct Inputs<'a> {
    pub log: &'a StatsLog,
    pub runs: Vec<&'a Run>,
    /// Milliseconds since the epoch.
    pub now: u64,
    /// The last so many calendar days (today included), or all time.
    pub since_days: Option<u32>,
    /// The configured providers, in the config's order (listed even without calls).
    pub providers: Vec<String>,
    /// Learned quality per provider, per task kind.
    pub quality: HashMap<String, BTreeMap<String, f64>>,
    pub routing: Routing,
}

/// The value at rank ⌊(n−1)·p/100⌋ of the sorted values (the convention of the providers'
/// live percentiles), or `None` for no values.
pub fn percentile(sorted: &[u64], p: usize) -> Option<u64> {
    sorted.get(sorted.len().checked_sub(1)? * p / 100).copied()
}

/// `num` over `den`, or `None` when there is nothing to divide by.
pub fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

fn sorted(mut v: Vec<u64>) -> Vec<u64> {
    v.sort_unstable();
    v
}

/// Day `d` (days since the epoch) as `2027-01-15`.
pub fn day_label(d: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp((d * 86_400) as i64).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::macros::format_description!("[year]-[month]-[day]")).unwrap_or_default()
}

/// The figures of the window `inputs` names.
pub fn compute(inputs: Inputs<'_>) -> Stats {
    let log = inputs.log;
    let today = inputs.now / DAY_MS;
    let from = inputs.since_days.map(|n| today.saturating_sub(u64::from(n.max(1)) - 1) * DAY_MS);
    let start = from.unwrap_or(0);
    let created = |r: &Run| log.run(r.id).and_then(|f| f.created).unwrap_or(r.created_at);
    let cohort: Vec<&Run> = inputs.runs.iter().copied().filter(|r| created(r) >= start).collect();

    let mut runs = RunCounts { started: cohort.len() as u64, ..RunCounts::default() };
    let (mut mvp_total, mut mvp_machine, mut mvp_waiting, mut mvp_cost) = (vec![], vec![], vec![], vec![]);
    let mut by_phase = [0u64; 7];
    let mut templates: BTreeMap<&str, TemplateFigures> = BTreeMap::new();
    for r in &cohort {
        let facts = log.run(r.id);
        let t = templates.entry(r.template.as_str()).or_insert_with(|| TemplateFigures {
            name: r.template.clone(),
            approvals: [GateCode::G0, GateCode::G1, GateCode::G2, GateCode::G3]
                .iter()
                .map(|c| (c.as_str().to_string(), 0))
                .collect(),
            ..TemplateFigures::default()
        });
        t.runs += 1;
        t.cost_micros += r.ledger.cost_micros;
        if let Some(f) = facts {
            for code in [GateCode::G0, GateCode::G1, GateCode::G2, GateCode::G3] {
                *t.approvals.entry(code.as_str().to_string()).or_default() += u64::from(f.approvals[code as usize]);
            }
        }
        for span in &r.phases {
            if let Some(p) = span.phase {
                by_phase[p.index()] += span.ledger.cost_micros;
            }
        }
        match r.status {
            RunStatus::Completed => {
                runs.completed += 1;
                t.completed += 1;
                mvp_cost.push(r.ledger.cost_micros);
                if let Some(released) = facts.and_then(|f| f.released) {
                    let total = released.saturating_sub(created(r));
                    let waiting = facts.map_or(0, |f| f.waited_ms).min(total);
                    mvp_total.push(total);
                    mvp_waiting.push(waiting);
                    mvp_machine.push(total - waiting);
                }
            }
            RunStatus::Rejected => {
                runs.rejected += 1;
                if let Some(code) = facts.and_then(|f| f.rejected_at) {
                    *runs.rejected_at.entry(code.as_str().to_string()).or_default() += 1;
                }
            }
            RunStatus::Failed => runs.failed += 1,
            RunStatus::Cancelled => runs.cancelled += 1,
            _ => runs.live += 1,
        }
    }
    let ended = |c: u64, all: u64, live: u64| ratio(c, all - live);
    let success_rate = ended(runs.completed, runs.started, runs.live);
    let templates: Vec<TemplateFigures> = templates
        .into_values()
        .map(|mut t| {
            let live = cohort.iter().filter(|r| r.template == t.name && !r.status.is_final()).count() as u64;
            t.success_rate = ended(t.completed, t.runs, live);
            t
        })
        .collect();
    let (mvp_total, mvp_machine, mvp_waiting, mvp_cost) =
        (sorted(mvp_total), sorted(mvp_machine), sorted(mvp_waiting), sorted(mvp_cost));
    let time_to_mvp_ms = TimeToMvp {
        count: mvp_total.len() as u64,
        p50: percentile(&mvp_total, 50),
        p90: percentile(&mvp_total, 90),
        machine_p50: percentile(&mvp_machine, 50),
        machine_p90: percentile(&mvp_machine, 90),
        waiting_p50: percentile(&mvp_waiting, 50),
        waiting_p90: percentile(&mvp_waiting, 90),
    };
    let cost_per_mvp_micros = CostPerMvp {
        count: mvp_cost.len() as u64,
        p50: percentile(&mvp_cost, 50),
        mean: (!mvp_cost.is_empty()).then(|| mvp_cost.iter().sum::<u64>() / mvp_cost.len() as u64),
    };

    let decisions: Vec<_> = log.decisions.iter().filter(|d| d.ts >= start).collect();
    let gates: Vec<GateFigures> = GateCode::ALL
        .iter()
        .map(|&code| {
            let of: Vec<_> = decisions.iter().filter(|d| d.code == code).collect();
            let count = |d: Decision| of.iter().filter(|x| x.decision == d).count() as u64;
            let decided = of.len() as u64;
            let waits = sorted(of.iter().filter(|d| !d.automatic).map(|d| d.wait_ms).collect());
            GateFigures {
                code: code.as_str().into(),
                name: code.name().into(),
                decided,
                approved: count(Decision::Approve),
                revised: count(Decision::Revise),
                rejected: count(Decision::Reject),
                automated_share: ratio(of.iter().filter(|d| d.automatic).count() as u64, decided),
                revision_rate: ratio(count(Decision::Revise), decided),
                waited: waits.len() as u64,
                wait_ms_p50: percentile(&waits, 50),
                wait_ms_p90: percentile(&waits, 90),
            }
        })
        .collect();
    let automated_share = ratio(decisions.iter().filter(|d| d.automatic).count() as u64, decisions.len() as u64);

    let mut names = inputs.providers.clone();
    let mut seen: Vec<String> = log.providers.iter().map(|p| p.name.clone()).filter(|n| !names.contains(n)).collect();
    seen.sort();
    names.extend(seen);
    let providers = names
        .into_iter()
        .map(|name| {
            let mut f = ProviderFigures {
                quality: inputs.quality.get(&name).cloned().unwrap_or_default(),
                name,
                ..ProviderFigures::default()
            };
            if let Some(p) = log.providers.iter().find(|p| p.name == f.name) {
                let mut latencies = Vec::new();
                for c in p.calls.iter().filter(|c| c.ts >= start) {
                    f.cost_micros += c.cost_micros;
                    if c.cached {
                        f.cache_hits += 1;
                    } else {
                        f.calls += 1;
                        latencies.extend(c.latency_ms.map(u64::from));
                    }
                }
                let latencies = sorted(latencies);
                f.p50_ms = percentile(&latencies, 50);
                f.p95_ms = percentile(&latencies, 95);
                f.errors = p.errors.iter().filter(|t| **t >= start).count() as u64;
                f.fallbacks = p.fallbacks.iter().filter(|t| **t >= start).count() as u64;
            }
            f.error_rate = ratio(f.errors, f.calls + f.errors);
            f
        })
        .collect();

    let first_day = match from {
        Some(f) => Some(f / DAY_MS),
        None => {
            let logged = log.days.keys().next().copied();
            let made = cohort.iter().map(|r| created(r) / DAY_MS).min();
            logged.into_iter().chain(made).min()
        }
    };
    let mut waits_by_day: BTreeMap<(u64, GateCode), Vec<u64>> = BTreeMap::new();
    for d in decisions.iter().filter(|d| !d.automatic && d.code != GateCode::Budget) {
        waits_by_day.entry((d.ts / DAY_MS, d.code)).or_default().push(d.wait_ms);
    }
    let days = match first_day {
        Some(first) if first <= today => (first..=today)
            .map(|d| {
                let logged = log.days.get(&d).copied().unwrap_or_default();
                DayFigures {
                    day: day_label(d),
                    started: logged.started,
                    completed: logged.completed,
                    spend_micros: logged.spend_micros,
                    gate_wait_ms_p50: waits_by_day
                        .range((d, GateCode::G0)..=(d, GateCode::Budget))
                        .filter_map(|((_, code), w)| {
                            Some((code.as_str().to_string(), percentile(&sorted(w.clone()), 50)?))
                        })
                        .collect(),
                }
            })
            .collect(),
        _ => Vec::new(),
    };

    Stats {
        since_days: inputs.since_days,
        from_ms: from,
        generated_at: inputs.now,
        runs,
        success_rate,
        automated_share,
        time_to_mvp_ms,
        cost_per_mvp_micros,
        cost_by_phase_micros: Phase::ALL
            .iter()
            .map(|p| PhaseCost { phase: p.as_str().into(), cost_micros: by_phase[p.index()] })
            .collect(),
        gates,
        templates,
        providers,
        routing: inputs.routing,
        days,
        health: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Event, EventKind, GateId, Ledger, PhaseSpan, RunId};

    fn inputs<'a>(log: &'a StatsLog, runs: &'a [Run], now: u64, since_days: Option<u32>) -> Inputs<'a> {
        Inputs {
            log,
            runs: runs.iter().collect(),
            now,
            since_days,
            providers: vec!["openai".into()],
            quality: HashMap::from([("openai".to_string(), BTreeMap::from([("spec".to_string(), 0.8)]))]),
            routing: Routing { policy: "preferred".into(), quality_floor: None },
        }
    }

    #[test]
    fn percentiles_take_the_lower_rank_and_nothing_is_none() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 90), Some(7));
        let v: Vec<u64> = (1..=10).collect();
        assert_eq!((percentile(&v, 50), percentile(&v, 90), percentile(&v, 95)), (Some(5), Some(9), Some(9)));
        assert_eq!(ratio(1, 0), None);
        assert_eq!(ratio(1, 4), Some(0.25));
    }

    #[test]
    fn no_runs_make_empty_figures_not_zeros() {
        let log = StatsLog::default();
        let s = compute(inputs(&log, &[], 10 * DAY_MS, None));
        assert!(s.is_empty());
        assert_eq!((s.success_rate, s.automated_share), (None, None));
        assert_eq!(s.time_to_mvp_ms, TimeToMvp::default());
        assert_eq!(s.cost_per_mvp_micros, CostPerMvp::default());
        assert!(s.gates.iter().all(|g| g.automated_share.is_none() && g.wait_ms_p50.is_none()));
        assert_eq!(s.providers.len(), 1, "a configured provider is listed without calls");
        assert_eq!((s.providers[0].error_rate, s.providers[0].p50_ms), (None, None));
        assert_eq!(s.providers[0].quality["spec"], 0.8);
        assert!(s.days.is_empty(), "all time with nothing logged has no days");
        let week = compute(inputs(&log, &[], 10 * DAY_MS + 5, Some(7)));
        assert_eq!(week.days.len(), 7);
        assert_eq!(week.from_ms, Some(4 * DAY_MS));
        assert_eq!(week.days.last().unwrap().day, "1970-01-11");
        let json = serde_json::to_value(&week).unwrap();
        assert!(json["success_rate"].is_null() && json["time_to_mvp_ms"]["p50"].is_null(), "{json}");
    }

    #[test]
    fn a_window_counts_its_runs_decisions_and_calls() {
        let day = DAY_MS;
        let mut log = StatsLog::default();
        let mut seq = 0;
        let mut push = |log: &mut StatsLog, ts: u64, run: u32, kind: EventKind| {
            seq += 1;
            log.fold(&Event { seq, ts, startup: Some(RunId(run)), kind });
        };
        let created =
            |t: &str| EventKind::RunCreated { name: "x".into(), template: t.into(), budget_micros: 1, priority: 2 };
        // s-01: an old run, rejected at G0 by a person after an hour.
        let g = GateId { run: RunId(1), code: GateCode::G0, n: 0 };
        push(&mut log, day, 1, created("neoforge"));
        push(&mut log, day + 10, 1, EventKind::GateOpened { gate: g, code: g.code, name: String::new() });
        push(
            &mut log,
            day + 10 + 3_600_000,
            1,
            EventKind::GateDecided { gate: g, decision: Decision::Reject, by: "alice".into(), note: None },
        );
        push(&mut log, day + 10 + 3_600_000, 1, EventKind::RunRejected { gate: g, note: "no".into() });
        // s-02: recent, released after 2 s, of which 500 ms at G3 waiting for bob.
        let g3 = GateId { run: RunId(2), code: GateCode::G3, n: 0 };
        push(&mut log, 9 * day, 2, created("pythonml"));
        push(&mut log, 9 * day + 1_500, 2, EventKind::GateOpened { gate: g3, code: g3.code, name: String::new() });
        push(
            &mut log,
            9 * day + 2_000,
            2,
            EventKind::GateDecided { gate: g3, decision: Decision::Approve, by: "bob".into(), note: None },
        );
        push(&mut log, 9 * day + 2_000, 2, EventKind::RunCompleted { cost_micros: 900 });
        let mut a = Run::sample(1);
        a.status = RunStatus::Rejected;
        a.created_at = day;
        let mut b = Run::sample(2);
        b.status = RunStatus::Completed;
        b.template = "pythonml".into();
        b.created_at = 9 * day;
        b.ledger = Ledger { cost_micros: 900, ..Ledger::default() };
        b.phases = vec![PhaseSpan {
            phase: Some(Phase::Build),
            ledger: Ledger { cost_micros: 600, ..Ledger::default() },
            ..PhaseSpan::default()
        }];
        let runs = [a, b];

        let all = compute(inputs(&log, &runs, 10 * day, None));
        assert_eq!((all.runs.started, all.runs.completed, all.runs.rejected), (2, 1, 1));
        assert_eq!(all.runs.rejected_at["G0"], 1);
        assert_eq!(all.success_rate, Some(0.5));
        assert_eq!(all.time_to_mvp_ms.p50, Some(2_000));
        assert_eq!((all.time_to_mvp_ms.waiting_p50, all.time_to_mvp_ms.machine_p50), (Some(500), Some(1_500)));
        assert_eq!((all.cost_per_mvp_micros.p50, all.cost_per_mvp_micros.mean), (Some(900), Some(900)));
        assert_eq!(all.cost_by_phase_micros[Phase::Build.index()].cost_micros, 600);
        assert_eq!(all.gates[0].wait_ms_p50, Some(3_600_000));
        assert_eq!(all.automated_share, Some(0.0));
        assert_eq!(all.templates.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["neoforge", "pythonml"]);
        assert_eq!(all.templates[1].approvals["G3"], 1);
        assert_eq!(all.templates[0].success_rate, Some(0.0));
        assert_eq!(all.days.len(), 10, "from the first day logged to today");
        assert_eq!(all.days[8].gate_wait_ms_p50["G3"], 500);

        let week = compute(inputs(&log, &runs, 10 * day, Some(7)));
        assert_eq!((week.runs.started, week.runs.rejected), (1, 0), "the old run is out of the window");
        assert_eq!(week.gates[0].decided, 0);
        assert_eq!(week.gates[3].decided, 1);
        assert_eq!(week.success_rate, Some(1.0));
    }
}
