//! The HTTP API against the real binary: every endpoint, every error code, persistence across
//! restarts and `kill -9`, and a burst of hostile requests.

mod common;

use common::{Server, eventually, metric, raw};
use serde_json::{Value, json};

fn rect(id: &str, x: i64) -> Value {
    json!({"id": id, "type": "rect", "x": x, "y": 10, "width": 40, "height": 20, "color": "#ff0000"})
}

fn ids(s: &Server) -> Vec<String> {
    let r = s.get("/stream/layers");
    assert_eq!(r.status, 200);
    r.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect()
}

fn error_of(r: &common::Res) -> (u16, String, String) {
    let j = r.json();
    let e = &j["error"];
    assert!(e["message"].is_string(), "{j}");
    (
        r.status,
        e["code"].as_str().unwrap().to_string(),
        e["path"].as_str().unwrap().to_string(),
    )
}

#[test]
fn layers_crud_batch_and_error_codes() {
    let s = Server::start(&[("MAX_LAYERS", "4")]);
    // Create: 201 with bounds; generated id.
    let r = s.json("POST", "/stream/layers", &rect("a", 0));
    assert_eq!(r.status, 201);
    assert_eq!(
        r.json()["bounds"],
        json!({"x": 0.0, "y": 10.0, "width": 40.0, "height": 20.0})
    );
    let r = s.json(
        "POST",
        "/stream/layers",
        &json!({"type": "text", "text": "Hi", "font_size": 20, "z": -1}),
    );
    assert_eq!(r.status, 201);
    let text = r.json();
    assert_eq!(text["id"], "text-1");
    assert!(text["bounds"]["width"].as_f64().unwrap() > 10.0, "{text}");
    // Stacking order: z first.
    assert_eq!(ids(&s), ["text-1", "a"]);
    // Read one; 404 for a missing one.
    assert_eq!(s.get("/stream/layers/a").json()["x"], 0);
    assert_eq!(error_of(&s.get("/stream/layers/nope")).0, 404);
    // Update by merge patch, with a transition; null removes a field.
    let r = s.json(
        "PUT",
        "/stream/layers/a",
        &json!({"x": 100, "color": null, "transition": {"duration": 0.2}}),
    );
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["x"], 100);
    assert!(r.json().get("color").is_none());
    assert_eq!(
        error_of(&s.json("PUT", "/stream/layers/zz", &json!({"x": 1}))).0,
        404
    );
    // Errors: 400 malformed, 409 duplicate and limit, 422 invalid with the path.
    assert_eq!(
        error_of(&s.req("POST", "/stream/layers", b"{nope")),
        (400, "malformed".into(), "".into())
    );
    assert_eq!(
        error_of(&s.json("POST", "/stream/layers", &rect("a", 0))).0,
        409
    );
    let r = s.json(
        "POST",
        "/stream/layers",
        &json!({"type": "rect", "width": 5, "height": 5, "opacity": 1.5}),
    );
    assert_eq!(error_of(&r), (422, "invalid".into(), "opacity".into()));
    assert_eq!(
        r.json()["error"]["message"],
        "opacity: must be between 0 and 1, got 1.5"
    );
    assert_eq!(
        error_of(&s.json("POST", "/stream/layers", &json!([1, 2]))).0,
        422
    );
    assert_eq!(
        error_of(&s.json("PUT", "/stream/layers/a", &json!({"id": "b"}))).0,
        422
    );
    // Batch: all or nothing.
    let bad = json!({"ops": [
        {"op": "create", "layer": rect("b", 1)},
        {"op": "update", "id": "a", "layer": {"opacity": 7}}]});
    let r = s.json("POST", "/stream/layers/batch", &bad);
    assert_eq!(error_of(&r).0, 422);
    assert_eq!(
        ids(&s),
        ["text-1", "a"],
        "nothing of a refused batch is applied"
    );
    let good = json!({"ops": [
        {"op": "create", "id": "b", "layer": rect("b", 1)},
        {"op": "update", "id": "a", "layer": {"y": 50}},
        {"op": "delete", "id": "text-1"}]});
    let r = s.json("POST", "/stream/layers/batch", &good);
    assert_eq!(r.status, 200, "{:?}", r.json());
    let results = r.json()["results"].clone();
    assert_eq!(results[0]["id"], "b");
    assert_eq!(results[1]["y"], 50);
    assert_eq!(results[2], Value::Null);
    assert_eq!(ids(&s), ["a", "b"]);
    // A layer made and removed in one batch: both answered, nothing left.
    let r = s.json(
        "POST",
        "/stream/layers/batch",
        &json!({"ops": [
            {"op": "create", "id": "tmp", "layer": rect("tmp", 2)},
            {"op": "delete", "id": "tmp"}]}),
    );
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["results"], json!([null, null]));
    assert_eq!(ids(&s), ["a", "b"]);
    let r = s.json(
        "POST",
        "/stream/layers/batch",
        &json!({"ops": [{"op": "explode"}]}),
    );
    assert_eq!(error_of(&r), (422, "invalid".into(), "ops[0].op".into()));
    // Layer limit: MAX_LAYERS=4.
    for id in ["c", "d"] {
        assert_eq!(s.json("POST", "/stream/layers", &rect(id, 0)).status, 201);
    }
    let r = s.json("POST", "/stream/layers", &rect("e", 0));
    assert_eq!(error_of(&r), (409, "layer_limit".into(), "".into()));
    // Delete: at once, and with a fade (gone from the list at once, from the scene after).
    assert_eq!(s.req("DELETE", "/stream/layers/c", b"").status, 200);
    assert_eq!(
        s.req("DELETE", "/stream/layers/d?fade=0.3", b"").json()["fade"],
        0.3
    );
    assert_eq!(ids(&s), ["a", "b"]);
    assert_eq!(
        error_of(&s.req("DELETE", "/stream/layers/d?fade=-2", b"")).0,
        422
    );
    assert_eq!(
        error_of(&s.req("DELETE", "/stream/layers/nope", b"")).0,
        404
    );
    // Unknown endpoint.
    assert_eq!(error_of(&s.get("/stream/nothing")).0, 404);
}

#[test]
fn assets_preview_control_status_metrics_and_token() {
    let out = "live.mp4";
    let s = Server::start(&[("API_TOKEN", "t0ken"), ("STREAM_URL", out)]);
    // Token: 401 in our format without it; health and panel stay open.
    let r = raw(s.port, "GET", "/stream/status", &[], b"").unwrap();
    assert_eq!(error_of(&r).0, 401);
    let r = raw(
        s.port,
        "GET",
        "/stream/status",
        &["Authorization: Bearer wrong"],
        b"",
    )
    .unwrap();
    assert_eq!(r.status, 401);
    for open in ["/healthz", "/readyz", "/"] {
        assert_eq!(
            raw(s.port, "GET", open, &[], b"").unwrap().status,
            200,
            "{open}"
        );
    }
    // Status while idle: composing, frames moving.
    let st = s.get("/stream/status").json();
    assert_eq!(st["state"], "idle");
    assert_eq!(st["resolution"], "320x180");
    // Assets: upload a PNG (the preview itself), use it in a layer.
    let png = s.get("/stream/preview.png?width=64");
    assert_eq!(png.status, 200);
    assert!(png.headers.contains("image/png"));
    assert_eq!(&png.body[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(u32::from_be_bytes(png.body[16..20].try_into().unwrap()), 64);
    let r = s.req("PUT", "/assets/logo.png", &png.body);
    assert_eq!(r.status, 201, "{:?}", r.json());
    assert!(s.dir.join("assets/logo.png").exists());
    let img = json!({"id": "logo", "type": "image", "src": "logo.png", "x": 5, "y": 5});
    let r = s.json("POST", "/stream/layers", &img);
    assert_eq!(r.status, 201, "{:?}", r.json());
    assert_eq!(r.json()["bounds"]["width"], 64.0, "natural size");
    // Confinement: no path leaves ASSETS_DIR; missing files are refused up front.
    for src in [
        "../state/default.json",
        "/etc/hostname",
        "assets/../../x.png",
    ] {
        let r = s.json(
            "POST",
            "/stream/layers",
            &json!({"type": "image", "src": src}),
        );
        assert_eq!(r.status, 422, "{src}: {:?}", r.json());
    }
    let r = s.json(
        "POST",
        "/stream/layers",
        &json!({"type": "image", "src": "missing.png"}),
    );
    assert_eq!(r.status, 404, "{:?}", r.json());
    let r = s.json(
        "POST",
        "/stream/layers",
        &json!({"type": "image", "src": "http://example.com/a.png"}),
    );
    assert_eq!(
        r.status,
        422,
        "remote hosts not allow-listed: {:?}",
        r.json()
    );
    assert_eq!(
        error_of(&s.req("PUT", "/assets/..%2Fx.png", &png.body)).0,
        422
    );
    assert_eq!(error_of(&s.req("PUT", "/assets/evil.sh", &png.body)).0, 422);
    assert_eq!(
        error_of(&s.req("PUT", "/assets/fake.png", b"not a png")).0,
        422
    );
    assert_eq!(
        error_of(&s.req("PUT", "/assets/big.png", &vec![0u8; 33 << 20])).0,
        413
    );
    assert_eq!(
        error_of(&s.req("POST", "/stream/layers", &vec![b' '; 5 << 20])).0,
        413
    );
    // MJPEG: a multipart stream of JPEGs.
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    use std::io::{Read, Write};
    write!(conn, "GET /stream/preview.mjpeg?width=160 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken\r\n\r\n").unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(2).any(|w| w == [0xff, 0xd8]) && got.len() < 1 << 20 {
        let n = conn.read(&mut buf).unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    assert!(text.contains("multipart/x-mixed-replace"), "{text}");
    assert!(text.contains("Content-Type: image/jpeg"), "{text}");
    drop(conn);
    // Control: URLs from requests must be RTMP; STREAM_URL may be a file.
    let r = s.json(
        "POST",
        "/stream/control",
        &json!({"action": "start", "url": "/tmp/x.mp4"}),
    );
    assert_eq!(error_of(&r), (422, "invalid".into(), "urls[0]".into()));
    assert_eq!(
        error_of(&s.json("POST", "/stream/control", &json!({"action": "fly"}))).0,
        422
    );
    let r = s.json("POST", "/stream/control", &json!({"action": "start"}));
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["live"], true);
    assert_eq!(
        error_of(&s.json("POST", "/stream/control", &json!({"action": "start"}))).0,
        409
    );
    assert!(eventually(10, || s.get("/stream/status").json()["frames"]
        ["encoded"]
        .as_u64()
        > Some(10)));
    let st = s.get("/stream/status").json();
    assert_eq!(st["state"], "live");
    assert_eq!(st["outputs"][0]["target"], out);
    assert_eq!(st["layers"], 1);
    // A change while live, then restart and stop.
    assert_eq!(
        s.json("PUT", "/stream/layers/logo", &json!({"x": 50}))
            .status,
        200
    );
    assert_eq!(
        s.json("POST", "/stream/control", &json!({"action": "restart"}))
            .status,
        200
    );
    assert_eq!(
        s.get("/stream/layers/logo").json()["x"],
        50,
        "the scene survives a restart"
    );
    // The restarted stream writes the file anew: let it write some frames before stopping
    // (under load, a stop right after the restart left only the file's header).
    assert!(eventually(10, || s.get("/stream/status").json()["frames"]
        ["encoded"]
        .as_u64()
        > Some(10)));
    let r = s.json("POST", "/stream/control", &json!({"action": "stop"}));
    assert_eq!(r.json()["state"], "idle");
    assert!(std::fs::metadata(s.dir.join(out)).unwrap().len() > 1000);
    // OpenAPI.
    let api = s.get("/openapi.json").json();
    assert!(api["openapi"].as_str().unwrap().starts_with("3."));
    assert!(api["paths"]["/stream/layers/{id}"].is_object());
    // Metrics: names present on both ports, counters moving.
    let m1 = String::from_utf8(s.get("/metrics").body).unwrap();
    for name in [
        "streamcomp_frames_rendered_total",
        "streamcomp_frames_dropped_total",
        "streamcomp_frames_encoded_total",
        "streamcomp_frame_render_seconds_bucket",
        "streamcomp_frame_encode_seconds_bucket",
        "streamcomp_layers",
        "streamcomp_stream_up",
        "streamcomp_output_bytes_total",
        "streamcomp_output_reconnects_total",
        "streamcomp_ws_connections",
        "streamcomp_store_operation_seconds_bucket",
        "streamcomp_worker_restarts_total",
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
    ] {
        assert!(m1.contains(name), "{name} missing from /metrics");
    }
    assert!(m1.contains("streamcomp_store_operation_seconds_count{operation=\"save\"}"));
    let rendered = |t: &str| metric(t, "streamcomp_frames_rendered_total").unwrap();
    let r1 = rendered(&m1);
    assert!(metric(&m1, "streamcomp_output_bytes_total").unwrap() > 1000.0);
    assert!(
        eventually(5, || {
            let m2 = String::from_utf8(
                raw(s.metrics_port, "GET", "/metrics", &[], b"")
                    .unwrap()
                    .body,
            )
            .unwrap();
            rendered(&m2) > r1
        }),
        "frames_rendered_total moves"
    );
}

#[test]
fn state_survives_restart_and_kill_9() {
    let mut s = Server::start(&[("STREAM_URL", "out.flv")]);
    assert_eq!(s.json("POST", "/stream/layers", &rect("a", 1)).status, 201);
    assert_eq!(
        s.json(
            "POST",
            "/stream/layers",
            &json!({"id": "t", "type": "text", "text": "x"})
        )
        .status,
        201
    );
    // Acknowledged, then killed at once: nothing lost.
    assert_eq!(
        s.json("PUT", "/stream/layers/a", &json!({"x": 77})).status,
        200
    );
    s.kill9();
    s.restart();
    assert_eq!(ids(&s), ["a", "t"]);
    assert_eq!(s.get("/stream/layers/a").json()["x"], 77);
    assert!(s.get("/stream/layers/a").json()["bounds"].is_object());
    // Deletion, too.
    assert_eq!(s.req("DELETE", "/stream/layers/t", b"").status, 200);
    s.restart();
    assert_eq!(ids(&s), ["a"]);
    // Live when killed: not resumed by default, but remembered (start resumes it).
    assert_eq!(
        s.json("POST", "/stream/control", &json!({"action": "start"}))
            .status,
        200
    );
    s.restart();
    let st = s.get("/stream/status").json();
    assert_eq!(
        (st["live"].clone(), st["was_live"].clone()),
        (json!(false), json!(true))
    );
    // Graceful stop (SIGTERM): exit 0, state kept; RESUME=true goes live again by itself.
    assert_eq!(s.terminate(), Some(0));
    s.set_env("RESUME", "true");
    s.restart();
    let st = s.get("/stream/status").json();
    assert_eq!(
        (st["live"].clone(), st["was_live"].clone()),
        (json!(true), json!(false)),
        "{st}"
    );
    assert_eq!(ids(&s), ["a"]);
}

#[test]
fn hostile_burst_no_5xx_no_crash_no_layer_lost() {
    // Without the server's own HLS, a start with no URL has no output: refused like the rest.
    let mut s = Server::start(&[("HLS_MEMORY", "false")]);
    for i in 0..3 {
        assert_eq!(
            s.json("POST", "/stream/layers", &rect(&format!("keep{i}"), i))
                .status,
            201
        );
    }
    let long_id = "x".repeat(5000);
    let deep = "[".repeat(10_000);
    let bodies: Vec<(&str, String, Vec<u8>)> = vec![
        ("POST", "/stream/layers".into(), b"".to_vec()),
        ("POST", "/stream/layers".into(), b"null".to_vec()),
        ("POST", "/stream/layers".into(), b"\xff\xfe".to_vec()),
        ("POST", "/stream/layers".into(), deep.into_bytes()),
        (
            "POST",
            "/stream/layers".into(),
            br#"{"type":"image","src":"../../../../etc/shadow"}"#.to_vec(),
        ),
        (
            "POST",
            "/stream/layers".into(),
            br#"{"type":"image","src":"data:image/png;base64,AAAA"}"#.to_vec(),
        ),
        (
            "POST",
            "/stream/layers".into(),
            br#"{"type":"text","text":"x","font":"/etc/passwd"}"#.to_vec(),
        ),
        (
            "POST",
            "/stream/layers".into(),
            br#"{"type":"rect","width":1e308,"height":1e308}"#.to_vec(),
        ),
        (
            "POST",
            "/stream/layers".into(),
            br#"{"id":"keep0","type":"rect","width":1,"height":1}"#.to_vec(),
        ),
        (
            "PUT",
            "/stream/layers/keep0".into(),
            br#"{"type":"ellipse","x":"y"}"#.to_vec(),
        ),
        ("PUT", "/stream/layers/keep0".into(), b"[]".to_vec()),
        ("PUT", format!("/stream/layers/{long_id}"), b"{}".to_vec()),
        ("DELETE", "/stream/layers/%2e%2e".into(), b"".to_vec()),
        (
            "DELETE",
            "/stream/layers/keep1?fade=1e400".into(),
            b"".to_vec(),
        ),
        (
            "POST",
            "/stream/layers/batch".into(),
            br#"{"ops":[{"op":"delete","id":"keep1"},{"op":"delete","id":"nope"}]}"#.to_vec(),
        ),
        (
            "POST",
            "/stream/layers/batch".into(),
            br#"{"ops":"all"}"#.to_vec(),
        ),
        (
            "POST",
            "/stream/control".into(),
            br#"{"action":"start","urls":["rtmp://"]}"#.to_vec(),
        ),
        (
            "POST",
            "/stream/control".into(),
            br#"{"action":"start"}"#.to_vec(),
        ),
        ("PUT", "/assets/%00.png".into(), b"x".to_vec()),
        ("PUT", "/assets/%FF%FE.png".into(), b"x".to_vec()),
        ("PUT", "/assets/a.png".into(), b"".to_vec()),
        ("GET", "/stream/preview.png?width=0".into(), b"".to_vec()),
        ("GET", "/stream/preview.png?width=abc".into(), b"".to_vec()),
        ("GET", "/ws".into(), b"".to_vec()),
        ("POST", "/stream/layers".into(), vec![b'{'; 6 << 20]),
    ];
    for round in 0..3 {
        for (m, p, b) in &bodies {
            let r = s.request(m, p, &[], b);
            assert!(
                r.status < 500,
                "round {round}: {m} {p} gave {}: {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            );
            assert!(
                r.status >= 400,
                "{m} {p} was accepted: {}",
                String::from_utf8_lossy(&r.body)
            );
            if r.status != 413 || !r.body.is_empty() {
                let _ = r.json()["error"]["code"]
                    .as_str()
                    .expect("our error format");
            }
        }
    }
    // Garbage on the socket, half requests.
    for junk in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n",
        b"\x00\x01\x02",
    ] {
        let mut c = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        use std::io::Write;
        let _ = c.write_all(junk);
    }
    assert!(s.alive());
    assert_eq!(ids(&s), ["keep0", "keep1", "keep2"]);
    assert_eq!(s.get("/readyz").status, 200);
}

#[test]
fn video_layer_and_media_actions() {
    let s = Server::start(&[]);
    let clip = s.dir.join("assets/clip.mp4");
    std::fs::create_dir_all(clip.parent().unwrap()).unwrap();
    let made = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=320x180:r=30",
            "-t",
            "4",
        ])
        .args(["-c:v", "libx264", "-bf", "3", "-pix_fmt", "yuv420p"])
        .arg(&clip)
        .status()
        .expect("ffmpeg is installed");
    assert!(made.success());
    let layer = json!({"id": "v", "type": "video", "src": "clip.mp4", "loop": true,
                       "width": 160, "height": 90});
    let r = s.json("POST", "/stream/layers", &layer);
    assert_eq!(r.status, 201, "{:?}", r.json());
    let v = r.json();
    assert_eq!(v["media"]["state"], "playing");
    assert_eq!(v["media"]["duration"], 4.0);
    assert_eq!(v["bounds"]["width"], 160.0);
    let r = s.json(
        "POST",
        "/stream/layers/v/media",
        &json!({"action": "seek", "t": 2.5}),
    );
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["media"]["position"], 2.5);
    let r = s.json(
        "POST",
        "/stream/layers/v/media",
        &json!({"action": "pause"}),
    );
    let paused = r.json()["media"].clone();
    assert_eq!(paused["state"], "paused");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let now = s.get("/stream/layers/v").json()["media"].clone();
    assert_eq!(now, paused, "a paused layer stands still");
    // Errors: an unknown action, a missing layer, a layer that is not a video, a missing file.
    let r = s.json(
        "POST",
        "/stream/layers/v/media",
        &json!({"action": "rewind"}),
    );
    assert_eq!(error_of(&r).0, 422);
    assert_eq!(error_of(&r).2, "action");
    let r = s.json(
        "POST",
        "/stream/layers/nope/media",
        &json!({"action": "pause"}),
    );
    assert_eq!(error_of(&r).0, 404);
    s.json("POST", "/stream/layers", &rect("box", 0));
    let r = s.json(
        "POST",
        "/stream/layers/box/media",
        &json!({"action": "pause"}),
    );
    assert_eq!(error_of(&r).0, 422);
    let missing = json!({"id": "m", "type": "video", "src": "missing.mp4"});
    let r = s.json("POST", "/stream/layers", &missing);
    assert_eq!(error_of(&r).0, 404, "{:?}", r.json());
    let garbage = s.dir.join("assets/garbage.mp4");
    std::fs::write(&garbage, b"not a video at all").unwrap();
    let r = s.json(
        "POST",
        "/stream/layers",
        &json!({"id": "g", "type": "video", "src": "garbage.mp4"}),
    );
    let (status, _, path) = error_of(&r);
    assert!(status == 422 || status == 501, "{:?}", r.json());
    assert_eq!(path, "layers[2].src");
    // The next item: queue one, then skip to it.
    let r = s.json(
        "POST",
        "/stream/layers/v/media",
        &json!({"action": "queue", "item": {"src": "clip.mp4", "in": 1.0}}),
    );
    assert_eq!(r.json()["media"]["items"], 2);
    let r = s.json("POST", "/stream/layers/v/media", &json!({"action": "next"}));
    assert_eq!(r.json()["media"]["item"], 1);
    assert_eq!(r.json()["media"]["position"], 1.0);
    // `on_end: "remove"`: the last half second of the clip, then the layer is gone from the
    // scene, the list and the store (it does not come back after a restart).
    let once = json!({"id": "once", "type": "video", "src": "clip.mp4", "in": 3.5,
                      "on_end": "remove", "width": 64, "height": 36});
    assert_eq!(s.json("POST", "/stream/layers", &once).status, 201);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while s.get("/stream/layers/once").status != 404 {
        assert!(
            std::time::Instant::now() < deadline,
            "the ended layer was not removed"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let mut s = s;
    s.restart();
    assert_eq!(s.get("/stream/layers/once").status, 404, "removed for good");
    assert_eq!(s.get("/stream/layers/v").status, 200, "the others stay");
}
