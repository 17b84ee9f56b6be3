//! Reading a provider's answer: the files it holds, its quality score, and the header each
//! artifact carries (phase, provider, model, simulated, tokens, cost).

use crate::domain::Phase;
use crate::domain::money::fmt_usd_exact;

/// `(path, content)` of every `### File: PATH` heading followed by a fenced block.
pub fn file_blocks(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(rest) = line.trim_start().strip_prefix("### File:") else {
            continue;
        };
        let path = rest.trim().trim_matches('`').trim().to_string();
        // Skip blank lines up to the opening fence.
        while lines.peek().is_some_and(|l| l.trim().is_empty()) {
            lines.next();
        }
        let Some(open) = lines.peek().map(|l| l.trim_start().to_string()) else {
            break;
        };
        let fence: String = open.chars().take_while(|c| *c == '`' || *c == '~').collect();
        if fence.len() < 3 {
            continue;
        }
        lines.next();
        let mut body = String::new();
        for l in lines.by_ref() {
            if l.trim_start().starts_with(&fence) && l.trim() == fence.as_str() {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        out.push((path, body));
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

/// Quality of a document, 0 to 1: mostly the share of required sections present, the rest
/// its length against what was asked for.
pub fn score_document(text: &str, sections: &[String], expected_words: usize) -> f32 {
    let headings: Vec<String> =
        text.lines().filter_map(|l| l.trim_start().strip_prefix("## ")).map(|h| h.trim().to_lowercase()).collect();
    let present = sections.iter().filter(|s| headings.iter().any(|h| h.starts_with(&s.to_lowercase()))).count();
    let section_share = if sections.is_empty() { 1.0 } else { present as f32 / sections.len() as f32 };
    let words = text.split_whitespace().count();
    let length_share = (words as f32 / expected_words.max(1) as f32).min(1.0);
    round2(0.8 * section_share + 0.2 * length_share)
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
    }

    #[test]
    fn scores_sections_and_files() {
        let sections = vec!["Problem".to_string(), "API".to_string()];
        let full = format!("## Problem\n{}\n## API\nx\n", "word ".repeat(100));
        assert_eq!(score_document(&full, &sections, 100), 1.0);
        let half = "## Problem\nshort\n";
        assert!(score_document(half, &sections, 100) < 0.5);
        let wanted = vec!["a.json".to_string(), "b.py".to_string()];
        assert_eq!(score_files(&wanted, &[("a.json".into(), "{}".into()), ("b.py".into(), "x=1".into())]), 1.0);
        assert_eq!(score_files(&wanted, &[("a.json".into(), "{".into())]), 0.0);
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
