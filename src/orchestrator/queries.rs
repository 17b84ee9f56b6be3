//! Answers to questions about the state: runs, one run in detail, gates, a run's report.

use super::command::{
    Evidence, EvidenceKind, ExportData, FILE_LIMIT, FileEntry, FileText, PreviousRevision, Reply, ReviewData, RunDetail,
};
use super::integrate::made_by_checks;
use super::state::State;
use crate::domain::money::fmt_usd;
use crate::domain::{Gate, GateCode, GateId, GateRef, Phase, Run, RunId, Task};
use crate::error::{FactoryError, Result};

impl State {
    pub fn status(&self, run: Option<RunId>) -> Result<Reply> {
        match run {
            None => Ok(Reply::Runs { runs: self.runs.iter().map(|r| r.run.clone()).collect() }),
            Some(id) => {
                let i = self.run_index(id)?;
                let run = self.runs[i].run.clone();
                Ok(Reply::Run {
                    detail: Box::new(RunDetail {
                        tasks: self.tasks_of(i)?,
                        reports: self.store.reports_of(run.id)?,
                        gates: self.gates_of(run.id),
                        run,
                    }),
                })
            }
        }
    }

    fn gates_of(&self, run: crate::domain::RunId) -> Vec<Gate> {
        self.gates.of_run(run).cloned().collect()
    }

    /// Pending gates oldest first, or with `all` every gate by run.
    pub fn gates_reply(&self, all: bool) -> Reply {
        let gates = if all { self.gates.all().cloned().collect() } else { self.gates.pending().cloned().collect() };
        Reply::Gates { gates }
    }

    pub fn export(&self, run: RunId) -> Result<Reply> {
        let i = self.run_index(run)?;
        let run = self.runs[i].run.clone();
        Ok(Reply::Export {
            data: Box::new(ExportData {
                tasks: self.tasks_of(i)?,
                reports: self.store.reports_of(run.id)?,
                gates: self.gates_of(run.id),
                revisions: crate::workspace::list_files(
                    &std::path::Path::new(&run.workspace).join("docs/history"),
                    |_| false,
                    FILES_SHOWN,
                )
                .into_iter()
                .map(|(p, bytes)| FileEntry { path: format!("docs/history/{p}"), bytes })
                .collect(),
                run,
                generated_at: self.now(),
            }),
        })
    }
}

impl State {
    /// A gate (any opening, pending or not) with its artifact and history.
    pub fn review(&self, r: GateRef) -> Result<Reply> {
        let id = match (r.code, r.n) {
            (Some(code), Some(n)) => GateId { run: r.run, code, n },
            _ => self.resolve_gate(r)?,
        };
        let gate =
            self.gates.get(&id).cloned().ok_or_else(|| {
                FactoryError::usage(format!("there is no gate {id}; `factory gates --all` lists them"))
            })?;
        let i = self.run_index(id.run)?;
        let run = self.runs[i].run.clone();
        let artifact = match (&gate.budget, &gate.review.artifact) {
            (Some(ask), _) => format!(
                "# Budget gate\n\nThe next call of {} may cost up to {}, which would pass its {} limit of {} ({} spent so far).\n\nApprove with a new limit and a note to go on, or reject to cancel the run.\n",
                run.id,
                fmt_usd(ask.needed_micros),
                ask.scope,
                fmt_usd(ask.limit_micros),
                fmt_usd(ask.spent_micros)
            ),
            (None, Some(path)) => read_doc(&run, path),
            (None, None) => "(this gate has no artifact)".into(),
        };
        let history: Vec<Gate> = self.gates.of_code(id.run, id.code).cloned().collect();
        let (evidence, focus) = match id.code.phase() {
            Some(phase) => evidence_for(&run, id.code, phase, &artifact),
            None => (vec![spend(&run, &self.tasks_of(i)?)], 0),
        };
        let previous = match (id.code.phase(), id.n) {
            (Some(phase), n) if n > 0 => {
                let asked = history.iter().find(|g| g.id.n == n - 1);
                Some(PreviousRevision {
                    revision: n - 1,
                    text: read_doc(&run, &phase.history_path(n - 1)),
                    note: asked.and_then(|g| g.note.clone()),
                    by: asked.and_then(|g| g.decided_by.clone()),
                })
            }
            _ => None,
        };
        let review = ReviewData { gate, run, artifact, history, evidence, focus, previous };
        Ok(Reply::Review { review: Box::new(review) })
    }

    /// A run's documents, their kept revisions and its `app/` files, sorted by path (not what
    /// the checks install or cache: thousands of files that are not the team's work).
    pub fn files(&self, run: RunId) -> Result<Reply> {
        let i = self.run_index(run)?;
        let run = &self.runs[i].run;
        let root = std::path::Path::new(&run.workspace);
        let files = crate::workspace::list_files(root, made_by_checks, FILES_SHOWN)
            .into_iter()
            .map(|(path, bytes)| FileEntry { path, bytes })
            .collect();
        Ok(Reply::Files { run: run.id.to_string(), files })
    }

    /// One file of a run's workspace, as stored (a viewer makes it inert); a path outside the
    /// workspace, or through a symlink, is refused.
    pub fn read_file(&self, run: RunId, path: &str) -> Result<Reply> {
        let i = self.run_index(run)?;
        let run = &self.runs[i].run;
        let ws = crate::workspace::Workspace::new(&run.workspace);
        let (bytes, head) = ws.read_head(path, FILE_LIMIT).map_err(|e| {
            FactoryError::usage(format!("{} has no readable file `{path}` ({e}); pick one from its file list", run.id))
        })?;
        let truncated = bytes > head.len() as u64;
        let binary = head[..head.len().min(8192)].contains(&0);
        let text = match (binary, std::str::from_utf8(&head)) {
            (true, _) => None,
            (false, Ok(t)) => Some(t.to_string()),
            // Cut inside a character at the limit: keep the whole characters before it.
            (false, Err(e)) if truncated && e.error_len().is_none() => {
                Some(String::from_utf8_lossy(&head[..e.valid_up_to()]).into_owned())
            }
            (false, Err(_)) => None,
        };
        let file = FileText {
            run: run.id.to_string(),
            path: path.to_string(),
            binary: text.is_none(),
            text: text.unwrap_or_default(),
            bytes,
            truncated,
        };
        Ok(Reply::File { file: Box::new(file) })
    }
}

/// At most this many files are listed for a run (the browser stays one frame at 1,000).
const FILES_SHOWN: usize = 5000;

fn read_doc(run: &Run, path: &str) -> String {
    crate::workspace::Workspace::new(&run.workspace)
        .read(path)
        .unwrap_or_else(|e| format!("({path} cannot be read: {e})"))
}

/// The documents a gate's decision rests on, and which of them is the gate's own artifact.
fn evidence_for(run: &Run, code: GateCode, phase: Phase, artifact: &str) -> (Vec<Evidence>, usize) {
    let doc = |p: Phase| Evidence {
        title: p.title().to_string(),
        kind: EvidenceKind::Document,
        path: Some(p.artifact().to_string()),
        text: if p == phase { artifact.to_string() } else { read_doc(run, p.artifact()) },
    };
    let tabs = match code {
        GateCode::G0 => vec![doc(Phase::Research), doc(Phase::FounderFit)],
        GateCode::G1 => vec![doc(Phase::Spec), doc(Phase::Research)],
        GateCode::G2 => vec![doc(Phase::Architecture), doc(Phase::Spec)],
        GateCode::G3 => {
            let root = std::path::Path::new(&run.workspace);
            let app: Vec<String> = crate::workspace::list_files(&root.join("app"), made_by_checks, FILES_SHOWN)
                .into_iter()
                .map(|(p, _)| format!("app/{p}"))
                .collect();
            vec![
                doc(Phase::Quality),
                doc(Phase::Build),
                Evidence {
                    title: "Checks".into(),
                    kind: EvidenceKind::Checks,
                    path: Some(super::integrate::CHECKS_DOC.to_string()),
                    text: read_doc(run, super::integrate::CHECKS_DOC),
                },
                doc(Phase::Deploy),
                Evidence { title: "app/".into(), kind: EvidenceKind::Tree, path: None, text: app.join("\n") },
            ]
        }
        GateCode::Budget => Vec::new(),
    };
    let focus = tabs.iter().position(|t| t.path.as_deref() == Some(phase.artifact())).unwrap_or(0);
    (tabs, focus)
}

/// What a run spent, by phase and by task, for a budget gate.
fn spend(run: &Run, tasks: &[Task]) -> Evidence {
    let mut text = format!(
        "# Spend of {}\n\n{} of {} spent over {} calls.\n\n## By phase\n\n",
        run.id,
        fmt_usd(run.ledger.cost_micros),
        fmt_usd(run.budget_micros),
        run.ledger.calls
    );
    for p in Phase::ALL {
        let cost: u64 = run.phases.iter().filter(|s| s.phase == Some(p)).map(|s| s.ledger.cost_micros).sum();
        let calls: u64 = run.phases.iter().filter(|s| s.phase == Some(p)).map(|s| s.ledger.calls).sum();
        if calls > 0 {
            text.push_str(&format!("- {:<20} {:>10}  {calls} calls\n", p.title(), fmt_usd(cost)));
        }
    }
    text.push_str("\n## By task\n\n");
    let mut paid: Vec<&Task> = tasks.iter().filter(|t| t.result.as_ref().is_some_and(|r| r.ledger.calls > 0)).collect();
    paid.sort_by_key(|t| std::cmp::Reverse(t.result.as_ref().map_or(0, |r| r.ledger.cost_micros)));
    for t in paid {
        let r = t.result.as_ref().expect("filtered on the result");
        text.push_str(&format!("- {:<40} {:>10}  {} {}\n", t.id, fmt_usd(r.ledger.cost_micros), r.provider, r.model));
    }
    Evidence { title: "Spend".into(), kind: EvidenceKind::Spend, path: None, text }
}
