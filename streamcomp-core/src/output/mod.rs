//! Outputs: where encoded packets go. Files by extension today; RTMP later.

mod file;

pub(crate) use file::StreamInfo;
pub use file::{FileFormat, FileOutput};

use std::path::PathBuf;

use crate::encode::Packet;

/// Why an output failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// Writing failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The target cannot hold this stream.
    #[error("{0}")]
    Unsupported(String),
    /// The muxer refused a packet.
    #[error("{0}")]
    Mux(String),
}

/// A destination for encoded packets.
pub trait Output: Send {
    /// Writes one packet (tracks interleaved, each in time order).
    fn write(&mut self, p: &Packet) -> Result<(), OutputError>;
    /// Finishes the file or stream.
    fn finish(&mut self) -> Result<(), OutputError>;
    /// Bytes written so far.
    fn bytes(&self) -> u64;
}
