//! Starting tasks in fair order within the limits and budgets, and taking their results back.

use super::runs::{RunIx, TaskIx};
use super::state::State;
use super::worker::{AnswerMeta, Failure, Finished, Job, Output};
use crate::domain::{
    AlertKind, EventKind, GateStatus, Ledger, Phase, RunStatus, TaskKind, TaskResult, TaskStatus, money,
};
use crate::prompts::{NoteItem, StartupFacts};
use crate::providers::GatewayNote;
use crate::workspace::Workspace;

impl State {
    /// Starts as many ready tasks as the limits allow, fairest first; returns their jobs.
    pub fn dispatch(&mut self) -> Vec<Job> {
        let mut jobs = Vec::new();
        while self.counters.calls_in_flight() < self.cfg.factory.max_concurrent_calls {
            let Some(r) = self.sched.pop() else { break };
            let i = RunIx::from_queued(r);
            let Some(t) = self.next_dispatchable(i) else {
                continue;
            };
            let worst = self.worst_case(i, t);
            if let Some(ask) = self.budget_check(i, worst) {
                self.open_budget_gate(i, ask);
                continue;
            }
            let rs = &mut self.runs[i];
            rs.ready.retain(|x| *x != t);
            if let Some(at) = rs.ready_at[t].take() {
                self.counters.sched_delay(at.elapsed());
            }
            let task = &mut rs.tasks[t];
            task.status = TaskStatus::Running;
            let task_is_call = task.kind.is_call();
            rs.in_flight += 1;
            rs.role_in_flight[task.role.index()] += 1;
            self.day_budget.reserve(&mut rs.reserved, worst);
            let priority = rs.run.priority;
            self.counters.started(task_is_call);
            if self.runs[i].run.status == RunStatus::Queued {
                self.runs[i].run.status = RunStatus::Running;
                self.touch_run(i);
            }
            self.sched.charge(r, priority);
            let rs = &mut self.runs[i];
            let workspace = rs.workspace.get_or_insert_with(|| Workspace::new(&rs.run.workspace)).clone();
            jobs.push(self.job(i, t, worst, workspace));
            self.views_dirty.insert(i);
            self.reschedule(i);
        }
        jobs
    }

    fn job(&self, i: RunIx, t: TaskIx, reserved: u64, workspace: Workspace) -> Job {
        let rs = &self.runs[i];
        let task = rs.tasks[t].clone();
        let run = &rs.run;
        let phases: Vec<Phase> = match task.kind {
            TaskKind::Phase => Phase::ALL[..task.phase.index()].to_vec(),
            TaskKind::Plan => vec![Phase::Research, Phase::FounderFit, Phase::Spec, Phase::Architecture],
            TaskKind::Team => vec![Phase::Spec, Phase::Architecture],
            TaskKind::Integrate => Vec::new(),
        };
        let memory = phases.into_iter().map(|p| (p, rs.memory[p.index()].clone())).collect();
        let notes: Vec<NoteItem> = self
            .gates
            .of_run(run.id)
            .filter(|g| g.status != GateStatus::Pending)
            .map(|g| NoteItem {
                gate: g.id.to_string(),
                name: g.id.code.name().into(),
                decision: g.status.as_str().into(),
                note: g.note.clone().unwrap_or_default(),
                by: g.decided_by.clone().unwrap_or_default(),
            })
            .collect();
        let revision_note = match (task.kind, task.phase.gate_after()) {
            (TaskKind::Phase, Some(code)) if task.revision > 0 => self
                .gates
                .get(&crate::domain::GateId { run: run.id, code, n: task.revision - 1 })
                .and_then(|g| g.note.clone()),
            _ => None,
        };
        let deps = if task.kind == TaskKind::Team { self.dependencies(i, &task) } else { Vec::new() };
        Job {
            code_files: match (task.kind, task.phase) {
                (TaskKind::Team, _) => self.code_files_for(i, &task, &deps),
                (TaskKind::Phase, Phase::Quality) => self.team_files_by_task(i),
                _ => Vec::new(),
            },
            checks: match (task.kind, task.phase) {
                (TaskKind::Phase, Phase::Quality) => run.checks.iter().map(super::integrate::check_brief).collect(),
                _ => Vec::new(),
            },
            planned_files: match task.kind {
                TaskKind::Integrate => rs
                    .build_tasks()
                    .filter(|t| t.kind == TaskKind::Team && t.repair.is_none())
                    .flat_map(|t| t.files.iter().cloned())
                    .collect(),
                _ => Vec::new(),
            },
            app_files: match task.kind {
                TaskKind::Team => self.app_files_for(i, &deps),
                TaskKind::Integrate => self.team_files_by_task(i).into_iter().map(|(f, _)| f).collect(),
                _ => Vec::new(),
            },
            run_index: i,
            run: run.id,
            task_index: t,
            plan_error: if task.kind == TaskKind::Plan { task.error.clone() } else { None },
            paid: Default::default(),
            summary: (task.kind == TaskKind::Integrate).then(|| self.build_summary(i)),
            task,
            facts: StartupFacts {
                id: run.id.to_string(),
                name: run.name.clone(),
                idea: run.idea.clone(),
                template: run.template.clone(),
                budget: money::fmt_usd(run.budget_micros),
            },
            template: self.run_template(i),
            ports: run.ports.clone(),
            workspace,
            memory,
            notes,
            revision_note,
            reserved,
        }
    }

    /// The tasks `task` depends on, transitively, nearest first.
    fn dependencies(&self, i: RunIx, task: &crate::domain::Task) -> Vec<&crate::domain::Task> {
        let rs = &self.runs[i];
        let mut order: Vec<&crate::domain::Task> = Vec::new();
        let mut queue: std::collections::VecDeque<&str> = task.depends_on.iter().map(String::as_str).collect();
        while let Some(id) = queue.pop_front() {
            let Some(t) = rs.task(id) else { continue };
            if order.iter().any(|o| o.id == t.id) {
                continue;
            }
            queue.extend(t.depends_on.iter().map(String::as_str));
            order.push(t);
        }
        order
    }

    /// The scaffold's files and those the tasks in `deps` wrote, relative to `app/`, sorted.
    fn app_files_for(&self, i: RunIx, deps: &[&crate::domain::Task]) -> Vec<String> {
        let plan = self.runs[i].build_tasks().filter(|t| t.kind == TaskKind::Plan);
        let mut files: Vec<String> = plan
            .chain(deps.iter().copied())
            .filter_map(|t| t.result.as_ref())
            .flat_map(|r| r.files.iter())
            .filter_map(|f| f.strip_prefix("app/").map(str::to_string))
            .collect();
        files.sort();
        files.dedup();
        files
    }

    /// The files a team task's prompt quotes, each with the task that wrote it: those of the
    /// tasks it depends on (`deps`, nearest first), then its own listed files (which may
    /// exist: the scaffold's, or an earlier round's when repairing).
    fn code_files_for(
        &self,
        i: RunIx,
        task: &crate::domain::Task,
        deps: &[&crate::domain::Task],
    ) -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = Vec::new();
        for t in deps {
            for f in t.result.iter().flat_map(|r| r.files.iter()) {
                if let Some(rel) = f.strip_prefix("app/") {
                    files.push((rel.to_string(), t.local_id().to_string()));
                }
            }
        }
        files.extend(task.files.iter().filter_map(|f| Some((f.clone(), self.owner_of(i, f)?))));
        files
    }

    /// The finished task that last wrote `file` (relative to `app/`): `scaffold` for the
    /// template's files, `None` for a file no finished task wrote. Known from the state,
    /// not the disk, so that a task tried again after a crash (whose first try may have
    /// written its files) is asked exactly what it was asked the first time.
    fn owner_of(&self, i: RunIx, file: &str) -> Option<String> {
        let want = format!("app/{file}");
        self.runs[i]
            .build_tasks()
            .filter(|t| t.status == crate::domain::TaskStatus::Done)
            .filter(|t| t.result.as_ref().is_some_and(|r| r.files.contains(&want)))
            .max_by_key(|t| last_write(t))
            .map(
                |t| {
                    if t.kind == TaskKind::Plan {
                        super::context::SCAFFOLD.to_string()
                    } else {
                        t.local_id().to_string()
                    }
                },
            )
    }

    /// Every file the build team wrote, with the task that wrote it last, by path (an order
    /// that does not depend on the order tasks are held in, which a restart changes).
    pub(super) fn team_files_by_task(&self, i: RunIx) -> Vec<(String, String)> {
        let mut files: std::collections::BTreeMap<String, &crate::domain::Task> = Default::default();
        for t in self.runs[i].build_tasks().filter(|t| t.kind == TaskKind::Team) {
            for f in t.result.iter().flat_map(|r| r.files.iter()) {
                if let Some(rel) = f.strip_prefix("app/") {
                    let newer = files.get(rel).is_none_or(|o| last_write(o) < last_write(t));
                    if newer {
                        files.insert(rel.to_string(), t);
                    }
                }
            }
        }
        files.into_iter().map(|(f, t)| (f, t.local_id().to_string())).collect()
    }

    /// A task came back from its worker.
    pub fn finished(&mut self, f: Finished) {
        let (i, t) = (f.run_index, f.task_index);
        let rs = &mut self.runs[i];
        rs.in_flight = rs.in_flight.saturating_sub(1);
        let role = rs.tasks[t].role.index();
        rs.role_in_flight[role] = rs.role_in_flight[role].saturating_sub(1);
        self.day_budget.release(&mut rs.reserved, f.reserved);
        let call = rs.tasks[t].kind.is_call();
        self.counters.finished(call);
        self.views_dirty.insert(i);
        let id = self.runs[i].run.id;
        match f.outcome {
            Err(Failure::Refused { reason, truncated }) if self.runs[i].tasks[t].refused.is_none() => {
                // Asked once more, with the reason in its prompt (and a larger token cap if
                // it was cut off); what the refused answer cost still counts.
                if let Some(a) = &f.paid {
                    self.record_paid_failure(i, t, a);
                }
                let task = &mut self.runs[i].tasks[t];
                task.attempts += 1;
                task.refused = Some(crate::domain::Refusal { reason: reason.clone(), truncated });
                let task_id = task.id.clone();
                self.runs[i].make_ready(t);
                self.touch_task(i, t);
                self.emit(Some(id), EventKind::AnswerRefused { task: task_id, reason, retry: true });
            }
            Err(failure) => {
                if let Some(a) = &f.paid {
                    self.record_paid_failure(i, t, a);
                }
                let task = &mut self.runs[i].tasks[t];
                task.status = TaskStatus::Failed;
                task.error = Some(failure.message().to_string());
                let task_id = task.id.clone();
                self.touch_task(i, t);
                self.emit(Some(id), EventKind::TaskFailed { task: task_id.clone(), error: failure.message().into() });
                tracing::warn!(task = %task_id, error = failure.message(), "task failed");
                if let Failure::Refused { reason, .. } = &failure {
                    let task = task_id.clone();
                    self.emit(Some(id), EventKind::AnswerRefused { task, reason: reason.clone(), retry: false });
                }
                let what = match failure {
                    Failure::Call(_) => "every provider failed",
                    Failure::Output(_) | Failure::Refused { .. } => "its answer was refused",
                    Failure::Machine(_) => "this machine failed",
                };
                self.fail_run(
                    i,
                    format!("{task_id}: {what}: {}; `factory resume {id}` tries again", failure.message()),
                );
            }
            Ok(out) => {
                if let Some(a) = &out.answer {
                    self.record_answer(i, t, a, &out);
                }
                self.counters.task_done();
                let status = self.runs[i].run.status;
                let kind = self.runs[i].tasks[t].kind;
                if kind != TaskKind::Plan
                    || matches!(status, RunStatus::Cancelled | RunStatus::Rejected | RunStatus::Completed)
                {
                    self.runs[i].tasks[t].status = TaskStatus::Done;
                    self.touch_task(i, t);
                }
                if matches!(status, RunStatus::Cancelled | RunStatus::Rejected | RunStatus::Completed) {
                    // Paid for and recorded, but the run has ended.
                } else {
                    if kind == TaskKind::Phase && self.runs[i].tasks[t].phase == Phase::Quality {
                        // FAIL holds the release gate for a person.
                        self.runs[i].run.verdict = Some(out.verdict.clone().unwrap_or_else(|| "missing".into()));
                        self.touch_run(i);
                    }
                    match kind {
                        TaskKind::Phase => self.phase_task_done(i, t),
                        TaskKind::Plan => self.plan_done(i, t, &out),
                        TaskKind::Team => self.team_task_done(i, t),
                        TaskKind::Integrate => self.integrate_done(i, t, &out),
                    }
                }
            }
        }
        self.reschedule(i);
    }

    /// Adds a paid call to the task, the phase pass, the run, and the day.
    fn record_answer(&mut self, i: RunIx, t: TaskIx, a: &AnswerMeta, out: &Output) {
        let now = self.now();
        let in_span = self.charge(i, t, a);
        let rs = &mut self.runs[i];
        rs.run.last_progress_at = now;
        rs.run.stall_alerted = false;
        let task_phase = rs.tasks[t].phase;
        if in_span && let Some(span) = rs.run.current_span_mut() {
            span.provider = Some(a.provider.clone());
            span.model = Some(a.model.clone());
            span.quality = Some(out.quality);
        }
        let task = &mut rs.tasks[t];
        let result = task.result.get_or_insert_with(TaskResult::default);
        result.provider = a.provider.clone();
        result.model = a.model.clone();
        result.simulated = a.simulated;
        result.estimated = a.usage.estimated;
        result.latency_ms = a.latency_ms;
        result.quality = out.quality;
        result.output_chars = out.output_chars;
        result.files = out.files.clone();
        result.finished_at = now;
        let (task_id, role, kind, attempt) = (task.id.clone(), task.role, task.kind, task.attempts);
        if kind == TaskKind::Phase {
            rs.artifact_chars[task_phase.index()] = out.output_chars;
            if super::state::KEPT_IN_MEMORY.contains(&task_phase) {
                rs.memory[task_phase.index()] = out.artifact.clone();
            }
        }
        let id = rs.run.id;
        let ended = rs.run.status.is_final();
        self.touch_task(i, t);
        // The task's record carries the ledger; the run's is rebuilt from its tasks at
        // start-up, so a live run's record is not rewritten for every call. A run that has
        // ended (its tasks are not loaded again) is.
        if ended {
            self.touch_run(i);
        } else {
            self.views_dirty.insert(i);
        }
        self.emit(
            Some(id),
            EventKind::TaskDone {
                task: task_id,
                attempt,
                role: (kind == TaskKind::Team).then_some(role),
                provider: a.provider.clone(),
                model: a.model.clone(),
                simulated: a.simulated,
                tokens_in: a.usage.input + a.usage.cached_input,
                tokens_out: a.usage.output,
                cost_micros: a.cost_micros,
                quality: out.quality,
                cached: a.cached,
                latency_ms: (!a.cached).then_some(a.latency_ms),
            },
        );
        self.record_spend(i, a.cost_micros);
    }

    /// An answer paid for by a task that then failed: its cost and tokens still count.
    fn record_paid_failure(&mut self, i: RunIx, t: TaskIx, a: &AnswerMeta) {
        self.charge(i, t, a);
        self.touch_task(i, t);
        self.touch_run(i);
        self.record_spend(i, a.cost_micros);
    }

    /// Adds a paid call's cost and tokens to the run (with whether it was simulated or
    /// unpriced), to its current phase pass when the task belongs to it (then returns
    /// true), and to the task's result.
    fn charge(&mut self, i: RunIx, t: TaskIx, a: &AnswerMeta) -> bool {
        let ledger = ledger_of(a);
        let rs = &mut self.runs[i];
        rs.run.ledger.add(&ledger);
        rs.run.simulated |= a.simulated;
        rs.run.unpriced |= a.unpriced;
        let mut in_span = false;
        if rs.run.phase == rs.tasks[t].phase
            && let Some(span) = rs.run.current_span_mut()
        {
            span.ledger.add(&ledger);
            in_span = true;
        }
        let result = rs.tasks[t].result.get_or_insert_with(TaskResult::default);
        result.ledger.add(&ledger);
        result.unpriced |= a.unpriced;
        in_span
    }

    /// A retry, fallback or circuit change heard from the gateway during a task.
    pub fn noted(&mut self, run_index: RunIx, task: String, note: GatewayNote) {
        let id = self.runs.get(run_index).map(|r| r.run.id);
        match note {
            GatewayNote::Retry { provider, attempt, error, wait_ms } => {
                self.emit(id, EventKind::TaskRetry { task, attempt, provider, error, retry_in_ms: wait_ms });
            }
            GatewayNote::Fallback { from, to, reason } => {
                self.emit(id, EventKind::ProviderFallback { task, from, to, reason });
            }
            GatewayNote::Wait { provider, reason, expected_ms } => {
                self.emit(id, EventKind::ProviderWait { task, provider, reason, expected_ms });
            }
            GatewayNote::Spent { provider, model, usage, cost_micros, unpriced } => {
                let Some(t) =
                    self.runs.get(run_index).and_then(|rs| rs.tasks.iter().position(|x| x.id == task)).map(TaskIx)
                else {
                    return;
                };
                let meta = AnswerMeta { provider, model, usage, cost_micros, unpriced, ..AnswerMeta::default() };
                self.record_paid_failure(run_index, t, &meta);
            }
            GatewayNote::CircuitOpened { provider, failures } => {
                let message = format!("provider {provider} failed {failures} times in a row; its circuit is open");
                self.emit(None, EventKind::Alert { alert: AlertKind::CircuitOpen, message });
            }
        }
    }

    /// Nothing can move without a person: no task in flight and no run able to dispatch.
    pub fn is_idle(&self) -> bool {
        self.counters.in_flight() == 0 && self.sched.is_empty()
    }
}

/// What one paid call adds to the ledgers. An answer reused from the response cache cost
/// nothing: its tokens go to `tokens_reused`, so that the priced counts times their prices
/// still make the cost. Estimated token counts are counted as such.
pub(super) fn ledger_of(a: &AnswerMeta) -> Ledger {
    let u = &a.usage;
    if a.reused {
        return Ledger {
            cost_micros: a.cost_micros,
            tokens_reused: u.input + u.cached_input + u.output,
            calls: 1,
            ..Ledger::default()
        };
    }
    Ledger {
        cost_micros: a.cost_micros,
        tokens_in: u.input,
        tokens_out: u.output,
        tokens_cached: u.cached_input,
        calls: 1,
        estimated_calls: u64::from(u.estimated),
        ..Ledger::default()
    }
}

/// When a task's files were written, for "who wrote it last" (ties broken by id).
pub(super) fn last_write(t: &crate::domain::Task) -> (u64, &str) {
    (t.result.as_ref().map(|r| r.finished_at).unwrap_or(0), t.id.as_str())
}
