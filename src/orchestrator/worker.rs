//! One task's work, off the actor: render the prompt from the project memory, call the
//! gateway, check the answer, write the artifact or files inside the workspace, report back.

use std::sync::Arc;

use super::Msg;
use super::answer::{self, HeaderFacts};
use super::runs::{RunIx, TaskIx};
use crate::config::Config;
use crate::domain::{Phase, Plan, RunId, Task, TaskKind};
use crate::prompts::{
    FailedCheck, MemoryItem, NoteItem, PhaseFacts, PromptContext, Prompts, RepairFacts, StartupFacts, TaskFacts,
    TemplateFacts,
};
use crate::providers::gateway::Answer;
use crate::providers::{CallRequest, Gateway, GatewayNote, SimHints, Usage};
use crate::templates::{self, ScaffoldVars, Template};
use crate::workspace::{Workspace, check_relative_path};

/// What every worker shares: the gateway, the prompts, the templates, the way back.
pub(crate) struct Shared {
    pub cfg: Arc<Config>,
    pub gateway: Arc<Gateway>,
    pub prompts: Prompts,
    pub tx: std::sync::mpsc::Sender<Msg>,
    pub pycheck: super::pycheck::PyCheck,
    /// Where the template's checks run on the generated code.
    pub sandbox: crate::sandbox::Sandbox,
    /// The cluster's workers, when `[cluster]` is configured.
    pub cluster: Option<Arc<crate::cluster::Dispatcher>>,
}

/// Everything a task needs, copied out of the actor's state.
pub(crate) struct Job {
    pub run_index: RunIx,
    pub run: RunId,
    pub task_index: TaskIx,
    pub task: Task,
    pub facts: StartupFacts,
    /// The run's template version, as the registry held it when the task was dispatched.
    pub template: Option<Arc<Template>>,
    /// The run's ports, for scaffolding.
    pub ports: std::collections::BTreeMap<String, u16>,
    pub workspace: Workspace,
    /// Phases whose artifacts form the prompt's project memory, each with its text when
    /// the actor holds it (else it is read from the workspace).
    pub memory: Vec<(Phase, Option<Arc<str>>)>,
    pub notes: Vec<NoteItem>,
    pub revision_note: Option<String>,
    pub plan_error: Option<String>,
    /// Worst-case cost reserved for this call.
    pub reserved: u64,
    /// For the integration task: the build summary to write as `docs/build.md`.
    pub summary: Option<String>,
    /// For a build task: the files under `app/` it may build on (the scaffold and what its
    /// dependencies wrote). Known in advance, so that the prompt does not depend on which
    /// other tasks happen to have finished. For the integration: the files the team wrote.
    pub app_files: Vec<String>,
    /// The files (relative to `app/`, with the task that wrote each) the prompt quotes,
    /// within `team.context_tokens`: a team task's dependencies' and its own; for the
    /// quality phase, the team's.
    pub code_files: Vec<(String, String)>,
    /// For the quality phase: the run's latest round of checks, a line each.
    pub checks: Vec<String>,
    /// For the integration: the files the plan gave each task, to score the build by.
    pub planned_files: Vec<String>,
    /// The answer this task has paid for, so that its cost is recorded even if the task
    /// then fails (a refused answer, a disk error).
    pub paid: std::sync::Mutex<Option<AnswerMeta>>,
}

/// What a provider call produced and cost.
#[derive(Clone, Debug, Default)]
pub(crate) struct AnswerMeta {
    pub provider: String,
    pub model: String,
    pub simulated: bool,
    pub usage: Usage,
    pub cost_micros: u64,
    pub unpriced: bool,
    pub latency_ms: u64,
    /// Answered from the response cache.
    pub cached: bool,
    /// From the cache, paid for by another task: its tokens cost nothing now.
    pub reused: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Output {
    pub answer: Option<AnswerMeta>,
    pub quality: f32,
    pub files: Vec<String>,
    pub output_chars: u64,
    pub plan: Option<Result<Plan, String>>,
    pub checked: usize,
    pub problems: Vec<String>,
    /// The integration's round of the template's checks.
    pub checks: Vec<crate::domain::CheckResult>,
    /// The quality review's verdict (`PASS`, `PASS WITH FIXES`, `FAIL`), if it gave one.
    pub verdict: Option<String>,
    /// A phase's artifact as the next prompts quote it (without its header), for the phases
    /// the actor keeps (`state::KEPT_IN_MEMORY`).
    pub artifact: Option<Arc<str>>,
}

#[derive(Debug)]
pub(crate) enum Failure {
    /// Every provider of the chain failed.
    Call(String),
    /// The answer broke a rule (a path out of the workspace, an oversized file).
    Output(String),
    /// The answer cannot be taken as it is (files outside the task, cut off at the token
    /// limit), but asking once more may give one that can: nothing was written.
    Refused { reason: String, truncated: bool },
    /// This machine failed (disk, a missing template).
    Machine(String),
}

impl Failure {
    pub fn message(&self) -> &str {
        match self {
            Failure::Call(m) | Failure::Output(m) | Failure::Machine(m) => m,
            Failure::Refused { reason, .. } => reason,
        }
    }
}

pub(crate) struct Finished {
    pub run_index: RunIx,
    pub task_index: TaskIx,
    pub reserved: u64,
    pub outcome: Result<Output, Failure>,
    /// On failure: an answer that was paid for before the task failed.
    pub paid: Option<AnswerMeta>,
}

pub(crate) async fn run(shared: Arc<Shared>, job: Job) {
    let ws = &job.workspace;
    let outcome = match job.task.kind {
        TaskKind::Phase => phase(&shared, &job, ws).await,
        TaskKind::Plan => plan(&shared, &job, ws).await,
        TaskKind::Team => team(&shared, &job, ws).await,
        TaskKind::Integrate => super::integrate::run(&shared, &job, ws).await,
    };
    if let Ok(out) = &outcome {
        super::feedback::output_scored(&shared, &job, out);
    }
    let paid = if outcome.is_err() { job.paid.lock().unwrap_or_else(|e| e.into_inner()).take() } else { None };
    let done = Finished { run_index: job.run_index, task_index: job.task_index, reserved: job.reserved, outcome, paid };
    let _ = shared.tx.send(Msg::Finished(Box::new(done)));
}

fn prompt_name(task: &Task) -> &'static str {
    match task.kind {
        TaskKind::Plan => "plan",
        TaskKind::Team | TaskKind::Integrate => "build",
        TaskKind::Phase => task.phase.as_str(),
    }
}

/// The run's template, or why there is none.
fn template(job: &Job) -> Result<&Template, Failure> {
    job.template
        .as_deref()
        .ok_or_else(|| Failure::Machine(format!("the template `{}` is not installed", job.facts.template)))
}

fn context(job: &Job, ws: &Workspace, sections: Vec<String>) -> Result<PromptContext, Failure> {
    let template = template(job)?;
    let mut memory = Vec::new();
    for (p, kept) in &job.memory {
        let content = match kept {
            Some(text) => text.to_string(),
            None => match ws.read(p.artifact()) {
                Ok(text) => answer::strip_header(&text).to_string(),
                Err(_) => continue,
            },
        };
        memory.push(MemoryItem { phase: p.as_str().into(), title: p.title().into(), content });
    }
    let m = &template.manifest;
    Ok(PromptContext {
        startup: job.facts.clone(),
        phase: PhaseFacts {
            name: job.task.phase.as_str().into(),
            title: job.task.phase.title().into(),
            revision: job.task.revision,
            artifact: job.task.phase.artifact().into(),
        },
        sections,
        memory,
        notes: job.notes.clone(),
        revision_note: job.revision_note.clone(),
        template: TemplateFacts {
            name: m.name.clone(),
            description: m.description.clone(),
            stack: m.stack.clone(),
            prompt: m.prompt.build.clone(),
        },
        plan_error: job.plan_error.clone(),
        // Only the plan prompt quotes it.
        default_plan: (job.task.kind == TaskKind::Plan)
            .then(|| serde_json::to_string_pretty(&m.default_plan()).unwrap_or_default()),
        task: None,
        app_files: Vec::new(),
        ..PromptContext::default()
    })
}

async fn call(shared: &Shared, job: &Job, ctx: &PromptContext, hints: SimHints) -> Result<Answer, Failure> {
    let name = prompt_name(&job.task);
    let meta = shared.prompts.meta(name);
    let prompt = shared.prompts.render(name, ctx).map_err(Failure::Machine)?;
    let task_id =
        if job.task.attempts == 0 { job.task.id.clone() } else { format!("{}#{}", job.task.id, job.task.attempts) };
    let req = CallRequest {
        task_id,
        attempt: 0,
        route: job.task.kind.route(job.task.phase),
        system: meta.system.clone(),
        prompt,
        max_tokens: max_tokens(meta.max_output_tokens, &job.task),
        // A revision, or a retry because the last answer was refused, must ask again.
        bypass_cache: job.task.revision > 0 || job.task.attempts > 0,
        hints,
    };
    let tx = shared.tx.clone();
    let (run_index, task) = (job.run_index, job.task.id.clone());
    let note = move |note: GatewayNote| {
        let _ = tx.send(Msg::Note { run_index, task: task.clone(), note });
    };
    let answer = match &shared.cluster {
        Some(cluster) if cluster.calls_here() => cluster.call(req, &note).await,
        _ => shared.gateway.call(req, &note).await,
    };
    let answer = answer.map_err(|f| Failure::Call(f.to_string()))?;
    *job.paid.lock().unwrap_or_else(|e| e.into_inner()) = Some(meta_of(&answer));
    Ok(answer)
}

/// What an elided file's quote ends with, in a build task's prompt and in the review's.
const BUILD_ELIDED: &str = "[... elided: the rest of this file did not fit in the prompt's budget; keep to the names shown and to what the plan says it holds ...]";
const REVIEW_ELIDED: &str =
    "[... elided: the rest did not fit in the prompt's budget; list what you could not see as not verified ...]";

/// The answer's token cap: doubled when the last answer was cut off at it.
pub(crate) fn max_tokens(base: u32, task: &Task) -> u32 {
    if task.refused.as_ref().is_some_and(|r| r.truncated) { base.saturating_mul(2) } else { base }
}

/// An answer that stopped at its token limit (`cap`), by the provider's word: refused, and
/// asked again with a larger limit.
fn stopped_at_limit(cap: u32) -> Failure {
    let reason = format!("the answer stopped at the token limit ({cap} tokens) and is incomplete");
    Failure::Refused { reason, truncated: true }
}

/// The files of an answer that was not cut off: neither stopped at its token limit nor
/// ending inside a code block (either is refused and asked again with a larger limit).
fn whole_answer_files(answer: &Answer, cap: u32) -> Result<Vec<(String, String)>, Failure> {
    if answer.response.truncated {
        return Err(stopped_at_limit(cap));
    }
    answer::whole_file_blocks(&answer.response.text).map_err(|path| Failure::Refused {
        reason: format!("the answer was cut off inside `{path}` (its code block is never closed)"),
        truncated: true,
    })
}

/// A refused answer must not come back from the cache when the task is tried again.
fn refused(shared: &Shared, answer: &Answer, failure: Failure) -> Failure {
    if matches!(failure, Failure::Output(_) | Failure::Refused { .. }) {
        shared.gateway.forget(answer);
    }
    failure
}

fn meta_of(a: &Answer) -> AnswerMeta {
    AnswerMeta {
        provider: a.provider.clone(),
        model: a.response.model.clone(),
        simulated: a.simulated,
        usage: a.response.usage,
        cost_micros: a.cost_micros,
        unpriced: a.unpriced,
        latency_ms: a.latency_ms,
        cached: a.cached,
        reused: a.reused,
    }
}

fn hints(shared: &Shared, job: &Job, sections: &[String]) -> SimHints {
    SimHints {
        kind: Some(job.task.kind),
        phase: Some(job.task.phase),
        startup: job.facts.name.clone(),
        idea: job.facts.idea.clone(),
        sections: sections.to_vec(),
        role: Some(job.task.role),
        title: job.task.title.clone(),
        files: job.task.files.clone(),
        plan: None,
        template: job.facts.template.clone(),
        defect_rate: shared.cfg.sim.defect_rate,
        repair: false,
    }
}

/// Refuses an answer with any path out of the workspace: an attack, not a slip, so the task
/// fails at once and nothing is written.
fn check_paths(task: &str, blocks: &[(String, String)]) -> Result<(), Failure> {
    for (path, _) in blocks {
        check_relative_path(path)
            .map_err(|e| Failure::Output(format!("the output of {task} tried to write outside the workspace: {e}")))?;
    }
    Ok(())
}

/// Writes files under `app/`, checking every one first (path, size, no symlink on the way)
/// so that a bad answer writes nothing, not even the files before the bad one.
fn write_app_files(ws: &Workspace, task: &str, blocks: &[(String, String)]) -> Result<Vec<String>, Failure> {
    check_paths(task, blocks)?;
    for (path, content) in blocks {
        ws.check(&format!("app/{path}"), content.len()).map_err(|e| {
            if e.is_output_fault() {
                Failure::Output(format!("the output of {task}: {e}"))
            } else {
                Failure::Machine(e.to_string())
            }
        })?;
    }
    let mut written = Vec::with_capacity(blocks.len());
    for (path, content) in blocks {
        let rel = format!("app/{path}");
        ws.write(&rel, content.as_bytes()).map_err(|e| {
            if e.is_output_fault() {
                Failure::Output(format!("the output of {task}: {e}"))
            } else {
                Failure::Machine(e.to_string())
            }
        })?;
        written.push(rel);
    }
    Ok(written)
}

async fn phase(shared: &Shared, job: &Job, ws: &Workspace) -> Result<Output, Failure> {
    let sections = shared.prompts.meta(prompt_name(&job.task)).sections.clone();
    let mut ctx = context(job, ws, sections.clone())?;
    if job.task.phase == Phase::Quality {
        // The reviewer reads the code and the checks, not only the documents.
        let budget = shared.cfg.team.context_tokens as u64;
        let code = super::context::gather(&ws.root().join("app"), &job.code_files, budget, &scaffold_files(job)?);
        ctx.code = crate::prompts::quote_code(&code, REVIEW_ELIDED);
        ctx.checks = job.checks.clone();
    }
    let answer = call(shared, job, &ctx, hints(shared, job, &sections)).await?;
    let cap = max_tokens(shared.prompts.meta(prompt_name(&job.task)).max_output_tokens, &job.task);
    // The deploy phase's answer also carries files, which a cut-off block would leave half.
    let deploy_files = if job.task.phase == Phase::Deploy {
        Some(whole_answer_files(&answer, cap).map_err(|f| refused(shared, &answer, f))?)
    } else if answer.response.truncated {
        return Err(refused(shared, &answer, stopped_at_limit(cap)));
    } else {
        None
    };
    let meta = meta_of(&answer);
    let mut text = answer.response.text.clone();
    if !answer.response.citations.is_empty() {
        text.push_str("\n\n## Sources cited by the provider\n\n");
        for (i, c) in answer.response.citations.iter().enumerate() {
            text.push_str(&format!("{}. {c}\n", i + 1));
        }
    }
    let quality = answer::score_document(&text, &sections, 250);
    let verdict = (job.task.phase == Phase::Quality).then(|| answer::verdict(&text)).flatten();
    let header = answer::header(&HeaderFacts {
        phase: job.task.phase,
        revision: job.task.revision,
        provider: &meta.provider,
        model: &meta.model,
        simulated: meta.simulated,
        tokens_in: meta.usage.input + meta.usage.cached_input,
        tokens_out: meta.usage.output,
        estimated: meta.usage.estimated,
        cost_micros: meta.cost_micros,
        unpriced: meta.unpriced,
    });
    let mut files = Vec::new();
    if let Some(blocks) = deploy_files {
        files = write_app_files(ws, &job.task.id, &blocks).map_err(|f| refused(shared, &answer, f))?;
    }
    let doc = format!("{header}{text}");
    // Every revision is kept too, for the reviewer's diff of the next one against it.
    let kept = job.task.phase.history_path(job.task.revision);
    for path in [job.task.phase.artifact(), kept.as_str()] {
        ws.write(path, doc.as_bytes()).map_err(|e| Failure::Machine(e.to_string()))?;
    }
    files.insert(0, job.task.phase.artifact().to_string());
    // Only what the actor keeps is copied for it.
    let artifact =
        super::state::KEPT_IN_MEMORY.contains(&job.task.phase).then(|| Arc::from(answer::strip_header(&doc)));
    Ok(Output {
        output_chars: text.len() as u64,
        answer: Some(meta),
        quality,
        files,
        verdict,
        artifact,
        ..Output::default()
    })
}

/// What the template's files are rendered with for this run.
fn scaffold_vars(job: &Job, template: &Template) -> ScaffoldVars {
    ScaffoldVars::new(template, job.run.0, &job.facts.name, &job.facts.idea).with_ports(&job.ports)
}

/// The template's files as rendered for this run, when the prompt quotes one of them.
fn scaffold_files(job: &Job) -> Result<Vec<(String, String)>, Failure> {
    if !job.code_files.iter().any(|(_, from)| from == super::context::SCAFFOLD) {
        return Ok(Vec::new());
    }
    let template = template(job)?;
    let vars = scaffold_vars(job, template);
    let quoted = |path: &str| job.code_files.iter().any(|(p, from)| p == path && from == super::context::SCAFFOLD);
    templates::render_some(template, &vars, quoted).map_err(Failure::Machine)
}

async fn plan(shared: &Shared, job: &Job, ws: &Workspace) -> Result<Output, Failure> {
    let template = template(job)?;
    let vars = scaffold_vars(job, template);
    let rendered = templates::render_files(template, &vars).map_err(Failure::Machine)?;
    let scaffolded = write_app_files(ws, &job.task.id, &rendered)?;
    let ctx = context(job, ws, Vec::new())?;
    let mut h = hints(shared, job, &[]);
    h.plan = Some(template.manifest.default_plan());
    let answer = call(shared, job, &ctx, h).await?;
    let parsed = if answer.response.truncated {
        // A plan cut off is never taken, even if what arrived happens to parse.
        Err("the plan stopped at the token limit and is incomplete; write a shorter plan".to_string())
    } else {
        Plan::parse(&answer.response.text)
    };
    if parsed.is_err() {
        shared.gateway.forget(&answer);
    }
    Ok(Output {
        quality: if parsed.is_ok() { 1.0 } else { 0.0 },
        output_chars: answer.response.text.len() as u64,
        answer: Some(meta_of(&answer)),
        files: scaffolded,
        plan: Some(parsed),
        ..Output::default()
    })
}

async fn team(shared: &Shared, job: &Job, ws: &Workspace) -> Result<Output, Failure> {
    let mut ctx = context(job, ws, Vec::new())?;
    ctx.task = Some(TaskFacts {
        id: job.task.local_id().to_string(),
        role: job.task.role.as_str().into(),
        title: job.task.title.clone(),
        files: job.task.files.clone(),
        depends_on: job
            .task
            .depends_on
            .iter()
            .map(|d| d.rsplit_once("build.").map(|(_, l)| l).unwrap_or(d).to_string())
            .collect(),
    });
    ctx.app_files = job.app_files.clone();
    let scaffold = scaffold_files(job)?;
    let budget = shared.cfg.team.context_tokens as u64;
    let code = super::context::gather(&ws.root().join("app"), &job.code_files, budget, &scaffold);
    ctx.code = crate::prompts::quote_code(&code, BUILD_ELIDED);
    ctx.refusal = job.task.refused.as_ref().map(|r| r.reason.clone());
    ctx.repair = job.task.repair.as_ref().map(|r| RepairFacts {
        round: r.round,
        max_rounds: shared.cfg.team.max_repair_rounds,
        checks: r
            .checks
            .iter()
            .map(|(name, output)| FailedCheck { name: name.clone(), output: output.clone() })
            .collect(),
    });
    let mut h = hints(shared, job, &[]);
    h.repair = job.task.repair.is_some();
    let answer = call(shared, job, &ctx, h).await?;
    let cap = max_tokens(shared.prompts.meta("build").max_output_tokens, &job.task);
    let blocks = whole_answer_files(&answer, cap).map_err(|f| refused(shared, &answer, f))?;
    // A path out of the workspace fails the task before the files' names are weighed.
    check_paths(&job.task.id, &blocks).map_err(|f| refused(shared, &answer, f))?;
    let outside: Vec<&str> =
        blocks.iter().map(|(p, _)| p.as_str()).filter(|p| !job.task.files.iter().any(|f| f == p)).collect();
    if !outside.is_empty() {
        let reason = format!(
            "the answer wrote {} that the task does not list ({}); a task writes only its own files: {}",
            if outside.len() == 1 { "a file" } else { "files" },
            outside.join(", "),
            if job.task.files.is_empty() { "none".to_string() } else { job.task.files.join(", ") }
        );
        return Err(refused(shared, &answer, Failure::Refused { reason, truncated: false }));
    }
    let quality = answer::score_files(&job.task.files, &blocks);
    let files = write_app_files(ws, &job.task.id, &blocks).map_err(|f| refused(shared, &answer, f))?;
    Ok(Output {
        output_chars: answer.response.text.len() as u64,
        answer: Some(meta_of(&answer)),
        quality,
        files,
        ..Output::default()
    })
}
