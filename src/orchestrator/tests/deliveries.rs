//! Alerts delivered through the orchestrator to a loopback webhook and a command: exactly
//! once despite failures (one idempotency key per alert), without holding the orchestrator
//! up when the receiver hangs, kept in the store across a restart, and a failed run's alert.

use std::time::Instant;

use super::*;
use crate::config::WebhookUrl;
use crate::delivery::{Delivery, DeliveryState, Sink};
use crate::fake_server::webhook::{Answer, WebhookReceiver};

const TOKEN: &str = "hook-T0K3N-s3cr3t";

fn with_webhook(t: &mut Harness, url: String, timeout_s: u64) {
    t.cfg.alerts.webhook.url = WebhookUrl::new(url);
    t.cfg.alerts.timeout_s = timeout_s;
    t.cfg.alerts.retry_base_ms = 20;
}

async fn deliveries(h: &OrchestratorHandle) -> Vec<Delivery> {
    match h.request(Command::Alerts).await.unwrap() {
        Reply::Alerts { deliveries, .. } => deliveries,
        other => panic!("{other:?}"),
    }
}

/// Polls the alerts until `cond` holds of the deliveries (or fails after 30 s).
async fn deliveries_until(h: &OrchestratorHandle, what: &str, cond: impl Fn(&[Delivery]) -> bool) -> Vec<Delivery> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let d = deliveries(h).await;
        if cond(&d) {
            return d;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}: {d:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Two runs waiting at G0, then past its timeout: two gate timeout alerts.
async fn two_timeouts(t: &Harness, h: &OrchestratorHandle) {
    new_run(h, "A", None).await;
    new_run(h, "B", None).await;
    gate_waiting(h, GateCode::G0).await;
    t.advance(49 * 3_600_000);
    until(h, "two timeout alerts", |s| s.alerts == 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_alert_reaches_a_webhook_that_fails_twice_exactly_once() {
    let rx = WebhookReceiver::start(vec![Answer::Status(500), Answer::Status(500)], Answer::Status(200)).await.unwrap();
    let mut t = Harness::new();
    with_webhook(&mut t, rx.url(&format!("/hook/{TOKEN}")), 5);
    let h = t.start(true, false);
    two_timeouts(&t, &h).await;
    let done = deliveries_until(&h, "both delivered", |d| {
        d.len() == 2 && d.iter().all(|d| d.state == DeliveryState::Delivered)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got = rx.received();
    // Every attempt counted: the two 500s and one success per alert.
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(done.iter().map(|d| d.attempts).sum::<u32>(), 4);
    assert_eq!(done.iter().map(|d| d.failures).sum::<u32>(), 2);
    assert!(
        done.iter().filter(|d| d.failures > 0).all(|d| {
            d.last_error.as_deref().is_some_and(|e| e.contains("answered HTTP 500") && !e.contains(TOKEN))
        })
    );
    for d in &done {
        let mine: Vec<_> = got.iter().filter(|r| r.body["seq"] == d.seq).collect();
        assert_eq!(mine.iter().filter(|r| r.accepted()).count(), 1, "alert #{} accepted once", d.seq);
        assert!(mine.last().unwrap().accepted(), "nothing sent after it was accepted");
        let key = mine[0].key.clone().expect("an Idempotency-Key header");
        assert!(key.ends_with(&format!("-{}", d.seq)) && key.len() > 4, "{key}");
        assert!(mine.iter().all(|r| r.key.as_deref() == Some(key.as_str()) && r.body["id"] == key.as_str()));
        let body = &mine[0].body;
        let run = d.gate.map(|g| g.run.to_string()).expect("the run's gate is kept with the delivery");
        assert_eq!((body["kind"].as_str(), body["severity"].as_str()), (Some("gate_timeout"), Some("warning")));
        assert_eq!(body["run"], run.as_str());
        assert_eq!(body["gate"], format!("{run}.G0.0").as_str());
        assert!(body["text"].as_str().unwrap().starts_with("Startup Factory warning · gate_timeout · s-0"));
        assert!(body["message"].as_str().unwrap().contains("has waited"));
        assert_eq!(d.gate.map(|g| g.to_string()), Some(format!("{run}.G0.0")));
    }
    h.shutdown().await.unwrap();
    // Delivered alerts are not sent again after a restart.
    let h = t.start(true, false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), 4);
    assert!(deliveries(&h).await.iter().all(|d| d.state == DeliveryState::Delivered && d.attempts >= 1));
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_that_hangs_times_out_while_the_orchestrator_keeps_working() {
    let rx = WebhookReceiver::start(vec![], Answer::Hang).await.unwrap();
    let mut t = Harness::new();
    with_webhook(&mut t, rx.url("/hook"), 1);
    let h = t.start(true, false);
    two_timeouts(&t, &h).await;
    // While the receiver holds the first attempt, commands are answered and a new run moves.
    let mut slowest = Duration::ZERO;
    let started = Instant::now();
    new_run(&h, "C", None).await;
    while started.elapsed() < Duration::from_millis(800) {
        let asked = Instant::now();
        detail(&h, "s-01").await;
        slowest = slowest.max(asked.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    until(&h, "the new run at G0", |s| s.runs[2].gate == Some(GateCode::G0)).await;
    assert!(!rx.received().is_empty(), "an attempt is in flight");
    assert!(slowest < Duration::from_millis(500), "a command waited {slowest:?}");
    eprintln!("slowest status reply while the webhook hung: {slowest:?}");
    let d = deliveries_until(&h, "a timed-out attempt", |d| d.iter().any(|d| d.failures > 0)).await;
    let failed = d.iter().find(|d| d.failures > 0).unwrap();
    assert_eq!(failed.state, DeliveryState::Pending, "tried again");
    let error = failed.last_error.as_deref().unwrap();
    assert!(error.contains("gave no answer within 1 s (alerts.timeout_s); tried again in"), "{error}");
    let stop = Instant::now();
    h.shutdown().await.unwrap();
    assert!(stop.elapsed() < Duration::from_secs(2), "a hanging delivery does not hold up the shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undelivered_alert_waits_in_the_store_and_goes_out_at_the_next_start() {
    // A receiver down for maintenance until the next start.
    let rx = WebhookReceiver::start(vec![], Answer::Status(503)).await.unwrap();
    let addr = rx.addr();
    let mut t = Harness::new();
    with_webhook(&mut t, format!("http://{addr}/hook/{TOKEN}"), 5);
    let h = t.start(true, false);
    new_run(&h, "A", None).await;
    gate_waiting(&h, GateCode::G0).await;
    t.advance(49 * 3_600_000);
    let d = deliveries_until(&h, "a failed attempt", |d| d.iter().any(|d| d.failures > 0)).await;
    let error = d[0].last_error.clone().unwrap();
    assert!(error.starts_with(&format!("http://{addr}/… answered HTTP 503: no luck with [redacted]")), "{error}");
    h.shutdown().await.unwrap();
    // An attempt cut off by the shutdown lands (refused) before the receiver recovers.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let tried = rx.received().len();
    let key = rx.received()[0].key.clone().unwrap();
    rx.answer(vec![], Answer::Status(200));

    // A command that only reads (no dispatch) leaves it queued.
    let h = t.start(false, false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), tried, "only an owner that dispatches delivers");
    assert_eq!(deliveries(&h).await[0].state, DeliveryState::Pending);
    h.shutdown().await.unwrap();
    let h = t.start(true, false);
    let d = deliveries_until(&h, "the delivery", |d| d[0].state == DeliveryState::Delivered).await;
    assert!(d[0].attempts >= 2 && d[0].failures == d[0].attempts - 1, "{d:?}");
    let got = rx.accepted();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body["kind"], "gate_timeout");
    assert_eq!(got[0].key.as_deref(), Some(key.as_str()), "the same idempotency key after the restart");
    assert_eq!(got[0].body["id"], key.as_str());
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_raises_an_alert_that_the_command_gets_on_standard_input() {
    let mut t = Harness::new();
    let out = t.dir.path().join("alerts.jsonl");
    t.build_with_script("careless", "cat >/dev/null; printf '### File: ../escaped.txt\\n```text\\nx\\n```\\n'".into());
    t.cfg.alerts.command = vec!["sh".into(), "-c".into(), format!("cat >> '{}'", out.display())];
    // Only critical alerts to the webhook, and none is configured: the command alone.
    t.cfg.alerts.webhook.min_severity = crate::domain::Severity::Critical;
    let h = t.start(true, true);
    new_run(&h, "Careless", None).await;
    until(&h, "the failure", |s| s.runs[0].status == RunStatus::Failed).await;
    assert!(alerts(&h).await.contains(&AlertKind::RunFailed));
    let d = deliveries_until(&h, "the command's delivery", |d| {
        d.iter().any(|d| d.sink == Sink::Command && d.state == DeliveryState::Delivered)
    })
    .await;
    assert!(d.iter().all(|d| d.sink == Sink::Command), "no webhook configured: {d:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    let docs: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let failed = docs.iter().find(|d| d["kind"] == "run_failed").expect("the run_failed document");
    assert_eq!((failed["run"].as_str(), failed["severity"].as_str()), (Some("s-01"), Some("critical")));
    assert!(failed["message"].as_str().unwrap().starts_with("s-01 failed: "), "{failed}");
    let message = failed["message"].as_str().unwrap();
    assert!(message.ends_with("`factory resume s-01` tries again"), "{message}");
    assert_eq!(message.matches("factory resume").count(), 1, "said once: {message}");
    h.shutdown().await.unwrap();
}
