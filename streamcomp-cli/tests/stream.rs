//! `streamcomp stream` as a user runs it, against a real nginx-rtmp on a free loopback port
//! (nginx-light + libnginx-mod-rtmp and ffmpeg must be installed; without them these tests
//! fail): a timed run to RTMP and an MP4 file at once, Ctrl-C (SIGINT) during an endless
//! run, which must finish the file and exit with 130, and `rtmps://` to nginx-rtmp behind
//! nginx's `stream` TLS terminator (libnginx-mod-stream) with a private CA trusted through
//! `--ca-file` or `SSL_CERT_FILE`, and without it one clear certificate error.

#[path = "../../streamcomp-core/tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use support::{
    Nginx, assert_decodes, assert_h264_aac, free_port, interrupt, settle, video_packets, wait_child,
};

const KEY: &str = "cli-key";

const SCENE: &str = r##"{"width": 320, "height": 180, "fps": 30, "background": "#1d3557",
  "layers": [
    {"id": "bar", "type": "rect", "x": 0, "y": 120, "width": 320, "height": 60, "color": "#e63946"},
    {"id": "dot", "type": "ellipse", "x": 0, "y": 20, "width": 60, "height": 60, "color": "#f1faee",
     "animations": [{"property": "x", "from": 0, "to": 260, "duration": 2, "repeat": -1}]}
  ]}"##;

/// One stream at a time: the machine has two cores.
static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `streamcomp stream` with stderr to a file; returns the child and that file.
fn spawn_stream(dir: &Path, args: &[&str]) -> (std::process::Child, std::path::PathBuf) {
    spawn_stream_env(dir, args, &[])
}

/// The same with environment variables set.
fn spawn_stream_env(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &Path)],
) -> (std::process::Child, std::path::PathBuf) {
    let scene = dir.join("scene.json");
    std::fs::write(&scene, SCENE).unwrap();
    let log = dir.join(format!("stream-{}.log", args.len() + env.len()));
    let child = Command::new(env!("CARGO_BIN_EXE_streamcomp"))
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .envs(env.iter().copied())
        .arg("stream")
        .arg(&scene)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    (child, log)
}

fn duration_of(file: &Path) -> f64 {
    support::ffprobe(
        &["-show_entries", "format=duration", "-of", "csv=p=0"],
        file,
    )
    .trim()
    .parse()
    .unwrap()
}

#[test]
fn streams_to_rtmp_and_a_file_for_the_duration() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let nginx = Nginx::start(dir.path(), free_port());
    let mp4 = dir.path().join("rec.mp4");
    let url = nginx.url(KEY);
    let start = Instant::now();
    let (mut child, log) = spawn_stream(
        dir.path(),
        &[
            "--duration",
            "3",
            "--url",
            &url,
            "--url",
            mp4.to_str().unwrap(),
        ],
    );
    let status = wait_child(&mut child, Duration::from_secs(20)).expect("stream did not end");
    let wall = start.elapsed();
    let err = std::fs::read_to_string(&log).unwrap();
    eprintln!("took {wall:?}, {status:?}:\n{err}");
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(wall >= Duration::from_secs(3), "{wall:?}");
    assert!(!err.contains(KEY), "the key shows: {err}");
    let summary = err
        .lines()
        .find(|l| l.starts_with("stopped after"))
        .unwrap_or_else(|| panic!("no summary line: {err}"));
    assert!(summary.contains(" frames rendered, "), "{summary}");
    assert!(summary.contains(" encoded, "), "{summary}");
    assert!(summary.contains("rec.mp4"), "{summary}");
    assert!(summary.contains("rtmp://127.0.0.1"), "{summary}");

    assert_h264_aac(&mp4, 320, 180);
    assert_decodes(&mp4);
    let packets = video_packets(&mp4);
    assert!(
        (85..=90).contains(&packets.len()),
        "{} frames",
        packets.len()
    );
    let d = duration_of(&mp4);
    assert!((d - 3.0).abs() < 0.15, "mp4 lasts {d} s");
    settle();
    let rec = nginx.recording(KEY);
    assert_h264_aac(&rec, 320, 180);
    assert!(video_packets(&rec).len().abs_diff(packets.len()) <= 3);
}

#[test]
fn ctrl_c_stops_gracefully_with_the_file_finished_and_exit_130() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let nginx = Nginx::start(dir.path(), free_port());
    let mp4 = dir.path().join("rec.mp4");
    let url = nginx.url(KEY);
    let (mut child, log) =
        spawn_stream(dir.path(), &["--url", &url, "--url", mp4.to_str().unwrap()]);
    thread::sleep(Duration::from_millis(2500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the stream ended by itself"
    );
    let sent = Instant::now();
    interrupt(&child);
    let status = wait_child(&mut child, Duration::from_secs(15)).expect("no exit after SIGINT");
    let took = sent.elapsed();
    let err = std::fs::read_to_string(&log).unwrap();
    eprintln!("exit {status:?} {took:?} after SIGINT:\n{err}");
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(took < Duration::from_secs(8), "stopping took {took:?}");
    assert!(err.lines().any(|l| l.starts_with("stopped after")), "{err}");

    assert_h264_aac(&mp4, 320, 180);
    assert_decodes(&mp4);
    let packets = video_packets(&mp4);
    let d = duration_of(&mp4);
    eprintln!("mp4: {} frames, {d:.3} s", packets.len());
    assert!(packets.len() >= 60, "{} frames", packets.len());
    assert!(d > 2.0 && d < 5.0, "{d}");
}

#[test]
fn rtmps_with_a_private_ca_from_ca_file_or_ssl_cert_file() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let (nginx, certs, url) = Nginx::behind_tls(dir.path(), KEY);
    let ca = certs.ca.to_str().unwrap();
    /// A run: its name, extra arguments and environment.
    type Run<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a Path)]);
    let runs: [Run<'_>; 3] = [
        ("untrusted", &[], &[]),
        ("--ca-file", &["--ca-file", ca], &[]),
        ("SSL_CERT_FILE", &[], &[("SSL_CERT_FILE", &certs.ca)]),
    ];
    for (what, extra, env) in runs {
        let mut args = vec!["--duration", "2", "--no-audio", "--url", &url];
        args.extend_from_slice(extra);
        let (mut child, log) = spawn_stream_env(dir.path(), &args, env);
        let status = wait_child(&mut child, Duration::from_secs(20)).expect("stream did not end");
        let err = std::fs::read_to_string(&log).unwrap();
        eprintln!("{what}: {status:?}:\n{err}");
        assert!(!err.contains(KEY), "the key shows: {err}");
        if what == "untrusted" {
            let line = err
                .lines()
                .find(|l| l.contains("certificate"))
                .unwrap_or_else(|| panic!("no certificate error: {err}"));
            assert!(
                line.contains("\"CN=127.0.0.1\" (issued by \"CN=streamcomp test CA\")")
                    && line.contains("is not signed by a trusted certificate authority")
                    && line.contains("--ca-file, RTMP_CA_FILE or SSL_CERT_FILE"),
                "{line}"
            );
            assert!(!err.contains(": live"), "{err}");
        } else {
            assert_eq!(status.code(), Some(0), "{what}: {err}");
            assert!(err.contains(": live"), "{what}: {err}");
            assert!(!err.contains("certificate"), "{what}: {err}");
            settle();
            let frames = video_packets(&nginx.recording(KEY)).len();
            assert!((50..=60).contains(&frames), "{what}: {frames} frames");
        }
    }
    // A CA file that is not one: one line at start, nothing streamed.
    let bad = dir.path().join("scene.json");
    let (mut child, log) = spawn_stream(
        dir.path(),
        &[
            "--duration",
            "2",
            "--url",
            &url,
            "--ca-file",
            bad.to_str().unwrap(),
        ],
    );
    let status = wait_child(&mut child, Duration::from_secs(10)).expect("stream did not end");
    let err = std::fs::read_to_string(&log).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("--ca-file: ") && err.contains("holds no certificate"),
        "{err}"
    );
}
