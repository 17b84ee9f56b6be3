//! Text from providers, templates and users is untrusted: before it reaches a terminal (the
//! control room, the command line's output, exports), control characters (escape
//! sequences, OSC 52 clipboard writes, OSC 8 links) and bidi overrides are replaced by
//! visible, inert symbols, or, in JSON, written as `\u` escapes.

use std::borrow::Cow;

/// Whether a character would act on the terminal or reorder the text around it.
fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
        || matches!(c, '\u{FFF9}'..='\u{FFFB}')
}

/// One line of text made inert: tabs become spaces, ESC shows as `␛`, other controls as
/// `�`, bidi controls as `⸮`. Newlines are not expected here (split lines first).
pub fn line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hostile) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push_str("    "),
            '\u{1b}' => out.push('␛'),
            c if c.is_control() => out.push('\u{FFFD}'),
            c if is_hostile(c) => out.push('⸮'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Text made inert with its line breaks kept: what the command line prints.
pub fn text(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_hostile(c)) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(lines(text).join("\n"))
}

/// JSON with its bidi controls written as `\u` escapes (serde_json already escapes control
/// characters), so that printing it cannot reorder a terminal's text. Same JSON value.
pub fn json(text: String) -> String {
    if !text.chars().any(is_hostile) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_hostile(c) && !c.is_ascii() {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Many lines made inert, `\r\n` and `\r` counting as line ends.
pub fn lines(text: &str) -> Vec<String> {
    text.split('\n').map(|l| line(l.strip_suffix('\r').unwrap_or(l)).into_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_bidi_become_inert() {
        let hostile = "ok\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}]8;;http://x\u{1b}\\link\u{202E}txt.exe";
        let safe = line(hostile);
        assert!(!safe.chars().any(|c| c.is_control() || ('\u{202A}'..='\u{202E}').contains(&c)), "{safe}");
        assert!(safe.starts_with("ok␛[2J␛]52;c;"));
        assert_eq!(line("plain"), Cow::Borrowed("plain"));
        assert_eq!(lines("a\r\nb\tc"), vec!["a".to_string(), "b    c".to_string()]);
        assert_eq!(text("one\ntwo\u{1b}[2J"), "one\ntwo␛[2J");
        assert_eq!(text("plain\nlines"), Cow::Borrowed("plain\nlines"));
    }

    #[test]
    fn json_keeps_its_value_and_loses_its_bidi_controls() {
        let value = serde_json::json!({"name": "evil\u{202E}txt.exe", "esc": "\u{1b}]52;c;x\u{7}"});
        let printed = json(serde_json::to_string(&value).unwrap());
        assert!(!printed.chars().any(|c| c.is_control() || c == '\u{202E}'), "{printed}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&printed).unwrap(), value);
    }
}
