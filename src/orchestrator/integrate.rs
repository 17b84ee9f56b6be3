//! The build's integration step, off the actor: the files' syntax, then the template's own
//! checks (install, typecheck, tests) in the sandbox; the round is recorded in
//! `docs/checks.md` and summed up in `docs/build.md`, and the build is scored by it.

use std::fmt::Write;

use super::answer;
use super::worker::{Failure, Job, Output, Shared};
use crate::domain::{CheckResult, CheckStatus, Phase};
use crate::workspace::Workspace;

/// Where every round of checks is recorded, with each check's output tail.
pub const CHECKS_DOC: &str = "docs/checks.md";

/// Name of the factory's own syntax check (JSON, TOML, Python), run before the template's.
pub const SYNTAX_CHECK: &str = "syntax";

/// The repair round an integration task follows: 0 for the first integration.
pub fn round_of(local_id: &str) -> u32 {
    local_id.strip_prefix("integrate-r").and_then(|n| n.parse().ok()).unwrap_or(0)
}

pub(crate) async fn run(shared: &Shared, job: &Job, ws: &Workspace) -> Result<Output, Failure> {
    let app = ws.root().join("app");
    let files = list_files(&app);
    let round = round_of(job.task.local_id());
    let template = job.template.as_deref();
    let mut note = None;
    // With the checks off, none runs, the factory's own syntax check included.
    let mut checks = Vec::new();
    if shared.cfg.checks.enabled {
        checks.push(syntax(shared, job, &app, &files).await);
    }
    match template {
        _ if !shared.cfg.checks.enabled => {
            note = Some("The checks are off (`checks.enabled = false`): this build is not verified.".into());
        }
        None => {
            note = Some(format!("The template `{}` is not installed, so its checks could not run.", job.facts.template))
        }
        Some(t) if t.manifest.checks.is_empty() => {
            note = Some(format!("The template `{}` defines no checks: this build is not verified.", t.manifest.name));
        }
        Some(t) => {
            let (name, version, list) = (&t.manifest.name, &t.manifest.version, &t.manifest.checks);
            let round = match &shared.cluster {
                Some(cluster) if cluster.checks_here() => cluster
                    .checks(&job.task.id, job.task.attempts, &app, name, version, list)
                    .await
                    .map_err(|e| Failure::Machine(e.to_string()))?,
                _ => shared.sandbox.run_round(&app, name, version, list).await,
            };
            checks.extend(round);
            // The checks ran the generated code, which may have changed folders.
            ws.forget_checked();
        }
    }
    let problems: Vec<String> = checks.iter().filter(|c| c.status == CheckStatus::Failed).map(check_line).collect();
    // After the last round, what the checks installed goes (hundreds of MB a run): the
    // install steps make it again in seconds from the shared caches.
    let last_round = problems.is_empty() || round >= shared.cfg.team.max_repair_rounds;
    if last_round && note.is_none() {
        let pruned = prune_installs(&app);
        if !pruned.is_empty() {
            note = Some(format!(
                "Installed packages and build output ({}) were removed after the last round to save disk; the install steps above make them again.",
                pruned.join(", ")
            ));
        }
    }
    let record = checks_doc(ws, round, &checks, note.as_deref());
    ws.write(CHECKS_DOC, record.as_bytes()).map_err(|e| Failure::Machine(e.to_string()))?;
    let present = job
        .planned_files
        .iter()
        .filter(|f| std::fs::metadata(app.join(f)).is_ok_and(|m| m.is_file() && m.len() > 0))
        .count();
    let quality = answer::score_build(&checks, present, job.planned_files.len());
    let mut summary = job.summary.clone().unwrap_or_default();
    summary.push_str(&build_section(round, &checks, note.as_deref(), files.len(), quality));
    ws.write(Phase::Build.artifact(), summary.as_bytes()).map_err(|e| Failure::Machine(e.to_string()))?;
    Ok(Output {
        quality,
        checked: files.len(),
        problems,
        checks,
        files: vec![Phase::Build.artifact().to_string(), CHECKS_DOC.to_string()],
        ..Output::default()
    })
}

/// Folders the checks make that take room and are made again by an install or a build.
const INSTALLED: [&str; 6] = [".venv", "node_modules", ".next", ".nuxt", ".output", "dist"];

/// Removes the `INSTALLED` folders within three levels of `app` (never following links);
/// returns them, relative to `app`.
fn prune_installs(app: &std::path::Path) -> Vec<String> {
    let mut removed = Vec::new();
    let mut stack = vec![(app.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            if !e.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let path = e.path();
            if INSTALLED.iter().any(|n| e.file_name() == *n) {
                if std::fs::remove_dir_all(&path).is_ok()
                    && let Ok(rel) = path.strip_prefix(app)
                {
                    removed.push(rel.to_string_lossy().into_owned());
                }
            } else if depth < 2 && !e.file_name().to_string_lossy().starts_with('.') {
                stack.push((path, depth + 1));
            }
        }
    }
    removed.sort();
    removed
}

/// Caches the checks (and git) leave beside the code; with `INSTALLED`, what the checks make:
/// not the team's work, so neither listed nor checked.
const CACHES: [&str; 3] = ["__pycache__", ".pytest_cache", ".git"];

/// Files under `root`, relative and sorted (at most 1,000; symlinks are not followed; the
/// folders the checks make are left out).
fn list_files(root: &std::path::Path) -> Vec<String> {
    crate::workspace::list_paths(root, made_by_checks, 1000)
}

/// Whether a folder of that name is what the checks install or cache (`INSTALLED`, `CACHES`).
pub(crate) fn made_by_checks(name: &std::ffi::OsStr) -> bool {
    INSTALLED.iter().chain(&CACHES).any(|m| name == *m)
}

/// The factory's own check: every JSON and TOML file parses, and the Python files the team
/// wrote parse (read, never run). Skipped, not passed, when Python could not be read.
async fn syntax(shared: &Shared, job: &Job, app: &std::path::Path, files: &[String]) -> CheckResult {
    let started = std::time::Instant::now();
    let mut problems = Vec::new();
    for f in files.iter().filter(|f| !f.ends_with(".py")) {
        if let Ok(text) = std::fs::read_to_string(app.join(f))
            && let Err(e) = answer::check_parses(f, &text)
        {
            problems.push(e);
        }
    }
    let python: Vec<String> = job.app_files.iter().filter(|f| f.ends_with(".py")).cloned().collect();
    let py = shared.pycheck.check(app, &python).await;
    let skipped = py.as_ref().err().cloned();
    problems.extend(py.unwrap_or_default());
    let (status, reason) = match (problems.is_empty(), skipped) {
        (false, _) => (CheckStatus::Failed, Some(format!("{} files do not parse", problems.len()))),
        (true, Some(why)) => (CheckStatus::Skipped, Some(why)),
        (true, None) => (CheckStatus::Passed, None),
    };
    CheckResult {
        name: SYNTAX_CHECK.into(),
        status,
        duration_ms: started.elapsed().as_millis() as u64,
        tests_passed: None,
        tests_failed: None,
        output_tail: problems.join("\n"),
        reason,
    }
}

/// One line for a check: `backend-tests ✗ failed 3.2 s, 11 tests passed, 1 failed: exit status 1`.
pub fn check_line(c: &CheckResult) -> String {
    with_time(c, true)
}

/// The same without its time, for what prompts quote: the later phases' prompts (and so
/// their cost) must not depend on how fast this machine ran the checks.
pub fn check_brief(c: &CheckResult) -> String {
    with_time(c, false)
}

fn with_time(c: &CheckResult, time: bool) -> String {
    let mut out = format!("{} {} {}", c.name, c.status.mark(), c.status.as_str());
    if time {
        let _ = write!(out, " {:.1} s", c.duration_ms as f64 / 1000.0);
    }
    if let (Some(p), f) | (f @ None, Some(p)) = (c.tests_passed, c.tests_failed) {
        let _ = write!(out, ", {p} tests passed, {} failed", f.unwrap_or(0));
    }
    if let Some(r) = &c.reason {
        let _ = write!(out, ": {r}");
    }
    out
}

/// `docs/checks.md` with this round added (the first round starts it afresh).
fn checks_doc(ws: &Workspace, round: u32, checks: &[CheckResult], note: Option<&str>) -> String {
    let mut out = if round == 0 {
        "# Checks\n\nEvery round of checks the build ran, in order, each with the tail of its output.\n".to_string()
    } else {
        ws.read(CHECKS_DOC).unwrap_or_default()
    };
    let title = if round == 0 {
        "First round".to_string()
    } else {
        format!("Round {} (after repair round {round})", round + 1)
    };
    let _ = writeln!(out, "\n## {title}\n");
    if let Some(n) = note {
        let _ = writeln!(out, "{n}\n");
    }
    for c in checks {
        let _ = writeln!(out, "### {}\n\n{}\n", c.name, check_line(c));
        if !c.output_tail.trim().is_empty() {
            let longest = longest_backtick_run(&c.output_tail);
            let fence = "`".repeat(longest.max(2) + 1);
            let _ = writeln!(out, "{fence}text\n{}\n{fence}\n", c.output_tail.trim_end());
        }
    }
    out
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// The integration part of `docs/build.md`.
fn build_section(round: u32, checks: &[CheckResult], note: Option<&str>, files: usize, quality: f32) -> String {
    let (passed, failed, skipped) = crate::domain::check::summary(checks);
    let mut out = format!("\n## Integration checks\n\n{files} files in `app/`; round {} of checks.\n\n", round + 1);
    if let Some(n) = note {
        let _ = writeln!(out, "{n}\n");
    }
    // No times here: the later phases quote this report, and their prompts must not depend on
    // how fast the checks ran (`docs/checks.md` has the times).
    out.push_str("| check | result | tests passed | tests failed | why |\n|---|---|---|---|---|\n");
    for c in checks {
        let _ = writeln!(
            out,
            "| {} | {} {} | {} | {} | {} |",
            c.name,
            c.status.mark(),
            c.status.as_str(),
            c.tests_passed.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
            c.tests_failed.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
            c.reason.as_deref().unwrap_or("").replace('|', "\\|"),
        );
    }
    let verdict = if failed > 0 {
        format!("**{failed} checks failing.**")
    } else if skipped > 0 {
        format!("**{skipped} checks could not run** (see why above): not counted as passed.")
    } else {
        format!("All {passed} checks passed.")
    };
    let _ = writeln!(out, "\n{verdict} Build quality {quality:.2}. Outputs: `{CHECKS_DOC}`.");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, status: CheckStatus, passed: Option<u32>, failed: Option<u32>) -> CheckResult {
        CheckResult {
            name: name.into(),
            status,
            duration_ms: 1500,
            tests_passed: passed,
            tests_failed: failed,
            output_tail: "E   assert 2 == 3\n```".into(),
            reason: (status != CheckStatus::Passed).then(|| "exit status 1".into()),
        }
    }

    #[test]
    fn what_the_checks_installed_is_pruned_and_the_code_kept() {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path();
        for d in ["backend/.venv/lib", "frontend/node_modules/lit", "frontend/src", "backend/app"] {
            std::fs::create_dir_all(app.join(d)).unwrap();
        }
        std::fs::write(app.join("frontend/src/api.ts"), "export {};\n").unwrap();
        std::fs::write(app.join("backend/app/main.py"), "x = 1\n").unwrap();
        assert_eq!(prune_installs(app), ["backend/.venv", "frontend/node_modules"]);
        assert!(app.join("frontend/src/api.ts").exists() && app.join("backend/app/main.py").exists());
        assert!(!app.join("backend/.venv").exists());
    }

    #[test]
    fn rounds_are_numbered_by_their_task() {
        assert_eq!(round_of("integrate"), 0);
        assert_eq!(round_of("integrate-r2"), 2);
    }

    #[test]
    fn a_check_line_says_status_time_tests_and_why() {
        let c = check("backend-tests", CheckStatus::Failed, Some(11), Some(1));
        assert_eq!(check_line(&c), "backend-tests ✗ failed 1.5 s, 11 tests passed, 1 failed: exit status 1");
        let ok = check("compile", CheckStatus::Passed, None, None);
        assert_eq!(check_line(&ok), "compile ✓ passed 1.5 s");
    }

    #[test]
    fn the_checks_record_keeps_every_round_with_its_output() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path().to_str().unwrap());
        let first = checks_doc(&ws, 0, &[check("tests", CheckStatus::Failed, Some(1), Some(1))], None);
        ws.write(CHECKS_DOC, first.as_bytes()).unwrap();
        let second = checks_doc(&ws, 1, &[check("tests", CheckStatus::Passed, Some(2), Some(0))], None);
        assert!(second.contains("## First round") && second.contains("## Round 2 (after repair round 1)"));
        assert_eq!(second.matches("E   assert 2 == 3").count(), 2, "each round's output tail");
        // The output's own backticks cannot close the fence around it.
        assert!(second.contains("````text\n"));
    }

    #[test]
    fn the_build_section_never_calls_skipped_checks_passed() {
        let s = build_section(0, &[check("tests", CheckStatus::Skipped, None, None)], None, 10, 0.4);
        assert!(s.contains("could not run") && !s.contains("All 1 checks passed"), "{s}");
        let s = build_section(0, &[check("tests", CheckStatus::Passed, Some(3), Some(0))], None, 10, 1.0);
        assert!(s.contains("All 1 checks passed"), "{s}");
    }
}
