//! `factory bench SCENARIO [--json]`: runs a benchmark scenario and prints its report.

use super::args::BenchArgs;
use crate::bench::{self, BenchOptions, Scenario};
use crate::error::{FactoryError, Result};

pub async fn run(a: BenchArgs) -> Result<()> {
    let scenario = Scenario::parse(&a.scenario)?;
    if a.rate == 0 || a.burst == 0 {
        return Err(FactoryError::usage("--rate and --burst must be at least 1"));
    }
    let (json, text) = bench::run(scenario, BenchOptions { quick: a.quick, rate: a.rate, burst: a.burst }).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&json).unwrap_or_default());
    } else {
        print!("{text}");
    }
    Ok(())
}
