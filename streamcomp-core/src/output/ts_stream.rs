//! MPEG-TS sent over a link (SRT through `ffmpeg`, UDP datagrams), behind
//! the same bounded queue as RTMP ([`NetQueue`]). Its sender thread opens the link, waits for
//! a key frame, muxes every packet into transport packets (a new muxer per connection: the
//! tables come first) and sends them; when the link fails it waits ([`Backoff`]) and opens it
//! again. A link that cannot take data for longer than the write timeout counts as lost.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender as DoneSender};
use std::time::{Duration, Instant};

use super::OutputError;
use super::net_queue::{NetQueue, Shared};
use super::rtmp::{Backoff, RtmpOptions};
use crate::encode::{Packet, Track};
use crate::mux::{Interleaver, Muxer, StreamInfo, TsMuxer};

/// Longest wait on the queue before looking at the flags and the link again.
const TICK: Duration = Duration::from_millis(50);

/// What a link says when polled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LinkState {
    /// Opened, but the far end is not taking the stream yet (an SRT handshake).
    Waiting,
    /// The stream flows.
    Live,
}

/// One connection that carries MPEG-TS bytes.
pub(crate) trait TsLink: Send {
    /// Sends transport packets; `Ok(false)` when the link could not take them now (they are
    /// dropped: the sender starts again on the next key frame).
    fn send(&mut self, ts: &[u8]) -> Result<bool, OutputError>;
    /// Whether the link is up and live; an error when it is lost.
    fn poll(&mut self) -> Result<LinkState, OutputError>;
}

/// Opens links, one per connection attempt.
pub(crate) trait TsConnector: Send {
    /// Opens a link.
    fn open(&mut self) -> Result<Box<dyn TsLink>, OutputError>;
}

/// Starts an MPEG-TS stream of `info` through links `connector` opens, behind a network
/// output's queue; `label` names the destination (secrets hidden), `name` the thread.
pub(crate) fn start(
    label: String,
    name: &str,
    info: StreamInfo,
    opts: &RtmpOptions,
    connector: Box<dyn TsConnector>,
) -> Result<NetQueue, OutputError> {
    TsMuxer::new(&info)?; // refuses what MPEG-TS cannot carry, before anything starts
    let o = opts.clone();
    NetQueue::start(label, name, opts, move |rx, shared, done| {
        TsSender::new(info, &o, connector, rx, shared, done).run()
    })
}

struct TsSender {
    info: StreamInfo,
    connector: Box<dyn TsConnector>,
    backoff: Backoff,
    write_timeout: Duration,
    rx: Receiver<Packet>,
    shared: Arc<Shared>,
    done: DoneSender<()>,
    closed: bool,
    ever_live: bool,
}

impl TsSender {
    fn new(
        info: StreamInfo,
        opts: &RtmpOptions,
        connector: Box<dyn TsConnector>,
        rx: Receiver<Packet>,
        shared: Arc<Shared>,
        done: DoneSender<()>,
    ) -> TsSender {
        TsSender {
            info,
            connector,
            backoff: Backoff::from_options(opts),
            write_timeout: opts.write_timeout,
            rx,
            shared,
            done,
            closed: false,
            ever_live: false,
        }
    }

    fn run(mut self) {
        while !self.shared.stopping() {
            match self.connector.open() {
                // Ok: the queue closed (finished) or the output was dropped.
                Ok(mut link) => match self.stream(link.as_mut()) {
                    Ok(()) => break,
                    Err(e) => self.shared.failed(&e),
                },
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

    /// Waits `delay`, discarding queued packets. False when the output finished meanwhile.
    fn idle(&mut self, delay: Duration) -> bool {
        match self.shared.wait_discarding(&self.rx, delay, |_| {}) {
            Ok(waited) => waited,
            Err(()) => {
                self.closed = true;
                false
            }
        }
    }

    /// Sends queued packets over `link` until the queue closes or the link fails.
    fn stream(&mut self, link: &mut dyn TsLink) -> Result<(), OutputError> {
        let mut muxer = TsMuxer::new(&self.info)?;
        let mut interleave = Interleaver::new(self.info.audio.is_some());
        let mut live = false;
        // Sending starts (again) on a video key frame.
        let mut started = false;
        let mut buf = Vec::with_capacity(64 << 10);
        let mut refused_since: Option<Instant> = None;
        loop {
            if self.shared.stopping() {
                return Ok(());
            }
            if let Some(by) = self.shared.finish_by()
                && Instant::now() >= by
            {
                return Ok(());
            }
            let next = self.rx.recv_timeout(TICK);
            let state = link.poll()?;
            if state == LinkState::Live && !live {
                live = true;
                self.backoff.reset();
                self.shared.went_live(self.ever_live);
                self.ever_live = true;
            }
            match next {
                Ok(p) => {
                    self.shared.dequeued(&p);
                    interleave.push(p);
                }
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => {
                    self.closed = true;
                    while let Some(p) = interleave.drain() {
                        self.send(link, &mut muxer, &mut started, &mut buf, &p)?;
                    }
                    return Ok(());
                }
            }
            while let Some(p) = interleave.pop() {
                match self.send(link, &mut muxer, &mut started, &mut buf, &p)? {
                    true => refused_since = None,
                    false => {
                        let since = *refused_since.get_or_insert_with(Instant::now);
                        if live && since.elapsed() > self.write_timeout {
                            return Err(OutputError::Disconnected {
                                url: String::new(),
                                reason: format!(
                                    "the link took nothing for {} s",
                                    self.write_timeout.as_secs()
                                ),
                            });
                        }
                    }
                }
            }
        }
    }

    /// Muxes and sends one packet; false when the link refused it (sending then starts again
    /// on the next key frame).
    fn send(
        &self,
        link: &mut dyn TsLink,
        muxer: &mut TsMuxer,
        started: &mut bool,
        buf: &mut Vec<u8>,
        p: &Packet,
    ) -> Result<bool, OutputError> {
        let key = p.track == Track::Video && p.key;
        if !*started && !key {
            self.shared.stats().skipped_packets += 1;
            return Ok(true);
        }
        buf.clear();
        if !*started {
            muxer.header(buf)?;
        }
        muxer.packet(p, buf)?;
        if link.send(buf)? {
            *started = true;
            let mut s = self.shared.stats();
            s.packets_sent += 1;
            s.bytes_sent += buf.len() as u64;
            Ok(true)
        } else {
            // What follows cannot be decoded without this: wait for a key frame.
            if *started {
                muxer.mark_discontinuity();
            }
            *started = false;
            self.shared.stats().skipped_packets += 1;
            Ok(false)
        }
    }
}
