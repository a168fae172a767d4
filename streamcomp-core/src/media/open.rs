//! Opening a video file: which path reads it (native or FFmpeg, per [`DecoderChoice`]) and
//! [`probe`], what `streamcomp probe` prints.

use std::path::Path;

use super::{AudioReader, DecoderChoice, FrameReader, MediaError, MediaInfo};
use crate::limits::Limits;

/// What streamcomp would decode in the file at `path` (named `name` in messages) with
/// `choice`, or why it would not play.
pub fn probe(
    path: &Path,
    name: &str,
    choice: DecoderChoice,
    limits: &Limits,
) -> Result<MediaInfo, MediaError> {
    check_file(path, name, limits)?;
    match choice {
        DecoderChoice::Native => super::native::probe(path, name, limits),
        DecoderChoice::Ffmpeg => ffmpeg_probe(path, name, limits),
        DecoderChoice::Auto => match super::native::probe(path, name, limits) {
            Err(e @ MediaError::Unsupported { .. }) if cfg!(feature = "ffmpeg") => {
                ffmpeg_probe(path, name, limits).map_err(|_| e)
            }
            // H.264: FFmpeg's decoder behind our demuxer when the backend is there (faster).
            Ok(mut info) if info.decoder == "openh264" && ffmpeg_present() => {
                info.decoder = "ffmpeg-h264".into();
                Ok(info)
            }
            r => r,
        },
    }
}

/// A reader of the file's pictures with the decoder `probe` names.
pub(crate) fn open_video(
    path: &Path,
    name: &str,
    choice: DecoderChoice,
    limits: &Limits,
) -> Result<Box<dyn FrameReader>, MediaError> {
    let info = probe(path, name, choice, limits)?;
    if info.decoder == "ffmpeg" {
        ffmpeg_video(path, name, info, limits)
    } else {
        Ok(Box::new(super::native::open(
            path,
            name,
            limits,
            &info.decoder,
        )?))
    }
}

/// A reader of the file's sound (`None` when it has none), with the same choice of path.
pub(crate) fn open_audio(
    path: &Path,
    name: &str,
    info: &MediaInfo,
    limits: &Limits,
) -> Result<Option<Box<dyn AudioReader>>, MediaError> {
    if info.audio.is_none() {
        return Ok(None);
    }
    if info.decoder == "ffmpeg" {
        return ffmpeg_audio(path, name, info);
    }
    match super::sound::open(path, name, limits) {
        Err(MediaError::Unsupported { .. }) if cfg!(feature = "ffmpeg") => {
            ffmpeg_audio(path, name, info)
        }
        r => r,
    }
}

/// Refuses a file that is missing, not a file, or over [`Limits::max_video_file_bytes`].
fn check_file(path: &Path, name: &str, limits: &Limits) -> Result<(), MediaError> {
    let meta = std::fs::metadata(path).map_err(|e| MediaError::io(name, e))?;
    if !meta.is_file() {
        return Err(MediaError::unsupported(name, "not a file"));
    }
    if meta.len() > limits.max_video_file_bytes {
        return Err(MediaError::too_large(
            name,
            format!(
                "{} bytes exceeds the limit of {} bytes",
                meta.len(),
                limits.max_video_file_bytes
            ),
        ));
    }
    Ok(())
}

/// Whether the FFmpeg backend is built in and its `ffmpeg` program runs.
#[cfg(feature = "ffmpeg")]
fn ffmpeg_present() -> bool {
    super::ffmpeg::present()
}

#[cfg(not(feature = "ffmpeg"))]
fn ffmpeg_present() -> bool {
    false
}

#[cfg(feature = "ffmpeg")]
fn ffmpeg_probe(path: &Path, name: &str, limits: &Limits) -> Result<MediaInfo, MediaError> {
    super::ffmpeg::probe(path, name, limits)
}

#[cfg(not(feature = "ffmpeg"))]
fn ffmpeg_probe(_: &Path, name: &str, _: &Limits) -> Result<MediaInfo, MediaError> {
    Err(MediaError::unsupported(
        name,
        "the ffmpeg decoder needs the `ffmpeg` feature, which this build does not have",
    ))
}

#[cfg(feature = "ffmpeg")]
fn ffmpeg_video(
    path: &Path,
    name: &str,
    info: MediaInfo,
    limits: &Limits,
) -> Result<Box<dyn FrameReader>, MediaError> {
    Ok(Box::new(super::ffmpeg::VideoPipe::open(
        path, name, info, limits,
    )?))
}

#[cfg(not(feature = "ffmpeg"))]
fn ffmpeg_video(
    _: &Path,
    name: &str,
    _: MediaInfo,
    _: &Limits,
) -> Result<Box<dyn FrameReader>, MediaError> {
    Err(MediaError::unsupported(name, "needs the `ffmpeg` feature"))
}

#[cfg(feature = "ffmpeg")]
fn ffmpeg_audio(
    path: &Path,
    name: &str,
    info: &MediaInfo,
) -> Result<Option<Box<dyn AudioReader>>, MediaError> {
    Ok(Some(Box::new(super::ffmpeg::AudioPipe::open(
        path, name, info,
    )?)))
}

#[cfg(not(feature = "ffmpeg"))]
fn ffmpeg_audio(
    _: &Path,
    name: &str,
    _: &MediaInfo,
) -> Result<Option<Box<dyn AudioReader>>, MediaError> {
    Err(MediaError::unsupported(
        name,
        "its sound needs the `ffmpeg` feature",
    ))
}
