//! `template.toml`: a template's name, version, stack, ports, variables, default plan,
//! checks and build-prompt additions, validated.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::{Plan, PlanTask};
use crate::error::{FactoryError, Result};

/// The version of this factory, which templates' `min_factory_version` is checked against.
pub const FACTORY_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Lowest port a template may ask for (below are privileged ports).
pub const MIN_PORT: u16 = 1024;

/// One of a template's checks: a command run without a shell in `cwd` (relative to
/// `app/`), in the sandbox (see `crate::sandbox`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub name: String,
    pub command: Vec<String>,
    #[serde(default)]
    pub cwd: Option<String>,
    /// Whether the check gets the network: dependency installs. Such a step that does not
    /// pass skips the later checks in its folder.
    #[serde(default)]
    pub network: bool,
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
    /// Base ports by name; each run gets these plus a step per run (see `ports`).
    #[serde(default)]
    pub ports: BTreeMap<String, u16>,
    /// Variables with their defaults, available to files/ as `vars.<name>`.
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
            let msg =
                e.message().trim().replace("unknown field", "unknown key").replace("missing field", "missing key");
            FactoryError::usage(one_line(&format!("{file}, line {line}: {msg}")))
        })?;
        m.validate().map_err(|e| FactoryError::usage(one_line(&format!("{file}: {e}"))))?;
        Ok(m)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        if !is_name(&self.name) {
            return Err(format!("the name `{}` must be 1-40 characters of a-z, 0-9, - and _", self.name));
        }
        for (key, v) in [("version", &self.version), ("min_factory_version", &self.min_factory_version)] {
            parse_version(v).map_err(|_| format!("`{key}` = \"{v}\" is not a semantic version such as 1.2.0"))?;
        }
        if self.description.trim().is_empty() {
            return Err("`description` is empty; say in a sentence what the template builds".into());
        }
        if self.stack.is_empty() || self.stack.iter().any(|s| s.trim().is_empty()) {
            return Err("`stack` must list the technologies, e.g. [\"python\", \"fastapi\"]".into());
        }
        let mut seen = BTreeMap::new();
        for (name, port) in &self.ports {
            if !is_identifier(name) {
                return Err(format!("the port name `{name}` must be a-z, 0-9 and _, starting with a letter"));
            }
            if *port < MIN_PORT {
                return Err(format!(
                    "`ports.{name}` = {port} is below {MIN_PORT}; pick a port from {MIN_PORT} to 65535"
                ));
            }
            if let Some(other) = seen.insert(*port, name) {
                return Err(format!("`ports.{name}` and `ports.{other}` are both {port}; give each its own port"));
            }
        }
        for name in self.variables.keys() {
            if !is_identifier(name) {
                return Err(format!("the variable name `{name}` must be a-z, 0-9 and _, starting with a letter"));
            }
        }
        for c in &self.checks {
            if c.name.trim().is_empty() || c.command.is_empty() {
                return Err("every [[checks]] needs a `name` and a non-empty `command`".into());
            }
            if let Some(cwd) = &c.cwd {
                crate::workspace::check_relative_path(cwd).map_err(|e| format!("check `{}`: cwd {e}", c.name))?;
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

    /// The template's version (validated at parse time).
    pub fn version(&self) -> semver::Version {
        parse_version(&self.version).unwrap_or_else(|_| semver::Version::new(0, 0, 0))
    }

    /// Whether this factory is recent enough for the template; the error says what is needed.
    pub fn check_compatible(&self) -> std::result::Result<(), String> {
        let needed = parse_version(&self.min_factory_version).map_err(|e| e.to_string())?;
        let ours = parse_version(FACTORY_VERSION).map_err(|e| e.to_string())?;
        if ours < needed {
            return Err(format!(
                "template {}@{} needs factory {} or newer, and this is {FACTORY_VERSION}; upgrade factory or use an older version of the template",
                self.name, self.version, self.min_factory_version
            ));
        }
        Ok(())
    }
}

/// A message quoting the manifest as one inert line: its line breaks become spaces, other
/// control characters visible symbols.
fn one_line(msg: &str) -> String {
    crate::sanitize::line(&msg.split(['\n', '\r']).collect::<Vec<_>>().join(" ")).into_owned()
}

/// `MAJOR.MINOR.PATCH` with an optional `-pre` and `+build`, as the `semver` crate reads it.
pub fn parse_version(v: &str) -> std::result::Result<semver::Version, semver::Error> {
    semver::Version::parse(v)
}

/// A template name: 1-40 characters of a-z, 0-9, `-` and `_`.
pub fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn manifest() -> impl Strategy<Value = Manifest> {
        let ident = "[a-z][a-z0-9_]{0,8}";
        let ports = proptest::collection::btree_map(ident, MIN_PORT..=u16::MAX, 0..4);
        let check = (
            "[a-z][a-z ]{0,8}",
            proptest::collection::vec("[a-z0-9 .=-]{1,8}", 1..3),
            proptest::option::of("[a-z]{1,5}(/[a-z]{1,5})?"),
            any::<bool>(),
        )
            .prop_map(|(name, command, cwd, network)| Check { name, command, cwd, network });
        (
            ("[a-z0-9_-]{1,12}", (0u64..100, 0u64..100, 0u64..100), "[A-Za-z][^\\p{Cc}]{0,30}"),
            proptest::collection::vec("[a-z][a-z0-9.+-]{0,8}", 1..4),
            ports,
            proptest::collection::btree_map(ident, "\\PC{0,12}", 0..3),
            crate::domain::plan::valid_plan(),
            proptest::collection::vec(check, 0..3),
            "\\PC{0,30}",
        )
            .prop_map(|((name, (a, b, c), description), stack, ports, variables, plan, checks, build)| {
                // One port per number: the manifest refuses two names on the same port.
                let mut seen = std::collections::BTreeSet::new();
                let ports = ports.into_iter().filter(|(_, p)| seen.insert(*p)).collect();
                Manifest {
                    name,
                    version: format!("{a}.{b}.{c}"),
                    description,
                    stack,
                    min_factory_version: "0.1.0".into(),
                    ports,
                    variables,
                    plan: plan.tasks,
                    checks,
                    prompt: PromptAdditions { build },
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// A generated valid manifest, written as TOML, parses back equal.
        #[test]
        fn a_written_manifest_parses_back_equal(m in manifest()) {
            let text = toml::to_string(&m).unwrap();
            let back = Manifest::parse(&text, "t/template.toml").map_err(|e| TestCaseError::fail(format!("{}\n{text}", e.message)))?;
            prop_assert_eq!(back, m);
        }

        /// Any text, and any edit of a valid manifest, gives a manifest or one line naming the file.
        #[test]
        fn any_text_gives_a_manifest_or_one_line(text in "\\PC{0,200}", line in 0usize..20, insert in "[\\[\\]=\"a-z0-9._ \\n\\t-]{0,20}") {
            let lines: Vec<&str> = GOOD.lines().collect();
            let at = line % lines.len();
            let edited = [&lines[..at], &[insert.as_str()], &lines[at + 1..]].concat().join("\n");
            for t in [text.as_str(), edited.as_str()] {
                if let Err(e) = Manifest::parse(t, "t/template.toml") {
                    prop_assert!(e.message.starts_with("t/template.toml"), "{}", e.message);
                    prop_assert!(!e.message.contains(['\n', '\r']), "{:?}", e.message);
                }
            }
        }
    }

    /// A task id with a line break made the validation error span two lines; the message
    /// is now one inert line.
    #[test]
    fn an_error_quoting_a_line_break_stays_one_line() {
        let text = GOOD.replace("id = \"a\"", "id = \"a\\nb\\u001b[2J\"");
        let err = Manifest::parse(&text, "t/template.toml").unwrap_err();
        assert!(err.message.contains("task id `a b"), "{}", err.message);
        assert!(!err.message.contains(['\n', '\u{1b}']), "{:?}", err.message);
    }

    const GOOD: &str = r#"
name = "mini"
version = "1.2.3"
description = "A small one."
stack = ["python"]
min_factory_version = "0.1.0"
[ports]
web = 8000
[[plan]]
id = "a"
role = "backend"
title = "A"
"#;

    #[test]
    fn versions_are_semver() {
        assert!(parse_version("1.0.0").is_ok());
        assert!(parse_version("0.12.3-beta.1+b5").is_ok());
        for bad in ["1.0", "01.0.0", "v1.0.0", "1.0.0.0", ""] {
            assert!(parse_version(bad).is_err(), "{bad}");
        }
        assert!(parse_version("1.10.0").unwrap() > parse_version("1.9.0").unwrap());
    }

    #[test]
    fn a_good_manifest_parses() {
        let m = Manifest::parse(GOOD, "t/template.toml").unwrap();
        assert_eq!(m.version(), semver::Version::new(1, 2, 3));
        assert!(m.check_compatible().is_ok());
    }

    #[test]
    fn manifests_missing_fields_are_refused_with_the_file_and_key() {
        let err = Manifest::parse("name = \"x\"\n", "t/template.toml").unwrap_err();
        assert!(err.message.starts_with("t/template.toml"), "{}", err.message);
        assert!(err.message.contains("missing key `version`"), "{}", err.message);
    }

    #[test]
    fn bad_values_name_the_key() {
        let cases = [
            (GOOD.replace("1.2.3", "1.2"), "`version` = \"1.2\" is not a semantic version"),
            (GOOD.replace("\"0.1.0\"", "\"0.1\""), "`min_factory_version` = \"0.1\""),
            (GOOD.replace("web = 8000", "web = 80"), "`ports.web` = 80 is below 1024"),
            (GOOD.replace("web = 8000", "web = 8000\napi = 8000"), "are both 8000"),
            (GOOD.replace("name = \"mini\"", "name = \"Mini App\""), "the name `Mini App`"),
            (GOOD.replace("stack = [\"python\"]", "stack = []"), "`stack` must list"),
            (GOOD.replace("role = \"backend\"", "role = \"wizard\""), "line"),
            (GOOD.replace("[ports]", "colour = 1\n[ports]"), "unknown key `colour`"),
        ];
        for (text, needle) in cases {
            let err = Manifest::parse(&text, "t/template.toml").unwrap_err();
            assert!(err.message.contains(needle), "{needle}: {}", err.message);
            assert_eq!(err.exit_code(), 2);
        }
    }

    #[test]
    fn a_template_for_a_newer_factory_is_incompatible() {
        let m = Manifest::parse(&GOOD.replace("\"0.1.0\"", "\"99.0.0\""), "t").unwrap();
        let err = m.check_compatible().unwrap_err();
        assert!(err.contains("needs factory 99.0.0 or newer"), "{err}");
    }
}
