//! What the fake provider answers: read from the prompt the way a model would follow it
//! (the required `## ` headings, the example plan, the files a build task must write), so
//! that a full run through the fake server produces usable artifacts.

use std::fmt::Write;

/// Words of filler per section.
const SECTION_WORDS: usize = 60;

/// An answer to `prompt`; `words` sets the size of a free-form answer (benchmarks).
pub fn answer(prompt: &str, words: usize) -> String {
    if let Some(plan) = example_plan(prompt) {
        return format!("```json\n{plan}\n```\n");
    }
    let files = files_to_write(prompt);
    if !files.is_empty() {
        let mut out = String::new();
        for f in &files {
            let _ = write!(out, "### File: {f}\n```\n{}```\n\n", file_body(f));
        }
        out.push_str("## Notes\n\nWritten by the fake provider.\n");
        return out;
    }
    let sections = required_sections(prompt);
    if !sections.is_empty() {
        let mut out = String::new();
        for s in &sections {
            let _ = write!(out, "## {s}\n\n{}\n\n", filler(SECTION_WORDS));
        }
        if sections.iter().any(|s| s == "Sources") {
            out.push_str("- https://example.com/market-report: a market report\n");
        }
        return out;
    }
    filler(words.max(1))
}

fn filler(words: usize) -> String {
    const WORDS: [&str; 8] = ["market", "customers", "pricing", "growth", "risk", "product", "team", "data"];
    (0..words).map(|i| WORDS[i % WORDS.len()]).collect::<Vec<_>>().join(" ")
}

/// The `## Heading` lines a prompt requires, listed as ``- `## Heading` ``.
fn required_sections(prompt: &str) -> Vec<String> {
    prompt
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- `## ").and_then(|r| r.strip_suffix('`')))
        .map(str::to_string)
        .collect()
}

/// The JSON block after the plan prompt's example heading.
fn example_plan(prompt: &str) -> Option<&str> {
    let at = prompt.find("## Example: the template's default plan")?;
    let rest = &prompt[at..];
    let start = rest.find("```json\n")? + "```json\n".len();
    let end = rest[start..].find("\n```")?;
    Some(&rest[start..start + end])
}

/// The files listed under "Files to write" in a build prompt.
fn files_to_write(prompt: &str) -> Vec<String> {
    let Some(at) = prompt.find("Files to write") else { return Vec::new() };
    prompt[at..]
        .lines()
        .skip(1)
        .map_while(|l| l.trim().strip_prefix("- `").and_then(|r| r.strip_suffix('`')))
        .map(str::to_string)
        .collect()
}

fn file_body(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("json") => "{\"generated\": true}\n",
        Some("toml") => "generated = true\n",
        Some("py") => "GENERATED = True\n",
        Some("yml" | "yaml") => "generated: true\n",
        Some("md") => "# Generated\n",
        _ => "// generated\n",
    }
}

/// The run a prompt belongs to, from "startup run `s-01`".
pub fn run_of(prompt: &str) -> Option<String> {
    let at = prompt.find("startup run `")? + "startup run `".len();
    let end = prompt[at..].find('`')?;
    Some(prompt[at..at + end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_prompt() {
        let doc = answer("startup run `s-07`.\nIt must contain:\n- `## Market size`\n- `## Sources`\n", 10);
        assert!(doc.starts_with("## Market size\n") && doc.contains("## Sources") && doc.contains("https://"));
        let plan = answer("## Example: the template's default plan\n\nx\n\n```json\n{\"tasks\": []}\n```\n", 10);
        assert_eq!(plan, "```json\n{\"tasks\": []}\n```\n");
        let files = answer("- Files to write, relative to `app/`:\n  - `a/b.py`\n  - `c.json`\n- Next\n", 10);
        assert!(files.contains("### File: a/b.py\n```\nGENERATED = True\n```"));
        assert!(files.contains("### File: c.json"));
        assert_eq!(answer("hello", 3).split(' ').count(), 3);
        assert_eq!(run_of("the startup run `s-07` now"), Some("s-07".into()));
        assert_eq!(run_of("nothing"), None);
    }
}
