//! `factory bench SCENARIO`: the benchmarks that check the speed targets, each printing its
//! figures (or JSON), with a quick mode that CI uses to check they still run.

mod cluster;
pub mod fairness;
mod fairness_live;
mod gateway;
pub mod keys;
mod measure;
pub mod orchestrator;
pub mod render;
mod render_browser;
mod render_stats;
pub mod routing;
pub mod startup;
pub mod store;
pub mod util;

use serde::Serialize;

use crate::error::{FactoryError, Result};

/// The scenarios, with what each measures.
pub const SCENARIOS: [(&str, &str); 9] = [
    (
        "orchestrator",
        "1,000 runs through the whole pipeline at latency 0, template checks off: tasks/s, scheduling delay, memory",
    ),
    ("render", "a 200x50 control-room frame of 1,000 runs; key to screen; bytes sent when idle"),
    ("gateway", "the latency and CPU the provider layer adds over a bare HTTP call, and a 2,000-call burst"),
    ("startup", "opening 1,000 runs and 100,000 events to the first frame"),
    ("store", "events appended per second with group commits; a flushed gate decision"),
    ("fairness", "ten runs of unequal size and priority sharing a provider limit: Jain's index"),
    ("routing", "adaptive routing against preferred and the best fixed choice"),
    ("attach", "owner to attached terminal latency; the cost of 20 idle attached terminals"),
    ("cluster", "jobs/s and the overhead per job through NATS workers (1, 2, 4 on loopback) against local dispatch"),
];

/// How hard to push.
#[derive(Clone, Debug, Default)]
pub struct BenchOptions {
    /// A short run that checks the benchmark works (CI), not a measurement.
    pub quick: bool,
    /// Requests per second offered in the gateway's open-loop part.
    pub rate: u32,
    /// Calls launched at once in the gateway's burst part.
    pub burst: u32,
    /// Runs started at once in the orchestrator scenario (its default when `None`).
    pub runs: Option<usize>,
    /// Times the orchestrator scenario runs, its report giving the range.
    pub repeat: u32,
    /// The gateway measured against this OpenAI-compatible server on loopback (its base
    /// URL) instead of the bench's own.
    pub server_url: Option<String>,
    /// The model the gateway's requests name (default `gpt-4o-mini`).
    pub model: Option<String>,
}

fn out<T: Serialize>(json: bool, figures: &T, text: String) -> String {
    if json { serde_json::to_string_pretty(figures).unwrap_or_default() + "\n" } else { text }
}

/// Runs a scenario and returns what to print.
pub async fn run(scenario: &str, opts: BenchOptions, json: bool) -> Result<String> {
    match scenario {
        "orchestrator" => {
            let exe = std::env::current_exe().ok();
            let f = orchestrator::run(opts.quick, opts.runs, opts.repeat, exe.as_deref()).await?;
            Ok(out(json, &f, f.text()))
        }
        "render" => {
            let mut f = render::run(opts.quick)
                .map_err(|e| FactoryError::internal(format!("the render benchmark failed: {e}")))?;
            // The same, end to end: this binary's control room in a pseudo-terminal.
            if let Ok(exe) = std::env::current_exe() {
                let scratch = util::Scratch::new(None)?;
                let data = scratch.path().join("data");
                let (runs, keys, idle) = if opts.quick { (100, 10, 3) } else { (1_000, 200, 10) };
                startup::populate(&data, runs, 1_000, true)?;
                f.key_to_screen = Some(keys::run(&exe, &data, keys, std::time::Duration::from_secs(idle))?);
            }
            Ok(out(json, &f, f.text()))
        }
        "gateway" => {
            let (value, text) = gateway::run(opts).await?;
            Ok(if json { serde_json::to_string_pretty(&value).unwrap_or_default() + "\n" } else { text })
        }
        "startup" => {
            let exe = std::env::current_exe().ok();
            let f = startup::run(opts.quick, exe.as_deref()).await?;
            Ok(out(json, &f, f.text()))
        }
        // The other process of `startup` (not listed: it is not a scenario of its own).
        "startup-child" => startup::child().await,
        "store" => {
            let f = store::run(opts.quick)?;
            Ok(out(json, &f, f.text()))
        }
        "fairness" => {
            let mut f = fairness::run(opts.quick);
            f.through_the_orchestrator = Some(fairness_live::run(opts.quick).await?);
            Ok(out(json, &f, f.text()))
        }
        "routing" => {
            let f = routing::run(opts.quick);
            Ok(out(json, &f, f.text()))
        }
        "cluster" => {
            let f = cluster::run(opts.quick).await?;
            Ok(out(json, &f, f.text()))
        }
        "attach" => {
            let f = crate::socket::bench::run(opts.quick).await?;
            Ok(out(json, &f, f.text()))
        }
        other => Err(FactoryError::usage(format!(
            "there is no benchmark scenario `{other}`; the scenarios are: {}",
            SCENARIOS.iter().map(|(n, what)| format!("{n} ({what})")).collect::<Vec<_>>().join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unknown_scenario_is_a_clear_error() {
        let opts = BenchOptions { quick: true, rate: 1, burst: 1, ..BenchOptions::default() };
        let e = run("speed", opts, false).await.unwrap_err();
        assert!(e.message.contains("no benchmark scenario `speed`") && e.message.contains("gateway"), "{}", e.message);
        assert_eq!(e.exit_code(), 2);
    }
}
