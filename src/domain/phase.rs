//! The pipeline's phases and gates, in order, with their names and artifacts.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The seven phases of a startup run, in pipeline order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    #[default]
    Research,
    FounderFit,
    Spec,
    Architecture,
    Build,
    Quality,
    Deploy,
}

impl Phase {
    pub const ALL: [Phase; 7] = [
        Phase::Research,
        Phase::FounderFit,
        Phase::Spec,
        Phase::Architecture,
        Phase::Build,
        Phase::Quality,
        Phase::Deploy,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Research => "research",
            Phase::FounderFit => "founder_fit",
            Phase::Spec => "spec",
            Phase::Architecture => "architecture",
            Phase::Build => "build",
            Phase::Quality => "quality",
            Phase::Deploy => "deploy",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Phase::Research => "Market research",
            Phase::FounderFit => "Founder-market fit",
            Phase::Spec => "MVP spec",
            Phase::Architecture => "Architecture",
            Phase::Build => "Build",
            Phase::Quality => "Quality review",
            Phase::Deploy => "Deployment prep",
        }
    }

    /// The artifact this phase writes in the run's workspace (the build writes `app/`).
    pub fn artifact(self) -> &'static str {
        match self {
            Phase::Research => "docs/research.md",
            Phase::FounderFit => "docs/founder-fit.md",
            Phase::Spec => "docs/spec.md",
            Phase::Architecture => "docs/architecture.md",
            Phase::Build => "docs/build.md",
            Phase::Quality => "docs/quality.md",
            Phase::Deploy => "docs/deploy.md",
        }
    }

    /// Where revision `n` of this phase's artifact is kept: `docs/history/spec.r0.md`.
    pub fn history_path(self, n: u32) -> String {
        let stem = self.artifact().trim_start_matches("docs/").trim_end_matches(".md");
        format!("docs/history/{stem}.r{n}.md")
    }

    /// The gate a reviewer passes after this phase, if any.
    pub fn gate_after(self) -> Option<GateCode> {
        match self {
            Phase::FounderFit => Some(GateCode::G0),
            Phase::Spec => Some(GateCode::G1),
            Phase::Architecture => Some(GateCode::G2),
            Phase::Deploy => Some(GateCode::G3),
            _ => None,
        }
    }

    pub fn next(self) -> Option<Phase> {
        Phase::ALL.get(self.index() + 1).copied()
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Phase {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phase::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a phase (expected one of research, founder_fit, spec, architecture, build, quality, deploy)"))
    }
}

/// A gate: the four reviews of the pipeline and the budget gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum GateCode {
    G0,
    G1,
    G2,
    G3,
    #[serde(rename = "budget")]
    Budget,
}

impl GateCode {
    pub const ALL: [GateCode; 5] = [GateCode::G0, GateCode::G1, GateCode::G2, GateCode::G3, GateCode::Budget];

    pub fn as_str(self) -> &'static str {
        match self {
            GateCode::G0 => "G0",
            GateCode::G1 => "G1",
            GateCode::G2 => "G2",
            GateCode::G3 => "G3",
            GateCode::Budget => "budget",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            GateCode::G0 => "Niche validation",
            GateCode::G1 => "Problem-solution fit",
            GateCode::G2 => "Architecture review",
            GateCode::G3 => "Release approval",
            GateCode::Budget => "Budget",
        }
    }

    /// The phase whose artifact this gate reviews (none for the budget gate).
    pub fn phase(self) -> Option<Phase> {
        match self {
            GateCode::G0 => Some(Phase::FounderFit),
            GateCode::G1 => Some(Phase::Spec),
            GateCode::G2 => Some(Phase::Architecture),
            GateCode::G3 => Some(Phase::Deploy),
            GateCode::Budget => None,
        }
    }
}

impl fmt::Display for GateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GateCode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GateCode::ALL
            .into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("`{s}` is not a gate code (expected G0, G1, G2, G3 or budget)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_revision_is_kept_beside_the_documents() {
        assert_eq!(Phase::Spec.history_path(0), "docs/history/spec.r0.md");
        assert_eq!(Phase::FounderFit.history_path(3), "docs/history/founder-fit.r3.md");
    }

    #[test]
    fn phases_chain_with_gates_in_the_designed_places() {
        let gates: Vec<_> = Phase::ALL.iter().filter_map(|p| p.gate_after().map(|g| (*p, g))).collect();
        assert_eq!(
            gates,
            vec![
                (Phase::FounderFit, GateCode::G0),
                (Phase::Spec, GateCode::G1),
                (Phase::Architecture, GateCode::G2),
                (Phase::Deploy, GateCode::G3)
            ]
        );
        assert_eq!(Phase::Deploy.next(), None);
        assert_eq!(Phase::Build.next(), Some(Phase::Quality));
        for p in Phase::ALL {
            assert_eq!(p.as_str().parse::<Phase>().unwrap(), p);
        }
        for g in GateCode::ALL {
            assert_eq!(g.as_str().parse::<GateCode>().unwrap(), g);
            if let Some(p) = g.phase() {
                assert_eq!(p.gate_after(), Some(g));
            }
        }
    }
}
