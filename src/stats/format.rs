//! How figures read in `factory stats` and on the Stats screen: a figure with nothing to
//! measure is `—`, never `0%` or `NaN`.

use crate::domain::money::fmt_usd;

/// What an empty figure reads as.
pub const NONE: &str = "—";

/// `72.5%`, or `—`.
pub fn pct(share: Option<f64>) -> String {
    share.filter(|s| s.is_finite()).map_or_else(|| NONE.into(), |s| format!("{:.1}%", s * 100.0))
}

/// `850ms`, `12s`, `3h 04m`, or `—`.
pub fn duration(ms: Option<u64>) -> String {
    match ms {
        None => NONE.into(),
        Some(ms) if ms < 1_000 => format!("{ms}ms"),
        Some(ms) if ms < 60_000 => format!("{:.1}s", ms as f64 / 1000.0),
        Some(ms) => crate::fmt::format_duration(ms),
    }
}

/// `$4.21`, or `—`.
pub fn usd(micros: Option<u64>) -> String {
    micros.map_or_else(|| NONE.into(), fmt_usd)
}

/// A quality score as `.82` (`1.00` at the top), or `—`.
pub fn score(q: Option<f64>) -> String {
    match q.filter(|q| q.is_finite()) {
        None => NONE.into(),
        Some(q) if q >= 0.995 => "1.00".into(),
        Some(q) => format!(".{:02}", (q.max(0.0) * 100.0).round() as u64),
    }
}

/// The task kinds routing learns scores for, in pipeline order.
pub const KINDS: [&str; 8] = ["research", "founder_fit", "spec", "architecture", "plan", "build", "quality", "deploy"];

/// Learned scores in pipeline order (kinds not in [`KINDS`] last, by name).
pub fn in_pipeline_order(scores: &std::collections::BTreeMap<String, f64>) -> Vec<(&str, f64)> {
    let mut v: Vec<(&str, f64)> = scores.iter().map(|(k, q)| (k.as_str(), *q)).collect();
    v.sort_by_key(|(k, _)| KINDS.iter().position(|x| x == k).unwrap_or(KINDS.len()));
    v
}

/// `research .82 · spec .91 · build .79`, or `—`.
pub fn scores(scores: &std::collections::BTreeMap<String, f64>) -> String {
    let items: Vec<String> = in_pipeline_order(scores)
        .into_iter()
        .map(|(k, q)| format!("{} {}", crate::sanitize::line(k), score(Some(q))))
        .collect();
    if items.is_empty() { NONE.into() } else { items.join(" · ") }
}

/// How the window reads: `the last 7 days`, `all time`.
pub fn window(since_days: Option<u32>) -> String {
    match since_days {
        Some(1) => "today".into(),
        Some(n) => format!("the last {n} days"),
        None => "all time".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_figures_read_as_a_dash() {
        assert_eq!((pct(None), pct(Some(f64::NAN)), pct(Some(0.725))), ("—".into(), "—".into(), "72.5%".into()));
        assert_eq!(duration(None), "—");
        assert_eq!(duration(Some(850)), "850ms");
        assert_eq!(duration(Some(12_300)), "12.3s");
        assert_eq!(duration(Some(3 * 3_600_000 + 4 * 60_000)), "3h 04m");
        assert_eq!((usd(None), usd(Some(4_210_000))), ("—".into(), "$4.21".into()));
        assert_eq!((score(None), score(Some(0.823)), score(Some(1.0))), ("—".into(), ".82".into(), "1.00".into()));
        assert_eq!((window(Some(7)), window(None)), ("the last 7 days".into(), "all time".into()));
        let learned = [("build", 0.79), ("zeta", 0.5), ("research", 0.824), ("spec", 1.0)]
            .into_iter()
            .map(|(k, q)| (k.to_string(), q))
            .collect();
        assert_eq!(scores(&learned), "research .82 · spec 1.00 · build .79 · zeta .50");
        assert_eq!(scores(&Default::default()), "—");
    }
}
