//! `factory bench SCENARIO [--json]`: runs a benchmark scenario and prints its report.

use super::args::BenchArgs;
use crate::bench::{self, BenchOptions};
use crate::error::{FactoryError, Result};

pub async fn run(a: BenchArgs) -> Result<()> {
    if a.rate == 0 || a.burst == 0 || a.repeat == 0 || a.runs == Some(0) {
        return Err(FactoryError::usage("--rate, --burst, --runs and --repeat must be at least 1"));
    }
    let opts = BenchOptions { quick: a.quick, rate: a.rate, burst: a.burst, runs: a.runs, repeat: a.repeat };
    super::say::out(bench::run(&a.scenario, opts, a.json).await?);
    Ok(())
}
