//! Encoders: a [`VideoEncoder`] state machine per backend (`send_frame` / `receive_packet`,
//! flush with `None`), an AAC audio encoder, and the [`Packet`]s they produce.
//!
//! [`new_video_encoder`] is the only place that picks a backend for a codec.

mod aac;
mod context;
#[cfg(feature = "ffmpeg")]
mod ffmpeg;
mod openh264;
mod opus;
mod rav1e;

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;

pub use crate::audio::frame_samples;
pub use crate::mux::StreamInfo;
use aac::AacEncoder;
pub use context::{AudioSettings, AudioSource, EncoderContext};

use crate::frame::YuvFrame;

/// Video codecs a stream or file may use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum VideoCodec {
    /// H.264 (openh264, built in). The default.
    #[default]
    H264,
    /// AV1 (rav1e, built in).
    Av1,
    /// VP8 (FFmpeg backend): not built yet.
    Vp8,
    /// VP9 (FFmpeg backend): not built yet.
    Vp9,
}

impl FromStr for VideoCodec {
    type Err = EncodeError;
    fn from_str(s: &str) -> Result<VideoCodec, EncodeError> {
        match s.to_ascii_lowercase().as_str() {
            "h264" | "avc" => Ok(VideoCodec::H264),
            "av1" => Ok(VideoCodec::Av1),
            "vp8" => Ok(VideoCodec::Vp8),
            "vp9" => Ok(VideoCodec::Vp9),
            _ => Err(EncodeError::Invalid(format!(
                "unknown codec `{s}`; expected h264, av1, vp8 or vp9"
            ))),
        }
    }
}

impl fmt::Display for VideoCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VideoCodec::H264 => "h264",
            VideoCodec::Av1 => "av1",
            VideoCodec::Vp8 => "vp8",
            VideoCodec::Vp9 => "vp9",
        })
    }
}

/// Why encoding failed or was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A setting is out of range or inconsistent.
    #[error("{0}")]
    Invalid(String),
    /// The codec or backend is not available in this build.
    #[error("{0}")]
    Unsupported(String),
    /// The encoder library failed.
    #[error("encoder failed: {0}")]
    Backend(String),
}

/// What a video encoder makes.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct VideoSettings {
    /// Codec. Default: H.264.
    pub codec: VideoCodec,
    /// Frame width (even).
    pub width: u32,
    /// Frame height (even).
    pub height: u32,
    /// Frames per second.
    pub fps: f64,
    /// Target bitrate, kbit/s. Default: 4000.
    pub bitrate_kbps: u32,
    /// Seconds between key frames. Default: 2.
    pub keyframe_interval: f64,
    /// Encoder threads (0: every core). Default: 0.
    pub threads: usize,
    /// Which encoder implementation. Default: [`EncoderBackend::Auto`].
    pub backend: EncoderBackend,
    /// Preset for the FFmpeg backend, `ultrafast` … `medium` (libx264's names; mapped onto
    /// libvpx's and SVT-AV1's speed settings). Default: `medium`.
    pub ffmpeg_preset: String,
    /// A hardware encoder family for the FFmpeg backend (`nvenc`, `vaapi`, `qsv`,
    /// `videotoolbox`); setting it implies the FFmpeg backend. Default: none.
    pub ffmpeg_hwaccel: Option<String>,
}

/// Which implementation encodes video.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum EncoderBackend {
    /// The built-in encoder for H.264 and AV1; FFmpeg for VP8 and VP9 or when a hardware
    /// encoder is asked for.
    #[default]
    Auto,
    /// The built-in encoders only (openh264, rav1e).
    Builtin,
    /// The `ffmpeg` program (cargo feature `ffmpeg`).
    Ffmpeg,
}

impl FromStr for EncoderBackend {
    type Err = EncodeError;
    fn from_str(s: &str) -> Result<EncoderBackend, EncodeError> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(EncoderBackend::Auto),
            "builtin" | "built-in" => Ok(EncoderBackend::Builtin),
            "ffmpeg" => Ok(EncoderBackend::Ffmpeg),
            _ => Err(EncodeError::Invalid(format!(
                "unknown encoder backend `{s}`; expected auto, builtin or ffmpeg"
            ))),
        }
    }
}

impl VideoSettings {
    /// Encoder threads: `threads`, or the machine's cores when it is 0 (auto), at most `max`.
    pub(crate) fn threads_up_to(&self, max: usize) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
        .min(max)
    }

    /// Refuses a frame whose size is not the one the encoder was set up for.
    pub(crate) fn check_frame(&self, frame: &YuvFrame) -> Result<(), EncodeError> {
        if (frame.width(), frame.height()) == (self.width, self.height) {
            return Ok(());
        }
        Err(EncodeError::Invalid(format!(
            "frame is {}x{}, the encoder was set up for {}x{}",
            frame.width(),
            frame.height(),
            self.width,
            self.height
        )))
    }

    /// Whether these settings are encoded by the FFmpeg backend.
    pub fn uses_ffmpeg(&self) -> bool {
        match self.backend {
            EncoderBackend::Ffmpeg => true,
            EncoderBackend::Builtin => false,
            EncoderBackend::Auto => {
                self.ffmpeg_hwaccel.is_some()
                    || matches!(self.codec, VideoCodec::Vp8 | VideoCodec::Vp9)
            }
        }
    }
}

impl VideoSettings {
    /// Settings for a `width`×`height` stream at `fps` with the defaults.
    pub fn new(width: u32, height: u32, fps: f64) -> VideoSettings {
        VideoSettings {
            codec: VideoCodec::H264,
            width,
            height,
            fps,
            bitrate_kbps: 4000,
            keyframe_interval: 2.0,
            threads: 0,
            backend: EncoderBackend::Auto,
            ffmpeg_preset: "medium".into(),
            ffmpeg_hwaccel: None,
        }
    }

    /// Checks the settings before any work starts.
    pub fn validate(&self) -> Result<(), EncodeError> {
        // The upper bound is each encoder's own (AV1 and H.264 levels differ): checked there.
        let min = crate::settings::MIN_SIDE;
        if !self.width.is_multiple_of(2)
            || !self.height.is_multiple_of(2)
            || self.width < min
            || self.height < min
        {
            return Err(EncodeError::Invalid(format!(
                "frame size {}x{} must be even and at least {min}x{min}",
                self.width, self.height
            )));
        }
        if !FFMPEG_PRESETS.contains(&self.ffmpeg_preset.as_str()) {
            return Err(EncodeError::Invalid(format!(
                "unknown FFmpeg preset `{}`; expected one of {}",
                self.ffmpeg_preset,
                FFMPEG_PRESETS.join(", ")
            )));
        }
        if let Some(hw) = &self.ffmpeg_hwaccel
            && !FFMPEG_HWACCELS.contains(&hw.as_str())
        {
            return Err(EncodeError::Invalid(format!(
                "unknown hardware encoder `{hw}`; expected one of {}",
                FFMPEG_HWACCELS.join(", ")
            )));
        }
        if self.codec == VideoCodec::H264
            && !self.uses_ffmpeg()
            && (self.width > 3840 || self.height > 2160)
        {
            return Err(EncodeError::Invalid(format!(
                "openh264 encodes at most 3840x2160, got {}x{}",
                self.width, self.height
            )));
        }
        if self.codec == VideoCodec::Av1
            && !self.uses_ffmpeg()
            && (self.width > 16384 || self.height > 8704)
        {
            return Err(EncodeError::Invalid(format!(
                "AV1 frames are at most 16384x8704 (level 6.3), got {}x{}",
                self.width, self.height
            )));
        }
        use crate::settings::{BITRATE, FPS, KEYFRAME_INTERVAL, THREADS};
        for (s, v) in [
            (FPS, self.fps),
            (BITRATE, f64::from(self.bitrate_kbps)),
            (KEYFRAME_INTERVAL, self.keyframe_interval),
            (THREADS, self.threads as f64),
        ] {
            s.check(v)
                .map_err(|m| EncodeError::Invalid(format!("{} {m}", s.key)))?;
        }
        Ok(())
    }
}

/// Presets accepted for the FFmpeg backend, fastest first (libx264's names).
pub const FFMPEG_PRESETS: [&str; 6] = [
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
];

/// Hardware encoder families accepted for the FFmpeg backend.
pub const FFMPEG_HWACCELS: [&str; 4] = ["nvenc", "vaapi", "qsv", "videotoolbox"];

/// The clock rate of video timestamps (ticks per second), as in MPEG-TS and MP4.
pub const VIDEO_TIMESCALE: u32 = 90_000;
/// Audio sample rate everywhere in streamcomp.
pub const AUDIO_RATE: u32 = 48_000;

/// Which track a packet belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Track {
    /// Video, timestamps in [`VIDEO_TIMESCALE`] ticks.
    Video,
    /// Audio, timestamps in samples at [`AUDIO_RATE`].
    Audio,
}

/// One encoded access unit. Cloning it is cheap: the payload is shared ([`Bytes`]), so a
/// live stream hands the same packet to every output without copying it.
#[derive(Clone, Debug)]
pub struct Packet {
    /// Video or audio.
    pub track: Track,
    /// The bytes: H.264 in Annex B (start codes), AV1 as one temporal unit of OBUs (a
    /// temporal delimiter first; the sequence header on key frames), AAC as a raw access unit.
    pub data: Bytes,
    /// Presentation time in the track's timescale.
    pub pts: i64,
    /// Decode time in the track's timescale (equal to `pts`: no B-frames).
    pub dts: i64,
    /// A key frame (every audio packet is one).
    pub key: bool,
    /// A video payload as FLV and MP4 carry it (see `mux::samples`), made by the first output
    /// that needs it and shared by every clone of the packet.
    pub(crate) framed: Arc<OnceLock<Bytes>>,
}

impl PartialEq for Packet {
    /// Packets are equal when their track, bytes, times and key flag are.
    fn eq(&self, o: &Packet) -> bool {
        (self.track, &self.data, self.pts, self.dts, self.key)
            == (o.track, &o.data, o.pts, o.dts, o.key)
    }
}

impl Packet {
    /// A packet of `track` presented (and decoded) at `pts`, in the track's timescale.
    pub fn new(track: Track, data: impl Into<Bytes>, pts: i64, key: bool) -> Packet {
        Packet {
            track,
            data: data.into(),
            pts,
            dts: pts,
            key,
            framed: Arc::default(),
        }
    }

    /// Presentation time in seconds.
    pub fn seconds(&self) -> f64 {
        match self.track {
            Track::Video => self.pts as f64 / VIDEO_TIMESCALE as f64,
            Track::Audio => self.pts as f64 / AUDIO_RATE as f64,
        }
    }
}

/// A video encoder as a state machine, hiding no threads.
///
/// `send_frame(Some(frame), pts)` queues a frame; `send_frame(None, _)` starts flushing.
/// `receive_packet()` returns `Ok(Some(packet))` while packets are ready and `Ok(None)` when it
/// needs more input (or, after a flush, when it is drained).
pub trait VideoEncoder: Send {
    /// Queues a frame (timestamp in [`VIDEO_TIMESCALE`] ticks), or flushes with `None`.
    fn send_frame(&mut self, frame: Option<&YuvFrame>, pts: i64) -> Result<(), EncodeError>;
    /// The next packet, if any.
    fn receive_packet(&mut self) -> Result<Option<Packet>, EncodeError>;
    /// The settings in force.
    fn settings(&self) -> &VideoSettings;
}

/// Audio codecs. Both encode 48 kHz stereo.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    /// AAC-LC (pure-Rust `syom`). The default.
    #[default]
    Aac,
    /// Opus.
    Opus,
}

impl FromStr for AudioCodec {
    type Err = EncodeError;
    fn from_str(s: &str) -> Result<AudioCodec, EncodeError> {
        match s.to_ascii_lowercase().as_str() {
            "aac" => Ok(AudioCodec::Aac),
            "opus" => Ok(AudioCodec::Opus),
            _ => Err(EncodeError::Invalid(format!(
                "unknown audio codec `{s}`; expected aac or opus"
            ))),
        }
    }
}

impl fmt::Display for AudioCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AudioCodec::Aac => "aac",
            AudioCodec::Opus => "opus",
        })
    }
}

/// An audio encoder: planar stereo f32 at [`AUDIO_RATE`] in, packets (timestamps in samples)
/// out. Packets come out as whole codec frames fill up; `finish` flushes the last one.
pub trait AudioEncoder: Send {
    /// The codec.
    fn codec(&self) -> AudioCodec;
    /// What containers need before the first packet: the AudioSpecificConfig for AAC
    /// (e.g. `11 90`), the `OpusHead` for Opus.
    fn config(&self) -> &[u8];
    /// Encodes planar samples (`left`, `right`, equal lengths); returns the packets completed.
    fn encode(&mut self, left: &[f32], right: &[f32]) -> Result<Vec<Packet>, EncodeError>;
    /// Flushes the last partial frame.
    fn finish(&mut self) -> Result<Vec<Packet>, EncodeError>;
    /// Samples of encoder delay that no container written here signals: AAC's 1024 priming
    /// samples (neither muxide's fragmented MP4 nor FLV/RTMP carries an edit list). Pipelines
    /// feed the encoder that many samples ahead of the timeline so that what a player decodes
    /// lines up with the picture. Opus signals its delay itself (`OpusHead` pre-skip): 0.
    fn priming(&self) -> u32 {
        0
    }
}

/// The encoder for `codec` at `bitrate_kbps`: the only match on [`AudioCodec`].
pub fn new_audio_encoder(
    codec: AudioCodec,
    bitrate_kbps: u32,
) -> Result<Box<dyn AudioEncoder>, EncodeError> {
    crate::settings::AUDIO_BITRATE
        .check(f64::from(bitrate_kbps))
        .map_err(|m| EncodeError::Invalid(format!("audio_bitrate {m}")))?;
    match codec {
        AudioCodec::Aac => Ok(Box::new(AacEncoder::new(bitrate_kbps)?)),
        AudioCodec::Opus => Ok(Box::new(opus::OpusEncoder::new(bitrate_kbps)?)),
    }
}

/// The encoder for `settings.codec`, after validating the settings.
pub fn new_video_encoder(settings: &VideoSettings) -> Result<Box<dyn VideoEncoder>, EncodeError> {
    settings.validate()?;
    if settings.uses_ffmpeg() {
        return ffmpeg_encoder(settings);
    }
    match settings.codec {
        VideoCodec::H264 => Ok(Box::new(openh264::OpenH264Encoder::new(settings.clone())?)),
        VideoCodec::Av1 => Ok(Box::new(rav1e::Rav1eEncoder::new(settings.clone())?)),
        other => Err(EncodeError::Unsupported(format!(
            "{other} has no built-in encoder; it needs the FFmpeg backend (encoder `ffmpeg`)"
        ))),
    }
}

#[cfg(feature = "ffmpeg")]
fn ffmpeg_encoder(settings: &VideoSettings) -> Result<Box<dyn VideoEncoder>, EncodeError> {
    Ok(Box::new(ffmpeg::FfmpegEncoder::new(settings.clone())?))
}

#[cfg(not(feature = "ffmpeg"))]
fn ffmpeg_encoder(settings: &VideoSettings) -> Result<Box<dyn VideoEncoder>, EncodeError> {
    Err(EncodeError::Unsupported(format!(
        "{} with these settings needs the FFmpeg backend, which this build does not include; rebuild with `--features ffmpeg` (and install the `ffmpeg` program)",
        settings.codec
    )))
}
