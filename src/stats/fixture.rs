//! A made-up factory history (runs over weeks: gates passed by policies and by people,
//! revisions, rejections, failures, calls on four providers with retries and fallbacks) as
//! events and run records, for the Stats screen's snapshot tests and its benchmark.

use crate::domain::{Decision, Event, EventKind, GateId, Ledger, Phase, PhaseSpan, Run, RunId, RunStatus};
use crate::util::rng::Rng;

use super::log::DAY_MS;
use super::{Inputs, Stats, StatsLog};

const TEMPLATES: [&str; 4] = ["neoforge", "pythonml", "reactnext", "vuenuxt"];
const PROVIDERS: [(&str, f64, u64); 4] =
    [("anthropic", 2_100.0, 9_000), ("openai", 1_300.0, 6_000), ("perplexity", 2_800.0, 4_000), ("sim", 40.0, 1_500)];
const DAYS: u64 = 28;

/// The log and the runs of a history.
#[derive(Debug, PartialEq)]
pub struct History {
    pub events: Vec<Event>,
    pub runs: Vec<Run>,
}

impl History {
    /// The log folded, as the orchestrator would have it.
    pub fn log(&self) -> StatsLog {
        let mut log = StatsLog::default();
        for e in &self.events {
            log.fold(e);
        }
        log
    }

    /// The figures of the window, made as `factory stats` makes them.
    pub fn stats(&self, log: &StatsLog, now: u64, since_days: Option<u32>) -> Stats {
        let quality = PROVIDERS
            .iter()
            .enumerate()
            .map(|(k, (name, ..))| {
                let scores = ["research", "spec", "architecture", "plan", "build", "quality", "deploy"]
                    .iter()
                    .enumerate()
                    .map(|(j, kind)| (kind.to_string(), 0.62 + ((k * 7 + j * 5) % 35) as f64 / 100.0))
                    .collect();
                (name.to_string(), scores)
            })
            .collect();
        super::compute(Inputs {
            log,
            runs: self.runs.iter().collect(),
            now,
            since_days,
            providers: PROVIDERS.iter().map(|p| p.0.to_string()).collect(),
            quality,
            routing: crate::providers::Routing { policy: "adaptive".into(), quality_floor: Some(0.6) },
        })
    }
}

struct Writer {
    events: Vec<Event>,
    rng: Rng,
}

impl Writer {
    fn push(&mut self, ts: u64, run: RunId, kind: EventKind) {
        let seq = self.events.len() as u64 + 1;
        self.events.push(Event { seq, ts, startup: Some(run), kind });
    }

    /// One answered call (after a retry or a fallback now and then); its cost.
    fn call(&mut self, ts: u64, run: RunId, task: &str) -> u64 {
        let p = *self.rng.pick(&PROVIDERS);
        if self.rng.chance(0.04) {
            let kind = EventKind::TaskRetry {
                task: task.into(),
                attempt: 1,
                provider: p.0.into(),
                error: "HTTP 529: overloaded".into(),
                retry_in_ms: 800,
            };
            self.push(ts, run, kind);
        }
        let (name, latency, cost) = if self.rng.chance(0.02) {
            let to = PROVIDERS[(PROVIDERS.iter().position(|x| x.0 == p.0).unwrap_or(0) + 1) % PROVIDERS.len()];
            let kind = EventKind::ProviderFallback {
                task: task.into(),
                from: p.0.into(),
                to: to.0.into(),
                reason: "down".into(),
            };
            self.push(ts, run, kind);
            to
        } else {
            p
        };
        let cached = self.rng.chance(0.05);
        let cost = if cached { 0 } else { cost / 2 + self.rng.range(0, cost) };
        let kind = EventKind::TaskDone {
            task: task.into(),
            attempt: 0,
            role: None,
            provider: name.into(),
            model: format!("{name}-model"),
            simulated: name == "sim",
            tokens_in: 3_000,
            tokens_out: 600,
            cost_micros: cost,
            quality: 0.9,
            cached,
            latency_ms: (!cached).then(|| self.rng.lognormal(latency, 0.5) as u64),
        };
        self.push(ts, run, kind);
        cost
    }
}

/// The figures of a factory that has done nothing yet, with only the simulated provider
/// configured and the routing policy `preferred`.
pub fn empty(now: u64) -> Stats {
    super::compute(Inputs {
        log: &StatsLog::default(),
        runs: Vec::new(),
        now,
        since_days: None,
        providers: vec!["sim".into()],
        quality: Default::default(),
        routing: crate::providers::Routing { policy: "preferred".into(), quality_floor: None },
    })
}

/// About `events` events of `runs` runs over the four weeks before `now`.
pub fn history(runs: usize, events: usize, now: u64) -> History {
    let mut w = Writer { events: Vec::with_capacity(events + runs * 4), rng: Rng::new(17) };
    let per_run = (events / runs.max(1)).max(20);
    let start = (now / DAY_MS - (DAYS - 1)) * DAY_MS;
    let mut records = Vec::with_capacity(runs);
    for k in 0..runs {
        let id = RunId(k as u32 + 1);
        // Runs arrive through the four weeks, more of them lately; the newest may still be going.
        let created = start + ((now - start) as f64 * ((k as f64 + 0.5) / runs as f64).sqrt()) as u64;
        let template = TEMPLATES[k % TEMPLATES.len()];
        let kind = EventKind::RunCreated {
            name: format!("Run {}", k + 1),
            template: template.into(),
            budget_micros: 10_000_000,
            priority: 2,
        };
        w.push(created, id, kind);
        let mut ts = created;
        let mut status = RunStatus::Completed;
        let mut spans: Vec<PhaseSpan> = Vec::new();
        let mut spent = 0;
        let mut calls = 0;
        'pipeline: for phase in Phase::ALL {
            let span_start = ts;
            let n = if phase == Phase::Build { (per_run * 5 / 4).saturating_sub(30) } else { 2 };
            let (mut cost, mut made, mut out_of_time) = (0, 0, false);
            for c in 0..n {
                let next = ts + w.rng.range(2_000, 40_000);
                if next >= now {
                    out_of_time = true;
                    break;
                }
                ts = next;
                cost += w.call(ts, id, &format!("{id}.{}.t{c}", phase.as_str()));
                made += 1;
            }
            spent += cost;
            calls += made;
            spans.push(PhaseSpan {
                phase: Some(phase),
                started_at: span_start,
                finished_at: (!out_of_time).then_some(ts),
                ledger: Ledger { cost_micros: cost, calls: made, ..Ledger::default() },
                ..PhaseSpan::default()
            });
            if out_of_time {
                status = RunStatus::Running;
                break;
            }
            if phase == Phase::Build && k % 23 == 5 {
                w.push(ts, id, EventKind::RunFailed { reason: "the build's checks kept failing".into() });
                status = RunStatus::Failed;
                break;
            }
            let Some(code) = phase.gate_after() else { continue };
            let mut n = 0;
            loop {
                let gate = GateId { run: id, code, n };
                w.push(ts, id, EventKind::GateOpened { gate, code, name: code.name().into() });
                let by_policy = (k + code as usize).is_multiple_of(3);
                let wait =
                    if by_policy { 0 } else { (w.rng.lognormal(1_800_000.0 * (1 + code as u64) as f64, 0.9)) as u64 };
                if ts + wait >= now {
                    status = RunStatus::AwaitingGate;
                    break 'pipeline;
                }
                ts += wait;
                let roll = w.rng.range(0, 100);
                let decision = match roll {
                    0..6 if !by_policy => Decision::Reject,
                    6..18 if !by_policy && n == 0 => Decision::Revise,
                    _ => Decision::Approve,
                };
                let by =
                    if by_policy { "policy: auto".to_string() } else { ["alice", "bob", "carol"][k % 3].to_string() };
                w.push(ts, id, EventKind::GateDecided { gate, decision, by, note: None });
                match decision {
                    Decision::Approve => break,
                    Decision::Revise => {
                        n += 1;
                        ts += w.rng.range(20_000, 90_000);
                        if ts >= now {
                            status = RunStatus::Running;
                            break 'pipeline;
                        }
                        let cost = w.call(ts, id, &format!("{id}.{}.r{n}", phase.as_str()));
                        spent += cost;
                        calls += 1;
                        if let Some(span) = spans.last_mut() {
                            span.ledger.cost_micros += cost;
                        }
                    }
                    Decision::Reject => {
                        w.push(ts, id, EventKind::RunRejected { gate, note: "no market".into() });
                        status = RunStatus::Rejected;
                        break 'pipeline;
                    }
                }
            }
            if phase == Phase::Spec && k % 29 == 7 {
                w.push(ts, id, EventKind::RunCancelled { reason: "cancelled by alice".into() });
                status = RunStatus::Cancelled;
                break;
            }
        }
        if status == RunStatus::Completed {
            w.push(ts, id, EventKind::RunCompleted { cost_micros: spent });
        }
        records.push(Run {
            id,
            name: format!("Run {}", k + 1),
            idea: "An idea".into(),
            template: template.into(),
            template_version: Some("1.0.0".into()),
            ports: Default::default(),
            priority: 2,
            budget_micros: 10_000_000,
            status,
            phase: spans.last().and_then(|s| s.phase).unwrap_or(Phase::Research),
            revision: 0,
            gate: None,
            ledger: Ledger { cost_micros: spent, calls, ..Ledger::default() },
            simulated: false,
            unpriced: false,
            created_at: created,
            updated_at: ts,
            last_progress_at: ts,
            phases: spans,
            budget_alerted: false,
            stall_alerted: false,
            failure: None,
            plan_source: None,
            workspace: String::new(),
            checks: Vec::new(),
            repair_rounds: 0,
            checks_failing: false,
            verdict: None,
            gate_policies: Vec::new(),
        });
    }
    // The log is in time order, as the orchestrator writes it.
    w.events.sort_by_key(|e| e.ts);
    for (i, e) in w.events.iter_mut().enumerate() {
        e.seq = i as u64 + 1;
    }
    History { events: w.events, runs: records }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_has_every_outcome_and_about_the_events_asked_for() {
        let now = 1_800_002_400_000;
        let h = history(200, 20_000, now);
        assert_eq!(h.runs.len(), 200);
        assert!((15_000..30_000).contains(&h.events.len()), "{}", h.events.len());
        let s = h.stats(&h.log(), now, None);
        assert_eq!(s.runs.started, 200);
        for n in [s.runs.completed, s.runs.rejected, s.runs.failed, s.runs.cancelled, s.runs.live] {
            assert!(n > 0, "{:?}", s.runs);
        }
        assert!(s.gates.iter().take(4).all(|g| g.revised > 0 && g.wait_ms_p50.is_some()), "{:?}", s.gates);
        assert!(s.providers.iter().all(|p| p.calls > 0 && p.errors > 0), "{:?}", s.providers);
        assert!((20..=DAYS as usize).contains(&s.days.len()), "{}", s.days.len());
        assert_eq!(h, history(200, 20_000, now), "the same history every time");
    }
}
