//! The control room: a ratatui view over the orchestrator's snapshots, drawn only when
//! something changed (at most 30 frames a second), sending commands for every intent.

pub mod app;
pub mod component;
pub mod eta;
pub mod external;
pub mod highlight;
pub mod input;
pub mod mouse;
pub mod panes;
pub mod paste;
#[cfg(test)]
mod paste_mouse_tests;
#[cfg(test)]
mod stats_tests;

pub mod screens;
pub mod scroll;
pub mod terminal;
#[cfg(test)]
mod tests;
pub mod theme;
pub mod view;
pub mod viewer;
pub mod widgets;

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use ratatui::crossterm::event::{Event, EventStream, KeyEventKind};
use tokio::sync::mpsc;

use crate::config::Config;
use crate::config::keys::Keymap;
use crate::error::{FactoryError, Result};
use crate::orchestrator::{OrchestratorHandle, Snapshot, system_clock};
use app::{App, Effect};
use terminal::Term;
use theme::{ColorMode, Theme};

/// The shortest time between two frames (30 a second at most).
pub const FRAME: Duration = Duration::from_millis(33);

pub struct TuiOptions {
    /// `--theme`, over the config's.
    pub theme: Option<String>,
    /// `--mouse`, over the config's.
    pub mouse: bool,
    /// Who decides gates from this terminal.
    pub reviewer: String,
}

/// Builds the app the control room shows for this config.
pub fn app_for(cfg: &Config, handle: &OrchestratorHandle, opts: &TuiOptions) -> Result<App> {
    app_with(cfg, handle.snapshot(), opts)
}

/// The app for this config, showing `snap`.
fn app_with(cfg: &Config, snap: std::sync::Arc<Snapshot>, opts: &TuiOptions) -> Result<App> {
    let mode = ColorMode::detect();
    let theme = Theme::load(opts.theme.as_deref().unwrap_or(&cfg.tui.theme), mode)?;
    let keymap = Keymap::with_overrides(&cfg.tui.key_overrides())?;
    let mut app = App::new(snap, theme, mode, keymap, opts.reviewer.clone());
    *app.settings_mut() = app::Settings {
        bell: cfg.tui.bell,
        osc52: cfg.tui.osc52,
        after_decision: screens::review::AfterDecision::from_config(&cfg.tui.after_decision),
        default_budget_micros: crate::domain::money::usd_f64_to_micros(cfg.budget.default_run_usd),
    };
    Ok(app)
}

/// Why the control room gave the terminal back.
#[derive(Debug, PartialEq, Eq)]
pub enum Exit {
    /// The user quit, or a signal (SIGHUP, SIGTERM) came.
    Quit,
    /// The owner is gone and the user asked to become it (`t`); show again on a new handle.
    TakeOver,
}

/// The control room's state and its terminal, kept while the handle under it changes (a
/// take-over); the terminal is restored when it is dropped.
pub struct Room {
    app: App,
    term: Term<std::io::Stdout>,
    /// The app shows what the data directory held when it was last closed (`opening`),
    /// until the first `show`.
    saved: bool,
}

impl Room {
    pub fn open(handle: &OrchestratorHandle, cfg: &Config, opts: &TuiOptions) -> Result<Room> {
        let app = app_for(cfg, handle, opts)?;
        Ok(Room { app, term: setup(cfg, opts)?, saved: false })
    }

    /// Draws at once `saved`, what the data directory held when its orchestrator last
    /// stopped, saying so, while the store opens; `show` then shows the live state.
    pub fn opening(saved: Snapshot, cfg: &Config, opts: &TuiOptions) -> Result<Room> {
        let mut app = app_with(cfg, std::sync::Arc::new(saved), opts)?;
        app.say(OPENING);
        let mut room = Room { app, term: setup(cfg, opts)?, saved: true };
        room.app.set_now(system_clock()());
        room.term.draw(&mut room.app).map_err(|e| FactoryError::internal(format!("the terminal failed: {e}")))?;
        Ok(room)
    }

    /// Shows `handle`'s factory until the user quits or takes over.
    pub async fn show(&mut self, handle: &OrchestratorHandle) -> Result<Exit> {
        let first = std::mem::take(&mut self.saved).then(|| {
            self.app.clear_status();
            self.app.on_snapshot(handle.snapshot())
        });
        event_loop(handle, &mut self.app, &mut self.term, first.unwrap_or_default()).await
    }

    /// A line in the footer, shown on the next frame.
    pub fn say(&mut self, text: impl Into<String>, error: bool) {
        if error { self.app.fail(text) } else { self.app.say(text) }
    }
}

/// What the footer says while the first frame shows the saved state.
const OPENING: &str = "opening the data directory… (shown: what it held when it was last closed)";

fn setup(cfg: &Config, opts: &TuiOptions) -> Result<Term<std::io::Stdout>> {
    Term::setup(opts.mouse || cfg.tui.mouse).map_err(|e| {
        FactoryError::usage(format!("cannot open the terminal for the control room ({e}); use --headless"))
    })
}

/// Draws on change and turns keys, snapshots and replies into effects, starting with
/// `first` (those of a snapshot taken before the loop).
async fn event_loop<W: std::io::Write>(
    handle: &OrchestratorHandle,
    app: &mut App,
    term: &mut Term<W>,
    mut first: Vec<Effect>,
) -> Result<Exit> {
    let io = |e: std::io::Error| FactoryError::internal(format!("the terminal failed: {e}"));
    let mut keys = EventStream::new();
    let mut snapshots = handle.watch();
    let mut link = handle.link();
    app.set_link(link.borrow_and_update().clone());
    let (tx, mut replies) = mpsc::unbounded_channel();
    let mut signals = crate::signals::Signals::new();
    let clock = system_clock();
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    let mut time_due: Option<Instant> = None;
    loop {
        let now = Instant::now();
        let may_draw = last_draw.is_none_or(|t| now.duration_since(t) >= FRAME);
        if may_draw && (dirty || time_due.is_some_and(|d| now >= d)) {
            app.set_now(clock());
            term.draw(app).map_err(io)?;
            dirty = false;
            last_draw = Some(now);
            time_due = app.redraw_in().map(|ms| now + Duration::from_millis(ms));
        }
        let wake = match (dirty, last_draw, time_due) {
            (true, Some(t), _) => t + FRAME,
            (_, _, Some(d)) => d.max(last_draw.map_or(d, |t| t + FRAME)),
            _ => now + Duration::from_secs(3600),
        };
        let effects = if !first.is_empty() {
            std::mem::take(&mut first)
        } else {
            tokio::select! {
                ev = keys.next() => match ev {
                    Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => {
                        dirty = true;
                        app.handle_key(k)
                    }
                    Some(Ok(Event::Resize(..))) => {
                        dirty = true;
                        Vec::new()
                    }
                    // One event however long the paste (bracketed paste is on).
                    Some(Ok(Event::Paste(text))) => {
                        dirty = true;
                        app.handle_paste(text)
                    }
                    // Only with --mouse: clicks and the wheel (moves draw nothing).
                    Some(Ok(Event::Mouse(m))) => {
                        dirty |= mouse::redraws(&m);
                        app.handle_mouse(m)
                    }
                    Some(Ok(_)) => Vec::new(),
                    Some(Err(_)) | None => return Ok(Exit::Quit),
                },
                changed = snapshots.changed() => {
                    if changed.is_err() {
                        return Err(handle.stop_reason());
                    }
                    dirty = true;
                    let snap = std::sync::Arc::clone(&snapshots.borrow_and_update());
                    app.on_snapshot(snap)
                }
                Ok(()) = link.changed() => {
                    dirty = true;
                    app.set_link(link.borrow_and_update().clone());
                    Vec::new()
                }
                Some((id, reply)) = replies.recv() => {
                    dirty = true;
                    app.on_reply(id, reply)
                }
                _ = signals.recv() => return Ok(Exit::Quit),
                _ = tokio::time::sleep_until(wake.into()) => Vec::new(),
            }
        };
        for effect in effects {
            match effect {
                Effect::Request(id, cmd) => {
                    let handle = handle.clone();
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        let _ = tx.send((id, handle.request(cmd).await));
                    });
                }
                Effect::Bell => term.bell().map_err(io)?,
                Effect::Quit => return Ok(Exit::Quit),
                Effect::TakeOver => return Ok(Exit::TakeOver),
                Effect::Clipboard(text) => term.send(&external::osc52(&text)).map_err(io)?,
                Effect::External { program, workspace, path } => {
                    dirty = true;
                    match external::target(&workspace, &path) {
                        Err(why) => app.fail(why),
                        Ok(file) => {
                            // The key reader stops first (its thread holds crossterm's reader
                            // while it waits), so that every key goes to the program.
                            drop(keys);
                            term.suspend().map_err(io)?;
                            let status =
                                tokio::process::Command::from(external::command(&program, &file)).status().await;
                            term.resume().map_err(io)?;
                            keys = EventStream::new();
                            signals.forget_interrupts();
                            match external::outcome(&program, status) {
                                Ok(msg) => app.say(msg),
                                Err(msg) => app.fail(msg),
                            }
                        }
                    }
                }
            }
        }
    }
}
