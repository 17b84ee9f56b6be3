//! The factory's error: one sentence for the user, a kind that sets the exit code and says
//! whether trying again may help.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The user asked for something that cannot be: an unknown id, a gate that is not
    /// pending, a missing note. Exit code 2.
    Usage,
    /// The config file is malformed or holds an unknown key. Exit code 2.
    Config,
    /// The data directory is held by another process that cannot be attached. Exit code 3.
    Held,
    /// The data directory cannot be used (not a factory's, unreadable, full). Exit code 1.
    Storage,
    /// Something may work if tried again (the orchestrator is shutting down). Exit code 1.
    Unavailable,
    /// Work ended badly (a run failed); the state says why. Exit code 1.
    Failed,
    /// A bug. Exit code 1.
    Internal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct FactoryError {
    pub kind: ErrorKind,
    pub message: String,
}

pub type Result<T, E = FactoryError> = std::result::Result<T, E>;

impl FactoryError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        FactoryError { kind, message: message.into() }
    }
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Usage, message)
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }
    pub fn storage(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Storage, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    pub fn exit_code(&self) -> i32 {
        match self.kind {
            ErrorKind::Usage | ErrorKind::Config => 2,
            ErrorKind::Held => 3,
            ErrorKind::Storage | ErrorKind::Unavailable | ErrorKind::Failed | ErrorKind::Internal => 1,
        }
    }

    /// Whether the same request may succeed if sent again unchanged.
    pub fn retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Unavailable)
    }
}

impl From<sled::Error> for FactoryError {
    fn from(e: sled::Error) -> Self {
        crate::store::fault::from_sled(None, &e)
    }
}
