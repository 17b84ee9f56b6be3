//! A gate opening and the decision a reviewer (or a policy) made on it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ids::GateId;
use super::phase::{GateCode, Phase};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateStatus {
    Pending,
    Approved,
    Revised,
    Rejected,
}

impl GateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GateStatus::Pending => "pending",
            GateStatus::Approved => "approved",
            GateStatus::Revised => "revised",
            GateStatus::Rejected => "rejected",
        }
    }
}

impl fmt::Display for GateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a reviewer decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Revise,
    Reject,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Revise => "revise",
            Decision::Reject => "reject",
        }
    }

    pub fn status(self) -> GateStatus {
        match self {
            Decision::Approve => GateStatus::Approved,
            Decision::Revise => GateStatus::Revised,
            Decision::Reject => GateStatus::Rejected,
        }
    }
}

impl FromStr for Decision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "approve" => Ok(Decision::Approve),
            "revise" => Ok(Decision::Revise),
            "reject" => Ok(Decision::Reject),
            _ => Err(format!("`{s}` is not a decision (expected approve, revise or reject)")),
        }
    }
}

/// Why a budget gate opened and what the next call would have needed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetAsk {
    /// `run` (the run's own budget) or `daily` (the factory's daily cap).
    pub scope: String,
    pub spent_micros: u64,
    pub limit_micros: u64,
    /// Worst-case cost of the call that was held back.
    pub needed_micros: u64,
    /// The new limit once approved.
    pub raised_to_micros: Option<u64>,
}

/// What the gate reviews: the artifact with who wrote it and how well it scored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub phase: Option<Phase>,
    /// Path of the artifact, relative to the run's workspace.
    pub artifact: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub simulated: bool,
    pub cost_micros: u64,
    pub quality: Option<f32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    pub id: GateId,
    pub status: GateStatus,
    pub opened_at: u64,
    pub decided_at: Option<u64>,
    pub decided_by: Option<String>,
    pub note: Option<String>,
    pub review: Review,
    pub budget: Option<BudgetAsk>,
    pub timeout_alerted: bool,
}

impl Gate {
    pub fn code(&self) -> GateCode {
        self.id.code
    }
}
