//! Phase prompts: `assets/prompts/<name>.md` (TOML front matter, then a minijinja body)
//! rendered with the run's facts and its project memory.

use std::collections::HashMap;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};

use crate::assets;
use crate::error::{FactoryError, Result};

/// The names of the prompt files, one per phase plus the build's plan and task prompts.
pub const PROMPT_NAMES: [&str; 8] =
    ["research", "founder_fit", "spec", "architecture", "plan", "build", "quality", "deploy"];

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptMeta {
    pub title: String,
    /// `## ` headings the answer must hold (the quality check looks for them).
    #[serde(default)]
    pub sections: Vec<String>,
    pub max_output_tokens: u32,
    pub system: String,
}

/// Everything a prompt may refer to.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PromptContext {
    pub startup: StartupFacts,
    pub phase: PhaseFacts,
    pub sections: Vec<String>,
    pub memory: Vec<MemoryItem>,
    pub notes: Vec<NoteItem>,
    pub revision_note: Option<String>,
    pub template: TemplateFacts,
    pub plan_error: Option<String>,
    pub default_plan: Option<String>,
    pub task: Option<TaskFacts>,
    pub app_files: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct StartupFacts {
    pub id: String,
    pub name: String,
    pub idea: String,
    pub template: String,
    pub budget: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct PhaseFacts {
    pub name: String,
    pub title: String,
    pub revision: u32,
    pub artifact: String,
}

/// An earlier artifact of the run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MemoryItem {
    pub phase: String,
    pub title: String,
    pub content: String,
}

/// A reviewer's decision so far.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NoteItem {
    pub gate: String,
    pub name: String,
    pub decision: String,
    pub note: String,
    pub by: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct TemplateFacts {
    pub name: String,
    pub description: String,
    pub stack: Vec<String>,
    pub prompt: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct TaskFacts {
    pub id: String,
    pub role: String,
    pub title: String,
    pub files: Vec<String>,
    pub depends_on: Vec<String>,
}

pub struct Prompts {
    env: Environment<'static>,
    meta: HashMap<&'static str, PromptMeta>,
}

impl Prompts {
    /// The prompts shipped in `assets/prompts/`.
    pub fn builtin() -> Result<Prompts> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_keep_trailing_newline(true);
        let mut meta = HashMap::new();
        for name in PROMPT_NAMES {
            let path = format!("prompts/{name}.md");
            let text = assets::text(&path)
                .ok_or_else(|| FactoryError::internal(format!("the prompt assets/{path} is missing")))?;
            let (front, body) = split_front_matter(text)
                .ok_or_else(|| FactoryError::internal(format!("assets/{path} has no +++ front matter")))?;
            let m: PromptMeta = toml::from_str(front)
                .map_err(|e| FactoryError::internal(format!("assets/{path}: front matter invalid: {}", e.message())))?;
            env.add_template_owned(name.to_string(), body.to_string())
                .map_err(|e| FactoryError::internal(format!("assets/{path}: {e}")))?;
            meta.insert(name, m);
        }
        Ok(Prompts { env, meta })
    }

    pub fn meta(&self, name: &str) -> &PromptMeta {
        self.meta.get(name).unwrap_or_else(|| panic!("no prompt named {name}; PROMPT_NAMES lists them"))
    }

    pub fn render(&self, name: &str, ctx: &PromptContext) -> Result<String, String> {
        let tmpl = self.env.get_template(name).map_err(|e| e.to_string())?;
        tmpl.render(minijinja::Value::from_serialize(ctx))
            .map_err(|e| format!("prompt `{name}` failed to render: {e:#}"))
    }
}

fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("+++\n")?;
    let end = rest.find("\n+++\n")?;
    Some((&rest[..end], &rest[end + 5..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(name: &str) -> PromptContext {
        PromptContext {
            startup: StartupFacts {
                id: "s-01".into(),
                name: "Ledgerly".into(),
                idea: "Bookkeeping for freelancers".into(),
                template: "neoforge".into(),
                budget: "$5.00".into(),
            },
            phase: PhaseFacts { name: name.into(), title: "T".into(), revision: 1, artifact: "docs/x.md".into() },
            sections: vec!["Problem".into()],
            memory: vec![MemoryItem {
                phase: "research".into(),
                title: "Market research".into(),
                content: "MEMORY-MARKER".into(),
            }],
            notes: vec![NoteItem {
                gate: "s-01.G1.0".into(),
                name: "Problem-solution fit".into(),
                decision: "revise".into(),
                note: "NOTE-MARKER".into(),
                by: "alice".into(),
            }],
            revision_note: Some("REVISION-MARKER".into()),
            template: TemplateFacts {
                name: "neoforge".into(),
                description: "d".into(),
                stack: vec!["python".into()],
                prompt: String::new(),
            },
            plan_error: Some("PLAN-ERROR-MARKER".into()),
            default_plan: Some("{\"tasks\": []}".into()),
            task: Some(TaskFacts {
                id: "api".into(),
                role: "backend".into(),
                title: "API".into(),
                files: vec!["backend/app/api.py".into()],
                depends_on: vec![],
            }),
            app_files: vec!["README.md".into()],
        }
    }

    #[test]
    fn every_prompt_renders_with_memory_notes_and_revision() {
        let prompts = Prompts::builtin().unwrap();
        for name in PROMPT_NAMES {
            let text = prompts.render(name, &ctx(name)).unwrap();
            assert!(text.contains("Ledgerly"), "{name}");
            assert!(text.contains("REVISION-MARKER"), "{name} must carry the reviewer's note");
            if name != "build" {
                assert!(text.contains("MEMORY-MARKER"), "{name} must carry the project memory");
            }
            assert!(prompts.meta(name).max_output_tokens > 0);
        }
        assert!(prompts.render("plan", &ctx("plan")).unwrap().contains("PLAN-ERROR-MARKER"));
        assert_eq!(prompts.meta("research").sections.last().map(String::as_str), Some("Sources"));
    }
}
