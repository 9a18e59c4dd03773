//! What the benchmark binaries and the criterion benches share.

pub mod encoding;
