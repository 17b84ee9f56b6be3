//! Test kits: fixed pictures of a busy factory for the control room's snapshot tests and
//! the render benchmark (the fake provider server is `crate::fake_server`).

pub mod fixture;
