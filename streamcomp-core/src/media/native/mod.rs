//! The native path: MP4/MOV (also fragmented), Matroska/WebM and FLV demuxers and H.264
//! through openh264, behind [`FrameReader`](super::FrameReader). (Being built.)

use std::path::Path;

use super::{DecodedFrame, FrameReader, MediaError, MediaInfo, Nanos};
use crate::limits::Limits;

/// What the native path would decode in the file, or why it cannot.
pub(crate) fn probe(_path: &Path, name: &str, _limits: &Limits) -> Result<MediaInfo, MediaError> {
    Err(MediaError::unsupported(
        name,
        "the native decoders are not built yet",
    ))
}

/// A demuxer and a decoder reading one file.
pub(crate) struct NativeReader {
    info: MediaInfo,
}

/// Opens the file for reading pictures.
pub(crate) fn open(path: &Path, name: &str, limits: &Limits) -> Result<NativeReader, MediaError> {
    Ok(NativeReader {
        info: probe(path, name, limits)?,
    })
}

impl FrameReader for NativeReader {
    fn info(&self) -> &MediaInfo {
        &self.info
    }

    fn seek(&mut self, _t: Nanos) -> Result<(), MediaError> {
        Ok(())
    }

    fn next_frame(&mut self) -> Result<Option<DecodedFrame>, MediaError> {
        Ok(None)
    }
}
