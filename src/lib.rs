//! Startup Factory: a terminal control room that supervises many AI-driven startup runs.

pub mod assets;
pub mod bench;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod domain;
pub mod error;
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
pub mod tui;
pub mod util;
pub mod workspace;
