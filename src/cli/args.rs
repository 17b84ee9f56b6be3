//! The command line, as clap definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::domain::{GateCode, GatePolicy};

#[derive(Parser, Debug)]
#[command(
    name = "factory",
    version,
    about = "Startup Factory: supervise many AI-driven startup runs from one terminal"
)]
pub struct Cli {
    /// Data directory (default: the platform data folder)
    #[arg(long, global = true, env = "FACTORY_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Config file (default: config.toml in the platform config folder, if present)
    #[arg(long, global = true, env = "FACTORY_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Theme of the control room: dark, light, high-contrast, no-colour, or your own
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    /// Capture the mouse in the control room (off by default: it breaks text selection over SSH)
    #[arg(long, global = true)]
    pub mouse: bool,
    /// Who decides gates from this terminal (default: the OS user, with the SSH client where known)
    #[arg(long, global = true, value_name = "NAME")]
    pub reviewer: Option<String>,
    /// Attach to the running factory for watching only: no decisions, no changes
    #[arg(long, global = true)]
    pub read_only: bool,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Seed sample runs on the simulated provider and run them
    Demo(DemoArgs),
    /// Run the orchestrator over the data directory
    Run(RunArgs),
    /// Create a run and print its id
    New(NewArgs),
    /// List runs, or show one run with its tasks and reports
    Status {
        /// A run id such as s-01
        run: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List pending gates (with --all, every gate)
    Gates {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// The event log, oldest first (the last N with --limit)
    Events {
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// List alerts, numbered and marked when acknowledged; `alerts ack` acknowledges them
    Alerts {
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        action: Option<AlertsAction>,
    },
    /// Figures across runs: success rate, time and cost per MVP, gates, templates, providers
    Stats {
        /// The window: the last N days, today included (7d, 30d), or all
        #[arg(long, default_value = "all", value_name = "7d|30d|all", value_parser = super::stats::parse_since)]
        since: super::stats::Since,
        #[arg(long)]
        json: bool,
    },
    /// Show the providers and their figures
    Providers {
        #[arg(long)]
        json: bool,
    },
    /// Approve a gate (s-01.G1.0, s-01.G1 or s-01)
    Approve(DecideArgs),
    /// Send a gate's phase back for revision, with a note
    Revise(DecideArgs),
    /// Reject a gate, ending the run, with a note
    Reject(DecideArgs),
    /// Pause a run
    Pause { run: String },
    /// Resume a paused run, or retry a failed one
    Resume { run: String },
    /// Cancel a run
    Cancel { run: String },
    /// Write a run report
    Export {
        run: String,
        #[arg(long, value_enum, default_value_t = ExportFormat::Md)]
        format: ExportFormat,
        /// Write to this file instead of standard output
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Check the config file
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Check keys, providers, terminal and data directory
    Doctor,
    /// Do check rounds and provider calls for an orchestrator, through NATS JetStream
    Worker(WorkerArgs),
    /// List the cluster's workers: jobs in flight, done, failed, last heartbeat
    Workers {
        /// The NATS server (default: the config's cluster.nats_url)
        #[arg(long, value_name = "URL")]
        nats: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Measure a speed target: orchestrator, render, gateway, startup, store, fairness, routing, attach, cluster
    Bench(BenchArgs),
    /// Stack templates: list, show, import, export, remove, new
    Templates {
        #[command(subcommand)]
        action: TemplatesAction,
    },
    /// Print a shell completion script (see the README for where to put it)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `factory manpage > factory.1`
    Manpage,
}

#[derive(Subcommand, Debug)]
pub enum AlertsAction {
    /// Acknowledge alerts by number (as `factory alerts` shows them), or every open one
    Ack {
        /// Alert numbers: 12 or #12
        #[arg(required_unless_present = "all", conflicts_with = "all", value_name = "ID")]
        ids: Vec<String>,
        /// Every alert not yet acknowledged
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TemplatesAction {
    /// List every template version with its source, runs, rating and approvals per gate
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one template: its manifest, default plan, checks, files and runs
    Show {
        /// NAME (its newest version) or NAME@VERSION
        template: String,
        #[arg(long)]
        json: bool,
    },
    /// Import a template from a folder, a .tar.gz archive or a git URL
    Import {
        /// DIR, FILE.tar.gz or GIT_URL
        source: String,
        /// Install it even if a newer version of it is installed (beside that one)
        #[arg(long)]
        force: bool,
    },
    /// Write a template as a .tar.gz archive to share
    Export {
        /// NAME (its newest version) or NAME@VERSION
        template: String,
        #[arg(long, value_name = "FILE.tar.gz")]
        out: PathBuf,
    },
    /// Remove an imported template version (refused while a live run uses it)
    Remove {
        /// NAME@VERSION
        template: String,
    },
    /// Make a template of your own, to edit, from an existing one
    New {
        /// The new template's name (a-z, 0-9, - and _)
        name: String,
        /// The template to start from: NAME or NAME@VERSION
        #[arg(long, value_name = "BASE")]
        from: String,
    },
}

#[derive(Args, Debug)]
// Without the `bench` feature only the scenario's name is read (to say it is not built in).
#[cfg_attr(not(feature = "bench"), allow(dead_code))]
pub struct BenchArgs {
    /// What to measure: orchestrator, render, gateway, startup, store, fairness, routing, attach, cluster
    pub scenario: String,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
    /// A short, light run that checks the benchmark works (not a measurement)
    #[arg(long)]
    pub quick: bool,
    /// Requests per second offered in the open-loop part
    #[arg(long, default_value_t = 1000)]
    pub rate: u32,
    /// Calls launched at once in the burst part
    #[arg(long, default_value_t = 2000)]
    pub burst: u32,
    /// Runs started at once in the orchestrator scenario (default 1,000; 50 with --quick)
    #[arg(long)]
    pub runs: Option<usize>,
    /// Times the orchestrator scenario runs, to report the range (default 1)
    #[arg(long, default_value_t = 1)]
    pub repeat: u32,
    /// gateway: measure against this running OpenAI-compatible server on this machine (its
    /// base URL, such as http://127.0.0.1:8000/v1) instead of the bench's own
    #[arg(long, value_name = "URL")]
    pub server_url: Option<String>,
    /// gateway: the model the requests name (default gpt-4o-mini)
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum ConfigAction {
    /// Validate the config and say what it configures
    Check,
    /// Print the default config, commented
    Defaults,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Md,
    Json,
}

#[derive(Args, Debug, Clone, Default)]
pub struct RunFlags {
    /// No control room: print events instead
    #[arg(long)]
    pub headless: bool,
    /// Print events as JSON lines
    #[arg(long)]
    pub json: bool,
    /// Print no events
    #[arg(long)]
    pub quiet: bool,
    /// Approve every review gate as it opens (budget gates still wait)
    #[arg(long)]
    pub auto_approve: bool,
    /// Exit once no run can move without a person
    #[arg(long)]
    pub exit_when_idle: bool,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// How many sample runs to seed (into an empty data directory)
    #[arg(long, default_value_t = 5)]
    pub startups: u32,
    /// Seed of the simulated provider and of the sample runs
    #[arg(long)]
    pub seed: Option<u64>,
    /// Median latency of a simulated call, in milliseconds
    #[arg(long, value_name = "MS")]
    pub sim_latency_ms: Option<u64>,
    /// Share of simulated calls that fail (0 to 1)
    #[arg(long, value_name = "P")]
    pub sim_failure_rate: Option<f64>,
    /// Share of simulated build answers that carry a real defect (0 to 1), to watch repairs
    #[arg(long, value_name = "P")]
    pub sim_defect_rate: Option<f64>,
    #[command(flatten)]
    pub flags: RunFlags,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Use only the simulated provider
    #[arg(long)]
    pub simulate: bool,
    #[command(flatten)]
    pub flags: RunFlags,
}

#[derive(Args, Debug)]
pub struct NewArgs {
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub idea: String,
    /// Template NAME (its newest version) or NAME@VERSION
    #[arg(long)]
    pub template: Option<String>,
    /// Budget in dollars
    #[arg(long, value_name = "USD")]
    pub budget: Option<String>,
    /// 1 (low) to 4 (urgent)
    #[arg(long)]
    pub priority: Option<u8>,
    /// A policy for one of this run's gates, over the config's: G0=auto,
    /// G1=human, "G2=auto_if_quality >= 0.8" (repeat for each gate)
    #[arg(long = "gate", value_name = "GATE=POLICY", value_parser = parse_gate_policy)]
    pub gates: Vec<(GateCode, GatePolicy)>,
}

/// `G0=auto` as a gate and its policy.
fn parse_gate_policy(text: &str) -> Result<(GateCode, GatePolicy), String> {
    let (gate, policy) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not GATE=POLICY (for example G0=auto or \"G2=auto_if_quality >= 0.8\")"))?;
    let code: GateCode = gate.trim().parse()?;
    if code == GateCode::Budget {
        return Err("the budget gate has no policy: a person always decides it".into());
    }
    Ok((code, policy.parse()?))
}

#[derive(Args, Debug)]
pub struct DecideArgs {
    /// The gate: s-01.G1.0, s-01.G1 (its pending opening) or s-01 (the run's pending gate)
    pub gate: String,
    /// Why (required to revise or reject, and for budget gates)
    #[arg(long)]
    pub note: Option<String>,
    /// For a budget gate: the new limit in dollars
    #[arg(long, value_name = "USD")]
    pub budget: Option<String>,
}

#[derive(Args, Debug)]
pub struct WorkerArgs {
    /// The NATS server: nats://127.0.0.1:4222, or tls://host:4222 off this machine
    #[arg(long, value_name = "URL", env = "FACTORY_NATS_URL")]
    pub nats: String,
    /// This worker's name in `factory workers` (default: the host name and process id)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Which jobs to take: checks, calls, or both (comma-separated)
    #[arg(long, value_name = "KINDS", default_value = "checks,calls")]
    pub jobs: String,
    /// Jobs run at once
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub max_jobs: u32,
    /// Where job files and install caches go (default: a folder in the temporary directory)
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
    /// How long SIGTERM waits for the jobs in hand before returning them, in seconds
    #[arg(long, value_name = "S", default_value_t = 20)]
    pub grace_s: u64,
    /// Allow a nats:// URL off this machine without TLS (work then travels in clear text)
    #[arg(long)]
    pub allow_insecure: bool,
    /// Print a line per job on standard error
    #[arg(long)]
    pub verbose: bool,
    /// Speak another protocol version (for testing refusals)
    #[arg(long, hide = true)]
    pub protocol: Option<u32>,
}
