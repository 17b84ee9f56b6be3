//! A read-only text viewer for documents and files: wrapped lines, optional line numbers, a
//! scroll position in %, and search (`/` to type, Enter to keep, `n`/`N` to move, a match
//! count). The review screen's tabs and the workspace browser's file pane are both one.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::config::keys::screens::VIEWER;
use crate::config::keys::{Action, Keymap};
use crate::sanitize;
use crate::tui::highlight;
use crate::tui::theme::{ColorMode, Styles};
use crate::tui::widgets;

/// How the lines are coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Markdown: headings as titles, quotes muted.
    Markdown,
    /// Plain text, as is.
    Plain,
    /// A unified diff: added lines ok, removed lines error, hunk headers info.
    Diff,
    /// Source code: cut at the width (never at words, so columns stay true), coloured by
    /// [`highlight::Code`] where a grammar knows the file.
    Code,
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
    pub scroll: super::scroll::Scroll,
    pub page: usize,
    pub search: Search,
    /// The highlighting of a [`Kind::Code`] file.
    pub code: Option<Box<highlight::Code>>,
}

impl Viewer {
    pub fn new(text: &str, kind: Kind) -> Viewer {
        Viewer {
            kind,
            lines: sanitize::lines(text),
            numbers: false,
            wrapped: Vec::new(),
            wrapped_width: 0,
            scroll: Default::default(),
            page: 20,
            search: Search::default(),
            code: None,
        }
    }

    /// A coloured unified diff of `old` to `new` (3 lines of context), or a line saying
    /// they are the same.
    pub fn diff(old: &str, new: &str) -> Viewer {
        let diff = similar::TextDiff::from_lines(old, new);
        let text = diff.unified_diff().context_radius(3).missing_newline_hint(false).to_string();
        let text = if text.is_empty() { "(no change from the revision before)".to_string() } else { text };
        Viewer::new(text.strip_suffix('\n').unwrap_or(&text), Kind::Diff)
    }

    /// Source code at `path`, highlighted lazily in `theme`'s colours at the terminal's depth.
    pub fn code(text: &str, path: &str, mode: ColorMode, theme: &str) -> Viewer {
        let mut v = Viewer::new(text, Kind::Code);
        let first = v.lines.first().map(String::as_str).unwrap_or("");
        v.code = Some(Box::new(highlight::Code::new(path, first, mode, theme)));
        v
    }

    /// Whether the rows on screen still wait for highlighting (another frame will do more).
    pub fn highlighting(&self) -> bool {
        let last = self.wrapped.get((self.scroll.top() + self.page).min(self.wrapped.len()).saturating_sub(1));
        let upto = last.map_or(0, |(l, _)| l + 1);
        self.code.as_ref().is_some_and(|c| c.behind(upto, self.lines.len()))
    }

    /// Highlights the logical lines shown from the top row down (within a frame's budget).
    fn highlight_visible(&mut self) {
        let Some(code) = self.code.as_mut() else { return };
        let last = self.wrapped.get((self.scroll.top() + self.page).min(self.wrapped.len()).saturating_sub(1));
        let upto = last.map_or(0, |(l, _)| l + 1);
        code.ensure(&self.lines, upto, highlight::FRAME_BUDGET);
    }

    /// The coloured spans of wrapped row `row` (logical line `l`, text `text`), when the line
    /// is highlighted and not a search match (a match shows in the search's style).
    fn code_spans(&self, row: usize, l: usize, text: &str, line_style: Style) -> Option<Vec<Span<'static>>> {
        let code = self.code.as_ref()?;
        if self.search.matches.binary_search(&l).is_ok() {
            return None;
        }
        let from: usize = self.wrapped[..row].iter().rev().take_while(|(x, _)| *x == l).map(|(_, t)| t.len()).sum();
        let line = &self.lines[l];
        let runs = code.runs(l, from, text.len())?;
        Some(
            runs.into_iter()
                .filter_map(|(s, r)| line.get(r).map(|t| Span::styled(t.to_string(), line_style.patch(s))))
                .collect(),
        )
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
        match keymap.action(key, &VIEWER) {
            Some(Action::Up) => self.scroll_by(-1),
            Some(Action::Down) => self.scroll_by(1),
            Some(Action::PageUp) => self.scroll_by(-(self.page.max(1) as isize)),
            Some(Action::PageDown) => self.scroll_by(self.page.max(1) as isize),
            Some(Action::Top) => self.scroll.set(0),
            Some(Action::Bottom) => self.scroll.set(self.wrapped.len().saturating_sub(self.page)),
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
        let top = self.top_line();
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
        self.scroll.set(row.saturating_sub(self.page / 3));
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
        (self.scroll.top().min(max) * 100).checked_div(max).map_or(100, |p| p as u16)
    }

    fn scroll_by(&mut self, delta: isize) {
        self.scroll.by(delta);
        self.clamp();
    }

    /// The logical line at the top of the view.
    fn top_line(&self) -> usize {
        if self.wrapped.is_empty() {
            self.scroll.top()
        } else {
            self.wrapped.get(self.scroll.top()).map_or(0, |(l, _)| *l)
        }
    }

    /// Keeps the scroll within the text. Before the first frame nothing is wrapped yet: the
    /// scroll is then a logical line, which the first frame maps onto its rows.
    fn clamp(&mut self) {
        if self.wrapped.is_empty() {
            self.scroll.clamp(self.lines.len(), 1);
        } else {
            self.scroll.clamp(self.wrapped.len(), self.page);
        }
    }

    fn gutter(&self) -> usize {
        if self.numbers { self.lines.len().max(1).to_string().len() + 1 } else { 0 }
    }

    /// Wraps to `width` if it changed since the last frame, keeping the top line in view.
    fn rewrap(&mut self, width: u16) {
        if self.wrapped_width == width && !self.wrapped.is_empty() {
            return;
        }
        let top = self.top_line();
        let text_width = (width as usize).saturating_sub(self.gutter()).max(1);
        self.wrapped.clear();
        for (i, line) in self.lines.iter().enumerate() {
            for row in wrap_line(self.kind, line, text_width) {
                self.wrapped.push((i, row));
            }
        }
        self.wrapped_width = width;
        self.scroll.set(self.wrapped.iter().position(|(l, _)| *l >= top).unwrap_or(0));
    }

    /// Draws the visible rows into `area` (no border: the caller frames it).
    pub fn render(&mut self, f: &mut Frame, area: Rect, t: &Styles) {
        self.rewrap(area.width);
        self.page = area.height as usize;
        self.clamp();
        self.highlight_visible();
        let gutter = self.gutter();
        let current = self.search.matches.get(self.search.current).copied();
        let mut rows: Vec<Line> = Vec::with_capacity(self.page);
        let mut last = None;
        for (row, (l, text)) in self.scroll.window(self.wrapped.iter().enumerate(), self.page) {
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
            match self.code_spans(row, *l, text, style) {
                Some(code) => spans.extend(code),
                None => spans.push(Span::styled(text.clone(), style)),
            }
            rows.push(Line::from(spans));
        }
        f.render_widget(Paragraph::new(rows).style(t.base), area);
    }

    fn style(&self, line: &str, t: &Styles) -> Style {
        match self.kind {
            Kind::Markdown if line.starts_with('#') => t.title,
            Kind::Markdown if line.starts_with("> ") => t.muted,
            Kind::Diff if line.starts_with('+') => t.ok,
            Kind::Diff if line.starts_with('-') => t.error,
            Kind::Diff if line.starts_with("@@") => t.info,
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

/// One logical line as rows of at most `width` columns: code is cut at the width (every
/// byte kept, so the rows join back into the line), everything else wraps at words.
fn wrap_line(kind: Kind, line: &String, width: usize) -> Vec<String> {
    if kind != Kind::Code {
        return widgets::wrap(std::slice::from_ref(line), width);
    }
    let mut rows = Vec::new();
    let (mut cur, mut w) = (String::new(), 0);
    for c in line.chars() {
        let cw = widgets::width(c.encode_utf8(&mut [0; 4]));
        if w + cw > width.max(1) && !cur.is_empty() {
            rows.push(std::mem::take(&mut cur));
            w = 0;
        }
        cur.push(c);
        w += cw;
    }
    rows.push(cur);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyModifiers;

    fn press(v: &mut Viewer, c: char) -> bool {
        v.key(&Keymap::default(), &KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    #[test]
    fn a_search_before_the_first_frame_shows_its_match_once_drawn() {
        let text: Vec<String> =
            (0..200).map(|i| if i == 150 { "the needle".into() } else { format!("line {i}") }).collect();
        let mut v = Viewer::new(&text.join("\n"), Kind::Plain);
        v.find("needle");
        assert!(v.scroll.top() > 100, "scrolled towards line 151 before any frame: {}", v.scroll.top());
        v.rewrap(80);
        v.page = 20;
        v.clamp();
        let rows: Vec<usize> = v.scroll.window(v.wrapped.iter(), v.page).map(|(l, _)| *l).collect();
        assert!(rows.contains(&150), "the match is on screen: {rows:?}");
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
        assert!(v.scroll.top() <= 13 && 13 < v.scroll.top() + v.page, "the match is on screen");
        v.key(&Keymap::default(), &KeyEvent::new(KeyCode::Char('N'), KeyModifiers::SHIFT));
        v.key(&Keymap::default(), &KeyEvent::new(KeyCode::Char('N'), KeyModifiers::SHIFT));
        assert_eq!(v.search.current, 9, "N wraps around to the last match");
        // The last match (line 94) shown a third of the way down puts the view at its end.
        assert_eq!((v.scroll.top(), v.percent()), (90, 100));
    }
}
