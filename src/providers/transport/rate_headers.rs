//! When to try again, from a response's headers: `retry-after-ms`, `retry-after` (seconds or
//! an HTTP date), OpenAI's `x-ratelimit-*` (durations such as `12ms` or `6m0s`) and
//! Anthropic's `anthropic-ratelimit-*` (RFC 3339 times).

use std::time::Duration;

use reqwest::header::HeaderMap;
use time::OffsetDateTime;
use time::format_description::well_known::{Rfc2822, Rfc3339};

/// Longest wait believed from a header; anything longer is treated as this.
pub const MAX_HINT: Duration = Duration::from_secs(3600);

/// What the headers say about the key's limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateHints {
    /// `retry-after-ms` or `retry-after`: the provider's own answer to "when".
    pub retry_after: Option<Duration>,
    /// Until the limits that are used up (remaining 0) reset; the longest of them.
    pub exhausted_for: Option<Duration>,
    /// Until the latest reset of any limit the headers name.
    pub latest_reset: Option<Duration>,
}

impl RateHints {
    pub fn parse(headers: &HeaderMap) -> RateHints {
        RateHints::parse_at(headers, OffsetDateTime::now_utc())
    }

    pub fn parse_at(headers: &HeaderMap, now: OffsetDateTime) -> RateHints {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let retry_after = get("retry-after-ms")
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|ms| ms.is_finite() && *ms >= 0.0)
            .map(|ms| Duration::from_secs_f64(ms / 1000.0))
            .or_else(|| get("retry-after").and_then(|v| retry_after_value(v, now)))
            .map(|d| d.min(MAX_HINT));
        let mut hints = RateHints { retry_after, ..RateHints::default() };
        for limit in ["requests", "tokens"] {
            let reset = get(&format!("x-ratelimit-reset-{limit}")).and_then(go_duration);
            let remaining = get(&format!("x-ratelimit-remaining-{limit}")).and_then(|v| v.parse::<u64>().ok());
            hints.add(reset, remaining);
        }
        for limit in ["requests", "tokens", "input-tokens", "output-tokens"] {
            let reset = get(&format!("anthropic-ratelimit-{limit}-reset")).and_then(|v| until_time(v, now));
            let remaining = get(&format!("anthropic-ratelimit-{limit}-remaining")).and_then(|v| v.parse::<u64>().ok());
            hints.add(reset, remaining);
        }
        hints
    }

    fn add(&mut self, reset: Option<Duration>, remaining: Option<u64>) {
        let Some(reset) = reset.map(|d| d.min(MAX_HINT)) else { return };
        self.latest_reset = Some(self.latest_reset.map_or(reset, |r| r.max(reset)));
        if remaining == Some(0) {
            self.exhausted_for = Some(self.exhausted_for.map_or(reset, |r| r.max(reset)));
        }
    }

    /// How long to leave the key alone: the provider's retry-after, else the reset of a
    /// used-up limit, else (after a 429, `limited`) the latest reset named.
    pub fn wait(&self, limited: bool) -> Option<Duration> {
        self.retry_after.or(self.exhausted_for).or(if limited { self.latest_reset } else { None })
    }
}

fn retry_after_value(v: &str, now: OffsetDateTime) -> Option<Duration> {
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(MAX_HINT.as_secs_f64())));
    }
    let at = OffsetDateTime::parse(v, &Rfc2822).ok()?;
    Some(positive(at - now))
}

fn until_time(v: &str, now: OffsetDateTime) -> Option<Duration> {
    let at = OffsetDateTime::parse(v, &Rfc3339).ok()?;
    Some(positive(at - now))
}

fn positive(d: time::Duration) -> Duration {
    Duration::try_from(d).unwrap_or(Duration::ZERO)
}

/// A Go-style duration as OpenAI sends it: `12ms`, `1s`, `0.5s`, `6m0s`, `1h2m3.5s`, `250us`.
pub fn go_duration(v: &str) -> Option<Duration> {
    let mut rest = v.trim();
    if rest.is_empty() {
        return None;
    }
    if rest == "0" {
        return Some(Duration::ZERO);
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += n * scale;
    }
    total.is_finite().then(|| Duration::from_secs_f64(total.min(MAX_HINT.as_secs_f64())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};
    use time::macros::datetime;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    const NOW: OffsetDateTime = datetime!(2025-06-01 12:00:00 UTC);

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("12ms"), Some(Duration::from_millis(12)));
        assert_eq!(go_duration("1s"), Some(Duration::from_secs(1)));
        assert_eq!(go_duration("0.5s"), Some(Duration::from_millis(500)));
        assert_eq!(go_duration("6m0s"), Some(Duration::from_secs(360)));
        assert_eq!(go_duration("2m3.5s"), Some(Duration::from_millis(123_500)));
        assert_eq!(go_duration("1h2m3.5s"), Some(MAX_HINT), "capped");
        assert_eq!(go_duration("250us"), Some(Duration::from_micros(250)));
        assert_eq!(go_duration("0"), Some(Duration::ZERO));
        assert_eq!(go_duration("soon"), None);
        assert_eq!(go_duration("5x"), None);
        assert_eq!(go_duration(""), None);
    }

    #[test]
    fn retry_after_forms() {
        let h = headers(&[("retry-after", "7")]);
        assert_eq!(RateHints::parse_at(&h, NOW).wait(true), Some(Duration::from_secs(7)));
        let h = headers(&[("retry-after", "2"), ("retry-after-ms", "1500")]);
        assert_eq!(RateHints::parse_at(&h, NOW).retry_after, Some(Duration::from_millis(1500)), "ms wins");
        let h = headers(&[("retry-after", "Sun, 01 Jun 2025 12:00:30 GMT")]);
        assert_eq!(RateHints::parse_at(&h, NOW).retry_after, Some(Duration::from_secs(30)));
        let h = headers(&[("retry-after", "Sun, 01 Jun 2025 11:00:00 GMT")]);
        assert_eq!(RateHints::parse_at(&h, NOW).retry_after, Some(Duration::ZERO), "a past date means now");
        let h = headers(&[("retry-after", "999999999")]);
        assert_eq!(RateHints::parse_at(&h, NOW).retry_after, Some(MAX_HINT));
        let h = headers(&[("retry-after", "whenever")]);
        assert_eq!(RateHints::parse_at(&h, NOW), RateHints::default());
    }

    #[test]
    fn openai_ratelimit_headers() {
        let h = headers(&[
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-requests", "12ms"),
            ("x-ratelimit-remaining-tokens", "1000"),
            ("x-ratelimit-reset-tokens", "6m0s"),
        ]);
        let hints = RateHints::parse_at(&h, NOW);
        assert_eq!(hints.exhausted_for, Some(Duration::from_millis(12)));
        assert_eq!(hints.latest_reset, Some(Duration::from_secs(360)));
        assert_eq!(hints.wait(true), Some(Duration::from_millis(12)), "the used-up limit decides");
        let h = headers(&[("x-ratelimit-remaining-tokens", "10"), ("x-ratelimit-reset-tokens", "2s")]);
        assert_eq!(RateHints::parse_at(&h, NOW).wait(false), None, "nothing used up, no 429: no wait");
        assert_eq!(RateHints::parse_at(&h, NOW).wait(true), Some(Duration::from_secs(2)));
    }

    #[test]
    fn anthropic_ratelimit_headers() {
        let h = headers(&[
            ("anthropic-ratelimit-requests-remaining", "0"),
            ("anthropic-ratelimit-requests-reset", "2025-06-01T12:00:05Z"),
            ("anthropic-ratelimit-output-tokens-remaining", "0"),
            ("anthropic-ratelimit-output-tokens-reset", "2025-06-01T12:00:20+00:00"),
            ("anthropic-ratelimit-input-tokens-reset", "2025-06-01T12:01:00Z"),
        ]);
        let hints = RateHints::parse_at(&h, NOW);
        assert_eq!(hints.exhausted_for, Some(Duration::from_secs(20)));
        assert_eq!(hints.latest_reset, Some(Duration::from_secs(60)));
        let h = headers(&[("anthropic-ratelimit-requests-reset", "not a time")]);
        assert_eq!(RateHints::parse_at(&h, NOW), RateHints::default());
    }
}
