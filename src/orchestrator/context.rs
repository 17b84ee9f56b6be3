//! The code a team task's prompt carries: the files its dependencies wrote, then the files
//! it is to replace that already exist, within `team.context_tokens`; a file that does not
//! fit is listed with its size and first lines, marked elided.

use std::io::Read;
use std::path::Path;

use crate::prompts::CodeItem;
use crate::providers::Usage;

/// Who wrote a file the template's scaffold made.
pub const SCAFFOLD: &str = "scaffold";

/// Lines of an elided file that the prompt still shows.
const ELIDED_LINES: usize = 12;
/// A file larger than this is never quoted whole, whatever the budget left.
const MAX_FILE_BYTES: u64 = 256 * 1024;
/// What is read of a file shown elided (its first lines are taken from this).
const HEAD_BYTES: u64 = 4 * 1024;

/// Estimated tokens of a text, as the providers' estimates count them.
pub fn tokens(text: &str) -> u64 {
    Usage::estimate(text.len(), 0).input
}

/// Reads `files` (relative to `app`, each with the task that wrote it) in order, quoting
/// each whole while `budget` estimated tokens last, and the rest elided. A file that is
/// missing is left out; one that is not UTF-8 text is listed as elided. The files the
/// template's scaffold wrote are quoted from `scaffold` (as rendered), not from the disk,
/// where a try of this very task cut short by a crash may have changed them.
pub fn gather(app: &Path, files: &[(String, String)], budget: u64, scaffold: &[(String, String)]) -> Vec<CodeItem> {
    let mut left = budget;
    let mut out: Vec<CodeItem> = Vec::new();
    let root = std::fs::File::open(app).ok();
    for (path, from) in files {
        if out.iter().any(|c| &c.path == path) {
            continue;
        }
        let rendered = (from == SCAFFOLD).then(|| scaffold.iter().find(|(p, _)| p == path)).flatten();
        let (bytes, whole, text) = match rendered {
            Some((_, content)) => {
                let whole = tokens(content) <= left;
                (content.len() as u64, whole, Some(content.clone()))
            }
            None => {
                // The checks ran the code, which may have left symlinks in app/: a file is
                // read only beneath it and through no link, never quoting what is outside.
                let Some(f) = root.as_ref().and_then(|r| crate::workspace::open_beneath(r, path).ok()) else {
                    continue;
                };
                let Some((bytes, whole, text)) = read_quoted(f, left) else { continue };
                (bytes, whole, text)
            }
        };
        let item = match text {
            Some(content) if whole => {
                left -= tokens(&content);
                CodeItem { path: path.clone(), from: from.clone(), content, elided: false, bytes }
            }
            Some(content) => {
                CodeItem { path: path.clone(), from: from.clone(), content: head(&content), elided: true, bytes }
            }
            None => CodeItem {
                path: path.clone(),
                from: from.clone(),
                content: "(not shown: larger than 256 KiB or not UTF-8 text)\n".into(),
                elided: true,
                bytes,
            },
        };
        out.push(item);
    }
    out
}

/// A file to quote, read with as few system calls as may be (the prompts of a thousand runs
/// quote tens of thousands of files): its size, then the whole file when it fits in the
/// budget left, else its first bytes. `(size, whole, text)`, with no text when it is not
/// UTF-8 or too large; `None` for what is not a regular file (a fifo, opened without
/// blocking, is never read).
fn read_quoted(mut f: std::fs::File, left: u64) -> Option<(u64, bool, Option<String>)> {
    let meta = f.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    let size = meta.len();
    if size > MAX_FILE_BYTES {
        return Some((size, false, None));
    }
    let whole = size.div_ceil(4) <= left;
    let mut buf = vec![0u8; if whole { size } else { size.min(HEAD_BYTES) } as usize];
    f.read_exact(&mut buf).ok()?;
    Some((size, whole, utf8(buf)))
}

/// Bytes as text: `None` if they are not UTF-8 (a character cut at the end is left out).
fn utf8(buf: Vec<u8>) -> Option<String> {
    match String::from_utf8(buf) {
        Ok(t) => Some(t),
        Err(e) if e.utf8_error().error_len().is_none() => {
            let valid = e.utf8_error().valid_up_to();
            let mut bytes = e.into_bytes();
            bytes.truncate(valid);
            String::from_utf8(bytes).ok()
        }
        Err(_) => None,
    }
}

/// The first lines of a text (each at most 200 characters).
fn head(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines().take(ELIDED_LINES) {
        let short: String = line.chars().take(200).collect();
        out.push_str(&short);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_in_order_until_the_budget_then_elides() {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path();
        std::fs::create_dir_all(app.join("a")).unwrap();
        std::fs::write(app.join("a/one.py"), "x = 1\n".repeat(40)).unwrap(); // 240 chars, 60 tokens
        std::fs::write(app.join("a/two.py"), (0..100).map(|i| format!("line {i}\n")).collect::<String>()).unwrap();
        std::fs::write(app.join("bin.dat"), [0xff, 0xfe, 0x00]).unwrap();
        let files = vec![
            ("a/one.py".to_string(), "models".to_string()),
            ("a/missing.py".to_string(), "models".to_string()),
            ("a/two.py".to_string(), "api".to_string()),
            ("a/one.py".to_string(), "api".to_string()),
            ("bin.dat".to_string(), String::new()),
        ];
        let code = gather(app, &files, 100, &[]);
        let paths: Vec<&str> = code.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["a/one.py", "a/two.py", "bin.dat"], "missing files are left out, each file once");
        assert!(!code[0].elided && code[0].content.len() == 240);
        assert!(code[1].elided, "past the budget");
        assert_eq!(code[1].content.lines().count(), ELIDED_LINES);
        assert!(code[1].content.starts_with("line 0\n"));
        assert!(code[2].elided && code[2].content.contains("not UTF-8"));
        // With room for both, both are whole.
        assert!(gather(app, &files, 10_000, &[]).iter().take(2).all(|c| !c.elided));
        // A scaffold file is quoted as the template rendered it, whatever the disk holds.
        let scaffold = vec![("a/one.py".to_string(), "rendered = True\n".to_string())];
        let own = vec![("a/one.py".to_string(), SCAFFOLD.to_string())];
        assert_eq!(gather(app, &own, 100, &scaffold)[0].content, "rendered = True\n");
    }
}
