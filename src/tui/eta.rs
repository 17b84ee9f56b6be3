//! A run's ETA: the rest of its phases at their learned durations, plus what the gates
//! ahead are expected to wait for a person; or who the holdup is when it is a person.

use crate::domain::{GateCode, GatePolicy, Phase, RunStatus};
use crate::fmt::format_duration;
use crate::orchestrator::{RunView, Snapshot};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eta {
    /// Finished: nothing is left.
    Over,
    /// Nothing measured yet to estimate from (no phase finished, no call answered).
    Unknown,
    /// About this long until the run is done.
    In(u64),
    /// A gate of the run waits for a person.
    OnYou,
    /// The run is paused: it moves when someone resumes it.
    Paused,
}

impl Eta {
    /// The ETA column's text: `2h 04m`, `waiting on you` (`on you` when not `wide`),
    /// `paused`, or `—`.
    pub fn text(self, wide: bool) -> String {
        match self {
            Eta::In(ms) => format_duration(ms),
            Eta::OnYou if wide => "waiting on you".into(),
            Eta::OnYou => "on you".into(),
            Eta::Paused => "paused".into(),
            Eta::Over | Eta::Unknown => "—".into(),
        }
    }
}

/// Where `run` stands against the learned durations in `snap`, at `now`.
pub fn eta(run: &RunView, snap: &Snapshot, now: u64) -> Eta {
    if run.status.is_final() {
        return Eta::Over;
    }
    if run.gate.is_some() {
        // Gates that pass on their own are decided as they open: a gate still open waits
        // for a person.
        return Eta::OnYou;
    }
    if run.status == RunStatus::Paused {
        return Eta::Paused;
    }
    let mut left = 0;
    for phase in &Phase::ALL[run.phase.index()..] {
        let Some(takes) = phase_ms(run, snap, *phase) else { return Eta::Unknown };
        left +=
            if *phase == run.phase { takes.saturating_sub(now.saturating_sub(run.phase_started_at)) } else { takes };
        if let Some(code) = phase.gate_after() {
            left += gate_ms(run, snap, code);
        }
    }
    Eta::In(left)
}

/// How long a pass of `phase` takes: its mean over the passes finished so far; before any,
/// one round of calls at the providers' median latency (the build: its tasks left, one
/// round per task each role has left).
fn phase_ms(run: &RunView, snap: &Snapshot, phase: Phase) -> Option<u64> {
    let learned = snap.phase_ms[phase.index()];
    if learned > 0 {
        return Some(learned);
    }
    let mut p50: Vec<u64> = snap.providers.iter().filter(|p| p.requests > 0).map(|p| p.p50_ms).collect();
    if p50.is_empty() {
        return None;
    }
    p50.sort_unstable();
    let call = p50[p50.len() / 2];
    let rounds = match phase {
        Phase::Build => run.team.iter().map(|r| r.total.saturating_sub(r.done)).max().unwrap_or(1).max(1),
        _ => 1,
    };
    Some(call * u64::from(rounds))
}

/// What the gate `code` ahead of `run` is expected to wait: nothing if it passes on its own
/// (the run's policy, else the config's), else the learned wait for a person.
fn gate_ms(run: &RunView, snap: &Snapshot, code: GateCode) -> u64 {
    let i = code as usize;
    let auto = match run.gate_policies.iter().find(|(c, _)| *c == code) {
        Some((_, policy)) => *policy == GatePolicy::Auto,
        None => snap.gate_auto[i],
    };
    if auto { 0 } else { snap.gate_wait_ms[i] }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::{ProviderView, RoleState, RoleView};

    const NOW: u64 = 1_800_000_000_000;

    fn snap() -> Snapshot {
        Snapshot {
            phase_ms: [60_000, 60_000, 0, 0, 0, 0, 0],
            gate_wait_ms: [3_600_000, 7_200_000, 86_400_000, 86_400_000, 86_400_000],
            providers: vec![
                ProviderView { requests: 3, p50_ms: 2_000, ..Default::default() },
                ProviderView { requests: 0, p50_ms: 0, ..Default::default() },
            ],
            ..Default::default()
        }
    }

    fn run(phase: Phase) -> RunView {
        RunView { status: RunStatus::Running, phase, phase_started_at: NOW - 20_000, ..Default::default() }
    }

    #[test]
    fn a_first_run_counts_calls_at_the_median_latency_and_gates_at_their_expected_waits() {
        // Research: 40 s left of its learned minute; founder fit a minute; spec, architecture,
        // quality, deploy one 2 s call each; the build one round; G0..G3 their waits.
        let expected = 40_000 + 60_000 + 5 * 2_000 + 3_600_000 + 7_200_000 + 2 * 86_400_000;
        assert_eq!(eta(&run(Phase::Research), &snap(), NOW), Eta::In(expected));
        let mut s = snap();
        s.providers.clear();
        assert_eq!(eta(&run(Phase::Research), &s, NOW), Eta::Unknown, "nothing measured yet");
    }

    #[test]
    fn gates_that_pass_on_their_own_cost_nothing_and_a_runs_policy_wins() {
        let mut s = snap();
        s.phase_ms = [1_000; 7];
        let mut r = run(Phase::Architecture);
        r.phase_started_at = NOW;
        assert_eq!(eta(&r, &s, NOW), Eta::In(4_000 + 86_400_000 * 2));
        s.gate_auto = [true, true, true, false, false];
        assert_eq!(eta(&r, &s, NOW), Eta::In(4_000 + 86_400_000), "G2 passes on its own");
        r.gate_policies = vec![(GateCode::G2, GatePolicy::Human), (GateCode::G3, GatePolicy::Auto)];
        assert_eq!(eta(&r, &s, NOW), Eta::In(4_000 + 86_400_000), "the run's own policies");
    }

    #[test]
    fn the_build_counts_one_round_per_task_the_busiest_role_has_left() {
        let mut s = snap();
        s.phase_ms = [1_000, 1_000, 1_000, 1_000, 0, 1_000, 1_000];
        s.gate_auto = [true; 5];
        let mut r = run(Phase::Build);
        r.phase_started_at = NOW;
        let role = |done, total| RoleView {
            role: crate::domain::AgentRole::Backend,
            state: RoleState::Running,
            current: None,
            running: 1,
            done,
            total,
            latest_report: None,
        };
        r.team = vec![role(1, 5), role(0, 2)];
        assert_eq!(eta(&r, &s, NOW), Eta::In(4 * 2_000 + 2_000));
    }

    #[test]
    fn a_person_or_a_pause_is_the_holdup_and_a_finished_run_has_none() {
        let mut r = run(Phase::Spec);
        r.gate = Some(GateCode::G1);
        r.status = RunStatus::AwaitingGate;
        assert_eq!(eta(&r, &snap(), NOW).text(true), "waiting on you");
        assert_eq!(eta(&r, &snap(), NOW).text(false), "on you");
        let mut r = run(Phase::Spec);
        r.status = RunStatus::Paused;
        assert_eq!(eta(&r, &snap(), NOW).text(false), "paused");
        r.status = RunStatus::Completed;
        assert_eq!(eta(&r, &snap(), NOW).text(false), "—");
    }
}
