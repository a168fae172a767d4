//! The server's outputs besides RTMP: a request may name files, HLS and recordings only under
//! `OUTPUT_DIRS` (refused elsewhere, `..` included, with the path of the bad URL), and while
//! live the stream's own HLS is served from memory at `/stream/hls/…` (a start with no URL
//! streams to it alone), with per-output status and metrics.

mod common;

use std::time::Duration;

use serde_json::json;

use common::{Server, eventually};

#[test]
fn requests_write_only_under_output_dirs_and_the_stream_serves_its_own_hls() {
    let dir = tempfile::tempdir().unwrap();
    let allowed = dir.path().join("allowed");
    let s = Server::start(&[("OUTPUT_DIRS", allowed.to_str().unwrap())]);
    let missing = s.get("/stream/hls/index.m3u8");
    assert_eq!(missing.status, 404);
    assert!(String::from_utf8_lossy(&missing.body).contains("not live"));

    // Outside OUTPUT_DIRS, or climbing out of it: refused, nothing written.
    for url in [
        dir.path().join("elsewhere/x.mp4").display().to_string(),
        format!("{}/../x.m3u8", allowed.display()),
        "relative/rec-%H.mp4?segment=60".to_string(),
    ] {
        let r = s.json(
            "POST",
            "/stream/control",
            &json!({"action": "start", "url": url}),
        );
        assert_eq!(r.status, 422, "{url}: {}", String::from_utf8_lossy(&r.body));
        let e = r.json();
        assert_eq!(e["error"]["path"], "urls[0]", "{e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("OUTPUT_DIRS"),
            "{e}"
        );
    }
    assert!(!dir.path().join("elsewhere").exists());

    // Inside: an HLS folder and a recording, beside the server's own HLS.
    let hls = allowed.join("hls/index.m3u8");
    let rec = allowed.join("rec/part-%H%M%S.ts");
    let r = s.json(
        "POST",
        "/stream/control",
        &json!({"action": "start", "urls": [hls.display().to_string(),
                                            format!("{}?segment=2", rec.display())]}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let kinds: Vec<String> = r.json()["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["hls", "recording", "hls"]);
    assert!(eventually(15, || {
        let p = s.get("/stream/hls/index.m3u8");
        p.status == 200 && String::from_utf8_lossy(&p.body).matches("#EXTINF").count() >= 2
    }));
    let list = s.get("/stream/hls/index.m3u8");
    let text = String::from_utf8_lossy(&list.body).to_string();
    assert!(
        text.starts_with("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"),
        "{text}"
    );
    let segment = text.lines().find(|l| l.ends_with(".ts")).unwrap();
    let seg = s.get(&format!("/stream/hls/{segment}"));
    assert_eq!(seg.status, 200);
    assert_eq!(seg.body[0], 0x47, "MPEG-TS");
    assert_eq!(seg.body.len() % 188, 0);
    assert_eq!(s.get("/stream/hls/index-999999.ts").status, 404);
    let metrics = String::from_utf8_lossy(&s.get("/metrics").body).to_string();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("streamcomp_output_up{")
                && l.contains("kind=\"recording\"")
                && l.ends_with(" 1")),
        "{metrics}"
    );
    assert!(
        metrics.contains("streamcomp_hls_memory_bytes "),
        "{metrics}"
    );
    let status = s.get("/stream/status").json();
    assert!(
        status["outputs"][1]["detail"]
            .as_str()
            .unwrap()
            .contains("part-"),
        "{status}"
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        s.json("POST", "/stream/control", &json!({"action": "stop"}))
            .status,
        200
    );
    assert!(eventually(10, || hls.exists()
        && std::fs::read_to_string(&hls)
            .unwrap()
            .ends_with("#EXT-X-ENDLIST\n")));
    let parts = std::fs::read_dir(allowed.join("rec")).unwrap().count();
    assert!(parts >= 2, "{parts} recorded parts");

    // No URL and no STREAM_URL: the server's own HLS alone; its numbering goes on.
    let r = s.json("POST", "/stream/control", &json!({"action": "start"}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["outputs"][0]["target"], "hls (memory)");
    assert!(eventually(15, || String::from_utf8_lossy(
        &s.get("/stream/hls/index.m3u8").body
    )
    .contains("#EXT-X-DISCONTINUITY")));
}
