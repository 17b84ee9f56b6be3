//! How urgent each kind of alert is: what `alerts.webhook.min_severity` filters on.

use serde::{Deserialize, Serialize};

use super::event::AlertKind;

/// An alert's urgency, least first (so `>=` compares urgency).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing: a limit is getting close.
    #[default]
    Info,
    /// Someone should look soon: a gate waits past its timeout, a run stalls, a provider fails.
    Warning,
    /// Work has stopped until someone acts: a budget is spent, a run failed.
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

impl AlertKind {
    pub fn severity(self) -> Severity {
        match self {
            AlertKind::Budget80 | AlertKind::Daily80 => Severity::Info,
            AlertKind::GateTimeout | AlertKind::Stalled | AlertKind::CircuitOpen => Severity::Warning,
            AlertKind::Budget100 | AlertKind::Daily100 | AlertKind::RunFailed => Severity::Critical,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_order_by_urgency_and_spell_as_in_the_config() {
        assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Critical);
        assert_eq!(AlertKind::RunFailed.severity(), Severity::Critical);
        assert_eq!(AlertKind::GateTimeout.severity(), Severity::Warning);
        assert_eq!(AlertKind::Budget80.severity(), Severity::Info);
        for s in [Severity::Info, Severity::Warning, Severity::Critical] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }
}
