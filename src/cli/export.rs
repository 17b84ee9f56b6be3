//! The run report of `factory export`: time, tokens and cost per phase, gate waits and
//! decisions, and the cost of the MVP, as Markdown or JSON.

use serde_json::{Value, json};

use crate::domain::money::{fmt_usd, fmt_usd_exact};
use crate::domain::{Phase, PhaseSpan, Run};
use crate::fmt::{format_duration, format_ts};
use crate::orchestrator::ExportData;

/// What the total cost's line says of how it was counted.
fn cost_flags(r: &Run) -> String {
    let mut out = String::new();
    if r.unpriced {
        out.push_str(" (incomplete: a model was missing from the price table)");
    }
    if r.ledger.estimated() {
        out.push_str(&format!(
            " (estimated: {} of {} calls were counted from text length, not reported by the provider)",
            r.ledger.estimated_calls, r.ledger.calls
        ));
    }
    out
}

/// Who answered in one phase pass: a provider and model, with its calls, tokens and cost.
#[derive(Debug, PartialEq, serde::Serialize)]
struct Answerer {
    provider: String,
    model: String,
    calls: u64,
    tokens_in: u64,
    tokens_out: u64,
    cost_micros: u64,
}

/// Every provider and model that answered a task of the phase pass, in the order they
/// first did, from the tasks' results.
fn answered_by(d: &ExportData, span: &PhaseSpan) -> Vec<Answerer> {
    let mut tasks: Vec<_> = d
        .tasks
        .iter()
        .filter(|t| span.phase == Some(t.phase) && span.revision == t.revision)
        .filter_map(|t| t.result.as_ref())
        .filter(|r| !r.provider.is_empty())
        .collect();
    tasks.sort_by_key(|r| r.finished_at);
    let mut out: Vec<Answerer> = Vec::new();
    for r in tasks {
        let i = match out.iter().position(|a| a.provider == r.provider && a.model == r.model) {
            Some(i) => i,
            None => {
                out.push(Answerer {
                    provider: r.provider.clone(),
                    model: r.model.clone(),
                    calls: 0,
                    tokens_in: 0,
                    tokens_out: 0,
                    cost_micros: 0,
                });
                out.len() - 1
            }
        };
        let a = &mut out[i];
        a.calls += r.ledger.calls;
        a.tokens_in += r.ledger.tokens_in + r.ledger.tokens_cached;
        a.tokens_out += r.ledger.tokens_out;
        a.cost_micros += r.ledger.cost_micros;
    }
    out
}

/// The phase table's cell: each answerer with its share, or the pass's last one when its
/// tasks are not in the export.
fn answered_text(by: &[Answerer], span: &PhaseSpan) -> String {
    if by.is_empty() {
        return match (&span.provider, &span.model) {
            (Some(p), Some(m)) => format!("{p} / {m}"),
            _ => "-".into(),
        };
    }
    by.iter()
        .map(|a| {
            format!(
                "{} / {}: {} call{}, {} in / {} out, {}",
                a.provider,
                a.model,
                a.calls,
                if a.calls == 1 { "" } else { "s" },
                a.tokens_in,
                a.tokens_out,
                fmt_usd_exact(a.cost_micros)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

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
        cost_flags(r),
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
            answered_text(&answered_by(d, s), s),
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
        "unpriced": d.run.unpriced,
        "estimated": d.run.ledger.estimated(),
        "cost_micros": d.run.ledger.cost_micros,
        "mvp_cost_micros": mvp_cost(&d.run),
        "budget_micros": d.run.budget_micros,
        "ledger": d.run.ledger,
        "phases": d.run.phases.iter().map(|s| {
            let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
            v["answered_by"] = json!(answered_by(d, s));
            v
        }).collect::<Vec<_>>(),
        "gates": d.gates.iter().map(super::output::gate_json).collect::<Vec<_>>(),
        "tasks": d.tasks,
        "reports": d.reports,
        "revisions": d.revisions,
        "generated_at": format_ts(d.generated_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Ledger;

    fn data(run: Run) -> ExportData {
        ExportData {
            run,
            gates: Vec::new(),
            tasks: Vec::new(),
            reports: Vec::new(),
            generated_at: 3,
            revisions: Vec::new(),
        }
    }

    #[test]
    fn every_provider_and_model_that_answered_in_a_phase_is_listed() {
        use crate::domain::{Task, TaskResult};
        let mut run = Run::sample(1);
        run.phases = vec![PhaseSpan { phase: Some(Phase::Build), revision: 0, ..PhaseSpan::default() }];
        run.phases[0].provider = Some("anthropic".into());
        run.phases[0].model = Some("claude-sonnet-4-5".into());
        let mut d = data(run);
        let answer = |id: &str, provider: &str, model: &str, cost: u64, at: u64| Task {
            id: format!("s-01.build.{id}"),
            run: crate::domain::RunId(1),
            phase: Phase::Build,
            revision: 0,
            kind: crate::domain::TaskKind::Team,
            role: crate::domain::AgentRole::Backend,
            title: id.into(),
            depends_on: Vec::new(),
            files: Vec::new(),
            status: crate::domain::TaskStatus::Done,
            attempts: 0,
            error: None,
            created_at: 0,
            plan: None,
            repair: None,
            refused: None,
            result: Some(TaskResult {
                provider: provider.into(),
                model: model.into(),
                ledger: Ledger { cost_micros: cost, tokens_in: 100, tokens_out: 10, calls: 1, ..Ledger::default() },
                finished_at: at,
                ..TaskResult::default()
            }),
        };
        d.tasks = vec![
            answer("a", "openai", "gpt-4o", 300, 1),
            answer("b", "anthropic", "claude-sonnet-4-5", 500, 2),
            answer("c", "openai", "gpt-4o", 200, 3),
        ];
        let md = markdown(&d);
        assert!(md.contains("openai / gpt-4o: 2 calls, 200 in / 20 out, $0.000500"), "{md}");
        assert!(md.contains("anthropic / claude-sonnet-4-5: 1 call, 100 in / 10 out, $0.000500"), "{md}");
        let v = json(&d);
        let by = v["phases"][0]["answered_by"].as_array().unwrap();
        assert_eq!(by.len(), 2, "{v}");
        assert_eq!((by[0]["provider"].as_str(), by[0]["calls"].as_u64()), (Some("openai"), Some(2)));
    }

    #[test]
    fn a_run_with_estimated_tokens_says_so_in_status_and_export() {
        let mut run = Run::sample(1);
        run.simulated = false;
        assert!(!super::super::output::status_text(std::slice::from_ref(&run)).contains("estimated"));
        run.ledger.add(&Ledger { cost_micros: 10, tokens_in: 40, calls: 1, estimated_calls: 1, ..Ledger::default() });
        let status = super::super::output::status_json(std::slice::from_ref(&run));
        assert_eq!(status["startups"][0]["estimated"], true);
        assert!(super::super::output::status_text(std::slice::from_ref(&run)).contains("(estimated)"));
        let d = data(run);
        assert_eq!(json(&d)["estimated"], true);
        assert!(markdown(&d).contains("estimated: 1 of 2 calls"), "{}", markdown(&d));
    }
}
