//! The simulated build of the `pythonml` template: a real scikit-learn service. The data
//! pipeline validates and cleans CSV data (the bundled iris sample by default), the model is
//! a scaler + logistic regression pipeline with held-out metrics and feature ranges, the
//! FastAPI app answers batch predictions and clear 422s, and the pytest tests assert all of
//! it in about a second; plus a latency benchmark, a production compose file and a release
//! workflow.
//!
//! The files live under `assets/sim/pythonml/` as real files (run and linted as a project).
//! Only `app/main.py` takes the startup's name and idea, as Python string literals.

use std::fmt::Write;

use super::Facts;

const MAIN: &str = include_str!("../../../../assets/sim/pythonml/app/main.py");
const MAIN_NAME_LINE: &str = "APP_NAME = \"Simulated startup\"\n";
const MAIN_IDEA_LINE: &str = "APP_DESCRIPTION = \"A machine-learning service.\"\n";

/// The working content of `path` (relative to `app/`), or `None` for a path outside the
/// template's default plan.
pub fn file(path: &str, facts: &Facts) -> Option<String> {
    let content = match path.trim_start_matches("./") {
        "app/data.py" => include_str!("../../../../assets/sim/pythonml/app/data.py"),
        "app/features.py" => include_str!("../../../../assets/sim/pythonml/app/features.py"),
        "app/model.py" => include_str!("../../../../assets/sim/pythonml/app/model.py"),
        "app/train.py" => include_str!("../../../../assets/sim/pythonml/app/train.py"),
        "app/schemas.py" => include_str!("../../../../assets/sim/pythonml/app/schemas.py"),
        "app/main.py" => return Some(main_py(facts)),
        "tests/test_data.py" => include_str!("../../../../assets/sim/pythonml/tests/test_data.py"),
        "tests/test_model.py" => include_str!("../../../../assets/sim/pythonml/tests/test_model.py"),
        "tests/test_api.py" => include_str!("../../../../assets/sim/pythonml/tests/test_api.py"),
        "scripts/benchmark.py" => include_str!("../../../../assets/sim/pythonml/scripts/benchmark.py"),
        "docker-compose.prod.yml" => include_str!("../../../../assets/sim/pythonml/docker-compose.prod.yml"),
        ".github/workflows/release.yml" => {
            include_str!("../../../../assets/sim/pythonml/.github/workflows/release.yml")
        }
        _ => return None,
    };
    Some(content.to_string())
}

/// `app/main.py` with the startup's name and idea as its title and description.
fn main_py(facts: &Facts) -> String {
    let name = if facts.startup.trim().is_empty() { "Simulated startup" } else { facts.startup };
    let idea = if facts.idea.trim().is_empty() { "A machine-learning service." } else { facts.idea };
    let name_line = format!("APP_NAME = {}\n", py_str(name));
    let idea_line = format!("APP_DESCRIPTION = {}\n", py_str(idea));
    MAIN.replacen(MAIN_NAME_LINE, &name_line, 1).replacen(MAIN_IDEA_LINE, &idea_line, 1)
}

/// `s` as a double-quoted Python string literal: quotes, backslashes, and every character
/// that is not plainly printable (controls, line and paragraph separators) escaped.
fn py_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    use super::super::neoforge_backend::tests::{answered_files, have_python, python_parses};
    use super::super::{header, with_defect};
    use super::*;

    const FACTS: Facts = Facts { startup: "Ledgerly", idea: "Bookkeeping for freelancers." };

    #[test]
    fn every_file_of_the_default_plan_has_working_content() {
        let files = super::super::planned_files("pythonml");
        assert!(files.iter().filter(|p| p.ends_with(".py")).count() >= 8);
        for path in &files {
            let content = file(path, &FACTS).unwrap_or_else(|| panic!("{path} has no simulated content"));
            assert!(content.ends_with('\n'), "{path} must end with a new line");
            assert!(!content.contains("```"), "{path} would break the answer's code fence");
            assert!(!content.contains("\"simulated\": True"), "{path} is still a placeholder");
            let labelled = format!("{}{content}", header(path).unwrap_or_default());
            assert!(labelled.starts_with("# Simulated output"), "{path} is not labelled simulated");
        }
        assert!(file("app/config.py", &FACTS).is_none(), "config.py is the scaffold's");
    }

    #[test]
    fn the_simulated_answers_carry_the_files_unchanged() {
        let files = answered_files("pythonml", &FACTS, file);
        assert_eq!(files.len(), super::super::planned_files("pythonml").len());
    }

    #[test]
    fn main_takes_the_startups_name_and_idea() {
        assert!(MAIN.contains(MAIN_NAME_LINE) && MAIN.contains(MAIN_IDEA_LINE));
        let main = file("app/main.py", &FACTS).unwrap();
        assert!(main.contains("APP_NAME = \"Ledgerly\"\n"));
        assert!(main.contains("APP_DESCRIPTION = \"Bookkeeping for freelancers.\"\n"));
        let blank = file("app/main.py", &Facts { startup: " ", idea: "" }).unwrap();
        assert!(blank.contains(MAIN_NAME_LINE) && blank.contains(MAIN_IDEA_LINE));
    }

    #[test]
    fn names_become_safe_python_literals() {
        assert_eq!(py_str("plain"), "\"plain\"");
        assert_eq!(py_str("a \"b\" \\ 'c'"), "\"a \\\"b\\\" \\\\ 'c'\"");
        assert_eq!(py_str("x\ny\u{7f}\u{85}\u{2028}\0"), "\"x\\ny\\u007f\\u0085\\u2028\\u0000\"");
        assert_eq!(py_str("日本語 😀"), "\"日本語 😀\"");
    }

    /// The value of a Python string literal, as Python reads it.
    fn python_value(literal: &str) -> String {
        let mut child = Command::new("python3")
            .args(["-c", "import ast, json, sys; sys.stdout.write(json.dumps(ast.literal_eval(sys.stdin.read())))"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(literal.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{literal} is not a Python literal");
        serde_json::from_slice(&out.stdout).unwrap()
    }

    #[test]
    fn the_python_files_parse_for_any_name_and_a_planted_defect_does_not() {
        if !have_python() {
            return;
        }
        let awkward = Facts {
            startup: "Café \"Zoë\" \\ 'q' \"\"\" {{ x }} \u{7f}\u{85}\u{2028}\0 😀",
            idea: "Ideas with\nnew lines,\ttabs, ''' and \"\"\" and a trailing backslash \\",
        };
        let main = file("app/main.py", &awkward).unwrap();
        python_parses(&main).unwrap_or_else(|e| panic!("main.py with an awkward name does not parse:\n{e}"));
        assert_eq!(python_value(&py_str(awkward.startup)), awkward.startup);
        assert_eq!(python_value(&py_str(awkward.idea)), awkward.idea);
        for path in super::super::planned_files("pythonml").iter().filter(|p| p.ends_with(".py")) {
            let content = format!("{}{}", header(path).unwrap(), file(path, &FACTS).unwrap());
            python_parses(&content).unwrap_or_else(|e| panic!("{path} does not parse:\n{e}"));
            let planted = with_defect(path, &content).unwrap();
            if path.rsplit('/').next().is_some_and(|n| n.starts_with("test_")) {
                python_parses(&planted).unwrap_or_else(|e| panic!("{path} with a failing test does not parse:\n{e}"));
            } else {
                assert!(python_parses(&planted).is_err(), "{path}: the planted syntax error parses");
            }
        }
    }
}
