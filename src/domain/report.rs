//! An agent's progress report, in the plan's format.

use serde::{Deserialize, Serialize};

use super::ids::RunId;
use super::task::AgentRole;

/// Posted by an agent after each of its tasks: *Tasks completed · Currently working on ·
/// Blockers · Ready for integration · Next*.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub run: RunId,
    pub role: AgentRole,
    /// The task whose end this report marks.
    pub task: String,
    pub at: u64,
    pub tasks_completed: Vec<String>,
    pub currently_working_on: Vec<String>,
    pub blockers: Vec<String>,
    pub ready_for_integration: Vec<String>,
    pub next: Vec<String>,
}

impl Report {
    pub fn to_markdown(&self) -> String {
        let mut out = format!("### {} agent, after {}\n", self.role.title(), self.task);
        for (title, items) in [
            ("Tasks completed", &self.tasks_completed),
            ("Currently working on", &self.currently_working_on),
            ("Blockers", &self.blockers),
            ("Ready for integration", &self.ready_for_integration),
            ("Next", &self.next),
        ] {
            out.push_str(&format!("**{title}:**"));
            if items.is_empty() {
                out.push_str(" none\n");
            } else {
                out.push('\n');
                for i in items {
                    out.push_str(&format!("- {i}\n"));
                }
            }
        }
        out
    }
}
