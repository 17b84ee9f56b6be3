//! Every template this factory knows: built in, imported into the data directory, and the
//! user's own; looked up by `name` (the newest version) or `name@version`.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Source, Template, builtin, folder, is_name, parse_version};
use crate::error::{FactoryError, Result};

/// A template as a user names it: `name` or `name@version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateRef {
    pub name: String,
    pub version: Option<String>,
}

impl std::str::FromStr for TemplateRef {
    type Err = FactoryError;
    fn from_str(s: &str) -> Result<Self> {
        let (name, version) = match s.split_once('@') {
            Some((n, v)) => (n, Some(v)),
            None => (s, None),
        };
        if !is_name(name) {
            return Err(FactoryError::usage(format!(
                "`{s}` is not a template name such as neoforge or neoforge@1.0.0 (names are a-z, 0-9, - and _)"
            )));
        }
        if let Some(v) = version
            && parse_version(v).is_err()
        {
            return Err(FactoryError::usage(format!("`{v}` in `{s}` is not a semantic version such as 1.2.0")));
        }
        Ok(TemplateRef { name: name.to_string(), version: version.map(str::to_string) })
    }
}

impl std::fmt::Display for TemplateRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.version {
            Some(v) => write!(f, "{}@{v}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// Where imported templates live in a data directory.
pub fn imported_root(data_dir: &Path) -> PathBuf {
    data_dir.join("templates")
}

#[derive(Clone, Debug, Default)]
pub struct Registry {
    builtin: Vec<Arc<Template>>,
    /// By name, then newest version first.
    templates: Vec<Arc<Template>>,
    /// Template folders that were skipped, each with why.
    pub problems: Vec<String>,
    data_dir: Option<PathBuf>,
    user_dir: Option<PathBuf>,
}

impl Registry {
    /// The built-in templates, those imported into `data_dir`, and the user's in `user_dir`.
    pub fn load(data_dir: Option<&Path>, user_dir: Option<&Path>) -> Result<Registry> {
        let mut r = Registry {
            builtin: builtin()?.into_iter().map(Arc::new).collect(),
            data_dir: data_dir.map(Path::to_path_buf),
            user_dir: user_dir.map(Path::to_path_buf),
            ..Registry::default()
        };
        r.reload();
        Ok(r)
    }

    /// Reads the template folders again (after an import, a removal or an edit).
    pub fn reload(&mut self) {
        self.templates = self.builtin.clone();
        self.problems.clear();
        if let Some(root) = self.data_dir.as_ref().map(|d| imported_root(d)) {
            for name_dir in subdirs(&root) {
                for version_dir in subdirs(&name_dir) {
                    self.add_folder(&version_dir, Source::Imported);
                }
            }
        }
        if let Some(root) = self.user_dir.clone() {
            for dir in subdirs(&root) {
                self.add_folder(&dir, Source::User);
            }
        }
        self.templates.sort_by(|a, b| a.name().cmp(b.name()).then(b.manifest.version().cmp(&a.manifest.version())));
    }

    fn add_folder(&mut self, dir: &Path, source: Source) {
        let t = match folder::load_dir(dir, source) {
            Ok(t) => t,
            Err(e) => {
                self.problems.push(format!("the template folder {} was skipped: {e}", dir.display()));
                return;
            }
        };
        let folder_name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let expected = match source {
            Source::Imported => {
                let name = dir.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned());
                (name.unwrap_or_default(), Some(folder_name))
            }
            _ => (folder_name, None),
        };
        let problem = if t.manifest.name != expected.0 {
            Some(format!(
                "its template.toml says name = \"{}\" but the folder is named `{}`; make them the same",
                t.manifest.name, expected.0
            ))
        } else if expected.1.as_deref().is_some_and(|v| v != t.manifest.version) {
            Some(format!("its template.toml says version = \"{}\" but the folder is named for another", t.version()))
        } else if let Some(other) = self.get(t.name(), t.version()) {
            Some(format!("{} is already known ({}); give this one another version", t.id(), other.source))
        } else {
            t.manifest.check_compatible().err()
        };
        match problem {
            Some(p) => self.problems.push(format!("the template folder {} was skipped: {p}", dir.display())),
            None => self.templates.push(Arc::new(t)),
        }
    }

    /// Every template, by name, newest version first.
    pub fn all(&self) -> &[Arc<Template>] {
        &self.templates
    }

    pub fn get(&self, name: &str, version: &str) -> Option<&Arc<Template>> {
        self.templates.iter().find(|t| t.name() == name && t.version() == version)
    }

    /// The newest version of a template.
    pub fn latest(&self, name: &str) -> Option<&Arc<Template>> {
        self.templates.iter().filter(|t| t.name() == name).max_by_key(|t| t.manifest.version())
    }

    /// A template by name (the newest version) or name and version.
    pub fn find(&self, r: &TemplateRef) -> Option<&Arc<Template>> {
        match &r.version {
            Some(v) => self.get(&r.name, v),
            None => self.latest(&r.name),
        }
    }

    /// Like `find`, with an error that lists what there is.
    pub fn resolve(&self, r: &TemplateRef) -> Result<Arc<Template>> {
        if let Some(t) = self.find(r) {
            return Ok(Arc::clone(t));
        }
        let versions: Vec<&str> = self.templates.iter().filter(|t| t.name() == r.name).map(|t| t.version()).collect();
        if !versions.is_empty() {
            return Err(FactoryError::usage(format!(
                "template `{}` has no version {} (installed: {}); `factory templates list` shows them",
                r.name,
                r.version.as_deref().unwrap_or("?"),
                versions.join(", ")
            )));
        }
        let mut names: Vec<&str> = self.templates.iter().map(|t| t.name()).collect();
        names.dedup();
        Err(FactoryError::usage(format!("there is no template named `{}` (known: {})", r.name, names.join(", "))))
    }

    pub fn data_dir(&self) -> Option<&Path> {
        self.data_dir.as_deref()
    }

    pub fn user_dir(&self) -> Option<&Path> {
        self.user_dir.as_deref()
    }
}

/// Sub-folders of `dir` by name, skipping hidden ones (staging folders start with a dot).
fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::fixtures::write_template;

    #[test]
    fn names_and_versions_parse() {
        let r: TemplateRef = "neoforge@1.2.0".parse().unwrap();
        assert_eq!((r.name.as_str(), r.version.as_deref()), ("neoforge", Some("1.2.0")));
        assert_eq!("neoforge".parse::<TemplateRef>().unwrap().version, None);
        assert!("neoforge@1.2".parse::<TemplateRef>().unwrap_err().message.contains("not a semantic version"));
        assert!("Neo Forge".parse::<TemplateRef>().is_err());
    }

    #[test]
    fn loads_builtins_imports_and_user_templates_newest_first() {
        let d = tempfile::tempdir().unwrap();
        let data = d.path().join("data");
        let user = d.path().join("user");
        write_template(&imported_root(&data).join("mini/1.0.0"), "mini", "1.0.0");
        write_template(&imported_root(&data).join("mini/1.10.0"), "mini", "1.10.0");
        write_template(&imported_root(&data).join("mini/1.9.0"), "mini", "1.9.0");
        write_template(&user.join("mine"), "mine", "0.1.0");
        write_template(&user.join("wrong"), "other", "0.1.0");
        write_template(&imported_root(&data).join("neoforge/1.0.0"), "neoforge", "1.0.0");
        let r = Registry::load(Some(&data), Some(&user)).unwrap();
        let minis: Vec<&str> = r.all().iter().filter(|t| t.name() == "mini").map(|t| t.version()).collect();
        assert_eq!(minis, ["1.10.0", "1.9.0", "1.0.0"]);
        assert_eq!(r.latest("mini").unwrap().version(), "1.10.0");
        assert_eq!(r.find(&"mini@1.9.0".parse().unwrap()).unwrap().source, Source::Imported);
        assert_eq!(r.latest("mine").unwrap().source, Source::User);
        assert_eq!(r.latest("neoforge").unwrap().source, Source::Builtin);
        assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
        assert!(r.problems.iter().any(|p| p.contains("folder is named `wrong`")));
        assert!(r.problems.iter().any(|p| p.contains("neoforge@1.0.0 is already known (builtin)")));
        let err = r.resolve(&"mini@2.0.0".parse().unwrap()).unwrap_err();
        assert!(err.message.contains("has no version 2.0.0 (installed: 1.10.0, 1.9.0, 1.0.0)"), "{}", err.message);
        assert!(r.resolve(&"cobol".parse().unwrap()).unwrap_err().message.contains("no template named `cobol`"));
    }
}
