//! Stack templates: the manifest (`template.toml`), the built-in set, and scaffolding a
//! run's `app/` from one.

mod manifest;
mod scaffold;

use std::collections::BTreeMap;

pub use manifest::{Check, Manifest};
pub use scaffold::{ScaffoldVars, py_name, render_files, slug};

use crate::assets::ASSETS;
use crate::error::{FactoryError, Result};

/// A template: its manifest and its files (path relative to `app/`, unrendered text).
#[derive(Clone, Debug)]
pub struct Template {
    pub manifest: Manifest,
    pub files: BTreeMap<String, String>,
}

impl Template {
    pub fn name(&self) -> &str {
        &self.manifest.name
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
        out.push(Template { manifest, files });
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
