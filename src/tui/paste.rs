//! Pasted text (a bracketed paste, one event) into the text field that has the focus, within its limit.

use ratatui::text::{Line, Span};
use ratatui_textarea::TextArea;

use super::app::{App, Effect, Screen};
use super::screens::overlays::Overlay;
use super::theme::Styles;

/// A text field's rules for pasted text.
pub struct Field {
    /// How a message names it: "an idea".
    pub what: &'static str,
    /// Longest text it takes, in characters (a line break counts as one).
    pub max: usize,
    /// Line breaks become spaces.
    pub one_line: bool,
    /// A dollar amount: digits and a point only.
    pub dollars: bool,
}

/// A run's name and idea: the orchestrator refuses longer ones (`MAX_NAME`, `MAX_IDEA` in
/// `orchestrator/pipeline.rs`); the form says so before sending.
pub const NAME: Field = Field { what: "a name", max: 80, one_line: true, dollars: false };
pub const IDEA: Field = Field { what: "an idea", max: 10_000, one_line: false, dollars: false };
/// A decision's note: the control room's own limit (it goes into the next prompt).
pub const NOTE: Field = Field { what: "a note", max: 4_000, one_line: false, dollars: false };
pub const BUDGET: Field = Field { what: "a dollar amount", max: 12, one_line: true, dollars: true };
pub const FILTER: Field = Field { what: "a filter", max: 200, one_line: true, dollars: false };
pub const SEARCH: Field = Field { what: "a search", max: 200, one_line: true, dollars: false };
pub const COMMAND: Field = Field { what: "the command line", max: 500, one_line: true, dollars: false };

/// `12,345`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Characters in a text area, a line break counting as one.
pub fn chars(t: &TextArea) -> usize {
    t.lines().iter().map(|l| l.chars().count()).sum::<usize>() + t.lines().len().saturating_sub(1)
}

/// Why a field's text is refused for its length, if it is: `an idea takes at most 10,000
/// characters (10,250 now)`.
pub fn too_long(t: &TextArea, field: &Field) -> Option<String> {
    let n = chars(t);
    (n > field.max)
        .then(|| format!("{} takes at most {} characters ({} now)", field.what, thousands(field.max), thousands(n)))
}

/// `1,234/10,000`: a field's length against its limit.
pub fn counter(len: usize, field: &Field) -> String {
    format!("{}/{}", thousands(len), thousands(field.max))
}

/// The counter for a field's block, on the right of its bottom border: muted, then a warning
/// colour from 90% of the limit, and the error colour past it.
pub fn counter_title(t: &TextArea, field: &Field, s: &Styles) -> Line<'static> {
    let len = chars(t);
    let style = if len > field.max {
        s.error
    } else if len * 10 >= field.max * 9 {
        s.warn
    } else {
        s.muted
    };
    Line::from(Span::styled(format!(" {} ", counter(len, field)), style)).right_aligned()
}

/// The pasted text as the field takes it: line breaks as `\n` (terminals send `\r`), tabs as
/// spaces, no other control characters; one line where the field has one.
pub fn clean(text: &str, field: &Field) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let kept: String =
        text.chars().map(|c| if c == '\t' { ' ' } else { c }).filter(|c| *c == '\n' || !c.is_control()).collect();
    if field.one_line {
        kept.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
    } else {
        kept
    }
}

/// What of `text` goes into a field holding `len` characters: the text, and a message when
/// only part of it fits. Refused (nothing goes in) when nothing fits or a dollar field gets
/// something else than a dollar amount.
pub fn fit(text: &str, len: usize, field: &Field) -> Result<(String, Option<String>), String> {
    let mut text = clean(text, field);
    if field.dollars {
        text = text.trim().trim_start_matches('$').to_string();
        if !text.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Err(format!("{} takes digits and a point, like 7.50: nothing was pasted", field.what));
        }
    }
    let n = text.chars().count();
    if n == 0 {
        return Ok((text, None));
    }
    let room = field.max.saturating_sub(len);
    if room == 0 {
        return Err(format!("{} takes at most {} characters: nothing was pasted", field.what, thousands(field.max)));
    }
    if n <= room {
        return Ok((text, None));
    }
    let kept: String = text.chars().take(room).collect();
    let msg = format!(
        "kept the first {} of {} characters pasted: {} takes at most {}",
        thousands(room),
        thousands(n),
        field.what,
        thousands(field.max)
    );
    Ok((kept, Some(msg)))
}

/// Pastes into a text area at its cursor: `Ok(Some(why))` when only part of it went in.
pub fn into_area(t: &mut TextArea, text: &str, field: &Field) -> Result<Option<String>, String> {
    let (kept, msg) = fit(text, chars(t), field)?;
    t.insert_str(kept);
    Ok(msg)
}

/// Pastes at the end of a line being typed (a viewer's search).
pub fn into_line(line: &mut String, text: &str, field: &Field) -> Result<Option<String>, String> {
    let (kept, msg) = fit(text, line.chars().count(), field)?;
    line.push_str(&kept);
    Ok(msg)
}

/// What to tell the user after a paste: why part or all of it was left out, if it was.
pub fn message(r: &Result<Option<String>, String>) -> Option<String> {
    match r {
        Ok(msg) => msg.clone(),
        Err(msg) => Some(msg.clone()),
    }
}

impl App {
    /// A paste (one event however long): its text goes into the text field that has the
    /// focus, as far as it fits; where none has it, nothing happens and the footer says so.
    pub fn handle_paste(&mut self, text: String) -> Vec<Effect> {
        self.last_click = None;
        let outcome = if let Some(input) = self.filter_input.as_mut() {
            let r = into_area(input, &text, &FILTER);
            self.filters[self.focus.index()] = input.lines().join("");
            self.refilter();
            Some(r)
        } else if let Some(overlay) = self.overlay_mut() {
            match overlay {
                Overlay::Command(cl) => {
                    cl.completions.clear();
                    cl.pick = None;
                    Some(into_area(&mut cl.input, &text, &COMMAND))
                }
                Overlay::Batch(b) => match b.note.as_mut() {
                    Some(note) => {
                        let r = into_area(note, &text, &NOTE);
                        b.error = message(&r);
                        return Vec::new();
                    }
                    None => None,
                },
                _ => None,
            }
        } else {
            match &mut self.screen {
                Screen::NewRun(form) => {
                    form.paste(&text);
                    return Vec::new();
                }
                Screen::Review(r) => super::screens::review::paste(r, &text),
                Screen::Browser(b) => {
                    b.file.as_mut().and_then(|f| f.viewer.search.typing.as_mut()).map(|q| into_line(q, &text, &SEARCH))
                }
                Screen::Dashboard | Screen::Stats(_) => None,
            }
        };
        match outcome {
            None => self.fail("nothing to paste into here: no text field has the focus"),
            Some(Ok(None)) => {}
            Some(Ok(Some(msg)) | Err(msg)) => self.fail(msg),
        }
        Vec::new()
    }
}
