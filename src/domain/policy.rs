//! A gate's policy: `human`, `auto`, or `auto_if_quality >= X` (the config's default, or a run's own).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GatePolicy {
    /// A person decides.
    Human,
    /// Approved as soon as it opens.
    Auto,
    /// Approved when the phase's quality score is at least this (0 to 1); else a person decides.
    AutoIfQuality(f32),
}

impl GatePolicy {
    /// Whether the policy approves a gate whose artifact scored `quality`.
    pub fn approves(self, quality: Option<f32>) -> bool {
        match self {
            GatePolicy::Human => false,
            GatePolicy::Auto => true,
            GatePolicy::AutoIfQuality(min) => quality.is_some_and(|q| q >= min),
        }
    }
}

impl FromStr for GatePolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        match t {
            "human" => return Ok(GatePolicy::Human),
            "auto" => return Ok(GatePolicy::Auto),
            _ => {}
        }
        let bad = || format!("`{s}` is not a gate policy (expected \"human\", \"auto\" or \"auto_if_quality >= 0.8\")");
        let rest = t.strip_prefix("auto_if_quality").ok_or_else(bad)?.trim_start();
        let x = rest.strip_prefix(">=").ok_or_else(bad)?.trim();
        let q: f32 = x.parse().map_err(|_| bad())?;
        if !(0.0..=1.0).contains(&q) {
            return Err(format!("the quality threshold in `{s}` must be between 0 and 1"));
        }
        Ok(GatePolicy::AutoIfQuality(q))
    }
}

impl fmt::Display for GatePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GatePolicy::Human => f.write_str("human"),
            GatePolicy::Auto => f.write_str("auto"),
            GatePolicy::AutoIfQuality(q) => write!(f, "auto_if_quality >= {q}"),
        }
    }
}

impl Serialize for GatePolicy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GatePolicy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_decides() {
        assert_eq!("human".parse::<GatePolicy>().unwrap(), GatePolicy::Human);
        assert_eq!("auto".parse::<GatePolicy>().unwrap(), GatePolicy::Auto);
        let p: GatePolicy = "auto_if_quality >= 0.8".parse().unwrap();
        assert_eq!(p, GatePolicy::AutoIfQuality(0.8));
        assert!(p.approves(Some(0.85)));
        assert!(!p.approves(Some(0.7)));
        assert!(!p.approves(None));
        assert!("auto_if_quality >= 2".parse::<GatePolicy>().is_err());
        assert!("sometimes".parse::<GatePolicy>().is_err());
        assert_eq!(p.to_string().parse::<GatePolicy>().unwrap(), p);
    }
}
