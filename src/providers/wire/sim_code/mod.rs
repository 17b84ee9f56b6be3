//! Working code for the simulated build: for each file of a template's default plan, a real
//! implementation (endpoints, models, tests with assertions) that passes the template's
//! checks, labelled simulated in its header comment; and, with `[sim] defect_rate`, a real
//! defect (a failing assertion or a syntax error) so that the repair loop can be shown.

mod neoforge_backend;
mod neoforge_frontend;
mod pythonml;
mod reactnext;
mod vuenuxt;

use crate::providers::SimHints;
use crate::providers::rng::Rng;

/// The facts a simulated file may use: the startup's name and idea, and its slug.
pub struct Facts<'a> {
    pub startup: &'a str,
    pub idea: &'a str,
}

/// The working content of `path` (relative to `app/`) for the run's template, or `None`
/// when the file is not one of the template's default plan (the caller then writes a
/// generic simulated file).
pub fn file(template: &str, path: &str, facts: &Facts) -> Option<String> {
    match template {
        "neoforge" => neoforge_backend::file(path, facts).or_else(|| neoforge_frontend::file(path, facts)),
        "pythonml" => pythonml::file(path, facts),
        "reactnext" => reactnext::file(path, facts),
        "vuenuxt" => vuenuxt::file(path, facts),
        _ => None,
    }
}

/// The header comment that labels a simulated file, in the file's comment syntax (none
/// for JSON, which has no comments).
pub fn header(path: &str) -> Option<String> {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let text = "Simulated output: written by the factory's simulated provider, not by an AI model.";
    match ext {
        "py" | "toml" | "yml" | "yaml" | "sh" | "cfg" | "ini" | "txt" | "conf" => Some(format!("# {text}\n")),
        "ts" | "tsx" | "js" | "jsx" | "mjs" | "cjs" | "dart" | "scss" => Some(format!("// {text}\n")),
        "css" => Some(format!("/* {text} */\n")),
        "vue" | "html" | "md" => Some(format!("<!-- {text} -->\n")),
        _ => None,
    }
}

/// Whether `path` is a test file (`test_*.py`, `*.test.ts`, `*.spec.ts`...): where a planted
/// defect is a failing assertion.
pub fn is_test(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.starts_with("test_") || name.contains(".test.") || name.contains(".spec.")
}

/// Whether this answer carries a defect, drawn once per answer from the call's generator.
pub fn roll_defect(hints: &SimHints, rng: &mut Rng) -> bool {
    hints.defect_rate > 0.0 && rng.chance(hints.defect_rate)
}

/// `content` of `path` with a real defect: a failing assertion in a test file, a syntax or
/// type error elsewhere. Returns `None` for files where no defect can be planted (JSON,
/// docs), so that the caller plants it in another file of the answer.
pub fn with_defect(path: &str, content: &str) -> Option<String> {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let is_test = is_test(path);
    match ext {
        "py" if is_test => Some(format!(
            "{content}\n\ndef test_simulated_defect():\n    # A defect planted by the simulated provider (sim.defect_rate).\n    assert 1 + 1 == 3, \"planted defect\"\n"
        )),
        "py" => Some(format!("{content}\n\ndef planted_defect(:\n    pass\n")),
        "ts" | "tsx" | "js" | "jsx" if is_test => Some(format!(
            "{content}\n\nimport {{ expect as plantedExpect, test as plantedTest }} from \"vitest\";\nplantedTest(\"simulated defect\", () => {{\n  // A defect planted by the simulated provider (sim.defect_rate).\n  plantedExpect(1 + 1).toBe(3);\n}});\n"
        )),
        "ts" | "tsx" => Some(format!("{content}\n\nexport const plantedDefect: number = \"planted defect\";\n")),
        "js" | "jsx" => Some(format!("{content}\n\nexport const plantedDefect = ;\n")),
        // Text after a single-file component's blocks is ignored: the defect goes inside
        // its script.
        "vue" => Some(match content.find("</script>") {
            Some(at) => format!("{}const plantedDefect = ;\n{}", &content[..at], &content[at..]),
            None => format!("<script setup lang=\"ts\">\nconst plantedDefect = ;\n</script>\n\n{content}"),
        }),
        _ => None,
    }
}

/// Every file of `template`'s default plan, in plan order (for the modules' tests).
#[cfg(test)]
fn planned_files(template: &str) -> Vec<String> {
    let t = crate::templates::find(template).unwrap_or_else(|e| panic!("the built-in template {template}: {e}"));
    t.manifest.plan.iter().flat_map(|task| task.files.clone()).collect()
}
