//! Fairness through the real orchestrator: runs of mixed priority on the simulated
//! provider share a small call limit, each under its per-run cap, with their tasks'
//! dependencies, and one run stopped by a budget gate; the calls each run finished in
//! windows of the contest, against its weight, and Jain's index of them.

use std::sync::Arc;

use serde::Serialize;

use super::util::Scratch;
use crate::config::Config;
use crate::domain::{EventKind, GateCode, RunId};
use crate::error::Result;
use crate::orchestrator::{self, Command, NewRun, Options};

#[derive(Debug, Serialize)]
pub struct LiveShare {
    pub run: String,
    pub priority: u8,
    /// Calls it finished while it was in the contest.
    pub calls: u32,
    /// Its share of the calls of the windows it was in, over its share of the weight.
    pub normalised: f64,
}

#[derive(Debug, Serialize)]
pub struct LiveFairness {
    pub runs: usize,
    pub limit: u32,
    pub per_run_cap: u32,
    /// Calls finished while every run was still in the contest (none had finished,
    /// failed, or stopped at its budget gate), counted in windows of `window` calls.
    pub contested_calls: u32,
    pub window: u32,
    pub windows: u32,
    pub shares: Vec<LiveShare>,
    /// Jain's index over the whole contest, and the lowest and median over windows.
    pub jain_index: f64,
    pub jain_min_window: f64,
    pub jain_median_window: f64,
    /// The run stopped by a budget gate (it leaves the contest there).
    pub budget_gated: Option<String>,
}

fn jain(xs: &[f64]) -> f64 {
    let (sum, sq) = xs.iter().fold((0.0, 0.0), |(s, q), x| (s + x, q + x * x));
    if sq == 0.0 { 0.0 } else { sum * sum / (xs.len() as f64 * sq) }
}

/// Normalised shares of `counts` (calls per run) against `weights`.
fn normalised(counts: &[u32], weights: &[u8]) -> Vec<f64> {
    let total: u32 = counts.iter().sum();
    let weight: f64 = weights.iter().map(|w| *w as f64).sum();
    counts
        .iter()
        .zip(weights)
        .map(|(c, w)| if total == 0 { 0.0 } else { (*c as f64 / total as f64) / (*w as f64 / weight) })
        .collect()
}

pub async fn run(quick: bool) -> Result<LiveFairness> {
    let runs = if quick { 6 } else { 12 };
    let (limit, per_run_cap, window) = (4u32, 2u32, 2 * runs as u32);
    let data = Scratch::new(None)?;
    let ws = Scratch::new(None)?;
    let mut cfg = Config::default();
    cfg.sim.latency_ms = 20;
    cfg.budget.daily_cap_usd = 0.0;
    cfg.factory.workspaces = ws.path().display().to_string();
    cfg.factory.max_concurrent_calls = limit;
    cfg.factory.max_concurrent_per_run = per_run_cap;
    cfg.checks.enabled = false;
    let mut opts = Options::new(data.path().join("data"));
    opts.dispatch = true;
    opts.auto_approve = true;
    let handle = orchestrator::start(Arc::new(cfg), opts, orchestrator::system_clock())?;
    let mut events = handle.subscribe();
    let priorities: Vec<u8> = (0..runs).map(|i| (i % 4) as u8 + 1).collect();
    let new_runs = priorities.iter().enumerate().map(|(i, p)| {
        Command::NewRun(NewRun {
            name: format!("Fair {}", i + 1),
            idea: "A marketplace for local repair shops".into(),
            priority: Some(*p),
            // The last run's budget runs out: a budget gate stops it mid-way.
            budget_usd: (i + 1 == runs).then(|| "0.12".to_string()),
            ..NewRun::default()
        })
    });
    handle.request_all(new_runs).await?;
    let mut order: Vec<usize> = Vec::new();
    let mut budget_gated = None;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(if quick { 60 } else { 300 });
    // The contest ends when the first run leaves it.
    loop {
        let e = match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(e)) => e,
            Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => continue,
            Ok(Err(_)) | Err(_) => break,
        };
        let Some(RunId(n)) = e.startup else { continue };
        let i = n as usize - 1;
        match &e.kind {
            EventKind::TaskDone { .. } => order.push(i),
            EventKind::GateOpened { code: GateCode::Budget, .. } => {
                budget_gated = Some(RunId(n).to_string());
                break;
            }
            EventKind::RunCompleted { .. } | EventKind::RunFailed { .. } | EventKind::RunCancelled { .. } => break,
            _ => {}
        }
    }
    handle.shutdown().await?;
    let mut per_window = Vec::new();
    for chunk in order.chunks(window as usize).filter(|c| c.len() == window as usize) {
        let mut counts = vec![0u32; runs];
        for i in chunk {
            counts[*i] += 1;
        }
        per_window.push(jain(&normalised(&counts, &priorities)));
    }
    let mut counts = vec![0u32; runs];
    for i in &order {
        counts[*i] += 1;
    }
    let norm = normalised(&counts, &priorities);
    let shares = (0..runs)
        .map(|i| LiveShare {
            run: RunId(i as u32 + 1).to_string(),
            priority: priorities[i],
            calls: counts[i],
            normalised: norm[i],
        })
        .collect();
    let mut sorted = per_window.clone();
    sorted.sort_by(f64::total_cmp);
    Ok(LiveFairness {
        runs,
        limit,
        per_run_cap,
        contested_calls: order.len() as u32,
        window,
        windows: per_window.len() as u32,
        shares,
        jain_index: jain(&norm),
        jain_min_window: sorted.first().copied().unwrap_or(0.0),
        jain_median_window: sorted.get(sorted.len() / 2).copied().unwrap_or(0.0),
        budget_gated,
    })
}

impl LiveFairness {
    pub fn text(&self) -> String {
        let mut out = format!(
            "  through the orchestrator: {} runs, a limit of {} calls, at most {} per run, with dependencies and a budget gate\n  {} calls while all were in the contest, {} windows of {}:\n",
            self.runs, self.limit, self.per_run_cap, self.contested_calls, self.windows, self.window
        );
        for s in &self.shares {
            out.push_str(&format!(
                "  {:<5}  priority {}  {:>4} calls  share/weight {:.3}\n",
                s.run, s.priority, s.calls, s.normalised
            ));
        }
        out.push_str(&format!(
            "  Jain's index {:.4} over the contest; per window: lowest {:.4}, median {:.4}{}\n",
            self.jain_index,
            self.jain_min_window,
            self.jain_median_window,
            self.budget_gated.as_ref().map(|r| format!("; {r} stopped at its budget gate")).unwrap_or_default()
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn jain_is_one_when_shares_follow_weights_and_less_when_not() {
        let weights = [1, 2, 3];
        assert!((super::jain(&super::normalised(&[10, 20, 30], &weights)) - 1.0).abs() < 1e-9);
        assert!(super::jain(&super::normalised(&[30, 20, 10], &weights)) < 0.8);
    }
}
