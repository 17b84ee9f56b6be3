//! The cluster's workers, under the Providers pane's table: per worker its jobs in flight
//! against its limit, jobs done and failed, and how long ago its last heartbeat was.

use ratatui::text::{Line, Span};

use crate::cluster::WorkerRecord;
use crate::tui::theme::Theme;

/// A heartbeat older than this is shown as a warning (the record expires at 15 s).
const LATE_MS: u64 = 6_000;

/// At most `max` lines: a heading, then a worker a line (the rest counted on the last).
pub fn lines(workers: &[WorkerRecord], now_ms: u64, width: usize, max: usize, theme: &Theme) -> Vec<Line<'static>> {
    let t = &theme.s;
    if workers.is_empty() || max < 2 {
        return Vec::new();
    }
    let mut out = vec![Line::styled(format!("Workers ({})", workers.len()), t.muted)];
    let room = max - 1;
    for (k, w) in workers.iter().enumerate() {
        if k + 1 == room && workers.len() > room {
            out.push(Line::styled(format!("… {} more (factory workers)", workers.len() - k), t.muted));
            break;
        }
        let ago = now_ms.saturating_sub(w.heartbeat_ms);
        let name = crate::sanitize::line(&w.name).into_owned();
        let text = format!(
            " {}/{} in flight · {} done · {} failed · {} · ♥ {:.0} s ago{}",
            w.in_flight,
            w.max_jobs,
            w.done,
            w.failed,
            w.jobs.join(","),
            ago as f64 / 1000.0,
            if w.state == "running" { String::new() } else { format!(" · {}", w.state) }
        );
        let mut line = Line::from(vec![
            Span::styled(name, t.base),
            Span::styled(text, if ago > LATE_MS || w.state != "running" { t.warn } else { t.muted }),
        ]);
        if line.width() > width {
            line = Line::from(line.spans.into_iter().take(1).collect::<Vec<_>>());
        }
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(name: &str, heartbeat_ms: u64) -> WorkerRecord {
        WorkerRecord {
            name: name.into(),
            jobs: vec!["checks".into(), "calls".into()],
            max_jobs: 4,
            in_flight: 2,
            done: 130,
            failed: 1,
            heartbeat_ms,
            state: "running".into(),
            ..WorkerRecord::default()
        }
    }

    fn text(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect()).collect()
    }

    #[test]
    fn the_providers_pane_lists_the_workers_under_its_table() {
        use crate::testkit::fixture;
        use crate::tui::theme::ColorMode;
        let mut snap = fixture::snapshot(4, 2, 1);
        snap.workers = vec![worker("w1", fixture::NOW - 1_000), worker("w2", fixture::NOW - 2_000)];
        let theme = Theme::load("no-colour", ColorMode::None).unwrap();
        let keymap = crate::config::keys::Keymap::default();
        let mut app = crate::tui::app::App::new(std::sync::Arc::new(snap), theme, ColorMode::None, keymap, "t".into());
        app.set_now(fixture::NOW);
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 50)).unwrap();
        term.draw(|f| crate::tui::view::render(&mut app, f)).unwrap();
        let buf = term.backend().buffer();
        let screen: Vec<String> =
            (0..50).map(|y| (0..200).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>()).collect();
        assert!(screen.iter().any(|l| l.contains("Workers (2)")), "{}", screen.join("\n"));
        assert!(screen.iter().any(|l| l.contains("w2 2/4 in flight · 130 done · 1 failed")), "{}", screen.join("\n"));
    }

    #[test]
    fn each_worker_shows_its_load_counts_and_heartbeat() {
        let theme = Theme::load("no-colour", crate::tui::theme::ColorMode::None).unwrap();
        let got = text(&lines(&[worker("w1", 9_000), worker("w2", 1_000)], 10_000, 120, 5, &theme));
        assert_eq!(got[0], "Workers (2)");
        assert_eq!(got[1], "w1 2/4 in flight · 130 done · 1 failed · checks,calls · ♥ 1 s ago");
        assert!(got[2].ends_with("♥ 9 s ago"), "{}", got[2]);
        assert!(lines(&[], 0, 120, 5, &theme).is_empty(), "no cluster, no section");
        let many: Vec<WorkerRecord> = (0..6).map(|k| worker(&format!("w{k}"), 0)).collect();
        let got = text(&lines(&many, 0, 120, 4, &theme));
        assert_eq!(got.len(), 4);
        assert_eq!(got[3], "… 4 more (factory workers)");
    }
}
