//! Answers to questions about the state: runs, one run in detail, gates, a run's report.

use super::command::{ExportData, Reply, RunDetail};
use super::state::State;
use crate::domain::{Gate, GateId, GateStatus};
use crate::error::Result;

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
