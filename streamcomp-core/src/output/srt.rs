//! `srt://HOST:PORT?mode=caller|listener&latency=MS&passphrase=…&streamid=…` outputs: MPEG-TS
//! over SRT through the FFmpeg backend. No maintained Rust binding of libsrt exists (the pure
//! Rust `srt-tokio` says it is not production ready), so each connection is an `ffmpeg`
//! process that relays the bytes of our MPEG-TS from a pipe to its `srt://` output (libsrt
//! inside FFmpeg) as opaque data (`-f data`): no parsing, no probing, our muxer's bytes on the
//! wire, in messages of 7 transport packets. (Remuxing there instead cost more CPU, and with
//! `-fflags nobuffer` its SRT output stalled after two seconds.) It is live once `ffmpeg`
//! reports progress (the SRT connection is up); when it exits (the
//! peer left, a caller found nobody) the output reconnects like an RTMP one.
//!
//! The URL rules (`latency` in milliseconds, passphrase of 10 to 79 characters) are shared
//! with SRT inputs.

use std::fmt;

use super::OutputError;
use super::query::Query;
use super::udp::{host_port, url_host};
use crate::scene::SrtMode;

/// A rule for one text option of an SRT endpoint.
pub(crate) type TextRule = fn(&str) -> Result<(), String>;

/// SRT's passphrase rule: 10 to 79 characters.
pub(crate) fn check_passphrase(p: &str) -> Result<(), String> {
    if (10..=79).contains(&p.len()) {
        Ok(())
    } else {
        Err(format!(
            "must be 10 to 79 characters (SRT's rule), got {}",
            p.len()
        ))
    }
}

/// What may go into an SRT URL option: no control characters, `&` or `?`.
pub(crate) fn check_text(s: &str) -> Result<(), String> {
    if s.chars().any(|c| c.is_control() || c == '&' || c == '?') {
        Err("must not contain control characters, `&` or `?`".into())
    } else {
        Ok(())
    }
}

/// An SRT endpoint, as inputs and outputs describe it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SrtParams {
    /// Caller (connects to `host`) or listener (waits on `port`).
    pub mode: SrtMode,
    /// The host to call, or the address to listen on (none: every address).
    pub host: Option<String>,
    /// The port.
    pub port: u16,
    /// SRT latency, milliseconds.
    pub latency_ms: u32,
    /// Encryption passphrase.
    pub passphrase: Option<String>,
    /// Stream id (`publish:live`, `#!::r=…`).
    pub streamid: Option<String>,
}

impl SrtParams {
    /// The URL `ffmpeg` takes (latency in microseconds, as its options want), and the same
    /// without the passphrase for statuses and logs.
    pub(crate) fn ffmpeg_url(&self) -> (String, String) {
        let host = url_host(self.host.as_deref().unwrap_or("0.0.0.0"));
        let mode = match self.mode {
            SrtMode::Caller => "caller",
            SrtMode::Listener => "listener",
        };
        let mut q = format!("mode={mode}&latency={}", u64::from(self.latency_ms) * 1000);
        let shown = format!("srt://{host}:{}?{q}", self.port);
        if let Some(p) = &self.passphrase {
            q.push_str(&format!("&passphrase={p}"));
        }
        if let Some(s) = &self.streamid {
            q.push_str(&format!("&streamid={s}"));
        }
        (format!("srt://{host}:{}?{q}", self.port), shown)
    }
}

/// An `srt://` output.
#[derive(Clone, PartialEq, Eq)]
pub struct SrtTarget {
    /// The endpoint.
    pub params: SrtParams,
}

/// SRT's default latency, milliseconds.
const DEFAULT_LATENCY_MS: u32 = 120;

impl SrtTarget {
    /// Whether `s` is an `srt://` URL.
    pub fn has_scheme(s: &str) -> bool {
        s.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("srt://"))
    }

    /// Parses `srt://HOST:PORT?mode=…&latency=…&passphrase=…&streamid=…`. A listener may
    /// leave the host out (`srt://:9000?mode=listener`: every address).
    pub fn parse(s: &str) -> Result<SrtTarget, OutputError> {
        let (base, mut q) = Query::split(s, "SRT output")?;
        let mode = match q.take("mode").as_deref() {
            None | Some("caller") => SrtMode::Caller,
            Some("listener") => SrtMode::Listener,
            Some(m) => {
                return Err(q.error(&format!("`mode` must be `caller` or `listener`, got `{m}`")));
            }
        };
        let rest = &base[6..];
        let (host, port) = if mode == SrtMode::Listener && rest.starts_with(':') {
            let (_, port) = host_port(&format!("0.0.0.0{rest}")).map_err(|m| q.error(&m))?;
            (None, port)
        } else {
            let (h, p) = host_port(rest).map_err(|m| q.error(&m))?;
            (Some(h), p)
        };
        let latency_ms = q
            .number("latency", 0..=60_000, "milliseconds")?
            .map_or(DEFAULT_LATENCY_MS, |n| n as u32);
        let passphrase = text(&mut q, "passphrase", check_passphrase)?;
        let streamid = text(&mut q, "streamid", check_streamid)?;
        q.finish(&["mode", "latency", "passphrase", "streamid"])?;
        Ok(SrtTarget {
            params: SrtParams {
                mode,
                host,
                port,
                latency_ms,
                passphrase,
                streamid,
            },
        })
    }
}

/// Takes the text option `key` of an SRT URL, checked by `check` and [`check_text`].
fn text(q: &mut Query, key: &str, check: TextRule) -> Result<Option<String>, OutputError> {
    match q.take(key) {
        None => Ok(None),
        Some(v) => match check(&v).and_then(|()| check_text(&v)) {
            Ok(()) => Ok(Some(v)),
            Err(m) => Err(q.error(&format!("`{key}` {m}"))),
        },
    }
}

/// SRT's stream id rule: at most 512 characters.
pub(crate) fn check_streamid(s: &str) -> Result<(), String> {
    if s.len() <= 512 {
        Ok(())
    } else {
        Err(format!("must be at most 512 characters, got {}", s.len()))
    }
}

impl fmt::Display for SrtTarget {
    /// The URL without the passphrase.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.params;
        let host = p.host.as_deref().map(url_host).unwrap_or_default();
        write!(f, "srt://{host}:{}", p.port)?;
        if p.mode == SrtMode::Listener {
            write!(f, "?mode=listener")?;
        }
        Ok(())
    }
}

impl fmt::Debug for SrtTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Srt({self})")
    }
}

#[cfg(feature = "ffmpeg")]
pub(crate) use link::connector;

#[cfg(feature = "ffmpeg")]
mod link {
    //! The `ffmpeg` process behind one SRT connection.

    use std::io::{BufRead, BufReader, Write};
    use std::process::{Child, ChildStdin, Command, Stdio};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
    use std::sync::{Arc, Mutex};

    use super::SrtTarget;
    use crate::output::OutputError;
    use crate::output::ts_stream::{LinkState, TsConnector, TsLink};

    /// Chunks of transport packets waiting for the pipe (about 2 s of video frames).
    const PIPE_QUEUE: usize = 64;

    struct Connector {
        target: SrtTarget,
    }

    /// Opens an `ffmpeg` per connection to `target`.
    pub(crate) fn connector(target: &SrtTarget) -> Box<dyn TsConnector> {
        Box::new(Connector {
            target: target.clone(),
        })
    }

    impl TsConnector for Connector {
        fn open(&mut self) -> Result<Box<dyn TsLink>, OutputError> {
            let (url, shown) = self.target.params.ffmpeg_url();
            let mut child = Command::new(crate::media::ffmpeg::ffmpeg_program())
                .args(["-hide_banner", "-nostdin", "-loglevel", "error"])
                .args(["-nostats", "-progress", "pipe:2", "-stats_period", "0.5"])
                .args(["-f", "data", "-i", "pipe:0", "-map", "0", "-c", "copy"])
                // Whole 1316-byte messages only: FFmpeg writes its buffer when it is full.
                .args(["-flush_packets", "0", "-f", "data"])
                .arg(format!("{url}&pkt_size=1316"))
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| OutputError::Connect {
                    url: shown.clone(),
                    reason: format!(
                        "cannot run ffmpeg (the SRT output runs the FFmpeg backend; install FFmpeg or set FFMPEG_PATH): {e}"
                    ),
                })?;
            let stdin = child.stdin.take().expect("piped");
            let stderr = child.stderr.take().expect("piped");
            let live = Arc::new(AtomicBool::new(false));
            let last_error = Arc::new(Mutex::new(None::<String>));
            {
                let (live, last_error) = (Arc::clone(&live), Arc::clone(&last_error));
                std::thread::Builder::new()
                    .name("srt-ffmpeg-log".into())
                    .spawn(move || {
                        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                            if line.starts_with("progress=") {
                                live.store(true, Ordering::Release);
                            } else if !line.contains('=') || line.contains(' ') {
                                let line: String = line.chars().take(300).collect();
                                *last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(line);
                            }
                        }
                    })
                    .map_err(|e| OutputError::Unsupported(e.to_string()))?;
            }
            let (tx, rx) = sync_channel::<Vec<u8>>(PIPE_QUEUE);
            std::thread::Builder::new()
                .name("srt-ffmpeg-pipe".into())
                .spawn(move || pipe(stdin, &rx))
                .map_err(|e| OutputError::Unsupported(e.to_string()))?;
            Ok(Box::new(FfmpegLink {
                shown,
                child,
                tx: Some(tx),
                live,
                last_error,
            }))
        }
    }

    /// Writes chunks into `ffmpeg`'s standard input until it closes or the link is dropped.
    fn pipe(mut stdin: ChildStdin, rx: &Receiver<Vec<u8>>) {
        while let Ok(chunk) = rx.recv() {
            if stdin.write_all(&chunk).is_err() {
                break;
            }
        }
    }

    struct FfmpegLink {
        shown: String,
        child: Child,
        tx: Option<SyncSender<Vec<u8>>>,
        live: Arc<AtomicBool>,
        last_error: Arc<Mutex<Option<String>>>,
    }

    impl FfmpegLink {
        fn lost(&mut self, why: &str) -> OutputError {
            let detail = self
                .last_error
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            OutputError::Disconnected {
                url: self.shown.clone(),
                reason: match detail {
                    Some(d) => format!("{why}: {d}"),
                    None => why.to_string(),
                },
            }
        }
    }

    impl TsLink for FfmpegLink {
        fn send(&mut self, ts: &[u8]) -> Result<bool, OutputError> {
            let Some(tx) = &self.tx else {
                return Err(self.lost("the ffmpeg pipe is closed"));
            };
            match tx.try_send(ts.to_vec()) {
                Ok(()) => Ok(true),
                Err(TrySendError::Full(_)) => Ok(false),
                Err(TrySendError::Disconnected(_)) => {
                    self.tx = None;
                    Err(self.lost("ffmpeg stopped reading"))
                }
            }
        }

        fn poll(&mut self) -> Result<LinkState, OutputError> {
            match self.child.try_wait() {
                Ok(Some(status)) => Err(self.lost(&format!("ffmpeg exited ({status})"))),
                Err(e) => Err(self.lost(&e.to_string())),
                Ok(None) if self.live.load(Ordering::Acquire) => Ok(LinkState::Live),
                Ok(None) => Ok(LinkState::Waiting),
            }
        }
    }

    impl Drop for FfmpegLink {
        fn drop(&mut self) {
            // Let ffmpeg send what it has and end the stream; kill it if it does not exit.
            self.tx = None;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
            while std::time::Instant::now() < deadline {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Without the FFmpeg backend an SRT output says what it needs.
#[cfg(not(feature = "ffmpeg"))]
pub(crate) fn connector(_target: &SrtTarget) -> Box<dyn super::ts_stream::TsConnector> {
    struct Missing;
    impl super::ts_stream::TsConnector for Missing {
        fn open(&mut self) -> Result<Box<dyn super::ts_stream::TsLink>, OutputError> {
            Err(OutputError::Unsupported(
                "SRT outputs need the FFmpeg backend, which this build leaves out (cargo feature `ffmpeg`)".into(),
            ))
        }
    }
    Box::new(Missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_their_rules() {
        let t = SrtTarget::parse("srt://127.0.0.1:9000").unwrap();
        assert_eq!(t.params.mode, SrtMode::Caller);
        assert_eq!(t.params.latency_ms, 120);
        let t = SrtTarget::parse(
            "srt://:9000?mode=listener&latency=200&passphrase=0123456789&streamid=publish:live",
        )
        .unwrap();
        assert_eq!(t.params.host, None);
        assert_eq!(t.to_string(), "srt://:9000?mode=listener");
        let (url, shown) = t.params.ffmpeg_url();
        assert!(url.contains("latency=200000") && url.contains("passphrase=0123456789"));
        assert!(!shown.contains("0123456789"));
        for bad in [
            "srt://:9000",
            "srt://h:9000?mode=rendezvous",
            "srt://h:9000?passphrase=short",
            "srt://h:9000?latency=1e308",
            "srt://h:9000?latency=-0",
            "srt://h:9000?streamid=a%26b",
            "srt://h:9000?pkt_size=1316",
        ] {
            assert!(SrtTarget::parse(bad).is_err(), "{bad}");
        }
    }
}
