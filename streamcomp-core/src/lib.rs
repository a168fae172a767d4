//! placeholder (the compositor is being written)
#![allow(missing_docs, dead_code, unreachable_pub)]
mod assets;
mod error;
mod limits;
mod render;
pub mod scene;
pub use assets::*;
pub use error::*;
pub use limits::Limits;
pub use render::Quality;
pub use scene::*;
/// Crate version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
