//! The run report of `factory export`: time, tokens and cost per phase, gate waits and
//! decisions, and the cost of the MVP, as Markdown or JSON.

use serde_json::{Value, json};

use crate::domain::money::{fmt_usd, fmt_usd_exact};
use crate::domain::{Phase, Run};
use crate::headless::{format_duration, format_ts};
use crate::orchestrator::ExportData;

/// Cost of the build phase: what the MVP's code cost.
fn mvp_cost(run: &Run) -> u64 {
    run.phases.iter().filter(|s| s.phase == Some(Phase::Build)).map(|s| s.ledger.cost_micros).sum()
}

pub fn markdown(d: &ExportData) -> String {
    let r = &d.run;
    let mut out = format!("# Run report: {} ({})\n\n", r.name, r.id);
    if r.simulated {
        out.push_str(
            "> **Simulated.** Some or all of this run was done by the simulated provider, not by AI models.\n\n",
        );
    }
    out.push_str(&format!(
        "- Idea: {}\n- Template: {}\n- Status: {}\n- Created: {}\n- Total cost: {} of a {} budget{}\n- Tokens: {} in ({} cached) / {} out, {} calls\n- Cost of the MVP (build phase): {}\n- Workspace: {}\n\n",
        r.idea,
        match &r.template_version {
            Some(v) => format!("{} {v}", r.template),
            None => r.template.clone(),
        },
        r.status,
        format_ts(r.created_at),
        fmt_usd_exact(r.ledger.cost_micros),
        fmt_usd(r.budget_micros),
        if r.unpriced { " (incomplete: a model was missing from the price table)" } else { "" },
        r.ledger.tokens_in + r.ledger.tokens_cached,
        r.ledger.tokens_cached,
        r.ledger.tokens_out,
        r.ledger.calls,
        fmt_usd_exact(mvp_cost(r)),
        r.workspace,
    ));
    out.push_str("## Phases\n\n| phase | revision | started | took | tokens in | tokens out | cost | provider / model | quality |\n|---|---|---|---|---|---|---|---|---|\n");
    for s in &r.phases {
        let took =
            s.finished_at.map(|f| format_duration(f.saturating_sub(s.started_at))).unwrap_or_else(|| "running".into());
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            s.phase.map(|p| p.as_str()).unwrap_or("-"),
            s.revision,
            format_ts(s.started_at),
            took,
            s.ledger.tokens_in + s.ledger.tokens_cached,
            s.ledger.tokens_out,
            fmt_usd_exact(s.ledger.cost_micros),
            match (&s.provider, &s.model) {
                (Some(p), Some(m)) => format!("{p} / {m}"),
                _ => "-".into(),
            },
            s.quality.map(|q| format!("{q:.2}")).unwrap_or_else(|| "-".into()),
        ));
    }
    out.push_str("\n## Gates\n\n| gate | opened | waited | decision | by | note |\n|---|---|---|---|---|---|\n");
    for g in &d.gates {
        let waited = g.decided_at.unwrap_or(d.generated_at).saturating_sub(g.opened_at);
        out.push_str(&format!(
            "| {} {} | {} | {} | {} | {} | {} |\n",
            g.id,
            g.id.code.name(),
            format_ts(g.opened_at),
            format_duration(waited),
            g.status,
            g.decided_by.as_deref().unwrap_or("-"),
            g.note.as_deref().unwrap_or("").replace('|', "\\|").replace('\n', " "),
        ));
    }
    if !d.revisions.is_empty() {
        out.push_str("\n## Revisions kept\n\n");
        for f in &d.revisions {
            out.push_str(&format!("- `{}` ({} bytes)\n", f.path, f.bytes));
        }
    }
    if !d.reports.is_empty() {
        out.push_str("\n## Build team reports\n\n");
        for rep in &d.reports {
            out.push_str(&rep.to_markdown());
            out.push('\n');
        }
    }
    out.push_str(&format!(
        "\n_Generated {} by Startup Factory {}._\n",
        format_ts(d.generated_at),
        env!("CARGO_PKG_VERSION")
    ));
    out
}

pub fn json(d: &ExportData) -> Value {
    json!({
        "startup": d.run.id.to_string(),
        "name": d.run.name,
        "status": d.run.status.as_str(),
        "simulated": d.run.simulated,
        "cost_micros": d.run.ledger.cost_micros,
        "mvp_cost_micros": mvp_cost(&d.run),
        "budget_micros": d.run.budget_micros,
        "ledger": d.run.ledger,
        "phases": d.run.phases,
        "gates": d.gates.iter().map(super::output::gate_json).collect::<Vec<_>>(),
        "tasks": d.tasks,
        "reports": d.reports,
        "revisions": d.revisions,
        "generated_at": format_ts(d.generated_at),
    })
}
