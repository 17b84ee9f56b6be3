//! Startup Factory: a terminal control room that supervises many AI-driven startup runs.
//!
//! # Module map
//!
//! Each layer uses only the layers below it; `tests/boundaries.rs` holds the edges marked
//! *enforced*.
//!
//! ```text
//! cli ───────────► tui, headless, socket, orchestrator, worker, bench*  (entry points: parse, dispatch, print)
//!                  store (opening the data directory; the doctor's checks; the frame saved at the last stop)
//! worker ────────► cluster, providers, sandbox, config (`factory worker`: jobs from NATS, done here)
//! cluster ───────► providers, sandbox, templates, config (the NATS protocol, dispatch, object store)
//! tui ───────────► orchestrator (Commands in; Snapshots, Events, Replies out), config, stats,
//!                  cluster (the workers' records in the snapshot)
//!                  and never store, providers or templates (enforced)
//! headless ──────► orchestrator                       (events as lines for scripts)
//! socket ────────► orchestrator, store                (the same Commands and Snapshots over a Unix socket)
//! orchestrator ──► providers, templates, sandbox, store, prompts, delivery, stats, workspace, cluster
//!                  and never tui or headless (enforced)
//! stats, delivery ► providers, store                  (figures and alert deliveries the actor drives)
//! providers ─────► config, templates, util            (wire formats, transport, gateway; templates for simulated code)
//!   gateway/ ────► wire/, transport/                  (pool, breaker, router, cache, quality, stats, prices)
//!   wire/ ───────► transport/                         (openai, anthropic, perplexity, cli, sim)
//!   transport/                                        (http, sse, rate headers, typed errors)
//! sandbox ───────► templates, config                  (a template's checks, run shut in)
//! templates ─────► workspace, util, assets
//! config, store, workspace ─► domain                  (config::keys: the key vocabulary the tui binds)
//! domain, fmt, util, sanitize, plural, signals        (plain types and helpers; the domain does no I/O: enforced)
//! bench*, testkit*, fake_server*                      (* only with the `bench` / `testkit` features)
//! ```
//!
//! Edges still going the wrong way, to be cut: `headless` prints through `cli::say`;
//! `stats` and `delivery` take small types from `orchestrator` (`Health`, `Clock`,
//! `decided_automatically`); `config` takes a default from `store` and a redactor from
//! `delivery`; `sandbox` looks for `store`'s data-directory marker; the simulated provider
//! reuses `orchestrator::answer::file_blocks`; `cluster` takes `orchestrator::made_by_checks`
//! and `worker` prints through `cli::say`.

pub mod assets;
#[cfg(feature = "bench")]
pub mod bench;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod delivery;
pub mod domain;
pub mod error;
#[cfg(feature = "testkit")]
pub mod fake_server;
pub mod fmt;
pub mod headless;
pub mod logging;
pub mod orchestrator;
pub mod paths;
pub mod plural;
pub mod prompts;
pub mod providers;
pub mod sandbox;
pub mod sanitize;
pub mod signals;
pub mod socket;
pub mod stats;
pub mod store;
pub mod templates;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tui;
pub mod util;
pub mod worker;
pub mod workspace;
