//! The dashboard's four panes.

pub mod gates;
pub mod providers;
pub mod quality;
pub mod startups;
pub mod team;
pub mod workers;
