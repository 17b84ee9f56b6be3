//! `factory bench render`: what a frame of the control room costs at 200x50 with 1,000 runs,
//! 6 providers and 50 pending gates (through the real crossterm backend, into a sink), how
//! long a keypress takes to reach the screen, what an idle control room sends, and the
//! workspace browser's and the Stats screen's own cases.

use std::sync::Arc;
use std::time::Instant;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Serialize;

use crate::config::keys::Keymap;
use crate::testkit::fixture;
use crate::tui::app::App;
use crate::tui::terminal::Term;
use crate::tui::theme::{ColorMode, Theme};

#[derive(Debug, Serialize)]
pub struct RenderFigures {
    pub width: u16,
    pub height: u16,
    pub runs: usize,
    pub providers: usize,
    pub gates: usize,
    pub frames: usize,
    /// Drawing one frame (widgets, buffer diff, escape sequences), in microseconds.
    pub frame_p50_us: u64,
    pub frame_p99_us: u64,
    pub first_frame_bytes: u64,
    /// Bytes sent per frame when a snapshot changes a few cells.
    pub update_bytes_p50: u64,
    /// Handling a key (moving the selection) and drawing the frame that shows it.
    pub key_to_frame_p50_us: u64,
    pub key_to_frame_p99_us: u64,
    /// The most a key waits for its frame: the frame pacing (33 ms) plus the p99 draw.
    pub key_to_screen_max_ms: f64,
    /// Measured end to end: a key written to the real binary's terminal, until the frame
    /// that answers it comes out (`factory bench render` only; none in a unit test).
    pub key_to_screen: Option<crate::bench::keys::KeyFigures>,
    /// With nothing changing but the clock (a gate opened seconds ago counts on screen, to
    /// the minute; running runs' ETAs count down), frames drawn and bytes sent over 10 seconds.
    pub idle_frames_10s: u32,
    pub idle_bytes_10s: u64,
    /// The workspace browser on a run of 1,000 files, and a highlighted file's first paint.
    pub browser: super::render_browser::BrowserFigures,
    /// The Stats screen at 1,000 runs and 100,000 events.
    pub stats: super::render_stats::StatsFigures,
}

fn percentile(xs: &mut [u64], p: usize) -> u64 {
    xs.sort_unstable();
    xs.get((xs.len().saturating_sub(1)) * p / 100).copied().unwrap_or(0)
}

/// A control room over `snap`, dark theme, its clock at the fixture's.
pub(super) fn app_for(snap: crate::orchestrator::Snapshot) -> App {
    let mode = ColorMode::TrueColor;
    let mut app = App::new(
        Arc::new(snap),
        Theme::load("dark", mode).expect("built-in theme"),
        mode,
        Keymap::default(),
        "bench".into(),
    );
    app.set_now(fixture::NOW);
    app
}

/// Runs the benchmark; `quick` draws few frames (for CI: it checks that it runs, not its speed).
pub fn run(quick: bool) -> std::io::Result<RenderFigures> {
    let (w, h) = (200u16, 50u16);
    let (runs, providers, gates) = (1000, 6, 50);
    let frames = if quick { 20 } else { 600 };
    let base = fixture::snapshot(runs, providers, gates);
    let mut app = app_for(base.clone());
    let mut term = Term::fixed(std::io::sink(), w, h)?;
    let bytes = |term: &Term<std::io::Sink>| term.bytes.load(std::sync::atomic::Ordering::Relaxed);
    term.draw(&mut app)?;
    let first_frame_bytes = bytes(&term);

    // Snapshots that each change one run's progress and cost, as the orchestrator's do.
    let mut frame_us = Vec::with_capacity(frames);
    let mut update_bytes = Vec::with_capacity(frames);
    for k in 0..frames {
        let mut snap = base.clone();
        let i = k % 20;
        let mut run = (*snap.runs[i]).clone();
        run.progress = (run.progress + 0.01 * (k % 7) as f32).min(1.0);
        run.cost_micros += 1_000 * k as u64;
        snap.runs[i] = Arc::new(run);
        snap.version += k as u64 + 1;
        app.on_snapshot(Arc::new(snap));
        let before = bytes(&term);
        let t = Instant::now();
        term.draw(&mut app)?;
        frame_us.push(t.elapsed().as_micros() as u64);
        update_bytes.push(bytes(&term) - before);
    }

    let mut key_us = Vec::with_capacity(frames);
    for k in 0..frames {
        let code = if k % 40 < 20 { KeyCode::Down } else { KeyCode::Up };
        let t = Instant::now();
        app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
        term.draw(&mut app)?;
        key_us.push(t.elapsed().as_micros() as u64);
    }

    // Idle: the same screen, plus a gate opened 5 seconds ago whose wait counts up (to the
    // minute).
    let mut idle_snap = base.clone();
    let mut fresh = idle_snap.gates[1].clone();
    fresh.opened_at = fixture::NOW - 5_000;
    idle_snap.gates.insert(0, fresh);
    let mut idle = app_for(idle_snap);
    let mut term = Term::fixed(std::io::sink(), w, h)?;
    idle.focus = crate::tui::app::Pane::Gates;
    term.draw(&mut idle)?;
    let start_bytes = bytes(&term);
    let (mut clock, end) = (fixture::NOW, fixture::NOW + 10_000);
    let mut idle_frames = 0;
    // The event loop's rule: with nothing new, draw only when a shown time changes.
    while let Some(wait) = idle.redraw_in() {
        clock += wait.max(crate::tui::FRAME.as_millis() as u64);
        if clock > end {
            break;
        }
        idle.set_now(clock);
        term.draw(&mut idle)?;
        idle_frames += 1;
    }
    let idle_bytes = bytes(&term) - start_bytes;

    let browser = super::render_browser::run(quick)?;
    let stats = super::render_stats::run(quick)?;
    let p99_draw = percentile(&mut frame_us.clone(), 99);
    Ok(RenderFigures {
        width: w,
        height: h,
        runs,
        providers,
        gates,
        frames,
        frame_p50_us: percentile(&mut frame_us, 50),
        frame_p99_us: p99_draw,
        first_frame_bytes,
        update_bytes_p50: percentile(&mut update_bytes, 50),
        key_to_frame_p50_us: percentile(&mut key_us.clone(), 50),
        key_to_frame_p99_us: percentile(&mut key_us, 99),
        key_to_screen_max_ms: crate::tui::FRAME.as_secs_f64() * 1000.0 + p99_draw as f64 / 1000.0,
        key_to_screen: None,
        idle_frames_10s: idle_frames,
        idle_bytes_10s: idle_bytes,
        browser,
        stats,
    })
}

impl RenderFigures {
    pub fn text(&self) -> String {
        format!(
            "render: {}x{} frame, {} runs, {} providers, {} gates, {} frames\n  frame draw p50 {:.2} ms, p99 {:.2} ms (target: median at most 2 ms)\n  first frame {} bytes; a changed snapshot sends {} bytes (p50)\n  key to frame p50 {:.2} ms, p99 {:.2} ms; key to screen at most {:.1} ms (one frame)\n  idle 10 s: {} frames, {} bytes (target: at most 1,024 bytes)\n",
            self.width,
            self.height,
            self.runs,
            self.providers,
            self.gates,
            self.frames,
            self.frame_p50_us as f64 / 1000.0,
            self.frame_p99_us as f64 / 1000.0,
            self.first_frame_bytes,
            self.update_bytes_p50,
            self.key_to_frame_p50_us as f64 / 1000.0,
            self.key_to_frame_p99_us as f64 / 1000.0,
            self.key_to_screen_max_ms,
            self.idle_frames_10s,
            self.idle_bytes_10s,
        ) + &self
            .key_to_screen
            .map(|k| {
                format!(
                    "  end to end (a key into the binary's terminal, until its frame comes out): p50 {:.2} ms, p99 {:.2} ms over {} keys\n  the binary idle (its health in the header included): {} bytes in {:.0} s (target: at most 1,024 in 10 s)\n",
                    k.p50_us as f64 / 1000.0,
                    k.p99_us as f64 / 1000.0,
                    k.keys,
                    k.idle_bytes,
                    k.idle_seconds
                )
            })
            .unwrap_or_default()
            + &self.browser.text()
            + &self.stats.text()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_quick_bench_runs_and_reports_every_figure() {
        let f = super::run(true).unwrap();
        assert_eq!((f.width, f.height, f.runs, f.providers, f.gates), (200, 50, 1000, 6, 50));
        assert!(f.first_frame_bytes > 5_000, "a full 200x50 frame: {}", f.first_frame_bytes);
        assert!(f.update_bytes_p50 < f.first_frame_bytes / 4, "updates send a diff, not the frame");
        assert!(f.idle_frames_10s <= 10, "at most a frame a second: {}", f.idle_frames_10s);
        assert!(f.frame_p50_us > 0 && f.key_to_frame_p50_us > 0);
        let json = serde_json::to_value(&f).unwrap();
        assert!(json["idle_bytes_10s"].is_u64());
        assert!(f.text().contains("idle 10 s"));
        assert_eq!(f.stats.runs, 100);
        assert!(f.stats.events > 3_000 && f.stats.frame_p50_us > 0 && f.stats.figures_p50_us > 0, "{:?}", f.stats);
        assert!(json["stats"]["first_fold_ms"].is_f64() && f.text().contains("stats screen, 100 runs"));
    }
}
