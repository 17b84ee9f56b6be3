//! A read-only text viewer for documents and files: wrapped lines, optional line numbers, a
//! scroll position in %, and search (`/` to type, Enter to keep, `n`/`N` to move, a match
//! count). The review screen's tabs and the workspace browser's file pane are both one.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::sanitize;
use crate::tui::keymap::{Action, Keymap};
use crate::tui::theme::Styles;
use crate::tui::widgets;

/// How the lines are coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Markdown: headings as titles, quotes muted.
    Markdown,
    /// Plain text, as is.
    Plain,
}

/// The search being typed, or the last one kept.
#[derive(Clone, Debug, Default)]
pub struct Search {
    /// Some while the query is being typed.
    pub typing: Option<String>,
    pub query: String,
    /// Logical lines that hold the query (case-insensitive), in order.
    pub matches: Vec<usize>,
    /// Index into `matches` of the current one.
    pub current: usize,
}

pub struct Viewer {
    pub kind: Kind,
    /// The text made inert, one entry per logical line.
    pub lines: Vec<String>,
    pub numbers: bool,
    /// `lines` wrapped to `wrapped_width`: (logical line, text of the row).
    wrapped: Vec<(usize, String)>,
    wrapped_width: u16,
    /// First row shown, and rows shown at the last frame.
    pub scroll: usize,
    pub page: usize,
    pub search: Search,
}

/// The keys a viewer takes (besides the typing of a search).
pub const KEYS: [Action; 9] = [
    Action::Up,
    Action::Down,
    Action::PageUp,
    Action::PageDown,
    Action::Top,
    Action::Bottom,
    Action::Search,
    Action::NextMatch,
    Action::PrevMatch,
];

impl Viewer {
    pub fn new(text: &str, kind: Kind) -> Viewer {
        Viewer {
            kind,
            lines: sanitize::lines(text),
            numbers: false,
            wrapped: Vec::new(),
            wrapped_width: 0,
            scroll: 0,
            page: 20,
            search: Search::default(),
        }
    }

    pub fn with_numbers(mut self) -> Viewer {
        self.numbers = true;
        self
    }

    /// Whether a search query is being typed (every key goes to it, none to a decision).
    pub fn typing(&self) -> bool {
        self.search.typing.is_some()
    }

    /// Handles a key; `true` when the viewer used it.
    pub fn key(&mut self, keymap: &Keymap, key: &KeyEvent) -> bool {
        if let Some(q) = self.search.typing.as_mut() {
            match key.code {
                KeyCode::Esc => self.search.typing = None,
                KeyCode::Enter => {
                    let q = self.search.typing.take().unwrap_or_default();
                    self.find(&q);
                }
                KeyCode::Backspace => {
                    q.pop();
                }
                KeyCode::Char(c) => q.push(c),
                _ => {}
            }
            return true;
        }
        match keymap.action(key, &KEYS) {
            Some(Action::Up) => self.scroll_by(-1),
            Some(Action::Down) => self.scroll_by(1),
            Some(Action::PageUp) => self.scroll_by(-(self.page.max(1) as isize)),
            Some(Action::PageDown) => self.scroll_by(self.page.max(1) as isize),
            Some(Action::Top) => self.scroll = 0,
            Some(Action::Bottom) => self.scroll = self.wrapped.len().saturating_sub(self.page),
            Some(Action::Search) => self.search.typing = Some(String::new()),
            Some(Action::NextMatch) => self.step_match(1),
            Some(Action::PrevMatch) => self.step_match(-1),
            _ => return false,
        }
        true
    }

    /// Finds `query` (case-insensitive) and shows the first match at or after the top row.
    pub fn find(&mut self, query: &str) {
        let q = query.to_lowercase();
        self.search.query = query.to_string();
        self.search.matches = if q.is_empty() {
            Vec::new()
        } else {
            (0..self.lines.len()).filter(|i| self.lines[*i].to_lowercase().contains(&q)).collect()
        };
        let top = self.wrapped.get(self.scroll).map_or(0, |(l, _)| *l);
        self.search.current = self.search.matches.iter().position(|l| *l >= top).unwrap_or(0);
        self.show_current();
    }

    fn step_match(&mut self, delta: isize) {
        let n = self.search.matches.len();
        if n == 0 {
            return;
        }
        self.search.current = (self.search.current as isize + delta).rem_euclid(n as isize) as usize;
        self.show_current();
    }

    /// Scrolls so that the current match is on screen (a third of the way down).
    fn show_current(&mut self) {
        let Some(line) = self.search.matches.get(self.search.current).copied() else { return };
        let row = self.wrapped.iter().position(|(l, _)| *l == line).unwrap_or(line);
        self.scroll = row.saturating_sub(self.page / 3);
        self.clamp();
    }

    /// `3/12`, or `no match`, for the last search; `None` when there was none.
    pub fn match_label(&self) -> Option<String> {
        if self.search.query.is_empty() {
            return None;
        }
        Some(match self.search.matches.len() {
            0 => format!("“{}”: no match", self.search.query),
            n => format!("“{}” {}/{n}", self.search.query, self.search.current + 1),
        })
    }

    /// How far down the text the view is, in %.
    pub fn percent(&self) -> u16 {
        let max = self.wrapped.len().saturating_sub(self.page);
        (self.scroll.min(max) * 100).checked_div(max).map_or(100, |p| p as u16)
    }

    fn scroll_by(&mut self, delta: isize) {
        self.scroll = (self.scroll as isize + delta).max(0) as usize;
        self.clamp();
    }

    fn clamp(&mut self) {
        self.scroll = self.scroll.min(self.wrapped.len().saturating_sub(self.page));
    }

    fn gutter(&self) -> usize {
        if self.numbers { self.lines.len().max(1).to_string().len() + 1 } else { 0 }
    }

    /// Wraps to `width` if it changed since the last frame, keeping the top line in view.
    fn rewrap(&mut self, width: u16) {
        if self.wrapped_width == width && !self.wrapped.is_empty() {
            return;
        }
        let top = self.wrapped.get(self.scroll).map_or(0, |(l, _)| *l);
        let text_width = (width as usize).saturating_sub(self.gutter()).max(1);
        self.wrapped.clear();
        for (i, line) in self.lines.iter().enumerate() {
            for row in widgets::wrap(std::slice::from_ref(line), text_width) {
                self.wrapped.push((i, row));
            }
        }
        self.wrapped_width = width;
        self.scroll = self.wrapped.iter().position(|(l, _)| *l >= top).unwrap_or(0);
    }

    /// Draws the visible rows into `area` (no border: the caller frames it).
    pub fn render(&mut self, f: &mut Frame, area: Rect, t: &Styles) {
        self.rewrap(area.width);
        self.page = area.height as usize;
        self.clamp();
        let gutter = self.gutter();
        let current = self.search.matches.get(self.search.current).copied();
        let mut rows: Vec<Line> = Vec::with_capacity(self.page);
        let mut last = None;
        for (l, text) in self.wrapped.iter().skip(self.scroll).take(self.page) {
            let mut spans = Vec::new();
            if gutter > 0 {
                let n = if last == Some(*l) { String::new() } else { (l + 1).to_string() };
                spans.push(Span::styled(format!("{n:>w$} ", w = gutter - 1), t.muted));
            }
            last = Some(*l);
            let style = self.style(&self.lines[*l], t);
            let style = if current == Some(*l) {
                style.patch(t.selection)
            } else if self.search.matches.binary_search(l).is_ok() {
                style.patch(t.accent)
            } else {
                style
            };
            spans.push(Span::styled(text.clone(), style));
            rows.push(Line::from(spans));
        }
        f.render_widget(Paragraph::new(rows).style(t.base), area);
    }

    fn style(&self, line: &str, t: &Styles) -> Style {
        match self.kind {
            Kind::Markdown if line.starts_with('#') => t.title,
            Kind::Markdown if line.starts_with("> ") => t.muted,
            _ => t.base,
        }
    }

    /// The line under the viewer while a search is typed or after one: `/query▏` or `“q” 3/12`.
    pub fn search_line(&self, t: &Styles) -> Option<Line<'static>> {
        match &self.search.typing {
            Some(q) => Some(Line::from(vec![
                Span::styled("/", t.key),
                Span::styled(format!("{}▏", sanitize::line(q)), t.input),
                Span::styled("  Enter find · Esc cancel", t.muted),
            ])),
            None => self.match_label().map(|m| Line::from(Span::styled(sanitize::line(&m).into_owned(), t.info))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyModifiers;

    fn press(v: &mut Viewer, c: char) -> bool {
        v.key(&Keymap::default(), &KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    #[test]
    fn search_counts_matches_and_moves_between_them() {
        let text = (0..100).map(|i| if i % 10 == 3 { format!("line {i} Rollback") } else { format!("line {i}") });
        let mut v = Viewer::new(&text.collect::<Vec<_>>().join("\n"), Kind::Plain);
        v.rewrap(80);
        v.page = 10;
        assert!(press(&mut v, '/'));
        assert!(v.typing());
        for c in "rollback".chars() {
            assert!(press(&mut v, c), "typed keys go to the query, never elsewhere");
        }
        v.key(&Keymap::default(), &KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        assert!(!v.typing());
        assert_eq!(v.search.matches.len(), 10);
        assert_eq!(v.match_label().unwrap(), "“rollback” 1/10");
        press(&mut v, 'n');
        assert_eq!(v.search.current, 1);
        assert!(v.scroll <= 13 && 13 < v.scroll + v.page, "the match is on screen");
        v.key(&Keymap::default(), &KeyEvent::new(KeyCode::Char('N'), KeyModifiers::SHIFT));
        v.key(&Keymap::default(), &KeyEvent::new(KeyCode::Char('N'), KeyModifiers::SHIFT));
        assert_eq!(v.search.current, 9, "N wraps around to the last match");
        assert_eq!(v.percent(), 100.min(v.scroll as u16 * 100 / 90));
    }
}
