//! Helpers shared by the live-pipeline tests (`tests/live.rs` here and, through a `#[path]`
//! module, `streamcomp-cli/tests/stream.rs`): a real nginx-rtmp on a free loopback port
//! (Debian `nginx-light` + `libnginx-mod-rtmp`), ffprobe/ffmpeg wrappers, frame decoding to RGB
//! with each frame's timestamp, and pixel checks. Missing programs are test failures with a
//! message saying what to install, never silent skips.
#![allow(dead_code)] // each test binary uses a different subset

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

mod clips;
mod media;
mod probe;
mod sound;
#[allow(unused_imports)] // only the video tests make clips
pub(crate) use clips::{H264_HIGH, barcode_clip, barcode_rgb};
#[allow(unused_imports)] // some test binaries do not publish
pub(crate) use media::encode_scene;
#[allow(unused_imports)] // each test binary uses a different subset
pub(crate) use probe::{
    assert_aac_track, decoded_frame, decodes_cleanly, duration, ffprobe, key_times, psnr,
    stream_lines, video_packet_rows,
};
#[allow(unused_imports)] // the video and input tests
pub(crate) use sound::{beep_onsets, sound};

pub(crate) const RTMP_MODULE: &str = "/usr/lib/nginx/modules/ngx_rtmp_module.so";
/// nginx's `stream` module (Debian `libnginx-mod-stream`): the TLS terminator of the RTMPS tests.
pub(crate) const STREAM_MODULE: &str = "/usr/lib/nginx/modules/ngx_stream_module.so";

/// A TLS terminator for nginx's `stream` module: listen on `port` with this certificate chain
/// (PEM) and key (PEM), and pass the bytes to the RTMP port.
pub(crate) struct TlsFront<'a> {
    pub(crate) port: u16,
    pub(crate) cert: &'a Path,
    pub(crate) key: &'a Path,
}

/// Panics with what to install when nginx, its RTMP module, ffmpeg or ffprobe is missing.
pub(crate) fn require_tools() {
    assert!(
        Path::new(RTMP_MODULE).exists(),
        "{RTMP_MODULE} is missing: install nginx-light and libnginx-mod-rtmp \
         (apt-get install nginx-light libnginx-mod-rtmp)"
    );
    for (prog, arg, pkg) in [
        ("nginx", "-v", "nginx-light"),
        ("ffmpeg", "-version", "ffmpeg"),
        ("ffprobe", "-version", "ffmpeg"),
    ] {
        let ok = Command::new(prog)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "`{prog}` is not installed or does not run: apt-get install {pkg}"
        );
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An nginx-rtmp child process (application `live`, `record all` into `DIR/rec/KEY.flv`),
/// killed on drop.
pub(crate) struct Nginx {
    child: Option<Child>,
    pub(crate) dir: PathBuf,
    pub(crate) port: u16,
}

impl Nginx {
    pub(crate) fn start(dir: &Path, port: u16) -> Nginx {
        Nginx::start_with_tls(dir, port, None)
    }

    /// nginx-rtmp behind its TLS front, with a fresh private CA made in `dir`: the server, the
    /// certificates and the front's `rtmps://` URL for stream `key`.
    pub(crate) fn behind_tls(dir: &Path, key: &str) -> (Nginx, TestCerts, String) {
        let certs = make_test_certs(dir);
        let tls_port = free_port();
        let nginx = Nginx::start_with_tls(
            dir,
            free_port(),
            Some(TlsFront {
                port: tls_port,
                cert: &certs.leaf,
                key: &certs.key,
            }),
        );
        (
            nginx,
            certs,
            format!("rtmps://127.0.0.1:{tls_port}/live/{key}"),
        )
    }

    /// The same with nginx's `stream` module terminating TLS in front of the RTMP port.
    pub(crate) fn start_with_tls(dir: &Path, port: u16, tls: Option<TlsFront<'_>>) -> Nginx {
        require_tools();
        let (stream_module, stream_block) = match &tls {
            None => (String::new(), String::new()),
            Some(t) => {
                assert!(
                    Path::new(STREAM_MODULE).exists(),
                    "{STREAM_MODULE} is missing: install libnginx-mod-stream \
                     (apt-get install libnginx-mod-stream)"
                );
                (
                    format!("load_module {STREAM_MODULE};\n"),
                    format!(
                        "stream {{
    server {{
        listen 127.0.0.1:{tls_port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        proxy_pass 127.0.0.1:{port};
    }}
}}
",
                        tls_port = t.port,
                        cert = t.cert.display(),
                        key = t.key.display()
                    ),
                )
            }
        };
        let rec = dir.join("rec");
        std::fs::create_dir_all(&rec).unwrap();
        let conf = dir.join("nginx.conf");
        std::fs::write(
            &conf,
            format!(
                "load_module {RTMP_MODULE};
{stream_module}daemon off;
master_process off;
error_log stderr warn;
pid {dir}/nginx.pid;
events {{ worker_connections 64; }}
rtmp {{
    server {{
        listen 127.0.0.1:{port};
        chunk_size 4096;
        application live {{
            live on;
            record all;
            record_path {rec};
            record_unique off;
        }}
    }}
}}
{stream_block}",
                dir = dir.display(),
                rec = rec.display()
            ),
        )
        .unwrap();
        let child = Command::new("nginx")
            .arg("-e")
            .arg("stderr")
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        for p in [Some(port), tls.as_ref().map(|t| t.port)]
            .into_iter()
            .flatten()
        {
            while TcpStream::connect(("127.0.0.1", p)).is_err() {
                assert!(Instant::now() < deadline, "nginx did not listen on {p}");
                thread::sleep(Duration::from_millis(20));
            }
        }
        Nginx {
            child: Some(child),
            dir: dir.to_path_buf(),
            port,
        }
    }

    pub(crate) fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Where nginx records `key`.
    pub(crate) fn recording(&self, key: &str) -> PathBuf {
        self.dir.join("rec").join(format!("{key}.flv"))
    }

    /// The URL to publish or play `key`.
    pub(crate) fn url(&self, key: &str) -> String {
        format!("rtmp://127.0.0.1:{}/live/{key}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits for nginx to close a recording (it does on unpublish).
pub(crate) fn settle() {
    thread::sleep(Duration::from_millis(500));
}

/// `codec_type,codec_name,width,height,sample_rate,channels` of every stream, one per line.
pub(crate) fn streams(file: &Path) -> String {
    ffprobe(
        &[
            "-show_entries",
            "stream=codec_type,codec_name,width,height,sample_rate,channels",
            "-of",
            "compact=p=0",
        ],
        file,
    )
}

/// Asserts H.264 video of `w`x`h` and AAC 48 kHz stereo audio.
pub(crate) fn assert_h264_aac(file: &Path, w: u32, h: u32) {
    let s = streams(file);
    eprintln!("ffprobe {}:\n{s}", file.display());
    assert!(
        s.contains(&format!(
            "codec_name=h264|codec_type=video|width={w}|height={h}"
        )),
        "{}: {s}",
        file.display()
    );
    assert!(
        s.contains("codec_name=aac|codec_type=audio|sample_rate=48000|channels=2"),
        "{}: {s}",
        file.display()
    );
}

/// One video packet: time, key frame, size in bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct VideoPacket {
    pub(crate) pts: f64,
    pub(crate) key: bool,
    pub(crate) size: usize,
}

/// The video packets of a file, in file order.
pub(crate) fn video_packets(file: &Path) -> Vec<VideoPacket> {
    ffprobe(
        &[
            "-select_streams",
            "v",
            "-show_entries",
            "packet=pts_time,flags,size",
            "-of",
            "csv=p=0",
        ],
        file,
    )
    .lines()
    .filter_map(|l| {
        let mut it = l.split(',');
        let pts = it.next()?.parse().ok()?;
        let size = it.next()?.parse().ok()?;
        let key = it.next()?.starts_with('K');
        Some(VideoPacket { pts, key, size })
    })
    .collect()
}

/// Decodes the whole file with ffmpeg; asserts it exits well and prints no error.
pub(crate) fn assert_decodes(file: &Path) {
    let decode = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(file)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    let errors = String::from_utf8_lossy(&decode.stderr);
    assert!(
        decode.status.success() && errors.trim().is_empty(),
        "{}: ffmpeg decode errors: {errors}",
        file.display()
    );
}

/// Decodes every video frame of `file` to RGB24 (`w`x`h`), calls `f` on each and returns
/// `(pts in seconds, f(frame))` per frame, in decoding order.
pub(crate) fn decode_frames<T>(
    file: &Path,
    w: u32,
    h: u32,
    mut f: impl FnMut(&[u8]) -> T,
) -> Vec<(f64, T)> {
    let mut child = Command::new("ffmpeg")
        .args(["-v", "info", "-nostdin", "-i"])
        .arg(file)
        .args([
            "-map",
            "0:v:0",
            "-vf",
            "showinfo",
            "-fps_mode",
            "passthrough",
        ])
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ffmpeg is installed");
    let stderr = child.stderr.take().unwrap();
    let times = thread::spawn(move || {
        let mut pts = Vec::new();
        let mut log = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("Parsed_showinfo")
                && let Some(rest) = line.split("pts_time:").nth(1)
                && let Some(t) = rest.split_whitespace().next()
            {
                pts.push(t.parse::<f64>().unwrap());
            } else {
                log.push_str(&line);
                log.push('\n');
            }
        }
        (pts, log)
    });
    let mut out = child.stdout.take().unwrap();
    let mut buf = vec![0u8; (w * h * 3) as usize];
    let mut results = Vec::new();
    while out.read_exact(&mut buf).is_ok() {
        results.push(f(&buf));
    }
    let status = child.wait().unwrap();
    let (pts, log) = times.join().unwrap();
    assert!(
        status.success(),
        "ffmpeg decoding {}: {log}",
        file.display()
    );
    assert_eq!(
        pts.len(),
        results.len(),
        "{}: showinfo lines vs frames",
        file.display()
    );
    pts.into_iter().zip(results).collect()
}

/// The RGB pixel at (x, y) of an RGB24 picture `w` wide.
pub(crate) fn px(frame: &[u8], w: u32, x: u32, y: u32) -> [u8; 3] {
    let i = ((y * w + x) * 3) as usize;
    [frame[i], frame[i + 1], frame[i + 2]]
}

/// The mean colour of the box (x0, y0)..(x1, y1) of an RGB24 picture `w` wide.
pub(crate) fn mean(frame: &[u8], w: u32, (x0, y0): (u32, u32), (x1, y1): (u32, u32)) -> [f64; 3] {
    let mut sum = [0.0; 3];
    for y in y0..y1 {
        for x in x0..x1 {
            let p = px(frame, w, x, y);
            for c in 0..3 {
                sum[c] += f64::from(p[c]);
            }
        }
    }
    let n = f64::from((x1 - x0) * (y1 - y0));
    sum.map(|s| s / n)
}

/// Whether every channel of `got` is within `tol` of `want`.
pub(crate) fn near(got: [f64; 3], want: [u8; 3], tol: f64) -> bool {
    got.iter()
        .zip(want)
        .all(|(g, w)| (g - f64::from(w)).abs() <= tol)
}

/// Waits up to `within` for `child` to exit; kills it after that. Returns its exit status
/// if it exited by itself.
pub(crate) fn wait_child(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Sends SIGINT to `child` (through the `kill` program).
pub(crate) fn interrupt(child: &Child) {
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success(), "kill -INT failed");
}

/// Runs the `openssl` program with `args` in `dir`; panics with its complaint when it fails
/// and with what to install when it is missing.
pub(crate) fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl program is missing: apt-get install openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Certificate files made by the `openssl` program for a TLS test server on 127.0.0.1.
pub(crate) struct TestCerts {
    /// The test CA (PEM), to trust.
    pub(crate) ca: PathBuf,
    /// The server's certificate for 127.0.0.1 and localhost, signed by the CA (PEM).
    pub(crate) leaf: PathBuf,
    /// The server's key (PEM).
    pub(crate) key: PathBuf,
}

/// Makes a CA (`CN=streamcomp test CA`) and a server certificate (`CN=127.0.0.1`) in `dir`.
/// Panics with what to install when `openssl` is missing.
pub(crate) fn make_test_certs(dir: &Path) -> TestCerts {
    let run = |args: &[&str]| openssl(dir, args);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
    run(&[
        &[
            "req",
            "-x509",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=streamcomp test CA",
        ][..],
        &ec,
        &["-keyout", "ca.key", "-out", "ca.pem"],
    ]
    .concat());
    run(&[
        &["req", "-nodes", "-subj", "/CN=127.0.0.1"][..],
        &ec,
        &["-keyout", "leaf.key", "-out", "leaf.csr"],
    ]
    .concat());
    run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        "-out",
        "leaf.pem",
    ]);
    TestCerts {
        ca: dir.join("ca.pem"),
        leaf: dir.join("leaf.pem"),
        key: dir.join("leaf.key"),
    }
}
