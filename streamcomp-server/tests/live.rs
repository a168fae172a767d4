//! The server on air: `POST /stream/control` starts a stream to a real nginx-rtmp (Debian
//! `nginx-light` + `libnginx-mod-rtmp`) on a free loopback port, a player (`ffmpeg` pulling
//! the stream) receives it, a layer update made while live shows in what the player got, and
//! the status, events and metrics say so. Missing programs fail the test with what to install.

#[path = "../../streamcomp-core/tests/support/mod.rs"]
mod support;

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::Server;
use support::{Nginx, decode_frames, free_port, mean, near, settle, wait_child};

const KEY: &str = "server-live-key";

fn wait_for(what: &str, within: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts the server's stream to `url` and waits until it is live.
fn go_live(s: &Server, url: &str) {
    let r = s.json(
        "POST",
        "/stream/control",
        &json!({"action": "start", "url": url}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    wait_for("the stream to be live", Duration::from_secs(15), || {
        s.get("/stream/status").json()["state"] == "live"
    });
}

/// Stops the server's stream and waits until it is off air and nginx has written it.
fn go_off_air(s: &Server) {
    let r = s.json("POST", "/stream/control", &json!({"action": "stop"}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    wait_for("the stream to go off air", Duration::from_secs(15), || {
        s.get("/stream/status").json()["state"] != "live"
    });
    settle();
}

#[test]
fn control_starts_a_stream_and_a_layer_update_reaches_the_player() {
    let dir = tempfile::tempdir().unwrap();
    let nginx = Nginx::start(dir.path(), free_port());
    let s = Server::start(&[("STREAM_BITRATE", "1500")]);
    // A red box at the left; the background is black.
    let r = s.json(
        "POST",
        "/stream/layers",
        &json!({"id": "box", "type": "rect", "x": 20, "y": 40, "width": 100, "height": 100,
                "color": "#ff0000"}),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));

    let url = nginx.url(KEY);
    go_live(&s, &url);
    let status = s.get("/stream/status").json();
    let shown = status.to_string();
    assert!(
        !shown.contains(KEY),
        "the stream key shows in the status: {shown}"
    );
    assert_eq!(status["outputs"][0]["state"], "live", "{status}");

    // A player joins.
    let pulled = dir.path().join("pulled.flv");
    let mut player = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-y", "-i", &url])
        .args(["-t", "5", "-c", "copy", "-f", "flv"])
        .arg(&pulled)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("ffmpeg is installed");
    std::thread::sleep(Duration::from_millis(2500));

    // The box turns green and moves right, while live.
    let r = s.json(
        "PUT",
        "/stream/layers/box",
        &json!({"color": "#00ff00", "x": 180}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // The player takes 5 s of the stream, then leaves.
    if wait_child(&mut player, Duration::from_secs(20)).is_none() {
        panic!(
            "the player did not get 5 s of the stream within 20 s; status: {}; recorded: {:?}",
            s.get("/stream/status").json(),
            std::fs::metadata(nginx.recording(KEY)).map(|m| m.len())
        );
    }

    go_off_air(&s);

    // What the player received: red at the left first, then green at the right.
    let frames = decode_frames(&pulled, 320, 180, |f| {
        (
            mean(f, 320, (40, 60), (100, 120)),
            mean(f, 320, (200, 60), (260, 120)),
        )
    });
    assert!(frames.len() > 30, "only {} frames pulled", frames.len());
    let red_left = frames
        .iter()
        .position(|(_, (l, _))| near(*l, [255, 0, 0], 40.0));
    let green_right = frames
        .iter()
        .position(|(_, (l, r))| near(*r, [0, 255, 0], 40.0) && near(*l, [0, 0, 0], 40.0));
    let (Some(red), Some(green)) = (red_left, green_right) else {
        panic!(
            "expected red-left then green-right frames; got (left, right) means: {:?}",
            frames
                .iter()
                .step_by(10)
                .map(|(t, v)| (*t, *v))
                .collect::<Vec<_>>()
        );
    };
    assert!(red < green, "the update came before the red frames");
    // Once green, it stays green (no flicker back).
    assert!(
        frames[green..]
            .iter()
            .all(|(_, (_, r))| near(*r, [0, 255, 0], 40.0)),
        "the box went back after the update"
    );

    // The metrics moved, with per-frame timings from the core.
    let m = String::from_utf8(s.get("/metrics").body).unwrap();
    for name in [
        "streamcomp_frame_render_seconds_count",
        "streamcomp_frame_encode_seconds_count",
    ] {
        let count: f64 = m
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().last()?.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from /metrics"));
        assert!(count > 30.0, "{name} = {count}");
    }
    let bytes: f64 = m
        .lines()
        .find(|l| l.starts_with("streamcomp_output_bytes_total"))
        .and_then(|l| l.split_whitespace().last()?.parse().ok())
        .expect("streamcomp_output_bytes_total");
    assert!(bytes > 10_000.0, "output bytes {bytes}");
    // Frames may drop when the machine is busy with other tests; not one in ten.
    let last: Value = s.get("/stream/status").json();
    let dropped = last["frames"]["dropped"].as_u64().unwrap();
    let rendered = last["frames"]["rendered"].as_u64().unwrap();
    assert!(dropped * 10 < rendered, "{last}");
}

/// Seek, next and pause through `POST /stream/layers/v/media` on a live stream to nginx-rtmp:
/// what nginx recorded (what a player pulls) shows the frame asked for within two frames of
/// each action.
#[test]
fn media_actions_over_http_show_the_frame_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let nginx = Nginx::start(dir.path(), free_port());
    let s = Server::start(&[("STREAM_BITRATE", "1500")]);
    let assets = s.dir.join("assets");
    std::fs::create_dir_all(&assets).unwrap();
    // Frames 0.. of a.mp4, frames 1000.. of b.mp4, 10 s each, at the stream's 320x180.
    support::barcode_clip(
        &assets,
        "a.mp4",
        (320, 180),
        30,
        10.0,
        0,
        support::H264_HIGH,
    );
    support::barcode_clip(
        &assets,
        "b.mp4",
        (320, 180),
        30,
        10.0,
        1000,
        support::H264_HIGH,
    );
    let layer =
        json!({"id": "v", "type": "video", "playlist": [{"src": "a.mp4"}, {"src": "b.mp4"}]});
    let r = s.json("POST", "/stream/layers", &layer);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let url = nginx.url(KEY);
    go_live(&s, &url);
    let media = |body: Value| {
        let r = s.json("POST", "/stream/layers/v/media", &body);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        r.json()
    };
    let uptime = || {
        s.get("/stream/status").json()["uptime_seconds"]
            .as_f64()
            .unwrap()
    };
    std::thread::sleep(Duration::from_millis(1500));
    let seek = media(json!({"action": "seek", "t": 7.0}));
    let seek_at = seek["playback"]["at"].as_f64().unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    let next = media(json!({"action": "next"}));
    let next_at = next["playback"]["at"].as_f64().unwrap();
    assert_eq!(next["media"]["item"], 1, "{next}");
    std::thread::sleep(Duration::from_millis(1200));
    let pause = media(json!({"action": "pause"}));
    let pause_at = pause["playback"]["at"].as_f64().unwrap();
    let paused_on = pause["playback"]["position"].as_f64().unwrap();
    assert_eq!(pause["media"]["state"], "paused", "{pause}");
    while uptime() < pause_at + 1.5 {
        std::thread::sleep(Duration::from_millis(100));
    }
    go_off_air(&s);
    let frames = decode_frames(&nginx.recording(KEY), 320, 180, |rgb| {
        support::barcode_rgb(rgb, 320)
    });
    // The recording's time 0 is the live stream's first frame, and going live starts the
    // scene clock at 0 with it (layers keep their age): a frame's pts is its scene time.
    // Two frames of the stream (the test server runs at 15 fps).
    let slack = 2.0 / 15.0;
    let mut checked = [0; 3];
    for (pts, got) in &frames {
        let t = *pts;
        let want = if t > seek_at + slack && t < next_at - slack {
            Some(((7.0 + t - seek_at) * 30.0).floor())
        } else if t > next_at + slack && t < pause_at - slack {
            Some(1000.0 + ((t - next_at) * 30.0).floor())
        } else if t > pause_at + slack {
            Some(1000.0 + (paused_on * 30.0).floor())
        } else {
            None
        };
        if let Some(w) = want {
            assert!(
                (f64::from(*got) - w).abs() <= 2.0,
                "at scene time {t:.3} s (seek {seek_at:.3}, next {next_at:.3}, pause {pause_at:.3}): frame {got}, want {w}"
            );
            let k = if t < next_at {
                0
            } else if t < pause_at {
                1
            } else {
                2
            };
            checked[k] += 1;
        }
    }
    // About 1.2 s of each at the test server's 15 fps.
    assert!(
        checked.iter().all(|&c| c > 12),
        "frames checked per action: {checked:?}"
    );
}
