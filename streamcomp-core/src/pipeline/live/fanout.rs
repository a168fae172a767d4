//! The encode thread: encodes each frame once and fans the packets out to every output, then
//! refreshes the outputs' status and forwards their events.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

use super::events::{Event, OutputStatus, StreamState};
use super::shared::{Shared, lock};

use crate::assets::AssetResolver;
use crate::encode::{EncoderContext, Packet};
use crate::error::Error;
use crate::frame::YuvFrame;
use crate::mux::StreamInfo;
use crate::output::{OpenedOutput, Output, OutputTarget, RtmpEvent, RtmpOptions, RtmpStatsHandle};

/// One open output and what the encode thread knows of it.
pub(super) struct OpenOutput {
    pub(super) label: String,
    pub(super) kind: &'static str,
    pub(super) out: Box<dyn Output>,
    /// A network output's events and counters.
    pub(super) rtmp: Option<(Receiver<RtmpEvent>, RtmpStatsHandle)>,
    pub(super) failed: bool,
    /// Finished (files: closed).
    pub(super) finished: bool,
    /// (time, bytes) a few seconds back, for the bitrate.
    pub(super) window: (Instant, u64),
    pub(super) bitrate: f64,
}

pub(super) fn open_output(
    t: &OutputTarget,
    info: &StreamInfo,
    rtmp: &RtmpOptions,
) -> Result<OpenOutput, Error> {
    let OpenedOutput { out, net } = t.open(info, rtmp)?;
    Ok(OpenOutput {
        label: t.to_string(),
        kind: t.kind(),
        out,
        rtmp: net,
        failed: false,
        finished: false,
        window: (Instant::now(), 0),
        bitrate: 0.0,
    })
}

pub(super) fn initial_status(o: &OpenOutput) -> OutputStatus {
    OutputStatus {
        target: o.label.clone(),
        kind: o.kind,
        state: if o.rtmp.is_some() {
            "connecting".into()
        } else {
            "writing".into()
        },
        bytes: 0,
        bitrate_kbps: 0.0,
        reconnects: 0,
        dropped_packets: 0,
        last_error: None,
        detail: None,
    }
}

/// Encodes the frames the render thread sends and hands the packets to every output.
pub(super) fn encode_loop(
    sh: &Shared,
    mut stage: EncoderContext,
    mut outputs: Vec<OpenOutput>,
    work: Receiver<(u64, YuvFrame)>,
    free: SyncSender<YuvFrame>,
    assets: &AssetResolver,
) -> Result<(), Error> {
    let mut version = sh.version.load(Ordering::Acquire);
    loop {
        let (n, yuv) = match work.recv_timeout(Duration::from_millis(200)) {
            Ok(w) => w,
            Err(RecvTimeoutError::Timeout) => {
                poll_outputs(sh, &mut outputs);
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let v = sh.version.load(Ordering::Acquire);
        if v != version {
            version = v;
            let scene = Arc::clone(&lock(&sh.scene));
            if let Err(e) = stage.update_scene(&scene, assets) {
                sh.fail(format!("audio: {e}"));
            }
        }
        let began = Instant::now();
        let sent = stage.send_frame_at(n, &yuv);
        let _ = free.try_send(yuv);
        sent?;
        metrics::histogram!("streamcomp_frame_encode_seconds")
            .record(began.elapsed().as_secs_f64());
        sh.counters.encoded.fetch_add(1, Ordering::Relaxed);
        // Every output gets the same packet: its payload is shared, not copied.
        for p in stage.packets() {
            for o in outputs.iter_mut().filter(|o| !o.failed) {
                if let Err(e) = o.out.write(&p) {
                    o.failed = true;
                    sh.fail(format!("{}: {e}", o.label));
                }
            }
        }
        poll_outputs(sh, &mut outputs);
    }
    sh.set_state(StreamState::Stopping);
    stage.finish()?;
    let tail: Vec<Packet> = stage.packets().collect();
    for o in outputs.iter_mut().filter(|o| !o.failed) {
        for p in &tail {
            if o.out.write(p).is_err() {
                break;
            }
        }
    }
    let mut first_error = None;
    for o in &mut outputs {
        match o.out.finish() {
            Ok(()) => o.finished = true,
            Err(e) if !o.failed => {
                o.failed = true;
                sh.fail(format!("{}: {e}", o.label));
                first_error.get_or_insert(e);
            }
            Err(_) => {}
        }
    }
    poll_outputs(sh, &mut outputs);
    match first_error {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Forwards output events and refreshes the outputs' status and the stream's state.
pub(super) fn poll_outputs(sh: &Shared, outputs: &mut [OpenOutput]) {
    let mut any_reconnecting = false;
    let mut all_live = true;
    let mut statuses = Vec::with_capacity(outputs.len());
    for o in outputs.iter_mut() {
        let elapsed = o.window.0.elapsed();
        if elapsed >= Duration::from_secs(2) {
            let bytes = o.out.bytes();
            o.bitrate = (bytes - o.window.1) as f64 * 8.0 / 1000.0 / elapsed.as_secs_f64();
            o.window = (Instant::now(), bytes);
        }
        for path in o.out.take_finished_files() {
            sh.emit(Event::FileDone {
                output: o.label.clone(),
                path,
            });
        }
        let mut st = OutputStatus {
            target: o.label.clone(),
            kind: o.kind,
            state: if o.failed {
                "failed"
            } else if o.finished {
                "stopped"
            } else {
                "writing"
            }
            .into(),
            bytes: o.out.bytes(),
            bitrate_kbps: (o.bitrate * 10.0).round() / 10.0,
            reconnects: 0,
            dropped_packets: 0,
            last_error: None,
            detail: o.out.detail(),
        };
        if let Some((events, stats)) = &o.rtmp {
            while let Ok(e) = events.try_recv() {
                let output = o.label.clone();
                sh.emit(match e {
                    RtmpEvent::Started => Event::OutputStarted { output },
                    RtmpEvent::Reconnecting { attempt, delay } => Event::Reconnecting {
                        output,
                        attempt,
                        delay,
                    },
                    RtmpEvent::Reconnected => Event::Reconnected { output },
                    RtmpEvent::Error(message) | RtmpEvent::Warning(message) => Event::Error {
                        message: format!("{output}: {message}"),
                    },
                    _ => continue,
                });
            }
            let s = stats.get();
            st.state = format!("{:?}", s.state).to_ascii_lowercase();
            st.bytes = s.bytes_sent;
            st.reconnects = s.reconnects;
            st.dropped_packets = s.dropped_packets;
            st.last_error = s.last_error.clone();
            any_reconnecting |= st.state == "reconnecting";
            all_live &= st.state == "live";
        }
        statuses.push(st);
    }
    *lock(&sh.outputs) = statuses;
    let mut state = lock(&sh.state);
    if matches!(
        state.0,
        StreamState::Starting | StreamState::Live | StreamState::Reconnecting
    ) {
        state.0 = if any_reconnecting {
            StreamState::Reconnecting
        } else if all_live {
            StreamState::Live
        } else {
            StreamState::Starting
        };
    }
}
