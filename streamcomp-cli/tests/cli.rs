//! The `streamcomp` binary as a user runs it: outputs, exit codes, one clear line per error and
//! never a panic on a user mistake.

use std::path::Path;
use std::process::{Command, Output};

fn streamcomp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_streamcomp"))
        .args(args)
        .output()
        .expect("runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

fn read_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    (info.width, info.height, buf)
}

const SCENE: &str = r##"{"width": 64, "height": 32, "background": "#000000", "layers": [
  {"type": "rect", "x": 0, "y": 0, "width": 32, "height": 32, "color": "#ff0000"},
  {"type": "rect", "x": 32, "y": 0, "width": 32, "height": 32, "color": "#0000ff80",
   "animations": [{"property": "opacity", "from": 0, "to": 1, "duration": 2}]}]}"##;

#[test]
fn frame_writes_the_png_at_the_given_time() {
    let dir = tempfile::tempdir().unwrap();
    let scene = write(dir.path(), "s.json", SCENE);
    let out = dir.path().join("f.png");
    let o = streamcomp(&["frame", &scene, "--at", "1", "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (w, h, px) = read_png(&out);
    assert_eq!((w, h), (64, 32));
    assert_eq!(&px[..4], &[255, 0, 0, 255]);
    // Half-way through the fade the half-transparent blue at half opacity is 25% over black (64).
    let i = (10 * 64 + 48) * 4;
    assert_eq!(&px[i..i + 4], &[0, 0, 64, 255]);
}

#[test]
fn clock_start_pins_the_time_template() {
    let dir = tempfile::tempdir().unwrap();
    let scene = write(
        dir.path(),
        "clock.json",
        r##"{"width": 160, "height": 32, "background": "#000000", "layers": [
          {"type": "text", "text": "{time:%H:%M:%S}", "x": 4, "y": 4, "font_size": 20,
           "font": "DejaVu Sans", "color": "#ffffff"}]}"##,
    );
    let frame = |name: &str, clock: &str| {
        let out = dir.path().join(name);
        let o = streamcomp(&[
            "frame",
            &scene,
            "--no-system-fonts",
            "--clock-start",
            clock,
            "--at",
            "0.5",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(out).unwrap()
    };
    let a = frame("a.rgba", "2026-01-01T20:15:30Z");
    // A second boundary of the real clock passes between the two runs: the pinned clock ignores it.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(a, frame("b.rgba", "2026-01-01T20:15:30Z"));
    assert_ne!(a, frame("c.rgba", "2026-01-01T20:15:35Z"));
    // The same instant in another offset shows other digits (the clock reads in that offset).
    assert_ne!(a, frame("d.rgba", "2026-01-01T21:15:30+01:00"));
    let o = streamcomp(&["frame", &scene, "--clock-start", "8pm", "-o", "x.png"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("--clock-start") && e.contains("RFC 3339"),
        "clear error: {e}"
    );
}

#[test]
fn validate_lists_every_error_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.json",
        r#"{"width": 63, "height": 32, "layers": [{"type": "rect", "width": 1, "height": 1, "opacity": 2}]}"#,
    );
    let o = streamcomp(&["validate", &bad]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: width: must be even (video encoders need it), got 63\nerror: layers[0].opacity: must be between 0 and 1, got 2\n"
    );
    let good = write(dir.path(), "good.json", SCENE);
    let o = streamcomp(&["validate", &good]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("ok (64x32 at 30 fps, 2 layers)"));
}

#[test]
fn user_mistakes_get_one_line_and_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.png");
    let out = out.to_str().unwrap();
    let scene = write(dir.path(), "s.json", SCENE);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["frame", "/nonexistent/scene.json", "-o", out],
            "error: cannot read scene file /nonexistent/scene.json",
        ),
        (
            vec!["frame", &scene, "--at", "-3", "-o", out],
            "error: --at must be a time in seconds >= 0",
        ),
        (
            vec!["frame", &scene, "-o", "/nonexistent/dir/x.png"],
            "error: cannot write /nonexistent/dir/x.png",
        ),
        (
            vec!["bench", "--frames", "0"],
            "error: --frames must be at least 1",
        ),
    ];
    for (args, want) in cases {
        let o = streamcomp(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.starts_with(want), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    let o = streamcomp(&["frame", &scene, "--quality", "ultra", "-o", out]);
    assert_eq!(o.status.code(), Some(2), "clap usage errors exit 2");
    assert!(stderr(&o).contains("unknown quality `ultra`"));
}

#[test]
fn schema_is_json_and_bench_json_has_the_fields() {
    let o = streamcomp(&["schema"]);
    assert!(o.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(schema["title"], "streamcomp scene");
    let dir = tempfile::tempdir().unwrap();
    let scene = write(dir.path(), "s.json", SCENE);
    let o = streamcomp(&["bench", &scene, "--frames", "5", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for k in [
        "width",
        "height",
        "frames",
        "threads",
        "render_ms",
        "convert_ms",
    ] {
        assert!(r.get(k).is_some(), "missing {k}: {r}");
    }
    for k in ["mean", "p50", "p99"] {
        assert!(r["render_ms"][k].as_f64().is_some(), "render_ms.{k}: {r}");
    }
    assert_eq!(r["frames"], 5);
    // Per-layer cost: every drawn layer, most costly first, total = prepare + compose.
    let layers = r["layers"].as_array().expect("layers");
    assert!(!layers.is_empty(), "{r}");
    let total = |l: &serde_json::Value| l["total_ms"].as_f64().unwrap();
    for l in layers {
        let (p, c) = (
            l["prepare_ms"].as_f64().unwrap(),
            l["compose_ms"].as_f64().unwrap(),
        );
        assert!(
            p >= 0.0 && c >= 0.0 && (total(l) - p - c).abs() < 0.01,
            "{l}"
        );
        assert!(l["id"].as_str().is_some_and(|id| !id.is_empty()), "{l}");
    }
    assert!(
        layers.windows(2).all(|w| total(&w[0]) >= total(&w[1])),
        "{r}"
    );
    assert_eq!(r["width"], 64);
    let h264 = r["encode_ms"]["h264"]["mean"].as_f64();
    assert!(h264.is_some_and(|v| v > 0.0), "encode_ms.h264: {r}");
    let o = streamcomp(&["bench", &scene, "--frames", "2", "--no-encode", "--json"]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["encode_ms"], serde_json::json!({}), "--no-encode: {r}");
}

/// A render killed with SIGKILL leaves an MP4 that ffprobe reads and ffmpeg decodes.
#[test]
fn killed_render_leaves_a_playable_mp4() {
    let dir = tempfile::tempdir().unwrap();
    let scene = write(dir.path(), "s.json", SCENE);
    let out = dir.path().join("killed.mp4");
    let mut child = Command::new(env!("CARGO_BIN_EXE_streamcomp"))
        .args([
            "render",
            &scene,
            "-o",
            out.to_str().unwrap(),
            "--duration",
            "3600",
            "--threads",
            "1",
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until a few fragments (2 s each) are on disk, then kill without warning.
    let start = std::time::Instant::now();
    while std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0) < 20_000
        && start.elapsed().as_secs() < 60
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "csv=p=0",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        probe.status.success(),
        "{}",
        String::from_utf8_lossy(&probe.stderr)
    );
    assert!(String::from_utf8_lossy(&probe.stdout).contains("h264"));
    let frames = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let n: u64 = String::from_utf8_lossy(&frames.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    assert!(n >= 60, "only {n} frames survived");
    let decode = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&out)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(
        decode.status.success(),
        "{}",
        String::from_utf8_lossy(&decode.stderr)
    );
}

/// VP9 needs the FFmpeg backend: without the cargo feature the error says how to get it; with
/// it, a missing `ffmpeg` program is one clear line too. Nothing is written either way.
#[test]
fn ffmpeg_backend_missing_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let scene = write(dir.path(), "s.json", SCENE);
    let out = dir.path().join("x.ivf");
    let out = out.to_str().unwrap();
    let args = [
        "render",
        &scene,
        "-o",
        out,
        "--duration",
        "1",
        "--codec",
        "vp9",
    ];
    let o = Command::new(env!("CARGO_BIN_EXE_streamcomp"))
        .args(args)
        .env("FFMPEG_PATH", "/nonexistent/ffmpeg")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    if cfg!(feature = "ffmpeg") {
        assert!(err.contains("`/nonexistent/ffmpeg` was not found"), "{err}");
    } else {
        assert!(err.contains("rebuild with `--features ffmpeg`"), "{err}");
    }
    assert!(!Path::new(out).exists(), "nothing is written");
}
