//! Where things live: the data directory and the config file, by flag, environment or platform.

use std::path::PathBuf;

use directories::ProjectDirs;

use crate::error::{FactoryError, Result};

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "startup-factory")
}

/// `config.toml` in the platform config folder (e.g. `~/.config/startup-factory/`).
pub fn default_config_file() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

/// The user's own themes and templates live beside the config file.
pub fn config_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().to_path_buf())
}

/// The data directory: the flag (or `FACTORY_DATA_DIR`, which clap reads into the same
/// flag), else the platform data folder.
pub fn data_dir(explicit: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        // A file, or a file on the way, can never hold one: say so before anything opens.
        let mut at = Some(p.as_path());
        while let Some(dir) = at {
            if dir.is_file() {
                return Err(FactoryError::usage(format!(
                    "the data directory {} cannot be made: {} is a file; pass --data-dir a folder",
                    p.display(),
                    dir.display()
                )));
            }
            at = dir.parent();
        }
        return Ok(p);
    }
    project_dirs().map(|d| d.data_dir().to_path_buf()).ok_or_else(|| {
        FactoryError::usage(
            "no home folder is known to hold the data directory; pass --data-dir DIR or set FACTORY_DATA_DIR",
        )
    })
}
