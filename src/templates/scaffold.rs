//! Rendering a template's files (paths and contents, with minijinja) for one run.

use std::collections::BTreeMap;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use super::Template;

/// What a template's files may refer to.
#[derive(Clone, Debug, Serialize)]
pub struct ScaffoldVars {
    pub name: String,
    pub slug: String,
    pub py_name: String,
    pub idea: String,
    pub run_id: String,
    pub ports: BTreeMap<String, u16>,
    pub vars: BTreeMap<String, String>,
    pub factory_version: String,
}

/// Gap between the ports of two runs using one template.
pub const PORT_STEP: u16 = 10;

impl ScaffoldVars {
    pub fn new(template: &Template, run: u32, name: &str, idea: &str) -> Self {
        let ports = template
            .manifest
            .ports
            .iter()
            .map(|(k, base)| (k.clone(), base.saturating_add(PORT_STEP.saturating_mul((run % 1000) as u16))))
            .collect();
        ScaffoldVars {
            name: name.to_string(),
            slug: slug(name),
            py_name: py_name(name),
            idea: idea.to_string(),
            run_id: format!("s-{run:02}"),
            ports,
            vars: template.manifest.variables.clone(),
            factory_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// Lowercase ASCII letters, digits and single dashes; never empty.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').chars().take(40).collect::<String>().trim_end_matches('-').to_string();
    if out.is_empty() { "app".into() } else { out }
}

/// A valid Python identifier in snake_case.
pub fn py_name(name: &str) -> String {
    let s = slug(name).replace('-', "_");
    if s.starts_with(|c: char| c.is_ascii_digit()) { format!("app_{s}") } else { s }
}

/// Renders every file of the template: `(path, content)` pairs, paths relative to `app/`.
pub fn render_files(template: &Template, vars: &ScaffoldVars) -> Result<Vec<(String, String)>, String> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_keep_trailing_newline(true);
    let ctx = minijinja::Value::from_serialize(vars);
    let mut out = Vec::with_capacity(template.files.len());
    for (path, text) in &template.files {
        let render = |source: &str, what: &str| {
            env.render_str(source, &ctx)
                .map_err(|e| format!("template {} file {path}: {what} failed to render: {e}", template.name()))
        };
        let rendered_path = if path.contains("{{") { render(path, "the path")? } else { path.clone() };
        crate::workspace::check_relative_path(&rendered_path)
            .map_err(|e| format!("template {} file {e}", template.name()))?;
        out.push((rendered_path, render(text, "the content")?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_python_names_are_always_valid() {
        assert_eq!(slug("Ledgerly"), "ledgerly");
        assert_eq!(slug("Café \"Zoë\" & <Co>"), "caf-zo-co");
        assert_eq!(slug("😀"), "app");
        assert_eq!(py_name("3D Print Hub"), "app_3d_print_hub");
    }

    #[test]
    fn neoforge_renders_for_a_hostile_name_with_nothing_left_unrendered() {
        let t = crate::templates::find("neoforge").unwrap();
        let vars =
            ScaffoldVars::new(&t, 7, "Café \"Zoë\" & <Co> {{x}} \\ 😀", "An idea with \"quotes\" and {% tags %}");
        let files = render_files(&t, &vars).unwrap();
        assert!(files.len() >= 10, "{}", files.len());
        let plain = render_files(&t, &ScaffoldVars::new(&t, 7, "Ledgerly", "Bookkeeping")).unwrap();
        for (path, content) in &plain {
            assert!(!content.contains("{{") && !content.contains("{%"), "{path} left unrendered:\n{content}");
        }
        for (path, content) in &files {
            if path.ends_with(".json") {
                serde_json::from_str::<serde_json::Value>(content).unwrap_or_else(|e| panic!("{path}: {e}"));
            }
            if path.ends_with(".toml") {
                toml::from_str::<toml::Table>(content).unwrap_or_else(|e| panic!("{path}: {e}"));
            }
        }
        assert_eq!(vars.ports.get("backend"), Some(&8070));
    }
}
