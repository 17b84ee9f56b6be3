//! Reading a provider's answer: the files it holds, its quality score, and the header each
//! artifact carries (phase, provider, model, simulated, tokens, cost).

use crate::domain::Phase;
use crate::domain::money::fmt_usd_exact;

/// `(path, content)` of every `### File: PATH` heading followed by a fenced block.
pub fn file_blocks(text: &str) -> Vec<(String, String)> {
    blocks(text).into_iter().map(|b| (b.path, b.body)).collect()
}

/// The file blocks of an answer that was not cut off, or the path of the first block whose
/// code fence is never closed (the answer stopped there, and the file would be written half).
pub fn whole_file_blocks(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for b in blocks(text) {
        if !b.closed {
            return Err(b.path);
        }
        out.push((b.path, b.body));
    }
    Ok(out)
}

struct Block {
    path: String,
    body: String,
    closed: bool,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    // Lines with the offset each starts at, so that a body is copied once, as a slice.
    let mut lines = text.split_inclusive('\n').scan(0usize, |at, l| {
        let start = *at;
        *at += l.len();
        Some((start, l.trim_end_matches(['\n', '\r'])))
    });
    let mut pending: Option<(usize, &str)> = None;
    while let Some((_, line)) = pending.take().or_else(|| lines.next()) {
        let Some(rest) = line.trim_start().strip_prefix("### File:") else {
            continue;
        };
        let path = rest.trim().trim_matches('`').trim().to_string();
        // Skip blank lines up to the opening fence.
        let mut open = lines.next();
        while open.is_some_and(|(_, l)| l.trim().is_empty()) {
            open = lines.next();
        }
        let Some((open_at, open_line)) = open else { break };
        let fence: String = open_line.trim_start().chars().take_while(|c| *c == '`' || *c == '~').collect();
        if fence.len() < 3 {
            // Not a block: the line may itself open the next file.
            pending = Some((open_at, open_line));
            continue;
        }
        let body_start = open_at + text[open_at..].find('\n').map(|n| n + 1).unwrap_or(text.len() - open_at);
        let mut body_end = text.len();
        let mut closed = false;
        for (at, l) in lines.by_ref() {
            if l.trim_start().starts_with(&fence) && l.trim() == fence.as_str() {
                body_end = at;
                closed = true;
                break;
            }
        }
        let slice = &text[body_start.min(body_end)..body_end];
        let mut body = if slice.contains('\r') { slice.replace("\r\n", "\n") } else { slice.to_string() };
        if !body.is_empty() && !body.ends_with('\n') {
            body.push('\n');
        }
        out.push(Block { path, body, closed });
    }
    out
}

/// Whether a file's content parses, by its extension (JSON and TOML; others pass).
pub fn check_parses(path: &str, content: &str) -> Result<(), String> {
    if path.ends_with(".json") {
        serde_json::from_str::<serde_json::Value>(content).map_err(|e| format!("{path}: invalid JSON ({e})"))?;
    } else if path.ends_with(".toml") {
        toml::from_str::<toml::Table>(content).map_err(|e| format!("{path}: invalid TOML ({})", e.message().trim()))?;
    }
    Ok(())
}

/// Words of body text a required section needs to count as written.
const MIN_SECTION_WORDS: usize = 8;

/// Words and phrases that mark a document as unfinished (as whole words; `TODO` and `TBD`
/// in capitals, so that a to-do app's spec is not one): it scores no more than half.
const PLACEHOLDERS: [&[&str]; 4] = [&["TODO"], &["TBD"], &["lorem", "ipsum"], &["to", "be", "written"]];

/// Quality of a document, 0 to 1: mostly the share of required sections that are present
/// *with body text* (at least a few words under the heading), the rest its length against
/// what was asked for. Placeholder text (`TODO`, `TBD`, `lorem ipsum`...) halves it.
pub fn score_document(text: &str, sections: &[String], expected_words: usize) -> f32 {
    let bodies = section_bodies(text);
    let written = sections
        .iter()
        .filter(|s| {
            let want = s.to_lowercase();
            bodies.iter().any(|(h, words)| h.starts_with(&want) && *words >= MIN_SECTION_WORDS)
        })
        .count();
    let section_share = if sections.is_empty() { 1.0 } else { written as f32 / sections.len() as f32 };
    let words = text.split_whitespace().count();
    let length_share = (words as f32 / expected_words.max(1) as f32).min(1.0);
    let score = 0.8 * section_share + 0.2 * length_share;
    round2(if has_placeholder(text) { score * 0.5 } else { score })
}

/// Each `## ` heading (lower case) with the words of body text under it, up to the next
/// heading of level 1 or 2.
fn section_bodies(text: &str) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(h) = t.strip_prefix("## ") {
            out.push((h.trim().to_lowercase(), 0));
        } else if t.starts_with("# ") {
            out.push((String::new(), 0));
        } else if let Some(last) = out.last_mut() {
            last.1 += t.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count();
        }
    }
    out
}

/// Whether the text holds a placeholder phrase (its words in a row, in any case).
pub fn has_placeholder(text: &str) -> bool {
    let same =
        |a: &str, b: &str| if b.chars().all(|c| c.is_ascii_uppercase()) { a == b } else { a.eq_ignore_ascii_case(b) };
    let mut window: [&str; 3] = ["", "", ""];
    for w in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        window = [window[1], window[2], w];
        for phrase in PLACEHOLDERS {
            if window[3 - phrase.len()..].iter().zip(phrase.iter()).all(|(a, b)| same(a, b)) {
                return true;
            }
        }
    }
    false
}

/// The quality review's verdict: the value of its first `Verdict:` line (`PASS`, `PASS
/// WITH FIXES` or `FAIL`), if it has one.
pub fn verdict(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let t = l.trim().trim_start_matches(['*', '_', '-', ' ', '>']);
        let rest = t.strip_prefix("Verdict:").or_else(|| t.strip_prefix("verdict:"))?;
        let v = rest.trim().trim_matches(['*', '_', '`', '.', ' ']).to_uppercase();
        ["PASS WITH FIXES", "PASS", "FAIL"].into_iter().find(|w| v.starts_with(w)).map(str::to_string)
    })
}

/// Quality of a build, 0 to 1, from what was proven: the share of checks passed (half),
/// of tests passed against failed (three tenths; the checks' share when no runner counted
/// tests), and of the planned files present and non-empty (a fifth). A check that could
/// not run counts as not passed. With no check but the syntax one, the build is unverified
/// and scores at most half.
pub fn score_build(checks: &[crate::domain::CheckResult], files_present: usize, files_planned: usize) -> f32 {
    use crate::domain::CheckStatus;
    let files_share = if files_planned == 0 { 1.0 } else { files_present as f32 / files_planned as f32 };
    let total = checks.len();
    let passed = checks.iter().filter(|c| c.status == CheckStatus::Passed).count();
    let check_share = if total == 0 { 0.0 } else { passed as f32 / total as f32 };
    let (tp, tf) = checks
        .iter()
        .fold((0u32, 0u32), |(p, f), c| (p + c.tests_passed.unwrap_or(0), f + c.tests_failed.unwrap_or(0)));
    let tests_share = if tp + tf == 0 { check_share } else { tp as f32 / (tp + tf) as f32 };
    let score = 0.5 * check_share + 0.3 * tests_share + 0.2 * files_share;
    round2(if total <= 1 { score.min(0.5) } else { score })
}

/// Quality of a build task: the share of its files delivered and parsing.
pub fn score_files(wanted: &[String], written: &[(String, String)]) -> f32 {
    if wanted.is_empty() {
        return if written.iter().all(|(p, c)| check_parses(p, c).is_ok()) { 1.0 } else { 0.5 };
    }
    let good = wanted.iter().filter(|w| written.iter().any(|(p, c)| p == *w && check_parses(p, c).is_ok())).count();
    round2(good as f32 / wanted.len() as f32)
}

fn round2(x: f32) -> f32 {
    (x * 100.0).round() / 100.0
}

/// Who wrote an artifact and what it cost, for its header.
pub struct HeaderFacts<'a> {
    pub phase: Phase,
    pub revision: u32,
    pub provider: &'a str,
    pub model: &'a str,
    pub simulated: bool,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub estimated: bool,
    pub cost_micros: u64,
    pub unpriced: bool,
}

/// The header lines (each starting with `> `) that open every artifact.
pub fn header(f: &HeaderFacts) -> String {
    format!(
        "> **Startup Factory artifact** · phase `{}` · revision {} · provider `{}` · model `{}` · {}\n> tokens {} in / {} out{} · cost {}{}\n\n",
        f.phase,
        f.revision,
        f.provider,
        f.model,
        if f.simulated { "**SIMULATED**" } else { "not simulated" },
        f.tokens_in,
        f.tokens_out,
        if f.estimated { " (estimated)" } else { "" },
        fmt_usd_exact(f.cost_micros),
        if f.unpriced { " (unpriced: the model is missing from the price table)" } else { "" },
    )
}

/// An artifact without its header: what goes into the next prompts' project memory.
pub fn strip_header(text: &str) -> &str {
    let mut rest = text;
    while rest.starts_with("> ") {
        rest = rest.split_once('\n').map(|(_, r)| r).unwrap_or("");
    }
    rest.trim_start_matches('\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_file_blocks() {
        let text = "intro\n### File: app/a.py\n```python\nprint(1)\n```\n\n### File: `b/c.json`\n\n```json\n{\"a\": 1}\n```\n## Notes\n";
        let blocks = file_blocks(text);
        assert_eq!(
            blocks,
            vec![
                ("app/a.py".to_string(), "print(1)\n".to_string()),
                ("b/c.json".to_string(), "{\"a\": 1}\n".to_string())
            ]
        );
        // A longer fence may hold a shorter one.
        let nested = "### File: README.md\n````markdown\n```sh\nls\n```\n````\n";
        assert_eq!(file_blocks(nested)[0].1, "```sh\nls\n```\n");
        assert_eq!(whole_file_blocks(text), Ok(blocks));
        assert!(whole_file_blocks(nested).is_ok());
    }

    #[test]
    fn a_block_cut_off_before_its_closing_fence_is_found() {
        let cut = "### File: a.py\n```python\nx = 1\n```\n### File: b.py\n```python\ndef f(\n";
        assert_eq!(whole_file_blocks(cut), Err("b.py".to_string()));
        // A shorter fence inside a longer one does not close it.
        let nested = "### File: README.md\n````markdown\n```sh\nls\n```\n";
        assert_eq!(whole_file_blocks(nested), Err("README.md".to_string()));
    }

    #[test]
    fn scores_sections_and_files() {
        let sections = vec!["Problem".to_string(), "API".to_string()];
        let full = format!(
            "## Problem\n{}\n## API\nGET /items lists the items of the signed-in user, newest first.\n",
            "word ".repeat(100)
        );
        assert_eq!(score_document(&full, &sections, 100), 1.0);
        let half = "## Problem\nshort\n";
        assert!(score_document(half, &sections, 100) < 0.5);
        // The headings alone are not a document.
        let empty = "## Problem\n\n## API\n\n";
        assert!(score_document(empty, &sections, 100) < 0.1, "{}", score_document(empty, &sections, 100));
        let placeholder = full.replace("word word", "TODO word");
        assert!(score_document(&placeholder, &sections, 100) <= 0.5);
        assert!(
            has_placeholder("- TBD.") && has_placeholder("Lorem Ipsum dolor") && has_placeholder("(to be written)")
        );
        assert!(!has_placeholder("todos, a todo app and the outbound mailbox") && !has_placeholder("to be read"));
        let wanted = vec!["a.json".to_string(), "b.py".to_string()];
        assert_eq!(score_files(&wanted, &[("a.json".into(), "{}".into()), ("b.py".into(), "x=1".into())]), 1.0);
        assert_eq!(score_files(&wanted, &[("a.json".into(), "{".into())]), 0.0);
    }

    #[test]
    fn the_verdict_line_is_read_in_its_usual_dresses() {
        assert_eq!(verdict("## Verdict\n\nVerdict: FAIL\n- fix auth").as_deref(), Some("FAIL"));
        assert_eq!(verdict("**Verdict: PASS WITH FIXES**").as_deref(), Some("PASS WITH FIXES"));
        assert_eq!(verdict("Verdict: `PASS`.").as_deref(), Some("PASS"));
        assert_eq!(verdict("## Verdict\nLooks fine."), None);
    }

    #[test]
    fn a_build_scores_by_checks_tests_and_files() {
        use crate::domain::{CheckResult, CheckStatus};
        let c = |status, p, f| CheckResult {
            name: "t".into(),
            status,
            duration_ms: 1,
            tests_passed: p,
            tests_failed: f,
            output_tail: String::new(),
            reason: None,
        };
        let green = [c(CheckStatus::Passed, None, None), c(CheckStatus::Passed, Some(10), Some(0))];
        assert_eq!(score_build(&green, 4, 4), 1.0);
        let red = [c(CheckStatus::Passed, None, None), c(CheckStatus::Failed, Some(5), Some(5))];
        assert_eq!(score_build(&red, 4, 4), 0.6);
        let skipped = [c(CheckStatus::Passed, None, None), c(CheckStatus::Skipped, None, None)];
        assert!(score_build(&skipped, 4, 4) < 0.8, "a check that could not run is not a pass");
        assert!(score_build(&green[..1], 4, 4) <= 0.5, "syntax alone proves little");
        assert_eq!(score_build(&green, 0, 4), 0.8);
    }

    #[test]
    fn header_strips_back_to_the_body() {
        let h = header(&HeaderFacts {
            phase: Phase::Spec,
            revision: 0,
            provider: "sim",
            model: "sim-standard",
            simulated: true,
            tokens_in: 10,
            tokens_out: 20,
            estimated: false,
            cost_micros: 123,
            unpriced: false,
        });
        assert!(h.contains("SIMULATED") && h.contains("$0.000123"));
        let doc = format!("{h}# Spec\n> quoted line stays\n");
        assert_eq!(strip_header(&doc), "# Spec\n> quoted line stays\n");
    }
}
