//! Installing and removing templates: `import` from a folder, a `.tar.gz` or a git URL into
//! `<data-dir>/templates/<name>/<version>/` (validated in a staging folder, then moved in
//! whole), `remove` of an imported version, and `new` for a custom template to edit.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::git::{self, is_git_url};
use super::registry::imported_root;
use super::{Registry, ScaffoldVars, Source, Template, TemplateRef, load_dir, render_files, unpack_archive};
use crate::error::{FactoryError, Result};

/// What an import installed.
#[derive(Clone, Debug)]
pub struct Imported {
    pub name: String,
    pub version: String,
    pub path: PathBuf,
    /// Set when a newer version was already installed (and `--force` let this one in).
    pub older_than: Option<String>,
}

/// Renders every file for two sample runs (one with a hostile name), so that a template
/// that would fail at build time is refused when it is imported.
pub fn render_check(t: &Template) -> std::result::Result<(), String> {
    for (name, idea) in [
        ("Sample Run", "A sample idea."),
        ("Zoë's \"Café\" & <Co> {{ x }} \\ 😀", "An idea with \"quotes\",\nnew lines and {% tags %}."),
    ] {
        render_files(t, &ScaffoldVars::new(t, 1, name, idea)).map_err(|e| format!("it does not render: {e}"))?;
    }
    Ok(())
}

/// A template read from an import's source and checked on its own, not yet installed.
#[derive(Debug)]
pub struct Candidate {
    pub template: Template,
    /// How the source was named in messages (any password in a URL left out).
    shown: String,
}

/// Reads the template `source` names (a folder, a `.tar.gz`, or a git URL) and checks it on
/// its own: manifest, limits, links, compatibility, rendering. Touches nothing but a
/// temporary folder.
pub fn prepare_import(source: &str) -> Result<Candidate> {
    let shown = git::redact(source);
    let refuse = |why: String| FactoryError::usage(format!("cannot import `{shown}`: {why}; nothing was installed"));
    let stage = tempfile::Builder::new()
        .prefix("factory-import-")
        .tempdir()
        .map_err(|e| FactoryError::storage(format!("cannot make a temporary folder to check the template in ({e})")))?;
    let t = fetch(source, stage.path()).map_err(refuse)?;
    t.manifest.check_compatible().map_err(refuse)?;
    render_check(&t).map_err(refuse)?;
    Ok(Candidate { template: t, shown })
}

/// Reads, checks and installs the template `source` names. Nothing is installed unless
/// every check passes.
pub fn import(source: &str, registry: &Registry, force: bool) -> Result<Imported> {
    install_candidate(prepare_import(source)?, registry, force)
}

/// Installs a checked template beside the installed versions: refused if that version is
/// already known, or (without `force`) if a newer one is installed.
pub fn install_candidate(c: Candidate, registry: &Registry, force: bool) -> Result<Imported> {
    let Candidate { template: t, shown } = c;
    let refuse = |why: String| FactoryError::usage(format!("cannot import `{shown}`: {why}; nothing was installed"));
    let data_dir = registry
        .data_dir()
        .ok_or_else(|| FactoryError::internal("the template registry was loaded without a data directory"))?;
    if let Some(same) = registry.get(t.name(), t.version()) {
        let why = match same.source {
            Source::Builtin => format!("{} is built in; give the imported one another version", t.id()),
            Source::Imported => format!(
                "{} is already installed; remove it first with `factory templates remove {}`, or give this one another version",
                t.id(),
                t.id()
            ),
            Source::User => format!("{} is already one of your own templates; give this one another version", t.id()),
        };
        return Err(refuse(why));
    }
    let mut older_than = None;
    if let Some(newest) = registry.latest(t.name())
        && newest.manifest.version() > t.manifest.version()
    {
        if !force {
            return Err(refuse(format!(
                "{} is older than the installed {}; add --force to install it beside the newer one",
                t.id(),
                newest.version()
            )));
        }
        older_than = Some(newest.version().to_string());
    }
    let path = install(&t, &imported_root(data_dir))
        .map_err(|e| FactoryError::storage(format!("cannot install {}: {e}; nothing was installed", t.id())))?;
    Ok(Imported { name: t.name().to_string(), version: t.version().to_string(), path, older_than })
}

/// The template at `source`, read and validated (into `stage` when it must be fetched).
fn fetch(source: &str, stage: &Path) -> std::result::Result<Template, String> {
    let path = Path::new(source);
    if is_git_url(source) {
        let into = stage.join("clone");
        git::clone(source, &into)?;
        return load_dir(&into, Source::Imported);
    }
    if path.is_dir() {
        return load_dir(path, Source::Imported);
    }
    if path.is_file() {
        let lower = source.to_ascii_lowercase();
        if !(lower.ends_with(".tar.gz") || lower.ends_with(".tgz")) {
            return Err("it is neither a folder, a .tar.gz archive nor a git URL".into());
        }
        let into = stage.join("unpacked");
        fs::create_dir(&into).map_err(|e| e.to_string())?;
        let root = unpack_archive(path, &into)?;
        return load_dir(&root, Source::Imported);
    }
    Err("there is no such folder or file, and it is not a git URL".into())
}

/// Writes `t` into a staging folder under `root`, then moves it to `root/<name>/<version>`.
fn install(t: &Template, root: &Path) -> std::io::Result<PathBuf> {
    fs::create_dir_all(root)?;
    let staging = tempfile::Builder::new().prefix(".incoming-").tempdir_in(root)?;
    write_template(staging.path(), &t.manifest_text, t)?;
    let final_dir = root.join(t.name()).join(t.version());
    fs::create_dir_all(root.join(t.name()))?;
    if final_dir.exists() {
        return Err(std::io::Error::other(format!("{} already exists", final_dir.display())));
    }
    fs::rename(staging.path(), &final_dir)?;
    let _ = staging.keep();
    Ok(final_dir)
}

fn write_template(dir: &Path, manifest_text: &str, t: &Template) -> std::io::Result<()> {
    fs::write(dir.join("template.toml"), manifest_text)?;
    let files = dir.join("files");
    fs::create_dir_all(&files)?;
    for (rel, text) in &t.files {
        crate::workspace::check_relative_path(rel).map_err(std::io::Error::other)?;
        let p = files.join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(p, text)?;
    }
    Ok(())
}

/// Deletes an imported template version (the caller has checked that no live run uses it).
pub fn remove_installed(registry: &Registry, name: &str, version: &str) -> Result<PathBuf> {
    let t = registry.resolve(&TemplateRef { name: name.into(), version: Some(version.into()) })?;
    let path = match (t.source, &t.path) {
        (Source::Imported, Some(p)) => p.clone(),
        (Source::Builtin, _) => {
            return Err(FactoryError::usage(format!("{} is built in and cannot be removed", t.id())));
        }
        (_, p) => {
            return Err(FactoryError::usage(format!(
                "{} is one of your own templates, in {}; delete that folder to remove it",
                t.id(),
                p.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
            )));
        }
    };
    let io =
        |e: std::io::Error| FactoryError::storage(format!("cannot remove {} from {}: {e}", t.id(), path.display()));
    let parent = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let root = parent.parent().map(Path::to_path_buf).unwrap_or_default();
    // Move it out of the registry's sight first, so a failure half-way leaves no half template.
    let trash = tempfile::Builder::new().prefix(".removing-").tempdir_in(&root).map_err(io)?;
    let gone = trash.path().join("t");
    fs::rename(&path, &gone).map_err(io)?;
    drop(trash);
    let _ = fs::remove_dir(&parent);
    Ok(path)
}

/// `templates new NAME --from BASE`: copies BASE into the user's template folder as NAME
/// 0.1.0, to edit. Returns the base it came from and the new folder.
pub fn create_custom(registry: &Registry, name: &str, from: &TemplateRef) -> Result<(Arc<Template>, PathBuf)> {
    let user_dir = registry.user_dir().ok_or_else(|| {
        FactoryError::usage(
            "no config folder is known for your own templates (HOME is not set); set HOME or XDG_CONFIG_HOME",
        )
    })?;
    if !super::is_name(name) {
        return Err(FactoryError::usage(format!(
            "`{name}` is not a template name; use 1-40 characters of a-z, 0-9, - and _"
        )));
    }
    if let Some(t) = registry.latest(name) {
        return Err(FactoryError::usage(format!(
            "a template named `{name}` already exists ({} {}); pick another name",
            t.source,
            t.version()
        )));
    }
    let dest = user_dir.join(name);
    if dest.exists() {
        return Err(FactoryError::usage(format!(
            "{} already exists (a template folder that did not load?); pick another name or move it away",
            dest.display()
        )));
    }
    let base = registry.resolve(from)?;
    let text = rewrite_identity(&base, name, "0.1.0");
    let io = |e: std::io::Error| FactoryError::storage(format!("cannot create {}: {e}", dest.display()));
    fs::create_dir_all(user_dir).map_err(io)?;
    let staging = tempfile::Builder::new().prefix(".incoming-").tempdir_in(user_dir).map_err(io)?;
    write_template(staging.path(), &text, &base).map_err(io)?;
    fs::rename(staging.path(), &dest).map_err(io)?;
    let _ = staging.keep();
    Ok((base, dest))
}

/// The base's `template.toml` with a new name and version, comments kept where the keys
/// are plain top-level lines (else re-written from the parsed manifest).
fn rewrite_identity(base: &Template, name: &str, version: &str) -> String {
    let header = format!(
        "# Made by `factory templates new {name} --from {}`. Edit this file and files/, then\n# use it with `factory new --template {name}`; raise `version` when you share a change.\n\n",
        base.id()
    );
    let mut out = String::new();
    let (mut named, mut versioned, mut in_table) = (false, false, false);
    for line in base.manifest_text.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        in_table |= line.trim_start().starts_with('[');
        if !in_table && key == "name" && !named {
            out.push_str(&format!("name = \"{name}\"\n"));
            named = true;
        } else if !in_table && key == "version" && !versioned {
            out.push_str(&format!("version = \"{version}\"\n"));
            versioned = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    let ok = super::Manifest::parse(&out, "template.toml")
        .is_ok_and(|m| m.name == name && m.version == version && m.plan == base.manifest.plan);
    if ok {
        return header + &out;
    }
    let mut m = base.manifest.clone();
    m.name = name.to_string();
    m.version = version.to_string();
    header + &toml::to_string(&m).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::fixtures::write_template as fixture;

    fn registry(d: &Path) -> Registry {
        Registry::load(Some(&d.join("data")), Some(&d.join("user"))).unwrap()
    }

    #[test]
    fn imports_side_by_side_and_refuses_downgrades_without_force() {
        let d = tempfile::tempdir().unwrap();
        for v in ["1.0.0", "1.2.0", "1.1.0"] {
            fixture(&d.path().join(format!("src-{v}")), "mini", v);
        }
        let src = |v: &str| d.path().join(format!("src-{v}")).display().to_string();
        let got = import(&src("1.0.0"), &registry(d.path()), false).unwrap();
        assert_eq!(got.path, d.path().join("data/templates/mini/1.0.0"));
        import(&src("1.2.0"), &registry(d.path()), false).unwrap();
        let err = import(&src("1.1.0"), &registry(d.path()), false).unwrap_err();
        assert!(err.message.contains("mini@1.1.0 is older than the installed 1.2.0; add --force"), "{}", err.message);
        assert!(!d.path().join("data/templates/mini/1.1.0").exists());
        let forced = import(&src("1.1.0"), &registry(d.path()), true).unwrap();
        assert_eq!(forced.older_than.as_deref(), Some("1.2.0"));
        let r = registry(d.path());
        let versions: Vec<&str> = r.all().iter().filter(|t| t.name() == "mini").map(|t| t.version()).collect();
        assert_eq!(versions, ["1.2.0", "1.1.0", "1.0.0"]);
        let err = import(&src("1.0.0"), &r, true).unwrap_err();
        assert!(err.message.contains("mini@1.0.0 is already installed"), "{}", err.message);
        let staging: Vec<_> = fs::read_dir(d.path().join("data/templates")).unwrap().flatten().collect();
        assert_eq!(staging.len(), 1, "only mini/ is left, no staging folders");
    }

    #[test]
    fn refuses_builtin_versions_incompatible_and_unrenderable_templates() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("src");
        fixture(&src, "neoforge", "1.0.0");
        let err = import(src.to_str().unwrap(), &registry(d.path()), true).unwrap_err();
        assert!(err.message.contains("neoforge@1.0.0 is built in"), "{}", err.message);
        fixture(&src, "mini", "1.0.0");
        let toml = fs::read_to_string(src.join("template.toml")).unwrap();
        fs::write(src.join("template.toml"), toml.replace("\"0.1.0\"", "\"42.0.0\"")).unwrap();
        let err = import(src.to_str().unwrap(), &registry(d.path()), false).unwrap_err();
        assert!(err.message.contains("needs factory 42.0.0 or newer"), "{}", err.message);
        fixture(&src, "mini", "1.0.0");
        fs::write(src.join("files/bad.txt"), "{{ nope }}").unwrap();
        let err = import(src.to_str().unwrap(), &registry(d.path()), false).unwrap_err();
        assert!(err.message.contains("does not render") && err.message.contains("bad.txt"), "{}", err.message);
        assert!(!d.path().join("data/templates/mini").exists());
    }

    #[test]
    fn removes_only_imported_versions() {
        let d = tempfile::tempdir().unwrap();
        fixture(&d.path().join("src"), "mini", "1.0.0");
        import(d.path().join("src").to_str().unwrap(), &registry(d.path()), false).unwrap();
        remove_installed(&registry(d.path()), "mini", "1.0.0").unwrap();
        assert!(registry(d.path()).latest("mini").is_none());
        assert!(!d.path().join("data/templates/mini").exists());
        let err = remove_installed(&registry(d.path()), "neoforge", "1.0.0").unwrap_err();
        assert!(err.message.contains("built in"), "{}", err.message);
    }

    #[test]
    fn new_copies_a_base_into_the_user_folder_keeping_comments() {
        let d = tempfile::tempdir().unwrap();
        let (base, dest) = create_custom(&registry(d.path()), "myforge", &"neoforge".parse().unwrap()).unwrap();
        assert_eq!(dest, d.path().join("user/myforge"));
        let t = registry(d.path()).latest("myforge").cloned().unwrap();
        assert_eq!((t.version(), t.source), ("0.1.0", Source::User));
        assert_eq!(t.files, base.files);
        assert!(t.manifest_text.contains("# The neoforge template"), "comments are kept");
        assert_eq!(t.manifest.plan, base.manifest.plan);
        let err = create_custom(&registry(d.path()), "myforge", &"neoforge".parse().unwrap()).unwrap_err();
        assert!(err.message.contains("already exists"), "{}", err.message);
        let err = create_custom(&registry(d.path()), "other", &"cobol".parse().unwrap()).unwrap_err();
        assert!(err.message.contains("no template named `cobol`"), "{}", err.message);
        assert!(!d.path().join("user/other").exists());
    }
}
