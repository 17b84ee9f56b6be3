//! The event log folded for statistics, one event at a time: what each run's creation and
//! release approval were, every gate decision with its wait, every provider call, error and
//! fallback, and each day's runs and spend. Folding only the events since the last time
//! keeps `factory stats` and the Stats screen cheap however long the log grows.

use std::collections::{BTreeMap, HashMap};

use crate::domain::{Decision, Event, EventKind, GateCode, GateId, RunId};

pub const DAY_MS: u64 = 86_400_000;

/// What the log says of one run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunFacts {
    /// When it was created (its `run_created` event).
    pub created: Option<u64>,
    /// When its release gate (G3) was approved.
    pub released: Option<u64>,
    /// Time its gates waited for people, so far.
    pub waited_ms: u64,
    /// The gate that rejected it.
    pub rejected_at: Option<GateCode>,
    /// Approvals at each gate (by code: G0..G3, budget).
    pub approvals: [u32; 5],
}

/// One gate decision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DecisionFact {
    pub ts: u64,
    pub run: RunId,
    pub code: GateCode,
    pub decision: Decision,
    /// Taken by the factory itself (a gate policy, `--auto-approve`).
    pub automatic: bool,
    /// From the gate's opening to this decision.
    pub wait_ms: u64,
}

/// One answered call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CallFact {
    pub ts: u64,
    /// Absent for answers from the cache and for events recorded before latency was.
    pub latency_ms: Option<u32>,
    pub cost_micros: u64,
    pub cached: bool,
}

/// What the log says of one provider.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProviderLog {
    pub name: String,
    pub calls: Vec<CallFact>,
    /// When each failed attempt was heard of (a retry, or a fallback away from it).
    pub errors: Vec<u64>,
    /// When each fallback away from it happened.
    pub fallbacks: Vec<u64>,
}

/// One calendar day (UTC).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DayLog {
    pub started: u64,
    pub completed: u64,
    pub spend_micros: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StatsLog {
    /// The number of the first event not folded in yet.
    pub next_seq: u64,
    /// The log as it stood has been read to its end once (later events are read when asked).
    pub caught_up: bool,
    /// By run number (s-01 at 0).
    pub runs: Vec<RunFacts>,
    /// Gates opened and not decided yet: when they opened.
    open: HashMap<GateId, u64>,
    pub decisions: Vec<DecisionFact>,
    pub providers: Vec<ProviderLog>,
    /// By day number (days since the epoch).
    pub days: BTreeMap<u64, DayLog>,
}

impl Default for StatsLog {
    fn default() -> Self {
        StatsLog {
            next_seq: 1,
            caught_up: false,
            runs: Vec::new(),
            open: HashMap::new(),
            decisions: Vec::new(),
            providers: Vec::new(),
            days: BTreeMap::new(),
        }
    }
}

impl StatsLog {
    /// Folds one event in; events already folded (by number) are skipped.
    pub fn fold(&mut self, e: &Event) {
        if e.seq < self.next_seq {
            return;
        }
        self.next_seq = e.seq + 1;
        match &e.kind {
            EventKind::RunCreated { .. } => {
                if let Some(run) = e.startup {
                    self.run_mut(run).created = Some(e.ts);
                }
                self.day_mut(e.ts).started += 1;
            }
            EventKind::RunCompleted { .. } => self.day_mut(e.ts).completed += 1,
            EventKind::RunRejected { gate, .. } => self.run_mut(gate.run).rejected_at = Some(gate.code),
            EventKind::RunCancelled { .. } => {
                // Its pending gate is closed without a decision.
                if let Some(run) = e.startup {
                    self.open.retain(|g, _| g.run != run);
                }
            }
            EventKind::GateOpened { gate, .. } => {
                self.open.insert(*gate, e.ts);
            }
            EventKind::GateDecided { gate, decision, by, .. } => {
                let opened = self.open.remove(gate).unwrap_or(e.ts);
                let automatic = crate::orchestrator::decided_automatically(by);
                let wait_ms = e.ts.saturating_sub(opened);
                self.decisions.push(DecisionFact {
                    ts: e.ts,
                    run: gate.run,
                    code: gate.code,
                    decision: *decision,
                    automatic,
                    wait_ms,
                });
                let facts = self.run_mut(gate.run);
                if !automatic {
                    facts.waited_ms += wait_ms;
                }
                if *decision == Decision::Approve {
                    facts.approvals[gate.code as usize] += 1;
                    if gate.code == GateCode::G3 {
                        facts.released = Some(e.ts);
                    }
                }
            }
            EventKind::TaskDone { provider, cost_micros, cached, latency_ms, .. } if !provider.is_empty() => {
                let call = CallFact {
                    ts: e.ts,
                    latency_ms: latency_ms.map(|l| l.min(u32::MAX as u64) as u32),
                    cost_micros: *cost_micros,
                    cached: *cached,
                };
                self.provider_mut(provider).calls.push(call);
                self.day_mut(e.ts).spend_micros += cost_micros;
            }
            EventKind::TaskRetry { provider, .. } => self.provider_mut(provider).errors.push(e.ts),
            EventKind::ProviderFallback { from, .. } => {
                let p = self.provider_mut(from);
                p.errors.push(e.ts);
                p.fallbacks.push(e.ts);
            }
            _ => {}
        }
    }

    fn run_mut(&mut self, run: RunId) -> &mut RunFacts {
        let i = (run.0 as usize).saturating_sub(1);
        if self.runs.len() <= i {
            self.runs.resize(i + 1, RunFacts::default());
        }
        &mut self.runs[i]
    }

    /// What the log says of run `run` (nothing for a run it has not seen).
    pub fn run(&self, run: RunId) -> Option<&RunFacts> {
        self.runs.get((run.0 as usize).checked_sub(1)?)
    }

    fn day_mut(&mut self, ts: u64) -> &mut DayLog {
        self.days.entry(ts / DAY_MS).or_default()
    }

    fn provider_mut(&mut self, name: &str) -> &mut ProviderLog {
        match self.providers.iter().position(|p| p.name == name) {
            Some(i) => &mut self.providers[i],
            None => {
                self.providers.push(ProviderLog { name: name.to_string(), ..ProviderLog::default() });
                self.providers.last_mut().expect("just pushed")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: u64, ts: u64, run: u32, kind: EventKind) -> Event {
        Event { seq, ts, startup: Some(RunId(run)), kind }
    }

    fn gate(run: u32, code: GateCode, n: u32) -> GateId {
        GateId { run: RunId(run), code, n }
    }

    fn decided(gate: GateId, decision: Decision, by: &str) -> EventKind {
        EventKind::GateDecided { gate, decision, by: by.into(), note: None }
    }

    fn opened(gate: GateId) -> EventKind {
        EventKind::GateOpened { gate, code: gate.code, name: gate.code.name().into() }
    }

    #[test]
    fn a_run_from_creation_to_release_with_waits_for_people_only() {
        let mut log = StatsLog::default();
        let created =
            EventKind::RunCreated { name: "A".into(), template: "neoforge".into(), budget_micros: 1, priority: 2 };
        let g0 = gate(1, GateCode::G0, 0);
        let g1 = gate(1, GateCode::G1, 0);
        let g1b = gate(1, GateCode::G1, 1);
        let g3 = gate(1, GateCode::G3, 0);
        for e in [
            ev(1, 1_000, 1, created),
            ev(2, 2_000, 1, opened(g0)),
            ev(3, 2_000, 1, decided(g0, Decision::Approve, "policy: auto")),
            ev(4, 3_000, 1, opened(g1)),
            ev(5, 8_000, 1, decided(g1, Decision::Revise, "alice")),
            ev(6, 9_000, 1, opened(g1b)),
            ev(7, 9_500, 1, decided(g1b, Decision::Approve, "bob")),
            ev(8, 10_000, 1, opened(g3)),
            ev(9, 12_000, 1, decided(g3, Decision::Approve, "auto-approve")),
            ev(10, 12_000, 1, EventKind::RunCompleted { cost_micros: 7 }),
        ] {
            log.fold(&e);
        }
        let r = log.run(RunId(1)).unwrap();
        assert_eq!((r.created, r.released, r.waited_ms), (Some(1_000), Some(12_000), 5_000 + 500));
        assert_eq!(r.approvals, [1, 1, 0, 1, 0]);
        let waits: Vec<(u64, bool)> = log.decisions.iter().map(|d| (d.wait_ms, d.automatic)).collect();
        assert_eq!(waits, [(0, true), (5_000, false), (500, false), (2_000, true)]);
        assert_eq!(log.days[&0], DayLog { started: 1, completed: 1, spend_micros: 0 });
        assert_eq!(log.next_seq, 11);
        // Folding an event twice changes nothing.
        let before = log.clone();
        log.fold(&ev(9, 12_000, 1, decided(g3, Decision::Approve, "auto-approve")));
        assert_eq!(log, before);
    }

    #[test]
    fn calls_errors_and_fallbacks_are_counted_per_provider() {
        let mut log = StatsLog::default();
        let done = |provider: &str, cost, cached, latency_ms| EventKind::TaskDone {
            task: "s-01.spec.r0".into(),
            attempt: 0,
            role: None,
            provider: provider.into(),
            model: "m".into(),
            simulated: false,
            tokens_in: 1,
            tokens_out: 1,
            cost_micros: cost,
            quality: 1.0,
            cached,
            latency_ms,
        };
        let retry = EventKind::TaskRetry {
            task: "t".into(),
            attempt: 1,
            provider: "openai".into(),
            error: "500".into(),
            retry_in_ms: 10,
        };
        let fallback = EventKind::ProviderFallback {
            task: "t".into(),
            from: "openai".into(),
            to: "anthropic".into(),
            reason: "x".into(),
        };
        for (seq, kind) in [
            retry,
            fallback,
            done("anthropic", 300, false, Some(900)),
            done("anthropic", 0, true, None),
            done("openai", 200, false, Some(400)),
        ]
        .into_iter()
        .enumerate()
        {
            log.fold(&ev(seq as u64 + 1, DAY_MS + seq as u64, 1, kind));
        }
        let names: Vec<&str> = log.providers.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["openai", "anthropic"]);
        let (openai, anthropic) = (&log.providers[0], &log.providers[1]);
        assert_eq!((openai.errors.len(), openai.fallbacks.len(), openai.calls.len()), (2, 1, 1));
        assert_eq!((anthropic.errors.len(), anthropic.calls.len()), (0, 2));
        assert_eq!(anthropic.calls[0].latency_ms, Some(900));
        assert!(anthropic.calls[1].cached);
        assert_eq!(log.days[&1].spend_micros, 500);
    }

    #[test]
    fn a_cancelled_runs_open_gate_is_no_decision() {
        let mut log = StatsLog::default();
        let g = gate(2, GateCode::G0, 0);
        log.fold(&ev(1, 10, 2, opened(g)));
        log.fold(&ev(2, 20, 2, EventKind::RunCancelled { reason: "by tester".into() }));
        assert!(log.decisions.is_empty() && log.open.is_empty());
        log.fold(&ev(3, 30, 2, EventKind::RunRejected { gate: g, note: "no".into() }));
        assert_eq!(log.run(RunId(2)).unwrap().rejected_at, Some(GateCode::G0));
        assert!(log.run(RunId(1)).is_some_and(|r| *r == RunFacts::default()), "runs before it are blank");
        assert!(log.run(RunId(3)).is_none());
    }
}
