//! The simulated build of the `vuenuxt` template: a small but real Nuxt 4 app around one
//! resource, items. Shared types with their validation (`shared/types/item.ts`), an
//! in-memory store behind an async interface (`server/utils/store.ts`), the five Nitro
//! routes of `/api/items` with 400 and 404 answers, a layout with navigation, a composable
//! for the mutations, the list and detail pages with pending and error states and a form
//! component; Vitest tests of the store and validation (Node) and of the form and pages
//! (`mountSuspended`, `registerEndpoint`); a compose file and a release workflow.
//!
//! The files live under `assets/sim/vuenuxt/` as real files, so that they can be run and
//! type-checked as a project; the caller adds the "simulated" header comment.

use super::Facts;

/// Each file of the template's default plan (relative to `app/`) and its content.
const FILES: [(&str, &str); 18] = [
    ("shared/types/item.ts", include_str!("../../../../assets/sim/vuenuxt/shared/types/item.ts")),
    ("server/utils/store.ts", include_str!("../../../../assets/sim/vuenuxt/server/utils/store.ts")),
    ("server/api/items/index.get.ts", include_str!("../../../../assets/sim/vuenuxt/server/api/items/index.get.ts")),
    ("server/api/items/index.post.ts", include_str!("../../../../assets/sim/vuenuxt/server/api/items/index.post.ts")),
    ("server/api/items/[id].get.ts", include_str!("../../../../assets/sim/vuenuxt/server/api/items/[id].get.ts")),
    ("server/api/items/[id].put.ts", include_str!("../../../../assets/sim/vuenuxt/server/api/items/[id].put.ts")),
    ("server/api/items/[id].delete.ts", include_str!("../../../../assets/sim/vuenuxt/server/api/items/[id].delete.ts")),
    ("app/layouts/default.vue", include_str!("../../../../assets/sim/vuenuxt/app/layouts/default.vue")),
    ("app/components/AppNav.vue", include_str!("../../../../assets/sim/vuenuxt/app/components/AppNav.vue")),
    ("app/composables/useItems.ts", include_str!("../../../../assets/sim/vuenuxt/app/composables/useItems.ts")),
    ("app/pages/items/index.vue", include_str!("../../../../assets/sim/vuenuxt/app/pages/items/index.vue")),
    ("app/pages/items/[id].vue", include_str!("../../../../assets/sim/vuenuxt/app/pages/items/[id].vue")),
    ("app/components/ItemForm.vue", include_str!("../../../../assets/sim/vuenuxt/app/components/ItemForm.vue")),
    ("test/unit/store.test.ts", include_str!("../../../../assets/sim/vuenuxt/test/unit/store.test.ts")),
    ("test/nuxt/item-form.test.ts", include_str!("../../../../assets/sim/vuenuxt/test/nuxt/item-form.test.ts")),
    ("test/nuxt/items-page.test.ts", include_str!("../../../../assets/sim/vuenuxt/test/nuxt/items-page.test.ts")),
    ("docker-compose.yml", include_str!("../../../../assets/sim/vuenuxt/docker-compose.yml")),
    (".github/workflows/release.yml", include_str!("../../../../assets/sim/vuenuxt/.github/workflows/release.yml")),
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

    const FACTS: Facts = Facts { startup: "Café \"Zoë\" & Co", idea: "Bookkeeping for freelancers." };

    #[test]
    fn every_file_of_the_default_plan_has_working_content() {
        let planned = super::super::planned_files("vuenuxt");
        for path in &planned {
            let content = file(path, &FACTS).unwrap_or_else(|| panic!("no simulated content for {path}"));
            assert!(content.trim().len() > 50, "{path} is too short to be working code");
            assert!(!content.contains("simulated: true"), "{path} is a placeholder");
            assert!(header(path).is_some(), "{path} would not be labelled simulated");
        }
        assert_eq!(planned.len(), FILES.len(), "a file here is in no task of the default plan");
        assert_eq!(file("app/pages/nowhere.vue", &FACTS), None);
        assert!(file("./server/utils/store.ts", &FACTS).is_some());
    }

    #[test]
    fn the_tests_assert_and_the_routes_answer_errors() {
        let test = file("test/nuxt/items-page.test.ts", &FACTS).unwrap();
        assert!(test.matches("expect(").count() >= 10, "{test}");
        let post = file("server/api/items/index.post.ts", &FACTS).unwrap();
        assert!(post.contains("statusCode: 400"));
        assert!(file("server/api/items/[id].get.ts", &FACTS).unwrap().contains("statusCode: 404"));
    }

    #[test]
    fn the_compose_file_is_named_after_the_startup() {
        let compose = file("docker-compose.yml", &FACTS).unwrap();
        assert!(compose.contains("name: caf-zo-co\n"), "{compose}");
        assert!(compose.contains("caf-zo-co-web:latest"));
        assert!(!compose.contains(SLUG_PLACEHOLDER));
    }

    #[test]
    fn a_planted_defect_lands_inside_a_components_script() {
        let path = "app/layouts/default.vue";
        let content = format!("{}{}", header(path).unwrap(), file(path, &FACTS).unwrap());
        let planted = with_defect(path, &content).unwrap();
        let script_end = planted.find("</script>").unwrap();
        assert!(planted[..script_end].contains("const plantedDefect = ;"), "{planted}");
    }

    #[test]
    fn writes_the_app_when_asked() {
        super::super::neoforge_frontend::tests::write_app_when_asked("vuenuxt");
    }
}
