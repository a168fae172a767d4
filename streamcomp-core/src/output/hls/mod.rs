//! HLS (RFC 8216) output: MPEG-TS or CMAF fMP4 segments cut at key frames, a live playlist
//! with a sliding window, to a folder ([`HlsTarget`]) or to memory ([`HlsMemory`]).

mod options;
mod playlist;
mod store;
mod writer;

pub use options::{HlsOptions, HlsTarget, SegmentType};
pub use store::HlsMemory;
pub use writer::HlsOutput;

#[cfg(feature = "fuzzing")]
pub use playlist::fuzz_parse as fuzz_playlist;

use crate::mux::StreamInfo;
use crate::output::OutputError;
use store::FolderStore;

impl HlsOutput {
    /// An HLS output to the folder of `target`'s playlist.
    pub fn to_folder(target: &HlsTarget, info: StreamInfo) -> Result<HlsOutput, OutputError> {
        let name = target
            .playlist
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| {
                OutputError::Unsupported(format!(
                    "HLS output: `{}` has no file name",
                    target.playlist.display()
                ))
            })?;
        let store = FolderStore::create(target.dir())?;
        HlsOutput::create(Box::new(store), name, target.options.clone(), info)
    }

    /// An HLS output to memory, its playlist named `index.m3u8`.
    pub fn to_memory(
        memory: &HlsMemory,
        options: HlsOptions,
        info: StreamInfo,
    ) -> Result<HlsOutput, OutputError> {
        HlsOutput::create(Box::new(memory.clone()), "index.m3u8", options, info)
    }
}
