//! What a live input is doing, as the API, the WebSocket and the metrics report it (SPEC §9):
//! [`InputState`], [`InputStatus`] and the [`InputEvent`] sent on every change of state.

use serde::Serialize;

use crate::scene::{InputKind, InputSpec};

/// Where a live input stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputState {
    /// Nothing has arrived yet (an RTMP input with no publisher, a pull not connected yet).
    #[default]
    Waiting,
    /// Data is arriving.
    Live,
    /// Data stopped arriving (the layer holds, then shows its fallback).
    Stalled,
    /// A pull or SRT connection is being made again (with backoff).
    Reconnecting,
}

impl InputState {
    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            InputState::Waiting => "waiting",
            InputState::Live => "live",
            InputState::Stalled => "stalled",
            InputState::Reconnecting => "reconnecting",
        }
    }
}

/// A live input's status. Never contains its key, passphrase or URL credentials.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct InputStatus {
    /// The input's name in the scene.
    pub name: String,
    /// `rtmp`, `srt` or `rtmp_pull`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Where it stands.
    pub state: InputState,
    /// When it got there (RFC 3339, UTC).
    pub since: String,
    /// Who sends (a publisher's address).
    pub peer: Option<String>,
    /// Video codec (`h264`, `av1`).
    pub codec: Option<String>,
    /// Sound codec (`aac`).
    pub audio_codec: Option<String>,
    /// Picture width, px.
    pub width: u32,
    /// Picture height, px.
    pub height: u32,
    /// Frame rate the stream declares.
    pub fps: Option<f64>,
    /// Received over the last second, kbit/s.
    pub bitrate_kbps: u64,
    /// Bytes received in all.
    pub bytes: u64,
    /// The jitter buffer, ms.
    pub buffer_ms: i64,
    /// Pictures decoded.
    pub frames: u64,
    /// Output frames that showed the same picture again.
    pub repeated: u64,
    /// Pictures (or tags) dropped: never shown, or not queued because the queue was full.
    pub dropped: u64,
    /// Packets that would not decode.
    pub decode_errors: u64,
    /// How far the sound read lies from the picture clock, ms (0: together).
    pub av_offset_ms: f64,
    /// From a picture's packet arriving at our socket to the output frame that shows it, ms
    /// (a moving average; the jitter buffer is most of it).
    pub latency_ms: f64,
    /// How much faster (+) or slower (−) than the stream clock the input's clock runs, in
    /// millionths (1000: 0.1 % fast), as the clock follows it.
    pub drift_ppm: f64,
    /// The last problem (a refused codec, a broken stream, a failed connection).
    pub error: Option<String>,
}

impl InputStatus {
    /// The status of an input that has just been set up.
    pub fn new(name: &str, spec: &InputSpec) -> InputStatus {
        InputStatus {
            name: name.to_string(),
            kind: spec.kind.type_name().to_string(),
            since: now_rfc3339(),
            buffer_ms: i64::from(spec.buffer_ms),
            ..InputStatus::default()
        }
    }
}

/// An input changed state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InputEvent {
    /// The input.
    pub input: String,
    /// Its new state.
    pub state: InputState,
    /// Why, in words.
    pub message: Option<String>,
}

/// The time now as the statuses write it (RFC 3339, UTC, milliseconds).
pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Whether `spec` is fed by the RTMP listener (true) or pulls its stream itself.
pub(crate) fn is_published(spec: &InputSpec) -> bool {
    matches!(spec.kind, InputKind::Rtmp { .. })
}
