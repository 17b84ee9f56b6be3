//! `factory bench SCENARIO [--json]`: runs a benchmark scenario and prints its report; a
//! binary built without the `bench` feature says how to get one that has them.

use super::args::BenchArgs;
use crate::error::{FactoryError, Result};

#[cfg(feature = "bench")]
pub async fn run(a: BenchArgs) -> Result<()> {
    use crate::bench::{self, BenchOptions};
    if a.rate == 0 || a.burst == 0 || a.repeat == 0 || a.runs == Some(0) {
        return Err(FactoryError::usage("--rate, --burst, --runs and --repeat must be at least 1"));
    }
    if (a.server_url.is_some() || a.model.is_some()) && a.scenario != "gateway" {
        return Err(FactoryError::usage("--server-url and --model apply to the gateway scenario only"));
    }
    let opts = BenchOptions {
        quick: a.quick,
        rate: a.rate,
        burst: a.burst,
        server_url: a.server_url,
        model: a.model,
        runs: a.runs,
        repeat: a.repeat,
    };
    super::say::out(bench::run(&a.scenario, opts, a.json).await?);
    Ok(())
}

#[cfg(not(feature = "bench"))]
pub async fn run(a: BenchArgs) -> Result<()> {
    Err(FactoryError::usage(format!(
        "`factory bench {}`: this binary was built without the benchmarks; build one with `cargo build --release --features bench` (see BENCHMARKS.md)",
        crate::sanitize::line(&a.scenario)
    )))
}
