//! Keeping the webhook's URL (which may carry a token) out of everything shown: its
//! redacted form, and a scrubber for error text that might quote it.

use std::sync::Arc;

use crate::providers::secret::{Scrubber, Secret};

/// `scheme://host[:port]/…` (`/…` only when the URL has more than its host); anything that
/// does not parse as a URL shows as `[webhook URL]`.
pub fn url(url: &str) -> String {
    let Ok(u) = reqwest::Url::parse(url) else {
        return "[webhook URL]".into();
    };
    let Some(host) = u.host_str() else {
        return "[webhook URL]".into();
    };
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    let more = u.path() != "/" || u.query().is_some() || u.fragment().is_some() || !u.username().is_empty();
    format!("{}://{host}{port}{}", u.scheme(), if more { "/…" } else { "" })
}

/// A scrubber for text that may quote the URL: the whole URL, its path, query, password
/// and every path segment or query value long enough to be a token become `[redacted]`.
pub fn scrubber(url: &str) -> Scrubber {
    let mut parts: Vec<String> = vec![url.to_string()];
    if let Ok(u) = reqwest::Url::parse(url) {
        parts.push(u.path().to_string());
        parts.extend(u.query().map(String::from));
        parts.extend(u.password().map(String::from));
        parts.extend(u.path_segments().into_iter().flatten().map(String::from));
        parts.extend(u.query_pairs().map(|(_, v)| v.into_owned()));
        parts.extend(u.fragment().map(String::from));
    }
    let secrets: Vec<Secret> = parts
        .into_iter()
        .filter(|p| p.len() > 1)
        .map(|p| Secret::new("alerts.webhook.url", Arc::<str>::from(p)))
        .collect();
    Scrubber::new(&secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_scheme_host_and_port_show() {
        assert_eq!(url("https://hooks.slack.com/services/T0/B0/XXXX"), "https://hooks.slack.com/…");
        assert_eq!(url("http://127.0.0.1:8080/hook?token=abc"), "http://127.0.0.1:8080/…");
        assert_eq!(url("https://user:pass@example.com"), "https://example.com/…");
        assert_eq!(url("https://example.com/"), "https://example.com");
        assert_eq!(url("not a url with s3cr3t"), "[webhook URL]");
    }

    #[test]
    fn error_text_loses_every_part_of_the_url_that_may_be_a_token() {
        let u = "https://hooks.example.com/services/T00000000/B00000000/XXXXXXXXsecretXXXX?token=qwertyuiop42";
        let s = scrubber(u);
        for quoted in [
            format!("error sending request for url ({u})"),
            "404 no such hook: /services/T00000000/B00000000/XXXXXXXXsecretXXXX".to_string(),
            "bad token qwertyuiop42".to_string(),
            "hook XXXXXXXXsecretXXXX revoked".to_string(),
        ] {
            let clean = s.scrub(&quoted);
            assert!(!clean.contains("secret") && !clean.contains("qwertyuiop42"), "{clean}");
            assert!(clean.contains("[redacted]"), "{clean}");
        }
        assert_eq!(s.scrub("HTTP 500: try later"), "HTTP 500: try later", "ordinary words stay");
    }
}
