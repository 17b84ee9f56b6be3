//! Provider text is untrusted: control sequences and bidi overrides in answers (and in run
//! names) reach the command line's output and the exports only as inert symbols.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use common::Factory;

/// What a terminal would act on: ESC, BEL and other C0/C1 controls, bidi overrides.
fn acting(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| {
            (c.is_control() && *c != '\n')
                || matches!(*c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
        })
        .collect()
}

#[test]
fn hostile_answers_and_names_are_shown_inert_everywhere() {
    let f = Factory::new();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile-provider.sh");
    let chains = ["research", "founder_fit", "spec", "architecture", "plan", "build", "quality", "deploy"]
        .iter()
        .map(|k| format!("{k} = [\"evil\"]\n"))
        .collect::<String>();
    let cfg = f.write(
        "hostile.toml",
        &format!("[providers.evil]\nkind = \"cli\"\ncommand = [\"{}\"]\nmodel = \"sim-standard\"\n\n[routing.chains]\n{chains}\n{}", script.display(), common::NO_CHECKS),
    );
    let cfg = cfg.to_str().unwrap();
    let refused = f.run(&["--config", cfg, "new", "--name", "Evil\u{1b}[2J", "--idea", "x"]);
    assert_eq!(refused.code, 2, "a name with control characters is refused");
    assert!(acting(&refused.stderr).is_empty(), "and the refusal does not echo them raw: {:?}", refused.stderr);
    f.run(&["--config", cfg, "new", "--name", "Evil Corp\u{202E}", "--idea", "An idea\u{7} with a bell"]).ok();
    f.run(&["--config", cfg, "new", "--name", "Plain", "--idea", "An idea"]).ok();
    f.run(&["--config", cfg, "run", "--headless", "--exit-when-idle"]);
    let ws = f.status()["startups"][1]["workspace"].as_str().unwrap().to_string();
    let research = std::fs::read_to_string(std::path::Path::new(&ws).join("docs/research.md")).unwrap();
    assert!(research.contains('\u{1b}'), "the artifact on disk keeps what the provider said");
    for args in [
        vec!["status"],
        vec!["status", "s-02"],
        vec!["gates", "--all"],
        vec!["events"],
        vec!["alerts"],
        vec!["export", "s-01", "--format", "md"],
        vec!["export", "s-02", "--format", "md"],
        vec!["status", "s-01"],
        vec!["export", "s-02", "--format", "json"],
        vec!["status", "--json"],
        vec!["events", "--json"],
    ] {
        let out = f.run(&args);
        let bad = acting(&out.stdout);
        assert!(bad.is_empty(), "`factory {}` printed {bad:?}", args.join(" "));
        assert!(acting(&out.stderr).is_empty(), "`factory {}` stderr", args.join(" "));
    }
    let md = f.run(&["export", "s-01", "--format", "md"]).ok().stdout;
    assert!(acting(&md).is_empty());
    assert!(md.contains("Evil Corp⸮") && md.contains("An idea\u{FFFD} with a bell"), "shown, not hidden:\n{md}");
    let detail = f.run(&["status", "s-02"]).ok().stdout;
    assert!(acting(&detail).is_empty());
    let json = f.run(&["export", "s-02", "--format", "json"]).ok().json();
    assert!(json.is_object(), "the JSON export stays valid JSON");
}
