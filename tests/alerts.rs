//! Alerts that reach people, through the binary: a failed run's alert goes to a webhook
//! that fails twice (delivered once, with one idempotency key) and to a command (the JSON
//! on its standard input); `--exit-when-idle` waits for pending deliveries, says on
//! standard error what is left, and the next start delivers it.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::Factory;
use serde_json::Value;
use startup_factory::fake_server::webhook::{Answer, WebhookReceiver};

const TOKEN: &str = "hook-T0K3N-s3cr3t-9f2";

/// A config whose build answers write outside the workspace (the run fails), with the
/// simulated provider fast, and `alerts` added.
fn config(f: &Factory, alerts: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/escape-provider.sh");
    let text = format!(
        "[providers.evil]\nkind = \"cli\"\ncommand = [\"{}\"]\n\n[routing.chains]\nbuild = [\"evil\"]\n\n\
         [sim]\nlatency_ms = 5\n\n{}\n{alerts}",
        script.display(),
        common::NO_CHECKS
    );
    f.write("alerts.toml", &text).to_str().unwrap().to_string()
}

/// Runs the binary off the async runtime (the receiver keeps serving meanwhile).
async fn run(f: &Factory, args: &[&str]) -> common::Run {
    let mut cmd = f.cmd(args);
    tokio::task::spawn_blocking(move || cmd.output().expect("the factory binary runs").into()).await.unwrap()
}

fn alerts_json(f: &Factory, cfg: &str) -> Value {
    f.run(&["--config", cfg, "alerts", "--json"]).ok().json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_runs_alert_reaches_a_flaky_webhook_once_and_a_command_on_stdin() {
    let rx = WebhookReceiver::start(vec![Answer::Status(500), Answer::Status(500)], Answer::Status(200)).await.unwrap();
    let f = Factory::new();
    let got = f.dir.path().join("command-got.json");
    let cfg = config(
        &f,
        &format!(
            "[alerts]\ncommand = [\"sh\", \"-c\", \"cat > '{}'\"]\nretry_base_ms = 50\n\n[alerts.webhook]\nurl = \"{}\"\nmin_severity = \"critical\"\n",
            got.display(),
            rx.url(&format!("/hook/{TOKEN}"))
        ),
    );
    run(&f, &["--config", &cfg, "new", "--name", "Doomed", "--idea", "Fails in its build"]).await.ok();
    let started = Instant::now();
    let out = run(&f, &["--config", &cfg, "run", "--headless", "--exit-when-idle", "--auto-approve", "--quiet"]).await;
    let took = started.elapsed();
    assert_eq!(out.code, 1, "a failed run exits 1: {}", out.stderr);
    assert!(out.stderr.contains("1 run(s) failed: s-01"), "{}", out.stderr);
    assert!(!out.stderr.contains("still pending"), "delivered before exiting: {}", out.stderr);
    eprintln!("run to failure, with the webhook's two 500s and the delivery: {took:?}");

    // The webhook: two 500s, then one success, all for the one alert under one key.
    let seen = rx.received();
    assert_eq!(seen.iter().map(|r| r.status).collect::<Vec<_>>(), [Some(500), Some(500), Some(200)]);
    let key = seen[0].key.clone().expect("Idempotency-Key");
    assert!(seen.iter().all(|r| r.key.as_deref() == Some(key.as_str()) && r.path == format!("/hook/{TOKEN}")));
    let doc = &seen[2].body;
    assert_eq!(
        (doc["kind"].as_str(), doc["severity"].as_str(), doc["run"].as_str()),
        (Some("run_failed"), Some("critical"), Some("s-01"))
    );
    assert_eq!(doc["id"], key.as_str());
    assert!(doc["text"].as_str().unwrap().starts_with("Startup Factory critical · run_failed · s-01: s-01 failed: "));
    assert!(doc["ts"].as_str().unwrap().ends_with('Z') && doc["gate"].is_null());

    // The command got the same document (critical or not: it takes every alert).
    let from_command: Value = serde_json::from_str(&std::fs::read_to_string(&got).unwrap()).unwrap();
    assert_eq!(&from_command, doc);

    // `factory alerts` counts the attempts and shows the failures, the URL redacted.
    let json = alerts_json(&f, &cfg);
    let alert = json["alerts"].as_array().unwrap().iter().find(|a| a["alert"] == "run_failed").unwrap();
    let webhook = alert["deliveries"].as_array().unwrap().iter().find(|d| d["sink"] == "webhook").unwrap();
    assert_eq!(
        (webhook["state"].as_str(), webhook["attempts"].as_u64(), webhook["failed_attempts"].as_u64()),
        (Some("delivered"), Some(3), Some(2))
    );
    let error = webhook["last_error"].as_str().unwrap();
    assert!(
        error.starts_with(&format!("http://{}/… answered HTTP 500", rx.addr())) && !error.contains(TOKEN),
        "{error}"
    );
    assert_eq!(json["deliveries"]["attempts"], 4);
    assert_eq!(json["deliveries"]["delivered"], 2);
    let text = f.run(&["--config", &cfg, "alerts"]).ok().stdout;
    assert!(text.contains("deliveries: 4 attempts, 2 failed; 2 delivered\n"), "{text}");
    assert!(text.contains("webhook delivered 3 attempts, 2 failed\n"), "{text}");
    assert!(!text.contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_undelivered_at_exit_is_said_and_delivered_at_the_next_start() {
    // A port with nothing listening on it until the second start.
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let f = Factory::new();
    let url = format!("http://{addr}/hook/{TOKEN}");
    let cfg = config(&f, &format!("[alerts]\nflush_s = 1\nretry_base_ms = 100\n\n[alerts.webhook]\nurl = \"{url}\"\n"));
    run(&f, &["--config", &cfg, "new", "--name", "Doomed", "--idea", "Fails in its build"]).await.ok();
    let started = Instant::now();
    let out = run(&f, &["--config", &cfg, "run", "--headless", "--exit-when-idle", "--auto-approve", "--quiet"]).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    let left = lines[0];
    assert!(left.starts_with("factory: 1 alert delivery still pending after 1 s (alerts.flush_s): #"), "{left}");
    assert!(left.contains(&format!(" to the webhook (cannot reach http://{addr}/… (")), "{left}");
    assert!(left.ends_with("; kept queued, to be tried again at the next start"), "{left}");
    assert!(!out.stderr.contains(TOKEN));
    assert!(started.elapsed() < Duration::from_secs(30), "the wait is bounded");
    let pending = alerts_json(&f, &cfg)["deliveries"].clone();
    assert_eq!((pending["pending"].as_u64(), pending["delivered"].as_u64()), (Some(1), Some(0)), "{pending}");
    assert!(pending["failed_attempts"].as_u64().unwrap() >= 2, "retried while waiting: {pending}");

    // The receiver comes up; the next start delivers what was queued, and exits clean of it.
    let rx = WebhookReceiver::start_at(addr, vec![], Answer::Status(200)).await.unwrap();
    let out = run(&f, &["--config", &cfg, "run", "--headless", "--exit-when-idle", "--quiet"]).await;
    assert_eq!(out.code, 1, "the run is still failed: {}", out.stderr);
    assert!(!out.stderr.contains("still pending"), "{}", out.stderr);
    let seen = rx.received();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].body["kind"], "run_failed");
    assert_eq!(seen[0].key.as_deref(), seen[0].body["id"].as_str());
    let after = alerts_json(&f, &cfg);
    assert_eq!(after["deliveries"]["delivered"], 1);
    assert_eq!(after["deliveries"]["pending"], 0);
}
