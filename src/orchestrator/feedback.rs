//! Quality feedback to the provider layer: every output's check score, and every gate
//! decision a person made about an artifact, credited to the provider that wrote it.

use super::state::State;
use super::worker::{Job, Output, Shared};
use crate::domain::{Decision, GateCode, GateId};
use crate::providers::quality::GateFeedback;

/// Records the score of a task's output against the provider that wrote it.
pub(super) fn output_scored(shared: &Shared, job: &Job, out: &Output) {
    if let Some(a) = &out.answer {
        let route = job.task.kind.route(job.task.phase);
        shared.gateway.record_output_quality(&a.provider, route, out.quality);
    }
}

impl State {
    /// Credits a person's decision at a review gate to the provider of the reviewed
    /// artifact; automatic approvals (the `--auto-approve` flag, a gate policy) are not
    /// judgements and teach nothing.
    pub(super) fn gate_decided(&self, id: GateId, decision: Decision, by: &str) {
        if id.code == GateCode::Budget || by == "auto-approve" || by.starts_with("policy:") {
            return;
        }
        let Some(gate) = self.gates.get(&id) else { return };
        let (Some(provider), Some(phase)) = (&gate.review.provider, gate.review.phase) else { return };
        let feedback = match decision {
            Decision::Approve => GateFeedback::Approved,
            Decision::Revise => GateFeedback::Revised,
            Decision::Reject => GateFeedback::Rejected,
        };
        self.shared.gateway.record_gate_feedback(provider, phase.as_str(), feedback);
    }
}
