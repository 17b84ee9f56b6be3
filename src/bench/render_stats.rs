//! `factory bench render`, the Stats screen's case at 1,000 runs and 100,000 events: the
//! first `s` (the log read from a store and folded), each refresh (a window's figures made
//! again from the folded log), and a frame of the screen at 200x50.

use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Serialize;

use crate::orchestrator::Reply;
use crate::stats::fixture::history;
use crate::store::{Store, Writes};
use crate::testkit::fixture;
use crate::tui::app::Effect;
use crate::tui::terminal::Term;

#[derive(Debug, Serialize)]
pub struct StatsFigures {
    pub runs: usize,
    pub events: usize,
    /// The first `s` of a process: the whole log read from the store and folded, in
    /// milliseconds (later requests read only the events since).
    pub first_fold_ms: f64,
    /// Each request after it: the window's figures made from the folded log and the runs
    /// (all time), in microseconds.
    pub figures_p50_us: u64,
    pub figures_p99_us: u64,
    /// A frame of the Stats screen at 200x50 with those figures, in microseconds.
    pub frame_p50_us: u64,
    pub frame_p99_us: u64,
    /// Scrolling the tables (a key) to its frame.
    pub key_to_frame_p50_us: u64,
}

fn us(d: Duration) -> u64 {
    d.as_micros() as u64
}

fn percentile(xs: &mut [u64], p: usize) -> u64 {
    xs.sort_unstable();
    xs.get((xs.len().saturating_sub(1)) * p / 100).copied().unwrap_or(0)
}

fn io(e: crate::error::FactoryError) -> std::io::Error {
    std::io::Error::other(e.message)
}

pub fn run(quick: bool) -> std::io::Result<StatsFigures> {
    let (runs, events, repeats) = if quick { (100, 5_000, 5) } else { (1_000, 100_000, 200) };
    let h = history(runs, events, fixture::NOW);

    // The log in a store, as the orchestrator wrote it (in group commits), then read and folded.
    let dir = crate::bench::util::Scratch::new(None).map_err(io)?;
    let store = Store::open(&dir.path().join("data"), 64).map_err(io)?;
    for chunk in h.events.chunks(2_048) {
        let mut w = Writes::default();
        for e in chunk {
            w.event(e);
        }
        store.commit(&w).map_err(io)?;
    }
    let t = Instant::now();
    let mut log = crate::stats::StatsLog::default();
    loop {
        let got = store.events_from(log.next_seq, 4_096).map_err(io)?;
        for e in &got {
            log.fold(e);
        }
        if got.len() < 4_096 {
            break;
        }
    }
    let first_fold_ms = t.elapsed().as_secs_f64() * 1000.0;
    drop(store);

    let mut figures_us = Vec::with_capacity(repeats);
    let mut stats = h.stats(&log, fixture::NOW, None);
    for _ in 0..repeats {
        let t = Instant::now();
        stats = std::hint::black_box(h.stats(&log, fixture::NOW, None));
        figures_us.push(us(t.elapsed()));
    }

    let mut app = super::render::app_for(fixture::snapshot(runs, 6, 50));
    let effects = app.handle_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::NONE));
    for e in effects {
        if let Effect::Request(id, _) = e {
            app.on_reply(id, Ok(Reply::Stats { stats: Box::new(stats.clone()) }));
        }
    }
    let mut term = Term::fixed(std::io::sink(), 200, 50)?;
    term.draw(&mut app)?;
    let mut frame_us = Vec::with_capacity(repeats);
    for k in 0..repeats {
        // A fresh answer each time (as a refresh brings), so that every frame is drawn anew.
        let mut fresh = stats.clone();
        fresh.generated_at += k as u64;
        fresh.runs.started += (k % 2) as u64;
        if let crate::tui::app::Screen::Stats(s) = &mut app.screen {
            s.data = Some(Box::new(fresh));
        }
        let t = Instant::now();
        term.draw(&mut app)?;
        frame_us.push(us(t.elapsed()));
    }
    let mut key_us = Vec::with_capacity(repeats);
    for k in 0..repeats {
        let code = if k % 20 < 10 { KeyCode::Down } else { KeyCode::Up };
        let t = Instant::now();
        app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
        term.draw(&mut app)?;
        key_us.push(us(t.elapsed()));
    }
    Ok(StatsFigures {
        runs,
        events: h.events.len(),
        first_fold_ms,
        figures_p50_us: percentile(&mut figures_us.clone(), 50),
        figures_p99_us: percentile(&mut figures_us, 99),
        frame_p50_us: percentile(&mut frame_us.clone(), 50),
        frame_p99_us: percentile(&mut frame_us, 99),
        key_to_frame_p50_us: percentile(&mut key_us, 50),
    })
}

impl StatsFigures {
    pub fn text(&self) -> String {
        format!(
            "  stats screen, {} runs and {} events: first s folds the log in {:.1} ms; figures p50 {:.2} ms, p99 {:.2} ms; frame p50 {:.2} ms, p99 {:.2} ms (target: within one frame, 33 ms); scroll key to frame p50 {:.2} ms\n",
            self.runs,
            self.events,
            self.first_fold_ms,
            self.figures_p50_us as f64 / 1000.0,
            self.figures_p99_us as f64 / 1000.0,
            self.frame_p50_us as f64 / 1000.0,
            self.frame_p99_us as f64 / 1000.0,
            self.key_to_frame_p50_us as f64 / 1000.0,
        )
    }
}
