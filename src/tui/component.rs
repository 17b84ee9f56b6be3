//! Layers of the control room: each takes a key (consumed or not) and draws itself; keys go down the stack.

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

use super::app::{App, Effect};

/// What a layer did with a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventState {
    /// The layer used it: the layers below never see it.
    Consumed,
    /// The layer used it and closes: it leaves the stack.
    Closed,
    /// Not this layer's key: it goes on down.
    NotConsumed,
}

/// A key's outcome: its state, and what the event loop must do.
#[derive(Debug)]
pub struct Handled {
    pub state: EventState,
    pub effects: Vec<Effect>,
}

impl Handled {
    pub fn consumed(effects: Vec<Effect>) -> Handled {
        Handled { state: EventState::Consumed, effects }
    }

    pub fn closed(effects: Vec<Effect>) -> Handled {
        Handled { state: EventState::Closed, effects }
    }

    pub fn not_consumed() -> Handled {
        Handled { state: EventState::NotConsumed, effects: Vec::new() }
    }
}

/// One layer of the stack. While it handles a key or draws, it is lifted off the stack, so
/// it has the rest of the control room (`app`) beside itself; what it opens goes above it.
pub trait Component {
    fn event(&mut self, app: &mut App, key: KeyEvent) -> Handled;

    /// Draws over what is below; `&mut self` only to keep its scroll in view of the area.
    fn draw(&mut self, app: &App, f: &mut Frame, area: Rect);

    /// Its keys, for the footer.
    fn hints(&self, app: &App) -> Vec<(String, &'static str)>;
}
