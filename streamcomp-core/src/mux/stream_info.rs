//! [`StreamInfo`]: what muxers and publishers need to know of a stream before its first packet.

use crate::encode::{AudioCodec, VideoCodec};

/// A stream's description: size, rate, codecs and the audio encoder's configuration, as
/// [`EncoderContext::stream_info`](crate::encode::EncoderContext::stream_info) reports it. Files write
/// it into their headers; an RTMP server is told it (`onMetaData`, sequence headers).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct StreamInfo {
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Frames per second.
    pub fps: f64,
    /// Video codec of the packets (over RTMP: H.264, or AV1 as Enhanced RTMP). Default: H.264.
    pub video: VideoCodec,
    /// Audio codec and its configuration (AAC AudioSpecificConfig, or the `OpusHead` for Opus),
    /// if there is audio. Default: none.
    pub audio: Option<(AudioCodec, Vec<u8>)>,
    /// Seconds between video key frames, as the encoder was told (HLS target durations and
    /// recording cuts rely on it). Default: 2.
    pub keyframe_interval: f64,
}

impl StreamInfo {
    /// H.264 video of `width`×`height` at `fps`, no audio.
    pub fn new(width: u32, height: u32, fps: f64) -> StreamInfo {
        StreamInfo {
            width,
            height,
            fps,
            video: VideoCodec::H264,
            audio: None,
            keyframe_interval: 2.0,
        }
    }

    /// The same with an audio track (`config` as the encoder reports it).
    pub fn with_audio(mut self, codec: AudioCodec, config: &[u8]) -> StreamInfo {
        self.audio = Some((codec, config.to_vec()));
        self
    }
}
