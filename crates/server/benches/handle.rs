//! Placeholder replaced by the handle benchmark.
fn main() {}
