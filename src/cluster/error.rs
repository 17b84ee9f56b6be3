//! What can go wrong between the factory and NATS, each saying whether trying again may help.

use crate::error::{ErrorKind, FactoryError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    /// The `[cluster]` settings or `--nats` cannot work (a clear-text URL off this machine,
    /// a credentials variable that is not set). Not retried.
    #[error("{0}")]
    Config(String),
    /// The server is out of reach or not ready (down, restarting, no JetStream yet).
    /// Retried: it may come back.
    #[error("{0}")]
    Unreachable(String),
    /// The server refused us (credentials, permissions). Not retried.
    #[error("{0}")]
    Refused(String),
    /// A job ended without a result the orchestrator can apply (deliveries used up, a
    /// refusal that is final). Not retried by the cluster; the task fails with this reason.
    #[error("{0}")]
    JobFailed(String),
}

impl ClusterError {
    /// Whether the same operation may succeed if tried again unchanged.
    pub fn retryable(&self) -> bool {
        matches!(self, ClusterError::Unreachable(_))
    }

    /// An error from the NATS client, classed by what it says.
    pub fn from_nats(what: &str, e: impl std::fmt::Display) -> ClusterError {
        let text = crate::sanitize::line(&e.to_string()).into_owned();
        let lower = text.to_lowercase();
        if lower.contains("authorization") || lower.contains("authentication") || lower.contains("permission") {
            ClusterError::Refused(format!("NATS refused {what}: {text}; check the [cluster.credentials] variables"))
        } else {
            ClusterError::Unreachable(format!("{what} failed: {text}"))
        }
    }
}

impl From<ClusterError> for FactoryError {
    fn from(e: ClusterError) -> Self {
        let kind = match &e {
            ClusterError::Config(_) => ErrorKind::Config,
            ClusterError::Unreachable(_) => ErrorKind::Unavailable,
            ClusterError::Refused(_) | ClusterError::JobFailed(_) => ErrorKind::Failed,
        };
        FactoryError::new(kind, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_unreachable_server_is_worth_another_try() {
        assert!(ClusterError::from_nats("connecting", "connection refused").retryable());
        let refused = ClusterError::from_nats("connecting", "authorization violation");
        assert!(!refused.retryable() && refused.to_string().contains("credentials"));
        assert_eq!(FactoryError::from(ClusterError::Config("x".into())).exit_code(), 2);
    }
}
