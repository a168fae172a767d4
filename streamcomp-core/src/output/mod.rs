//! Outputs: where encoded packets go. Files by extension, segmented recordings, HLS (to a
//! folder or to memory), and network streams: RTMP/RTMPS publishing (the `rtmp` module), SRT
//! and UDP (MPEG-TS). [`OutputTarget`] tells them apart from a string. Every output gets the
//! same encoded packets: a stream is encoded once, whatever goes where.

mod file;
pub mod hls;
mod net_queue;
mod query;
mod recording;
pub(crate) mod rtmp;
pub(crate) mod srt;
mod ts_stream;
mod udp;

pub use file::{FileFormat, FileOutput};
pub use hls::{HlsMemory, HlsOptions, HlsOutput, HlsTarget, SegmentType};
pub use recording::{RecordingOutput, RecordingTarget};
#[cfg(feature = "fuzzing")]
pub use rtmp::fuzzing as rtmp_fuzzing;
pub use rtmp::{
    Backoff, RTMP_CA_FILE, RTMP_PORT, RTMPS_PORT, RtmpEvent, RtmpOptions, RtmpOutput, RtmpState,
    RtmpStats, RtmpStatsHandle, RtmpStreamInfo, RtmpUrl, RtmpUrlError, SSL_CERT_DIR, SSL_CERT_FILE,
    check_ca_file,
};
pub use srt::{SrtParams, SrtTarget};
pub use udp::UdpTarget;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::encode::Packet;
use crate::mux::StreamInfo;

/// Why an output failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// Writing failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The target cannot hold this stream.
    #[error("{0}")]
    Unsupported(String),
    /// The muxer refused a packet.
    #[error("{0}")]
    Mux(String),
    /// Not a valid RTMP URL.
    #[error(transparent)]
    Url(#[from] RtmpUrlError),
    /// The RTMP server could not be reached (name lookup, TCP connect).
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The URL, key hidden.
        url: String,
        /// Why.
        reason: String,
    },
    /// The TLS connection to an `rtmps://` server failed (certificate, protocol).
    #[error("TLS with {url} failed: {reason}")]
    Tls {
        /// The URL, key hidden.
        url: String,
        /// Why.
        reason: String,
    },
    /// The RTMP handshake failed.
    #[error("RTMP handshake with {url} failed: {reason}")]
    Handshake {
        /// The URL, key hidden.
        url: String,
        /// Why.
        reason: String,
    },
    /// The server refused to connect or publish, e.g. `NetStream.Publish.BadName`.
    #[error("{url} refused the stream: {status}")]
    Rejected {
        /// The URL, key hidden.
        url: String,
        /// The status code and description the server gave, key hidden.
        status: String,
    },
    /// The server sent something malformed or unexpected.
    #[error("RTMP protocol error with {url}: {reason}")]
    Protocol {
        /// The URL, key hidden.
        url: String,
        /// Why.
        reason: String,
    },
    /// The connection broke or timed out while publishing.
    #[error("connection to {url} lost: {reason}")]
    Disconnected {
        /// The URL, key hidden.
        url: String,
        /// Why.
        reason: String,
    },
}

impl OutputError {
    /// Whether the error comes from the network (a server or the connection to it).
    pub fn is_network(&self) -> bool {
        matches!(
            self,
            OutputError::Connect { .. }
                | OutputError::Tls { .. }
                | OutputError::Handshake { .. }
                | OutputError::Rejected { .. }
                | OutputError::Protocol { .. }
                | OutputError::Disconnected { .. }
        )
    }
}

/// Where a stream goes.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutputTarget {
    /// Publish to `rtmp://` or `rtmps://`.
    Rtmp(RtmpUrl),
    /// Write a file, its format chosen by extension.
    File(PathBuf),
    /// A recording in files of bounded length (`rec/a-%H%M.mp4?segment=600`).
    Recording(RecordingTarget),
    /// HLS to a folder (`out/index.m3u8?list_size=6`).
    Hls(HlsTarget),
    /// HLS kept in memory (a server serves it); not made from a string.
    HlsMemory(HlsMemory, HlsOptions),
    /// MPEG-TS over SRT (`srt://host:port?mode=caller`).
    Srt(SrtTarget),
    /// MPEG-TS over UDP (`udp://host:port`).
    Udp(UdpTarget),
}

impl OutputTarget {
    /// Whether the target is sent over the network (and may come from a request).
    pub fn is_network(&self) -> bool {
        matches!(
            self,
            OutputTarget::Rtmp(_) | OutputTarget::Srt(_) | OutputTarget::Udp(_)
        )
    }

    /// The path the target writes under, for targets that write files: a file, a recording's
    /// pattern, an HLS playlist.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            OutputTarget::File(p) => Some(p),
            OutputTarget::Recording(r) => Some(std::path::Path::new(&r.pattern)),
            OutputTarget::Hls(h) => Some(&h.playlist),
            _ => None,
        }
    }

    /// Checks, before anything starts, that the target can hold `codec` video.
    pub fn check_codec(&self, codec: crate::encode::VideoCodec) -> Result<(), OutputError> {
        use crate::encode::VideoCodec;
        let ts_only = |what: &str| {
            if codec == VideoCodec::H264 {
                Ok(())
            } else {
                Err(OutputError::Unsupported(format!(
                    "{what} carries H.264 video (MPEG-TS), not {codec}"
                )))
            }
        };
        match self {
            OutputTarget::File(p) => FileFormat::from_path(p)?.check_codec(codec),
            OutputTarget::Recording(r) => r.format().check_codec(codec),
            OutputTarget::Hls(HlsTarget { options, .. }) | OutputTarget::HlsMemory(_, options) => {
                match options.segment_type {
                    SegmentType::Fmp4 => FileFormat::Mp4.check_codec(codec),
                    SegmentType::Ts => ts_only("HLS with MPEG-TS segments (use segment_type=fmp4)"),
                }
            }
            OutputTarget::Srt(_) => ts_only("SRT"),
            OutputTarget::Udp(_) => ts_only("UDP"),
            OutputTarget::Rtmp(_) => Ok(()),
        }
    }
}

impl FromStr for OutputTarget {
    type Err = OutputError;

    /// By scheme: `rtmp://`/`rtmps://`, `srt://`, `udp://` URLs (each must be valid); else a
    /// path: `….m3u8` is HLS, a path with `?segment=` a recording, anything else a file.
    fn from_str(s: &str) -> Result<OutputTarget, OutputError> {
        if RtmpUrl::has_rtmp_scheme(s) {
            Ok(OutputTarget::Rtmp(s.parse()?))
        } else if SrtTarget::has_scheme(s) {
            Ok(OutputTarget::Srt(SrtTarget::parse(s)?))
        } else if UdpTarget::has_scheme(s) {
            Ok(OutputTarget::Udp(UdpTarget::parse(s)?))
        } else if s.trim().is_empty() {
            Err(OutputError::Unsupported("the output path is empty".into()))
        } else if s.contains("://") {
            Err(OutputError::Unsupported(format!(
                "`{}`: outputs are rtmp://, rtmps://, srt:// or udp:// URLs, or paths",
                s.split("://").next().unwrap_or("")
            )))
        } else if HlsTarget::is_hls(s) {
            Ok(OutputTarget::Hls(HlsTarget::parse(s)?))
        } else if RecordingTarget::is_recording(s) {
            Ok(OutputTarget::Recording(RecordingTarget::parse(s)?))
        } else if s.contains('?') {
            let (_, q) = query::Query::split(s, "file output")?;
            q.finish(&[])?;
            Ok(OutputTarget::File(PathBuf::from(s.trim_end_matches('?'))))
        } else {
            Ok(OutputTarget::File(PathBuf::from(s)))
        }
    }
}

impl fmt::Display for OutputTarget {
    /// The URL without its secrets, or the path.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputTarget::Rtmp(u) => u.fmt(f),
            OutputTarget::File(p) => p.display().fmt(f),
            OutputTarget::Recording(r) => r.fmt(f),
            OutputTarget::Hls(h) => h.fmt(f),
            OutputTarget::HlsMemory(..) => f.write_str("hls (memory)"),
            OutputTarget::Srt(s) => s.fmt(f),
            OutputTarget::Udp(u) => u.fmt(f),
        }
    }
}

impl fmt::Debug for OutputTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputTarget::Rtmp(u) => write!(f, "Rtmp({u})"),
            OutputTarget::File(p) => write!(f, "File({p:?})"),
            OutputTarget::Recording(r) => r.fmt(f),
            OutputTarget::Hls(h) => h.fmt(f),
            OutputTarget::HlsMemory(..) => f.write_str("HlsMemory"),
            OutputTarget::Srt(s) => s.fmt(f),
            OutputTarget::Udp(u) => u.fmt(f),
        }
    }
}

/// A destination for encoded packets.
pub trait Output: Send {
    /// Writes one packet (tracks interleaved, each in time order).
    fn write(&mut self, p: &Packet) -> Result<(), OutputError>;
    /// Finishes the file or stream.
    fn finish(&mut self) -> Result<(), OutputError>;
    /// Bytes written so far.
    fn bytes(&self) -> u64;
    /// What the output is at, for its status (`segment 42`, the file being written).
    fn detail(&self) -> Option<String> {
        None
    }
    /// Files the output finished since the last call (a recording's segments).
    fn take_finished_files(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// An output opened from its [`OutputTarget`].
pub struct OpenedOutput {
    /// The output.
    pub out: Box<dyn Output>,
    /// A network output's events and counters.
    pub net: Option<(std::sync::mpsc::Receiver<RtmpEvent>, RtmpStatsHandle)>,
}

impl OutputTarget {
    /// The kind's name: `rtmp`, `srt`, `udp`, `hls`, `file` or `recording`.
    pub fn kind(&self) -> &'static str {
        match self {
            OutputTarget::Rtmp(_) => "rtmp",
            OutputTarget::Srt(_) => "srt",
            OutputTarget::Udp(_) => "udp",
            OutputTarget::Hls(_) | OutputTarget::HlsMemory(..) => "hls",
            OutputTarget::File(_) => "file",
            OutputTarget::Recording(_) => "recording",
        }
    }

    /// Opens the output for a stream `info` describes; network outputs queue and send from
    /// their own thread with `net`'s queue, timeouts and backoff.
    pub fn open(&self, info: &StreamInfo, net: &RtmpOptions) -> Result<OpenedOutput, OutputError> {
        let networked = |o: net_queue::NetQueue| OpenedOutput {
            net: Some((o.subscribe(), o.stats_handle())),
            out: Box::new(o),
        };
        let local = |out: Box<dyn Output>| OpenedOutput { out, net: None };
        Ok(match self {
            OutputTarget::File(p) => {
                let format = FileFormat::from_path(p)?;
                local(Box::new(FileOutput::create(p, format, info.clone())?))
            }
            OutputTarget::Recording(r) => {
                local(Box::new(RecordingOutput::new(r.clone(), info.clone())?))
            }
            OutputTarget::Hls(h) => local(Box::new(HlsOutput::to_folder(h, info.clone())?)),
            OutputTarget::HlsMemory(m, o) => {
                local(Box::new(HlsOutput::to_memory(m, o.clone(), info.clone())?))
            }
            OutputTarget::Rtmp(url) => {
                let o = RtmpOutput::new(url.clone(), info.clone(), net.clone())?;
                OpenedOutput {
                    net: Some((o.subscribe(), o.stats_handle())),
                    out: Box::new(o),
                }
            }
            OutputTarget::Srt(t) => networked(ts_stream::start(
                t.to_string(),
                "srt-sender",
                info.clone(),
                net,
                srt::connector(t),
            )?),
            OutputTarget::Udp(t) => networked(ts_stream::start(
                t.to_string(),
                "udp-sender",
                info.clone(),
                net,
                t.connector(),
            )?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_by_scheme_with_the_key_hidden() {
        let t: OutputTarget = "rtmps://live.example.com/app/s3cret".parse().unwrap();
        assert!(matches!(&t, OutputTarget::Rtmp(u) if u.is_tls() && u.key() == "s3cret"));
        assert_eq!(t.to_string(), "rtmps://live.example.com/app/****");
        assert!(!format!("{t:?}").contains("s3cret"));
        let t: OutputTarget = "out/video.flv".parse().unwrap();
        assert_eq!(t, OutputTarget::File(PathBuf::from("out/video.flv")));
        assert_eq!(t.to_string(), "out/video.flv");
        let err = "rtmp://host/app".parse::<OutputTarget>().unwrap_err();
        assert!(err.to_string().contains("no stream key"), "{err}");
        assert!("".parse::<OutputTarget>().is_err());
    }
}
