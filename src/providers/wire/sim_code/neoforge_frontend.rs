//! The simulated build of the `neoforge` template's frontend: a small but real Lit 3 +
//! TypeScript single-page app for the backend's API. A typed API client (`src/api.ts`:
//! sign-up, sign-in, the current user, paged items CRUD, FastAPI error details), the
//! session state (`src/session.ts`: the token in localStorage, "change" events), the shell
//! (`src/app-root.ts`: navigation, API status, the signed-in user), a sign-in/sign-up view
//! and an items view (list with loading, error and empty states, add form, done checkbox,
//! delete, paging); Vitest tests that stub fetch with a fake backend, mount the elements and
//! assert on their shadow DOM.
//!
//! The backend and devops files of the same plan are `neoforge_backend`'s. The files live
//! under `assets/sim/neoforge/frontend/` as real files, so that they can be run and
//! type-checked as a project; the caller adds the "simulated" header comment.

use super::Facts;

/// Each frontend file of the template's default plan (relative to `app/`) and its content.
const FILES: [(&str, &str); 7] = [
    ("frontend/src/app-root.ts", include_str!("../../../../assets/sim/neoforge/frontend/src/app-root.ts")),
    ("frontend/src/api.ts", include_str!("../../../../assets/sim/neoforge/frontend/src/api.ts")),
    ("frontend/src/session.ts", include_str!("../../../../assets/sim/neoforge/frontend/src/session.ts")),
    (
        "frontend/src/views/login-view.ts",
        include_str!("../../../../assets/sim/neoforge/frontend/src/views/login-view.ts"),
    ),
    (
        "frontend/src/views/items-view.ts",
        include_str!("../../../../assets/sim/neoforge/frontend/src/views/items-view.ts"),
    ),
    (
        "frontend/src/views/login-view.test.ts",
        include_str!("../../../../assets/sim/neoforge/frontend/src/views/login-view.test.ts"),
    ),
    (
        "frontend/src/views/items-view.test.ts",
        include_str!("../../../../assets/sim/neoforge/frontend/src/views/items-view.test.ts"),
    ),
];

/// The string literals in `app-root.ts` that stand for the startup's name and idea.
const NAME_PLACEHOLDER: &str = "\"__APP_NAME__\"";
const IDEA_PLACEHOLDER: &str = "\"__APP_IDEA__\"";

/// The working content of `path` (relative to `app/`), or `None` for a file this module does
/// not write (the backend's, or a path outside the default plan).
pub fn file(path: &str, facts: &Facts) -> Option<String> {
    let path = path.trim_start_matches("./");
    let (_, content) = FILES.iter().find(|(p, _)| *p == path)?;
    if path == "frontend/src/app-root.ts" {
        // A JSON string is a valid TypeScript string literal, whatever the name holds.
        let literal = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
        return Some(
            content.replace(NAME_PLACEHOLDER, &literal(facts.startup)).replace(IDEA_PLACEHOLDER, &literal(facts.idea)),
        );
    }
    Some(content.to_string())
}

#[cfg(test)]
pub(super) mod tests {
    use std::path::Path;

    use super::super::{header, with_defect};
    use super::*;
    use crate::templates::{ScaffoldVars, render_files};

    const FACTS: Facts =
        Facts { startup: "Café \"Zoë\" \\ `t` ${x} </script>", idea: "Two lines,\nsaid \"simply\"." };

    /// With `SIM_CODE_DIR` set, writes `template`'s scaffold and, over it, the simulated
    /// answer to every file of its default plan (header included) into `SIM_CODE_DIR/template`,
    /// for a startup with a name that needs escaping, so the checks can be run there by hand
    /// (`npm install`, `npm test`, ...). Does nothing otherwise.
    pub(in super::super) fn write_app_when_asked(template: &str) {
        let Some(out) = std::env::var_os("SIM_CODE_DIR") else {
            return;
        };
        let dir = Path::new(&out).join(template);
        let t = crate::templates::find(template).unwrap();
        let (name, idea) =
            ("Café \"Zoë\" & <Co> `t` ${x} \\ 😀 'q'", "An idea with \"quotes\",\nnew lines and ${braces}.");
        let mut files = render_files(&t, &ScaffoldVars::new(&t, 1, name, idea)).unwrap();
        let facts = Facts { startup: name, idea };
        for task in t.manifest.default_plan().tasks {
            for path in task.files {
                let body = super::super::file(template, &path, &facts).unwrap();
                files.push((path.clone(), format!("{}{body}", header(&path).unwrap_or_default())));
            }
        }
        for (path, content) in files {
            let target = dir.join(&path);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(target, content).unwrap();
        }
    }

    #[test]
    fn every_frontend_file_of_the_default_plan_has_working_content() {
        let planned: Vec<String> =
            super::super::planned_files("neoforge").into_iter().filter(|p| p.starts_with("frontend/src/")).collect();
        for path in &planned {
            let content = file(path, &FACTS).unwrap_or_else(|| panic!("no simulated content for {path}"));
            assert!(content.trim().len() > 100, "{path} is too short to be working code");
            assert!(!content.contains("simulated: true"), "{path} is a placeholder");
            assert!(header(path).is_some(), "{path} would not be labelled simulated");
        }
        assert_eq!(planned.len(), FILES.len(), "a file here is in no task of the default plan");
        assert_eq!(file("backend/app/models.py", &FACTS), None);
        assert_eq!(file("frontend/src/views/other-view.ts", &FACTS), None);
        // Through the dispatch, every file of the plan is answered (the backend's by its module).
        for path in &super::super::planned_files("neoforge") {
            assert!(super::super::file("neoforge", path, &FACTS).is_some_and(|c| !c.trim().is_empty()), "{path}");
        }
    }

    #[test]
    fn the_shell_names_the_startup_in_valid_string_literals() {
        let shell = file("frontend/src/app-root.ts", &FACTS).unwrap();
        assert!(shell.contains(r#"export const APP_NAME: string = "Café \"Zoë\" \\ `t` ${x} </script>";"#), "{shell}");
        assert!(shell.contains(r#"export const APP_IDEA: string = "Two lines,\nsaid \"simply\".";"#));
        assert!(!shell.contains("__APP_"));
        for keep in ["export interface ViewInfo", "import.meta.glob", "export const views"] {
            assert!(shell.contains(keep), "the shell lost `{keep}`");
        }
    }

    #[test]
    fn the_views_follow_the_template_conventions() {
        for (path, route) in
            [("frontend/src/views/login-view.ts", "/login"), ("frontend/src/views/items-view.ts", "/items")]
        {
            let view = file(path, &FACTS).unwrap();
            assert!(view.contains("import type { ViewInfo } from \"../app-root\";"), "{path}");
            assert!(!view.contains("import { APP_NAME"), "{path} imports a value from app-root");
            assert!(view.contains(&format!("export const view: ViewInfo = {{ path: \"{route}\"")), "{path}");
        }
        let test = file("frontend/src/views/items-view.test.ts", &FACTS).unwrap();
        assert!(test.contains("vi.stubGlobal(") && test.contains("updateComplete") && test.contains("shadowRoot"));
        assert!(test.matches("expect(").count() >= 20);
    }

    #[test]
    fn a_planted_defect_breaks_a_test_or_the_type_check() {
        let path = "frontend/src/views/login-view.test.ts";
        assert!(with_defect(path, &file(path, &FACTS).unwrap()).unwrap().contains("plantedExpect(1 + 1).toBe(3)"));
        let path = "frontend/src/session.ts";
        let planted = with_defect(path, &file(path, &FACTS).unwrap()).unwrap();
        assert!(planted.contains("plantedDefect: number = \"planted defect\""));
    }

    #[test]
    fn writes_the_app_when_asked() {
        write_app_when_asked("neoforge");
    }
}
