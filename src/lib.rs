//! The unpublished root package: it owns `examples/` and `tests/`, and
//! compiles the README's code as a doctest so the tour cannot go stale.
#![doc = include_str!("../README.md")]
