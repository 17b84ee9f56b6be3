//! The code a team task's prompt carries: the files its dependencies wrote, then the files
//! it is to replace that already exist, within `team.context_tokens`; a file that does not
//! fit is listed with its size and first lines, marked elided.

use std::path::Path;

use crate::prompts::CodeItem;
use crate::providers::Usage;

/// Who wrote a file the template's scaffold made.
pub const SCAFFOLD: &str = "scaffold";

/// Lines of an elided file that the prompt still shows.
const ELIDED_LINES: usize = 12;
/// A file larger than this is never quoted whole, whatever the budget left.
const MAX_FILE_BYTES: u64 = 256 * 1024;

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
    for (path, from) in files {
        if out.iter().any(|c| &c.path == path) {
            continue;
        }
        let rendered = (from == SCAFFOLD).then(|| scaffold.iter().find(|(p, _)| p == path)).flatten();
        let (bytes, text) = match rendered {
            Some((_, content)) => (content.len() as u64, Some(content.clone())),
            None => {
                let full = app.join(path);
                let Ok(meta) = std::fs::symlink_metadata(&full) else { continue };
                if !meta.is_file() {
                    continue;
                }
                let bytes = meta.len();
                let text = (bytes <= MAX_FILE_BYTES)
                    .then(|| std::fs::read(&full).ok().and_then(|b| String::from_utf8(b).ok()))
                    .flatten();
                (bytes, text)
            }
        };
        let item = match text {
            Some(content) if tokens(&content) <= left => {
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
