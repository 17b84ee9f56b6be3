//! `factory bench SCENARIO [--json]`: measurements of the factory's own overhead on this
//! machine. Only `gateway` exists so far; other scenarios are named but not built.

mod gateway;
mod measure;

use serde_json::Value;

use crate::error::{FactoryError, Result};

/// Scenarios `factory bench` knows of, built or planned.
pub const PLANNED: [&str; 6] = ["orchestrator", "render", "startup", "store", "fairness", "routing"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    Gateway,
}

impl Scenario {
    pub fn parse(name: &str) -> Result<Scenario> {
        match name {
            "gateway" => Ok(Scenario::Gateway),
            other if PLANNED.contains(&other) => Err(FactoryError::usage(format!(
                "the benchmark scenario `{other}` is not built yet; available: gateway"
            ))),
            other => Err(FactoryError::usage(format!(
                "there is no benchmark scenario `{other}`; available: gateway (planned: {})",
                PLANNED.join(", ")
            ))),
        }
    }
}

/// How hard to push.
#[derive(Clone, Copy, Debug)]
pub struct BenchOptions {
    /// A short run (seconds instead of a minute), to check the command works.
    pub quick: bool,
    /// Requests per second offered in the open-loop part.
    pub rate: u32,
    /// Calls launched at once in the burst part.
    pub burst: u32,
}

/// Runs a scenario; returns its report as JSON and as text for people.
pub async fn run(scenario: Scenario, opts: BenchOptions) -> Result<(Value, String)> {
    match scenario {
        Scenario::Gateway => gateway::run(opts).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_planned_scenarios_are_clear_errors() {
        assert_eq!(Scenario::parse("gateway").unwrap(), Scenario::Gateway);
        let e = Scenario::parse("render").unwrap_err();
        assert!(e.message.contains("not built yet"), "{}", e.message);
        let e = Scenario::parse("speed").unwrap_err();
        assert!(e.message.contains("no benchmark scenario `speed`") && e.message.contains("gateway"));
        assert_eq!(e.exit_code(), 2);
    }
}
