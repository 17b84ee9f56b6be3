//! API keys held in memory only: read from the environment variables a provider names,
//! printed as a redaction, and scrubbed out of any text before it leaves the provider layer.

use std::fmt;
use std::sync::Arc;

/// An API key. `Debug` and `Display` print a redaction; only [`Secret::expose`] gives the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    /// The environment variable the key came from (safe to show).
    var: String,
    value: Arc<str>,
}

impl Secret {
    pub fn new(var: impl Into<String>, value: impl Into<Arc<str>>) -> Self {
        Secret { var: var.into(), value: value.into() }
    }

    /// The key, for the one header that carries it.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// The name of the environment variable that held it.
    pub fn var(&self) -> &str {
        &self.var
    }

    /// Reads the keys named by `vars` from the environment, skipping unset and empty ones.
    pub fn from_env(vars: &[String]) -> Vec<Secret> {
        vars.iter()
            .filter_map(|var| {
                let value = std::env::var(var).ok()?;
                let value = value.trim();
                (!value.is_empty()).then(|| Secret::new(var.clone(), value))
            })
            .collect()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({}: [redacted])", self.var)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[key from {}]", self.var)
    }
}

/// Removes every known key from text (error bodies, tool output) before it is logged, stored
/// or shown: a provider that echoes a key back must not put it on screen.
#[derive(Clone, Default)]
pub struct Scrubber {
    values: Vec<Arc<str>>,
}

/// Keys shorter than this are not scrubbed: they would match ordinary words.
const MIN_SCRUB_LEN: usize = 8;

impl Scrubber {
    pub fn new<'a>(keys: impl IntoIterator<Item = &'a Secret>) -> Self {
        let mut values: Vec<Arc<str>> =
            keys.into_iter().map(|k| Arc::clone(&k.value)).filter(|v| v.len() >= MIN_SCRUB_LEN).collect();
        // Longest first, so that a key containing another is removed whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        Scrubber { values }
    }

    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for v in &self.values {
            if out.contains(&**v) {
                out = out.replace(&**v, "[redacted]");
            }
        }
        out
    }
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scrubber({} keys, [redacted])", self.values.len())
    }
}

/// Environment variables that may hold an API key, to be left out of the environment of
/// programs that run generated code: every variable a provider names, and any name in
/// `present` with `API_KEY` in it (a key for a tool the config does not know is a key too).
pub fn key_variables(cfg: &crate::config::Config, present: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut names: Vec<String> = cfg.providers.values().flat_map(|p| p.keys().iter().cloned()).collect();
    names.extend(present.into_iter().filter(|n| n.to_ascii_uppercase().contains("API_KEY")));
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_variables_are_the_named_ones_and_any_api_key() {
        let mut cfg = crate::config::Config::default();
        let p = cfg.providers.entry("local".into()).or_default();
        p.keys = Some(vec!["LOCAL_TOKEN".into()]);
        let found = key_variables(&cfg, ["PATH".into(), "GROQ_API_KEY".into(), "my_api_key_2".into()]);
        for name in ["LOCAL_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GROQ_API_KEY", "my_api_key_2"] {
            assert!(found.iter().any(|n| n == name), "{name} in {found:?}");
        }
        assert!(!found.iter().any(|n| n == "PATH"));
    }

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("OPENAI_API_KEY", "sk-very-secret-value");
        assert_eq!(format!("{s:?}"), "Secret(OPENAI_API_KEY: [redacted])");
        assert_eq!(s.to_string(), "[key from OPENAI_API_KEY]");
        assert!(!format!("{:?}", vec![s.clone()]).contains("very-secret"));
        assert_eq!(s.expose(), "sk-very-secret-value");
    }

    #[test]
    fn scrubs_every_key_longest_first() {
        let a = Secret::new("A", "sk-abcdefgh");
        let b = Secret::new("B", "sk-abcdefgh-longer");
        let short = Secret::new("C", "abc");
        let s = Scrubber::new([&a, &b, &short]);
        assert_eq!(
            s.scrub("bad key sk-abcdefgh-longer and sk-abcdefgh; abc"),
            "bad key [redacted] and [redacted]; abc"
        );
        assert!(!format!("{s:?}").contains("sk-"));
    }
}
