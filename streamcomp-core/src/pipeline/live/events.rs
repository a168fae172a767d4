//! What a live stream tells: its [`StreamState`], the [`Event`]s it sends, a [`Status`]
//! snapshot with each output's [`OutputStatus`], and layers as [`LayerView`]s.

use std::time::Duration;

use crate::encode::VideoCodec;
use crate::render::Bounds;
use crate::scene::Layer;

/// What a live stream is doing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StreamState {
    /// Composing, no outputs.
    #[default]
    Idle,
    /// Outputs are connecting.
    Starting,
    /// Every output is live.
    Live,
    /// At least one RTMP output lost its connection and is reconnecting.
    Reconnecting,
    /// Finishing outputs.
    Stopping,
    /// Done.
    Stopped,
    /// Stopped by an error (see `last_error`).
    Error,
}

impl StreamState {
    /// The lowercase name used by the API (`idle`, `live`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            StreamState::Idle => "idle",
            StreamState::Starting => "starting",
            StreamState::Live => "live",
            StreamState::Reconnecting => "reconnecting",
            StreamState::Stopping => "stopping",
            StreamState::Stopped => "stopped",
            StreamState::Error => "error",
        }
    }
}

/// Something that happened to a live stream.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The pipeline started.
    Started,
    /// An output connected (RTMP) or opened (file). `output` never shows a stream key.
    OutputStarted {
        /// The output, key hidden.
        output: String,
    },
    /// An RTMP output lost its connection and will try again after `delay`.
    Reconnecting {
        /// The output, key hidden.
        output: String,
        /// Attempt number, from 1.
        attempt: u32,
        /// Wait before the attempt.
        delay: Duration,
    },
    /// An RTMP output is live again.
    Reconnected {
        /// The output, key hidden.
        output: String,
    },
    /// Frames were dropped since the last such event (at most one a second).
    FramesDropped {
        /// Dropped since the last event.
        count: u64,
        /// Dropped since the start.
        total: u64,
    },
    /// Rendering a layer failed; the layer is disabled and the stream goes on.
    LayerFailed {
        /// The layer's id.
        layer: String,
        /// What went wrong.
        message: String,
    },
    /// A video layer with `on_end: "remove"` played to its end and is gone from the scene.
    LayerRemoved {
        /// The layer's id.
        layer: String,
    },
    /// A live input changed state (waiting, live, stalled, reconnecting).
    Input {
        /// The input's name.
        input: String,
        /// Its new state.
        state: crate::input::InputState,
        /// Why, in words.
        message: Option<String>,
    },
    /// A recording in segments finished a file (it is complete and playable; upload it).
    FileDone {
        /// The output.
        output: String,
        /// The finished file.
        path: String,
    },
    /// An error that did not stop the stream (an output failed, an audio file broke, …).
    Error {
        /// What went wrong.
        message: String,
    },
    /// The pipeline stopped.
    Stopped {
        /// Why, when it was an error.
        error: Option<String>,
    },
}

/// One output's state.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct OutputStatus {
    /// The output (URL without its key, or the path).
    pub target: String,
    /// Its kind: `rtmp`, `srt`, `udp`, `hls`, `file` or `recording`.
    pub kind: &'static str,
    /// `connecting`, `live`, `reconnecting`, `stopped`, `failed` or `writing` (files, HLS).
    pub state: String,
    /// Bytes written or sent.
    pub bytes: u64,
    /// Bitrate over the last few seconds, kbit/s.
    pub bitrate_kbps: f64,
    /// Reconnections so far.
    pub reconnects: u64,
    /// Packets dropped by its queue.
    pub dropped_packets: u64,
    /// The last error, if any.
    pub last_error: Option<String>,
    /// Where it is at: the HLS segment count, the recording's current file.
    pub detail: Option<String>,
}

/// A snapshot of a live stream.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Status {
    /// State.
    pub state: StreamState,
    /// Time since the start.
    pub uptime: Duration,
    /// Frames composed.
    pub frames_rendered: u64,
    /// Frames encoded.
    pub frames_encoded: u64,
    /// Frames dropped (rendering or encoding behind the clock).
    pub frames_dropped: u64,
    /// Times the render worker was rebuilt after a panic.
    pub worker_restarts: u64,
    /// Frames where a video layer showed its previous picture because its decoder was late.
    pub video_late_frames: u64,
    /// Video codec.
    pub codec: VideoCodec,
    /// Frame size.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Frames per second.
    pub fps: f64,
    /// Layers in the scene.
    pub layers: usize,
    /// Every output.
    pub outputs: Vec<OutputStatus>,
    /// The last error, if any.
    pub last_error: Option<String>,
}

/// A layer as it now is, with its computed box on the canvas (after text layout and image
/// sizing), as the API and the bindings return it.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerView {
    /// The layer.
    pub layer: Layer,
    /// Its box on the canvas now.
    pub bounds: Bounds,
    /// Where a video layer's playback stands (`None` for other kinds).
    pub media: Option<crate::media::MediaStatus>,
}
