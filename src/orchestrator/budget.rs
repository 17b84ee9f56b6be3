//! Budgets in micro-dollars: a call's worst case checked before it is made, per run and
//! against the daily cap; alerts at the configured share; budget gates at 100%.

use super::runs::{RunIx, TaskIx};
use super::state::State;
use crate::domain::money::{fmt_usd, parse_usd, usd_f64_to_micros};
use crate::domain::{AlertKind, BudgetAsk, EventKind, Gate, GateCode, GateId, GateStatus, Review, TaskKind};
use crate::error::{FactoryError, Result};

/// Characters of a prompt beyond the project memory (the template text, facts, notes).
const PROMPT_OVERHEAD_CHARS: u64 = 12_000;

impl State {
    /// The daily cap in force today (0 for none).
    pub fn daily_cap(&self) -> u64 {
        self.day_budget.cap(usd_f64_to_micros(self.cfg.budget.daily_cap_usd))
    }

    /// The most the next call of task `t` may cost: its prompt bounded by the artifacts it
    /// may quote (at three characters a token), its answer by the prompt's output cap, at
    /// the dearest price of the providers it may reach.
    pub fn worst_case(&self, i: RunIx, t: TaskIx) -> u64 {
        let rs = &self.runs[i];
        let task = &rs.tasks[t];
        if task.kind == TaskKind::Integrate {
            return 0;
        }
        let prompt = match task.kind {
            TaskKind::Plan => "plan",
            TaskKind::Team => "build",
            _ => task.phase.as_str(),
        };
        let max_out = super::worker::max_tokens(self.shared.prompts.meta(prompt).max_output_tokens, task) as u64;
        // The code a team task or the quality review quotes: at most `team.context_tokens`
        // estimated tokens, four characters each.
        let quotes_code = task.kind == TaskKind::Team || task.phase == crate::domain::Phase::Quality;
        let code_chars = if quotes_code { self.cfg.team.context_tokens as u64 * 4 } else { 0 };
        let chars = PROMPT_OVERHEAD_CHARS
            + rs.artifact_chars.iter().sum::<u64>()
            + rs.run.name.len() as u64
            + rs.run.idea.len() as u64
            + code_chars
            + task.error.as_ref().map(|e| e.len() as u64).unwrap_or(0)
            + task.refused.as_ref().map(|r| r.reason.len() as u64).unwrap_or(0)
            + task.repair.as_ref().map(|r| r.checks.iter().map(|(n, o)| (n.len() + o.len()) as u64).sum()).unwrap_or(0)
            + if task.phase == crate::domain::Phase::Quality { checks_chars(&rs.run.checks) } else { 0 };
        self.shared.gateway.worst_case(task.kind.route(task.phase), chars / 3 + 1, max_out)
    }

    /// Whether a call costing at most `worst` would pass the run's budget or the daily cap.
    pub fn budget_check(&self, i: RunIx, worst: u64) -> Option<BudgetAsk> {
        let rs = &self.runs[i];
        let spent = rs.run.ledger.cost_micros + rs.reserved;
        if spent + worst > rs.run.budget_micros {
            return Some(BudgetAsk {
                scope: "run".into(),
                spent_micros: rs.run.ledger.cost_micros,
                limit_micros: rs.run.budget_micros,
                needed_micros: worst,
                raised_to_micros: None,
            });
        }
        let cap = self.daily_cap();
        if !self.day_budget.has_room(cap, worst) {
            return Some(BudgetAsk {
                scope: "daily".into(),
                spent_micros: self.day_budget.spent(),
                limit_micros: cap,
                needed_micros: worst,
                raised_to_micros: None,
            });
        }
        None
    }

    pub fn open_budget_gate(&mut self, i: RunIx, ask: BudgetAsk) {
        let run_id = self.runs[i].run.id;
        let code = GateCode::Budget;
        let n = self.gates.next_n(run_id, code);
        let (alert, message) = if ask.scope == "daily" {
            (
                AlertKind::Daily100,
                format!(
                    "the daily cap of {} is reached ({} spent); {run_id} waits on a budget gate",
                    fmt_usd(ask.limit_micros),
                    fmt_usd(ask.spent_micros)
                ),
            )
        } else {
            (
                AlertKind::Budget100,
                format!(
                    "{run_id} would pass its budget of {} ({} spent, the next call may cost {}); it waits on a budget gate",
                    fmt_usd(ask.limit_micros),
                    fmt_usd(ask.spent_micros),
                    fmt_usd(ask.needed_micros)
                ),
            )
        };
        let gate = Gate {
            id: GateId { run: run_id, code, n },
            status: GateStatus::Pending,
            opened_at: self.now(),
            decided_at: None,
            decided_by: None,
            note: None,
            review: Review::default(),
            budget: Some(ask),
            timeout_alerted: false,
        };
        self.insert_gate(i, gate);
        self.emit(Some(run_id), EventKind::Alert { alert, message });
    }

    /// The new limit for an approved budget gate: the one given, or by default enough for
    /// the held call and half the old limit again. It must cover the held call.
    pub fn budget_raise(&self, id: GateId, given: Option<String>) -> Result<u64> {
        let ask = self.gates.get(&id).and_then(|g| g.budget.clone()).unwrap_or_else(|| BudgetAsk {
            scope: "run".into(),
            spent_micros: 0,
            limit_micros: 0,
            needed_micros: 0,
            raised_to_micros: None,
        });
        let floor = ask.spent_micros + ask.needed_micros;
        let to = match given {
            Some(text) => parse_usd(&text).map_err(FactoryError::usage)?,
            None => (ask.limit_micros + ask.limit_micros / 2).max(floor + floor / 10),
        };
        if to <= floor {
            return Err(FactoryError::usage(format!(
                "a {} limit of {} does not cover the held call ({} spent + up to {}); give more than {} with --budget",
                ask.scope,
                fmt_usd(to),
                fmt_usd(ask.spent_micros),
                fmt_usd(ask.needed_micros),
                fmt_usd(floor)
            )));
        }
        Ok(to)
    }

    pub fn apply_budget_raise(&mut self, i: RunIx, id: GateId, to: u64) {
        let scope = self.gates.get(&id).and_then(|g| g.budget.as_ref()).map(|b| b.scope.clone()).unwrap_or_default();
        let from = if scope == "daily" {
            let from = self.daily_cap();
            let record = self.day_budget.raise_cap(to);
            self.outbox.meta(record);
            from
        } else {
            let run = &mut self.runs[i].run;
            let from = run.budget_micros;
            run.budget_micros = to;
            run.budget_alerted = run.ledger.cost_micros * 100 >= to * self.cfg.budget.alert_percent as u64;
            from
        };
        self.emit(Some(id.run), EventKind::BudgetRaised { gate: id, scope, from_micros: from, to_micros: to });
    }

    /// Adds a call's cost to the day's spend and raises the 80% alerts once.
    pub fn record_spend(&mut self, i: RunIx, cost: u64) {
        self.roll_day();
        let record = self.day_budget.spend(cost);
        self.outbox.meta(record);
        let pct = self.cfg.budget.alert_percent as u64;
        let run = &self.runs[i].run;
        if !run.budget_alerted && run.ledger.cost_micros * 100 >= run.budget_micros * pct {
            let (id, spent, budget) = (run.id, run.ledger.cost_micros, run.budget_micros);
            self.runs[i].run.budget_alerted = true;
            let message =
                format!("{id} has spent {} of its {} budget ({pct}% or more)", fmt_usd(spent), fmt_usd(budget));
            self.emit(Some(id), EventKind::Alert { alert: crate::domain::AlertKind::Budget80, message });
        }
        let cap = self.daily_cap();
        if self.day_budget.alert_due(cap, pct) {
            let message = format!(
                "the factory has spent {} of its daily cap of {} ({pct}% or more)",
                fmt_usd(self.day_budget.spent()),
                fmt_usd(cap)
            );
            self.emit(None, EventKind::Alert { alert: crate::domain::AlertKind::Daily80, message });
        }
    }

    /// A new UTC day starts with nothing spent and the configured cap.
    pub fn roll_day(&mut self) {
        let now = self.now();
        self.day_budget.roll(now);
    }
}

/// What the quality review's prompt quotes of the checks: a line each (`check_brief`).
fn checks_chars(checks: &[crate::domain::CheckResult]) -> u64 {
    checks.iter().map(|c| super::integrate::check_brief(c).len() as u64 + 4).sum()
}
