//! Identifiers of runs, gates and tasks, with their human spelling (`s-01`, `s-01.G1.0`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::phase::GateCode;

/// A startup run, spelled `s-01`, `s-02`, ... `s-1000`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(pub u32);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s-{:02}", self.0)
    }
}

impl FromStr for RunId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.trim().strip_prefix("s-").unwrap_or(s.trim());
        digits
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .map(RunId)
            .ok_or_else(|| format!("`{s}` is not a run id (expected the form s-01)"))
    }
}

/// One opening of a gate: the run, the gate code and the opening number (a revise
/// opens the same gate again with the next number). Spelled `s-01.G1.0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GateId {
    pub run: RunId,
    pub code: GateCode,
    pub n: u32,
}

impl fmt::Display for GateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.run, self.code, self.n)
    }
}

/// What a user may type to name a gate: a full id, `s-01.G1` (that gate's pending
/// opening) or `s-01` (the run's pending gate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GateRef {
    pub run: RunId,
    pub code: Option<GateCode>,
    pub n: Option<u32>,
}

impl FromStr for GateRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a gate id (expected the form s-01.G1.0, s-01.G1 or s-01)");
        let mut parts = s.trim().split('.');
        let run = parts.next().ok_or_else(bad)?.parse::<RunId>().map_err(|_| bad())?;
        let code = match parts.next() {
            Some(c) => Some(c.parse::<GateCode>().map_err(|_| bad())?),
            None => None,
        };
        let n = match parts.next() {
            Some(n) => Some(n.parse::<u32>().map_err(|_| bad())?),
            None => None,
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(GateRef { run, code, n })
    }
}

impl fmt::Display for GateRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.run)?;
        if let Some(code) = self.code {
            write!(f, ".{code}")?;
        }
        if let Some(n) = self.n {
            write!(f, ".{n}")?;
        }
        Ok(())
    }
}

impl From<GateId> for GateRef {
    fn from(id: GateId) -> Self {
        GateRef { run: id.run, code: Some(id.code), n: Some(id.n) }
    }
}

impl FromStr for GateId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse::<GateRef>()? {
            GateRef { run, code: Some(code), n: Some(n) } => Ok(GateId { run, code, n }),
            _ => Err(format!("`{s}` is not a full gate id (expected the form s-01.G1.0)")),
        }
    }
}

macro_rules! serde_as_string {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
serde_as_string!(RunId);
serde_as_string!(GateId);
serde_as_string!(GateRef);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_round_trip() {
        assert_eq!(RunId(1).to_string(), "s-01");
        assert_eq!(RunId(1000).to_string(), "s-1000");
        assert_eq!("s-07".parse::<RunId>().unwrap(), RunId(7));
        assert_eq!("12".parse::<RunId>().unwrap(), RunId(12));
        assert!("s-0".parse::<RunId>().is_err());
        assert!("x-1".parse::<RunId>().is_err());
    }

    #[test]
    fn gate_ids_round_trip_and_refs_parse() {
        let id = GateId { run: RunId(3), code: GateCode::G1, n: 2 };
        assert_eq!(id.to_string(), "s-03.G1.2");
        assert_eq!(id.to_string().parse::<GateId>().unwrap(), id);
        let budget = GateId { run: RunId(3), code: GateCode::Budget, n: 0 };
        assert_eq!(budget.to_string().parse::<GateId>().unwrap(), budget);
        let r: GateRef = "s-03.G1".parse().unwrap();
        assert_eq!((r.code, r.n), (Some(GateCode::G1), None));
        let r: GateRef = "s-03".parse().unwrap();
        assert_eq!((r.code, r.n), (None, None));
        assert!("s-03.G9".parse::<GateRef>().is_err());
        assert!("s-03.G1.x".parse::<GateRef>().is_err());
        assert!("s-03.G1.1.1".parse::<GateRef>().is_err());
    }
}
