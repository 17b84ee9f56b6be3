//! `factory stats [--since 7d|30d|all] [--json]`: figures across runs, as text or JSON.

use std::fmt::Write as _;

use crate::domain::money::fmt_usd;
use crate::stats::Stats;
use crate::stats::format::{duration, pct, scores, usd, window};

/// The window of `--since`: the last N days (today included), or all time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Since(pub Option<u32>);

/// `7d`, `30d`, `90d` (1 to 3,650 days) or `all`.
pub fn parse_since(text: &str) -> Result<Since, String> {
    crate::stats::parse_since(text).map(Since)
}

/// The figures as lines for a person.
pub fn text(s: &Stats) -> String {
    let mut out = String::new();
    let span = match (s.days.first(), s.days.last()) {
        (Some(a), Some(b)) => format!(" ({} to {})", a.day, b.day),
        _ => String::new(),
    };
    let _ = writeln!(out, "Stats over {}{span}", window(s.since_days));
    let r = &s.runs;
    let rejected_at: Vec<String> = r.rejected_at.iter().map(|(g, n)| format!("{g} {n}")).collect();
    let rejected_at = if rejected_at.is_empty() { String::new() } else { format!(" ({})", rejected_at.join(", ")) };
    let _ = writeln!(
        out,
        "Runs       {} started · {} completed · {} rejected{rejected_at} · {} failed · {} cancelled · {} live",
        r.started, r.completed, r.rejected, r.failed, r.cancelled, r.live
    );
    let _ = writeln!(out, "Success    {} of the runs that ended", pct(s.success_rate));
    let t = &s.time_to_mvp_ms;
    let _ = writeln!(
        out,
        "To MVP     p50 {}, p90 {} (machine p50 {}, waiting on people p50 {}) over {} completed",
        duration(t.p50),
        duration(t.p90),
        duration(t.machine_p50),
        duration(t.waiting_p50),
        t.count
    );
    let c = &s.cost_per_mvp_micros;
    let _ = writeln!(out, "MVP cost   p50 {}, mean {}", usd(c.p50), usd(c.mean));
    let _ = writeln!(out, "Automated  {} of gate decisions", pct(s.automated_share));

    let _ = writeln!(
        out,
        "\n{:<7} {:>7} {:>8} {:>8} {:>7} {:>9} {:>9}",
        "GATE", "DECIDED", "APPROVED", "AUTO", "REVISE", "WAIT P50", "WAIT P90"
    );
    for g in &s.gates {
        let _ = writeln!(
            out,
            "{:<7} {:>7} {:>8} {:>8} {:>7} {:>9} {:>9}",
            g.code,
            g.decided,
            g.approved,
            pct(g.automated_share),
            pct(g.revision_rate),
            duration(g.wait_ms_p50),
            duration(g.wait_ms_p90)
        );
    }

    let _ = writeln!(out, "\n{:<13} {:>10}", "PHASE", "COST");
    for p in &s.cost_by_phase_micros {
        let _ = writeln!(out, "{:<13} {:>10}", p.phase, fmt_usd(p.cost_micros));
    }

    let _ = writeln!(
        out,
        "\n{:<14} {:>5} {:>5} {:>8} {:>10}  {:>4} {:>4} {:>4} {:>4}",
        "TEMPLATE", "RUNS", "DONE", "SUCCESS", "COST", "G0", "G1", "G2", "G3"
    );
    if s.templates.is_empty() {
        let _ = writeln!(out, "(no runs)");
    }
    for t in &s.templates {
        let a = |g: &str| t.approvals.get(g).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "{:<14} {:>5} {:>5} {:>8} {:>10}  {:>4} {:>4} {:>4} {:>4}",
            crate::sanitize::line(&t.name),
            t.runs,
            t.completed,
            pct(t.success_rate),
            fmt_usd(t.cost_micros),
            a("G0"),
            a("G1"),
            a("G2"),
            a("G3")
        );
    }

    let _ = writeln!(
        out,
        "\n{:<12} {:>6} {:>6} {:>7} {:>8} {:>8} {:>10} {:>9}  QUALITY",
        "PROVIDER", "CALLS", "CACHED", "ERRORS", "P50", "P95", "COST", "FALLBACKS"
    );
    for p in &s.providers {
        let _ = writeln!(
            out,
            "{:<12} {:>6} {:>6} {:>7} {:>8} {:>8} {:>10} {:>9}  {}",
            crate::sanitize::line(&p.name),
            p.calls,
            p.cache_hits,
            pct(p.error_rate),
            duration(p.p50_ms),
            duration(p.p95_ms),
            fmt_usd(p.cost_micros),
            p.fallbacks,
            scores(&p.quality)
        );
    }
    let _ = writeln!(out, "routing: {}", routing_text(&s.routing));
    out
}

/// `adaptive (quality floor 0.60)`, `preferred`.
pub fn routing_text(r: &crate::providers::Routing) -> String {
    match r.quality_floor {
        Some(f) => format!("{} (quality floor {f:.2})", r.policy),
        None => r.policy.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_as_days_or_all() {
        assert_eq!(parse_since("7d"), Ok(Since(Some(7))));
        assert_eq!(parse_since("30D"), Ok(Since(Some(30))));
        assert_eq!(parse_since("all"), Ok(Since(None)));
        for bad in ["0d", "7", "week", "-3d", "3651d", ""] {
            let err = parse_since(bad).unwrap_err();
            assert!(err.contains("is not a window"), "{bad}: {err}");
        }
    }

    #[test]
    fn an_empty_factory_reads_as_dashes_not_zeros() {
        let s = Stats { gates: vec![Default::default()], providers: vec![Default::default()], ..Stats::default() };
        let t = text(&s);
        assert!(t.contains("Success    — of the runs that ended"), "{t}");
        assert!(t.contains("MVP cost   p50 —, mean —"), "{t}");
        assert!(!t.contains("NaN") && !t.contains("0.0%"), "{t}");
    }
}
