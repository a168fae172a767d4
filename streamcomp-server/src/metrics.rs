//! Prometheus metrics: the SPEC names, fed from the stream's status once a second, from the
//! request handlers, the WebSocket and the store, plus the process's memory and CPU
//! (`process_resident_memory_bytes`, `process_cpu_seconds_total`, from metrics-process).
//! Served at `/metrics` on `PORT` (behind the token) and on `METRICS_PORT`.
//! `streamcomp_frame_render_seconds` and `streamcomp_frame_encode_seconds` are recorded by the
//! core's live pipeline for every frame, through the same `metrics` facade.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use metrics_process::Collector;
use streamcomp_core::{live::Status, live::StreamState};

use crate::state::AppState;

static RECORDER: OnceLock<(PrometheusHandle, Collector)> = OnceLock::new();
static SEEN: Mutex<Seen> = Mutex::new(Seen::ZERO);

/// Frame times: a 30 fps frame has 33 ms, so the buckets are dense around that.
const FRAME_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.0167, 0.025, 0.0333, 0.05, 0.1, 0.25, 0.5, 1.0,
];
/// Store operations: an fsync takes from under a millisecond to tens of them.
const STORE_BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// Installs the global recorder (once per process) and describes every metric.
pub(crate) fn install() -> Result<(), String> {
    let full = |n: &str| Matcher::Full(n.to_string());
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(full("streamcomp_frame_render_seconds"), &FRAME_BUCKETS)
        .and_then(|b| {
            b.set_buckets_for_metric(full("streamcomp_frame_encode_seconds"), &FRAME_BUCKETS)
        })
        .and_then(|b| {
            b.set_buckets_for_metric(full("streamcomp_store_operation_seconds"), &STORE_BUCKETS)
        })
        .and_then(|b| {
            b.set_buckets_for_metric(full("streamcomp_http_request_seconds"), &STORE_BUCKETS)
        })
        .and_then(PrometheusBuilder::install_recorder)
        .map_err(|e| format!("cannot install the metrics recorder: {e}"))?;
    let process = Collector::default();
    process.describe();
    describe();
    let _ = RECORDER.set((handle, process));
    Ok(())
}

fn describe() {
    describe_counter!("streamcomp_frames_rendered_total", "Frames composed.");
    describe_counter!("streamcomp_frames_encoded_total", "Frames encoded.");
    describe_counter!(
        "streamcomp_frames_dropped_total",
        "Frames dropped (rendering or encoding behind the clock)."
    );
    describe_histogram!(
        "streamcomp_frame_render_seconds",
        "Time to compose one frame."
    );
    describe_histogram!(
        "streamcomp_frame_encode_seconds",
        "Time to encode one frame (video and its audio)."
    );
    describe_gauge!("streamcomp_layers", "Layers in the scene.");
    describe_gauge!(
        "streamcomp_stream_up",
        "1 while the stream is on air (live or reconnecting), else 0."
    );
    describe_counter!(
        "streamcomp_output_bytes_total",
        "Bytes written or sent to outputs."
    );
    describe_counter!("streamcomp_output_reconnects_total", "RTMP reconnections.");
    describe_gauge!("streamcomp_ws_connections", "Open WebSocket connections.");
    describe_gauge!(
        "streamcomp_output_up",
        "1 while an output is live (network) or writing (files, HLS), by output and kind."
    );
    describe_gauge!(
        "streamcomp_output_bytes",
        "Bytes an output wrote or sent, by output."
    );
    describe_gauge!(
        "streamcomp_output_bitrate_kbps",
        "An output's bitrate over the last seconds, by output."
    );
    describe_gauge!(
        "streamcomp_output_dropped_packets",
        "Packets a network output's queue dropped, by output."
    );
    describe_gauge!(
        "streamcomp_output_reconnects",
        "Times a network output went live again, by output."
    );
    describe_gauge!(
        "streamcomp_hls_memory_bytes",
        "Bytes of the stream's own HLS held in memory (HLS_MEMORY)."
    );
    describe_gauge!(
        "streamcomp_input_up",
        "1 while a live input is receiving data, by input."
    );
    describe_gauge!(
        "streamcomp_input_frames",
        "Pictures a live input decoded, by input."
    );
    describe_gauge!(
        "streamcomp_input_repeated_frames",
        "Output frames that showed a live input's picture again, by input."
    );
    describe_gauge!(
        "streamcomp_input_dropped_frames",
        "Pictures or packets of a live input dropped, by input."
    );
    describe_gauge!(
        "streamcomp_input_bitrate_kbps",
        "A live input's bitrate over the last second."
    );
    describe_gauge!(
        "streamcomp_input_av_offset_ms",
        "How far a live input's sound lies from its picture clock, ms."
    );
    describe_gauge!(
        "streamcomp_input_latency_ms",
        "From a live input's packet arriving to the output frame showing it, ms."
    );
    describe_gauge!(
        "streamcomp_input_drift_ppm",
        "How much faster than the stream clock a live input runs, millionths."
    );
    describe_histogram!(
        "streamcomp_store_operation_seconds",
        "Store operations by operation: load, save (the local file, and with Redis the wait for it), redis_write, redis_read."
    );
    describe_counter!(
        "streamcomp_worker_restarts_total",
        "Render workers rebuilt after a panic."
    );
    describe_counter!(
        "streamcomp_http_requests_total",
        "HTTP requests by route and status."
    );
    describe_histogram!(
        "streamcomp_http_request_seconds",
        "HTTP request handling time by route."
    );
    // Registered now so that the names are there before the first sample.
    let _ = histogram!("streamcomp_frame_render_seconds");
    let _ = histogram!("streamcomp_frame_encode_seconds");
    gauge!("streamcomp_ws_connections").set(0.0);
}

/// The Prometheus text (`GET /metrics`).
pub(crate) async fn render() -> Response {
    let Some((handle, process)) = RECORDER.get() else {
        return (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "no metrics recorder",
        )
            .into_response();
    };
    process.collect();
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

/// Counts and times requests by route pattern (never by raw path: ids stay out of labels).
pub(crate) async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    counter!("streamcomp_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    histogram!("streamcomp_http_request_seconds", "route" => route)
        .record(start.elapsed().as_secs_f64());
    res
}

/// Totals last seen, to turn the stream's counters into increments (a new stream starts its
/// counters from zero again).
struct Seen {
    rendered: u64,
    encoded: u64,
    dropped: u64,
    restarts: u64,
    bytes: u64,
    reconnects: u64,
}

fn delta(seen: &mut u64, now: u64) -> u64 {
    let d = if now >= *seen { now - *seen } else { now };
    *seen = now;
    d
}

impl Seen {
    const ZERO: Seen = Seen {
        rendered: 0,
        encoded: 0,
        dropped: 0,
        restarts: 0,
        bytes: 0,
        reconnects: 0,
    };

    fn feed(&mut self, st: &Status) {
        counter!("streamcomp_frames_rendered_total")
            .increment(delta(&mut self.rendered, st.frames_rendered));
        counter!("streamcomp_frames_encoded_total")
            .increment(delta(&mut self.encoded, st.frames_encoded));
        counter!("streamcomp_frames_dropped_total")
            .increment(delta(&mut self.dropped, st.frames_dropped));
        counter!("streamcomp_worker_restarts_total")
            .increment(delta(&mut self.restarts, st.worker_restarts));
        let bytes = st.outputs.iter().map(|o| o.bytes).sum();
        let reconnects = st.outputs.iter().map(|o| o.reconnects).sum();
        counter!("streamcomp_output_bytes_total").increment(delta(&mut self.bytes, bytes));
        counter!("streamcomp_output_reconnects_total")
            .increment(delta(&mut self.reconnects, reconnects));
        gauge!("streamcomp_layers").set(st.layers as f64);
        let up = matches!(st.state, StreamState::Live | StreamState::Reconnecting);
        gauge!("streamcomp_stream_up").set(if up { 1.0 } else { 0.0 });
    }
}

/// Feeds the metrics from a stream's status (also its final one, when it is replaced).
pub(crate) fn observe(st: &Status) {
    SEEN.lock().unwrap_or_else(|e| e.into_inner()).feed(st);
}

/// Once a second: feeds the metrics from the status and restarts composing if the stream
/// stopped by itself. Ends at shutdown.
pub(crate) async fn feed(state: AppState) {
    let mut shutdown = state.shutdown.clone();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        let s = state.clone();
        let _ = tokio::task::spawn_blocking(move || {
            s.watchdog();
            // Read and count under one lock, so a replaced stream's final count (see
            // `observe`) is never followed by an older reading of it.
            let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
            seen.feed(&s.handle().status());
            drop(seen);
            for i in s.handle().inputs() {
                let name = i.name.clone();
                let up = i.state == streamcomp_core::input::InputState::Live;
                gauge!("streamcomp_input_up", "input" => name.clone()).set(if up {
                    1.0
                } else {
                    0.0
                });
                gauge!("streamcomp_input_frames", "input" => name.clone()).set(i.frames as f64);
                gauge!("streamcomp_input_repeated_frames", "input" => name.clone())
                    .set(i.repeated as f64);
                gauge!("streamcomp_input_dropped_frames", "input" => name.clone())
                    .set(i.dropped as f64);
                gauge!("streamcomp_input_bitrate_kbps", "input" => name.clone())
                    .set(i.bitrate_kbps as f64);
                gauge!("streamcomp_input_av_offset_ms", "input" => name.clone())
                    .set(i.av_offset_ms);
                gauge!("streamcomp_input_latency_ms", "input" => name.clone()).set(i.latency_ms);
                gauge!("streamcomp_input_drift_ppm", "input" => name).set(i.drift_ppm);
            }
            for o in s.handle().status().outputs {
                let labels = [("output", o.target.clone()), ("kind", o.kind.to_string())];
                let up = matches!(o.state.as_str(), "live" | "writing");
                gauge!("streamcomp_output_up", &labels).set(if up { 1.0 } else { 0.0 });
                gauge!("streamcomp_output_bytes", &labels).set(o.bytes as f64);
                gauge!("streamcomp_output_bitrate_kbps", &labels).set(o.bitrate_kbps);
                gauge!("streamcomp_output_dropped_packets", &labels).set(o.dropped_packets as f64);
                gauge!("streamcomp_output_reconnects", &labels).set(o.reconnects as f64);
            }
            gauge!("streamcomp_hls_memory_bytes").set(s.hls.bytes() as f64);
        })
        .await;
    }
}
