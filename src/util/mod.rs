//! Small helpers with no home in the domain: a seeded random number generator.

pub mod rng;
