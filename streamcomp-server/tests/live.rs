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

/// Collects the WebSocket messages of type `kind` for `secs` seconds, on its own thread.
fn collect_ws(port: u16, kind: &'static str, secs: u64) -> std::thread::JoinHandle<Vec<Value>> {
    std::thread::spawn(move || {
        use futures_util::StreamExt;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/ws"))
                .await
                .unwrap();
            let mut got = Vec::new();
            let end = tokio::time::Instant::now() + Duration::from_secs(secs);
            while let Ok(Some(Ok(m))) = tokio::time::timeout_at(end, ws.next()).await {
                if let Ok(v) = serde_json::from_str::<Value>(m.to_text().unwrap_or(""))
                    && v["type"] == kind
                {
                    got.push(v);
                }
            }
            got
        })
    })
}

#[test]
fn an_rtmp_input_set_up_over_the_api_goes_on_air_with_events_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let nginx = Nginx::start(dir.path(), free_port());
    let ingest = free_port();
    let mut s = Server::start(&[
        ("RTMP_INGEST_PORT", &ingest.to_string()),
        ("RTMP_INGEST_ADDR", "127.0.0.1"),
    ]);
    let clip = support::barcode_clip(
        dir.path(),
        "cam.mp4",
        (320, 180),
        30,
        12.0,
        1,
        support::H264_HIGH,
    );
    // An input layer must name an input of the scene.
    let r = s.json(
        "POST",
        "/stream/layers",
        &json!({"type": "input", "input": "cam1"}),
    );
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    assert!(String::from_utf8_lossy(&r.body).contains("no input `cam1`"));
    // A bad input is a clear error naming the field.
    let r = s.json("PUT", "/stream/inputs/cam1", &json!({"type": "rtmp"}));
    assert_eq!(r.status, 422);
    assert!(
        String::from_utf8_lossy(&r.body).contains("key"),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let r = s.json(
        "PUT",
        "/stream/inputs/cam1",
        &json!({"type": "rtmp", "key": "k-secret"}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["state"], "waiting");
    assert!(
        !String::from_utf8_lossy(&r.body).contains("k-secret"),
        "the status shows no key"
    );
    let layer = json!({"id": "cam", "type": "input", "input": "cam1", "width": 320, "height": 180,
                       "fallback": "black"});
    let r = s.json("POST", "/stream/layers", &layer);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let events = collect_ws(s.port, "inputEvent", 9);
    go_live(&s, &nginx.url(KEY));
    let mut ff = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-re", "-i"])
        .arg(&clip)
        .args(["-c", "copy", "-f", "flv"])
        .arg(format!("rtmp://127.0.0.1:{ingest}/live/k-secret"))
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the input to be live", Duration::from_secs(10), || {
        s.get("/stream/inputs").json()["inputs"][0]["state"] == "live"
    });
    std::thread::sleep(Duration::from_millis(3000));
    let inputs = s.get("/stream/inputs").json();
    let cam = &inputs["inputs"][0];
    assert_eq!(cam["name"], "cam1");
    assert_eq!(cam["codec"], "h264");
    assert_eq!(cam["audio_codec"], "aac");
    assert_eq!(
        (cam["width"].as_u64(), cam["height"].as_u64()),
        (Some(320), Some(180))
    );
    assert!(cam["frames"].as_u64().unwrap() >= 60, "{cam}");
    assert!(cam["bitrate_kbps"].as_u64().unwrap() > 0, "{cam}");
    assert!(!inputs.to_string().contains("k-secret"));
    assert_eq!(inputs["listener"]["connections"], 1, "{inputs}");
    let metrics = String::from_utf8(s.get("/metrics").body).unwrap();
    assert_eq!(
        common::metric(&metrics, "streamcomp_input_up{input=\"cam1\"}"),
        Some(1.0),
        "{metrics}"
    );
    // Refused while a layer shows it.
    let r = s.req("DELETE", "/stream/inputs/cam1", b"");
    assert_eq!(r.status, 409, "{}", String::from_utf8_lossy(&r.body));
    let _ = ff.kill();
    let _ = ff.wait();
    wait_for("the input to be waiting", Duration::from_secs(5), || {
        s.get("/stream/inputs").json()["inputs"][0]["state"] == "waiting"
    });
    go_off_air(&s);
    let states: Vec<Value> = events
        .join()
        .unwrap()
        .iter()
        .map(|e| e["state"].clone())
        .collect();
    assert_eq!(
        states,
        [json!("live"), json!("waiting")],
        "inputEvent messages"
    );
    let frames = decode_frames(&nginx.recording(KEY), 320, 180, |rgb| {
        support::barcode_rgb(rgb, 320)
    });
    let shown: Vec<u32> = frames.iter().map(|(_, n)| *n).filter(|n| *n > 0).collect();
    assert!(shown.len() >= 30, "{} frames showed the input", shown.len());
    assert!(shown.windows(2).all(|w| w[1] >= w[0]), "{shown:?}");
    // The input is saved with the layers.
    s.restart();
    let inputs = s.get("/stream/inputs").json();
    assert_eq!(inputs["inputs"][0]["name"], "cam1", "{inputs}");
    assert_eq!(s.get("/stream/layers").json()[0]["input"], "cam1");
    s.json("DELETE", "/stream/layers/cam", &json!({}));
    let r = s.req("DELETE", "/stream/inputs/cam1", b"");
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(s.get("/stream/inputs").json()["inputs"], json!([]));
}
