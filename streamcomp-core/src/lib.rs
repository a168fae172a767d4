//! placeholder (the compositor is being written)
#![allow(missing_docs, dead_code, unreachable_pub)]
mod assets;
mod bench;
mod error;
mod frame;
mod limits;
mod render;
pub mod scene;
pub use assets::*;
pub use bench::*;
pub use error::*;
pub use frame::*;
pub use limits::Limits;
pub use render::*;
pub use scene::*;
/// Crate version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
