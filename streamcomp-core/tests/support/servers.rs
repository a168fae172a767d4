//! RTMP servers other than nginx-rtmp for the interop tests (`tests/interop/`), each a child
//! process on a free loopback port, killed on drop:
//!
//! - FFmpeg's own listener, `ffmpeg -listen 1 -i rtmp://127.0.0.1:PORT/live/KEY -c copy
//!   out.flv` (Debian `ffmpeg`): takes one publisher and writes what it gets.
//! - Node-Media-Server 2.7 (npm `node-media-server`), installed by `npm ci` into
//!   `tests/interop/nms/node_modules` on first use (from the lock file there), serving RTMP and
//!   HTTP-FLV (`http://127.0.0.1:HTTP/live/KEY.flv`, how its relayed stream is read back).
//!
//! A missing program fails the test with what to install.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::free_port;

/// Whether something listens on TCP `port` (any address, IPv4 or IPv6), read from
/// `/proc/net/tcp{,6}`: a test connection would use up FFmpeg's single `-listen 1` accept.
pub(crate) fn listening(port: u16) -> bool {
    let want = format!(":{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|file| {
        std::fs::read_to_string(file).is_ok_and(|t| {
            t.lines().skip(1).any(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.len() > 3 && f[1].ends_with(&want) && f[3] == "0A"
            })
        })
    })
}

fn wait_listening(port: u16, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !listening(port) {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening on {port}: {status}");
        }
        assert!(Instant::now() < deadline, "{what} did not listen on {port}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// `ffmpeg -listen 1` taking one publisher on `rtmp://127.0.0.1:PORT/live/KEY` into an FLV
/// file.
pub(crate) struct FfmpegListener {
    child: Child,
    pub(crate) port: u16,
    pub(crate) out: PathBuf,
    pub(crate) log: PathBuf,
}

impl FfmpegListener {
    pub(crate) fn start(dir: &Path, key: &str) -> FfmpegListener {
        crate::support::require_tools();
        let port = free_port();
        let out = dir.join("ffmpeg-listener.flv");
        let log = dir.join("ffmpeg-listener.log");
        let child = Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-nostdin",
                "-v",
                "verbose",
                "-y",
                "-listen",
                "1",
            ])
            .args(["-timeout", "20", "-i"])
            .arg(format!("rtmp://127.0.0.1:{port}/live/{key}"))
            .args(["-c", "copy", "-f", "flv"])
            .arg(&out)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("ffmpeg runs (apt-get install ffmpeg)");
        // Owned before waiting, so that a failure kills it.
        let mut me = FfmpegListener {
            child,
            port,
            out,
            log,
        };
        wait_listening(port, &mut me.child, "ffmpeg -listen 1");
        me
    }

    pub(crate) fn url(&self, key: &str) -> String {
        format!("rtmp://127.0.0.1:{}/live/{key}", self.port)
    }

    /// Waits for ffmpeg to end by itself (it does when the publisher leaves); its exit status,
    /// or `None` if it had to be killed.
    pub(crate) fn wait(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        crate::support::wait_child(&mut self.child, within)
    }

    /// The last 3000 bytes of ffmpeg's log (it repeats itself on streams it cannot read).
    pub(crate) fn log(&self) -> String {
        let log = std::fs::read(&self.log).unwrap_or_default();
        String::from_utf8_lossy(&log[log.len().saturating_sub(3000)..]).into_owned()
    }

    /// Whether ffmpeg's log contains `text`.
    pub(crate) fn log_contains(&self, text: &str) -> bool {
        std::fs::read_to_string(&self.log).is_ok_and(|l| l.contains(text))
    }
}

impl Drop for FfmpegListener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The folder with Node-Media-Server's `package.json`, lock file and start script.
fn nms_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/nms")
}

/// Installs Node-Media-Server with `npm ci` unless it is there; panics with what to install
/// when `node`/`npm` are missing or npm fails.
fn install_nms() {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = nms_dir();
    if dir
        .join("node_modules/node-media-server/package.json")
        .exists()
    {
        return;
    }
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .output()
        .expect("npm is missing: apt-get install nodejs npm");
    assert!(
        out.status.success(),
        "npm ci in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Node-Media-Server 2.7 with RTMP on `port` and HTTP-FLV on `http_port`.
pub(crate) struct NodeMediaServer {
    child: Child,
    pub(crate) port: u16,
    pub(crate) http_port: u16,
}

impl NodeMediaServer {
    pub(crate) fn start(dir: &Path) -> NodeMediaServer {
        install_nms();
        let (port, http_port) = (free_port(), free_port());
        let child = Command::new("node")
            .arg(nms_dir().join("server.js"))
            .args([port.to_string(), http_port.to_string()])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("nms.log")).unwrap())
            .stderr(std::fs::File::create(dir.join("nms.err")).unwrap())
            .spawn()
            .expect("node is missing: apt-get install nodejs");
        let mut me = NodeMediaServer {
            child,
            port,
            http_port,
        };
        wait_listening(port, &mut me.child, "Node-Media-Server (RTMP)");
        wait_listening(http_port, &mut me.child, "Node-Media-Server (HTTP)");
        me
    }

    pub(crate) fn url(&self, key: &str) -> String {
        format!("rtmp://127.0.0.1:{}/live/{key}", self.port)
    }
}

impl Drop for NodeMediaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `http://127.0.0.1:port/path` in a thread until the server ends the body or sends
/// nothing for `idle`; returns the body (HTTP-FLV: the relayed stream as an FLV file).
pub(crate) fn http_get_stream(
    port: u16,
    path: &str,
    idle: Duration,
) -> thread::JoinHandle<Vec<u8>> {
    let path = path.to_string();
    thread::spawn(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(idle)).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut all = Vec::new();
        let mut buf = [0u8; 65536];
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        let body_at = all
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| i + 4)
            .unwrap_or(all.len());
        let head = String::from_utf8_lossy(&all[..body_at]).to_string();
        let body = all.split_off(body_at);
        if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(&body)
        } else {
            body
        }
    })
}

/// The body of an HTTP/1.1 chunked transfer, as far as it goes.
fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&b[..eol])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok());
        let Some(size) = size else { break };
        b = &b[eol + 2..];
        if size == 0 {
            break;
        }
        let take = size.min(b.len());
        out.extend_from_slice(&b[..take]);
        b = &b[take..];
        b = b.strip_prefix(b"\r\n").unwrap_or(b);
    }
    out
}
