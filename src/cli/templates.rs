//! `factory templates list|show|import|export|remove|new`: run data (runs, ratings, live
//! runs) comes from the orchestrator; files are read and written here.

use serde_json::{Value, json};

use super::args::TemplatesAction;
use super::print_json;
use super::session::{Ctx, user_templates_dir};
use crate::error::{FactoryError, Result};
use crate::orchestrator::{Command, OrchestratorHandle, Reply};
use crate::templates::{self, PORT_STEP, Registry, TemplateInfo, TemplateRef};

pub async fn run(ctx: &mut Ctx, action: TemplatesAction) -> Result<()> {
    match action {
        // Reading and writing template files needs no run data: no data directory lock.
        TemplatesAction::Export { template, out } => {
            let r: TemplateRef = template.parse()?;
            let registry = Registry::load(Some(&ctx.data_dir), user_templates_dir().as_deref())?;
            let t = registry.resolve(&r)?;
            templates::export_archive(&t, &out).map_err(|e| {
                FactoryError::usage(format!("cannot export {} to {}: {e}; pick another --out", t.id(), out.display()))
            })?;
            super::say::outln(format_args!("exported {} ({} files) to {}", t.id(), t.files.len(), out.display()));
            Ok(())
        }
        TemplatesAction::New { name, from } => {
            let from: TemplateRef = from.parse()?;
            let registry = Registry::load(Some(&ctx.data_dir), user_templates_dir().as_deref())?;
            let (base, dest) = templates::create_custom(&registry, &name, &from)?;
            super::say::outln(format_args!(
                "created {name} 0.1.0 from {} in {}; edit its template.toml and files/, then use it with `factory new --template {name}`",
                base.id(),
                dest.display()
            ));
            Ok(())
        }
        // Fetch and check first, so that bad input leaves no trace, not even a data directory.
        TemplatesAction::Import { source, force } => {
            let candidate = tokio::task::spawn_blocking(move || templates::prepare_import(&source))
                .await
                .map_err(|e| FactoryError::internal(format!("the import stopped: {e}")))??;
            let handle = ctx.command_session(false).await?.handle;
            let result = install(ctx, &handle, candidate, force).await;
            let stopped = handle.shutdown().await;
            result.and(stopped)
        }
        other => {
            let handle = ctx.command_session(false).await?.handle;
            let result = with_orchestrator(&handle, other).await;
            let stopped = handle.shutdown().await;
            result.and(stopped)
        }
    }
}

async fn with_orchestrator(handle: &OrchestratorHandle, action: TemplatesAction) -> Result<()> {
    match action {
        TemplatesAction::List { json } => {
            let (infos, problems) = list(handle).await?;
            warn(&problems);
            if json {
                print_json(&json!({
                    "templates": infos.iter().map(info_json).collect::<Vec<_>>(),
                    "problems": problems,
                }));
            } else {
                super::say::out(list_text(&infos));
            }
        }
        TemplatesAction::Show { template, json } => {
            let r: TemplateRef = template.parse()?;
            let (infos, problems) = list(handle).await?;
            warn(&problems);
            let info = pick(&infos, &r)?;
            if json {
                let mut v = info_json(info);
                v["manifest"] = serde_json::to_value(&info.manifest).unwrap_or_default();
                v["files"] = json!(info.files);
                print_json(&v);
            } else {
                super::say::out(show_text(info));
            }
        }
        TemplatesAction::Remove { template } => {
            if let Reply::Done { message } = handle.request(Command::RemoveTemplate { template }).await? {
                super::say::outln(message);
            }
        }
        TemplatesAction::Export { .. } | TemplatesAction::New { .. } | TemplatesAction::Import { .. } => {
            unreachable!("handled by run()")
        }
    }
    Ok(())
}

/// Installs a checked template with the data directory held, then has the orchestrator
/// read the template folders again, so that new runs may use it.
async fn install(ctx: &Ctx, handle: &OrchestratorHandle, c: templates::Candidate, force: bool) -> Result<()> {
    let registry = Registry::load(Some(&ctx.data_dir), user_templates_dir().as_deref())?;
    let done = templates::install_candidate(c, &registry, force)?;
    list(handle).await?;
    let beside = done
        .older_than
        .map(|newer| format!("; {newer} stays the default, name this one as {}@{}", done.name, done.version))
        .unwrap_or_default();
    super::say::outln(format_args!("imported {} {} into {}{beside}", done.name, done.version, done.path.display()));
    Ok(())
}

async fn list(handle: &OrchestratorHandle) -> Result<(Vec<TemplateInfo>, Vec<String>)> {
    match handle.request(Command::Templates).await? {
        Reply::Templates { templates, problems } => Ok((templates, problems)),
        other => Err(FactoryError::internal(format!("unexpected reply to templates: {other:?}"))),
    }
}

fn warn(problems: &[String]) {
    for p in problems {
        super::say::errln(format_args!("factory: warning: {p}"));
    }
}

/// The version `r` names: the given one, or the newest.
fn pick<'a>(infos: &'a [TemplateInfo], r: &TemplateRef) -> Result<&'a TemplateInfo> {
    let mut same: Vec<&TemplateInfo> = infos.iter().filter(|i| i.name == r.name).collect();
    same.sort_by_key(|i| std::cmp::Reverse(i.manifest.version()));
    match &r.version {
        None => same.first().copied(),
        Some(v) => same.iter().copied().find(|i| &i.version == v),
    }
    .ok_or_else(|| {
        if same.is_empty() {
            let mut names: Vec<&str> = infos.iter().map(|i| i.name.as_str()).collect();
            names.dedup();
            FactoryError::usage(format!("there is no template named `{}` (known: {})", r.name, names.join(", ")))
        } else {
            let versions: Vec<&str> = same.iter().map(|i| i.version.as_str()).collect();
            FactoryError::usage(format!(
                "template `{}` has no version {} (installed: {})",
                r.name,
                r.version.as_deref().unwrap_or("?"),
                versions.join(", ")
            ))
        }
    })
}

fn rating_text(i: &TemplateInfo) -> String {
    let rating = i.rating_text();
    match i.auto_approved_g3 {
        0 => rating,
        n => format!("{rating} +{n}a"),
    }
}

pub fn info_json(i: &TemplateInfo) -> Value {
    json!({
        "name": i.name,
        "version": i.version,
        "source": i.source.as_str(),
        "latest": i.latest,
        "path": i.path,
        "description": i.description,
        "stack": i.stack,
        "min_factory_version": i.manifest.min_factory_version,
        "ports": i.manifest.ports,
        "runs": i.runs,
        "live_runs": i.live_runs,
        "finished_runs": i.finished_runs,
        "rating": i.rating,
        "auto_approved_g3": i.auto_approved_g3,
        "approvals": i.approvals(),
        "gates": i.gates,
        "checks_missing_tool": crate::sandbox::missing_tool(&i.manifest.checks),
    })
}

pub fn list_text(infos: &[TemplateInfo]) -> String {
    let mut out = format!(
        "{:<16} {:<10} {:<9} {:<34} {:>4} {:>6}  {:>3} {:>3} {:>3} {:>3}\n",
        "NAME", "VERSION", "SOURCE", "STACK", "RUNS", "RATING", "G0", "G1", "G2", "G3"
    );
    for i in infos {
        let mut stack = i.stack.join(", ");
        if stack.chars().count() > 34 {
            stack = stack.chars().take(33).collect::<String>() + "…";
        }
        let gate = |k: usize| i.gates.get(k).map(|g| g.approved).unwrap_or(0);
        out.push_str(&format!(
            "{:<16} {:<10} {:<9} {:<34} {:>4} {:>6}  {:>3} {:>3} {:>3} {:>3}\n",
            i.name,
            i.version,
            i.source.as_str(),
            stack,
            i.runs,
            rating_text(i),
            gate(0),
            gate(1),
            gate(2),
            gate(3),
        ));
        if let Some(note) = unverified(i) {
            // After the row's line break: the note follows on the same line.
            out.pop();
            out.push_str(&format!("  checks {note}\n"));
        }
    }
    out.push_str(
        "RATING is the share of the runs that reached G3 that a person approved there; +Na: N runs approved at G3 automatically, not rated. G0-G3 count runs approved at each gate.\n",
    );
    out
}

/// "unverified here (tool missing: flutter)" when this machine lacks a program the
/// template's checks run: those checks would be skipped, so its builds are unverified.
fn unverified(i: &TemplateInfo) -> Option<String> {
    crate::sandbox::missing_tool(&i.manifest.checks).map(|t| format!("unverified here (tool missing: {t})"))
}

pub fn show_text(i: &TemplateInfo) -> String {
    let m = &i.manifest;
    let mut out = format!(
        "{} {} ({}{})\n{}\n\nstack: {}\nneeds factory {} or newer\n",
        i.name,
        i.version,
        i.source,
        if i.latest { ", the default version" } else { "" },
        i.description,
        i.stack.join(", "),
        m.min_factory_version
    );
    if let Some(p) = &i.path {
        out.push_str(&format!("folder: {p}\n"));
    }
    if !m.ports.is_empty() {
        let ports: Vec<String> = m.ports.iter().map(|(k, v)| format!("{k} {v}")).collect();
        out.push_str(&format!("ports: {} (+{PORT_STEP} per run, skipping ports other runs hold)\n", ports.join(", ")));
    }
    if !m.variables.is_empty() {
        let vars: Vec<String> = m.variables.iter().map(|(k, v)| format!("{k} = {v:?}")).collect();
        out.push_str(&format!("variables: {}\n", vars.join(", ")));
    }
    out.push_str(&format!(
        "runs: {} ({} live, {} finished) · rating {} (runs a person approved at G3, of those that reached it){}\n",
        i.runs,
        i.live_runs,
        i.finished_runs,
        i.rating_text(),
        match i.auto_approved_g3 {
            0 => String::new(),
            n => format!("; {n} approved at G3 automatically, not rated"),
        }
    ));
    for g in &i.gates {
        out.push_str(&format!("  {} {:<22} reached by {}, approved for {}\n", g.gate, g.name, g.reached, g.approved));
    }
    out.push_str(&format!("\nDefault plan ({} tasks):\n", m.plan.len()));
    for t in &m.plan {
        let after =
            if t.depends_on.is_empty() { String::new() } else { format!(" (after {})", t.depends_on.join(", ")) };
        out.push_str(&format!("  {:<16} {:<9} {}{after}\n", t.id, t.role.as_str(), t.title));
    }
    if !m.checks.is_empty() {
        let note = unverified(i).map(|n| format!(" {n}")).unwrap_or_default();
        out.push_str(&format!("\nChecks:{note}\n"));
        for c in &m.checks {
            let cwd = c.cwd.as_deref().map(|c| format!(" (in {c})")).unwrap_or_default();
            let net = if c.network { " [network]" } else { "" };
            out.push_str(&format!("  {:<20} {}{cwd}{net}\n", c.name, c.command.join(" ")));
        }
    }
    out.push_str(&format!("\nFiles ({}):\n", i.files.len()));
    for f in &i.files {
        out.push_str(&format!("  {f}\n"));
    }
    out
}
