//! The outcome of one of a template's checks (install, typecheck, tests) on a run's code.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Passed,
    Failed,
    /// Could not run: a tool is missing, the sandbox was refused, the registry unreachable.
    /// Never counted as passed.
    Skipped,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Passed => "passed",
            CheckStatus::Failed => "failed",
            CheckStatus::Skipped => "skipped",
        }
    }

    /// The mark the control room and reports show: ✓, ✗ or –.
    pub fn mark(self) -> &'static str {
        match self {
            CheckStatus::Passed => "✓",
            CheckStatus::Failed => "✗",
            CheckStatus::Skipped => "–",
        }
    }
}

/// One check's run: how it ended, how long it took, the tests it counted, its output's tail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub name: String,
    pub status: CheckStatus,
    pub duration_ms: u64,
    /// Tests passed and failed, where the runner prints them (pytest, vitest, jest).
    pub tests_passed: Option<u32>,
    pub tests_failed: Option<u32>,
    /// The last part of what the check printed (stdout and stderr), made inert.
    pub output_tail: String,
    /// Why it failed or was skipped, in one sentence.
    pub reason: Option<String>,
}

/// How a build's checks stand: every one passed, one failed, or none could prove anything.
pub fn summary(checks: &[CheckResult]) -> (usize, usize, usize) {
    let count = |s: CheckStatus| checks.iter().filter(|c| c.status == s).count();
    (count(CheckStatus::Passed), count(CheckStatus::Failed), count(CheckStatus::Skipped))
}
