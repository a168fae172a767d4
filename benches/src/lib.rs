//! Shared helpers for the streamcomp benchmarks.
