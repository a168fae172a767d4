//! RTMP and RTMPS publishing as an [`Output`].
//!
//! [`RtmpOutput::write`] never blocks: it puts the packet in a bounded queue (packets and bytes)
//! and, when that is full, drops packets until the next video key frame. One sender thread per
//! output owns the socket: it connects, sends `onMetaData`, the sequence headers
//! and the media, and on any error reconnects with [`Backoff`] (1 s doubling to 30 s with
//! jitter), starting again on a key frame. [`RtmpStats`] and [`RtmpEvent`]s say what it is
//! doing; neither ever contains the stream key.
//!
//! H.264 and AAC go as classic FLV tags; AV1 and Opus as Enhanced RTMP tags (the `connect`
//! then carries a `fourCcList`).

mod amf0;
mod backoff;
mod cert_check;
pub(crate) mod chunk_reader;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub(crate) mod incoming;
pub(crate) mod publisher;
#[cfg(test)]
mod publisher_tests;

/// `len` pseudo-random bytes (xorshift64 from `state`), for the parsers' garbage tests.
#[cfg(test)]
pub(crate) fn noise(state: &mut u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| {
            *state ^= *state << 13;
            *state ^= *state >> 7;
            *state ^= *state << 17;
            *state as u8
        })
        .collect()
}
mod sender;
mod session;
mod tls;
mod trust;
mod url;

pub use backoff::Backoff;
pub use trust::{RTMP_CA_FILE, SSL_CERT_DIR, SSL_CERT_FILE, check_ca_file};
pub use url::{RTMP_PORT, RTMPS_PORT, RtmpUrl, RtmpUrlError};

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender};
use std::time::Duration;

use super::net_queue::NetQueue;
pub use super::net_queue::RtmpStatsHandle;
pub(crate) use super::net_queue::Shared;
use super::{Output, OutputError};
use crate::encode::{Packet, VideoCodec};
use crate::mux::StreamInfo;

/// What the RTMP server is told about the stream: the same description files get.
pub type RtmpStreamInfo = StreamInfo;

/// How an [`RtmpOutput`] queues, times out and reconnects.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RtmpOptions {
    /// Packets the queue holds before dropping. Default: 512 (about 6 s of 30 fps video with
    /// AAC audio).
    pub queue_packets: usize,
    /// Bytes the queue holds before dropping. Default: 32 MiB.
    pub queue_bytes: usize,
    /// Time for TCP connect, TLS, handshake and publish together. Default: 10 s.
    pub connect_timeout: Duration,
    /// Time a blocked socket write may take before the connection counts as lost. Default: 10 s.
    pub write_timeout: Duration,
    /// Time [`Output::finish`] may spend sending what is queued. Default: 5 s.
    pub finish_timeout: Duration,
    /// First reconnect delay. Default: 1 s.
    pub backoff_initial: Duration,
    /// Longest reconnect delay. Default: 30 s.
    pub backoff_max: Duration,
    /// Jitter of reconnect delays, as a fraction (0 to 1). Default: 0.2.
    pub backoff_jitter: f64,
    /// Seed of the jitter, for reproducible delays. Default: none (from the clock).
    pub backoff_seed: Option<u64>,
    /// A CA file (PEM, one or more certificates, or DER) trusted for `rtmps://` besides the
    /// system's store, e.g. a private CA. Where else roots come from (`SSL_CERT_FILE`,
    /// `SSL_CERT_DIR`): see [`SSL_CERT_FILE`]. Default: none.
    pub ca_file: Option<PathBuf>,
    /// Extra certificates (DER) trusted for `rtmps://` besides the others, e.g. a test
    /// server's own. Default: none.
    pub extra_root_certs: Vec<Vec<u8>>,
    /// Where events go from the start (never blocks; events are dropped when it is full).
    /// More receivers: [`RtmpOutput::subscribe`]. Default: none.
    pub events: Option<SyncSender<RtmpEvent>>,
}

impl Default for RtmpOptions {
    fn default() -> RtmpOptions {
        RtmpOptions {
            queue_packets: 512,
            queue_bytes: 32 << 20,
            connect_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            finish_timeout: Duration::from_secs(5),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            backoff_jitter: 0.2,
            backoff_seed: None,
            ca_file: None,
            extra_root_certs: Vec::new(),
            events: None,
        }
    }
}

impl RtmpOptions {
    /// Checks the options before anything starts.
    pub fn validate(&self) -> Result<(), OutputError> {
        let bad = |m: String| Err(OutputError::Unsupported(m));
        if !(1..=100_000).contains(&self.queue_packets) {
            return bad(format!(
                "the RTMP queue must hold 1 to 100000 packets, got {}",
                self.queue_packets
            ));
        }
        if !(64 << 10..=4 << 30).contains(&self.queue_bytes) {
            return bad(format!(
                "the RTMP queue must hold 64 KiB to 4 GiB, got {} bytes",
                self.queue_bytes
            ));
        }
        for (name, d) in [
            ("connect", self.connect_timeout),
            ("write", self.write_timeout),
            ("finish", self.finish_timeout),
        ] {
            if d.is_zero() || d > Duration::from_secs(600) {
                return bad(format!(
                    "the RTMP {name} timeout must be between 0 and 600 s, got {d:?}"
                ));
            }
        }
        if self.backoff_initial.is_zero() || self.backoff_max < self.backoff_initial {
            return bad("RTMP backoff needs 0 < initial <= max".into());
        }
        if !(0.0..=1.0).contains(&self.backoff_jitter) {
            return bad(format!(
                "RTMP backoff jitter must be between 0 and 1, got {}",
                self.backoff_jitter
            ));
        }
        Ok(())
    }
}

/// What an RTMP output is doing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RtmpState {
    /// Opening the first connection.
    #[default]
    Connecting,
    /// Publishing.
    Live,
    /// Waiting to connect again after an error.
    Reconnecting,
    /// Finished or given up.
    Stopped,
}

/// Something that happened to an RTMP output.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RtmpEvent {
    /// The first connection is publishing.
    Started,
    /// The connection failed or was lost; trying again after `delay`.
    Reconnecting {
        /// Attempts since the last time the stream was live, from 1.
        attempt: u32,
        /// Wait before this attempt.
        delay: Duration,
    },
    /// Publishing again after a lost connection (media resumes on the next key frame).
    Reconnected,
    /// An error (connect, handshake, refused, lost); the output keeps trying.
    Error(String),
    /// Something that may keep the server from using the stream, though it took it (e.g. AV1
    /// or Opus to a server that did not say it reads Enhanced RTMP); publishing goes on.
    Warning(String),
    /// The output finished.
    Stopped,
}

/// A snapshot of an RTMP output's status and counters.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct RtmpStats {
    /// Current state.
    pub state: RtmpState,
    /// Bytes written to the socket(s), handshakes included.
    pub bytes_sent: u64,
    /// Media packets sent.
    pub packets_sent: u64,
    /// Times the stream went live again after losing the connection.
    pub reconnects: u64,
    /// Connection attempts that failed.
    pub failed_attempts: u64,
    /// Packets dropped because the queue was full (until the next video key frame).
    pub dropped_packets: u64,
    /// Packets skipped by the sender while not connected or waiting for a key frame.
    pub skipped_packets: u64,
    /// Packets waiting in the queue.
    pub queued_packets: u64,
    /// The last error, without the stream key.
    pub last_error: Option<String>,
}

/// Publishes packets to an `rtmp://` or `rtmps://` URL from a sender thread, reconnecting on
/// errors. See the [module docs](crate::output).
pub struct RtmpOutput {
    url: RtmpUrl,
    queue: NetQueue,
}

impl std::fmt::Debug for RtmpOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtmpOutput")
            .field("url", &self.url)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl RtmpOutput {
    /// Starts publishing `stream` to `url`: the sender thread connects in the background and
    /// keeps reconnecting; packets written before it is live are skipped (it starts on a key
    /// frame). Fails at once only for bad options or a stream RTMP cannot carry here.
    pub fn new(
        url: RtmpUrl,
        stream: StreamInfo,
        opts: RtmpOptions,
    ) -> Result<RtmpOutput, OutputError> {
        opts.validate()?;
        if !matches!(stream.video, VideoCodec::H264 | VideoCodec::Av1) {
            return Err(OutputError::Unsupported(format!(
                "RTMP carries h264 or av1 (Enhanced RTMP) video, not {}",
                stream.video
            )));
        }
        let tls = if url.is_tls() {
            Some(
                tls::client_config(opts.ca_file.as_deref(), &opts.extra_root_certs).map_err(
                    |reason| OutputError::Tls {
                        url: url.to_string(),
                        reason,
                    },
                )?,
            )
        } else {
            None
        };
        let u = url.clone();
        let o = opts.clone();
        let queue = NetQueue::start(
            url.to_string(),
            "rtmp-sender",
            &opts,
            move |rx, shared, done| sender::Sender::new(u, stream, &o, tls, rx, shared, done).run(),
        )?;
        Ok(RtmpOutput { url, queue })
    }

    /// The URL (its `Display` hides the key).
    pub fn url(&self) -> &RtmpUrl {
        &self.url
    }

    /// The current stats.
    pub fn stats(&self) -> RtmpStats {
        self.queue.stats()
    }

    /// A handle to the stats that outlives borrows of the output.
    pub fn stats_handle(&self) -> RtmpStatsHandle {
        self.queue.stats_handle()
    }

    /// A new receiver of events from now on (bounded: events are dropped if it is not read).
    pub fn subscribe(&self) -> Receiver<RtmpEvent> {
        self.queue.subscribe()
    }
}

impl Output for RtmpOutput {
    /// Queues the packet without blocking; drops it (and everything up to the next video key
    /// frame) when the queue is full.
    fn write(&mut self, p: &Packet) -> Result<(), OutputError> {
        self.queue.queue(p)
    }

    /// Sends what is queued (for at most the finish timeout), unpublishes and closes.
    fn finish(&mut self) -> Result<(), OutputError> {
        self.queue.finish_queue()
    }

    fn bytes(&self) -> u64 {
        self.queue.bytes()
    }
}
