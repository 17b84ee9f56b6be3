//! The simulated build of the `neoforge` template's backend: a small but real FastAPI app
//! (SQLAlchemy 2 models, Pydantic v2 schemas, pwdlib password hashing, PyJWT tokens) where
//! users sign up and sign in and manage the items they own, with pytest tests that assert
//! sign-up, sign-in, CRUD, validation, pagination and permissions; plus the devops files
//! (the frontend's nginx image and the production compose file).
//!
//! The files live under `assets/sim/neoforge/` as real files (run and linted as a project);
//! they do not depend on the startup's name.

use super::Facts;

/// The working content of `path` (relative to `app/`), or `None` for a file this module
/// does not write (the frontend's sources, or a path outside the default plan).
pub fn file(path: &str, _facts: &Facts) -> Option<String> {
    let content = match path.trim_start_matches("./") {
        "backend/app/db.py" => include_str!("../../../../assets/sim/neoforge/backend/app/db.py"),
        "backend/app/models.py" => include_str!("../../../../assets/sim/neoforge/backend/app/models.py"),
        "backend/app/schemas.py" => include_str!("../../../../assets/sim/neoforge/backend/app/schemas.py"),
        "backend/app/security.py" => include_str!("../../../../assets/sim/neoforge/backend/app/security.py"),
        "backend/app/services.py" => include_str!("../../../../assets/sim/neoforge/backend/app/services.py"),
        "backend/app/routes/auth.py" => include_str!("../../../../assets/sim/neoforge/backend/app/routes/auth.py"),
        "backend/app/routes/items.py" => include_str!("../../../../assets/sim/neoforge/backend/app/routes/items.py"),
        "backend/tests/conftest.py" => include_str!("../../../../assets/sim/neoforge/backend/tests/conftest.py"),
        "backend/tests/test_auth.py" => include_str!("../../../../assets/sim/neoforge/backend/tests/test_auth.py"),
        "backend/tests/test_items.py" => include_str!("../../../../assets/sim/neoforge/backend/tests/test_items.py"),
        "frontend/Dockerfile" => include_str!("../../../../assets/sim/neoforge/frontend/Dockerfile"),
        "frontend/nginx.conf" => include_str!("../../../../assets/sim/neoforge/frontend/nginx.conf"),
        "docker-compose.prod.yml" => include_str!("../../../../assets/sim/neoforge/docker-compose.prod.yml"),
        _ => return None,
    };
    Some(content.to_string())
}

#[cfg(test)]
pub(super) mod tests {
    use std::io::Write;
    use std::process::{Command, Stdio};

    use super::super::{header, with_defect};
    use super::*;

    const FACTS: Facts = Facts { startup: "Café \"Zoë\" \\ 'q' \n", idea: "An idea." };

    /// Whether `python3` runs here. Without it, the parse checks are skipped, except in CI
    /// (`CI=true`), where a missing interpreter fails the test rather than passing quietly.
    pub(in super::super) fn have_python() -> bool {
        let ok = Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
        if !ok {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "python3 is required in CI to check the simulated code"
            );
            eprintln!("skipped the Python parse check: python3 is not installed");
        }
        ok
    }

    /// `Ok` when `content` parses as Python 3 source, else Python's error message.
    pub(in super::super) fn python_parses(content: &str) -> Result<(), String> {
        let mut child = Command::new("python3")
            .args(["-c", "import ast, sys; ast.parse(sys.stdin.buffer.read())"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        child.stdin.take().expect("piped stdin").write_all(content.as_bytes()).map_err(|e| e.to_string())?;
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
    }

    /// Every file `module` writes for `template`'s default plan, as the simulated provider
    /// answers each build task and the worker reads the answer back: `(path, content)`.
    /// With `SIM_CODE_DIR` set, also writes them under `$SIM_CODE_DIR/<template>/`, to lay
    /// over a render of the template (see tests/template_render.rs) and run its checks.
    pub(in super::super) fn answered_files(
        template: &str,
        facts: &Facts,
        module: fn(&str, &Facts) -> Option<String>,
    ) -> Vec<(String, String)> {
        use crate::domain::TaskKind;
        use crate::providers::wire::sim_text;
        use crate::providers::{SimHints, rng::Rng};

        let t = crate::templates::find(template).unwrap();
        let mut out = Vec::new();
        for task in &t.manifest.plan {
            let hints = SimHints {
                kind: Some(TaskKind::Team),
                startup: facts.startup.to_string(),
                idea: facts.idea.to_string(),
                role: Some(task.role),
                title: task.title.clone(),
                files: task.files.clone(),
                template: template.to_string(),
                ..SimHints::default()
            };
            let text = sim_text::answer(&hints, &mut Rng::new(7));
            let blocks = crate::orchestrator::answer::file_blocks(&text);
            assert_eq!(blocks.len(), task.files.len(), "task {}: {text}", task.id);
            for (path, content) in blocks {
                let Some(body) = module(&path, facts) else { continue };
                assert_eq!(content, format!("{}{body}", header(&path).unwrap_or_default()), "{path}");
                out.push((path, content));
            }
        }
        if let Some(dir) = std::env::var_os("SIM_CODE_DIR") {
            for (path, content) in &out {
                let p = std::path::Path::new(&dir).join(template).join(path);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, content).unwrap();
            }
        }
        out
    }

    #[test]
    fn the_simulated_answers_carry_the_files_unchanged() {
        let facts = Facts { startup: "Ledgerly", idea: "Bookkeeping for freelancers." };
        let files = answered_files("neoforge", &facts, file);
        assert_eq!(files.len(), 13);
    }

    #[test]
    fn every_backend_and_devops_file_of_the_default_plan_has_working_content() {
        let files = super::super::planned_files("neoforge");
        assert!(files.iter().filter(|p| p.ends_with(".py")).count() >= 10);
        for path in &files {
            let content = file(path, &FACTS);
            if path.starts_with("frontend/src/") {
                assert!(content.is_none(), "{path} belongs to the frontend module");
                continue;
            }
            let content = content.unwrap_or_else(|| panic!("{path} has no simulated content"));
            assert!(content.ends_with('\n'), "{path} must end with a new line");
            assert!(!content.contains("```"), "{path} would break the answer's code fence");
            assert!(!content.contains("Café"), "{path} must not depend on the startup's name");
            assert!(!content.contains("\"simulated\": True"), "{path} is still a placeholder");
            let labelled = format!("{}{content}", header(path).unwrap_or_default());
            assert!(labelled.contains("Simulated output"), "{path} is not labelled simulated");
        }
        assert!(file("backend/app/main.py", &FACTS).is_none(), "main.py is the scaffold's");
        assert!(file("./backend/app/db.py", &FACTS).is_some());
    }

    #[test]
    fn the_python_files_parse_and_a_planted_defect_does_not() {
        if !have_python() {
            return;
        }
        for path in super::super::planned_files("neoforge").iter().filter(|p| p.ends_with(".py")) {
            let content = format!("{}{}", header(path).unwrap(), file(path, &FACTS).unwrap());
            python_parses(&content).unwrap_or_else(|e| panic!("{path} does not parse:\n{e}"));
            let planted = with_defect(path, &content).unwrap();
            if path.rsplit('/').next().is_some_and(|n| n.starts_with("test_")) {
                python_parses(&planted).unwrap_or_else(|e| panic!("{path} with a failing test does not parse:\n{e}"));
                assert!(planted.contains("assert 1 + 1 == 3"));
            } else {
                assert!(python_parses(&planted).is_err(), "{path}: the planted syntax error parses");
            }
        }
    }

    #[test]
    fn the_routers_follow_the_templates_conventions() {
        let auth = file("backend/app/routes/auth.py", &FACTS).unwrap();
        assert!(auth.contains("router = APIRouter(prefix=\"/api/auth\""));
        let items = file("backend/app/routes/items.py", &FACTS).unwrap();
        assert!(items.contains("router = APIRouter(prefix=\"/api/items\""));
        let security = file("backend/app/security.py", &FACTS).unwrap();
        assert!(security.contains("OAuth2PasswordBearer(tokenUrl=\"/api/auth/token\")"));
        assert!(security.contains("PasswordHash.recommended()"));
        assert!(file("backend/app/db.py", &FACTS).unwrap().contains("def init_db("));
        let tests = ["test_auth.py", "test_items.py"]
            .iter()
            .map(|n| file(&format!("backend/tests/{n}"), &FACTS).unwrap().matches("\ndef test_").count())
            .sum::<usize>();
        assert!(tests >= 20, "only {tests} tests");
    }
}
