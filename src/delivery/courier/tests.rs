//! The courier against a loopback receiver: retries until delivered, one key for every
//! attempt, timeouts, refusals without the URL, expiry, and stopping when let go.

use std::sync::atomic::{AtomicU64, Ordering};

use super::*;
use crate::fake_server::webhook::{Answer, WebhookReceiver};

const TOKEN: &str = "T0K3N-hook-s3cr3t-42";
const START: u64 = 1_800_000_000_000;

struct Setup {
    courier: Courier,
    outcomes: mpsc::UnboundedReceiver<Outcome>,
    clock: Arc<AtomicU64>,
}

fn setup(url: &str, timeout_s: u64) -> Setup {
    let mut cfg = AlertsConfig { timeout_s, retry_base_ms: 20, ..AlertsConfig::default() };
    cfg.webhook.url = WebhookUrl::new(url);
    let clock = Arc::new(AtomicU64::new(START));
    let c = Arc::clone(&clock);
    let (tx, outcomes) = mpsc::unbounded_channel();
    let report: Report = Arc::new(move |o| tx.send(o).is_ok());
    let courier =
        Courier::start(&cfg, Arc::new(move || c.load(Ordering::SeqCst)), report, &tokio::runtime::Handle::current());
    Setup { courier, outcomes, clock }
}

fn letter(seq: u64, raised_at: u64) -> Letter {
    Letter {
        seq,
        sink: Sink::Webhook,
        raised_at,
        key: format!("dir1-{seq}"),
        body: Arc::from(format!("{{\"seq\":{seq}}}").into_bytes()),
    }
}

async fn next(s: &mut Setup) -> Outcome {
    tokio::time::timeout(Duration::from_secs(20), s.outcomes.recv()).await.expect("an outcome in time").unwrap()
}

#[tokio::test]
async fn two_500s_then_200_deliver_once_with_one_key() {
    let rx = WebhookReceiver::start(vec![Answer::Status(500), Answer::Status(500)], Answer::Status(200)).await.unwrap();
    let mut s = setup(&rx.url(&format!("/hook/{TOKEN}")), 5);
    assert!(s.courier.has(Sink::Webhook) && !s.courier.has(Sink::Command));
    assert!(s.courier.post(letter(7, START)));
    let first = next(&mut s).await;
    let Result::Failed { error, retry_in_ms: Some(20) } = &first.result else { panic!("{first:?}") };
    assert!(error.starts_with(&format!("http://{}/… answered HTTP 500", rx.addr())), "{error}");
    assert!(
        error.ends_with("; tried again in 20 ms") && !error.contains(TOKEN),
        "the quoted path is scrubbed: {error}"
    );
    let second = next(&mut s).await;
    assert!(matches!(second.result, Result::Failed { retry_in_ms: Some(40), .. }), "doubling: {second:?}");
    assert_eq!(next(&mut s).await.result, Result::Delivered);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got = rx.received();
    assert_eq!(got.len(), 3, "three attempts, none after the success");
    assert!(got.iter().all(|r| r.key.as_deref() == Some("dir1-7") && r.body["seq"] == 7), "{got:?}");
    assert_eq!(rx.accepted().len(), 1, "delivered exactly once");
    assert!(s.outcomes.try_recv().is_err());
}

#[tokio::test]
async fn a_receiver_that_hangs_times_out_and_others_still_get_through_after() {
    let rx = WebhookReceiver::start(vec![Answer::Hang], Answer::Status(204)).await.unwrap();
    let mut s = setup(&rx.url("/hook"), 1);
    let started = std::time::Instant::now();
    s.courier.post(letter(1, START));
    let first = next(&mut s).await;
    let elapsed = started.elapsed();
    let Result::Failed { error, retry_in_ms: Some(_) } = &first.result else { panic!("{first:?}") };
    assert!(error.contains("gave no answer within 1 s (alerts.timeout_s)"), "{error}");
    assert!(elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(next(&mut s).await.result, Result::Delivered);
    assert_eq!(rx.accepted().iter().map(|r| r.key.clone().unwrap()).collect::<Vec<_>>(), ["dir1-1"]);
}

#[tokio::test]
async fn a_refusal_is_not_retried_and_an_old_alert_expires_untried() {
    let rx = WebhookReceiver::start(vec![], Answer::Status(404)).await.unwrap();
    let mut s = setup(&rx.url(&format!("/services/{TOKEN}?token={TOKEN}")), 5);
    s.courier.post(letter(3, START));
    let o = next(&mut s).await;
    let Result::Failed { error, retry_in_ms: None } = &o.result else { panic!("{o:?}") };
    assert!(error.contains("answered HTTP 404: no luck with") && error.ends_with("; not tried again"), "{error}");
    assert!(!error.contains(TOKEN), "{error}");
    // Raised 25 hours before the clock: past the default 24 hours.
    let now = s.clock.load(Ordering::SeqCst);
    s.courier.post(letter(4, now - 25 * 3_600_000));
    assert_eq!(next(&mut s).await, Outcome { seq: 4, sink: Sink::Webhook, at: now, result: Result::Expired });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(rx.received().len(), 1, "the expired alert was never sent");
}

#[tokio::test]
async fn letting_go_of_the_courier_stops_its_retries() {
    let rx = WebhookReceiver::start(vec![], Answer::Status(503)).await.unwrap();
    let mut s = setup(&rx.url("/hook"), 5);
    s.courier.post(letter(9, START));
    next(&mut s).await;
    next(&mut s).await;
    drop(s.courier);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let seen = rx.received().len();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.received().len(), seen, "no attempt after the courier was dropped");
    assert!(seen >= 2);
}

#[test]
fn backoff_doubles_up_to_its_cap() {
    let s = Settings {
        timeout: Duration::from_secs(1),
        base: Duration::from_millis(1_000),
        max: Duration::from_secs(300),
        deliver_ms: 1,
    };
    let waits: Vec<u64> = (0..12).map(|n| s.backoff(n).as_secs()).collect();
    assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
    assert_eq!(s.backoff(u32::MAX), Duration::from_secs(300));
    assert!(later(Duration::MAX) > Instant::now(), "no overflow on an absurd config");
}
