//! A video file's sound decoded as a stream at 48 kHz stereo, behind
//! [`AudioReader`](super::AudioReader): MP4/MOV and Matroska/WebM through symphonia's format
//! readers; AAC-LC, MP3, FLAC, Vorbis and PCM through symphonia's decoders, Opus through
//! `opus-rs`. Never the whole file in memory: a packet at a time, resampled as it comes.
//!
//! Layout:
//! - `reader.rs`: [`SoundReader`](reader::SoundReader), positions, seeking and chunks.
//! - `codec.rs`: the per-track decoder (symphonia or Opus) and the stereo mix.
//! - `resample.rs`: the streaming resampler to 48 kHz.
//! - `edit_list.rs`: the MP4 edit list (AAC priming), which symphonia does not apply.
//! - `guard.rs`: panics in the decoders become errors.
//! - `fuzzing.rs`: the `media_sound` fuzz target's entry (feature `fuzzing`).

mod codec;
mod edit_list;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod guard;
mod live;
mod reader;
mod resample;
#[cfg(test)]
mod tests;

use std::fs::File;
use std::path::Path;

use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;

use super::{AudioReader, MediaError};
use crate::limits::Limits;
use guard::guarded;
pub(crate) use live::LiveSound;
use reader::{SoundReader, TrackTiming};

/// A reader of the file's sound, `None` when it has none.
pub(crate) fn open(
    path: &Path,
    name: &str,
    limits: &Limits,
) -> Result<Option<Box<dyn AudioReader>>, MediaError> {
    Ok(open_reader(path, name, limits)?.map(|r| Box::new(r) as Box<dyn AudioReader>))
}

/// [`open`] with the concrete reader.
fn open_reader(
    path: &Path,
    name: &str,
    limits: &Limits,
) -> Result<Option<SoundReader>, MediaError> {
    let format = probe_format(path, name)?;
    let Some(track) = format.default_track(TrackType::Audio) else {
        return Ok(None);
    };
    let Some(params) = track.codec_params.as_ref().and_then(|p| p.audio()).cloned() else {
        return Ok(None);
    };
    let track_id = track.id;
    let (tb_numer, tb_denom) = track
        .time_base
        .map(|tb| (tb.numer.get(), tb.denom.get()))
        .ok_or_else(|| MediaError::malformed(name, "the sound track has no timebase"))?;
    if let Some(secs) = track
        .time_base
        .zip(track.duration)
        .and_then(|(tb, d)| tb.calc_duration(d))
        .map(|t| t.as_nanos() as f64 / 1e9)
        && let Err(d) = limits.check_video_seconds(secs, "sound")
    {
        return Err(MediaError::too_large(name, d));
    }
    let (codec, rate) = guarded(name, "decoder", || codec::Codec::new(&params, name))?;
    // A file of its own: a cloned handle would share symphonia's read position.
    let mut edit_file = File::open(path).map_err(|e| MediaError::io(name, e))?;
    let edit = guarded(name, "edit list", || {
        Ok(edit_list::read_track_edit(&mut edit_file, track_id))
    })?
    .unwrap_or_default();
    let timing = TrackTiming {
        track_id,
        tb_numer,
        tb_denom,
        offset_ticks: edit.offset_ticks,
        end_ticks: edit.end_ticks,
    };
    Ok(Some(SoundReader::new(
        path, name, format, codec, timing, rate, limits,
    )?))
}

/// symphonia's reader of the container of the file at `path`.
pub(super) fn probe_format(path: &Path, name: &str) -> Result<Box<dyn FormatReader>, MediaError> {
    let file = File::open(path).map_err(|e| MediaError::io(name, e))?;
    let mss = MediaSourceStream::new(Box::new(file), MediaSourceStreamOptions::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    guarded(name, "demuxer", || {
        symphonia::default::get_probe()
            .probe(
                &hint,
                mss,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
            .map_err(|e| match e {
                SymphoniaError::Unsupported(_) => {
                    MediaError::unsupported(name, "the container's sound is not readable natively")
                }
                SymphoniaError::IoError(e) if e.kind() != std::io::ErrorKind::UnexpectedEof => {
                    MediaError::io(name, e)
                }
                other => MediaError::malformed(name, format!("sound: {other}")),
            })
    })
}
