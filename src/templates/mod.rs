//! Stack templates: the manifest (`template.toml`), the built-in set, templates in folders
//! (imported or the user's own), the registry of all of them, archives, and scaffolding a
//! run's `app/` from one.

mod archive;
#[cfg(test)]
pub(crate) mod fixtures;
mod folder;
mod git;
mod info;
mod install;
mod manifest;
mod ports;
mod registry;
mod scaffold;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use archive::{MAX_ARCHIVE_BYTES, export_archive, unpack_archive, unpack_tar};
pub use folder::{MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES, load_dir};
pub use git::clone;
pub use info::{GateTally, TemplateInfo};
pub use install::{
    Candidate, Imported, create_custom, import, install_candidate, prepare_import, remove_installed, render_check,
};
pub use manifest::{Check, FACTORY_VERSION, Manifest, is_name, parse_version};
pub use ports::{PORT_STEP, allocate_ports};
pub use registry::{Registry, TemplateRef, imported_root};
pub use scaffold::{ScaffoldVars, py_name, render_files, render_some, slug};

use crate::assets::ASSETS;
use crate::error::{FactoryError, Result};

/// Where a template comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Built into the binary (`assets/templates/`).
    Builtin,
    /// Imported into the data directory (`<data-dir>/templates/<name>/<version>/`).
    Imported,
    /// The user's own, made with `templates new` (`<config-dir>/templates/<name>/`).
    User,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Builtin => "builtin",
            Source::Imported => "imported",
            Source::User => "user",
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A template: its manifest (parsed, and as written), its files (path relative to `app/`,
/// unrendered text), where it comes from.
#[derive(Clone, Debug)]
pub struct Template {
    pub manifest: Manifest,
    /// `template.toml` byte for byte, so that an export gives back what was imported.
    pub manifest_text: String,
    pub files: BTreeMap<String, String>,
    pub source: Source,
    /// The folder it was read from (none for a built-in one).
    pub path: Option<PathBuf>,
    /// A hash of its manifest and files, computed once (`content_hash`).
    pub hash: std::sync::OnceLock<u64>,
}

impl Template {
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// A hash of the manifest and every file: what its compiled form is cached by.
    pub fn content_hash(&self) -> u64 {
        *self.hash.get_or_init(|| {
            use crate::util::rng::fnv1a;
            let mut hash = fnv1a(self.manifest_text.as_bytes());
            for (path, text) in &self.files {
                hash ^= fnv1a(path.as_bytes()).rotate_left(7) ^ fnv1a(text.as_bytes());
                hash = hash.rotate_left(11);
            }
            hash
        })
    }

    pub fn version(&self) -> &str {
        &self.manifest.version
    }

    /// `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.manifest.name, self.manifest.version)
    }
}

/// The templates built into the binary (`assets/templates/<name>/`).
pub fn builtin() -> Result<Vec<Template>> {
    let Some(root) = ASSETS.get_dir("templates") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for dir in root.dirs() {
        let name = dir.path().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let manifest_path = dir.path().join("template.toml");
        let text = ASSETS
            .get_file(&manifest_path)
            .and_then(|f| f.contents_utf8())
            .ok_or_else(|| FactoryError::internal(format!("built-in template {name} has no readable template.toml")))?;
        let manifest = Manifest::parse(text, &format!("assets/templates/{name}/template.toml"))?;
        let mut files = BTreeMap::new();
        let files_root = dir.path().join("files");
        collect(dir, &files_root, &mut files)?;
        out.push(Template {
            manifest,
            manifest_text: text.to_string(),
            files,
            source: Source::Builtin,
            path: None,
            hash: Default::default(),
        });
    }
    out.sort_by(|a, b| a.manifest.name.cmp(&b.manifest.name));
    Ok(out)
}

fn collect(dir: &include_dir::Dir<'static>, root: &std::path::Path, out: &mut BTreeMap<String, String>) -> Result<()> {
    for f in dir.files() {
        if let Ok(rel) = f.path().strip_prefix(root) {
            let text = f.contents_utf8().ok_or_else(|| {
                FactoryError::internal(format!("template file {} is not UTF-8 text", f.path().display()))
            })?;
            out.insert(rel.to_string_lossy().into_owned(), text.to_string());
        }
    }
    for d in dir.dirs() {
        collect(d, root, out)?;
    }
    Ok(())
}

/// A built-in template by name.
pub fn find(name: &str) -> Result<Template> {
    let all = builtin()?;
    let names: Vec<String> = all.iter().map(|t| t.manifest.name.clone()).collect();
    all.into_iter().find(|t| t.manifest.name == name).ok_or_else(|| {
        FactoryError::usage(format!("there is no template named `{name}` (known: {})", names.join(", ")))
    })
}
