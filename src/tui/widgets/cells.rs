//! Text fitted to terminal cells by display width: cut with `…`, wrapped at words, in table cells, under a solid selection.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table, TableState};
use unicode_width::UnicodeWidthChar;

/// Display width of a string in terminal cells.
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Cuts text to `width` terminal cells (`名` takes two), marking the cut with `…`.
pub fn fit(text: &str, width: usize) -> String {
    if self::width(text) <= width { text.to_string() } else { cut(text, width) }
}

/// The start of `text` and `…`, in at most `width` cells.
fn cut(text: &str, width: usize) -> String {
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        if used + char_width(c) + 1 > width {
            break;
        }
        out.push(c);
        used += char_width(c);
    }
    out.push('…');
    out
}

/// `fit`, then padded with spaces to `width` cells.
pub fn pad(text: &str, width: usize) -> String {
    let mut out = fit(text, width);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(self::width(&out))));
    out
}

/// Cuts a styled line to `width` cells, marking the cut with `…` in the style of the text cut.
pub fn fit_line(line: Line<'_>, width: usize) -> Line<'_> {
    if line.width() <= width {
        return line;
    }
    let mut room = width;
    let mut spans = Vec::new();
    for s in line.spans {
        let w = s.width();
        if w < room {
            room -= w;
            spans.push(s);
        } else {
            // The line is too wide, so the cut falls in this span, whose end it marks.
            spans.push(Span::styled(cut(&s.content, room), s.style));
            break;
        }
    }
    Line { spans, ..line }
}

/// The widths a table gives columns of `widths`, one cell apart, in `width` cells.
pub fn column_widths(widths: &[Constraint], width: u16) -> Vec<u16> {
    let area = Rect::new(0, 0, width, 1);
    Layout::horizontal(widths.iter().copied())
        .flex(Flex::Start)
        .spacing(1)
        .split(area)
        .iter()
        .map(|r| r.width)
        .collect()
}

/// A table row whose cells are cut to their columns with `…`, never silently.
pub fn fitted_row<'a>(cells: Vec<Line<'a>>, columns: &[u16]) -> Row<'a> {
    Row::new(cells.into_iter().zip(columns).map(|(l, w)| Cell::from(fit_line(l, *w as usize))))
}

/// Draws `table` (columns one cell apart) with its row `selected` in `style` over every
/// cell's own style: a solid bar, not stripes between the columns.
pub fn render_table(f: &mut Frame, table: Table, area: Rect, selected: Option<usize>, style: Style) {
    let mut state = TableState::default().with_selected(selected);
    f.render_stateful_widget(table.column_spacing(1).row_highlight_style(style), area, &mut state);
}

/// Paints row `row` of `area` in `style` over what is drawn there: a list's selection as
/// one bar across the list.
pub fn paint_row(f: &mut Frame, area: Rect, row: usize, style: Style) {
    if row < area.height as usize {
        f.buffer_mut().set_style(Rect { y: area.y + row as u16, height: 1, ..area }, style);
    }
}

/// Wraps lines at spaces to `width` cells (a word longer than a row is cut).
pub fn wrap(lines: &[String], width: usize) -> Vec<String> {
    let lines = lines.iter().map(|l| Line::from(Span::raw(l.clone()))).collect();
    wrap_lines(lines, width, 0).into_iter().map(|l| l.spans.into_iter().map(|s| s.content).collect()).collect()
}

/// Wraps styled lines at spaces to `width` cells (a word longer than a row is cut), keeping
/// each character's style; rows after a line's first are indented by `indent` cells.
pub fn wrap_lines(lines: Vec<Line<'static>>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let indent = if indent * 2 <= width { indent } else { 0 };
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line.width() <= width {
            out.push(line);
            continue;
        }
        let base = line.style;
        let chars: Vec<(char, Style)> =
            line.spans.iter().flat_map(|s| s.content.chars().map(move |c| (c, base.patch(s.style)))).collect();
        let mut rows: Vec<Vec<(char, Style)>> = vec![Vec::new()];
        let mut used = 0;
        // Words with the spaces after them.
        let mut rest = &chars[..];
        while !rest.is_empty() {
            let end = rest.iter().position(|(c, _)| *c == ' ').unwrap_or(rest.len());
            let end = end + rest[end..].iter().take_while(|(c, _)| *c == ' ').count();
            let (word, after) = rest.split_at(end);
            rest = after;
            let room = if rows.len() == 1 { width } else { width - indent };
            let bare: usize = word.iter().filter(|(c, _)| *c != ' ').map(|(c, _)| char_width(*c)).sum();
            if used + bare > room && used > 0 {
                rows.push(Vec::new());
                used = 0;
            }
            for &(c, s) in word {
                let room = if rows.len() == 1 { width } else { width - indent };
                if used + char_width(c) > room && used > 0 && c != ' ' {
                    rows.push(Vec::new());
                    used = 0;
                }
                if let Some(row) = rows.last_mut() {
                    row.push((c, s));
                }
                used += char_width(c);
            }
        }
        for (k, row) in rows.into_iter().enumerate() {
            let keep = row.iter().rposition(|(c, _)| *c != ' ').map_or(0, |i| i + 1);
            let mut spans: Vec<Span<'static>> = Vec::new();
            if k > 0 && indent > 0 {
                spans.push(Span::raw(" ".repeat(indent)));
            }
            let mut run: Option<(String, Style)> = None;
            for &(c, s) in &row[..keep] {
                match run.as_mut() {
                    Some((text, style)) if *style == s => text.push(c),
                    _ => {
                        if let Some((text, style)) = run.replace((c.to_string(), s)) {
                            spans.push(Span::styled(text, style));
                        }
                    }
                }
            }
            if let Some((text, style)) = run {
                spans.push(Span::styled(text, style));
            }
            out.push(Line::from(spans));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_counts_terminal_cells_and_marks_every_cut() {
        assert_eq!(fit("Ledgerly", 5), "Ledg…");
        assert_eq!(fit("Ledgerly", 8), "Ledgerly");
        assert_eq!(fit("名前名前", 5), "名前…");
        assert_eq!(fit("Émoji 🚀 名前", 8), "Émoji …", "a wide character that does not fit leaves a cell");
        assert_eq!(pad("名前", 6), "名前  ");
        let line = Line::from(vec![Span::raw("Problem"), Span::raw("-solution fit")]);
        assert_eq!(fit_line(line.clone(), 13).to_string(), "Problem-solu…");
        assert_eq!(fit_line(line.clone(), 8).to_string(), "Problem…");
        assert_eq!(fit_line(line, 7).to_string(), "Proble…");
    }

    #[test]
    fn wrapping_keeps_words_and_styles() {
        let wrapped = wrap(&["the quick brown fox jumps".to_string(), "abcdefghij".to_string()], 10);
        assert_eq!(wrapped, vec!["the quick", "brown fox", "jumps", "abcdefghij"]);
        assert_eq!(wrap(&["abcdefghijkl".to_string()], 5), vec!["abcde", "fghij", "kl"]);
        let bold = Style::default().add_modifier(ratatui::style::Modifier::BOLD);
        let line = Line::from(vec![Span::styled("12:00 ", bold), Span::raw("the budget gate opened")]);
        let rows = wrap_lines(vec![line], 14, 6);
        let text: Vec<String> = rows.iter().map(|l| l.to_string()).collect();
        assert_eq!(text, vec!["12:00 the", "      budget", "      gate", "      opened"]);
        assert_eq!(rows[0].spans[0].style, bold);
        assert!(rows.iter().all(|l| l.width() <= 14));
    }
}
