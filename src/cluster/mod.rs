//! Past one machine: check rounds and provider calls as jobs on NATS JetStream work queues,
//! done by `factory worker` processes. The orchestrator stays the one owner of state: it
//! publishes jobs and applies each result once. Without `[cluster]`, none of this runs.

pub mod connect;
pub mod dispatcher;
pub mod error;
pub mod files;
pub mod protocol;
pub mod registry;

pub use connect::Endpoint;

pub use dispatcher::{Dispatcher, Notice, NoticeHook, Tally};
pub use error::ClusterError;
pub use protocol::{JobKind, PROTOCOL_VERSION};
pub use registry::WorkerRecord;
