//! The simulated build of the `reactnext` template: a small but real Next.js 16 app around
//! one resource, items. Types and validation (`lib/models.ts`), an in-memory store behind
//! an async interface (`lib/store.ts`), the route handlers of `/api/items` with 400 and 404
//! answers, the root layout with a navigation, the typed API client, the list and detail
//! pages (client components with loading and error states) and the form component; Vitest
//! tests that call the route handlers directly and render the form and pages with Testing
//! Library against a stubbed fetch; a compose file and a release workflow.
//!
//! The files live under `assets/sim/reactnext/` as real files, so that they can be run,
//! type-checked and linted as a project; the caller adds the "simulated" header comment.

use super::Facts;

/// Each file of the template's default plan (relative to `app/`) and its content.
const FILES: [(&str, &str); 15] = [
    ("lib/models.ts", include_str!("../../../../assets/sim/reactnext/lib/models.ts")),
    ("lib/store.ts", include_str!("../../../../assets/sim/reactnext/lib/store.ts")),
    ("app/api/items/route.ts", include_str!("../../../../assets/sim/reactnext/app/api/items/route.ts")),
    ("app/api/items/[id]/route.ts", include_str!("../../../../assets/sim/reactnext/app/api/items/[id]/route.ts")),
    ("app/layout.tsx", include_str!("../../../../assets/sim/reactnext/app/layout.tsx")),
    ("components/site-nav.tsx", include_str!("../../../../assets/sim/reactnext/components/site-nav.tsx")),
    ("lib/api.ts", include_str!("../../../../assets/sim/reactnext/lib/api.ts")),
    ("app/items/page.tsx", include_str!("../../../../assets/sim/reactnext/app/items/page.tsx")),
    ("app/items/[id]/page.tsx", include_str!("../../../../assets/sim/reactnext/app/items/[id]/page.tsx")),
    ("components/item-form.tsx", include_str!("../../../../assets/sim/reactnext/components/item-form.tsx")),
    ("__tests__/items-api.test.ts", include_str!("../../../../assets/sim/reactnext/__tests__/items-api.test.ts")),
    ("__tests__/item-form.test.tsx", include_str!("../../../../assets/sim/reactnext/__tests__/item-form.test.tsx")),
    ("__tests__/items-page.test.tsx", include_str!("../../../../assets/sim/reactnext/__tests__/items-page.test.tsx")),
    ("docker-compose.yml", include_str!("../../../../assets/sim/reactnext/docker-compose.yml")),
    (".github/workflows/release.yml", include_str!("../../../../assets/sim/reactnext/.github/workflows/release.yml")),
];

/// The placeholder for the startup's slug in the asset files (compose project and image).
const SLUG_PLACEHOLDER: &str = "sim-app";

/// The working content of `path` (relative to `app/`), or `None` for a path outside the
/// template's default plan.
pub fn file(path: &str, facts: &Facts) -> Option<String> {
    let path = path.trim_start_matches("./");
    let (_, content) = FILES.iter().find(|(p, _)| *p == path)?;
    Some(content.replace(SLUG_PLACEHOLDER, &crate::templates::slug(facts.startup)))
}

#[cfg(test)]
mod tests {
    use super::super::{header, with_defect};
    use super::*;

    const FACTS: Facts = Facts { startup: "Ledgerly", idea: "Bookkeeping for freelancers." };

    #[test]
    fn every_file_of_the_default_plan_has_working_content() {
        let planned = super::super::planned_files("reactnext");
        for path in &planned {
            let content = file(path, &FACTS).unwrap_or_else(|| panic!("no simulated content for {path}"));
            assert!(content.trim().len() > 100, "{path} is too short to be working code");
            assert!(!content.contains("simulated: true"), "{path} is a placeholder");
            assert!(header(path).is_some(), "{path} would not be labelled simulated");
        }
        assert_eq!(planned.len(), FILES.len(), "a file here is in no task of the default plan");
        assert_eq!(file("app/nowhere/page.tsx", &FACTS), None);
    }

    #[test]
    fn client_components_keep_their_directive_first_after_the_header() {
        for path in
            ["components/item-form.tsx", "components/site-nav.tsx", "app/items/page.tsx", "app/items/[id]/page.tsx"]
        {
            let content = format!("{}{}", header(path).unwrap(), file(path, &FACTS).unwrap());
            let first_code = content.lines().find(|l| !l.trim().is_empty() && !l.starts_with("//")).unwrap();
            assert_eq!(first_code, "\"use client\";", "{path}");
        }
    }

    #[test]
    fn the_tests_assert_and_the_routes_answer_errors() {
        let api_test = file("__tests__/items-api.test.ts", &FACTS).unwrap();
        assert!(api_test.matches("expect(").count() >= 20);
        let routes = file("app/api/items/[id]/route.ts", &FACTS).unwrap();
        assert!(routes.contains("status: 404") && routes.contains("status: 400"));
        assert!(file("docker-compose.yml", &FACTS).unwrap().contains("image: ${IMAGE:-ledgerly-web:latest}"));
    }

    #[test]
    fn a_planted_defect_breaks_a_test_or_the_type_check() {
        let test = with_defect("__tests__/item-form.test.tsx", &file("__tests__/item-form.test.tsx", &FACTS).unwrap());
        assert!(test.unwrap().contains("plantedExpect(1 + 1).toBe(3)"));
        let source = with_defect("lib/store.ts", &file("lib/store.ts", &FACTS).unwrap()).unwrap();
        assert!(source.contains("plantedDefect: number = \"planted defect\""));
    }

    #[test]
    fn writes_the_app_when_asked() {
        super::super::neoforge_frontend::tests::write_app_when_asked("reactnext");
    }
}
