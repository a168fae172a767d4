//! The FFmpeg path (feature `ffmpeg`): `ffprobe` says what a file holds, `ffmpeg` decodes its
//! pictures to raw I420 and its sound to 48 kHz stereo f32 on pipes. (Being built.)

use std::path::Path;

use super::{AudioChunk, AudioReader, DecodedFrame, FrameReader, MediaError, MediaInfo, Nanos};
use crate::limits::Limits;

/// What FFmpeg would decode.
pub(crate) fn probe(_path: &Path, name: &str, _limits: &Limits) -> Result<MediaInfo, MediaError> {
    Err(MediaError::unsupported(name, "not built yet"))
}

/// Pictures from an `ffmpeg` process.
pub(crate) struct VideoPipe {
    info: MediaInfo,
}

impl VideoPipe {
    /// Starts decoding.
    pub(crate) fn open(
        _path: &Path,
        _name: &str,
        info: MediaInfo,
        _limits: &Limits,
    ) -> Result<VideoPipe, MediaError> {
        Ok(VideoPipe { info })
    }
}

impl FrameReader for VideoPipe {
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

/// Sound from an `ffmpeg` process.
pub(crate) struct AudioPipe;

impl AudioPipe {
    /// Starts decoding.
    pub(crate) fn open(
        _path: &Path,
        _name: &str,
        _info: &MediaInfo,
    ) -> Result<AudioPipe, MediaError> {
        Ok(AudioPipe)
    }
}

impl AudioReader for AudioPipe {
    fn seek(&mut self, _sample: i64) -> Result<(), MediaError> {
        Ok(())
    }
    fn next_chunk(&mut self) -> Result<Option<AudioChunk>, MediaError> {
        Ok(None)
    }
}
