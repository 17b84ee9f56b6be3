//! Plausible text for the simulated provider: markdown with every required section, plans
//! and source files, always saying it is simulated.

use std::fmt::Write;

use super::sim_code;
use crate::domain::{AgentRole, Phase, Plan, PlanTask, TaskKind};
use crate::providers::SimHints;
use crate::providers::rng::Rng;

/// The first line of every simulated artifact.
pub const SIMULATED_NOTICE: &str = "> **Simulated output.** Written by the factory's simulated provider, not by an AI model; use it to try the factory, not to decide.";

const OPENERS: [&str; 6] = [
    "Early signals suggest",
    "Interviews and public data indicate",
    "The strongest evidence shows",
    "A conservative reading finds",
    "Comparable launches show",
    "Desk research points out",
];
const CLAIMS: [&str; 10] = [
    "buyers already pay for partial workarounds",
    "the problem recurs weekly for the core segment",
    "incumbents serve large accounts and neglect small teams",
    "switching costs are low when onboarding takes minutes",
    "a focused MVP can reach paying users within a quarter",
    "trust and data privacy decide most purchases",
    "distribution through existing communities is the cheapest channel",
    "pricing per seat is familiar but usage pricing converts better",
    "regulation is stable, with no licence needed to start",
    "the long tail of users wants integrations more than features",
];
const RISKS: [&str; 6] = [
    "a large platform ships the same feature for free",
    "acquisition costs rise faster than expected",
    "the first segment is too small to sustain growth",
    "accuracy problems erode trust early",
    "key integrations change their terms",
    "sales cycles lengthen in a downturn",
];
const NUMBERS: [&str; 6] = ["$1.2B", "$480M", "$3.4B", "$760M", "$2.1B", "$95M"];

/// The simulated answer for a call.
pub fn answer(hints: &SimHints, rng: &mut Rng) -> String {
    match hints.kind {
        Some(TaskKind::Plan) => plan_answer(hints, rng),
        Some(TaskKind::Team) => files_answer(hints, rng),
        _ => document(hints, rng),
    }
}

fn sentence(rng: &mut Rng, subject: &str) -> String {
    format!("{} that for {subject}, {}.", rng.pick(&OPENERS), rng.pick(&CLAIMS))
}

fn document(hints: &SimHints, rng: &mut Rng) -> String {
    let phase = hints.phase.unwrap_or(Phase::Research);
    let mut out = String::with_capacity(2048);
    let _ = writeln!(out, "# {}: {}\n\n{SIMULATED_NOTICE}\n", phase.title(), hints.startup);
    let subject = if hints.idea.is_empty() { hints.startup.clone() } else { short(&hints.idea, 60) };
    for section in &hints.sections {
        let _ = writeln!(out, "## {section}\n");
        match section.as_str() {
            "Score" => {
                let score = rng.range(5, 10);
                let _ = writeln!(out, "Score: {score}/10\n\n{}\n", sentence(rng, &subject));
            }
            "Market size" => {
                let _ = writeln!(
                    out,
                    "The serviceable market is estimated at {} (simulated figure).\n\n{}\n",
                    rng.pick(&NUMBERS),
                    sentence(rng, &subject)
                );
            }
            "Sources" => {
                for i in 1..=rng.range(4, 6) {
                    let _ = writeln!(out, "- https://example.com/simulated-source-{i} (simulated)");
                }
                out.push('\n');
            }
            "Verdict" => {
                let _ = writeln!(
                    out,
                    "Verdict: PASS\n\n- Nothing blocks deployment in this simulated review; a real model reads the code and the checks.\n"
                );
            }
            "Risks" | "Gaps" | "Test gaps" | "Rollback" => {
                for _ in 0..rng.range(2, 4) {
                    let _ = writeln!(out, "- Risk: {}.", rng.pick(&RISKS));
                }
                out.push('\n');
            }
            "User stories" | "Core features" | "Components" | "API" => {
                for i in 1..=rng.range(2, 4) {
                    let _ = writeln!(out, "{i}. As a user of {}, {}.", hints.startup, rng.pick(&CLAIMS));
                }
                out.push('\n');
            }
            _ => {
                for _ in 0..rng.range(1, 3) {
                    let _ = writeln!(out, "{} {}\n", sentence(rng, &subject), sentence(rng, &hints.startup));
                }
            }
        }
    }
    out
}

fn plan_answer(hints: &SimHints, rng: &mut Rng) -> String {
    let mut tasks: Vec<PlanTask> = hints.plan.as_ref().map(|p| p.tasks.clone()).unwrap_or_default();
    if tasks.is_empty() {
        tasks.push(PlanTask {
            id: "core".into(),
            role: AgentRole::Backend,
            title: "Core service".into(),
            depends_on: vec![],
            files: vec!["backend/app/core.py".into()],
        });
    }
    if rng.chance(0.5) {
        let deps: Vec<String> =
            tasks.iter().filter(|t| t.role == AgentRole::Backend).map(|t| t.id.clone()).take(2).collect();
        tasks.push(PlanTask {
            id: "security-review".into(),
            role: AgentRole::Security,
            title: "Review auth and input validation".into(),
            depends_on: deps,
            files: vec!["docs/security-review.md".into()],
        });
    }
    let json = serde_json::to_string_pretty(&Plan { tasks }).unwrap_or_default();
    format!(
        "{SIMULATED_NOTICE}\n\nThe plan follows the template's default plan for {}.\n\n```json\n{json}\n```\n",
        hints.startup
    )
}

/// A plan a careless model might write: a role that does not exist and a dangling dependency.
pub fn broken_plan() -> String {
    format!(
        "{SIMULATED_NOTICE}\n\n```json\n{{\"tasks\": [{{\"id\": \"everything\", \"role\": \"wizard\", \"title\": \"Build it all\", \"depends_on\": [\"magic\"]}}]}}\n```\n"
    )
}

fn files_answer(hints: &SimHints, rng: &mut Rng) -> String {
    let facts = sim_code::Facts { startup: &hints.startup, idea: &hints.idea };
    let mut files: Vec<(String, &'static str, String)> = hints
        .files
        .iter()
        .map(|path| match sim_code::file(&hints.template, path, &facts) {
            Some(body) => (path.clone(), lang(path), format!("{}{body}", sim_code::header(path).unwrap_or_default())),
            None => (path.clone(), lang(path), file_body(path, hints, rng)),
        })
        .collect();
    if sim_code::roll_defect(hints, rng) {
        // Plant it in a test file if the answer has one, else in the first file that takes one.
        let mut order: Vec<usize> = (0..files.len()).collect();
        order.sort_by_key(|i| !sim_code::is_test(&files[*i].0));
        if let Some((i, planted)) =
            order.into_iter().find_map(|i| sim_code::with_defect(&files[i].0, &files[i].2).map(|c| (i, c)))
        {
            files[i].2 = planted;
        }
    }
    let mut out = format!("{SIMULATED_NOTICE}\n\n");
    for (path, lang, body) in &files {
        // A fence longer than any run of backticks inside the file.
        let fence = if has_triple_backtick(body) { "`````" } else { "```" };
        let _ = writeln!(out, "### File: {path}\n{fence}{lang}\n{body}{fence}\n");
    }
    let _ = writeln!(out, "## Notes\n\n{} task `{}` done (simulated).", role_title(hints.role), hints.title);
    out
}

/// Whether a text holds three backticks in a row (found by single-byte search: a code
/// answer is large, and a three-byte pattern search is several times slower).
fn has_triple_backtick(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = text[from..].find('`') {
        let i = from + at;
        if bytes.get(i + 1) == Some(&b'`') && bytes.get(i + 2) == Some(&b'`') {
            return true;
        }
        from = i + 1;
    }
    false
}

fn role_title(role: Option<AgentRole>) -> &'static str {
    role.map(|r| r.title()).unwrap_or("Agent")
}

/// The code fence's language of a file, by its extension.
fn lang(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, e)| e).unwrap_or("") {
        "py" => "python",
        "ts" | "tsx" | "js" => "typescript",
        "json" => "json",
        "toml" => "toml",
        "yml" | "yaml" => "yaml",
        "md" => "markdown",
        _ => "text",
    }
}

/// A placeholder file, for a path no template's simulated code covers.
fn file_body(path: &str, hints: &SimHints, rng: &mut Rng) -> String {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.split('.').next().unwrap_or("item").replace(['-', ' '], "_");
    let ident =
        if stem.is_empty() || stem.starts_with(|c: char| c.is_ascii_digit()) { format!("m_{stem}") } else { stem };
    let n = rng.range(1, 100);
    match ext {
        "py" => format!(
            "\"\"\"{} (simulated) for {}.\"\"\"\n\n\ndef {ident}_status() -> dict:\n    \"\"\"Report that this simulated module is wired in.\"\"\"\n    return {{\"module\": \"{ident}\", \"simulated\": True, \"version\": {n}}}\n",
            hints.title.replace('"', "'"),
            hints.startup.replace('"', "'")
        ),
        "ts" | "tsx" | "js" => format!(
            "// {} (simulated)\nexport const {ident}Info = {{ module: \"{ident}\", simulated: true, version: {n} }};\n",
            hints.title.replace('\n', " ")
        ),
        "json" => format!("{{\n  \"module\": \"{ident}\",\n  \"simulated\": true,\n  \"version\": {n}\n}}\n"),
        "toml" => format!("# simulated\n[{ident}]\nsimulated = true\nversion = {n}\n"),
        "yml" | "yaml" => format!("# simulated\n{ident}:\n  simulated: true\n  version: {n}\n"),
        "md" => format!("# {}\n\n{SIMULATED_NOTICE}\n\n{}\n", hints.title, sentence(rng, &hints.startup)),
        _ => format!("simulated content for {path}\n"),
    }
}

fn short(text: &str, max: usize) -> String {
    let t: String = text.chars().take(max).collect();
    if text.chars().count() > max { format!("{}…", t.trim_end()) } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints(kind: TaskKind, phase: Phase, sections: &[&str]) -> SimHints {
        SimHints {
            kind: Some(kind),
            phase: Some(phase),
            startup: "Ledgerly".into(),
            idea: "Bookkeeping for freelancers".into(),
            sections: sections.iter().map(|s| s.to_string()).collect(),
            ..SimHints::default()
        }
    }

    #[test]
    fn documents_hold_every_section_and_say_they_are_simulated() {
        let h = hints(TaskKind::Phase, Phase::FounderFit, &["Score", "Strengths", "Gaps"]);
        let text = answer(&h, &mut Rng::new(3));
        assert!(text.contains("Simulated output"));
        for s in ["## Score", "## Strengths", "## Gaps"] {
            assert!(text.contains(s), "{text}");
        }
        assert!(text.contains("/10"));
        assert_eq!(text, answer(&h, &mut Rng::new(3)));
    }

    #[test]
    fn the_broken_plan_is_refused() {
        assert!(Plan::parse(&broken_plan()).unwrap_err().contains("not an agent role"));
    }

    #[test]
    fn plans_parse_and_files_come_in_blocks() {
        let mut h = hints(TaskKind::Plan, Phase::Build, &[]);
        let text = answer(&h, &mut Rng::new(5));
        assert!(Plan::parse(&text).is_ok(), "{text}");
        h.kind = Some(TaskKind::Team);
        h.files = vec!["backend/app/models.py".into(), "frontend/package.json".into()];
        let text = answer(&h, &mut Rng::new(5));
        assert!(text.contains("### File: backend/app/models.py\n```python"));
        assert!(text.contains("### File: frontend/package.json\n```json"));
    }
}
