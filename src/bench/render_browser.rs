//! `factory bench render`, the workspace browser's case: opening it on a run of 1,000 files (the tree built, the first frame drawn), moving in the tree, and the first paint of a highlighted 1,000-line Python file.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Serialize;

use crate::config::keys::Keymap;
use crate::orchestrator::{Command, FileEntry, FileText, Reply, RunDetail};
use crate::testkit::fixture;
use crate::tui::app::{App, Effect, Pane, Screen};
use crate::tui::terminal::Term;
use crate::tui::theme::{ColorMode, Theme};

#[derive(Debug, Serialize)]
pub struct BrowserFigures {
    pub files: usize,
    pub opens: usize,
    /// `w` on a run to the first frame of the browser: the requests, the file list's reply
    /// (the tree built) and the frame drawn, at 200x50, in microseconds.
    pub open_p50_us: u64,
    pub open_p99_us: u64,
    /// A key in the tree (one row down) to its frame.
    pub tree_key_p50_us: u64,
    pub tree_key_p99_us: u64,
    pub python_lines: usize,
    /// The file's reply (made inert, split into lines) to its first frame with the rows on
    /// screen highlighted; cold: the first in a process (the grammars loaded, the patterns
    /// compiled), warm: in the browser, after its warm-up.
    pub first_paint_cold_us: u64,
    pub first_paint_warm_p50_us: u64,
    /// End (to the last line) and its frame; then frames until the whole file is highlighted.
    pub end_frame_us: u64,
    pub end_frames_to_complete: u32,
}

fn us(d: Duration) -> u64 {
    d.as_micros() as u64
}

fn percentile(xs: &mut [u64], p: usize) -> u64 {
    xs.sort_unstable();
    xs.get((xs.len().saturating_sub(1)) * p / 100).copied().unwrap_or(0)
}

/// Answers the browser's requests as the orchestrator would.
fn answer(app: &mut App, effects: Vec<Effect>, files: &[FileEntry], text: &str) {
    for e in effects {
        let Effect::Request(id, cmd) = e else { continue };
        let reply = match cmd {
            Command::Files { run } => Reply::Files { run: run.to_string(), files: files.to_vec() },
            Command::Status { .. } => {
                let run = fixture::review(&app.snap).run;
                Reply::Run { detail: Box::new(RunDetail { run, tasks: vec![], reports: vec![], gates: vec![] }) }
            }
            Command::ReadFile { run, path } => Reply::File {
                file: Box::new(FileText {
                    run: run.to_string(),
                    path,
                    text: text.to_string(),
                    bytes: text.len() as u64,
                    truncated: false,
                    binary: false,
                }),
            },
            _ => continue,
        };
        app.on_reply(id, Ok(reply));
    }
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Runs the case; `quick` repeats little (for CI: it checks that it runs, not its speed).
pub fn run(quick: bool) -> std::io::Result<BrowserFigures> {
    let (n_files, lines) = (1000, 1000);
    let reps = if quick { 3 } else { 100 };
    let files = fixture::workspace_files(n_files);
    let python = fixture::python_source(lines);
    let mode = ColorMode::TrueColor;
    let theme = Theme::load("dark", mode).map_err(|e| std::io::Error::other(e.message))?;
    let mut app =
        App::new(Arc::new(fixture::snapshot(1000, 6, 50)), theme.clone(), mode, Keymap::default(), "bench".into());
    app.set_now(fixture::NOW);
    let mut term = Term::fixed(std::io::sink(), 200, 50)?;

    // First, in a process that has highlighted nothing yet: the grammars loaded and the
    // patterns a screenful of Python needs compiled (the browser warms them up in the
    // background when it opens; this is the first paint without that).
    let t = Instant::now();
    let mut viewer = crate::tui::viewer::Viewer::code(&python, "app/backend/main.py", mode, &theme.name).with_numbers();
    let area = ratatui::layout::Rect::new(0, 0, 150, 48);
    term.terminal.draw(|f| viewer.render(f, area, &theme.s))?;
    let cold = us(t.elapsed());
    term.draw(&mut app)?;

    let mut open = Vec::with_capacity(reps);
    for _ in 0..reps {
        app.screen = Screen::Dashboard;
        app.focus = Pane::Startups;
        let t = Instant::now();
        let effects = press(&mut app, KeyCode::Char('w'));
        answer(&mut app, effects, &files, &python);
        term.draw(&mut app)?;
        open.push(us(t.elapsed()));
    }

    // Into app/ and down the tree.
    for code in [KeyCode::End, KeyCode::Right] {
        press(&mut app, code);
    }
    let mut tree_key = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        press(&mut app, KeyCode::Down);
        term.draw(&mut app)?;
        tree_key.push(us(t.elapsed()));
    }

    // The Python file: the first paint (cold, then warm), then End.
    let mut paints = Vec::with_capacity(reps);
    for _ in 0..reps {
        if let Screen::Browser(b) = &mut app.screen {
            b.file = None;
            b.focus = crate::tui::screens::browser::Focus::Tree;
            b.reveal("app/backend/main.py");
        }
        let effects = press(&mut app, KeyCode::Enter);
        let t = Instant::now();
        answer(&mut app, effects, &files, &python);
        term.draw(&mut app)?;
        paints.push(us(t.elapsed()));
    }
    let t = Instant::now();
    press(&mut app, KeyCode::End);
    term.draw(&mut app)?;
    let end_frame = us(t.elapsed());
    let mut frames = 0;
    let behind = |app: &App| match &app.screen {
        Screen::Browser(b) => b.file.as_ref().is_some_and(|f| f.viewer.highlighting()),
        _ => false,
    };
    while behind(&app) && frames < 1000 {
        term.draw(&mut app)?;
        frames += 1;
    }
    let mut warm = paints;
    Ok(BrowserFigures {
        files: n_files,
        opens: reps,
        open_p50_us: percentile(&mut open.clone(), 50),
        open_p99_us: percentile(&mut open, 99),
        tree_key_p50_us: percentile(&mut tree_key.clone(), 50),
        tree_key_p99_us: percentile(&mut tree_key, 99),
        python_lines: lines,
        first_paint_cold_us: cold,
        first_paint_warm_p50_us: percentile(&mut warm, 50),
        end_frame_us: end_frame,
        end_frames_to_complete: frames,
    })
}

impl BrowserFigures {
    pub fn text(&self) -> String {
        let ms = |us: u64| us as f64 / 1000.0;
        format!(
            "browser: a run of {} files, 200x50, {} opens\n  open (w, tree built, first frame) p50 {:.2} ms, p99 {:.2} ms (target: under 33 ms)\n  tree key to frame p50 {:.2} ms, p99 {:.2} ms\n  a {}-line Python file: first paint {:.1} ms cold (grammars loaded), {:.2} ms warm (p50); End {:.2} ms, all highlighted {} frames later\n",
            self.files,
            self.opens,
            ms(self.open_p50_us),
            ms(self.open_p99_us),
            ms(self.tree_key_p50_us),
            ms(self.tree_key_p99_us),
            self.python_lines,
            ms(self.first_paint_cold_us),
            ms(self.first_paint_warm_p50_us),
            ms(self.end_frame_us),
            self.end_frames_to_complete,
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_quick_browser_case_runs_and_reports_every_figure() {
        let f = super::run(true).unwrap();
        assert_eq!((f.files, f.python_lines), (1000, 1000));
        assert!(f.open_p50_us > 0 && f.tree_key_p50_us > 0 && f.first_paint_warm_p50_us > 0);
        assert!(f.text().contains("target: under 33 ms"));
    }
}
