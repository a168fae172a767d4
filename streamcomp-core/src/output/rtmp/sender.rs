//! The sender thread of an [`RtmpOutput`](super::RtmpOutput): connect, publish, send queued
//! packets, and on any error wait ([`Backoff`]) and start over on a key frame, until the
//! output finishes or is dropped.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender as DoneSender};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rustls::ClientConfig;

use super::backoff::Backoff;
use super::session::{MediaKind, OpenParams, Session};
use super::url::RtmpUrl;
use super::{RtmpEvent, RtmpOptions, RtmpState, Shared};
use crate::encode::{AUDIO_RATE, AudioCodec, Packet, Track, VideoCodec};
use crate::mux::{StreamInfo, flv, obu, sps_pps};
use crate::output::OutputError;

/// How often the server's messages are read while streaming.
const POLL_EVERY: Duration = Duration::from_millis(50);
/// Longest wait on the queue before looking at the flags again.
const TICK: Duration = Duration::from_millis(100);

/// How a streaming session ended without an error.
enum End {
    /// Everything queued was sent (or the finish deadline passed).
    Finished,
    /// The output was dropped.
    Stopped,
}

pub(crate) struct Sender {
    url: RtmpUrl,
    info: StreamInfo,
    tls: Option<Arc<ClientConfig>>,
    connect_timeout: Duration,
    write_timeout: Duration,
    backoff: Backoff,
    rx: Receiver<Packet>,
    shared: Arc<Shared>,
    done: DoneSender<()>,
    /// The video sequence header tag body from the last key frame seen (AVC configuration
    /// from its SPS/PPS, or AV1 SequenceStart from its sequence header OBU).
    video_header: Option<Vec<u8>>,
    scratch: Vec<u8>,
    /// The queue is closed: finish.
    closed: bool,
}

impl Sender {
    pub(crate) fn new(
        url: RtmpUrl,
        info: StreamInfo,
        opts: &RtmpOptions,
        tls: Option<Arc<ClientConfig>>,
        rx: Receiver<Packet>,
        shared: Arc<Shared>,
        done: DoneSender<()>,
    ) -> Sender {
        let backoff = match opts.backoff_seed {
            Some(seed) => Backoff::with_seed(
                opts.backoff_initial,
                opts.backoff_max,
                opts.backoff_jitter,
                seed,
            ),
            None => Backoff::new(opts.backoff_initial, opts.backoff_max, opts.backoff_jitter),
        };
        Sender {
            url,
            info,
            tls,
            connect_timeout: opts.connect_timeout,
            write_timeout: opts.write_timeout,
            backoff,
            rx,
            shared,
            done,
            video_header: None,
            scratch: Vec::new(),
            closed: false,
        }
    }

    fn four_cc(&self) -> &'static [&'static str] {
        let enhanced = self.info.video == VideoCodec::Av1
            || matches!(self.info.audio, Some((AudioCodec::Opus, _)));
        if enhanced {
            &["av01", "avc1", "Opus", "mp4a"]
        } else {
            &[]
        }
    }

    fn set_state(&self, state: RtmpState) {
        self.shared.stats().state = state;
    }

    fn failed(&self, e: &OutputError) {
        let msg = e.to_string();
        {
            let mut s = self.shared.stats();
            s.last_error = Some(msg.clone());
        }
        self.shared.emit(RtmpEvent::Error(msg));
    }

    pub(crate) fn run(mut self) {
        let mut ever_live = false;
        while !self.shared.stopping() {
            let four_cc = self.four_cc();
            let opened = Session::open(&OpenParams {
                url: &self.url,
                tls: self.tls.clone(),
                timeout: self.connect_timeout,
                write_timeout: self.write_timeout,
                four_cc,
            });
            match opened {
                Ok(mut session) => {
                    self.backoff.reset();
                    {
                        let mut s = self.shared.stats();
                        s.state = RtmpState::Live;
                        s.bytes_sent += session.take_sent();
                        if ever_live {
                            s.reconnects += 1;
                        }
                    }
                    self.shared.emit(if ever_live {
                        RtmpEvent::Reconnected
                    } else {
                        RtmpEvent::Started
                    });
                    if !ever_live && let Some(w) = session.enhanced_warning() {
                        tracing::warn!(target: "streamcomp::rtmp", "{}: {w}", self.url);
                        self.shared.emit(RtmpEvent::Warning(w));
                    }
                    ever_live = true;
                    let result = self.stream(&mut session);
                    self.shared.stats().bytes_sent += session.take_sent();
                    match result {
                        Ok(End::Finished) => {
                            session.close();
                            break;
                        }
                        Ok(End::Stopped) => {
                            session.close();
                            break;
                        }
                        Err(e) => {
                            self.failed(&e);
                            drop(session);
                        }
                    }
                }
                Err(e) => {
                    self.shared.stats().failed_attempts += 1;
                    self.failed(&e);
                }
            }
            if self.closed || self.shared.stopping() {
                break;
            }
            let delay = self.backoff.next_delay();
            self.set_state(RtmpState::Reconnecting);
            self.shared.emit(RtmpEvent::Reconnecting {
                attempt: self.backoff.attempts(),
                delay,
            });
            if !self.idle(delay) {
                break;
            }
        }
        // Whatever is left is not going anywhere.
        while let Ok(p) = self.rx.try_recv() {
            self.shared.dequeued(&p);
            self.shared.stats().skipped_packets += 1;
        }
        self.set_state(RtmpState::Stopped);
        self.shared.emit(RtmpEvent::Stopped);
        let _ = self.done.send(());
    }

    /// Waits `delay`, discarding queued packets (they would be stale). False when the output
    /// finished or was dropped meanwhile.
    fn idle(&mut self, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        loop {
            if self.shared.stopping() {
                return false;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            match self.rx.recv_timeout(left.min(TICK)) {
                Ok(p) => {
                    self.shared.dequeued(&p);
                    self.remember_parameter_sets(&p);
                    self.shared.stats().skipped_packets += 1;
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.closed = true;
                    return false;
                }
            }
        }
    }

    fn remember_parameter_sets(&mut self, p: &Packet) {
        if p.track != Track::Video || !p.key {
            return;
        }
        let header = match self.info.video {
            VideoCodec::Av1 => obu::sequence_header(&p.data).and_then(flv::av1_sequence_start),
            _ => sps_pps(&p.data).map(|(sps, pps)| flv::avc_sequence_header(&sps, &pps)),
        };
        if header.is_some() {
            self.video_header = header;
        }
    }

    /// Sends metadata, headers and queued packets until the queue closes, the output is
    /// dropped, or an error.
    fn stream(&mut self, s: &mut Session) -> Result<End, OutputError> {
        s.send(MediaKind::Data, 0, Bytes::from(self.metadata()))?;
        if let Some((codec, config)) = &self.info.audio {
            let header = flv::audio_sequence_header(*codec, config);
            s.send(MediaKind::Audio, 0, Bytes::from(header))?;
        }
        // Media starts on a key frame; its time becomes 0 on this connection.
        let mut base: Option<u32> = None;
        let mut last_ms = 0u32;
        let mut last_poll = Instant::now();
        loop {
            if self.shared.stopping() {
                return Ok(End::Stopped);
            }
            if let Some(by) = self.shared.finish_by()
                && Instant::now() >= by
            {
                return Ok(End::Finished);
            }
            match self.rx.recv_timeout(TICK) {
                Ok(p) => {
                    self.shared.dequeued(&p);
                    self.remember_parameter_sets(&p);
                    self.send_packet(s, &p, &mut base)?;
                    if base.is_some() {
                        last_ms = last_ms.max(flv::packet_ms(&p));
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.closed = true;
                    if self.info.video == VideoCodec::Av1
                        && let Some(zero) = base
                    {
                        let end = Bytes::from(flv::av1_sequence_end());
                        s.send(MediaKind::Video, last_ms.wrapping_sub(zero), end)?;
                    }
                    return Ok(End::Finished);
                }
            }
            if last_poll.elapsed() >= POLL_EVERY {
                s.poll()?;
                last_poll = Instant::now();
                self.shared.stats().bytes_sent += s.take_sent();
            }
        }
    }

    fn send_packet(
        &mut self,
        s: &mut Session,
        p: &Packet,
        base: &mut Option<u32>,
    ) -> Result<(), OutputError> {
        let ms = flv::packet_ms(p);
        let zero = match *base {
            Some(b) => b,
            None => {
                let header = match &self.video_header {
                    Some(h) if p.key && p.track == Track::Video => h.clone(),
                    _ => {
                        self.shared.stats().skipped_packets += 1;
                        return Ok(());
                    }
                };
                s.send(MediaKind::Video, 0, Bytes::from(header))?;
                *base = Some(ms);
                ms
            }
        };
        let ts = ms.wrapping_sub(zero);
        if ts > u32::MAX / 2 {
            // Before the first key frame of this connection (audio a little ahead).
            self.shared.stats().skipped_packets += 1;
            return Ok(());
        }
        let (kind, body) = match (p.track, self.info.video, &self.info.audio) {
            (Track::Video, VideoCodec::Av1, _) => (
                MediaKind::Video,
                flv::av1_coded_frames(p, &mut self.scratch),
            ),
            (Track::Video, _, _) => (MediaKind::Video, flv::packet_body(p, &mut self.scratch)),
            (Track::Audio, _, Some((codec, _))) => {
                (MediaKind::Audio, flv::audio_body(*codec, &p.data))
            }
            (Track::Audio, _, None) => {
                self.shared.stats().skipped_packets += 1;
                return Ok(());
            }
        };
        s.send(kind, ts, Bytes::from(body))?;
        let mut st = self.shared.stats();
        st.packets_sent += 1;
        st.bytes_sent += s.take_sent();
        Ok(())
    }

    /// `@setDataFrame` + the `onMetaData` body.
    fn metadata(&self) -> Vec<u8> {
        let mut entries = vec![
            ("width", self.info.width as f64),
            ("height", self.info.height as f64),
            ("framerate", self.info.fps),
            (
                "videocodecid",
                match self.info.video {
                    VideoCodec::Av1 => flv::VIDEOCODECID_AV1,
                    _ => flv::VIDEOCODECID_AVC,
                },
            ),
        ];
        if let Some((codec, _)) = &self.info.audio {
            entries.extend([
                ("audiocodecid", flv::audio_codec_id(*codec)),
                ("audiosamplerate", AUDIO_RATE as f64),
                ("audiosamplesize", 16.0),
                ("stereo", 1.0),
            ]);
        }
        let (body, _) = flv::metadata(&entries);
        let name = b"@setDataFrame";
        let mut out = Vec::with_capacity(body.len() + 3 + name.len());
        out.push(2);
        out.extend_from_slice(&(name.len() as u16).to_be_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(&body);
        out
    }
}
