//! The build phase's agent team: the plan becomes tasks, tasks run as their dependencies
//! finish, each agent posts a progress report, and the testing agent integrates.

use super::runs::{RunIx, TaskIx};
use super::state::State;
use super::worker::Output;
use crate::domain::{AgentRole, EventKind, Plan, Report, Task, TaskKind, TaskStatus};

impl State {
    /// The plan task answered: use its plan, ask again with the error, or fall back to the
    /// template's default plan.
    pub fn plan_done(&mut self, i: RunIx, t: TaskIx, out: &Output) {
        let id = self.runs[i].run.id;
        let plan = match out.plan.clone() {
            Some(Ok(plan)) => Some((plan, "provider")),
            Some(Err(reason)) => {
                let task = &mut self.runs[i].tasks[t];
                task.attempts += 1;
                let attempt = task.attempts;
                self.emit(Some(id), EventKind::PlanInvalid { attempt, error: reason.clone() });
                if attempt < self.cfg.team.max_plan_attempts {
                    self.runs[i].tasks[t].error = Some(reason);
                    self.runs[i].make_ready(t);
                    self.touch_task(i, t);
                    return;
                }
                None
            }
            None => None,
        };
        let (plan, source) = match plan {
            Some(p) => p,
            None => {
                let template = self.runs[i].run.template.clone();
                match self.run_template(i) {
                    Some(tmpl) => (tmpl.manifest.default_plan(), "template"),
                    None => {
                        self.fail_run(
                            i,
                            format!("the template `{template}` is not installed, so there is no plan to fall back on"),
                        );
                        return;
                    }
                }
            }
        };
        let task = &mut self.runs[i].tasks[t];
        task.status = TaskStatus::Done;
        task.error = None;
        task.plan = Some(plan.clone());
        self.touch_task(i, t);
        self.runs[i].run.plan_source = Some(source.to_string());
        self.emit(Some(id), EventKind::PlanReady { tasks: plan.tasks.len(), source: source.into() });
        self.create_team_tasks(i, &plan);
    }

    fn create_team_tasks(&mut self, i: RunIx, plan: &Plan) {
        let now = self.now();
        for t in self.runs[i].add_team_tasks(plan, now) {
            self.touch_task(i, t);
        }
        self.touch_run(i);
    }

    /// A team task is done: wake its dependents, post the agent's report, integrate at the end.
    pub fn team_task_done(&mut self, i: RunIx, t: TaskIx) {
        let done_id = self.runs[i].tasks[t].id.clone();
        let waiting: Vec<TaskIx> = (0..self.runs[i].tasks.len())
            .map(TaskIx)
            .filter(|k| {
                let task = &self.runs[i].tasks[*k];
                task.status == TaskStatus::Waiting && task.depends_on.contains(&done_id)
            })
            .collect();
        for k in waiting {
            let ready = self.runs[i].tasks[k]
                .depends_on
                .iter()
                .all(|d| self.runs[i].task(d).is_some_and(|d| d.status == TaskStatus::Done));
            if ready {
                // Not written: at start-up a waiting task whose dependencies are all done
                // is made ready again (`RunState::new`), which saves a record per task.
                self.runs[i].make_ready(k);
                self.views_dirty.insert(i);
            }
        }
        let role = self.runs[i].tasks[t].role;
        self.post_report(i, role, &done_id, Vec::new());
        if let Some(task) = self.runs[i].integration_due(self.now()) {
            self.add_task(i, task);
        }
    }

    /// The testing agent's checks are in: report them; then repair, or the build phase is
    /// done.
    pub fn integrate_done(&mut self, i: RunIx, t: TaskIx, out: &Output) {
        let id = self.runs[i].run.id;
        let task_id = self.runs[i].tasks[t].id.clone();
        self.emit(Some(id), EventKind::Integrated { checked: out.checked, problems: out.problems.clone() });
        let done = self.checks_done(i, out);
        self.post_report(i, AgentRole::Testing, &task_id, out.problems.clone());
        if done {
            self.finish_phase(i);
            self.advance(i);
        }
    }

    /// Composes and records a role's progress report from the state of its tasks.
    pub fn post_report(&mut self, i: RunIx, role: AgentRole, after: &str, extra_blockers: Vec<String>) {
        let rs = &self.runs[i];
        let mine: Vec<&Task> = rs
            .build_tasks()
            .filter(|x| x.role == role && matches!(x.kind, TaskKind::Team | TaskKind::Integrate))
            .collect();
        let label = |x: &Task| format!("{} ({})", x.title, x.local_id());
        let mut report = Report {
            run: rs.run.id,
            role,
            task: after.to_string(),
            at: self.now(),
            tasks_completed: mine.iter().filter(|x| x.status == TaskStatus::Done).map(|x| label(x)).collect(),
            currently_working_on: mine.iter().filter(|x| x.status == TaskStatus::Running).map(|x| label(x)).collect(),
            blockers: Vec::new(),
            ready_for_integration: mine
                .iter()
                .filter(|x| x.status == TaskStatus::Done)
                .flat_map(|x| x.result.iter().flat_map(|r| r.files.iter().cloned()))
                .collect(),
            next: mine
                .iter()
                .filter(|x| matches!(x.status, TaskStatus::Ready | TaskStatus::Waiting))
                .take(3)
                .map(|x| label(x))
                .collect(),
        };
        for x in mine.iter().filter(|x| x.status == TaskStatus::Waiting) {
            let open: Vec<String> = x
                .depends_on
                .iter()
                .filter_map(|d| rs.task(d))
                .filter(|d| d.status != TaskStatus::Done)
                .map(|d| format!("{} ({})", d.local_id(), d.role))
                .collect();
            report.blockers.push(format!("{} waits on {}", x.local_id(), open.join(", ")));
        }
        report.blockers.extend(extra_blockers);
        let id = rs.run.id;
        let seq = self.emit(Some(id), EventKind::ReportPosted { task: after.to_string(), role });
        self.runs[i].latest_reports.insert(role, std::sync::Arc::new(report.clone()));
        self.outbox.report(seq, report);
    }

    /// The build summary the integration task writes as `docs/build.md`. It holds only what
    /// does not depend on the order tasks happened to finish in (the progress reports do),
    /// because the later phases' prompts quote it.
    pub fn build_summary(&self, i: RunIx) -> String {
        let rs = &self.runs[i];
        let mut out = format!(
            "# Build: {}\n\nPlan from the {}; template `{}`.\n\n## Tasks\n\n| task | role | status | provider | files |\n|---|---|---|---|---|\n",
            rs.run.name,
            rs.run.plan_source.as_deref().unwrap_or("template"),
            rs.run.template
        );
        for t in rs.build_tasks().filter(|t| t.kind == TaskKind::Team) {
            let (provider, files) = t
                .result
                .as_ref()
                .map(|r| (format!("{}{}", r.provider, if r.simulated { " (simulated)" } else { "" }), r.files.len()))
                .unwrap_or_default();
            out.push_str(&format!("| {} | {} | {} | {} | {} |\n", t.title, t.role, t.status.as_str(), provider, files));
        }
        out
    }
}
