//! A video file's sound decoded as a stream at 48 kHz stereo, behind
//! [`AudioReader`](super::AudioReader). (Being built.)

use std::path::Path;

use super::{AudioReader, MediaError};
use crate::limits::Limits;

/// A reader of the file's sound, `None` when it has none.
pub(crate) fn open(
    _path: &Path,
    name: &str,
    _limits: &Limits,
) -> Result<Option<Box<dyn AudioReader>>, MediaError> {
    Err(MediaError::unsupported(
        name,
        "native sound decoding is not built yet",
    ))
}
