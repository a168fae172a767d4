//! Our output is ours: no command lets a library print to the terminal behind our back
//! (openh264 used to print `[OpenH264] this = 0x…, Warning: …` lines on every encoder start).

use std::process::Command;

const SCENE: &str = r##"{"width": 64, "height": 32, "fps": 30, "background": "#102030", "layers": [
  {"type": "rect", "x": 8, "y": 8, "width": 16, "height": 16, "color": "#ff0000"}]}"##;

/// Runs `streamcomp ARGS` and returns its stderr, which must not mention openh264.
fn stderr_of(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_streamcomp"))
        .args(args)
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{args:?} failed: {err}");
    assert!(
        !err.contains("OpenH264") && !err.contains("Warning:"),
        "{args:?} printed the encoder's log: {err}"
    );
    err
}

#[test]
fn render_stream_and_bench_print_nothing_from_openh264() {
    let dir = tempfile::tempdir().unwrap();
    let scene = dir.path().join("s.json");
    std::fs::write(&scene, SCENE).unwrap();
    let scene = scene.to_str().unwrap();
    let mp4 = dir.path().join("o.mp4");
    let rec = dir.path().join("rec.mp4");
    // Two encoder threads: openh264 warned about size-limited slices then, and about bitrate
    // control without frame skipping always.
    for threads in ["1", "2"] {
        stderr_of(&[
            "render",
            scene,
            "-o",
            mp4.to_str().unwrap(),
            "--duration",
            "0.5",
            "--threads",
            threads,
        ]);
        assert!(std::fs::metadata(&mp4).unwrap().len() > 0);
    }
    stderr_of(&[
        "stream",
        scene,
        "--url",
        rec.to_str().unwrap(),
        "--duration",
        "0.5",
        "--threads",
        "2",
    ]);
    assert!(std::fs::metadata(&rec).unwrap().len() > 0);
    stderr_of(&["bench", "--frames", "3", "--threads", "2"]);
}
