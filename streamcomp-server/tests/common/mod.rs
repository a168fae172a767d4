//! Test helpers: the real `streamcomp-server` binary on free loopback ports with a temporary
//! state folder and assets folder (killed on drop), optionally with its log kept in a file,
//! and a tiny raw HTTP/1.1 client, so tests can also send requests no well-behaved client
//! library would.

#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A running server.
pub struct Server {
    child: Option<Child>,
    pub port: u16,
    pub ws_port: u16,
    pub metrics_port: u16,
    pub dir: PathBuf,
    pub token: Option<String>,
    env: Vec<(String, String)>,
    /// Where stdout and stderr go (appended across restarts); `None`: stdout discarded,
    /// stderr inherited.
    log: Option<PathBuf>,
    _tmp: Option<tempfile::TempDir>,
}

/// A response.
#[derive(Debug)]
pub struct Res {
    pub status: u16,
    pub headers: String,
    pub body: Vec<u8>,
}

impl Res {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// A loopback TCP port free right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// Starts a server with these extra variables (a 320x180 stream, its own folders).
    pub fn start(extra: &[(&str, &str)]) -> Server {
        Server::launch(extra, false)
    }

    /// [`Server::start`] with stdout and stderr kept in `server.log` in its folder (see
    /// [`Server::log`]).
    pub fn start_logged(extra: &[(&str, &str)]) -> Server {
        Server::launch(extra, true)
    }

    fn launch(extra: &[(&str, &str)], logged: bool) -> Server {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let mut s = Server {
            child: None,
            port: 0,
            ws_port: 0,
            metrics_port: 0,
            log: logged.then(|| dir.join("server.log")),
            dir,
            token: extra
                .iter()
                .find(|(k, _)| *k == "API_TOKEN")
                .map(|(_, v)| v.to_string()),
            env: extra
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            _tmp: Some(tmp),
        };
        s.spawn();
        s
    }

    /// What the server logged so far (empty unless started with [`Server::start_logged`]).
    pub fn log(&self) -> String {
        self.log
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    }

    fn spawn(&mut self) {
        self.port = free_port();
        self.ws_port = free_port();
        self.metrics_port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_streamcomp-server"));
        cmd.current_dir(&self.dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PORT", self.port.to_string())
            .env("WS_PORT", self.ws_port.to_string())
            .env("METRICS_PORT", self.metrics_port.to_string())
            .env("STATE_PATH", self.dir.join("state"))
            .env("ASSETS_DIR", self.dir.join("assets"))
            .env("STREAM_RESOLUTION", "320x180")
            .env("TARGET_FPS", "15")
            .env("LOG_LEVEL", "warn")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        match &self.log {
            Some(p) => {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .unwrap();
                // Logs go to stdout, start-up errors to stderr: keep both.
                cmd.stdout(f.try_clone().unwrap()).stderr(f)
            }
            None => cmd.stderr(Stdio::inherit()),
        };
        self.child = Some(cmd.spawn().expect("start streamcomp-server"));
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self
                .try_request("GET", "/healthz", &[], b"")
                .is_ok_and(|r| r.status == 200)
            {
                return;
            }
            if let Some(st) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("the server exited at start: {st}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the server did not answer /healthz within 30 s");
    }

    /// Kills the process at once (`kill -9`), as a crash would.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    /// SIGTERM, then waits for a clean exit; returns the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let mut c = self.child.take()?;
        Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(st) = c.try_wait().unwrap() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        c.kill().unwrap();
        panic!("no exit within 20 s of SIGTERM");
    }

    /// Sets a variable for the next (re)start.
    pub fn set_env(&mut self, k: &str, v: &str) {
        self.env.retain(|(key, _)| key != k);
        self.env.push((k.into(), v.into()));
    }

    /// Starts the binary again on the same folders (new ports).
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    pub fn alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    /// A request with the token (when the server has one).
    pub fn req(&self, method: &str, path: &str, body: &[u8]) -> Res {
        let auth = self
            .token
            .as_ref()
            .map(|t| format!("Authorization: Bearer {t}"));
        let headers: Vec<&str> = auth.iter().map(String::as_str).collect();
        self.request(method, path, &headers, body)
    }

    pub fn get(&self, path: &str) -> Res {
        self.req("GET", path, b"")
    }

    pub fn json(&self, method: &str, path: &str, body: &Value) -> Res {
        self.req(method, path, body.to_string().as_bytes())
    }

    pub fn request(&self, method: &str, path: &str, headers: &[&str], body: &[u8]) -> Res {
        self.try_request(method, path, headers, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub fn try_request(
        &self,
        method: &str,
        path: &str,
        headers: &[&str],
        body: &[u8],
    ) -> std::io::Result<Res> {
        raw(self.port, method, path, headers, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// One HTTP/1.1 request on a new connection (`Connection: close`).
pub fn raw(
    port: u16,
    method: &str,
    path: &str,
    headers: &[&str],
    body: &[u8],
) -> std::io::Result<Res> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    // A server may answer (413) before reading a large body, and close.
    let _ = s.write_all(body);
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let headers = String::from_utf8_lossy(&buf[..split]).to_string();
    let status = headers
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    let mut body = buf[split + 4..].to_vec();
    if headers
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok(Res {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..i]).trim(), 16).unwrap_or(0);
        if n == 0 || b.len() < i + 2 + n {
            break;
        }
        out.extend_from_slice(&b[i + 2..i + 2 + n]);
        b = b.get(i + 4 + n..).unwrap_or(&[]);
    }
    out
}

/// Polls `f` every 50 ms for up to `secs` seconds.
pub fn eventually(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// The value of a metric line `name value` (labels included in `name`) in Prometheus text.
pub fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}
