//! What the views read of `App`, and the few things set from outside it (the config, the clock, the link).

use super::super::scroll::Scroll;
use super::super::theme::{ColorMode, Theme};
use super::{App, Pane, Settings, Status};
use crate::config::keys::Keymap;

impl App {
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    pub fn color_mode(&self) -> ColorMode {
        self.color_mode
    }

    /// Who decides gates from this terminal.
    pub fn reviewer(&self) -> &str {
        &self.reviewer
    }

    pub fn link(&self) -> &crate::orchestrator::Link {
        &self.link
    }

    /// The owner's link changed (attached, lost, back).
    pub fn set_link(&mut self, link: crate::orchestrator::Link) {
        self.link = link;
    }

    /// Indices into `snap.runs` that pass the Startups filter, in order.
    pub fn visible_runs(&self) -> &[usize] {
        &self.visible_runs
    }

    /// Indices into `snap.gates` that pass the inbox's filter, in order.
    pub fn visible_gates(&self) -> &[usize] {
        &self.visible_gates
    }

    /// Milliseconds until a time shown in the last frame changes: when to draw again.
    pub fn redraw_in(&self) -> Option<u64> {
        self.redraw_in.get()
    }

    /// Where `pane`'s list was scrolled to in the last frame.
    pub fn scroll_of(&self, pane: Pane) -> Scroll {
        self.offsets[pane.index()].get()
    }

    /// `pane`'s list as it is drawn: `scroll` is where it stands.
    pub fn scrolled(&self, pane: Pane, scroll: Scroll) {
        self.offsets[pane.index()].set(scroll);
    }

    /// Before a frame: what the last one recorded (times shown, where the panes were) goes.
    pub fn begin_frame(&mut self) {
        self.redraw_in.set(None);
        self.hit = Default::default();
    }

    pub fn theme(&self) -> &Theme {
        &self.theme
    }

    /// `:theme`: the control room is drawn in `theme` from the next frame.
    pub fn set_theme(&mut self, theme: Theme) {
        self.theme = theme;
    }

    /// Which keys do what (the defaults with the config's `[tui.keys]`).
    pub fn keymap(&self) -> &Keymap {
        &self.keymap
    }

    pub fn set_keymap(&mut self, keymap: Keymap) {
        self.keymap = keymap;
    }

    /// Milliseconds since the epoch, as of this frame.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Before a frame: the clock's time, which waits and ETAs are drawn against.
    pub fn set_now(&mut self, ms: u64) {
        self.now = ms;
    }

    /// The footer's message, if one is showing.
    pub fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }

    /// A key was taken: the footer's message has been read.
    pub fn clear_status(&mut self) {
        self.status = None;
    }
}
