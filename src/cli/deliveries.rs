//! How alert deliveries show in `factory alerts`: in the JSON, each alert's deliveries and
//! the totals; in the text, the attempts counted and every delivery that did not go
//! through at the first attempt, with why. Nothing is added when no sink ever had an alert.

use serde_json::{Value, json};

use crate::delivery::{Delivery, DeliveryState, Totals};
use crate::fmt::format_ts;

fn delivery_json(d: &Delivery) -> Value {
    json!({
        "sink": d.sink.as_str(),
        "state": d.state.as_str(),
        "attempts": d.attempts,
        "failed_attempts": d.failures,
        "last_error": d.last_error,
        "last_attempt_at": d.last_attempt_at.map(format_ts),
        "delivered_at": d.delivered_at.map(format_ts),
    })
}

/// `alerts_json`'s document with `deliveries` added to each alert, and the totals.
pub fn add_to_json(mut doc: Value, deliveries: &[Delivery]) -> Value {
    if let Some(items) = doc.get_mut("alerts").and_then(Value::as_array_mut) {
        for item in items {
            let seq = item["seq"].as_u64();
            let mine: Vec<Value> = deliveries.iter().filter(|d| Some(d.seq) == seq).map(delivery_json).collect();
            item["deliveries"] = Value::Array(mine);
        }
    }
    doc["deliveries"] = serde_json::to_value(Totals::of(deliveries)).unwrap_or(Value::Null);
    doc
}

/// The deliveries section of `alerts_text`: empty when there is none.
pub fn text(deliveries: &[Delivery]) -> String {
    if deliveries.is_empty() {
        return String::new();
    }
    let t = Totals::of(deliveries);
    let states: Vec<String> = [
        (t.delivered, "delivered"),
        (t.pending, "pending"),
        (t.held, "held (sink not configured now)"),
        (t.failed, "refused"),
        (t.expired, "expired"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    let mut out = format!(
        "deliveries: {}, {} failed; {}\n",
        crate::plural::count(t.attempts, "attempt"),
        t.failed_attempts,
        states.join(", ")
    );
    let width = deliveries.iter().map(|d| d.seq.to_string().len()).max().unwrap_or(1) + 1;
    for d in deliveries.iter().filter(|d| d.failures > 0 || d.state != DeliveryState::Delivered) {
        let tries = if d.attempts == 0 {
            "not tried yet".to_string()
        } else {
            format!("{}, {} failed", crate::plural::count(d.attempts as u64, "attempt"), d.failures)
        };
        let why = match (&d.state, &d.last_error) {
            (DeliveryState::Delivered, _) => String::new(),
            (_, Some(e)) => format!(": {e}"),
            (_, None) => String::new(),
        };
        out.push_str(&format!(
            "  {:<width$} {:<7} {:<9} {tries}{why}\n",
            format!("#{}", d.seq),
            d.sink.as_str(),
            d.state.as_str()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::Sink;

    fn d(seq: u64, sink: Sink, state: DeliveryState, attempts: u32, failures: u32) -> Delivery {
        Delivery {
            state,
            attempts,
            failures,
            last_error: (failures > 0).then(|| "http://127.0.0.1:9/… answered HTTP 500; tried again in 4s".into()),
            ..Delivery::new(seq, sink, None, 0)
        }
    }

    #[test]
    fn attempts_are_counted_and_failures_said() {
        let all = [
            d(3, Sink::Webhook, DeliveryState::Delivered, 1, 0),
            d(3, Sink::Command, DeliveryState::Delivered, 3, 2),
            d(12, Sink::Webhook, DeliveryState::Pending, 4, 4),
            d(13, Sink::Webhook, DeliveryState::Held, 0, 0),
        ];
        let text = text(&all);
        assert_eq!(
            text,
            "deliveries: 8 attempts, 6 failed; 2 delivered, 1 pending, 1 held (sink not configured now)\n\
             \x20 #3  command delivered 3 attempts, 2 failed\n\
             \x20 #12 webhook pending   4 attempts, 4 failed: http://127.0.0.1:9/… answered HTTP 500; tried again in 4s\n\
             \x20 #13 webhook held      not tried yet\n"
        );
        assert_eq!(super::text(&[]), "", "no section without deliveries");
        let doc = add_to_json(json!({"alerts": [{"seq": 3}, {"seq": 5}]}), &all);
        assert_eq!(doc["alerts"][0]["deliveries"].as_array().unwrap().len(), 2);
        assert_eq!(doc["alerts"][0]["deliveries"][1]["failed_attempts"], 2);
        assert_eq!(doc["alerts"][1]["deliveries"], json!([]));
        assert_eq!(doc["deliveries"]["attempts"], 8);
        assert_eq!(doc["deliveries"]["pending"], 1);
    }
}
