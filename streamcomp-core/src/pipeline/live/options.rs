//! [`LiveOptions`]: how a live stream runs (video, audio, outputs, quality, threads).

use std::sync::mpsc::SyncSender;
use std::time::Duration;

use super::events::Event;

use crate::encode::{AudioCodec, VideoSettings};
use crate::output::{OutputTarget, RtmpOptions};
use crate::render::Quality;

/// How a live stream runs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LiveOptions {
    /// Where the stream goes: `rtmp://`/`rtmps://` URLs and files. None: the scene is composed
    /// in real time (for previews) and nothing is encoded. Default: none.
    pub outputs: Vec<OutputTarget>,
    /// Video encoding. Its size and frame rate are replaced by the scene's. Default: H.264,
    /// 4000 kbit/s, a key frame every 2 s.
    pub video: VideoSettings,
    /// Audio track: codec and bitrate (kbit/s); `None` for no audio. Default: AAC, 128.
    pub audio: Option<(AudioCodec, u32)>,
    /// Resampling quality. Default: high.
    pub quality: Quality,
    /// Compositor threads (0: every core). Default: 0.
    pub threads: usize,
    /// Stop by itself after this long. Default: never.
    pub duration: Option<Duration>,
    /// Queues, timeouts and reconnect backoff of RTMP outputs. Default: see [`RtmpOptions`].
    pub rtmp: RtmpOptions,
    /// Where events go from the start, [`Event::Started`] included (never blocks; events are
    /// dropped when it is full). More receivers: [`LiveHandle::subscribe`](super::LiveHandle::subscribe). Default: none.
    pub events: Option<SyncSender<Event>>,
    /// Live inputs shared with something else (a server keeps one set across its streams).
    /// Default: none (the stream keeps its own, following its scene's `inputs`).
    pub inputs: Option<crate::input::InputHub>,
    /// Start an RTMP listener for the scene's `rtmp` inputs, owned by the stream (stopped with
    /// it). Default: none.
    pub ingest: Option<crate::input::IngestOptions>,
}

impl Default for LiveOptions {
    fn default() -> LiveOptions {
        LiveOptions {
            outputs: Vec::new(),
            video: VideoSettings::new(1280, 720, 30.0),
            audio: Some((AudioCodec::Aac, 128)),
            quality: Quality::High,
            threads: 0,
            duration: None,
            rtmp: RtmpOptions::default(),
            events: None,
            inputs: None,
            ingest: None,
        }
    }
}
