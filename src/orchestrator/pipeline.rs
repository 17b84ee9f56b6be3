//! The per-run state machine: creating runs, starting phases, opening gates, deciding them,
//! pausing, resuming, cancelling, completing and failing.

use super::command::NewRun;
use super::runs::{RunIx, TaskIx};
use super::state::{RunState, State};
use crate::domain::{
    Decision, EventKind, Gate, GateCode, GateId, GateRef, GateStatus, Ledger, Phase, PhaseSpan, Review, Run, RunId,
    RunStatus, Task, TaskKind, TaskStatus, money,
};
use crate::error::{FactoryError, Result};

/// Longest run name and idea accepted.
const MAX_NAME: usize = 80;
const MAX_IDEA: usize = 10_000;

/// The name part of a reviewer identity: `alice` of `alice@10.0.0.7 (ssh)`.
pub fn reviewer_name(by: &str) -> &str {
    by.split(['@', ' ']).next().unwrap_or(by)
}

fn fmt_time(ms: u64) -> String {
    crate::fmt::format_ts(ms)
}

impl State {
    pub fn create_run(&mut self, new: NewRun) -> Result<RunId> {
        let name = new.name.trim().to_string();
        if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
            return Err(FactoryError::usage(format!(
                "the run name must be 1-{MAX_NAME} characters without control characters; give one with --name"
            )));
        }
        let idea = new.idea.trim().to_string();
        if idea.is_empty() || idea.chars().count() > MAX_IDEA {
            return Err(FactoryError::usage(format!(
                "the idea must be 1-{MAX_IDEA} characters; describe it with --idea"
            )));
        }
        let asked = new.template.unwrap_or_else(|| self.cfg.team.default_template.clone());
        let chosen = self.template_for_new_run(asked.trim())?;
        let template = chosen.name().to_string();
        let budget_micros = match new.budget_usd {
            Some(text) => money::parse_usd(&text).map_err(FactoryError::usage)?,
            None => money::usd_f64_to_micros(self.cfg.budget.default_run_usd),
        };
        if budget_micros == 0 {
            return Err(FactoryError::usage("the budget must be more than $0; give one with --budget"));
        }
        if new.gates.iter().any(|(code, _)| *code == GateCode::Budget) {
            return Err(FactoryError::usage(
                "the budget gate has no policy (a person always decides it); give policies for G0 to G3",
            ));
        }
        let priority = new.priority.unwrap_or(2);
        if !(1..=4).contains(&priority) {
            return Err(FactoryError::usage(format!("priority {priority} is out of range; use 1 (low) to 4 (urgent)")));
        }
        let id = self.runs.next_id();
        let ports = self.ports_for_new_run(&chosen, id)?;
        let now = self.now();
        let workspace = self.workspaces_dir().join(id.to_string());
        let run = Run {
            id,
            name: name.clone(),
            idea,
            template: template.clone(),
            template_version: Some(chosen.version().to_string()),
            ports,
            priority,
            budget_micros,
            status: RunStatus::Queued,
            phase: Phase::Research,
            revision: 0,
            gate: None,
            ledger: Ledger::default(),
            simulated: false,
            unpriced: false,
            created_at: now,
            updated_at: now,
            last_progress_at: now,
            phases: Vec::new(),
            budget_alerted: false,
            stall_alerted: false,
            failure: None,
            plan_source: None,
            workspace: workspace.to_string_lossy().into_owned(),
            checks: Vec::new(),
            repair_rounds: 0,
            checks_failing: false,
            verdict: None,
            gate_policies: new.gates,
        };
        let i = self.runs.push(RunState::new(run, Vec::new(), true));
        self.emit(Some(id), EventKind::RunCreated { name, template, budget_micros, priority });
        self.start_phase(i, Phase::Research, 0);
        // The id is printed as soon as it is replied: the run must be on disk by then.
        self.outbox.make_durable();
        Ok(id)
    }

    pub fn workspaces_dir(&self) -> std::path::PathBuf {
        let w = std::path::Path::new(&self.cfg.factory.workspaces);
        if w.is_absolute() { w.to_path_buf() } else { self.opts.data_dir.join(w) }
    }

    /// Adds a task to a run and marks it for the next commit.
    pub fn add_task(&mut self, i: RunIx, task: Task) -> TaskIx {
        let t = self.runs[i].add_task(task);
        self.touch_task(i, t);
        t
    }

    pub fn new_task(&self, i: RunIx, id: String, kind: TaskKind, title: String) -> Task {
        self.runs[i].new_task(id, kind, title, self.now())
    }

    pub fn start_phase(&mut self, i: RunIx, phase: Phase, revision: u32) {
        let now = self.now();
        let rs = &mut self.runs[i];
        rs.run.phase = phase;
        rs.run.revision = revision;
        rs.run.last_progress_at = now;
        rs.run.stall_alerted = false;
        rs.run.phases.push(PhaseSpan { phase: Some(phase), revision, started_at: now, ..PhaseSpan::default() });
        let id = rs.run.id;
        let task = if phase == Phase::Build {
            self.new_task(i, Task::build_id(id, "plan"), TaskKind::Plan, "Plan the build".into())
        } else {
            self.new_task(i, Task::phase_id(id, phase, revision), TaskKind::Phase, phase.title().into())
        };
        self.emit(Some(id), EventKind::PhaseStarted { phase, revision });
        self.add_task(i, task);
        self.touch_run(i);
        self.reschedule(i);
    }

    /// Closes the current phase pass: its span, its duration, its event.
    pub fn finish_phase(&mut self, i: RunIx) {
        let now = self.now();
        let rs = &mut self.runs[i];
        let (phase, revision, id) = (rs.run.phase, rs.run.revision, rs.run.id);
        let (mut cost, mut duration) = (0, 0);
        if let Some(span) = rs.run.current_span_mut() {
            span.finished_at = Some(now);
            cost = span.ledger.cost_micros;
            duration = now.saturating_sub(span.started_at);
        }
        let slot = &mut self.phase_ms[phase.index()];
        slot.0 += duration;
        slot.1 += 1;
        self.emit(Some(id), EventKind::PhaseDone { phase, revision, cost_micros: cost, duration_ms: duration });
        self.touch_run(i);
    }

    /// A phase's artifact is written: open its gate, or go on.
    pub fn phase_task_done(&mut self, i: RunIx, t: TaskIx) {
        self.finish_phase(i);
        let phase = self.runs[i].tasks[t].phase;
        match phase.gate_after() {
            Some(code) => self.open_gate(i, code, Some(t)),
            None => self.advance(i),
        }
    }

    /// The next phase, or completion after the last.
    pub fn advance(&mut self, i: RunIx) {
        match self.runs[i].run.phase.next() {
            Some(next) => self.start_phase(i, next, 0),
            None => {
                let rs = &mut self.runs[i];
                rs.run.status = RunStatus::Completed;
                let (id, cost) = (rs.run.id, rs.run.ledger.cost_micros);
                self.emit(Some(id), EventKind::RunCompleted { cost_micros: cost });
                self.touch_run(i);
                self.reschedule(i);
            }
        }
    }

    /// Moves a live run between queued, running and awaiting_gate. A paused run stays
    /// paused until resumed, and a failed one failed until resumed.
    pub fn set_status(&mut self, i: RunIx, status: RunStatus) {
        let run = &mut self.runs[i].run;
        if run.status == RunStatus::Paused || run.status.is_final() {
            return;
        }
        if run.status != status {
            run.status = status;
            self.touch_run(i);
        }
    }

    /// What a run that is not paused should show: waiting on a gate, running, or queued.
    pub fn live_status(&self, i: RunIx) -> RunStatus {
        let rs = &self.runs[i];
        if rs.run.gate.is_some() {
            RunStatus::AwaitingGate
        } else if rs.in_flight > 0 || rs.run.ledger.calls > 0 || rs.tasks.iter().any(|t| t.status == TaskStatus::Done) {
            RunStatus::Running
        } else {
            RunStatus::Queued
        }
    }

    pub fn open_gate(&mut self, i: RunIx, code: GateCode, reviewed: Option<TaskIx>) {
        let run_id = self.runs[i].run.id;
        let n = self.gates.next_n(run_id, code);
        let id = GateId { run: run_id, code, n };
        let mut review = Review::default();
        if let Some(t) = reviewed {
            let task = &self.runs[i].tasks[t];
            review.phase = Some(task.phase);
            review.artifact = Some(task.phase.artifact().to_string());
            if let Some(r) = &task.result {
                review.provider = Some(r.provider.clone());
                review.model = Some(r.model.clone());
                review.simulated = r.simulated;
                review.cost_micros = r.ledger.cost_micros;
                review.quality = Some(r.quality);
            }
        }
        let gate = Gate {
            id,
            status: GateStatus::Pending,
            opened_at: self.now(),
            decided_at: None,
            decided_by: None,
            note: None,
            review,
            budget: None,
            timeout_alerted: false,
        };
        self.insert_gate(i, gate);
        if code == GateCode::Budget {
            return;
        }
        let quality = self.gates[&id].review.quality;
        let policy = self.policy(i, code);
        let by = if self.opts.auto_approve {
            Some("auto-approve".to_string())
        } else if policy.approves(quality) {
            Some(format!("policy: {policy}"))
        } else {
            None
        };
        let blocked = self.runs[i].run.automation_blocked();
        let by = match (by, blocked) {
            (Some(_), Some(reason)) => {
                self.emit(Some(run_id), EventKind::AutoApprovalWithheld { gate: id, reason });
                None
            }
            (by, _) => by,
        };
        if let Some(by) = by {
            self.apply_decision(id, Decision::Approve, None, by, None);
        }
    }

    /// The policy of a run's gate: the run's own, else the config's.
    pub fn policy(&self, i: RunIx, code: GateCode) -> crate::domain::GatePolicy {
        let own = self.runs[i].run.gate_policies.iter().find(|(c, _)| *c == code).map(|(_, p)| *p);
        own.or_else(|| self.cfg.gates.get(code).map(|g| g.policy)).unwrap_or(crate::domain::GatePolicy::Human)
    }

    pub fn insert_gate(&mut self, i: RunIx, gate: Gate) {
        let id = gate.id;
        self.emit(Some(id.run), EventKind::GateOpened { gate: id, code: id.code, name: id.code.name().into() });
        self.gates.insert(gate);
        self.touch_gate(id);
        self.runs[i].run.gate = Some(id);
        self.set_status(i, RunStatus::AwaitingGate);
        self.touch_run(i);
        self.reschedule(i);
    }

    /// Finds the pending gate a user named (`s-01.G1.0`, `s-01.G1`, `s-01`).
    pub fn resolve_gate(&self, r: GateRef) -> Result<GateId> {
        let i = self.run_index(r.run)?;
        if let (Some(code), Some(n)) = (r.code, r.n) {
            let id = GateId { run: r.run, code, n };
            return match self.gates.get(&id) {
                Some(g) if g.status == GateStatus::Pending => Ok(id),
                Some(g) => Err(FactoryError::usage(format!(
                    "gate {id} is already {} by {} at {}; nothing changed",
                    g.status,
                    g.decided_by.as_deref().unwrap_or("someone"),
                    g.decided_at.map(fmt_time).unwrap_or_default()
                ))),
                None => Err(FactoryError::usage(format!("there is no gate {id}; `factory gates --all` lists them"))),
            };
        }
        match self.runs[i].run.gate {
            Some(id) if r.code.is_none_or(|c| c == id.code) => Ok(id),
            _ => Err(FactoryError::usage(format!(
                "run {} has no pending{} gate; `factory gates` lists the pending ones",
                r.run,
                r.code.map(|c| format!(" {c}")).unwrap_or_default()
            ))),
        }
    }

    /// A person's decision: checked, then applied and flushed before the reply.
    pub fn decide(
        &mut self,
        gate: GateRef,
        decision: Decision,
        note: Option<String>,
        by: String,
        budget: Option<String>,
    ) -> Result<Gate> {
        let id = self.resolve_gate(gate)?;
        let allowed = self.cfg.gates.reviewers(id.code);
        let who = reviewer_name(&by);
        if !allowed.is_empty() && !allowed.iter().any(|a| a == who) {
            return Err(FactoryError::usage(format!(
                "only {} may decide {} gates, and you are {who}; ask one of them",
                allowed.join(" or "),
                id.code
            )));
        }
        let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        if matches!(decision, Decision::Revise | Decision::Reject) && note.is_none() {
            return Err(FactoryError::usage(format!(
                "a {} needs a note saying why; add --note \"...\"",
                decision.as_str()
            )));
        }
        let mut raise_to = None;
        if id.code == GateCode::Budget {
            if decision == Decision::Revise {
                return Err(FactoryError::usage(format!(
                    "a budget gate is approved (raising the budget) or rejected (cancelling the run), not revised; gate {id}"
                )));
            }
            if note.is_none() {
                return Err(FactoryError::usage("a budget decision needs a note saying why; add --note \"...\""));
            }
            if decision == Decision::Approve {
                raise_to = Some(self.budget_raise(id, budget)?);
            }
        } else if budget.is_some() {
            return Err(FactoryError::usage(format!(
                "--budget applies to budget gates only, and {id} is a {} gate",
                id.code
            )));
        }
        if decision == Decision::Revise && id.n + 1 > self.cfg.gates.max_revisions {
            return Err(FactoryError::usage(format!(
                "gate {id} has reached the cap of {} revisions; approve or reject it",
                self.cfg.gates.max_revisions
            )));
        }
        self.apply_decision(id, decision, note, by, raise_to);
        self.outbox.make_durable();
        Ok(self.gates[&id].clone())
    }

    pub fn apply_decision(
        &mut self,
        id: GateId,
        decision: Decision,
        note: Option<String>,
        by: String,
        raise_to: Option<u64>,
    ) {
        let now = self.now();
        let Some(i) = self.runs.ix(id.run) else { return };
        let Some(opened) = self.gates.decide(id, decision.status(), now, by.clone(), note.clone()) else {
            return;
        };
        if let Some(to) = raise_to {
            self.gates.note_raise(id, to);
        }
        self.touch_gate(id);
        self.note_wait(id.code, now.saturating_sub(opened), &by);
        self.gate_decided(id, decision, &by);
        self.emit(Some(id.run), EventKind::GateDecided { gate: id, decision, by, note: note.clone() });
        self.runs[i].run.gate = None;
        self.touch_run(i);
        match (id.code, decision) {
            (GateCode::Budget, Decision::Approve) => {
                self.apply_budget_raise(i, id, raise_to.unwrap_or(0));
                let s = self.live_status(i);
                self.set_status(i, s);
            }
            (GateCode::Budget, _) => {
                self.cancel_run(i, format!("budget gate {id} rejected: {}", note.unwrap_or_default()))
            }
            (_, Decision::Approve) => {
                let s = self.live_status(i);
                self.set_status(i, s);
                self.advance(i);
            }
            (code, Decision::Revise) => {
                let s = self.live_status(i);
                self.set_status(i, s);
                let phase = code.phase().expect("review gates follow a phase");
                self.start_phase(i, phase, id.n + 1);
            }
            (_, Decision::Reject) => {
                self.runs[i].run.status = RunStatus::Rejected;
                self.emit(Some(id.run), EventKind::RunRejected { gate: id, note: note.unwrap_or_default() });
            }
        }
        self.reschedule(i);
    }

    pub fn pause(&mut self, run: RunId) -> Result<String> {
        let i = self.run_index(run)?;
        let rs = &self.runs[i];
        if rs.run.status.is_final() || rs.run.status == RunStatus::Paused {
            return Err(FactoryError::usage(format!(
                "run {} is {}; only a live run can be paused",
                rs.run.id, rs.run.status
            )));
        }
        let id = rs.run.id;
        self.runs[i].run.status = RunStatus::Paused;
        self.emit(Some(id), EventKind::RunPaused);
        self.touch_run(i);
        self.reschedule(i);
        self.outbox.make_durable();
        Ok(format!("{id} paused"))
    }

    pub fn resume(&mut self, run: RunId) -> Result<String> {
        let i = self.run_index(run)?;
        let id = self.runs[i].run.id;
        match self.runs[i].run.status {
            RunStatus::Paused => {}
            RunStatus::Failed => {
                if !self.runs[i].tasks_loaded {
                    // An ended run's tasks are in the store only.
                    let tasks = self.store.tasks_of(id)?;
                    let run = self.runs[i].run.clone();
                    self.runs[i] = RunState::new(run, tasks, true);
                }
                // Try the failed tasks again.
                let failed: Vec<TaskIx> = (0..self.runs[i].tasks.len())
                    .map(TaskIx)
                    .filter(|t| self.runs[i].tasks[*t].status == TaskStatus::Failed)
                    .collect();
                for t in failed {
                    self.runs[i].tasks[t].error = None;
                    self.runs[i].make_ready(t);
                    self.touch_task(i, t);
                }
                self.runs[i].run.failure = None;
            }
            s => {
                return Err(FactoryError::usage(format!(
                    "run {id} is {s}; only a paused or failed run can be resumed"
                )));
            }
        }
        let now = self.now();
        let status = self.live_status(i);
        let run = &mut self.runs[i].run;
        run.status = status;
        run.last_progress_at = now;
        run.stall_alerted = false;
        self.emit(Some(id), EventKind::RunResumed);
        self.touch_run(i);
        self.reschedule(i);
        self.outbox.make_durable();
        Ok(format!("{id} resumed ({status})"))
    }

    pub fn cancel(&mut self, run: RunId, by: String) -> Result<String> {
        let i = self.run_index(run)?;
        let rs = &self.runs[i];
        if rs.run.status.is_final() {
            return Err(FactoryError::usage(format!(
                "run {} is already {}; nothing changed",
                rs.run.id, rs.run.status
            )));
        }
        let id = rs.run.id;
        self.cancel_run(i, format!("cancelled by {by}"));
        self.outbox.make_durable();
        Ok(format!("{id} cancelled"))
    }

    /// Stops a run for good; a pending gate is closed as rejected with the reason.
    pub fn cancel_run(&mut self, i: RunIx, reason: String) {
        if let Some(gate) = self.runs[i].run.gate.take() {
            let now = self.now();
            if self.gates.decide(gate, GateStatus::Rejected, now, "factory".into(), Some(reason.clone())).is_some() {
                self.touch_gate(gate);
            }
        }
        let id = self.runs[i].run.id;
        self.runs[i].run.status = RunStatus::Cancelled;
        self.emit(Some(id), EventKind::RunCancelled { reason });
        self.touch_run(i);
        self.reschedule(i);
    }

    pub fn fail_run(&mut self, i: RunIx, reason: String) {
        let id = self.runs[i].run.id;
        let run = &mut self.runs[i].run;
        if run.status.is_final() {
            return;
        }
        run.status = RunStatus::Failed;
        run.failure = Some(reason.clone());
        let hint = format!("`factory resume {id}` tries again");
        let message = if reason.contains(&hint) {
            format!("{id} failed: {reason}")
        } else {
            format!("{id} failed: {reason}; {hint}")
        };
        self.emit(Some(id), EventKind::RunFailed { reason });
        self.emit(Some(id), EventKind::Alert { alert: crate::domain::AlertKind::RunFailed, message });
        self.touch_run(i);
        self.reschedule(i);
    }
}
