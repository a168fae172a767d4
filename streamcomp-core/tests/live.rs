//! The live pipeline ([`LiveStream`]) end to end against a real nginx-rtmp started by each
//! test on a free loopback port: real-time publishing with a player pulling the stream,
//! reconnection after nginx dies, one encoder feeding RTMP and a file, the latency of a live
//! change, a panicking layer, and dropped frames under overload.
//!
//! nginx-light, libnginx-mod-rtmp and ffmpeg must be installed: without them these tests fail
//! (CI installs them). Tests run one at a time (a lock), so that timing figures measure one
//! stream on the machine, not several fighting over two cores.
//!
//! Scenes are small (320x180, 30 fps) and carry a white 20x20 marker moving 10 px a frame on a
//! 1 s loop, so that a decoded picture tells which frame (mod 30) it is.

mod support;

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use streamcomp_core::{
    AssetResolver, LayerChange, LoadOptions, Scene, live::Event, live::LiveHandle,
    live::LiveOptions, live::LiveStream, live::StreamState, output::OutputTarget, test_hook,
};
use support::{
    Nginx, VideoPacket, assert_decodes, assert_h264_aac, decode_frames, free_port, mean, near,
    settle, video_packets, wait_child,
};

const KEY: &str = "live-key";
const FPS: f64 = 30.0;
const W: u32 = 320;
const H: u32 = 180;

const BACKGROUND: [u8; 3] = [0x1d, 0x35, 0x57];
const LEFT: [u8; 3] = [0xe6, 0x39, 0x46];
const RIGHT: [u8; 3] = [0x2a, 0x9d, 0x8f];
/// Colour tolerance per channel after H.264 and 4:2:0 (flat areas, away from edges).
const TOL: f64 = 16.0;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Two colour rects above a moving marker: frame n has the marker at x = 10·(n mod 30).
fn marker_scene(extra: &[Value]) -> Scene {
    let mut layers = vec![
        json!({"id": "left", "type": "rect", "x": 0, "y": 0, "width": 160, "height": 120,
               "color": "#e63946"}),
        json!({"id": "right", "type": "rect", "x": 160, "y": 0, "width": 160, "height": 120,
               "color": "#2a9d8f"}),
        json!({"id": "marker", "type": "rect", "x": 0, "y": 140, "width": 20, "height": 20,
               "color": "#ffffff",
               "animations": [{"property": "x", "from": 0, "to": 300, "duration": 1,
                               "repeat": -1}]}),
    ];
    layers.extend(extra.iter().cloned());
    scene(
        json!({"width": W, "height": H, "fps": FPS, "background": "#1d3557",
                 "layers": layers}),
    )
}

fn scene(v: Value) -> Scene {
    Scene::from_value(v, &LoadOptions::default()).unwrap()
}

fn assets() -> AssetResolver {
    AssetResolver::default().with_system_fonts(false)
}

fn options(outputs: Vec<OutputTarget>, seconds: f64) -> LiveOptions {
    let mut o = LiveOptions::default();
    o.outputs = outputs;
    o.duration = Some(Duration::from_secs_f64(seconds));
    o.video.bitrate_kbps = 600;
    o.video.keyframe_interval = 1.0;
    o.audio = Some((streamcomp_core::encode::AudioCodec::Aac, 96));
    o.rtmp.backoff_seed = Some(7);
    o
}

fn rtmp(nginx: &Nginx) -> OutputTarget {
    nginx.url(KEY).parse().unwrap()
}

/// The marker's left edge on row 150 of a 320x180 RGB picture.
fn marker_x(frame: &[u8]) -> Option<u32> {
    (0..W).find(|&x| {
        let p = support::px(frame, W, x, 150);
        p.iter().map(|&c| u32::from(c)).sum::<u32>() > 3 * 150
    })
}

/// Where the marker of the frame shown at `pts` must be.
fn expected_marker_x(pts: f64) -> u32 {
    let n = (pts * FPS).round() as i64;
    10 * n.rem_euclid(30) as u32
}

/// What the tests check in each decoded frame of a marker scene.
#[derive(Clone, Copy, Debug)]
struct Look {
    left: [f64; 3],
    right: [f64; 3],
    background: [f64; 3],
    marker: Option<u32>,
}

fn look(f: &[u8]) -> Look {
    Look {
        left: mean(f, W, (20, 20), (140, 100)),
        right: mean(f, W, (180, 20), (300, 100)),
        background: mean(f, W, (10, 125), (310, 135)),
        marker: marker_x(f),
    }
}

fn assert_looks_right(what: &str, frames: &[(f64, Look)]) {
    assert!(!frames.is_empty(), "{what}: no frames");
    for (t, l) in frames {
        assert!(near(l.left, LEFT, TOL), "{what} at {t:.3} s: left {l:?}");
        assert!(near(l.right, RIGHT, TOL), "{what} at {t:.3} s: right {l:?}");
        assert!(
            near(l.background, BACKGROUND, TOL),
            "{what} at {t:.3} s: background {l:?}"
        );
        assert!(l.marker.is_some(), "{what} at {t:.3} s: no marker");
    }
}

/// Events with the seconds since `start` at which they arrived, collected by a thread.
type EventLog = Arc<Mutex<Vec<(f64, Event)>>>;

fn collect_events(rx: Receiver<Event>, start: Instant) -> EventLog {
    let log: EventLog = Arc::default();
    let l = Arc::clone(&log);
    thread::spawn(move || {
        for e in rx {
            let t = start.elapsed().as_secs_f64();
            eprintln!("[{t:6.3} s] {e:?}");
            let stop = matches!(e, Event::Stopped { .. });
            l.lock().unwrap().push((t, e));
            if stop {
                break;
            }
        }
    });
    log
}

fn wait_event(log: &EventLog, within: Duration, pred: impl Fn(&Event) -> bool) -> Option<f64> {
    let deadline = Instant::now() + within;
    loop {
        if let Some((t, _)) = log.lock().unwrap().iter().find(|(_, e)| pred(e)) {
            return Some(*t);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// `(seconds since start, state, frames rendered)` every 20 ms until the stream stops.
type StatusLog = Arc<Mutex<Vec<(f64, StreamState, u64)>>>;

fn sample_status(h: LiveHandle, start: Instant) -> StatusLog {
    let log: StatusLog = Arc::default();
    let l = Arc::clone(&log);
    thread::spawn(move || {
        while !h.is_stopped() {
            let s = h.status();
            l.lock()
                .unwrap()
                .push((start.elapsed().as_secs_f64(), s.state, s.frames_rendered));
            thread::sleep(Duration::from_millis(20));
        }
    });
    log
}

/// ffmpeg playing `url` into `file` (stream copy) while the stream runs.
fn pull_to_file(url: &str, file: &Path, log: &Path) -> Child {
    Command::new("ffmpeg")
        // nginx does not end a play on unpublish: a read timeout does.
        .args([
            "-v",
            "info",
            "-y",
            "-nostdin",
            "-rw_timeout",
            "3000000",
            "-i",
            url,
        ])
        .args(["-c", "copy", "-f", "flv"])
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("ffmpeg is installed")
}

/// Ends a pull: by itself (read timeout) or with SIGINT.
fn end_pull(mut c: Child, log: &Path) {
    if wait_child(&mut c, Duration::from_secs(6)).is_none() {
        eprintln!("the pull did not end by itself");
    }
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(5).collect();
    eprintln!("pull log (last lines): {tail:?}");
}

/// Checks that packets are at k/fps, rising, and returns the frame numbers.
fn frame_numbers(what: &str, packets: &[VideoPacket], fps: f64) -> Vec<i64> {
    let mut last = -1i64;
    packets
        .iter()
        .map(|p| {
            let k = p.pts * fps;
            let n = k.round() as i64;
            // ffprobe prints times to 1 ms (FLV) or 1 µs (MP4).
            assert!(
                (k - n as f64).abs() < 0.002 * fps,
                "{what}: pts {} is not on a 1/{fps} s step",
                p.pts
            );
            assert!(n > last, "{what}: pts {} does not rise", p.pts);
            last = n;
            n
        })
        .collect()
}

fn rss_kb() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

// ---------------------------------------------------------------------------------------------

#[test]
fn publishes_in_real_time_and_a_player_gets_the_scene() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let nginx = Nginx::start(dir.path(), free_port());
    let start = Instant::now();
    let (tx, rx) = std::sync::mpsc::sync_channel(64);
    let mut opts = options(vec![rtmp(&nginx)], 10.0);
    opts.events = Some(tx);
    let stream = LiveStream::start(marker_scene(&[]), assets(), opts).unwrap();
    let events = collect_events(rx, start);
    thread::sleep(Duration::from_millis(500));
    let pull_file = dir.path().join("pull.flv");
    let pull_log = dir.path().join("pull.log");
    let pull = pull_to_file(&nginx.url(KEY), &pull_file, &pull_log);
    let status = stream.wait().unwrap();
    let wall = start.elapsed();
    eprintln!("wall {wall:?}; {status:?}");
    assert!(
        wall >= Duration::from_secs(10),
        "ran {wall:?}: faster than real time"
    );
    assert!(wall < Duration::from_secs(13), "ran {wall:?}");
    assert_eq!(status.state, StreamState::Stopped);
    assert_eq!(
        status.frames_encoded + status.frames_dropped,
        300,
        "{status:?}"
    );
    assert!(status.frames_dropped <= 6, "{status:?}");
    assert!(status.frames_rendered >= status.frames_encoded);
    assert_eq!(status.outputs.len(), 1);
    assert!(status.outputs[0].bytes > 10_000, "{:?}", status.outputs);
    assert!(!status.outputs[0].target.contains(KEY));
    // `wait` returns once `Stopped` is sent; the collecting thread may not have logged it yet.
    wait_event(&events, Duration::from_secs(5), |e| {
        matches!(e, Event::Stopped { .. })
    });
    let kinds: Vec<String> = events
        .lock()
        .unwrap()
        .iter()
        .map(|(_, e)| format!("{e:?}"))
        .collect();
    assert!(kinds[0].starts_with("Started"), "{kinds:?}");
    assert!(kinds[1].starts_with("OutputStarted"), "{kinds:?}");
    assert!(kinds.last().unwrap().starts_with("Stopped"), "{kinds:?}");
    settle();

    // What nginx recorded: every frame, on the stream's own clock.
    let rec = nginx.recording(KEY);
    assert_h264_aac(&rec, W, H);
    assert_decodes(&rec);
    let packets = video_packets(&rec);
    assert!(packets[0].key && packets[0].pts == 0.0, "{:?}", packets[0]);
    let numbers = frame_numbers("recording", &packets, FPS);
    assert_eq!(packets.len() as u64, status.frames_encoded);
    assert!(*numbers.last().unwrap() >= 295, "{numbers:?}");
    let frames = decode_frames(&rec, W, H, look);
    assert_looks_right("recording", &frames);
    for (t, l) in &frames {
        let want = expected_marker_x(*t);
        let got = l.marker.unwrap();
        assert!(
            got.abs_diff(want) <= 2,
            "recording at {t:.3} s: marker at {got}, want {want}"
        );
    }

    // What the player got.
    end_pull(pull, &pull_log);
    assert_h264_aac(&pull_file, W, H);
    assert_decodes(&pull_file);
    let pulled = decode_frames(&pull_file, W, H, look);
    eprintln!(
        "pulled {} frames from {:.3} to {:.3} s",
        pulled.len(),
        pulled[0].0,
        pulled.last().unwrap().0
    );
    // Joined at 0.5 s: from the key frame at 1 s to the end.
    assert!(pulled.len() >= 240, "pulled {} frames", pulled.len());
    assert_looks_right("pull", &pulled);
    // Consecutive pulled frames are consecutive stream frames: the marker moves 10 px a step.
    let steps = pulled
        .windows(2)
        .filter(|w| {
            let (a, b) = (w[0].1.marker.unwrap(), w[1].1.marker.unwrap());
            (a + 10) % 300 == b % 300 || (a == 290 && b == 0)
        })
        .count();
    assert!(
        steps + 8 >= pulled.len() - 1,
        "only {steps} of {} steps are one frame",
        pulled.len() - 1
    );
}

#[test]
fn survives_nginx_dying_and_reconnects() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut nginx = Nginx::start(dir.path(), port);
    let start = Instant::now();
    let stream = LiveStream::start(
        marker_scene(&[]),
        assets(),
        options(vec![rtmp(&nginx)], 10.0),
    )
    .unwrap();
    let handle = stream.handle();
    let events = collect_events(handle.subscribe(256), start);
    let states = sample_status(handle.clone(), start);
    thread::sleep(Duration::from_millis(3000));
    nginx.kill();
    let killed = start.elapsed().as_secs_f64();
    std::fs::copy(nginx.recording(KEY), dir.path().join("first.flv")).unwrap();
    eprintln!("[{killed:6.3} s] nginx killed");
    thread::sleep(Duration::from_millis(1000));
    nginx = Nginx::start(dir.path(), port);
    let restarted = start.elapsed().as_secs_f64();
    eprintln!("[{restarted:6.3} s] nginx restarted");
    let status = stream.wait().unwrap();
    eprintln!("{status:?}");

    // The stream went on through the outage.
    assert_eq!(status.state, StreamState::Stopped);
    assert_eq!(
        status.frames_encoded + status.frames_dropped,
        300,
        "{status:?}"
    );
    assert!(status.frames_dropped <= 6, "{status:?}");
    assert_eq!(status.outputs[0].reconnects, 1, "{:?}", status.outputs);
    let states = states.lock().unwrap().clone();
    let rendered_at = |t: f64| {
        states
            .iter()
            .rev()
            .find(|(at, _, _)| *at <= t)
            .map_or(0, |s| s.2)
    };
    let during = rendered_at(restarted) - rendered_at(killed);
    assert!(
        during >= 25,
        "{during} frames rendered while nginx was down"
    );
    let reconnecting_at = states
        .iter()
        .find(|(t, s, _)| *t > killed && *s == StreamState::Reconnecting)
        .map(|s| s.0)
        .expect("status never said reconnecting");
    let live_again_at = states
        .iter()
        .find(|(t, s, _)| *t > reconnecting_at && *s == StreamState::Live)
        .map(|s| s.0)
        .expect("status never said live again");
    let lost = wait_event(&events, Duration::ZERO, |e| {
        matches!(e, Event::Reconnecting { attempt: 1, .. })
    })
    .expect("no Reconnecting event");
    let back = wait_event(&events, Duration::ZERO, |e| {
        matches!(e, Event::Reconnected { .. })
    })
    .expect("no Reconnected event");
    eprintln!(
        "killed {killed:.3} s: Reconnecting event {lost:.3} s, status reconnecting {reconnecting_at:.3} s; \
         restarted {restarted:.3} s: Reconnected event {back:.3} s, status live {live_again_at:.3} s"
    );
    assert!(lost > killed && lost - killed < 1.5);
    assert!(back > restarted && back < lost + 8.0);
    assert!(live_again_at >= back - 0.1);
    for (_, e) in events.lock().unwrap().iter() {
        assert!(!format!("{e:?}").contains(KEY), "{e:?}");
    }
    settle();

    let first = dir.path().join("first.flv");
    assert!(video_packets(&first).len() >= 60);
    // After the restart: a new recording, starting on a key frame, running to the end.
    let rec = nginx.recording(KEY);
    assert_h264_aac(&rec, W, H);
    assert_decodes(&rec);
    let packets = video_packets(&rec);
    eprintln!(
        "second recording: {} frames, {:.3} s",
        packets.len(),
        packets.last().unwrap().pts
    );
    assert!(packets[0].key);
    let left = 10.0 - back;
    assert!(
        packets.len() as f64 >= (left - 1.5) * FPS,
        "{} frames after reconnecting at {back:.3} s",
        packets.len()
    );
    assert_looks_right("second recording", &decode_frames(&rec, W, H, look));
}

#[test]
fn one_encoder_feeds_rtmp_and_a_file_with_the_same_frames() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let nginx = Nginx::start(dir.path(), free_port());
    let mp4 = dir.path().join("rec.mp4");
    let outputs = vec![rtmp(&nginx), OutputTarget::File(mp4.clone())];
    let stream = LiveStream::start(marker_scene(&[]), assets(), options(outputs, 5.0)).unwrap();
    // The stream says it stopped by itself (duration over), before anyone calls wait().
    let handle = stream.handle();
    let deadline = Instant::now() + Duration::from_secs(12);
    while !handle.is_stopped() {
        assert!(Instant::now() < deadline, "{:?}", handle.status());
        thread::sleep(Duration::from_millis(20));
    }
    let stopped = handle.status();
    thread::sleep(Duration::from_millis(100));
    assert_eq!(handle.status().uptime, stopped.uptime, "the uptime runs on");
    assert!(
        stopped.outputs.iter().all(|o| o.state == "stopped"),
        "{stopped:?}"
    );
    let status = stream.wait().unwrap();
    eprintln!("{status:?}");
    assert_eq!(
        status.frames_encoded + status.frames_dropped,
        150,
        "{status:?}"
    );
    assert!(status.frames_rendered >= status.frames_encoded);
    assert!(status.frames_rendered - status.frames_encoded <= status.frames_dropped);
    assert_eq!(status.outputs.len(), 2);
    settle();

    let rec = nginx.recording(KEY);
    assert_h264_aac(&rec, W, H);
    assert_h264_aac(&mp4, W, H);
    assert_decodes(&rec);
    assert_decodes(&mp4);
    let (pr, pm) = (video_packets(&rec), video_packets(&mp4));
    eprintln!("rtmp {} frames, mp4 {} frames", pr.len(), pm.len());
    // Each frame was encoded once: the file has exactly the frames encoded, and the RTMP
    // recording (which may miss a few at the start while connecting) the same bitstream.
    assert_eq!(pm.len() as u64, status.frames_encoded);
    assert!(pr.len().abs_diff(pm.len()) <= 3);
    let nr = frame_numbers("rtmp", &pr, FPS);
    let nm = frame_numbers("mp4", &pm, FPS);
    let mut common = 0;
    for (i, n) in nm.iter().enumerate() {
        if let Some(j) = nr.iter().position(|m| m == n) {
            assert_eq!(pm[i].size, pr[j].size, "frame {n}: different packets");
            common += 1;
        }
    }
    assert!(common + 3 >= pm.len(), "{common} frames in common");

    // The same picture at the same time, and the right one for that time.
    let fr = decode_frames(&rec, W, H, look);
    let fm = decode_frames(&mp4, W, H, look);
    assert_looks_right("mp4", &fm);
    assert_looks_right("rtmp", &fr);
    for (t, l) in &fm {
        let want = expected_marker_x(*t);
        assert!(
            l.marker.unwrap().abs_diff(want) <= 2,
            "mp4 at {t:.3}: {l:?}, want {want}"
        );
        if let Some((_, r)) = fr.iter().find(|(u, _)| (u - t).abs() < 0.004) {
            assert_eq!(r.marker, l.marker, "at {t:.3} s");
            for c in 0..3 {
                assert!((r.left[c] - l.left[c]).abs() < 1.0, "at {t:.3} s");
            }
        }
    }
}

#[test]
fn a_live_change_shows_within_two_frames() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let nginx = Nginx::start(dir.path(), free_port());
    let s = scene(json!({"width": W, "height": H, "fps": FPS, "layers": [
        {"id": "full", "type": "rect", "x": 0, "y": 0, "width": W, "height": H, "color": "#0000ff"}
    ]}));
    let start = Instant::now();
    let stream = LiveStream::start(s, assets(), options(vec![rtmp(&nginx)], 6.0)).unwrap();
    let handle = stream.handle();

    // A player decoding to raw RGB; a thread notes when each picture arrives.
    let mut player = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-nostdin",
            "-fflags",
            "nobuffer",
            "-flags",
            "low_delay",
        ])
        .args(["-rw_timeout", "3000000", "-i", &nginx.url(KEY)])
        .args(["-map", "0:v:0", "-fps_mode", "passthrough"])
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = player.stdout.take().unwrap();
    let seen: Arc<Mutex<Vec<(Instant, bool)>>> = Arc::default();
    let reader = {
        let seen = Arc::clone(&seen);
        thread::spawn(move || {
            let mut buf = vec![0u8; (W * H * 3) as usize];
            while out.read_exact(&mut buf).is_ok() {
                let c = mean(&buf, W, (100, 60), (220, 120));
                seen.lock()
                    .unwrap()
                    .push((Instant::now(), near(c, [255, 0, 0], 40.0)));
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(4);
    while seen.lock().unwrap().len() < 20 {
        assert!(Instant::now() < deadline, "the player shows nothing");
        thread::sleep(Duration::from_millis(10));
    }
    // At a time unrelated to the frame clock.
    thread::sleep(Duration::from_millis(517));
    let uptime = handle.status().uptime;
    let applied = Instant::now();
    handle
        .apply(vec![LayerChange::Patch {
            id: "full".into(),
            patch: json!({"color": "#ff0000"}),
            transition: None,
        }])
        .unwrap();
    let apply_took = applied.elapsed();
    let status = stream.wait().unwrap();
    eprintln!("{status:?}; started {:?} ago", start.elapsed());
    assert!(status.frames_dropped <= 6, "{status:?}");
    let _ = wait_child(&mut player, Duration::from_secs(6));
    reader.join().unwrap();
    settle();

    let rec = nginx.recording(KEY);
    let frames = decode_frames(&rec, W, H, |f| {
        let c = mean(f, W, (100, 60), (220, 120));
        if near(c, [255, 0, 0], TOL) {
            'r'
        } else if near(c, [0, 0, 255], TOL) {
            'b'
        } else {
            '?'
        }
    });
    assert_eq!(frames[0].0, 0.0, "the recording starts at frame 0");
    assert!(frames.iter().all(|(_, c)| *c != '?'), "{frames:?}");
    let first_red = frames
        .iter()
        .position(|(_, c)| *c == 'r')
        .expect("never red");
    assert!(frames[first_red..].iter().all(|(_, c)| *c == 'r'));
    let red_pts = frames[first_red].0;
    let u = uptime.as_secs_f64();
    let late = red_pts - u;
    eprintln!(
        "LATENCY: apply() at stream time {u:.4} s (frame {:.2}); first red frame #{} at pts \
         {red_pts:.4} s: {:+.1} ms = {:+.2} frames; apply() took {apply_took:?}",
        u * FPS,
        (red_pts * FPS).round(),
        late * 1000.0,
        late * FPS
    );
    assert!(
        late.abs() <= 2.0 / FPS,
        "the change shows {:.1} ms after it was made",
        late * 1000.0
    );

    // Glass to glass: from apply() to the player's decoded picture.
    let seen = seen.lock().unwrap();
    let shown = seen
        .iter()
        .find(|(_, red)| *red)
        .map(|(at, _)| at.duration_since(applied))
        .expect("the player never showed red");
    eprintln!(
        "GLASS-TO-GLASS: apply() -> player's first red picture {:.1} ms ({} pictures seen)",
        shown.as_secs_f64() * 1000.0,
        seen.len()
    );
    assert!(shown < Duration::from_secs(2), "{shown:?}");
}

/// Disarms the panic hook however the test ends.
struct Disarm;

impl Drop for Disarm {
    fn drop(&mut self) {
        test_hook::panic_on_layer(None);
    }
}

#[test]
fn a_panicking_layer_is_disabled_and_the_stream_goes_on() {
    let _serial = serial();
    let _disarm = Disarm;
    let dir = tempfile::tempdir().unwrap();
    let nginx = Nginx::start(dir.path(), free_port());
    let boom = json!({"id": "boom", "type": "rect", "x": 100, "y": 30, "width": 120,
                      "height": 60, "color": "#00ff00"});
    let start = Instant::now();
    let stream = LiveStream::start(
        marker_scene(&[boom]),
        assets(),
        options(vec![rtmp(&nginx)], 5.0),
    )
    .unwrap();
    let handle = stream.handle();
    let events = collect_events(handle.subscribe(256), start);
    thread::sleep(Duration::from_millis(1500));
    test_hook::panic_on_layer(Some("boom"));
    let armed = start.elapsed().as_secs_f64();
    let failed = wait_event(
        &events,
        Duration::from_secs(3),
        |e| matches!(e, Event::LayerFailed { layer, .. } if layer == "boom"),
    )
    .expect("no LayerFailed event for `boom`");
    let r1 = handle.status().frames_rendered;
    thread::sleep(Duration::from_millis(1000));
    let s2 = handle.status();
    eprintln!("armed {armed:.3} s, LayerFailed {failed:.3} s; {s2:?}");
    assert!(
        s2.frames_rendered - r1 >= 25,
        "{} frames in 1 s",
        s2.frames_rendered - r1
    );
    assert_eq!(s2.worker_restarts, 1);
    assert!(matches!(s2.state, StreamState::Live), "{s2:?}");
    let status = stream.wait().unwrap();
    assert_eq!(status.worker_restarts, 1, "{status:?}");
    assert_eq!(
        status.frames_encoded + status.frames_dropped,
        150,
        "{status:?}"
    );
    // Finding the culprit renders each layer alone (one more panic); with RUST_BACKTRACE set
    // each panic prints a symbolised backtrace, which alone can cost a few frames.
    assert!(status.frames_dropped <= 20, "{status:?}");
    test_hook::panic_on_layer(None);
    settle();

    let rec = nginx.recording(KEY);
    assert_h264_aac(&rec, W, H);
    assert_decodes(&rec);
    let frames = decode_frames(&rec, W, H, |f| {
        near(mean(f, W, (120, 40), (200, 80)), [0, 255, 0], TOL)
    });
    assert!(
        frames.len() as u64 + 3 >= status.frames_encoded,
        "{} frames",
        frames.len()
    );
    let green = frames.iter().filter(|(_, g)| *g).count();
    let last_green = frames.iter().rposition(|(_, g)| *g).unwrap();
    eprintln!(
        "{green} frames with `boom`, the last at {:.3} s",
        frames[last_green].0
    );
    assert!(green >= 40, "{green}");
    assert!(frames[..=last_green].iter().all(|(_, g)| *g));
    assert!(frames[last_green].0 <= armed + 0.2);
    assert!(frames.len() - last_green >= 60);
}

#[test]
fn overload_drops_frames_counts_them_and_keeps_the_clock() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let nginx = Nginx::start(dir.path(), free_port());
    let mp4 = dir.path().join("overload.mp4");
    // 1920x1080 at 120 fps is more than two cores can render and encode.
    let fps = 120.0;
    let s = scene(
        json!({"width": 1920, "height": 1080, "fps": fps, "background": "#203040",
        "layers": [
            {"type": "rect", "x": 0, "y": 0, "width": 1920, "height": 1080, "color": "#336699",
             "animations": [{"property": "opacity", "from": 0.2, "to": 1, "duration": 1,
                             "repeat": -1, "alternate": true}]},
            {"type": "ellipse", "x": 0, "y": 300, "width": 400, "height": 400, "color": "#ffcc00",
             "animations": [{"property": "x", "from": 0, "to": 1500, "duration": 2, "repeat": -1}]}
        ]}),
    );
    let rss_before = rss_kb();
    let mut opts = options(vec![rtmp(&nginx), OutputTarget::File(mp4.clone())], 4.0);
    opts.video.bitrate_kbps = 4000;
    let stream = LiveStream::start(s, assets(), opts).unwrap();
    let handle = stream.handle();
    let events = collect_events(handle.subscribe(64), Instant::now());
    thread::sleep(Duration::from_millis(1200));
    let rss_1 = rss_kb();
    let mut rss_peak = rss_1;
    while !handle.is_stopped() && handle.status().uptime < Duration::from_millis(3900) {
        rss_peak = rss_peak.max(rss_kb());
        thread::sleep(Duration::from_millis(100));
    }
    let status = stream.wait().unwrap();
    let rss_after = rss_kb();
    eprintln!(
        "{status:?}\nRSS before {rss_before} kB, at 1.2 s {rss_1} kB, peak {rss_peak} kB, \
         after {rss_after} kB"
    );
    let total = (4.0 * fps) as u64;
    assert!(status.frames_dropped > 0, "{status:?}");
    assert_eq!(
        status.frames_encoded + status.frames_dropped,
        total,
        "{status:?}"
    );
    assert!(status.frames_encoded >= 20, "{status:?}");
    assert!(
        rss_peak - rss_1 < 64 * 1024,
        "RSS grew by {} kB while dropping",
        rss_peak - rss_1
    );
    assert!(
        wait_event(&events, Duration::from_secs(1), |e| matches!(
            e,
            Event::FramesDropped { .. }
        ))
        .is_some()
    );

    // The file holds the frames encoded, each at its own time n/120 s: gaps, no drift.
    assert_decodes(&mp4);
    let packets = video_packets(&mp4);
    assert_eq!(packets.len() as u64, status.frames_encoded);
    let numbers = frame_numbers("mp4", &packets, fps);
    let last = *numbers.last().unwrap();
    eprintln!(
        "{} frames, numbers {:?} … {last}",
        numbers.len(),
        &numbers[..numbers.len().min(10)]
    );
    assert!(
        last as u64 >= total - 30 && (last as u64) < total,
        "last frame {last}"
    );
    settle();
    let rec = nginx.recording(KEY);
    let pr = video_packets(&rec);
    frame_numbers("rtmp", &pr, fps);
    assert!(
        pr.len().abs_diff(packets.len()) <= 3,
        "{} vs {}",
        pr.len(),
        packets.len()
    );
}
