//! One orchestrator, many terminals: the process that holds the data directory serves a
//! Unix socket; other terminals and CLI commands attach to it.

#[cfg(feature = "bench")]
pub mod bench;
pub mod client;
pub mod protocol;
pub mod server;

use std::path::{Path, PathBuf};

pub use client::{AttachOptions, attach};
pub use server::{Server, serve};

/// `<data-dir>/factory.sock`.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("factory.sock")
}
