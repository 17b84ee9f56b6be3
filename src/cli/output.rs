//! What the read commands print: tables for people, JSON with stable field names for scripts.

use serde_json::{Value, json};

use crate::domain::money::fmt_usd;
use crate::domain::{Event, Gate, Run};
use crate::fmt::{format_duration, format_ts};
use crate::orchestrator::RunDetail;
use crate::providers::ProviderStats;

fn run_json(r: &Run) -> Value {
    json!({
        "id": r.id.to_string(),
        "name": r.name,
        "idea": r.idea,
        "status": r.status.as_str(),
        "phase": r.phase.as_str(),
        "revision": r.revision,
        "gate": r.gate.map(|g| g.to_string()),
        "template": r.template,
        "template_version": r.template_version,
        "ports": r.ports,
        "priority": r.priority,
        "cost_micros": r.ledger.cost_micros,
        "budget_micros": r.budget_micros,
        "tokens_in": r.ledger.tokens_in + r.ledger.tokens_cached,
        "tokens_out": r.ledger.tokens_out,
        "tokens_cached": r.ledger.tokens_cached,
        "calls": r.ledger.calls,
        "workspace": r.workspace,
        "simulated": r.simulated,
        "unpriced": r.unpriced,
        "estimated": r.ledger.estimated(),
        "tokens_reused": r.ledger.tokens_reused,
        "plan_source": r.plan_source,
        "failure": r.failure,
        "checks_summary": checks_summary(r),
        "checks_failing": r.checks_failing,
        "repair_rounds": r.repair_rounds,
        "verdict": r.verdict,
        "created_at": format_ts(r.created_at),
        "updated_at": format_ts(r.updated_at),
    })
}

/// How the run's latest round of checks stands: counts by status (none before the build).
fn checks_summary(r: &Run) -> Value {
    let (passed, failed, skipped) = crate::domain::check::summary(&r.checks);
    json!({"passed": passed, "failed": failed, "skipped": skipped})
}

fn check_json(c: &crate::domain::CheckResult) -> Value {
    json!({
        "name": c.name,
        "status": c.status.as_str(),
        "duration_ms": c.duration_ms,
        "tests_passed": c.tests_passed,
        "tests_failed": c.tests_failed,
        "reason": c.reason,
        "output_tail": c.output_tail,
    })
}

pub fn status_json(runs: &[Run]) -> Value {
    let (mut cost, mut tin, mut tout) = (0u64, 0u64, 0u64);
    for r in runs {
        cost += r.ledger.cost_micros;
        tin += r.ledger.tokens_in + r.ledger.tokens_cached;
        tout += r.ledger.tokens_out;
    }
    json!({
        "startups": runs.iter().map(run_json).collect::<Vec<_>>(),
        "totals": {"cost_micros": cost, "tokens_in": tin, "tokens_out": tout, "runs": runs.len()},
    })
}

pub fn status_text(runs: &[Run]) -> String {
    if runs.is_empty() {
        return "no runs yet; create one with `factory new --name NAME --idea TEXT`, or try `factory demo`\n".into();
    }
    let mut out = format!(
        "{:<7} {:<22} {:<14} {:<22} {:>19} {:>12}\n",
        "ID", "NAME", "STATUS", "PHASE / GATE", "COST / BUDGET", "TOKENS"
    );
    let mut total = 0;
    for r in runs {
        total += r.ledger.cost_micros;
        let where_ = match r.gate {
            Some(g) => format!("{} ▸ {}", r.phase, g.code),
            None => r.phase.to_string(),
        };
        out.push_str(&format!(
            "{:<7} {} {:<14} {:<22} {:>19} {:>12}{}\n",
            r.id.to_string(),
            column(&r.name, 22),
            r.status.as_str(),
            where_,
            format!("{} / {}", fmt_usd(r.ledger.cost_micros), fmt_usd(r.budget_micros)),
            r.ledger.tokens_in + r.ledger.tokens_cached + r.ledger.tokens_out,
            flags(r).iter().map(|f| format!("  ({f})")).collect::<String>()
        ));
    }
    out.push_str(&format!("{}, {} spent\n", crate::plural::count(runs.len() as u64, "run"), fmt_usd(total)));
    out
}

/// What a run's cost is marked with: done by the simulated provider, a model missing from
/// the price table, token counts estimated rather than reported.
fn flags(r: &Run) -> Vec<&'static str> {
    [(r.simulated, "simulated"), (r.unpriced, "unpriced"), (r.ledger.estimated(), "estimated")]
        .into_iter()
        .filter_map(|(on, what)| on.then_some(what))
        .collect()
}

/// `text` in a column `width` terminal cells wide, by display width (`名前` takes four, an
/// emoji two): cut with `…` when longer, padded with spaces when shorter.
pub fn column(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    let total: usize = text.chars().map(|c| c.width().unwrap_or(0)).sum();
    let room = if total > width { width.saturating_sub(1) } else { width };
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        out.push(c);
        used += w;
    }
    if total > width {
        out.push('…');
        used += 1;
    }
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

pub fn detail_json(d: &RunDetail) -> Value {
    json!({
        "startup": run_json(&d.run),
        "checks": d.run.checks.iter().map(check_json).collect::<Vec<_>>(),
        "phases": d.run.phases,
        "tasks": d.tasks,
        "reports": d.reports,
        "gates": d.gates.iter().map(gate_json).collect::<Vec<_>>(),
    })
}

pub fn detail_text(d: &RunDetail) -> String {
    let r = &d.run;
    let ports: Vec<String> = r.ports.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let mut out = format!(
        "{} {}: {}\n{}\nstatus {} · phase {} (revision {}) · {} of {} · template {}{}{}\nworkspace {}\n{}",
        r.id,
        r.name,
        r.status,
        r.idea,
        r.status,
        r.phase,
        r.revision,
        fmt_usd(r.ledger.cost_micros),
        fmt_usd(r.budget_micros),
        r.template,
        r.template_version.as_deref().map(|v| format!(" {v}")).unwrap_or_default(),
        flags(r).iter().map(|f| format!(" · {f}")).collect::<String>(),
        r.workspace,
        if ports.is_empty() { String::new() } else { format!("ports {}\n", ports.join(", ")) },
    );
    if let Some(f) = &r.failure {
        out.push_str(&format!("failure: {f}\n"));
    }
    if !r.checks.is_empty() {
        out.push_str(&format!(
            "\nChecks{}:\n",
            match r.repair_rounds {
                0 => String::new(),
                1 => " (after 1 repair round)".to_string(),
                n => format!(" (after {n} repair rounds)"),
            }
        ));
        for c in &r.checks {
            out.push_str(&format!("  {}\n", crate::orchestrator::check_line(c)));
        }
        if let Some(why) = r.automation_blocked() {
            out.push_str(&format!("  no gate passes automatically: {why}\n"));
        }
    }
    // In pipeline order: each task when it was made, each gate when it opened, with its decision.
    out.push_str("\nTasks and gates:\n");
    let mut rows: Vec<(u64, usize, String)> = Vec::new();
    for (k, t) in d.tasks.iter().enumerate() {
        let cost = t.result.as_ref().map(|x| fmt_usd(x.ledger.cost_micros)).unwrap_or_default();
        let line = format!("  {:<34} {:<12} {:<8} {}\n", t.id, t.role.as_str(), t.status.as_str(), cost);
        rows.push((t.created_at, k, line));
    }
    for (k, g) in d.gates.iter().enumerate() {
        let by = g.decided_by.as_deref().map(|b| format!(" by {b}")).unwrap_or_default();
        let note =
            g.note.as_deref().and_then(|n| n.trim().lines().next()).map(|n| format!(": {n}")).unwrap_or_default();
        let line =
            format!("  ▸ gate {:<27} {:<21} {}{by}{note}\n", g.id.to_string(), g.id.code.name(), g.status.as_str());
        rows.push((g.opened_at, d.tasks.len() + k, line));
    }
    rows.sort_by_key(|(at, k, _)| (*at, *k));
    for (_, _, line) in rows {
        out.push_str(&line);
    }
    if let Some(last) = d.reports.last() {
        out.push_str(&format!("\nLatest report ({} of {}):\n{}", d.reports.len(), d.reports.len(), last.to_markdown()));
    }
    out
}

pub fn gate_json(g: &Gate) -> Value {
    json!({
        "id": g.id.to_string(),
        "startup": g.id.run.to_string(),
        "code": g.id.code.as_str(),
        "name": g.id.code.name(),
        "status": g.status.as_str(),
        "revision": g.id.n,
        "opened_at": format_ts(g.opened_at),
        "decided_at": g.decided_at.map(format_ts),
        "decided_by": g.decided_by,
        "note": g.note,
        "phase": g.review.phase.map(|p| p.as_str()),
        "artifact": g.review.artifact,
        "provider": g.review.provider,
        "model": g.review.model,
        "simulated": g.review.simulated,
        "quality": g.review.quality,
        "budget": g.budget,
        "timeout_alerted": g.timeout_alerted,
    })
}

pub fn gates_json(gates: &[Gate]) -> Value {
    json!({"gates": gates.iter().map(gate_json).collect::<Vec<_>>()})
}

/// One line a gate: id, name, the run's name, status, wait, and the first line of its note.
pub fn gates_text(
    gates: &[Gate],
    names: &std::collections::HashMap<crate::domain::RunId, String>,
    now: u64,
    all: bool,
) -> String {
    if gates.is_empty() {
        return if all { "no gates yet\n".into() } else { "no gates are waiting\n".into() };
    }
    let mut out = String::new();
    for g in gates {
        let waited = g.decided_at.unwrap_or(now).saturating_sub(g.opened_at);
        // A note of several lines shows its first, so that each gate stays one line.
        let note = g.note.as_deref().map(|n| {
            let mut lines = n.trim().lines();
            let first = lines.next().unwrap_or_default().to_string();
            if lines.next().is_some() { format!("{first} …") } else { first }
        });
        let tail = match (&g.decided_by, note) {
            (Some(by), Some(n)) => format!(" · by {by}: {n}"),
            (Some(by), None) => format!(" · by {by}"),
            _ => String::new(),
        };
        let quality = g.review.quality.map(|q| format!(" · quality {q:.2}")).unwrap_or_default();
        let wait = if g.decided_at.is_some() { "waited" } else { "waiting" };
        let name = names.get(&g.id.run).map(String::as_str).unwrap_or("");
        let name = column(name, 20);
        out.push_str(&format!(
            "{:<16} {:<22} {} {:<9} {wait} {:<8}{}{}{}\n",
            g.id.to_string(),
            g.id.code.name(),
            name,
            g.status.as_str(),
            format_duration(waited),
            quality,
            if g.review.simulated { " · simulated" } else { "" },
            tail
        ));
    }
    out
}

pub fn alerts_json(alerts: &[Event], acks: &[crate::orchestrator::AlertAck]) -> Value {
    let items: Vec<Value> = alerts
        .iter()
        .filter_map(|e| match &e.kind {
            crate::domain::EventKind::Alert { alert, message } => Some(json!({
                "seq": e.seq,
                "ts": format_ts(e.ts),
                "startup": e.startup.map(|r| r.to_string()),
                "alert": alert.as_str(),
                "message": message,
                "acknowledged": acks.iter().find(|a| a.seq == e.seq).map(|a| json!({
                    "by": a.by,
                    "at": format_ts(a.at),
                })),
            })),
            _ => None,
        })
        .collect();
    json!({ "alerts": items })
}

/// One alert a line, numbered (`#12`, the number `alerts ack` takes), open ones marked `!`
/// and acknowledged ones `✓` with who saw to them.
pub fn alerts_text(alerts: &[Event], acks: &[crate::orchestrator::AlertAck]) -> String {
    if alerts.is_empty() {
        return "no alerts\n".into();
    }
    let width = alerts.iter().map(|e| e.seq.to_string().len()).max().unwrap_or(1) + 1;
    let mut open = 0;
    let mut out: String = alerts
        .iter()
        .map(|e| {
            let number = format!("#{}", e.seq);
            match acks.iter().find(|a| a.seq == e.seq) {
                Some(a) => {
                    format!("✓ {number:<width$} {}  (acknowledged by {})\n", crate::headless::event_line(e), a.by)
                }
                None => {
                    open += 1;
                    format!("! {number:<width$} {}\n", crate::headless::event_line(e))
                }
            }
        })
        .collect();
    out.push_str(&format!(
        "{} open of {}{}\n",
        open,
        crate::plural::count(alerts.len() as u64, "alert"),
        if open > 0 { "; acknowledge with `factory alerts ack ID` or `--all`" } else { "" }
    ));
    out
}

pub fn providers_json(p: &[ProviderStats], routing: &crate::providers::Routing) -> Value {
    json!({ "providers": p, "routing": routing })
}

/// The learned quality per provider and task kind that routing weighs, and the policy.
pub fn quality_text(p: &[ProviderStats], routing: &crate::providers::Routing) -> String {
    let mut out = format!("\nrouting: {}; quality learned per task kind:\n", super::stats::routing_text(routing));
    for s in p {
        let scores = if s.quality.is_empty() {
            "(nothing observed yet)".into()
        } else {
            crate::stats::format::scores(&s.quality)
        };
        out.push_str(&format!("{:<12} {scores}\n", s.name));
    }
    out
}

pub fn providers_text(p: &[ProviderStats]) -> String {
    let mut out = format!(
        "{:<12} {:<9} {:<20} {:>9} {:>6} {:>8} {:>6} {:>7} {:>7} {:>9} {:>9} {:<9} {:>5}\n",
        "NAME",
        "KIND",
        "MODEL",
        "IN FLIGHT",
        "QUEUED",
        "REQUESTS",
        "ERRORS",
        "P50",
        "P95",
        "CACHE",
        "COST",
        "CIRCUIT",
        "KEYS"
    );
    for s in p {
        let circuit = match s.circuit {
            Some(crate::providers::gateway::Circuit::Open) => "open",
            Some(crate::providers::gateway::Circuit::HalfOpen) => "half-open",
            _ => "closed",
        };
        out.push_str(&format!(
            "{:<12} {:<9} {:<20} {:>9} {:>6} {:>8} {:>6} {:>7} {:>7} {:>9} {:>9} {:<9} {:>5}{}\n",
            s.name,
            s.kind,
            s.model,
            format!("{}/{}", s.in_flight, s.max_concurrent),
            s.queued,
            s.requests,
            s.errors,
            format!("{}ms", s.p50_ms),
            format!("{}ms", s.p95_ms),
            format!("{}/{}", s.cache_hits, s.cache_hits + s.cache_misses),
            fmt_usd(s.cost_micros),
            circuit,
            if s.simulated { "-".to_string() } else { format!("{}/{}", s.keys_ready, s.keys_total) },
            if s.simulated { "  (simulated)" } else { "" }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_count_terminal_cells_not_characters() {
        use unicode_width::UnicodeWidthStr;
        for name in ["Ledgerly", "Émoji 🚀 名前", "名前名前名前名前名前名前名前"] {
            let c = super::column(name, 12);
            assert_eq!(c.width(), 12, "{name:?} → {c:?}");
        }
        assert_eq!(super::column("名前名前名前名前", 12), "名前名前名… ");
    }
}
