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
use super::{RtmpEvent, RtmpOptions, Shared};
use crate::encode::{AudioCodec, Packet, Track, VideoCodec};
use crate::mux::{FlvStream, StreamInfo, flv};
use crate::output::OutputError;
use crate::output::net_queue::TICK;

/// How often the server's messages are read while streaming.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// How a streaming session ended without an error.
enum End {
    /// Everything queued was sent (or the finish deadline passed).
    Finished,
    /// The output was dropped.
    Stopped,
}

pub(crate) struct Sender {
    url: RtmpUrl,
    /// The tags sent, made as `.flv` files make theirs.
    tags: FlvStream,
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
        let backoff = Backoff::from_options(opts);
        Sender {
            url,
            tags: FlvStream::new(info),
            tls,
            connect_timeout: opts.connect_timeout,
            write_timeout: opts.write_timeout,
            backoff,
            rx,
            shared,
            done,
            video_header: None,
            closed: false,
        }
    }

    fn four_cc(&self) -> &'static [&'static str] {
        let info = self.tags.info();
        let enhanced =
            info.video == VideoCodec::Av1 || matches!(info.audio, Some((AudioCodec::Opus, _)));
        if enhanced {
            &["av01", "avc1", "Opus", "mp4a"]
        } else {
            &[]
        }
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
                    self.shared.stats().bytes_sent += session.take_sent();
                    self.shared.went_live(ever_live);
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
                            self.shared.failed(&e);
                            drop(session);
                        }
                    }
                }
                Err(e) => {
                    self.shared.stats().failed_attempts += 1;
                    self.shared.failed(&e);
                }
            }
            if self.closed || self.shared.stopping() {
                break;
            }
            let delay = self.shared.reconnect_delay(&mut self.backoff);
            if !self.idle(delay) {
                break;
            }
        }
        self.shared.stopped(&self.rx, &self.done);
    }

    /// Waits `delay`, discarding queued packets (they would be stale) but keeping the last
    /// parameter sets seen. False when the output finished or was dropped meanwhile.
    fn idle(&mut self, delay: Duration) -> bool {
        let (tags, header) = (&mut self.tags, &mut self.video_header);
        match self.shared.wait_discarding(&self.rx, delay, |p| {
            if let Some(h) = tags.video_header(p) {
                *header = Some(h);
            }
        }) {
            Ok(waited) => waited,
            Err(()) => {
                self.closed = true;
                false
            }
        }
    }

    fn remember_parameter_sets(&mut self, p: &Packet) {
        if let Some(header) = self.tags.video_header(p) {
            self.video_header = Some(header);
        }
    }

    /// Sends metadata, headers and queued packets until the queue closes, the output is
    /// dropped, or an error.
    fn stream(&mut self, s: &mut Session) -> Result<End, OutputError> {
        s.send(MediaKind::Data, 0, Bytes::from(self.tags.rtmp_metadata()))?;
        if let Some(header) = self.tags.audio_header() {
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
                    if let (Some(end), Some(zero)) = (self.tags.end(), base) {
                        s.send(
                            MediaKind::Video,
                            last_ms.wrapping_sub(zero),
                            Bytes::from(end),
                        )?;
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
        // The video body is the packet's own, shared with every other output.
        let Some(body) = self.tags.body(p) else {
            self.shared.stats().skipped_packets += 1;
            return Ok(());
        };
        let kind = match p.track {
            Track::Video => MediaKind::Video,
            Track::Audio => MediaKind::Audio,
        };
        s.send(kind, ts, body)?;
        let mut st = self.shared.stats();
        st.packets_sent += 1;
        st.bytes_sent += s.take_sent();
        Ok(())
    }
}
