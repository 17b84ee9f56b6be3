//! Reading `[gates]`: a gate section lays only the keys it names over that gate's own defaults.

use serde::Deserialize;

use super::{GateConfig, GatePolicy, GatesConfig};

/// `[gates]` as written: every key optional.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawGates {
    max_revisions: Option<u32>,
    #[serde(rename = "G0")]
    g0: Option<RawGate>,
    #[serde(rename = "G1")]
    g1: Option<RawGate>,
    #[serde(rename = "G2")]
    g2: Option<RawGate>,
    #[serde(rename = "G3")]
    g3: Option<RawGate>,
}

/// One `[gates.Gn]` as written.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawGate {
    policy: Option<GatePolicy>,
    timeout_hours: Option<f64>,
    reviewers: Option<Vec<String>>,
}

fn overlay(base: GateConfig, raw: Option<RawGate>) -> GateConfig {
    let Some(raw) = raw else { return base };
    GateConfig {
        policy: raw.policy.unwrap_or(base.policy),
        timeout_hours: raw.timeout_hours.unwrap_or(base.timeout_hours),
        reviewers: raw.reviewers.unwrap_or(base.reviewers),
    }
}

impl From<RawGates> for GatesConfig {
    fn from(raw: RawGates) -> Self {
        let d = GatesConfig::default();
        GatesConfig {
            max_revisions: raw.max_revisions.unwrap_or(d.max_revisions),
            g0: overlay(d.g0, raw.g0),
            g1: overlay(d.g1, raw.g1),
            g2: overlay(d.g2, raw.g2),
            g3: overlay(d.g3, raw.g3),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    #[test]
    fn a_gate_section_keeps_that_gates_defaults_for_what_it_leaves_out() {
        let cfg = parse("[gates.G3]\npolicy = \"auto\"\n", "c.toml").unwrap();
        assert_eq!(cfg.gates.g3.policy, GatePolicy::Auto);
        assert_eq!(cfg.gates.g3.timeout_hours, GatesConfig::default().g3.timeout_hours);
        assert_eq!(cfg.gates.g3.timeout_hours, 6.0);
        let cfg = parse("[gates]\nmax_revisions = 1\n[gates.G0]\nreviewers = [\"ann\"]\n", "c.toml").unwrap();
        assert_eq!(cfg.gates.g0.timeout_hours, 48.0);
        assert_eq!(cfg.gates.max_revisions, 1);
    }

    /// `reviewers` checks a name the terminal supplies: the documents say it is advisory,
    /// and that the socket's OS user is what controls access.
    #[test]
    fn reviewers_are_documented_as_advisory_not_access_control() {
        for (doc, text) in [
            ("README.md", include_str!("../../README.md")),
            ("SECURITY.md", include_str!("../../SECURITY.md")),
            ("assets/default-config.toml", include_str!("../../assets/default-config.toml")),
        ] {
            let flat = text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
            assert!(flat.contains("advisory") && flat.contains("not access control"), "{doc}");
            assert!(flat.contains("os user"), "{doc} says what controls access");
        }
    }
}
