//! After the integration's checks: record them, and when some failed, start a bounded
//! repair round (a task per role that owns the failing files, with the check's output),
//! or end the build as *checks failing*, which no gate passes automatically.

use super::runs::RunIx;
use super::state::State;
use super::worker::Output;
use crate::domain::{AgentRole, CheckResult, CheckStatus, EventKind, Phase, Repair, Task, TaskKind};

/// Characters of a failing check's output a repair prompt carries (its end).
const REPAIR_OUTPUT_CHARS: usize = 6_000;
/// Characters of each check's output the run's record keeps (its end).
const RECORD_OUTPUT_CHARS: usize = 4_000;
/// Files one repair task may be given when the output names none.
const MAX_UNCLEAR_FILES: usize = 8;

impl State {
    /// The checks of an integration are in: announce each, keep them on the run, score the
    /// build, then repair, or move on (with the checks failing if no round is left).
    pub fn checks_done(&mut self, i: RunIx, out: &Output) -> bool {
        let id = self.runs[i].run.id;
        for c in &out.checks {
            let kind = match c.status {
                CheckStatus::Passed => EventKind::CheckPassed {
                    check: c.name.clone(),
                    duration_ms: c.duration_ms,
                    tests_passed: c.tests_passed,
                },
                CheckStatus::Failed => EventKind::CheckFailed {
                    check: c.name.clone(),
                    duration_ms: c.duration_ms,
                    tests_failed: c.tests_failed,
                    reason: c.reason.clone().unwrap_or_else(|| "it failed".into()),
                },
                CheckStatus::Skipped => EventKind::CheckSkipped {
                    check: c.name.clone(),
                    duration_ms: c.duration_ms,
                    reason: c.reason.clone().unwrap_or_else(|| "it could not run".into()),
                },
            };
            self.emit(Some(id), kind);
        }
        let rs = &mut self.runs[i];
        // The run's record keeps each output's end (it is written again on every change of
        // the run); the whole tail is in `docs/checks.md`.
        rs.run.checks = out
            .checks
            .iter()
            .map(|c| {
                let mut c = c.clone();
                if c.output_tail.len() > RECORD_OUTPUT_CHARS {
                    c.output_tail = format!(
                        "[... earlier output in {}]\n{}",
                        super::integrate::CHECKS_DOC,
                        tail_of(&c.output_tail, RECORD_OUTPUT_CHARS)
                    );
                }
                c
            })
            .collect();
        if rs.run.phase == Phase::Build
            && let Some(span) = rs.run.current_span_mut()
        {
            span.quality = Some(out.quality);
        }
        let failed: Vec<&CheckResult> = out.checks.iter().filter(|c| c.status == CheckStatus::Failed).collect();
        rs.run.checks_failing = false;
        self.touch_run(i);
        if failed.is_empty() {
            return true;
        }
        let names: Vec<String> = failed.iter().map(|c| c.name.clone()).collect();
        let rounds = self.runs[i].run.repair_rounds;
        if rounds >= self.cfg.team.max_repair_rounds {
            self.runs[i].run.checks_failing = true;
            self.emit(Some(id), EventKind::ChecksFailing { checks: names, rounds });
            return true;
        }
        let failed: Vec<CheckResult> = failed.into_iter().cloned().collect();
        self.start_repair(i, rounds + 1, &failed);
        false
    }

    /// Repair round `round`: one task per role owning files the failing checks name (the
    /// testing role when none is named), each with the checks' output.
    fn start_repair(&mut self, i: RunIx, round: u32, failed: &[CheckResult]) {
        let now = self.now();
        let id = self.runs[i].run.id;
        self.runs[i].run.repair_rounds = round;
        self.touch_run(i);
        let owners = self.file_owners(i);
        let mut by_role: Vec<(AgentRole, Vec<String>)> = Vec::new();
        for c in failed {
            for (file, role) in owners.iter().filter(|(f, _)| mentions(&c.output_tail, f)) {
                match by_role.iter_mut().find(|(r, _)| r == role) {
                    Some((_, files)) if !files.contains(file) => files.push(file.clone()),
                    Some(_) => {}
                    None => by_role.push((*role, vec![file.clone()])),
                }
            }
        }
        if by_role.is_empty() {
            // Unclear: the testing role looks at its own files (or, without any, all of them).
            let mut files: Vec<String> =
                owners.iter().filter(|(_, r)| *r == AgentRole::Testing).map(|(f, _)| f.clone()).collect();
            if files.is_empty() {
                files = owners.iter().map(|(f, _)| f.clone()).collect();
            }
            files.truncate(MAX_UNCLEAR_FILES);
            by_role.push((AgentRole::Testing, files));
        }
        let checks: Vec<(String, String)> = failed.iter().map(|c| (c.name.clone(), tail(&c.output_tail))).collect();
        let names: Vec<String> = failed.iter().map(|c| c.name.clone()).collect();
        let duration_ms = failed.iter().map(|c| c.duration_ms).sum();
        for (role, files) in by_role {
            let local = format!("repair-r{round}-{role}");
            let rs = &self.runs[i];
            let mut task = rs.new_task(
                Task::build_id(id, &local),
                TaskKind::Team,
                format!("Repair round {round}: make {} pass", names.join(", ")),
                now,
            );
            task.role = role;
            task.files = files.clone();
            task.repair = Some(Repair { round, checks: checks.clone() });
            self.add_task(i, task);
            self.emit(Some(id), EventKind::RepairStarted { round, role, checks: names.clone(), files, duration_ms });
        }
    }

    /// Each file the team wrote (relative to `app/`) with the role of the task that wrote it
    /// last, by path.
    fn file_owners(&self, i: RunIx) -> Vec<(String, AgentRole)> {
        let roles: std::collections::HashMap<String, AgentRole> =
            self.runs[i].build_tasks().map(|t| (t.local_id().to_string(), t.role)).collect();
        self.team_files_by_task(i).into_iter().filter_map(|(f, task)| Some((f, *roles.get(&task)?))).collect()
    }
}

/// Whether a check's output names `file` (relative to `app/`): whole, or without leading
/// folders (a check runs in a subfolder, `backend/`), down to its last two parts.
fn mentions(output: &str, file: &str) -> bool {
    let parts: Vec<&str> = file.split('/').collect();
    let min = if parts.len() >= 2 { 2 } else { 1 };
    (min..=parts.len()).any(|n| {
        let suffix = parts[parts.len() - n..].join("/");
        output.match_indices(&suffix).any(|(at, _)| {
            output[..at].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'))
        })
    })
}

/// The end of a check's output, at most `REPAIR_OUTPUT_CHARS`, starting on a line.
fn tail(output: &str) -> String {
    tail_of(output, REPAIR_OUTPUT_CHARS)
}

/// The end of `output`, at most `max` bytes, starting on a line.
fn tail_of(output: &str, max: usize) -> String {
    if output.len() <= max {
        return output.to_string();
    }
    let mut start = output.len() - max;
    while !output.is_char_boundary(start) {
        start += 1;
    }
    let rest = &output[start..];
    rest.split_once('\n').map(|(_, r)| r).unwrap_or(rest).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_found_in_output_by_its_path_from_any_folder() {
        let out = "FAILED tests/test_items.py::test_create - assert 2 == 3\napp/routes/items.py:12: in create";
        assert!(mentions(out, "backend/tests/test_items.py"));
        assert!(mentions(out, "backend/app/routes/items.py"));
        assert!(!mentions(out, "backend/app/models.py"));
        // Not a longer name that ends the same way.
        assert!(!mentions("mytests/test_items.py", "backend/tests/test_items.py"));
    }

    #[test]
    fn the_tail_keeps_the_end_from_a_line_start() {
        let long = format!("{}\nlast line\n", "x".repeat(REPAIR_OUTPUT_CHARS * 2));
        assert_eq!(tail(&long), "last line\n");
        assert_eq!(tail("short"), "short");
    }
}
