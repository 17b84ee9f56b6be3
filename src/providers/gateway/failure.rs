//! Why a call got no answer: each provider given up on, with its calls' typed errors; the
//! text is made only where it is shown (`Display`, the same words the gateway always used).

use std::fmt;
use std::time::Duration;

use crate::providers::ProviderError;

/// A call that got no answer.
#[derive(Clone, Debug, PartialEq)]
pub enum CallFailure {
    /// Every candidate of the chain was given up on, in the order tried (none when no
    /// provider was available).
    GaveUp(Vec<GivenUp>),
    /// The call failed away from this gateway (on a cluster's worker, or on its way there):
    /// its text is all that came back.
    Elsewhere(String),
}

/// One provider given up on: its calls' errors in order (keys scrubbed out), and why.
#[derive(Clone, Debug, PartialEq)]
pub struct GivenUp {
    pub provider: String,
    pub model: String,
    pub errors: Vec<ProviderError>,
    pub why: Why,
}

/// Why a provider was given up on.
#[derive(Clone, Debug, PartialEq)]
pub enum Why {
    /// Its last error is final, or it had no tries left.
    Failed,
    /// None of its keys can be used (the pool says why).
    NoKeys(String),
    /// Every key rests for this long yet.
    KeysResting(Duration),
    /// Its circuit is open after repeated failures.
    CircuitOpen,
}

impl GivenUp {
    /// Why it was given up on, without its errors' promise to try again (which no longer
    /// holds): a fallback's reason, and the call's failure.
    pub fn reason(&self) -> String {
        let last = self.errors.last();
        let reason = match &self.why {
            Why::Failed => last.map(ToString::to_string).unwrap_or_default(),
            Why::NoKeys(reason) => reason.clone(),
            Why::KeysResting(wait) => format!(
                "every key is resting for another {} s{}",
                wait.as_secs(),
                last.map(|e| format!(" (after: {e})")).unwrap_or_default()
            ),
            Why::CircuitOpen => match last {
                Some(e) => format!("its circuit opened after repeated failures (last: {e})"),
                None => "its circuit is open after repeated failures".into(),
            },
        };
        without_retry_promise(&reason)
    }
}

impl fmt::Display for GivenUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.provider, self.reason())
    }
}

impl fmt::Display for CallFailure {
    /// The last provider's reason (or that there was none), or the text from elsewhere.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallFailure::GaveUp(given_up) => match given_up.last() {
                Some(last) => last.fmt(f),
                None => f.write_str("no provider was available"),
            },
            CallFailure::Elsewhere(message) => f.write_str(message),
        }
    }
}

/// A provider's error message without its promise to try again, for when it is given up
/// on (a fallback, or the call's final failure).
fn without_retry_promise(message: &str) -> String {
    message
        .replace("; the key rests, then the call is tried again", "; the key rests")
        .replace("; it is tried again later", "")
        .replace("; it is tried again", "")
        .replace(", it is tried again", "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::ErrorClass;

    fn given_up(errors: Vec<ProviderError>, why: Why) -> CallFailure {
        CallFailure::GaveUp(vec![GivenUp { provider: "openai".into(), model: "m".into(), errors, why }])
    }

    #[test]
    fn the_failure_reads_as_the_last_provider_given_up_on_without_promises() {
        let mut e = ProviderError::new(ErrorClass::Server, "the provider failed; it is tried again");
        e.status = Some(500);
        assert_eq!(CallFailure::GaveUp(Vec::new()).to_string(), "no provider was available");
        assert_eq!(given_up(vec![e.clone()], Why::Failed).to_string(), "openai: HTTP 500: the provider failed");
        assert_eq!(
            given_up(vec![e.clone()], Why::KeysResting(Duration::from_secs(90))).to_string(),
            "openai: every key is resting for another 90 s (after: HTTP 500: the provider failed)"
        );
        assert_eq!(
            given_up(vec![e], Why::CircuitOpen).to_string(),
            "openai: its circuit opened after repeated failures (last: HTTP 500: the provider failed)"
        );
        assert_eq!(
            given_up(Vec::new(), Why::CircuitOpen).to_string(),
            "openai: its circuit is open after repeated failures"
        );
        assert_eq!(given_up(Vec::new(), Why::NoKeys("no key".into())).to_string(), "openai: no key");
        assert_eq!(CallFailure::Elsewhere("w1 lost it".into()).to_string(), "w1 lost it");
    }
}
