//! The faults the fake provider server can inject, and the plan saying which request gets
//! which: a script for the first requests, then every n-th request in turn.

use std::time::Duration;

/// One injected misbehaviour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429 with `retry-after-ms`/`x-ratelimit-*` (OpenAI shape) or
    /// `anthropic-ratelimit-*` reset times (Anthropic shape).
    RateLimited { retry_after: Duration },
    /// HTTP 429 `insufficient_quota`: not retryable.
    Quota,
    /// HTTP 529 overloaded.
    Overloaded,
    /// HTTP 500.
    ServerError,
    /// HTTP 502 with an HTML page from a "proxy".
    HtmlPage,
    /// HTTP 401 (a key the provider refuses).
    Unauthorized,
    /// Nothing for this long, then a normal answer.
    SlowFirstByte(Duration),
    /// The answer stops halfway and the connection is dropped.
    CutStream,
    /// HTTP 200 with JSON that does not parse.
    MalformedJson,
    /// HTTP 200, a few chunks, then an error inside the stream (an `error` event or object).
    ErrorInStream,
    /// HTTP 400 whose body quotes the key it was sent (a careless server).
    EchoKey,
    /// HTTP 200, an answer that stops at the token limit (`finish_reason: "length"`,
    /// `stop_reason: "max_tokens"`), streamed or not: its text is cut (to half, and to the
    /// request's `max_tokens` at four characters a token) and its usage reported and billed.
    TokenLimit,
    /// As [`Fault::TokenLimit`] when the request's `max_tokens` is below this; otherwise a
    /// normal answer (so that asking again with a larger limit succeeds).
    TokenLimitBelow(u32),
}

impl Fault {
    /// Parses the names used by `factory bench` and tests: `429`, `quota`, `529`, `500`,
    /// `html`, `401`, `slow`, `cut`, `malformed`, `stream-error`, `echo-key`,
    /// `token-limit`, `token-limit-below:N`.
    pub fn parse(name: &str) -> Option<Fault> {
        if let Some(n) = name.strip_prefix("token-limit-below:") {
            return n.parse().ok().map(Fault::TokenLimitBelow);
        }
        Some(match name {
            "429" => Fault::RateLimited { retry_after: Duration::from_millis(50) },
            "quota" => Fault::Quota,
            "529" => Fault::Overloaded,
            "500" => Fault::ServerError,
            "html" => Fault::HtmlPage,
            "401" => Fault::Unauthorized,
            "slow" => Fault::SlowFirstByte(Duration::from_millis(300)),
            "cut" => Fault::CutStream,
            "malformed" => Fault::MalformedJson,
            "stream-error" => Fault::ErrorInStream,
            "echo-key" => Fault::EchoKey,
            "token-limit" => Fault::TokenLimit,
            _ => return None,
        })
    }

    /// Whether this fault cuts off the answer to a request that asked for `max_tokens`.
    pub fn cuts_off(&self, max_tokens: Option<u64>) -> bool {
        match self {
            Fault::TokenLimit => true,
            Fault::TokenLimitBelow(n) => max_tokens.is_some_and(|m| m < u64::from(*n)),
            _ => false,
        }
    }

    /// Every kind of failure once (with short delays), for tests that want them all. The
    /// token limit is not among them: a cut-off answer is not a failed call.
    pub fn all() -> Vec<Fault> {
        vec![
            Fault::RateLimited { retry_after: Duration::from_millis(40) },
            Fault::Overloaded,
            Fault::ServerError,
            Fault::SlowFirstByte(Duration::from_millis(150)),
            Fault::CutStream,
            Fault::MalformedJson,
            Fault::HtmlPage,
            Fault::ErrorInStream,
        ]
    }
}

/// Which request gets which fault. Requests are numbered from 1 in arrival order.
#[derive(Clone, Debug, Default)]
pub struct FaultPlan {
    /// The first requests get these, in order.
    pub script: Vec<Fault>,
    /// After the script, every `every`-th request gets the next of `cycle` (0: never).
    pub every: u64,
    pub cycle: Vec<Fault>,
}

impl FaultPlan {
    pub fn none() -> Self {
        FaultPlan::default()
    }

    /// Every `every`-th request gets the next fault of `cycle`.
    pub fn cycle(every: u64, cycle: Vec<Fault>) -> Self {
        FaultPlan { script: Vec::new(), every, cycle }
    }

    pub fn for_request(&self, n: u64) -> Option<Fault> {
        if n >= 1 && (n as usize) <= self.script.len() {
            return Some(self.script[n as usize - 1].clone());
        }
        let after = n - self.script.len() as u64;
        if self.every == 0 || self.cycle.is_empty() || !after.is_multiple_of(self.every) {
            return None;
        }
        let k = (after / self.every - 1) as usize % self.cycle.len();
        Some(self.cycle[k].clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_then_cycle() {
        let plan = FaultPlan { script: vec![Fault::Quota], every: 2, cycle: vec![Fault::ServerError, Fault::HtmlPage] };
        let got: Vec<Option<Fault>> = (1..=6).map(|n| plan.for_request(n)).collect();
        assert_eq!(got, vec![Some(Fault::Quota), None, Some(Fault::ServerError), None, Some(Fault::HtmlPage), None]);
        assert_eq!(FaultPlan::none().for_request(3), None);
        assert_eq!(Fault::parse("529"), Some(Fault::Overloaded));
        assert_eq!(Fault::parse("nope"), None);
        assert_eq!(Fault::parse("token-limit"), Some(Fault::TokenLimit));
        assert_eq!(Fault::parse("token-limit-below:2000"), Some(Fault::TokenLimitBelow(2000)));
        assert_eq!(Fault::parse("token-limit-below:x"), None);
        assert!(Fault::TokenLimit.cuts_off(None) && Fault::TokenLimit.cuts_off(Some(100_000)));
        assert!(Fault::TokenLimitBelow(2000).cuts_off(Some(1999)));
        assert!(!Fault::TokenLimitBelow(2000).cuts_off(Some(2000)));
        assert!(!Fault::TokenLimitBelow(2000).cuts_off(None));
        assert!(!Fault::ServerError.cuts_off(Some(1)));
    }
}
