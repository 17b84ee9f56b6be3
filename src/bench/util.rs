//! What the benchmarks share: a temporary folder, percentiles, the process's memory peak.

use std::path::{Path, PathBuf};

use crate::error::{FactoryError, Result};

/// A folder under `root` (default: the system's temporary folder), removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(root: Option<&Path>) -> Result<Scratch> {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let base = root.map(Path::to_path_buf).unwrap_or_else(std::env::temp_dir);
        let p = base.join(format!("factory-bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).map_err(|e| FactoryError::internal(format!("cannot make {}: {e}", p.display())))?;
        Ok(Scratch(p))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `p`th percentile of `xs` (sorted in place).
pub fn percentile<T: Copy + Ord + Default>(xs: &mut [T], p: usize) -> T {
    xs.sort_unstable();
    xs.get(xs.len().saturating_sub(1) * p / 100).copied().unwrap_or_default()
}

/// The peak resident memory of this process so far (VmHWM), in MiB.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// The model of this machine's CPU and how many cores it has, for the figures' context.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("{cores} cores, {cpu}")
}
