//! `template.toml`: a template's name, version, stack, ports, variables, default plan,
//! checks and build-prompt additions, validated.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::{Plan, PlanTask};
use crate::error::{FactoryError, Result};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub name: String,
    pub command: Vec<String>,
    #[serde(default)]
    pub cwd: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptAdditions {
    #[serde(default)]
    pub build: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    pub description: String,
    pub stack: Vec<String>,
    pub min_factory_version: String,
    #[serde(default)]
    pub ports: BTreeMap<String, u16>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub plan: Vec<PlanTask>,
    #[serde(default)]
    pub checks: Vec<Check>,
    #[serde(default)]
    pub prompt: PromptAdditions,
}

impl Manifest {
    /// Parses and validates a manifest; errors name the file and what to fix.
    pub fn parse(text: &str, file: &str) -> Result<Manifest> {
        let m: Manifest = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1).unwrap_or(0);
            FactoryError::usage(format!(
                "{file}, line {line}: {}",
                e.message().trim().replace("unknown field", "unknown key")
            ))
        })?;
        m.validate().map_err(|e| FactoryError::usage(format!("{file}: {e}")))?;
        Ok(m)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let ok_name = !self.name.is_empty()
            && self.name.len() <= 40
            && self.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !ok_name {
            return Err(format!("the name `{}` must be 1-40 characters of a-z, 0-9, - and _", self.name));
        }
        for (key, v) in [("version", &self.version), ("min_factory_version", &self.min_factory_version)] {
            if !is_semver(v) {
                return Err(format!("`{key}` = \"{v}\" is not a semantic version such as 1.2.0"));
            }
        }
        if self.plan.is_empty() {
            return Err("the default plan ([[plan]]) has no tasks".into());
        }
        self.default_plan().validate().map_err(|e| format!("the default plan is invalid: {e}"))
    }

    pub fn default_plan(&self) -> Plan {
        Plan { tasks: self.plan.clone() }
    }
}

/// `MAJOR.MINOR.PATCH` with an optional `-pre` and `+build`.
pub fn is_semver(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && (p.len() == 1 || !p.starts_with('0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_is_checked() {
        assert!(is_semver("1.0.0"));
        assert!(is_semver("0.12.3-beta.1+b5"));
        assert!(!is_semver("1.0"));
        assert!(!is_semver("01.0.0"));
        assert!(!is_semver("v1.0.0"));
    }

    #[test]
    fn manifests_missing_fields_are_refused_with_the_file() {
        let err = Manifest::parse("name = \"x\"\n", "t/template.toml").unwrap_err();
        assert!(err.message.starts_with("t/template.toml"), "{}", err.message);
        assert!(err.message.contains("missing field"), "{}", err.message);
    }
}
