//! The transport the HTTP wire formats share: the client, server-sent events, the rate
//! headers that say when to try again, and a failed response turned into a typed error.

pub mod http;
pub mod http_error;
pub mod rate_headers;
pub mod sse;
