//! Logs go to a daily rolling file in the data directory, never to the terminal.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Starts logging to `<data_dir>/logs/factory.log.<date>`; the level comes from
/// `FACTORY_LOG` (default `info`). Returns the guard that flushes the log on drop.
pub fn init(data_dir: &Path) -> Option<WorkerGuard> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let dir = data_dir.join("logs");
    // Private like the data directory: logs name runs, reviewers and providers' errors.
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir).ok()?;
    let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
    let appender = tracing_appender::rolling::daily(dir, "factory.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("FACTORY_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_env_filter(filter).try_init().ok()?;
    Some(guard)
}
