//! Video files: what is in them ([`MediaInfo`], [`probe`]), reading their pictures in display
//! order ([`FrameReader`]) and their sound as 48 kHz stereo ([`AudioReader`]), and when each
//! picture shows on the scene's clock ([`timeline`]).
//!
//! Layout:
//! - `time.rs`: [`Nanos`], the one unit of media time (integer nanoseconds, never accumulated).
//! - `error.rs`: [`MediaError`], with `kind()`.
//! - `info.rs`: [`MediaInfo`] and the codec/decoder names `streamcomp probe` prints.
//! - `packet.rs`: [`Packet`], [`Demuxer`] and [`VideoDecoder`], the native path's parts.
//! - `native/`: the native path: MP4/MOV (also fragmented), Matroska/WebM and FLV demuxers,
//!   H.264 through openh264 (`NativeReader`).
//! - `ffmpeg.rs`: the FFmpeg path (feature `ffmpeg`): the `ffmpeg` program decoding on a pipe.
//! - `audio/`: a file's sound decoded as a stream.
//! - `timeline.rs`: scene time → (playlist item, media time) for loops, in/out points,
//!   playlists, seek, pause.
//! - `source.rs`: a video layer's decode thread and its small bounded queue of frames.

mod control;
mod error;
#[cfg(feature = "ffmpeg")]
pub(crate) mod ffmpeg;
mod info;
pub(crate) mod layers;
pub(crate) mod native;
mod open;
mod packet;
pub(crate) mod program;
mod sound;
pub(crate) mod sound_source;
pub(crate) mod source;
mod time;
pub(crate) mod timeline;

pub use control::{MediaAction, MediaStatus};
pub(crate) use control::{patch as media_patch, status as media_status};
pub use error::MediaError;
pub use info::{AudioCodecId, DecoderChoice, MediaInfo, VideoCodecId};
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use native::fuzzing as native_fuzzing;
pub use open::probe;
pub(crate) use open::{open_audio, open_video};
pub(crate) use packet::{DecodedFrame, Demuxer, Packet, TrackKind, VideoDecoder};
pub(crate) use sound::LiveSound;
#[cfg(feature = "fuzzing")]
pub use sound::fuzzing as sound_fuzzing;
pub use time::{NANOS_PER_SECOND, Nanos, nanos_from_secs, nanos_from_ticks, secs_from_nanos};

/// Reads a video file's pictures in display order, from any point: the native path
/// (demuxer + decoder) and the FFmpeg path both implement it, so a layer's source thread does
/// not care which one runs.
pub(crate) trait FrameReader: Send {
    /// Positions the reader so that the next picture returned is the one on screen at media
    /// time `t` (the last with `pts <= t`; the first picture when `t` is before it): decodes
    /// from the key frame at or before `t` and drops the pictures before that one.
    fn seek(&mut self, t: Nanos) -> Result<(), MediaError>;

    /// The next picture in display order (I420, 8-bit, the file's size), `None` after the last.
    fn next_frame(&mut self) -> Result<Option<DecodedFrame>, MediaError>;
}

/// A stretch of a file's sound: 48 kHz planar stereo f32 starting at media sample `start`
/// (sample 0 is media time 0 of the file, after its edit list).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct AudioChunk {
    /// The media sample (at 48 kHz) of `left[0]`.
    pub(crate) start: i64,
    /// Left channel.
    pub(crate) left: Vec<f32>,
    /// Right channel.
    pub(crate) right: Vec<f32>,
}

/// Reads a video file's sound as a stream of [`AudioChunk`]s at 48 kHz stereo (never the whole
/// file in memory), from any point.
pub(crate) trait AudioReader: Send {
    /// Positions the reader so that the next chunk starts at media sample `sample` (48 kHz;
    /// earlier samples of the first decoded packet are cut off).
    fn seek(&mut self, sample: i64) -> Result<(), MediaError>;

    /// The next chunk (about 20–100 ms), `None` after the end of the sound.
    fn next_chunk(&mut self) -> Result<Option<AudioChunk>, MediaError>;
}
