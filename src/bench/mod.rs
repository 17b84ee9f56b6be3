//! `factory bench SCENARIO`: the benchmarks that check the speed targets, each printing its
//! figures (or JSON), with a quick mode that CI uses to check they still run.

pub mod orchestrator;
pub mod util;

use serde::Serialize;

use crate::error::{FactoryError, Result};

/// The scenarios, with what each measures.
pub const SCENARIOS: [(&str, &str); 3] = [
    ("orchestrator", "1,000 runs through the whole pipeline at latency 0: tasks/s, scheduling delay, memory"),
    ("render", "a 200x50 control-room frame of 1,000 runs; key to screen; bytes sent when idle"),
    ("attach", "owner to attached terminal latency; the cost of 20 idle attached terminals"),
];

fn out<T: Serialize>(json: bool, figures: &T, text: String) -> String {
    if json { serde_json::to_string_pretty(figures).unwrap_or_default() + "\n" } else { text }
}

/// Runs a scenario and returns what to print.
pub async fn run(scenario: &str, quick: bool, json: bool) -> Result<String> {
    match scenario {
        "orchestrator" => {
            let f = orchestrator::run(quick, None).await?;
            Ok(out(json, &f, f.text()))
        }
        "render" => {
            let f = crate::tui::bench::run(quick)
                .map_err(|e| FactoryError::internal(format!("the render benchmark failed: {e}")))?;
            Ok(out(json, &f, f.text()))
        }
        "attach" => {
            let f = crate::socket::bench::run(quick).await?;
            Ok(out(json, &f, f.text()))
        }
        other => Err(FactoryError::usage(format!(
            "there is no benchmark `{other}`; the scenarios are: {}",
            SCENARIOS.iter().map(|(n, what)| format!("{n} ({what})")).collect::<Vec<_>>().join(", ")
        ))),
    }
}
