//! The JSON document sent for one alert: a Slack-compatible `text` line, then the alert's
//! structured fields (kind, severity, run, gate, message, ts), its number and its
//! idempotency key (`id`, also the `Idempotency-Key` header).

use serde_json::{Value, json};

use crate::domain::{Event, EventKind, GateId};

/// The idempotency key of an alert: the data directory's id and the alert's number, the
/// same on every attempt and after a restart, so that a receiver can drop repeats.
pub fn key(source: &str, seq: u64) -> String {
    format!("{source}-{seq}")
}

/// The document for an alert event (`None` for any other event).
pub fn of(event: &Event, gate: Option<GateId>, source: &str) -> Option<Value> {
    let EventKind::Alert { alert, message } = &event.kind else {
        return None;
    };
    let severity = alert.severity();
    let run = event.startup.map(|r| r.to_string());
    let text = format!(
        "Startup Factory {} · {}{}: {}",
        severity.as_str(),
        alert.as_str(),
        run.as_deref().map(|r| format!(" · {r}")).unwrap_or_default(),
        slack_escape(&crate::sanitize::line(message))
    );
    Some(json!({
        "text": text,
        "kind": alert.as_str(),
        "severity": severity.as_str(),
        "run": run,
        "gate": gate.map(|g| g.to_string()),
        "message": message,
        "ts": crate::fmt::format_ts(event.ts),
        "ts_ms": event.ts,
        "seq": event.seq,
        "id": key(source, event.seq),
        "source": "startup-factory",
    }))
}

/// Slack reads `<...>` as a link or a mention (`<!channel>`) and `&` as an entity: the
/// three are escaped as Slack asks, so that a run's name cannot ping a channel.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AlertKind, GateCode, RunId};

    #[test]
    fn an_alert_becomes_text_and_fields() {
        let e = Event {
            seq: 12,
            ts: 1_764_139_500_123,
            startup: Some(RunId(1)),
            kind: EventKind::Alert {
                alert: AlertKind::GateTimeout,
                message: "gate s-01.G1.0 waits <!channel> & \u{1b}[31mred".into(),
            },
        };
        let gate = GateId { run: RunId(1), code: GateCode::G1, n: 0 };
        let d = of(&e, Some(gate), "ab12cd34").unwrap();
        assert_eq!(d["kind"], "gate_timeout");
        assert_eq!(d["severity"], "warning");
        assert_eq!(d["run"], "s-01");
        assert_eq!(d["gate"], "s-01.G1.0");
        assert_eq!(d["ts"], "2025-11-26T06:45:00.123Z");
        assert_eq!(d["seq"], 12);
        assert_eq!(d["id"], "ab12cd34-12");
        assert_eq!(d["message"], "gate s-01.G1.0 waits <!channel> & \u{1b}[31mred", "the field keeps the value");
        let text = d["text"].as_str().unwrap();
        assert!(text.starts_with("Startup Factory warning · gate_timeout · s-01: gate s-01.G1.0"), "{text}");
        assert!(text.contains("&lt;!channel&gt; &amp;") && !text.contains('\u{1b}'), "{text}");
        let paused = Event { kind: EventKind::RunPaused, ..e };
        assert!(of(&paused, None, "x").is_none());
    }
}
