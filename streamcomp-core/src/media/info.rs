//! [`MediaInfo`]: what a video file holds (container, codecs, size, frame rate, duration) and
//! which decoder reads it, as `streamcomp probe` prints it and a layer's JSON reports it.

use std::fmt;

use super::time::{Nanos, secs_from_nanos};

/// A video codec.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum VideoCodecId {
    /// H.264 / AVC.
    H264,
    /// H.265 / HEVC.
    Hevc,
    /// AV1.
    Av1,
    /// VP8.
    Vp8,
    /// VP9.
    Vp9,
    /// Anything else, by the name the container gives it (`mp4v`, `V_MPEG2`, `prores`).
    Other(String),
}

impl fmt::Display for VideoCodecId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VideoCodecId::H264 => f.write_str("h264"),
            VideoCodecId::Hevc => f.write_str("hevc"),
            VideoCodecId::Av1 => f.write_str("av1"),
            VideoCodecId::Vp8 => f.write_str("vp8"),
            VideoCodecId::Vp9 => f.write_str("vp9"),
            VideoCodecId::Other(s) => f.write_str(s),
        }
    }
}

/// An audio codec.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AudioCodecId {
    /// AAC.
    Aac,
    /// Opus.
    Opus,
    /// MP3.
    Mp3,
    /// FLAC.
    Flac,
    /// Vorbis.
    Vorbis,
    /// PCM.
    Pcm,
    /// Anything else, by the container's name for it.
    Other(String),
}

impl fmt::Display for AudioCodecId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AudioCodecId::Aac => f.write_str("aac"),
            AudioCodecId::Opus => f.write_str("opus"),
            AudioCodecId::Mp3 => f.write_str("mp3"),
            AudioCodecId::Flac => f.write_str("flac"),
            AudioCodecId::Vorbis => f.write_str("vorbis"),
            AudioCodecId::Pcm => f.write_str("pcm"),
            AudioCodecId::Other(s) => f.write_str(s),
        }
    }
}

/// Which decoder reads a file: chosen per file (`auto`), or forced by a layer's `decoder`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DecoderChoice {
    /// The built-in decoder when it can read the file, else FFmpeg when the backend is on.
    #[default]
    Auto,
    /// The built-in decoders only (an error when they cannot read the file).
    Native,
    /// The `ffmpeg` program (feature `ffmpeg`).
    Ffmpeg,
}

impl DecoderChoice {
    /// Reads `auto`, `native` or `ffmpeg`.
    pub fn parse(s: &str) -> Option<DecoderChoice> {
        match s {
            "auto" => Some(DecoderChoice::Auto),
            "native" => Some(DecoderChoice::Native),
            "ffmpeg" => Some(DecoderChoice::Ffmpeg),
            _ => None,
        }
    }

    /// The name as written in scenes.
    pub fn as_str(&self) -> &'static str {
        match self {
            DecoderChoice::Auto => "auto",
            DecoderChoice::Native => "native",
            DecoderChoice::Ffmpeg => "ffmpeg",
        }
    }
}

/// What a video file holds and how streamcomp would play it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MediaInfo {
    /// The container: `mp4`, `mov`, `matroska`, `webm`, `flv`, or FFmpeg's name for it.
    pub container: String,
    /// The video codec, when there is a video track.
    pub video: Option<VideoCodecId>,
    /// Picture width, px.
    pub width: u32,
    /// Picture height, px.
    pub height: u32,
    /// Frames per second as the file states or its timestamps imply (0 when unknown).
    pub fps: f64,
    /// Where the pictures end: the end of the last picture (its time plus its duration) in
    /// presentation time after edit lists, not the header's claim.
    pub duration: Nanos,
    /// The audio codec, when there is a sound track.
    pub audio: Option<AudioCodecId>,
    /// Sample rate of the sound track, Hz (0 without one).
    pub sample_rate: u32,
    /// Channels of the sound track (0 without one).
    pub channels: u16,
    /// The decoder that would read the pictures: `openh264`, `ffmpeg`, …
    pub decoder: String,
    /// Things worth knowing (`B-frames`, `fragmented`, `edit list: starts 0.067 s in`).
    pub notes: Vec<String>,
    /// The pictures' colour matrix and range (as the file says, else guessed by height).
    pub color: crate::frame::scale::YuvColor,
}

impl MediaInfo {
    /// The duration in seconds.
    pub fn duration_secs(&self) -> f64 {
        secs_from_nanos(self.duration)
    }
}

impl MediaInfo {
    /// `{"container", "video", "width", "height", "fps", "duration", "audio", "sample_rate",
    /// "channels", "decoder", "notes"}`.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::json!({
            "container": self.container,
            "video": self.video.as_ref().map(ToString::to_string),
            "width": self.width,
            "height": self.height,
            "fps": (self.fps * 1000.0).round() / 1000.0,
            "duration": (self.duration_secs() * 1000.0).round() / 1000.0,
            "audio": self.audio.as_ref().map(ToString::to_string),
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "decoder": self.decoder,
            "notes": self.notes,
            "matrix": if self.color.bt601 { "bt601" } else { "bt709" },
            "range": if self.color.full_range { "full" } else { "limited" },
        })
    }
}

impl fmt::Display for MediaInfo {
    /// The lines `streamcomp probe` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "container: {}", self.container)?;
        match &self.video {
            Some(v) => writeln!(
                f,
                "video:     {v}, {}x{}, {:.3} fps",
                self.width, self.height, self.fps
            )?,
            None => writeln!(f, "video:     none")?,
        }
        match &self.audio {
            Some(a) => writeln!(
                f,
                "audio:     {a}, {} Hz, {} channel(s)",
                self.sample_rate, self.channels
            )?,
            None => writeln!(f, "audio:     none")?,
        }
        writeln!(f, "duration:  {:.3} s", self.duration_secs())?;
        writeln!(
            f,
            "colour:    {}, {} range",
            if self.color.bt601 { "BT.601" } else { "BT.709" },
            if self.color.full_range {
                "full"
            } else {
                "limited"
            }
        )?;
        writeln!(f, "decoder:   {}", self.decoder)?;
        for n in &self.notes {
            writeln!(f, "note:      {n}")?;
        }
        Ok(())
    }
}
