//! Every built-in template renders for any run name: each JSON, TOML and YAML file parses,
//! each Python file compiles (`python3 -m py_compile`), and nothing is left unrendered.
//!
//! Set `TEMPLATE_RENDER_DIR` to also write each template's plain render there, to try the
//! generated project by hand (`npm test`, `pytest`, ...).
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::Command;

use startup_factory::templates::{self, ScaffoldVars, Template, render_files};

/// Run names and ideas a user may type, plain ones first.
const RUNS: [(&str, &str); 7] = [
    ("Ledgerly", "Bookkeeping for freelancers."),
    ("日本語のアプリ", "Everything in Japanese: 家計簿アプリ."),
    ("3D Print Hub", "A marketplace for 3D printing, 100% online."),
    ("class", "A name that is a keyword in Python and Dart."),
    (
        "Café \"Zoë\" & <Co> {{ x }} {% y %} {# z #} \\ 😀 'q' `t` $HOME ${x} #h: - [a] {b} */ --> </script> \u{FFFD}",
        "An idea with \"quotes\", 'single', `ticks`, $dollars and ${braces},\nnew lines,\ttabs, a backslash \\ and \\n,\n\"\"\"triple\"\"\" and '''quotes''', {{ jinja }} {% tags %}, </script>, */ and -->,\ncontrol characters \u{7f} \u{85} \u{9c}, and emoji 🚀.",
    ),
    ("- yes: no", "YAML lookalikes: key: value\n- item\n? question\n&anchor *alias !tag %directive"),
    ("A very long name that goes on and on and on to the limit of eighty characters..", "Long."),
];

/// How many of `RUNS` are plain enough that any `{{` left in the output is a mistake.
const PLAIN: usize = 4;

/// What a template may refer to; any of these in double braces after rendering is left over.
const VARIABLES: [&str; 8] = ["name", "slug", "py_name", "idea", "run_id", "ports", "vars", "factory_version"];

fn left_unrendered(content: &str) -> Option<String> {
    if content.contains("{%") || content.contains("{#") {
        return Some("a `{%` or `{#` tag".into());
    }
    let mut rest = content;
    while let Some(at) = rest.find("{{") {
        let inner = rest[at + 2..].trim_start();
        if let Some(v) = VARIABLES.iter().find(|v| {
            inner.starts_with(**v) && !inner[v.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
        }) {
            return Some(format!("`{{{{ {v}` ..."));
        }
        rest = &rest[at + 2..];
    }
    None
}

fn check_parses(path: &str, content: &str) -> Result<(), String> {
    let file = path.rsplit('/').next().unwrap_or(path);
    if path.ends_with(".json") || file == ".firebaserc" {
        serde_json::from_str::<serde_json::Value>(content).map_err(|e| format!("invalid JSON: {e}"))?;
    } else if path.ends_with(".toml") {
        toml::from_str::<toml::Table>(content).map_err(|e| format!("invalid TOML: {e}"))?;
    } else if path.ends_with(".yml") || path.ends_with(".yaml") {
        yaml_rust2::YamlLoader::load_from_str(content).map_err(|e| format!("invalid YAML: {e}"))?;
    }
    Ok(())
}

fn python() -> Option<&'static str> {
    Command::new("python3").arg("--version").output().ok().filter(|o| o.status.success()).map(|_| "python3")
}

/// Writes the files into `dir` and compiles every Python file there.
fn py_compile(dir: &Path, files: &[(String, String)], what: &str) {
    let py: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).filter(|p| p.ends_with(".py")).collect();
    if py.is_empty() {
        return;
    }
    let Some(python) = python() else {
        common::skip_or_fail(&format!("py_compile for {what}: python3 is not installed"));
        return;
    };
    let out = Command::new(python)
        .args(["-m", "py_compile"])
        .args(&py)
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONPYCACHEPREFIX", dir.join(".pycache"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{what}: Python does not compile:\n{}", String::from_utf8_lossy(&out.stderr));
}

fn write_all(dir: &Path, files: &[(String, String)]) {
    for (path, content) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
}

fn check_template(name: &str) {
    let t: Template = templates::find(name).unwrap();
    assert_eq!(t.name(), name);
    assert!(!t.files.is_empty());
    for (k, (run_name, idea)) in RUNS.iter().enumerate() {
        let what = format!("{name} for run name {run_name:?}");
        let vars = ScaffoldVars::new(&t, k as u32 + 1, run_name, idea);
        let files = render_files(&t, &vars).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(files.len(), t.files.len());
        for (path, content) in &files {
            check_parses(path, content).unwrap_or_else(|e| panic!("{what}: {path}: {e}\n{content}"));
            if k < PLAIN
                && let Some(left) = left_unrendered(content)
            {
                panic!("{what}: {path} has {left} left unrendered:\n{content}");
            }
        }
        let dir = tempfile::tempdir().unwrap();
        write_all(dir.path(), &files);
        py_compile(dir.path(), &files, &what);
        if k == 0
            && let Some(out) = std::env::var_os("TEMPLATE_RENDER_DIR")
        {
            write_all(&Path::new(&out).join(name), &files);
        }
    }
}

#[test]
fn the_leftover_check_finds_what_it_should() {
    assert!(left_unrendered("a {{ name }} b").is_some());
    assert!(left_unrendered("{{ports.web}}").is_some());
    assert!(left_unrendered("{% if x %}").is_some());
    assert!(left_unrendered("Vue's {{ count }} and ${{ secrets.TOKEN }} and {{ names }}").is_none());
    assert!(check_parses("a.yml", "a: [b").is_err());
    assert!(check_parses("a.toml", "a = ").is_err());
    assert!(check_parses("a.json", "{,}").is_err());
}

#[test]
fn every_builtin_template_has_a_render_test() {
    let mut names: Vec<String> = templates::builtin().unwrap().iter().map(|t| t.name().to_string()).collect();
    names.sort();
    assert_eq!(names, ["fluttermobile", "neoforge", "pythonml", "reactnext", "vuenuxt"]);
}

#[test]
fn neoforge_renders_for_any_name() {
    check_template("neoforge");
}

#[test]
fn reactnext_renders_for_any_name() {
    check_template("reactnext");
}

#[test]
fn pythonml_renders_for_any_name() {
    check_template("pythonml");
}

#[test]
fn vuenuxt_renders_for_any_name() {
    check_template("vuenuxt");
}

#[test]
fn fluttermobile_renders_for_any_name() {
    check_template("fluttermobile");
}

/// Under `CI=true`, a missing python3 fails the render tests instead of skipping their
/// `py_compile` part (the test runs itself again with no python3 on `PATH`).
#[test]
fn under_ci_a_missing_python3_fails_the_test_instead_of_skipping() {
    if std::env::var_os("FACTORY_INNER_TEST").is_some() {
        return;
    }
    let (passed, text) = common::rerun_under_ci_without_tools("neoforge_renders_for_any_name");
    assert!(!passed && text.contains("python3 is not installed"), "it passed without python3:\n{text}");
}
