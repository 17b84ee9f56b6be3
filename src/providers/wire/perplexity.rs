//! Perplexity's additions to the OpenAI shape: the `citations` a search model returns (and
//! `search_results`, the newer form), which end up in the research artifact as its sources.
//! Its usage extras (`citation_tokens`) are read with the OpenAI usage in `openai.rs`.

use serde::Deserialize;

/// Sources a search model cited, as they came in a body or stream chunk.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct Extras {
    #[serde(default)]
    pub citations: Option<Vec<String>>,
    #[serde(default)]
    pub search_results: Option<Vec<SearchResult>>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct SearchResult {
    url: String,
    #[serde(default)]
    title: Option<String>,
}

impl Extras {
    /// A later chunk's list replaces an earlier one (Perplexity repeats them on chunks).
    pub fn merge(&mut self, later: Extras) {
        if later.citations.as_ref().is_some_and(|c| !c.is_empty()) {
            self.citations = later.citations;
        }
        if later.search_results.as_ref().is_some_and(|c| !c.is_empty()) {
            self.search_results = later.search_results;
        }
    }
}

/// The sources as lines: the `citations` URLs, else the search results as `title: url`.
pub fn citations(extras: Extras) -> Vec<String> {
    let cleaned = |v: Vec<String>| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in v.into_iter().map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")) {
            if !s.is_empty() && !out.contains(&s) {
                out.push(s);
            }
        }
        out
    };
    match (extras.citations, extras.search_results) {
        (Some(c), _) if !c.is_empty() => cleaned(c),
        (_, Some(r)) => cleaned(
            r.into_iter()
                .map(|r| match r.title.filter(|t| !t.trim().is_empty()) {
                    Some(t) => format!("{t}: {}", r.url),
                    None => r.url,
                })
                .collect(),
        ),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citations_then_search_results() {
        let e: Extras =
            serde_json::from_str(r#"{"citations":["https://a.example","https://b.example","https://a.example"]}"#)
                .unwrap();
        assert_eq!(citations(e), vec!["https://a.example", "https://b.example"]);
        let e: Extras = serde_json::from_str(
            r#"{"search_results":[{"title":"A report","url":"https://r.example","date":"2025-01-01"},{"url":"https://s.example"}]}"#,
        )
        .unwrap();
        assert_eq!(citations(e), vec!["A report: https://r.example", "https://s.example"]);
        assert!(citations(Extras::default()).is_empty());
    }

    #[test]
    fn later_chunks_replace_earlier_lists() {
        let mut acc = Extras::default();
        acc.merge(serde_json::from_str(r#"{"citations":["https://a.example"]}"#).unwrap());
        acc.merge(serde_json::from_str(r#"{"citations":[]}"#).unwrap());
        assert_eq!(citations(acc.clone()), vec!["https://a.example"]);
        acc.merge(serde_json::from_str(r#"{"citations":["https://a.example","https://b.example"]}"#).unwrap());
        assert_eq!(citations(acc).len(), 2);
    }
}
