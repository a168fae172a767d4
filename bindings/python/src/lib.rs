//! Language binding over `streamcomp-core`.
//!
//! Not built yet: this crate only reserves its place in the workspace. It exports nothing, so
//! nothing can be mistaken for a working binding. See README.md for the state of the bindings.

/// The version of the core this binding will wrap.
pub const CORE_VERSION: &str = streamcomp_core::VERSION;
