//! JSON views of what the pipelines report — events, status, layers with their bounds, render
//! summaries — in the one shape every front end shows (the server's API and WebSocket, the
//! Python and Node bindings).

use serde_json::{Value, json};

use super::live::{Event, LayerView, OutputStatus, Status};
use super::render::RenderSummary;

fn round(x: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (x * k).round() / k
}

impl Event {
    /// `{"state": "<what happened>", ...}`: `started`, `output_started` (`output`),
    /// `reconnecting` (`output`, `attempt`, `delay_seconds`), `reconnected` (`output`),
    /// `frames_dropped` (`count`, `total`), `layer_failed` (`layer`, `message`),
    /// `layer_removed` (`layer`: a video with `on_end: "remove"` that ended), `error`
    /// (`message`), `input` (`input`, `input_state`: waiting/live/stalled/reconnecting, `message`),
    /// `stopped` (`error`: null or the message). Outputs never show stream keys.
    pub fn to_value(&self) -> Value {
        match self {
            Event::Started => json!({"state": "started"}),
            Event::OutputStarted { output } => json!({"state": "output_started", "output": output}),
            Event::Reconnecting {
                output,
                attempt,
                delay,
            } => json!({"state": "reconnecting", "output": output, "attempt": attempt,
                        "delay_seconds": round(delay.as_secs_f64(), 3)}),
            Event::Reconnected { output } => json!({"state": "reconnected", "output": output}),
            Event::FileDone { output, path } => {
                json!({"state": "file_done", "output": output, "path": path})
            }
            Event::FramesDropped { count, total } => {
                json!({"state": "frames_dropped", "count": count, "total": total})
            }
            Event::LayerFailed { layer, message } => {
                json!({"state": "layer_failed", "layer": layer, "message": message})
            }
            Event::LayerRemoved { layer } => json!({"state": "layer_removed", "layer": layer}),
            Event::Input {
                input,
                state,
                message,
            } => json!({"state": "input", "input": input, "input_state": state.as_str(),
                        "message": message}),
            Event::Error { message } => json!({"state": "error", "message": message}),
            Event::Stopped { error } => json!({"state": "stopped", "error": error}),
        }
    }
}

impl crate::input::InputStatus {
    /// The status as JSON: `{"name", "type", "state", "since", "peer", "codec", "audio_codec",
    /// "width", "height", "fps", "bitrate_kbps", "bytes", "buffer_ms", "frames", "repeated",
    /// "dropped", "decode_errors", "av_offset_ms", "error"}`. Never a key or passphrase.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl OutputStatus {
    /// `{"target", "kind", "state", "bytes", "bitrate_kbps", "reconnects", "dropped_packets",
    /// "last_error", "detail"}`; the target never shows a stream key or passphrase.
    pub fn to_value(&self) -> Value {
        json!({"target": self.target, "kind": self.kind, "state": self.state,
            "bytes": self.bytes, "bitrate_kbps": round(self.bitrate_kbps, 1),
            "reconnects": self.reconnects, "dropped_packets": self.dropped_packets,
            "last_error": self.last_error, "detail": self.detail})
    }
}

impl Status {
    /// `{"state", "outputs": [..], "codec", "resolution": "WxH", "fps", "uptime_seconds",
    /// "frames": {"rendered", "encoded", "dropped", "video_late"}, "worker_restarts", "bitrate_kbps" (all
    /// outputs), "layers", "last_error"}`.
    pub fn to_value(&self) -> Value {
        let bitrate: f64 = self.outputs.iter().map(|o| o.bitrate_kbps).sum();
        json!({
            "state": self.state.as_str(),
            "outputs": self.outputs.iter().map(OutputStatus::to_value).collect::<Vec<_>>(),
            "codec": self.codec.to_string(),
            "resolution": format!("{}x{}", self.width, self.height),
            "fps": self.fps,
            "uptime_seconds": round(self.uptime.as_secs_f64(), 3),
            "frames": {"rendered": self.frames_rendered, "encoded": self.frames_encoded,
                       "dropped": self.frames_dropped, "video_late": self.video_late_frames},
            "worker_restarts": self.worker_restarts,
            "bitrate_kbps": round(bitrate, 1),
            "layers": self.layers,
            "last_error": self.last_error,
        })
    }
}

impl LayerView {
    /// The layer document plus `"bounds": {"x", "y", "width", "height"}` (its box on the canvas
    /// now, after text layout and image sizing) and, for video layers, `"media"`: `{"state",
    /// "item", "position", "duration", "lap", "items", "error"}`.
    pub fn to_value(&self) -> Value {
        let mut doc = self.layer.to_value();
        doc["bounds"] = json!({
            "x": self.bounds.x, "y": self.bounds.y,
            "width": self.bounds.width, "height": self.bounds.height,
        });
        if let Some(m) = &self.media {
            doc["media"] = m.to_value();
        }
        doc
    }
}

impl RenderSummary {
    /// `{"frames", "duration", "bytes", "elapsed_seconds", "fps", "audio", "seconds":
    /// {"compose", "convert", "encode", "mux"}}`.
    pub fn to_value(&self) -> Value {
        let elapsed = self.elapsed.as_secs_f64();
        json!({
            "frames": self.frames,
            "duration": self.duration,
            "bytes": self.bytes,
            "elapsed_seconds": round(elapsed, 3),
            "fps": if elapsed > 0.0 { round(self.frames as f64 / elapsed, 1) } else { 0.0 },
            "audio": self.audio,
            "seconds": {
                "compose": round(self.compose.as_secs_f64(), 3),
                "convert": round(self.convert.as_secs_f64(), 3),
                "encode": round(self.encode.as_secs_f64(), 3),
                "mux": round(self.mux.as_secs_f64(), 3),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn events_have_a_state_and_their_fields() {
        let e = Event::Reconnecting {
            output: "rtmp://h/app".into(),
            attempt: 2,
            delay: Duration::from_millis(1500),
        };
        assert_eq!(
            e.to_value(),
            json!({"state": "reconnecting", "output": "rtmp://h/app", "attempt": 2, "delay_seconds": 1.5})
        );
        assert_eq!(
            Event::Stopped { error: None }.to_value(),
            json!({"state": "stopped", "error": null})
        );
    }
}
