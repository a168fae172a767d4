//! Outputs: where encoded packets go. Files by extension, and RTMP/RTMPS publishing
//! (the `rtmp` module). [`OutputTarget`] tells them apart from a string.

mod file;
pub(crate) mod rtmp;

pub use file::{FileFormat, FileOutput};
#[cfg(feature = "fuzzing")]
pub use rtmp::fuzzing as rtmp_fuzzing;
pub use rtmp::{
    Backoff, RTMP_CA_FILE, RTMP_PORT, RTMPS_PORT, RtmpEvent, RtmpOptions, RtmpOutput, RtmpState,
    RtmpStats, RtmpStatsHandle, RtmpStreamInfo, RtmpUrl, RtmpUrlError, SSL_CERT_DIR, SSL_CERT_FILE,
    check_ca_file,
};

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::encode::Packet;

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

/// Where a stream goes: an RTMP(S) URL or a file path.
#[derive(Clone, PartialEq, Eq)]
pub enum OutputTarget {
    /// Publish to `rtmp://` or `rtmps://`.
    Rtmp(RtmpUrl),
    /// Write a file, its format chosen by extension.
    File(PathBuf),
}

impl FromStr for OutputTarget {
    type Err = OutputError;

    /// A string with an `rtmp://` or `rtmps://` scheme is a URL (and must be a valid one);
    /// anything else is a file path.
    fn from_str(s: &str) -> Result<OutputTarget, OutputError> {
        if RtmpUrl::has_rtmp_scheme(s) {
            Ok(OutputTarget::Rtmp(s.parse()?))
        } else if s.trim().is_empty() {
            Err(OutputError::Unsupported("the output path is empty".into()))
        } else {
            Ok(OutputTarget::File(PathBuf::from(s)))
        }
    }
}

impl fmt::Display for OutputTarget {
    /// The URL without its key, or the path.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputTarget::Rtmp(u) => u.fmt(f),
            OutputTarget::File(p) => p.display().fmt(f),
        }
    }
}

impl fmt::Debug for OutputTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputTarget::Rtmp(u) => write!(f, "Rtmp({u})"),
            OutputTarget::File(p) => write!(f, "File({p:?})"),
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
