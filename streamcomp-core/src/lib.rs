//! placeholder
#![allow(missing_docs)]
pub mod scene;
pub use scene::*;
/// Crate version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Scene(#[from] SceneError),
    #[error(transparent)]
    SceneFile(#[from] scene::SceneFileError),
}
