//! Answers to questions about the state: runs, one run in detail, gates, a run's report.

use super::command::{ExportData, Reply, ReviewData, RunDetail};
use super::state::State;
use crate::domain::money::fmt_usd;
use crate::domain::{Gate, GateId, GateStatus};
use crate::error::{FactoryError, Result};

impl State {
    pub fn status(&self, run: Option<&str>) -> Result<Reply> {
        match run {
            None => Ok(Reply::Runs { runs: self.runs.iter().map(|r| r.run.clone()).collect() }),
            Some(text) => {
                let i = self.run_index(text)?;
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
        self.gates
            .range(GateId { run, code: crate::domain::GateCode::G0, n: 0 }..)
            .take_while(|(id, _)| id.run == run)
            .map(|(_, g)| g.clone())
            .collect()
    }

    /// Pending gates oldest first, or with `all` every gate by run.
    pub fn gates_reply(&self, all: bool) -> Reply {
        let gates = if all {
            self.gates.values().cloned().collect()
        } else {
            self.pending
                .iter()
                .filter_map(|(_, id)| self.gates.get(id))
                .filter(|g| g.status == GateStatus::Pending)
                .cloned()
                .collect()
        };
        Reply::Gates { gates }
    }

    pub fn export(&self, run: &str) -> Result<Reply> {
        let i = self.run_index(run)?;
        let run = self.runs[i].run.clone();
        Ok(Reply::Export {
            data: Box::new(ExportData {
                tasks: self.tasks_of(i)?,
                reports: self.store.reports_of(run.id)?,
                gates: self.gates_of(run.id),
                run,
                generated_at: self.now(),
            }),
        })
    }
}

impl State {
    /// A gate (any opening, pending or not) with its artifact and history.
    pub fn review(&self, text: &str) -> Result<Reply> {
        let r: crate::domain::GateRef = text.parse().map_err(FactoryError::usage)?;
        let id = match (r.code, r.n) {
            (Some(code), Some(n)) => GateId { run: r.run, code, n },
            _ => self.resolve_gate(text)?,
        };
        let gate =
            self.gates.get(&id).cloned().ok_or_else(|| {
                FactoryError::usage(format!("there is no gate {id}; `factory gates --all` lists them"))
            })?;
        let i = self.run_index(&id.run.to_string())?;
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
            (None, Some(path)) => crate::workspace::Workspace::new(&run.workspace)
                .read(path)
                .unwrap_or_else(|e| format!("(the artifact cannot be read: {e})")),
            (None, None) => "(this gate has no artifact)".into(),
        };
        let history = self
            .gates
            .range(GateId { run: id.run, code: id.code, n: 0 }..=GateId { run: id.run, code: id.code, n: u32::MAX })
            .map(|(_, g)| g.clone())
            .collect();
        Ok(Reply::Review { review: Box::new(ReviewData { gate, run, artifact, history }) })
    }
}
