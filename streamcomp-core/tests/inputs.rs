//! Live inputs against real peers on loopback: `ffmpeg -re` publishes a clip whose frame
//! number is burnt in as a barcode (and that beeps on every whole second) to our RTMP listener,
//! over SRT to an `srt` input, or to nginx-rtmp for an `rtmp_pull` input; the composition goes
//! to nginx-rtmp or a file, and what was recorded is decoded frame by frame. Also: a publisher
//! lost and back (hold, fallback, return within 2 s), wrong keys, a second publisher, and 200
//! hostile connections that must leave the stream and the real input alone.

mod support;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use streamcomp_core::input::{IngestOptions, IngestServer, InputHub, InputState};
use streamcomp_core::live::{Event, LiveHandle, LiveOptions, LiveStream};
use streamcomp_core::{AssetResolver, LoadOptions, Scene};
use support::{
    H264_HIGH, Nginx, barcode_clip, barcode_rgb, beep_onsets, decode_frames, free_port,
    require_tools, sound,
};

const W: u32 = 320;
const H: u32 = 180;
const KEY: &str = "cam1-secret";

fn scene(dir: &Path, inputs: Value, hold: f64) -> Scene {
    let doc = json!({"width": W, "height": H, "fps": 30, "background": "#000000",
        "inputs": inputs,
        "layers": [{"id": "cam", "type": "input", "input": "cam1", "width": W, "height": H,
                    "hold": hold, "fallback": "black"}]});
    let mut opts = LoadOptions::default();
    opts.base_dir = Some(dir.to_path_buf());
    Scene::from_value(doc, &opts).unwrap()
}

fn rtmp_inputs() -> Value {
    json!({"cam1": {"type": "rtmp", "key": KEY}})
}

/// `ffmpeg -re` sending `clip` (copied, not re-encoded) to `url` as `format`.
fn publish(clip: &Path, url: &str, format: &str) -> Child {
    Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-re", "-i"])
        .arg(clip)
        .args(["-c", "copy", "-f", format, url])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ffmpeg is installed")
}

fn ingest_opts() -> IngestOptions {
    IngestOptions::new(SocketAddr::from(([127, 0, 0, 1], 0)))
}

/// Starts a stream of one full-screen input layer to `out` for `secs`, with an RTMP listener
/// on a free loopback port sharing the stream's inputs (as the server runs it).
fn start(
    d: &Path,
    inputs: Value,
    hold: f64,
    out: &str,
    secs: u64,
) -> (LiveStream, IngestServer, SocketAddr) {
    start_with_tls(d, inputs, hold, out, secs, None)
}

/// [`start`] with an RTMPS listener when `tls` (certificate and key files) is given.
fn start_with_tls(
    d: &Path,
    inputs: Value,
    hold: f64,
    out: &str,
    secs: u64,
    tls: Option<(PathBuf, PathBuf)>,
) -> (LiveStream, IngestServer, SocketAddr) {
    let s = scene(d, inputs, hold);
    let hub = InputHub::new();
    let mut o = ingest_opts();
    o.tls = tls;
    let listener = IngestServer::start(o, hub.clone()).unwrap();
    let addr = listener.local_addr();
    let mut opts = LiveOptions::default();
    opts.outputs = vec![out.parse().unwrap()];
    opts.duration = Some(Duration::from_secs(secs));
    opts.video.keyframe_interval = 1.0;
    opts.inputs = Some(hub);
    let stream = LiveStream::start(s, AssetResolver::new(d), opts).unwrap();
    (stream, listener, addr)
}

fn clip(d: &Path, name: &str, secs: f64, offset: u32) -> PathBuf {
    barcode_clip(d, name, (W, H), 30, secs, offset, H264_HIGH)
}

/// With `ff` publishing to input `cam1` of `stream`: the input goes live, the stream runs to its
/// end without dropping a frame, and its recording `out` counts up for at least `at_least`
/// frames.
fn live_to_the_end(stream: LiveStream, mut ff: Child, out: &Path, at_least: usize) {
    let h = stream.handle();
    assert!(
        wait_state(&h, InputState::Live, Duration::from_secs(5)),
        "{:?}",
        h.inputs()
    );
    let status = stream.wait().unwrap();
    let _ = ff.kill();
    let _ = ff.wait();
    assert_eq!(status.frames_dropped, 0);
    let frames = decode_frames(out, W, H, |rgb| barcode_rgb(rgb, W));
    check_counting(&frames, at_least);
}

/// Waits until input `cam1` is in `state` (at most `within`).
fn wait_state(h: &LiveHandle, state: InputState, within: Duration) -> bool {
    let end = Instant::now() + within;
    while Instant::now() < end {
        if h.inputs()
            .iter()
            .any(|i| i.name == "cam1" && i.state == state)
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Checks that the frames showing the input count up, repeat and skip rarely, and returns them.
fn check_counting(frames: &[(f64, u32)], at_least: usize) -> Vec<(f64, u32)> {
    let live: Vec<(f64, u32)> = frames.iter().copied().filter(|(_, n)| *n > 0).collect();
    assert!(
        live.len() >= at_least,
        "{} frames showed the input: {frames:?}",
        live.len()
    );
    let (mut repeats, mut skips) = (0, 0);
    for w in live.windows(2) {
        let (a, b) = (w[0].1, w[1].1);
        assert!(
            b >= a,
            "the input went back from frame {a} to {b}: {live:?}"
        );
        if b == a {
            repeats += 1;
        } else if b > a + 1 {
            skips += 1;
        }
    }
    // Same rates in and out: a repeat or skip only while the clock settles or a packet is late.
    let n = live.len();
    eprintln!("{n} frames of the input, {repeats} repeated, {skips} skipped");
    assert!(
        repeats * 20 <= n,
        "{repeats} repeats in {n} frames: {live:?}"
    );
    assert!(skips * 20 <= n, "{skips} skips in {n} frames: {live:?}");
    live
}

#[test]
fn an_rtmp_publisher_is_composed_live_with_its_sound_in_step() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let src = clip(d, "cam.mp4", 10.0, 1);
    let nginx = Nginx::start(d, free_port());
    let (stream, _listener, addr) = start(d, rtmp_inputs(), 1.0, &nginx.url("show"), 9);
    let h = stream.handle();
    let started = h.status().uptime.as_secs_f64();
    let mut ff = publish(&src, &format!("rtmp://{addr}/live/{KEY}"), "flv");
    assert!(
        wait_state(&h, InputState::Live, Duration::from_secs(5)),
        "{:?}",
        h.inputs()
    );
    let status = stream.wait().unwrap();
    let _ = ff.kill();
    let _ = ff.wait();
    assert_eq!(status.frames_dropped, 0, "{status:?}");
    support::settle();
    let rec = nginx.recording("show");
    let frames = decode_frames(&rec, W, H, |rgb| barcode_rgb(rgb, W));
    let live = check_counting(&frames, 150);
    // Latency: `ffmpeg -re` sends clip frame k about k/30 s after it started (`started` on the
    // stream clock, plus its own start-up); the stream shows it at its pts.
    let lat: Vec<f64> = live
        .iter()
        .map(|(pts, n)| pts - started - (*n as f64 - 1.0) / 30.0)
        .collect();
    let mean = lat.iter().sum::<f64>() / lat.len() as f64;
    eprintln!(
        "publisher start to output: {:.0} ms on average (buffer 200 ms, ffmpeg start-up included)",
        mean * 1000.0
    );
    assert!(mean < 1.0, "latency {mean:.3} s");
    // Sound: every beep of the output starts within two frames of a picture of a whole second.
    let onsets = beep_onsets(&sound(&rec));
    let first_live = live[0].0;
    let mut checked = 0;
    for t in onsets.iter().filter(|t| **t > first_live + 0.5) {
        let (_, n) = frames
            .iter()
            .min_by(|a, b| (a.0 - t).abs().total_cmp(&(b.0 - t).abs()))
            .unwrap();
        let clip_frame = *n as i64 - 1;
        let off = (clip_frame + 15).rem_euclid(30) - 15;
        assert!(
            off.abs() <= 2,
            "a beep at {t:.3} s shows clip frame {clip_frame} ({off} frames from a whole second)"
        );
        checked += 1;
    }
    assert!(checked >= 5, "{checked} beeps checked: {onsets:?}");
}

#[test]
fn a_lost_publisher_holds_then_falls_back_and_returns_within_two_seconds() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let first = clip(d, "a.mp4", 20.0, 1);
    let second = clip(d, "b.mp4", 20.0, 1000);
    let out = d.join("out.flv");
    let (stream, _listener, addr) = start(d, rtmp_inputs(), 1.0, out.to_str().unwrap(), 11);
    let h = stream.handle();
    let events = stream.events(256);
    let url = format!("rtmp://{addr}/live/{KEY}");
    let mut a = publish(&first, &url, "flv");
    assert!(wait_state(&h, InputState::Live, Duration::from_secs(5)));
    std::thread::sleep(Duration::from_millis(2500));
    let _ = a.kill();
    let _ = a.wait();
    let killed = h.status().uptime.as_secs_f64();
    assert!(wait_state(&h, InputState::Waiting, Duration::from_secs(3)));
    std::thread::sleep(Duration::from_millis(2500));
    let republished = h.status().uptime.as_secs_f64();
    let mut b = publish(&second, &url, "flv");
    assert!(wait_state(&h, InputState::Live, Duration::from_secs(3)));
    let status = stream.wait().unwrap();
    let _ = b.kill();
    let _ = b.wait();
    assert_eq!(status.frames_dropped, 0, "{status:?}");
    assert!(
        status.frames_rendered >= 329,
        "the output never stopped: {status:?}"
    );
    let states: Vec<String> = events
        .try_iter()
        .filter_map(|e| match e {
            Event::Input { state, .. } => Some(state.as_str().to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(states, ["live", "waiting", "live"], "input events");
    let frames = decode_frames(&out, W, H, |rgb| barcode_rgb(rgb, W));
    // Held: the last picture of the first publisher stays up to `hold` after its last frame.
    let last_a = frames
        .iter()
        .filter(|(_, n)| *n > 0 && *n < 1000)
        .map(|(p, _)| *p)
        .fold(0.0, f64::max);
    assert!(
        last_a >= killed + 0.5 && last_a <= killed + 2.0,
        "held until {last_a:.2} s after the publisher died at {killed:.2} s"
    );
    // Then the fallback (black), until the second publisher.
    let black = frames
        .iter()
        .filter(|(p, n)| *p > last_a && *p < republished && *n == 0)
        .count();
    assert!(
        black >= 30,
        "{black} black frames between {last_a:.2} and {republished:.2}"
    );
    // Back within two seconds.
    let back = frames
        .iter()
        .find(|(_, n)| *n >= 1000)
        .map(|(p, _)| *p)
        .expect("the second publisher's frames");
    assert!(
        back - republished < 2.0,
        "back {:.2} s after republishing",
        back - republished
    );
    check_counting(
        &frames
            .iter()
            .copied()
            .filter(|(p, _)| *p > back)
            .collect::<Vec<_>>(),
        30,
    );
}

/// A raw RTMP client: handshake, connect and publish with `key` through rml_rtmp's client
/// session; returns the status code the server answered with (or why there was none).
fn try_publish(addr: SocketAddr, key: &str) -> String {
    use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
    use rml_rtmp::sessions::{
        ClientSession, ClientSessionConfig, ClientSessionEvent, ClientSessionResult,
        PublishRequestType,
    };
    use std::io::Read;
    let mut s = match TcpStream::connect(addr) {
        Ok(s) => s,
        Err(e) => return format!("connect: {e}"),
    };
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut hs = Handshake::new(PeerType::Client);
    s.write_all(&hs.generate_outbound_p0_and_p1().unwrap())
        .unwrap();
    let mut buf = vec![0u8; 8192];
    let rest = loop {
        let n = match s.read(&mut buf) {
            Ok(0) | Err(_) => return "closed in the handshake".into(),
            Ok(n) => n,
        };
        match hs.process_bytes(&buf[..n]) {
            Ok(HandshakeProcessResult::InProgress { response_bytes }) => {
                s.write_all(&response_bytes).unwrap()
            }
            Ok(HandshakeProcessResult::Completed {
                response_bytes,
                remaining_bytes,
            }) => {
                s.write_all(&response_bytes).unwrap();
                break remaining_bytes;
            }
            Err(e) => return format!("handshake: {e:?}"),
        }
    };
    let (mut session, first) = ClientSession::new(ClientSessionConfig::new()).unwrap();
    let send = |results: Vec<ClientSessionResult>, s: &mut TcpStream| -> Vec<ClientSessionEvent> {
        let mut events = Vec::new();
        for r in results {
            match r {
                ClientSessionResult::OutboundResponse(p) => {
                    let _ = s.write_all(&p.bytes);
                }
                ClientSessionResult::RaisedEvent(e) => events.push(e),
                _ => {}
            }
        }
        events
    };
    send(first, &mut s);
    let r = session.request_connection("live".into()).unwrap();
    send(vec![r], &mut s);
    let mut pending = rest;
    let mut published = false;
    for _ in 0..50 {
        let results = session.handle_input(&pending).unwrap_or_default();
        for e in send(results, &mut s) {
            match e {
                ClientSessionEvent::ConnectionRequestAccepted if !published => {
                    published = true;
                    let r = session
                        .request_publishing(key.into(), PublishRequestType::Live)
                        .unwrap();
                    send(vec![r], &mut s);
                }
                ClientSessionEvent::PublishRequestAccepted => return "accepted".into(),
                ClientSessionEvent::ConnectionRequestRejected { description } => {
                    return format!("rejected: {description}");
                }
                _ => {}
            }
        }
        let n = match s.read(&mut buf) {
            Ok(0) | Err(_) => return "closed".into(),
            Ok(n) => n,
        };
        pending = buf[..n].to_vec();
    }
    "no answer".into()
}

#[test]
fn wrong_keys_a_second_publisher_and_200_hostile_connections_leave_the_input_alone() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let src = clip(d, "cam.mp4", 20.0, 1);
    let out = d.join("out.flv");
    let (stream, _listener, addr) = start(d, rtmp_inputs(), 1.0, out.to_str().unwrap(), 12);
    let h = stream.handle();
    let mut real = publish(&src, &format!("rtmp://{addr}/live/{KEY}"), "flv");
    assert!(wait_state(&h, InputState::Live, Duration::from_secs(5)));
    // A wrong key, from ffmpeg: refused quickly.
    let t0 = Instant::now();
    let wrong = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-re", "-i"])
        .arg(&src)
        .args(["-t", "3", "-c", "copy", "-f", "flv"])
        .arg(format!("rtmp://{addr}/live/not-the-key"))
        .output()
        .unwrap();
    assert!(!wrong.status.success(), "a wrong key was accepted");
    assert!(
        t0.elapsed() < Duration::from_secs(3),
        "refused after {:?}",
        t0.elapsed()
    );
    // A second publisher on the live key: refused; the first stays.
    assert_ne!(
        try_publish(addr, KEY),
        "accepted",
        "a second publisher on a live key"
    );
    let frames_before = h.inputs()[0].frames;
    // 200 hostile connections at once: garbage, stalls mid-handshake, wrong keys.
    let mut threads = Vec::new();
    let mut held = Vec::new();
    for i in 0..200u64 {
        match i % 3 {
            0 => threads.push(std::thread::spawn(move || {
                if let Ok(mut s) = TcpStream::connect(addr) {
                    let mut seed = i + 1;
                    let junk: Vec<u8> = (0..4096)
                        .map(|_| {
                            seed ^= seed << 13;
                            seed ^= seed >> 7;
                            seed ^= seed << 17;
                            seed as u8
                        })
                        .collect();
                    let _ = s.write_all(&junk);
                }
                String::new()
            })),
            1 => {
                if let Ok(mut s) = TcpStream::connect(addr) {
                    let _ = s.write_all(&[3u8; 700]);
                    held.push(s);
                }
            }
            _ => threads.push(std::thread::spawn(move || try_publish(addr, "guess"))),
        }
    }
    let answers: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(
        !answers.iter().any(|a| a == "accepted"),
        "a wrong key was accepted: {answers:?}"
    );
    std::thread::sleep(Duration::from_secs(2));
    let input = h.inputs()[0].clone();
    assert_eq!(input.state, InputState::Live, "{input:?}");
    assert!(
        input.frames >= frames_before + 45,
        "the real input kept decoding: {} then {}",
        frames_before,
        input.frames
    );
    drop(held);
    // Inputs added and removed while live leave the live one alone (the output's frames are
    // checked below: no repeats or skips beyond a few).
    let added = h
        .set_input("cam2", &json!({"type": "rtmp", "key": "second-key"}))
        .unwrap();
    assert_eq!(added.state, InputState::Waiting);
    assert_eq!(h.inputs().len(), 2);
    std::thread::sleep(Duration::from_millis(500));
    h.remove_input("cam2").unwrap();
    assert!(
        h.remove_input("cam1").is_err(),
        "an input shown by a layer is kept"
    );
    assert_eq!(h.inputs().len(), 1);
    assert_eq!(h.inputs()[0].state, InputState::Live);
    let (accepted, _, refused) = h.input_hub().listener_counts();
    eprintln!("listener: {accepted} connections, {refused} refused or cut off");
    assert!(refused >= 130, "{refused} refused");
    let status = stream.wait().unwrap();
    let _ = real.kill();
    let _ = real.wait();
    assert_eq!(status.frames_dropped, 0, "{status:?}");
    let frames = decode_frames(&out, W, H, |rgb| barcode_rgb(rgb, W));
    check_counting(&frames, 250);
}

#[test]
fn an_srt_input_is_composed_live() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let src = clip(d, "cam.mp4", 10.0, 1);
    let port = free_port();
    let out = d.join("out.flv");
    let (stream, _listener, _) = start(
        d,
        json!({"cam1": {"type": "srt", "port": port, "host": "127.0.0.1", "latency_ms": 50}}),
        1.0,
        out.to_str().unwrap(),
        8,
    );
    // The listener (an ffmpeg of ours) needs a moment to bind.
    std::thread::sleep(Duration::from_millis(700));
    let ff = publish(
        &src,
        &format!("srt://127.0.0.1:{port}?mode=caller&latency=50000"),
        "mpegts",
    );
    live_to_the_end(stream, ff, &out, 120);
}

#[test]
fn an_rtmp_pull_input_plays_from_nginx() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let src = clip(d, "cam.mp4", 12.0, 1);
    let nginx = Nginx::start(d, free_port());
    let ff = publish(&src, &nginx.url("cam"), "flv");
    std::thread::sleep(Duration::from_millis(500));
    let out = d.join("out.flv");
    let (stream, _listener, _) = start(
        d,
        json!({"cam1": {"type": "rtmp_pull", "url": nginx.url("cam")}}),
        1.0,
        out.to_str().unwrap(),
        8,
    );
    live_to_the_end(stream, ff, &out, 120);
}

/// A publisher whose clock runs fast: `ffmpeg -readrate` sends `rate` seconds of media per
/// second. The input's clock follows it (drift reported), the arrival-to-output latency stays
/// near the buffer instead of growing, and the sound stays with the picture.
fn drift_run(rate: f64, secs: u64) {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let src = clip(d, "cam.mp4", secs as f64 * rate + 5.0, 1);
    let out = d.join("out.flv");
    let (stream, _listener, addr) = start(d, rtmp_inputs(), 1.0, out.to_str().unwrap(), secs);
    let h = stream.handle();
    let mut ff = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-nostdin",
            "-readrate",
            &rate.to_string(),
            "-i",
        ])
        .arg(&src)
        .args(["-c", "copy", "-f", "flv"])
        .arg(format!("rtmp://{addr}/live/{KEY}"))
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    assert!(wait_state(&h, InputState::Live, Duration::from_secs(5)));
    let mut latencies = Vec::new();
    let mut drifts = Vec::new();
    let mut last = None;
    let settle = Instant::now() + Duration::from_secs(10);
    while !h.is_stopped() {
        std::thread::sleep(Duration::from_millis(500));
        if let Some(i) = h.inputs().into_iter().next()
            && Instant::now() > settle
            && i.state == InputState::Live
        {
            latencies.push(i.latency_ms);
            drifts.push(i.drift_ppm);
            last = Some(i);
        }
    }
    let status = stream.wait().unwrap();
    let _ = ff.kill();
    let _ = ff.wait();
    let i = last.expect("an input status after settling");
    let n = latencies.len().max(1) as f64;
    let drift = drifts.iter().sum::<f64>() / n;
    let (lo, hi) = latencies
        .iter()
        .fold((f64::MAX, 0f64), |(lo, hi), l| (lo.min(*l), hi.max(*l)));
    eprintln!(
        "{:.1} % fast for {secs} s: drift {drift:.0} ppm on average, latency {lo:.0} to {hi:.0} ms, A/V {:.1} ms, {} repeated, {} dropped",
        (rate - 1.0) * 100.0,
        i.av_offset_ms,
        i.repeated,
        i.dropped
    );
    assert_eq!(status.frames_dropped, 0);
    let want_ppm = (rate - 1.0) * 1e6;
    assert!(
        (drift - want_ppm).abs() < want_ppm * 0.3,
        "drift {drift:.0} ppm on average, the publisher runs {want_ppm} ppm fast"
    );
    // The buffer does not grow with the drift (which would add `want_ppm` µs a second: 120 ms
    // over 40 s at 0.3 %): the latency stays within two frames.
    assert!(
        hi - lo < 2.0 * 33.4,
        "latency went from {lo:.0} to {hi:.0} ms: {latencies:?}"
    );
    assert!(
        i.av_offset_ms.abs() <= 2.0 * 33.4,
        "A/V {} ms",
        i.av_offset_ms
    );
    // Sound with the picture at the end too: beeps on the pictures of whole seconds.
    let frames = decode_frames(&out, W, H, |rgb| barcode_rgb(rgb, W));
    let onsets = beep_onsets(&sound(&out));
    let late: Vec<&f64> = onsets.iter().filter(|t| **t > secs as f64 - 10.0).collect();
    assert!(late.len() >= 5, "{onsets:?}");
    for t in late {
        let (_, n) = frames
            .iter()
            .min_by(|a, b| (a.0 - t).abs().total_cmp(&(b.0 - t).abs()))
            .unwrap();
        let off = (*n as i64 - 1 + 15).rem_euclid(30) - 15;
        assert!(
            off.abs() <= 2,
            "a beep at {t:.3} s shows clip frame {} ({off} frames off)",
            n - 1
        );
    }
}

#[test]
fn a_publisher_running_fast_is_followed_without_the_buffer_growing() {
    // 0.3 % fast for 40 s here; `INPUT_DRIFT_SECS=600 INPUT_DRIFT_RATE=1.001` runs the issue's
    // 0.1 % for 10 minutes.
    let secs = std::env::var("INPUT_DRIFT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let rate = std::env::var("INPUT_DRIFT_RATE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.003);
    drift_run(rate, secs);
}

#[test]
fn an_rtmps_publisher_is_taken_with_a_certificate() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let certs = support::make_test_certs(d);
    let src = clip(d, "cam.mp4", 8.0, 1);
    let out = d.join("out.flv");
    let (stream, _listener, addr) = start_with_tls(
        d,
        rtmp_inputs(),
        1.0,
        out.to_str().unwrap(),
        6,
        Some((certs.leaf.clone(), certs.key.clone())),
    );
    // Plain RTMP to a TLS listener: refused (the TLS handshake fails), nothing goes live.
    let plain = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(&src)
        .args(["-t", "1", "-c", "copy", "-f", "flv"])
        .arg(format!("rtmp://{addr}/live/{KEY}"))
        .output()
        .unwrap();
    assert!(!plain.status.success(), "plain RTMP to an RTMPS listener");
    let ff = publish(
        &src,
        &format!("rtmps://127.0.0.1:{}/live/{KEY}", addr.port()),
        "flv",
    );
    live_to_the_end(stream, ff, &out, 60);
}
