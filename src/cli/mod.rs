//! The `factory` command: parse, open the data directory, send the command, print the reply;
//! every error as one sentence with its exit code.

mod args;
mod bench;
mod deliveries;
pub mod demo;
mod doctor;
mod doctor_cluster;
mod export;
mod output;
pub(crate) mod say;
mod session;
mod stats;
mod templates;
mod worker;

use std::sync::Arc;

use clap::Parser;

use args::{AlertsAction, ConfigAction, DecideArgs, ExportFormat, RunFlags};
pub use args::{Cli, Cmd};

use crate::config;
use crate::domain::{Decision, RunId};
use crate::error::{FactoryError, Result};
use crate::headless::{self, HeadlessOptions};
use crate::orchestrator::{self, Command, NewRun, Options, OrchestratorHandle, Reply};
use session::{Ctx, Session};

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Plain text (no colours), made inert: an argument echoed back may be hostile.
            let text = e.render().to_string();
            if e.use_stderr() {
                say::errln(text.trim_end());
            } else {
                say::out(text);
            }
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    install_panic_hook();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            say::errln(format!("factory: cannot start the async runtime: {e}"));
            return 1;
        }
    };
    let result = runtime.block_on(run(cli));
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match result {
        Ok(()) => 0,
        Err(e) => {
            say::errln(format!("factory: {}", e.message));
            e.exit_code()
        }
    }
}

fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        tracing::error!(%msg, %place, "panic");
        say::errln(format!(
            "factory: internal error ({msg}{place}); this is a bug, please report it with the log from the data directory"
        ));
    }));
}

/// The reviewer's name: `--reviewer`, else the OS user, with the SSH client where known.
pub fn reviewer(explicit: Option<String>) -> Result<String> {
    if let Some(name) = explicit {
        let name = name.trim().to_string();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(FactoryError::usage("--reviewer must be 1-64 characters without control characters"));
        }
        return Ok(name);
    }
    let user = os_user().unwrap_or_else(|| "unknown".into());
    match std::env::var("SSH_CLIENT").ok().and_then(|s| s.split_whitespace().next().map(str::to_string)) {
        Some(ip) => Ok(format!("{user}@{ip} (ssh)")),
        None => Ok(user),
    }
}

/// The OS user: `USER`, `LOGNAME`, else this process's uid looked up in the system's user
/// database (`getpwuid_r`, so NSS and LDAP users are named too).
fn os_user() -> Option<String> {
    for k in ["USER", "LOGNAME"] {
        if let Ok(v) = std::env::var(k)
            && !v.trim().is_empty()
        {
            return Some(v);
        }
    }
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    Some(user_name(uid).unwrap_or_else(|| format!("uid {uid}")))
}

/// The name of user `uid` in the system's user database, as `id -un` gives it.
fn user_name(uid: u32) -> Option<String> {
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: an all-zero passwd is a valid value to be filled in.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call, and `buf.len()` is the buffer's size;
        // the strings it fills in point into `buf`, which outlives their use below.
        let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr().cast(), buf.len(), &mut found) };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if rc != 0 || found.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        // SAFETY: a non-null `pw_name` is a NUL-terminated string in `buf`.
        let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
        return Some(name.to_string_lossy().into_owned()).filter(|n| !n.is_empty());
    }
}

fn print_json(v: &serde_json::Value) {
    say::json(serde_json::to_string_pretty(v).unwrap_or_default());
}

async fn run(mut cli: Cli) -> Result<()> {
    let command = cli.command.take().unwrap_or(Cmd::Run(args::RunArgs { simulate: false, flags: RunFlags::default() }));
    // Made from the command line's own definition: no config, no data directory needed.
    match &command {
        Cmd::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut <Cli as clap::CommandFactory>::command(), "factory", &mut out);
            say::generated(&out);
            return Ok(());
        }
        Cmd::Manpage => {
            let mut out = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out).map_err(|e| {
                FactoryError::new(crate::error::ErrorKind::Failed, format!("the man page could not be made: {e}"))
            })?;
            say::generated(&out);
            return Ok(());
        }
        _ => {}
    }
    let mut ctx = Ctx::load(&cli)?;
    let reviewer_name = reviewer(cli.reviewer.clone())?;
    let tui = crate::tui::TuiOptions { theme: cli.theme.clone(), mouse: cli.mouse, reviewer: reviewer_name.clone() };
    match command {
        Cmd::Demo(a) => {
            let mut cfg = (*ctx.cfg).clone();
            if let Some(seed) = a.seed {
                cfg.sim.seed = seed;
            }
            if let Some(ms) = a.sim_latency_ms {
                cfg.sim.latency_ms = ms;
            }
            if let Some(p) = a.sim_failure_rate {
                if !(0.0..=1.0).contains(&p) {
                    return Err(FactoryError::usage(format!(
                        "--sim-failure-rate {p} is out of range; give a share from 0 to 1"
                    )));
                }
                cfg.sim.failure_rate = p;
            }
            if let Some(p) = a.sim_defect_rate {
                if !(0.0..=1.0).contains(&p) {
                    return Err(FactoryError::usage(format!(
                        "--sim-defect-rate {p} is out of range; give a share from 0 to 1"
                    )));
                }
                cfg.sim.defect_rate = p;
            }
            ctx.cfg = Arc::new(cfg);
            let mut opts = run_options(&ctx, &a.flags);
            opts.simulate = true;
            let saved = saved_room(&ctx, &a.flags, &tui, cli.read_only)?;
            let session = ctx.run_session(opts.clone(), &a.flags, cli.read_only).await?;
            let handle = &session.handle;
            if handle.is_owner() {
                // Seeding may have been cut short (a crash): add the sample runs still missing,
                // if the runs there are the demo's own.
                let samples = demo::sample_runs(a.startups, ctx.cfg.sim.seed);
                let existing: Vec<String> = handle.snapshot().runs.iter().map(|r| r.name.clone()).collect();
                let ours = existing.len() < samples.len()
                    && existing.iter().zip(&samples).all(|(have, want)| *have == want.name);
                if ours {
                    handle.request_all(samples.into_iter().skip(existing.len()).map(Command::NewRun)).await?;
                } else if a.flags.headless && !a.flags.quiet {
                    say::errln(format_args!(
                        "resuming the {} already in {}",
                        crate::plural::count(handle.snapshot().runs.len() as u64, "run"),
                        ctx.data_dir.display()
                    ));
                }
            }
            drive(&mut ctx, session, opts, &a.flags, tui, saved).await
        }
        Cmd::Run(a) => {
            let mut opts = run_options(&ctx, &a.flags);
            opts.simulate = a.simulate;
            let saved = saved_room(&ctx, &a.flags, &tui, cli.read_only)?;
            let session = ctx.run_session(opts.clone(), &a.flags, cli.read_only).await?;
            drive(&mut ctx, session, opts, &a.flags, tui, saved).await
        }
        Cmd::Config { action: ConfigAction::Defaults } => {
            say::out(config::default_config_text());
            Ok(())
        }
        Cmd::Config { action: ConfigAction::Check } => {
            say::outln(doctor::config_summary(&ctx.cfg, &ctx.source));
            Ok(())
        }
        Cmd::Doctor => {
            let (report, answered) = doctor::report(&ctx.cfg, &ctx.source, &ctx.data_dir).await;
            say::out(report);
            if let Some((text, cluster_ok)) = doctor_cluster::report(ctx.cfg.cluster.as_ref()).await {
                say::out(text);
                if !cluster_ok {
                    return Err(FactoryError::new(
                        crate::error::ErrorKind::Unavailable,
                        "the cluster is not usable (see the lines marked ✗ above); fix it and run `factory doctor` again",
                    ));
                }
            }
            if answered {
                Ok(())
            } else {
                Err(FactoryError::new(
                    crate::error::ErrorKind::Unavailable,
                    "no usable provider answers (see each one's line above); fix its key or base_url and run `factory doctor` again",
                ))
            }
        }
        Cmd::Bench(a) => bench::run(a).await,
        Cmd::Templates { action } => templates::run(&mut ctx, action).await,
        Cmd::Worker(a) => worker::run(&ctx, a).await,
        Cmd::Workers { nats, json } => worker::list(&ctx, nats, json).await,
        other => {
            let session = ctx.command_session(cli.read_only).await?;
            let result = one_shot(&session.handle, other, &reviewer_name).await;
            let stopped = session.handle.shutdown().await;
            result.and(stopped)
        }
    }
}

fn run_options(ctx: &Ctx, flags: &RunFlags) -> Options {
    let mut opts = ctx.options();
    opts.dispatch = true;
    opts.auto_approve = flags.auto_approve;
    opts
}

/// Runs the orchestrator under the control room, or headless; then stops it cleanly (an
/// attached control room leaves the owner running).
/// A control room whose owner went away may take over (`t`): the data directory is opened
/// here with the same options, and this process serves the other terminals from then on.
async fn drive(
    ctx: &mut Ctx,
    mut session: Session,
    opts: Options,
    flags: &RunFlags,
    tui: crate::tui::TuiOptions,
    saved: Option<crate::tui::Room>,
) -> Result<()> {
    if flags.headless {
        let flush_ms = ctx.cfg.alerts.flush_s.saturating_mul(1000);
        return headless::run(&session.handle, headless_options(flags, flush_ms)).await;
    }
    let mut room = match saved {
        Some(room) => room,
        None => crate::tui::Room::open(&session.handle, &ctx.cfg, &tui)?,
    };
    loop {
        match room.show(&session.handle).await {
            Ok(crate::tui::Exit::TakeOver) => match ctx.run_session(opts.clone(), flags, false).await {
                Ok(new) => {
                    let owner = new.handle.is_owner();
                    // The old handle only reattaches: dropping it stops that.
                    drop(std::mem::replace(&mut session, new));
                    room.say(
                        if owner {
                            "you took over: this process owns the data directory now, and the others reattach to it"
                        } else {
                            "another terminal took over first: attached to it"
                        },
                        false,
                    );
                }
                Err(e) => room.say(format!("cannot take over: {e}"), true),
            },
            shown => {
                drop(room);
                let stopped = session.handle.shutdown().await;
                return shown.map(|_| ()).and(stopped);
            }
        }
    }
}

/// A control room drawn at once from what the data directory held when its orchestrator
/// last stopped cleanly (none after a crash, while an owner runs, or for a headless or
/// watching terminal), shown until the store is open.
fn saved_room(
    ctx: &Ctx,
    flags: &RunFlags,
    tui: &crate::tui::TuiOptions,
    read_only: bool,
) -> Result<Option<crate::tui::Room>> {
    if flags.headless || read_only {
        return Ok(None);
    }
    let Some(bytes) = crate::store::last_frame::read(&ctx.data_dir) else { return Ok(None) };
    // One an older factory wrote, in another shape, is not shown.
    let Ok(saved) = serde_json::from_slice::<orchestrator::Snapshot>(&bytes) else { return Ok(None) };
    crate::tui::Room::opening(saved, &ctx.cfg, tui).map(Some)
}

fn headless_options(flags: &RunFlags, flush_ms: u64) -> HeadlessOptions {
    HeadlessOptions { json: flags.json, quiet: flags.quiet, exit_when_idle: flags.exit_when_idle, flush_ms }
}

/// An alert's number as typed: `12` or `#12`.
fn alert_number(id: &str) -> Result<u64> {
    id.trim_start_matches('#').parse().map_err(|_| {
        FactoryError::usage(format!(
            "`{}` is not an alert number; `factory alerts` lists them (#12)",
            crate::sanitize::line(id)
        ))
    })
}

fn decide(gate: DecideArgs, decision: Decision, by: &str) -> Result<Command> {
    let (note, by, budget_usd) = (gate.note, by.to_string(), gate.budget);
    Ok(Command::Decide { gate: gate.gate.parse().map_err(FactoryError::usage)?, decision, note, by, budget_usd })
}

/// A run id as typed (`s-01`, `1`).
fn run_id(text: &str) -> Result<RunId> {
    text.parse().map_err(FactoryError::usage)
}

async fn one_shot(handle: &OrchestratorHandle, cmd: Cmd, by: &str) -> Result<()> {
    let now = orchestrator::system_clock()();
    match cmd {
        Cmd::New(a) => {
            let new = NewRun {
                name: a.name,
                idea: a.idea,
                template: a.template,
                budget_usd: a.budget,
                priority: a.priority,
                gates: a.gates,
            };
            if let Reply::Created { id } = handle.request(Command::NewRun(new)).await? {
                say::outln(id);
            }
        }
        Cmd::Status { run, json } => {
            match handle.request(Command::Status { run: run.as_deref().map(run_id).transpose()? }).await? {
                Reply::Runs { runs } if json => print_json(&output::status_json(&runs)),
                Reply::Runs { runs } => say::out(output::status_text(&runs)),
                Reply::Run { detail } if json => print_json(&output::detail_json(&detail)),
                Reply::Run { detail } => say::out(output::detail_text(&detail)),
                _ => {}
            }
        }
        Cmd::Gates { all, json } => {
            if let Reply::Gates { gates } = handle.request(Command::Gates { all }).await? {
                if json {
                    print_json(&output::gates_json(&gates));
                } else {
                    let names = match handle.request(Command::Status { run: None }).await? {
                        Reply::Runs { runs } => runs.into_iter().map(|r| (r.id, r.name)).collect(),
                        _ => std::collections::HashMap::new(),
                    };
                    say::out(output::gates_text(&gates, &names, now, all));
                }
            }
        }
        Cmd::Events { limit, json } => {
            if let Reply::Events { events } = handle.request(Command::Events { limit }).await? {
                for e in &events {
                    if json {
                        say::json(headless::event_json(e));
                    } else {
                        say::outln(headless::event_line(e));
                    }
                }
            }
        }
        Cmd::Alerts { action: Some(AlertsAction::Ack { ids, all: _ }), .. } => {
            let alerts = ids.iter().map(|id| alert_number(id)).collect::<Result<Vec<u64>>>()?;
            print_done(handle.request(Command::AckAlerts { alerts, by: by.to_string() }).await?)
        }
        Cmd::Alerts { json, action: None } => {
            if let Reply::Alerts { alerts, acks, deliveries } = handle.request(Command::Alerts).await? {
                if json {
                    print_json(&deliveries::add_to_json(output::alerts_json(&alerts, &acks), &deliveries));
                } else {
                    say::out(output::alerts_text(&alerts, &acks) + &deliveries::text(&deliveries));
                }
            }
        }
        Cmd::Stats { since, json } => {
            if let Reply::Stats { stats } = handle.request(Command::Stats { since: since.0 }).await? {
                if json {
                    print_json(&serde_json::to_value(&stats).unwrap_or_default());
                } else {
                    say::out(stats::text(&stats));
                }
            }
        }
        Cmd::Providers { json } => {
            if let Reply::Providers { providers, routing } = handle.request(Command::Providers).await? {
                if json {
                    print_json(&output::providers_json(&providers, &routing));
                } else {
                    say::out(output::providers_text(&providers));
                    say::out(output::quality_text(&providers, &routing));
                }
            }
        }
        Cmd::Approve(g) => print_decided(handle.request(decide(g, Decision::Approve, by)?).await?),
        Cmd::Revise(g) => print_decided(handle.request(decide(g, Decision::Revise, by)?).await?),
        Cmd::Reject(g) => print_decided(handle.request(decide(g, Decision::Reject, by)?).await?),
        Cmd::Pause { run } => print_done(handle.request(Command::Pause { run: run_id(&run)? }).await?),
        Cmd::Resume { run } => print_done(handle.request(Command::Resume { run: run_id(&run)? }).await?),
        Cmd::Cancel { run } => {
            print_done(handle.request(Command::Cancel { run: run_id(&run)?, by: by.to_string() }).await?)
        }
        Cmd::Export { run, format, out } => {
            if let Reply::Export { data } = handle.request(Command::Export { run: run_id(&run)? }).await? {
                // A report is read in terminals and editors: untrusted text in it is made inert.
                let text = match format {
                    ExportFormat::Md => crate::sanitize::text(&export::markdown(&data)).into_owned(),
                    ExportFormat::Json => {
                        crate::sanitize::json(serde_json::to_string_pretty(&export::json(&data)).unwrap_or_default())
                            + "\n"
                    }
                };
                match out {
                    Some(path) => std::fs::write(&path, text).map_err(|e| {
                        FactoryError::usage(format!(
                            "cannot write the report to {}: {e}; pick another --out",
                            path.display()
                        ))
                    })?,
                    None => say::out(text),
                }
            }
        }
        Cmd::Demo(_)
        | Cmd::Run(_)
        | Cmd::Config { .. }
        | Cmd::Doctor
        | Cmd::Worker(_)
        | Cmd::Workers { .. }
        | Cmd::Bench(_)
        | Cmd::Templates { .. }
        | Cmd::Completions { .. }
        | Cmd::Manpage => {
            unreachable!("handled by run()")
        }
    }
    Ok(())
}

fn print_decided(reply: Reply) {
    if let Reply::Decided { gate } = reply {
        say::outln(format_args!("{} {} by {}", gate.id, gate.status, gate.decided_by.unwrap_or_default()));
    }
}

fn print_done(reply: Reply) {
    if let Reply::Done { message } = reply {
        say::outln(message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The name comes from the system's user database (NSS), as `getent passwd` sees it,
    /// not from reading /etc/passwd, which misses LDAP and other NSS users.
    #[test]
    fn the_os_user_is_named_by_the_systems_user_database() {
        // SAFETY: getuid has no preconditions.
        let me = unsafe { libc::getuid() };
        for uid in [0, me] {
            let out = std::process::Command::new("getent").args(["passwd", &uid.to_string()]).output();
            let expected = out
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).split(':').next().unwrap_or_default().to_string());
            assert_eq!(user_name(uid), expected, "uid {uid}");
        }
        assert_eq!(user_name(4_000_000_123), None);
    }
}
