//! The orchestrator's state, owned by the actor alone: runs with their tasks, gates, the
//! fair queue, the day's spend, and the changes waiting for the next group commit.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use tokio::sync::oneshot;

use super::Options;
use super::command::Reply;
use super::runs::{RunIx, Runs, TaskIx};
use super::scheduler::Scheduler;
use super::snapshot::RunView;
use crate::config::Config;
use crate::domain::{
    AgentRole, Event, EventKind, GateCode, GateId, Phase, Plan, Report, Run, RunId, RunStatus, Task, TaskKind,
    TaskStatus,
};
use crate::error::{FactoryError, Result};
use crate::store::{Store, Writes};
use crate::workspace::Workspace;

/// Milliseconds since the Unix epoch; replaceable in tests.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
    })
}

/// The phases whose latest artifact the actor keeps for the prompts (`RunState::memory`):
/// the two every team task quotes, a dozen prompts a run. The others are quoted by a prompt
/// or two and read back from the workspace, which keeps a thousand live runs under the
/// memory target.
pub(super) const KEPT_IN_MEMORY: [crate::domain::Phase; 2] =
    [crate::domain::Phase::Spec, crate::domain::Phase::Architecture];

pub(super) struct RunState {
    pub run: Run,
    pub tasks: Vec<Task>,
    pub index: HashMap<String, TaskIx>,
    /// Whether `tasks` holds the run's tasks (finished runs' are read from the store on demand).
    pub tasks_loaded: bool,
    pub ready: VecDeque<TaskIx>,
    /// When each task last became ready (for the scheduling delay), by task index.
    pub ready_at: Vec<Option<std::time::Instant>>,
    pub in_flight: u32,
    pub role_in_flight: [u32; 7],
    /// Worst-case cost of the calls in flight.
    pub reserved: u64,
    /// Characters of the latest artifact of each phase (bounds the next prompts' size).
    pub artifact_chars: [u64; 7],
    /// The latest artifact of the spec and the architecture as the next prompts quote them
    /// (header stripped), kept from the answer so that the team's prompts do not read them
    /// back from the workspace; `None` for the other phases, and until this process has
    /// seen the answer (after a restart, it is read from the disk).
    pub memory: [Option<Arc<str>>; 7],
    /// Each role's latest progress report in the build phase.
    pub latest_reports: BTreeMap<crate::domain::AgentRole, Arc<Report>>,
    pub view: Arc<RunView>,
    /// The workspace its tasks write in, with the folders already checked, while the run
    /// has tasks to run (see `Workspace`).
    pub workspace: Option<Workspace>,
    /// Whether each task (by index) has been written to the store: a pristine task is not
    /// (see `take_writes`).
    pub written: Vec<bool>,
}

impl RunState {
    pub fn new(run: Run, tasks: Vec<Task>, loaded: bool) -> Self {
        let mut rs = RunState {
            view: Arc::default(),
            run,
            tasks: Vec::new(),
            index: HashMap::new(),
            tasks_loaded: loaded,
            ready: VecDeque::new(),
            ready_at: Vec::new(),
            in_flight: 0,
            role_in_flight: [0; 7],
            reserved: 0,
            artifact_chars: [0; 7],
            memory: Default::default(),
            latest_reports: BTreeMap::new(),
            workspace: None,
            written: Vec::new(),
        };
        for t in tasks {
            rs.add_task(t);
        }
        rs.written.fill(true);
        rs.wake_waiting();
        rs.view = Arc::new(super::views::run_view(&rs));
        rs
    }

    /// A run as the store holds it: with the tasks that were not written made again.
    pub fn load(run: Run, tasks: Vec<Task>, loaded: bool) -> Self {
        let mut rs = RunState::new(run, tasks, loaded);
        let before = rs.tasks.len();
        if loaded && !rs.run.status.is_final() {
            rs.restore_unwritten();
        }
        if rs.tasks.len() > before {
            rs.wake_waiting();
            rs.view = Arc::new(super::views::run_view(&rs));
        }
        rs
    }

    /// An ended run's tasks are all in the store (see `take_writes`): memory lets go of
    /// them, as it holds none for the runs that had ended before a restart.
    pub fn unload_tasks(&mut self) {
        self.tasks = Vec::new();
        self.index = HashMap::new();
        self.ready = VecDeque::new();
        self.ready_at = Vec::new();
        self.written = Vec::new();
        self.latest_reports = BTreeMap::new();
        self.memory = Default::default();
        self.workspace = None;
        self.tasks_loaded = false;
    }

    /// A waiting task whose dependencies are all done is ready: that step is not written
    /// to the store (see `team_task_done`).
    fn wake_waiting(&mut self) {
        let woken: Vec<TaskIx> = (0..self.tasks.len())
            .map(TaskIx)
            .filter(|&k| {
                let t = &self.tasks[k];
                t.status == TaskStatus::Waiting
                    && t.depends_on.iter().all(|d| self.task(d).is_some_and(|d| d.status == TaskStatus::Done))
            })
            .collect();
        for k in woken {
            self.make_ready(k);
        }
    }

    /// Adds a task; a ready one joins the run's queue.
    pub fn add_task(&mut self, mut task: Task) -> TaskIx {
        if task.status == TaskStatus::Running {
            task.status = TaskStatus::Ready;
        }
        if task.status == TaskStatus::Done
            && let Some(r) = &task.result
        {
            let i = task.phase.index();
            if task.kind == crate::domain::TaskKind::Phase {
                self.artifact_chars[i] = r.output_chars;
            }
        }
        let i = TaskIx(self.tasks.len());
        let ready = task.status == TaskStatus::Ready;
        self.index.insert(task.id.clone(), i);
        self.tasks.push(task);
        self.ready_at.push(None);
        self.written.push(false);
        if ready {
            self.make_ready(i);
        }
        i
    }

    /// A new task of the run's current phase pass, ready to run.
    pub fn new_task(&self, id: String, kind: TaskKind, title: String, now: u64) -> Task {
        let run = &self.run;
        Task {
            id,
            run: run.id,
            phase: run.phase,
            revision: run.revision,
            kind,
            role: AgentRole::Orchestrator,
            title,
            depends_on: Vec::new(),
            files: Vec::new(),
            status: TaskStatus::Ready,
            attempts: 0,
            error: None,
            result: None,
            created_at: now,
            plan: None,
            repair: None,
            refused: None,
        }
    }

    /// Adds the plan's team tasks the run does not have yet, in dependency order; returns
    /// their indexes.
    pub fn add_team_tasks(&mut self, plan: &Plan, now: u64) -> Vec<TaskIx> {
        let id = self.run.id;
        let order = plan.topological_order().unwrap_or_else(|_| (0..plan.tasks.len()).collect());
        let mut added = Vec::new();
        for k in order {
            let p = &plan.tasks[k];
            let task_id = Task::build_id(id, &p.id);
            if self.task(&task_id).is_some() {
                continue;
            }
            let mut task = self.new_task(task_id, TaskKind::Team, p.title.clone(), now);
            task.role = p.role;
            task.files = p.files.clone();
            task.depends_on = p.depends_on.iter().map(|d| Task::build_id(id, d)).collect();
            if !task.depends_on.is_empty() {
                task.status = TaskStatus::Waiting;
            }
            added.push(self.add_task(task));
        }
        added
    }

    /// The integration task of the current repair round (`integrate`, then `integrate-r1`...),
    /// once every team task (repairs too) is done and there is none yet.
    pub fn integration_due(&self, now: u64) -> Option<Task> {
        let all_done = self.build_tasks().filter(|x| x.kind == TaskKind::Team).all(|x| x.status == TaskStatus::Done);
        let round = self.run.repair_rounds;
        let local = if round == 0 { "integrate".to_string() } else { format!("integrate-r{round}") };
        let id = Task::build_id(self.run.id, &local);
        if !all_done || self.task(&id).is_some() {
            return None;
        }
        let title =
            if round == 0 { "Integration checks".to_string() } else { format!("Checks after repair round {round}") };
        let mut task = self.new_task(id, TaskKind::Integrate, title, now);
        task.role = AgentRole::Testing;
        Some(task)
    }

    /// Makes again the tasks that were made but never written (pristine ones, see
    /// `take_writes`): the current phase's task, the plan task, the plan's team tasks and
    /// the integration, each only if missing. Their creation time is the run's last update.
    fn restore_unwritten(&mut self) {
        let run = &self.run;
        let now = run.updated_at.max(run.last_progress_at);
        let (id, phase, revision) = (run.id, run.phase, run.revision);
        if phase != Phase::Build {
            let task_id = Task::phase_id(id, phase, revision);
            if self.task(&task_id).is_none() {
                let task = self.new_task(task_id, TaskKind::Phase, phase.title().into(), now);
                self.add_task(task);
            }
            return;
        }
        let plan_id = Task::build_id(id, "plan");
        let plan = match self.task(&plan_id) {
            None => {
                let task = self.new_task(plan_id, TaskKind::Plan, "Plan the build".into(), now);
                self.add_task(task);
                return;
            }
            Some(t) if t.status == TaskStatus::Done => t.plan.clone(),
            Some(_) => None,
        };
        let Some(plan) = plan else { return };
        self.add_team_tasks(&plan, now);
        if let Some(task) = self.integration_due(now) {
            self.add_task(task);
        }
    }

    /// Queues task `t` to run, noting when it became ready.
    pub fn make_ready(&mut self, t: TaskIx) {
        self.tasks[t].status = TaskStatus::Ready;
        self.ready.push_back(t);
        self.ready_at[t] = Some(std::time::Instant::now());
    }

    pub fn task(&self, id: &str) -> Option<&Task> {
        self.index.get(id).map(|i| &self.tasks[*i])
    }

    /// Tasks of the build phase (plan, team tasks, integration).
    pub fn build_tasks(&self) -> impl Iterator<Item = &Task> {
        self.tasks.iter().filter(|t| t.phase == Phase::Build)
    }
}

pub(super) type ReplyTo = oneshot::Sender<Result<Reply>>;

pub(super) struct State {
    pub cfg: Arc<Config>,
    pub opts: Options,
    pub store: Store,
    pub clock: Clock,
    pub runs: Runs,
    pub gates: super::gates::Gates,
    pub sched: Scheduler,
    /// Every port some run holds, so that a new run's are found without walking all runs.
    pub ports_used: std::collections::HashSet<u16>,
    /// The sequence number of the next event (see `emit`).
    next_seq: u64,
    pub day_budget: super::day_budget::DayBudget,
    /// The alerts raised, the latest, the acknowledged ones.
    pub alerts: super::alert_tally::AlertTally,
    /// Alert deliveries: their records, the letters for the courier, the courier.
    pub deliveries: super::deliveries::Deliveries,
    pub counters: super::counters::Counters,
    /// Sum and count of finished phase passes, per phase, for ETAs.
    pub phase_ms: [(u64, u64); 7],
    /// How long each gate (by code) waited for the person who decided it, sorted, for ETAs.
    pub human_waits: [Vec<u64>; 5],
    /// The process's own health, and the CPU reading the next sample is taken against.
    pub health: super::Health,
    pub sampler: super::health::Sampler,
    pub shutting_down: bool,
    /// Changes waiting for the next group commit.
    pub outbox: super::outbox::Outbox,
    pub replies: Vec<(ReplyTo, Result<Reply>)>,
    pub changed: bool,
    /// Runs whose view must be rebuilt before the next snapshot.
    pub views_dirty: BTreeSet<RunIx>,
    pub shared: Arc<super::worker::Shared>,
    /// Every template known: built in, imported, the user's.
    pub templates: crate::templates::Registry,
    /// The event log folded for `factory stats`, up to the last event it has read (it
    /// catches up when asked).
    pub stats_log: crate::stats::StatsLog,
}

impl State {
    pub fn load(
        shared: Arc<super::worker::Shared>,
        opts: Options,
        store: Store,
        clock: Clock,
        templates: crate::templates::Registry,
    ) -> Result<State> {
        let cfg = Arc::clone(&shared.cfg);
        let loaded = store.load()?;
        let now = clock();
        let mut state = State {
            cfg,
            opts,
            store,
            runs: Runs::with_capacity(loaded.runs.len()),
            gates: Default::default(),
            sched: Scheduler::default(),
            ports_used: Default::default(),
            next_seq: loaded.next_seq,
            day_budget: super::day_budget::DayBudget::new(now),
            alerts: Default::default(),
            deliveries: Default::default(),
            counters: Default::default(),
            phase_ms: [(0, 0); 7],
            human_waits: Default::default(),
            health: Default::default(),
            sampler: Default::default(),
            shutting_down: false,
            outbox: Default::default(),
            replies: Vec::new(),
            changed: true,
            views_dirty: BTreeSet::new(),
            shared,
            clock,
            templates,
            stats_log: Default::default(),
        };
        let mut tasks_by_run: HashMap<RunId, Vec<Task>> = HashMap::new();
        for t in loaded.tasks {
            tasks_by_run.entry(t.run).or_default().push(t);
        }
        let mut tasks_done = 0;
        let mut runs = loaded.runs;
        runs.sort_by_key(|r| r.id);
        for run in runs {
            if run.id != state.runs.next_id() {
                return Err(FactoryError::storage(format!(
                    "the runs in the data store are not numbered 1 to N (found {} at position {}); the data directory is damaged",
                    run.id,
                    state.runs.len() + 1
                )));
            }
            for span in run.phases.iter() {
                if let (Some(p), Some(end)) = (span.phase, span.finished_at) {
                    let slot = &mut state.phase_ms[p.index()];
                    slot.0 += end.saturating_sub(span.started_at);
                    slot.1 += 1;
                }
            }
            let loaded_tasks = !run.status.is_final();
            let mut tasks = tasks_by_run.remove(&run.id).unwrap_or_default();
            tasks.sort_by_key(|t| t.created_at);
            tasks_done += tasks.iter().filter(|t| t.status == TaskStatus::Done).count() as u64;
            let mut run = run;
            if loaded_tasks {
                rebuild_ledger(&mut run, &tasks);
            }
            let mut rs = RunState::load(run, tasks, loaded_tasks);
            if rs.run.phase == Phase::Build && loaded_tasks {
                for r in state.store.reports_of(rs.run.id)? {
                    rs.latest_reports.insert(r.role, Arc::new(r));
                }
            }
            state.runs.push(rs);
        }
        state.counters = super::counters::Counters::new(tasks_done);
        for g in loaded.gates {
            if let (Some(at), Some(by)) = (g.decided_at, &g.decided_by) {
                state.note_wait(g.id.code, at.saturating_sub(g.opened_at), by);
            }
            state.gates.insert(g);
        }
        for (k, v) in loaded.meta {
            let text = String::from_utf8_lossy(&v).to_string();
            // A damaged figure is refused like any damage: read as 0 (or as no cap of the
            // day's own), it would start the daily cap again.
            let damaged = || {
                FactoryError::storage(format!(
                    "the record `{k}` in the data store is damaged (`{}` is not an amount); restore the data directory from a backup",
                    crate::sanitize::line(&text)
                ))
            };
            if state.day_budget.load(&k, &text).map_err(|_| damaged())? {
                continue;
            }
            if k.starts_with(super::alert_acks::PREFIX) {
                state.load_ack(&k, &v)?;
            } else if k.starts_with(super::deliveries::PREFIX) || k == super::deliveries::SOURCE_KEY {
                state.load_delivery(&k, &v)?;
            }
        }
        let alerts = state.store.alerts()?;
        state.alerts.load(&alerts);
        state.resume_deliveries(&alerts);
        state.record_template_facts();
        state.sample_health();
        if state.opts.auto_approve {
            let waiting: Vec<_> =
                state.gates.pending().map(|g| g.id).filter(|id| id.code != GateCode::Budget).collect();
            for id in waiting {
                state.apply_decision(id, crate::domain::Decision::Approve, None, "auto-approve".into(), None);
            }
        }
        for i in state.runs.ixs() {
            state.reschedule(i);
        }
        Ok(state)
    }

    pub fn now(&self) -> u64 {
        (self.clock)()
    }

    /// Records an event for the next commit; returns its sequence number.
    pub fn emit(&mut self, run: Option<RunId>, kind: EventKind) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let ts = self.now();
        if let EventKind::Alert { message, .. } = &kind {
            self.alerts.raised(ts, message);
        }
        self.outbox.event(Event { seq, ts, startup: run, kind });
        self.queue_delivery();
        self.changed = true;
        seq
    }

    pub fn touch_run(&mut self, i: RunIx) {
        let now = self.now();
        self.runs[i].run.updated_at = now;
        self.outbox.run(i);
        self.views_dirty.insert(i);
        self.changed = true;
    }

    pub fn touch_task(&mut self, i: RunIx, t: TaskIx) {
        self.outbox.task(i, t);
        self.views_dirty.insert(i);
        self.changed = true;
    }

    pub fn touch_gate(&mut self, id: GateId) {
        self.outbox.gate(id);
        self.changed = true;
    }

    pub fn run_index(&self, id: RunId) -> Result<RunIx> {
        self.runs.named(id)
    }

    /// The run's tasks, from memory or (for a finished run) from the store.
    pub fn tasks_of(&self, i: RunIx) -> Result<Vec<Task>> {
        let rs = &self.runs[i];
        if rs.tasks_loaded { Ok(rs.tasks.clone()) } else { self.store.tasks_of(rs.run.id) }
    }

    /// Whether the run may dispatch a task now, and its place in the fair queue.
    pub fn reschedule(&mut self, i: RunIx) {
        let eligible = self.opts.dispatch && !self.shutting_down && self.next_dispatchable(i).is_some();
        self.sched.set_eligible(i.queued(), eligible);
    }

    /// The first ready task the run may start within its limits.
    pub fn next_dispatchable(&self, i: RunIx) -> Option<TaskIx> {
        let rs = &self.runs[i];
        if !matches!(rs.run.status, RunStatus::Queued | RunStatus::Running) || rs.run.gate.is_some() {
            return None;
        }
        if rs.in_flight >= self.cfg.factory.max_concurrent_per_run {
            return None;
        }
        rs.ready.iter().copied().find(|t| rs.role_in_flight[rs.tasks[*t].role.index()] < self.cfg.team.max_per_role)
    }

    pub fn refresh_view(&mut self, i: RunIx) {
        self.runs[i].view = Arc::new(super::views::run_view(&self.runs[i]));
    }

    /// Serialises every pending change for one transaction; an ended run's tasks, all
    /// written now, leave memory once none is in flight.
    pub fn take_writes(&mut self) -> Writes {
        let (w, ended) = self.outbox.take_writes(&mut self.runs, &self.gates);
        for i in ended {
            let rs = &mut self.runs[i];
            if rs.in_flight == 0 && rs.tasks_loaded {
                rs.unload_tasks();
                self.views_dirty.insert(i);
            }
        }
        w
    }
}

/// A live run's ledger (and its phase passes') as the sum of its tasks' results: tasks are
/// written with every call, the run's record only when its phase or status changes.
fn rebuild_ledger(run: &mut Run, tasks: &[Task]) {
    run.ledger = crate::domain::Ledger::default();
    for span in &mut run.phases {
        span.ledger = crate::domain::Ledger::default();
    }
    for t in tasks {
        let Some(r) = &t.result else { continue };
        run.ledger.add(&r.ledger);
        run.simulated |= r.simulated;
        run.unpriced |= r.unpriced;
        run.last_progress_at = run.last_progress_at.max(r.finished_at);
        if let Some(span) = run.phases.iter_mut().rev().find(|s| s.phase == Some(t.phase) && s.revision == t.revision) {
            span.ledger.add(&r.ledger);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, status: TaskStatus, depends_on: &[&str]) -> Task {
        Task {
            id: Task::build_id(RunId(1), id),
            run: RunId(1),
            phase: Phase::Build,
            revision: 0,
            kind: TaskKind::Team,
            role: AgentRole::Backend,
            title: id.into(),
            depends_on: depends_on.iter().map(|d| Task::build_id(RunId(1), d)).collect(),
            files: vec![],
            status,
            attempts: 0,
            error: None,
            result: None,
            created_at: 1,
            plan: None,
            repair: None,
            refused: None,
        }
    }

    fn done(mut t: Task) -> Task {
        t.result = Some(crate::domain::TaskResult::default());
        t.status = TaskStatus::Done;
        t
    }

    fn plan() -> Plan {
        Plan::parse(
            r#"{"tasks": [
                {"id": "api", "role": "backend", "title": "API", "files": ["a.py"], "depends_on": []},
                {"id": "ui", "role": "frontend", "title": "UI", "files": ["b.ts"], "depends_on": ["api"]},
                {"id": "tests", "role": "testing", "title": "Tests", "files": ["t.py"], "depends_on": ["api", "ui"]}
            ]}"#,
        )
        .unwrap()
    }

    #[test]
    fn the_current_phase_task_is_made_again_if_it_was_never_written() {
        let mut run = Run::sample(1);
        run.revision = 1;
        let rs = RunState::load(run.clone(), Vec::new(), true);
        let made = rs.task(&Task::phase_id(RunId(1), Phase::Spec, 1)).expect("the spec task, revision 1");
        assert_eq!((made.status, made.kind, made.title.as_str()), (TaskStatus::Ready, TaskKind::Phase, "MVP spec"));
        assert_eq!(rs.ready.len(), 1);
        assert!(!rs.written[0], "still unwritten");
        // Nothing is made for an ended run, nor when the task is there.
        let mut there = task("x", TaskStatus::Ready, &[]);
        there.id = Task::phase_id(RunId(1), Phase::Spec, 1);
        assert_eq!(RunState::load(run.clone(), vec![there], true).tasks.len(), 1);
        run.status = RunStatus::Completed;
        assert!(RunState::load(run, Vec::new(), false).tasks.is_empty());
    }

    #[test]
    fn the_build_gets_its_plan_task_team_and_integration_back() {
        let mut run = Run::sample(1);
        run.phase = Phase::Build;
        // No plan task written: made again.
        let rs = RunState::load(run.clone(), Vec::new(), true);
        assert_eq!(rs.tasks.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), vec!["s-01.build.plan"]);
        // The plan task done with its plan, `api` done, the others never written.
        let mut plan_task = done(task("plan", TaskStatus::Done, &[]));
        plan_task.kind = TaskKind::Plan;
        plan_task.plan = Some(plan());
        let rs = RunState::load(run.clone(), vec![plan_task.clone(), done(task("api", TaskStatus::Done, &[]))], true);
        let ids: Vec<&str> = rs.tasks.iter().map(|t| t.local_id()).collect();
        assert_eq!(ids, vec!["plan", "api", "ui", "tests"]);
        let status = |id: &str| rs.task(&Task::build_id(RunId(1), id)).unwrap().status;
        assert_eq!((status("ui"), status("tests")), (TaskStatus::Ready, TaskStatus::Waiting));
        assert_eq!(rs.task("s-01.build.ui").unwrap().role, AgentRole::Frontend);
        // Every team task done: the integration is made.
        let all = vec![
            plan_task,
            done(task("api", TaskStatus::Done, &[])),
            done(task("ui", TaskStatus::Done, &["api"])),
            done(task("tests", TaskStatus::Done, &["api", "ui"])),
        ];
        let rs = RunState::load(run, all, true);
        let integrate = rs.task("s-01.build.integrate").expect("integration");
        assert_eq!((integrate.kind, integrate.status), (TaskKind::Integrate, TaskStatus::Ready));
    }

    #[test]
    fn a_waiting_task_whose_dependencies_are_done_is_ready_after_loading() {
        let mut run = Run::sample(1);
        run.phase = Phase::Build;
        // As the store holds them: `api` done, the steps of its dependents to ready unwritten.
        let tasks = vec![
            task("api", TaskStatus::Done, &[]),
            task("ui", TaskStatus::Waiting, &["api"]),
            task("tests", TaskStatus::Waiting, &["api", "ui"]),
            task("docs", TaskStatus::Running, &[]),
        ];
        let rs = RunState::new(run, tasks, true);
        let status = |id: &str| rs.task(&Task::build_id(RunId(1), id)).unwrap().status;
        assert_eq!(status("ui"), TaskStatus::Ready);
        assert_eq!(status("tests"), TaskStatus::Waiting);
        assert_eq!(status("docs"), TaskStatus::Ready, "a task cut off mid-call runs again");
        assert_eq!(rs.ready.iter().copied().collect::<Vec<_>>(), vec![TaskIx(3), TaskIx(1)]);
    }
}
