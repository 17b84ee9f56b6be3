//! Before `--exit-when-idle` exits: waiting for the alert deliveries still pending, for at
//! most `alerts.flush_s`, then saying on standard error what is left, which stays queued in
//! the data directory for the next start.

use std::time::Duration;

use crate::delivery::{Delivery, DeliveryState};
use crate::orchestrator::{Command, OrchestratorHandle, Reply};

/// How often the owner is asked while waiting.
const POLL: Duration = Duration::from_millis(100);
/// Deliveries named in the message; the rest are counted.
const NAMED: usize = 5;

/// Waits until no delivery is pending, `limit` passes, or a signal comes (then it stops
/// waiting at once); says on standard error what is still pending.
pub async fn wait(handle: &OrchestratorHandle, limit: Duration, stop: &mut crate::signals::Signals) {
    let now = tokio::time::Instant::now();
    let deadline = now.checked_add(limit).unwrap_or_else(|| now + Duration::from_secs(365 * 86_400));
    loop {
        let pending = match handle.request(Command::Alerts).await {
            Ok(Reply::Alerts { deliveries, .. }) => {
                deliveries.into_iter().filter(|d| d.state == DeliveryState::Pending).collect::<Vec<_>>()
            }
            // The owner is gone or cannot say: nothing to wait for here.
            _ => return,
        };
        if pending.is_empty() {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            crate::cli::say::errln(left(&pending, limit));
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = stop.recv() => {
                crate::cli::say::errln(left(&pending, limit));
                return;
            }
        }
    }
}

/// `factory: 2 alert deliveries still pending after 30 s (alerts.flush_s): #12 to the
/// webhook (why), #13 to the command (not tried yet); kept queued, to be tried again at the
/// next start`.
fn left(pending: &[Delivery], limit: Duration) -> String {
    let mut named: Vec<String> = pending
        .iter()
        .take(NAMED)
        .map(|d| {
            let why = d.last_error.clone().unwrap_or_else(|| "not tried yet".into());
            format!("#{} to the {} ({why})", d.seq, d.sink.as_str())
        })
        .collect();
    if pending.len() > NAMED {
        named.push(format!("and {} more", pending.len() - NAMED));
    }
    format!(
        "factory: {} still pending after {} s (alerts.flush_s): {}; kept queued, to be tried again at the next start",
        if pending.len() == 1 { "1 alert delivery".to_string() } else { format!("{} alert deliveries", pending.len()) },
        limit.as_secs_f64(),
        named.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::Sink;

    #[test]
    fn what_is_left_is_named_with_why() {
        let mut a = Delivery::new(12, Sink::Webhook, None, 0);
        a.last_error = Some("http://127.0.0.1:9/… answered HTTP 500; tried again in 4s".into());
        let b = Delivery::new(13, Sink::Command, None, 0);
        assert_eq!(
            left(&[a.clone(), b], Duration::from_secs(30)),
            "factory: 2 alert deliveries still pending after 30 s (alerts.flush_s): #12 to the webhook \
             (http://127.0.0.1:9/… answered HTTP 500; tried again in 4s), #13 to the command (not tried yet); \
             kept queued, to be tried again at the next start"
        );
        let many: Vec<Delivery> = (1..=7).map(|n| Delivery::new(n, Sink::Webhook, None, 0)).collect();
        let text = left(&many, Duration::from_millis(500));
        assert!(text.starts_with("factory: 7 alert deliveries still pending after 0.5 s"), "{text}");
        assert!(text.contains("#5 to the webhook (not tried yet), and 2 more; kept queued"), "{text}");
        assert!(left(&[Delivery::new(1, Sink::Webhook, None, 0)], Duration::ZERO).contains("1 alert delivery still"));
    }
}
