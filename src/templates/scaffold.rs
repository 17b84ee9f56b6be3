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

/// Most template instructions one file may run (bounds a runaway loop in an imported template).
const FUEL: u64 = 2_000_000;

impl ScaffoldVars {
    /// The facts of run number `run`, with the template's base ports plus a step per run.
    /// A run created by the orchestrator records its own ports; see `with_ports`.
    pub fn new(template: &Template, run: u32, name: &str, idea: &str) -> Self {
        let ports = super::allocate_ports(&template.manifest.ports, run, &Default::default()).unwrap_or_default();
        ScaffoldVars {
            name: name.to_string(),
            slug: slug(name),
            py_name: py_name(name),
            idea: idea.to_string(),
            run_id: format!("s-{run:02}"),
            ports,
            vars: template.manifest.variables.clone(),
            factory_version: super::FACTORY_VERSION.to_string(),
        }
    }

    /// Uses the ports recorded with the run (a port the run lacks keeps its default).
    pub fn with_ports(mut self, ports: &BTreeMap<String, u16>) -> Self {
        for (k, v) in ports {
            if let Some(slot) = self.ports.get_mut(k) {
                *slot = *v;
            }
        }
        self
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

/// Words that cannot name a Python module or a Dart package (keywords, and the packages
/// the templates depend on).
const RESERVED: [&str; 77] = [
    "flutter",
    "flutter_test",
    "flutter_lints",
    "firebase_core",
    "firebase_auth",
    "cloud_firestore",
    "test",
    "false",
    "none",
    "true",
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "class",
    "continue",
    "def",
    "del",
    "elif",
    "else",
    "except",
    "finally",
    "for",
    "from",
    "global",
    "if",
    "import",
    "in",
    "is",
    "lambda",
    "nonlocal",
    "not",
    "or",
    "pass",
    "raise",
    "return",
    "try",
    "while",
    "with",
    "yield",
    "match",
    "case",
    "type",
    "abstract",
    "covariant",
    "default",
    "deferred",
    "do",
    "dynamic",
    "enum",
    "export",
    "extends",
    "extension",
    "external",
    "factory",
    "final",
    "function",
    "get",
    "implements",
    "interface",
    "late",
    "library",
    "mixin",
    "new",
    "null",
    "operator",
    "part",
    "required",
    "rethrow",
    "set",
    "static",
    "super",
    "switch",
    "this",
    "throw",
];

/// A valid Python identifier (and Dart package name) in snake_case: never a keyword,
/// never starting with a digit.
pub fn py_name(name: &str) -> String {
    let s = slug(name).replace('-', "_");
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("app_{s}")
    } else if RESERVED.contains(&s.as_str()) {
        format!("{s}_app")
    } else {
        s
    }
}

/// Renders every file of the template: `(path, content)` pairs, paths relative to `app/`.
pub fn render_files(template: &Template, vars: &ScaffoldVars) -> Result<Vec<(String, String)>, String> {
    render_some(template, vars, |_| true)
}

/// Renders the files of the template whose path (relative to `app/`, rendered) `wanted`
/// accepts.
pub fn render_some(
    template: &Template,
    vars: &ScaffoldVars,
    wanted: impl Fn(&str) -> bool,
) -> Result<Vec<(String, String)>, String> {
    let env = compiled(template)?;
    let ctx = minijinja::Value::from_serialize(vars);
    let mut out = Vec::with_capacity(template.files.len());
    for path in template.files.keys() {
        let failed = |what: &str, e: minijinja::Error| {
            format!("template {} file {path}: {what} failed to render: {e}", template.name())
        };
        let rendered_path = if path.contains("{{") {
            env.render_str(path, &ctx).map_err(|e| failed("the path", e))?
        } else {
            path.clone()
        };
        crate::workspace::check_relative_path(&rendered_path)
            .map_err(|e| format!("template {} file {e}", template.name()))?;
        if !wanted(&rendered_path) {
            continue;
        }
        let tmpl = env.get_template(path).map_err(|e| failed("the content", e))?;
        out.push((rendered_path, tmpl.render(&ctx).map_err(|e| failed("the content", e))?));
    }
    Ok(out)
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_keep_trailing_newline(true);
    env.set_fuel(Some(FUEL));
    env
}

/// A template's files compiled once (per content: an edited template compiles again), so
/// that a thousand runs do not parse the same files a thousand times.
fn compiled(template: &Template) -> Result<std::sync::Arc<Environment<'static>>, String> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    type Compiled = HashMap<(String, u64), Arc<Environment<'static>>>;
    static CACHE: OnceLock<Mutex<Compiled>> = OnceLock::new();
    let key = (format!("{}@{}", template.name(), template.manifest.version), template.content_hash());
    let cache = CACHE.get_or_init(Default::default);
    if let Some(env) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(Arc::clone(env));
    }
    let mut env = environment();
    for (path, text) in &template.files {
        env.add_template_owned(path.clone(), text.clone())
            .map_err(|e| format!("template {} file {path}: the content failed to render: {e}", template.name()))?;
    }
    let env = Arc::new(env);
    cache.lock().unwrap_or_else(|e| e.into_inner()).insert(key, Arc::clone(&env));
    Ok(env)
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
        assert_eq!(py_name("Import"), "import_app");
        assert_eq!(py_name("Class!"), "class_app");
        assert_eq!(py_name("Flutter"), "flutter_app");
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
        let moved = vars.with_ports(&[("backend".to_string(), 8123), ("other".to_string(), 1)].into());
        assert_eq!(moved.ports.get("backend"), Some(&8123));
        assert!(!moved.ports.contains_key("other"));
    }

    #[test]
    fn a_runaway_loop_runs_out_of_fuel() {
        let mut t = crate::templates::find("neoforge").unwrap();
        t.files = [(
            "x.txt".to_string(),
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}".to_string(),
        )]
        .into();
        let err = render_files(&t, &ScaffoldVars::new(&t, 1, "A", "B")).unwrap_err();
        assert!(err.contains("x.txt"), "{err}");
    }
}
