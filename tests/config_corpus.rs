//! The config corpus: every file in tests/configs/valid parses, every file in tests/configs/invalid is refused with the message in its `.expected` file.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::Factory;
use startup_factory::config::{self, Config, GatePolicy};
use startup_factory::domain::{AlertKind, Severity};

fn corpus(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs").join(kind);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

fn expected(p: &Path) -> String {
    let file = p.with_extension("expected");
    fs::read_to_string(&file).unwrap_or_else(|_| panic!("{} has no {}", p.display(), file.display())).trim().to_string()
}

#[test]
fn every_invalid_file_gives_its_message() {
    let files = corpus("invalid");
    assert!(files.len() >= 20, "only {} invalid files", files.len());
    for f in &files {
        let text = fs::read_to_string(f).unwrap();
        let err = config::parse(&text, &name(f)).expect_err(&name(f));
        let want = expected(f);
        assert_eq!(err.message, want, "{}", name(f));
        assert_eq!(err.exit_code(), 2);
        assert!(err.message.starts_with(&format!("{}, line ", name(f))), "names file and line: {}", err.message);
        assert!(err.message.contains(", key `") || name(f).starts_with("syntax_"), "names the key: {}", err.message);
        assert!(!err.message.contains('\n'));
    }
}

#[test]
fn pasted_secrets_are_never_echoed() {
    let secrets: Vec<(PathBuf, String)> = corpus("invalid")
        .into_iter()
        .filter(|f| name(f).starts_with("pasted_secret"))
        .map(|f| {
            let text = fs::read_to_string(&f).unwrap();
            let secret = text.split('"').find(|s| s.starts_with("sk-")).expect("a pasted key").to_string();
            (f, secret)
        })
        .collect();
    assert!(secrets.len() >= 2);
    for (f, secret) in secrets {
        let err = config::parse(&fs::read_to_string(&f).unwrap(), &name(&f)).unwrap_err();
        assert!(!err.message.contains(&secret[..8]), "{}: {}", name(&f), err.message);
    }
}

#[test]
fn webhook_urls_are_never_echoed() {
    let files: Vec<PathBuf> = corpus("invalid")
        .into_iter()
        .filter(|f| fs::read_to_string(f).unwrap().contains("url = \"") && name(f).starts_with("alerts_"))
        .collect();
    assert!(files.len() >= 4, "{files:?}");
    for f in files {
        let err = config::parse(&fs::read_to_string(&f).unwrap(), &name(&f)).unwrap_err();
        assert!(
            !err.message.contains("T0K3N") && !err.message.contains("example.com"),
            "{}: {}",
            name(&f),
            err.message
        );
    }
}

#[test]
fn every_valid_file_parses_and_changes_what_it_says() {
    let files = corpus("valid");
    assert!(files.len() >= 5);
    for f in &files {
        let text = fs::read_to_string(f).unwrap();
        let cfg = config::parse(&text, &name(f)).unwrap_or_else(|e| panic!("{}", e.message));
        assert_ne!(cfg, Config::default(), "{} changes nothing", name(f));
        let written = toml::to_string(&cfg).unwrap();
        assert_eq!(config::parse(&written, "again.toml").unwrap(), cfg, "{} round-trips", name(f));
    }
    let load = |n: &str| {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/valid").join(n);
        config::parse(&fs::read_to_string(p).unwrap(), n).unwrap()
    };
    let gates = load("gates_with_policies_and_reviewers.toml");
    assert_eq!(gates.gates.g2.policy, GatePolicy::AutoIfQuality(0.8));
    assert_eq!(gates.gates.g3.policy, GatePolicy::AutoIfQuality(0.95));
    assert_eq!(gates.gates.g2.reviewers, ["alice", "bob"]);
    assert_eq!(gates.gates.g3.timeout_hours, 6.0, "an unset timeout keeps its default");
    let providers = load("providers_of_each_kind.toml");
    assert_eq!(providers.providers["local"].command(), ["llm", "-m", "gpt-4o-mini"]);
    assert_eq!(providers.providers["openai"].keys(), ["OPENAI_API_KEY", "OPENAI_API_KEY_2"]);
    assert_eq!(providers.providers["openai"].base_url.as_deref(), Some("https://api.openai.com/v1"));
    assert!(!providers.providers["perplexity"].enabled());
    assert_eq!(providers.routing.chains["build"], ["local", "openai", "sim"]);
    let alerts = load("alerts_webhook_and_command.toml").alerts;
    assert_eq!(alerts.command, ["notify-send", "--app-name=factory", "Startup Factory"]);
    assert_eq!((alerts.timeout_s, alerts.deliver_hours, alerts.flush_s), (5, 48.0, 10));
    assert_eq!(alerts.retry_max_s, 300, "an unset key keeps its default");
    assert_eq!(alerts.webhook.kinds, [AlertKind::GateTimeout, AlertKind::RunFailed]);
    assert_eq!(alerts.webhook.min_severity, Severity::Warning);
    assert!(alerts.webhook.url.expose().starts_with("https://hooks.slack.com/services/"));
    assert_eq!(format!("{:?}", alerts.webhook.url), "WebhookUrl(https://hooks.slack.com/…)");
    let keys = load("tui_keys.toml").tui.key_overrides();
    assert_eq!(keys["quit"], ["q", "ctrl-q"]);
    assert_eq!(keys["approve"], ["A"]);
}

#[test]
fn the_binary_refuses_invalid_files_with_exit_code_2() {
    let f = Factory::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/invalid");
    for n in [
        "syntax_unclosed_table",
        "unknown_key_gate",
        "pasted_secret_as_string",
        "tui_decision_on_esc",
        "chain_unknown_provider",
    ] {
        let file = format!("{n}.toml");
        let out: common::Run =
            f.cmd(&["--config", &file, "config", "check"]).current_dir(&dir).output().unwrap().into();
        assert_eq!(out.code, 2, "{n}: {}", out.stderr);
        assert_eq!(out.stderr.trim(), format!("factory: {}", expected(&dir.join(&file))), "{n}");
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/valid");
    for n in ["minimal", "providers_of_each_kind"] {
        let file = format!("{n}.toml");
        let out: common::Run =
            f.cmd(&["--config", &file, "config", "check"]).current_dir(&dir).output().unwrap().into();
        assert_eq!(out.code, 0, "{n}: {}", out.stderr);
        assert!(out.stdout.starts_with(&format!("config OK: {file}")), "{}", out.stdout);
    }
}

#[test]
fn config_check_names_the_alert_sinks_with_the_url_redacted() {
    let f = Factory::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/valid");
    let out: common::Run = f
        .cmd(&["--config", "alerts_webhook_and_command.toml", "config", "check"])
        .current_dir(&dir)
        .output()
        .unwrap()
        .into();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.trim_end().ends_with(
            "; alerts to the webhook https://hooks.slack.com/… (warning and above, only gate_timeout run_failed) and the command notify-send"
        ),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("XXXXXXXX") && !out.stdout.contains("services"), "{}", out.stdout);
}
