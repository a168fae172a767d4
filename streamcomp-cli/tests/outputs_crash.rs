//! `streamcomp stream` killed with SIGKILL (no chance to finish anything) while writing HLS and
//! a recording in segments: the playlist on disk is always whole and lists only segments that
//! exist; a new run continues it (numbers go on, `EXT-X-DISCONTINUITY` before the first new
//! segment) and ffmpeg plays it across; every recorded file plays, the one being written up to
//! its last whole fragment.

#[path = "../../streamcomp-core/tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{assert_decodes, video_packets, wait_child};

const SCENE: &str = r##"{"width": 320, "height": 180, "fps": 30, "background": "#1d3557",
  "layers": [
    {"id": "dot", "type": "ellipse", "x": 0, "y": 20, "width": 60, "height": 60, "color": "#f1faee",
     "animations": [{"property": "x", "from": 0, "to": 260, "duration": 2, "repeat": -1}]}
  ]}"##;

fn spawn(dir: &Path, urls: &[&str], log: &str) -> Child {
    let scene = dir.join("scene.json");
    std::fs::write(&scene, SCENE).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_streamcomp"));
    cmd.current_dir(dir).arg("stream").arg(&scene);
    for u in urls {
        cmd.args(["--url", u]);
    }
    cmd.args(["--bitrate", "400", "--keyframe-interval", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(log)).unwrap())
        .spawn()
        .unwrap()
}

/// The segment names a playlist lists, and whether it has a discontinuity tag.
fn listed(playlist: &Path) -> (Vec<String>, u64, bool) {
    let text = std::fs::read_to_string(playlist).unwrap();
    assert!(
        text.starts_with("#EXTM3U\n") && text.ends_with('\n'),
        "whole: {text}"
    );
    let seq = text
        .lines()
        .find_map(|l| l.strip_prefix("#EXT-X-MEDIA-SEQUENCE:"))
        .unwrap()
        .parse()
        .unwrap();
    let names = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_string)
        .collect();
    (names, seq, text.contains("#EXT-X-DISCONTINUITY\n"))
}

#[test]
fn hls_and_recordings_survive_kill_9_and_the_playlist_continues() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hls = "hls/index.m3u8?list_size=10";
    let rec = "rec/part-%H%M%S.mp4?segment=3";
    let mut first = spawn(d, &[hls, rec], "first.log");
    // Let it write a few segments, checking the playlist all the while.
    let playlist = d.join("hls/index.m3u8");
    let until = Instant::now() + Duration::from_secs(7);
    while Instant::now() < until {
        if playlist.exists() {
            let (names, _, _) = listed(&playlist);
            for n in names {
                assert!(d.join("hls").join(&n).exists(), "{n} listed but missing");
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let (before, seq_before, _) = listed(&playlist);
    assert!(before.len() >= 4, "{before:?}");
    let last_before: u64 = seq_before + before.len() as u64 - 1;
    // Every recorded file plays, whole (3 s: 90 frames), but the one being written when the
    // process was killed: it holds its whole fragments (at least one second), or only its
    // header when it was killed before its first fragment was whole (what a kill may lose).
    let parts: Vec<_> = std::fs::read_dir(d.join("rec"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(parts.len() >= 2, "{parts:?}");
    let mut cut_short = Vec::new();
    for p in &parts {
        if std::fs::metadata(p).unwrap().len() < 2000 {
            cut_short.push((p.clone(), 0));
            continue;
        }
        assert_decodes(p);
        let frames = video_packets(p).len();
        if !(88..=92).contains(&frames) {
            assert!(frames >= 30, "{}: {frames} frames", p.display());
            cut_short.push((p.clone(), frames));
        }
    }
    assert!(
        cut_short.len() <= 1,
        "only the file being written is short: {cut_short:?}"
    );

    // A second run continues the playlist.
    let mut second = spawn(d, &[hls], "second.log");
    std::thread::sleep(Duration::from_secs(5));
    support::interrupt(&second);
    assert!(wait_child(&mut second, Duration::from_secs(15)).is_some());
    let (after, seq_after, discontinuity) = listed(&playlist);
    assert!(discontinuity, "a discontinuity before the new segments");
    let numbers: Vec<u64> = after
        .iter()
        .map(|n| {
            n.trim_start_matches("index-")
                .trim_end_matches(".ts")
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(numbers[0], seq_after);
    assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{numbers:?}");
    assert!(
        *numbers.last().unwrap() > last_before + 2,
        "{numbers:?} after {last_before}"
    );
    assert!(
        numbers.contains(&(last_before + 1)),
        "numbers go on: {numbers:?}"
    );
    for n in &after {
        assert!(d.join("hls").join(n).exists(), "{n}");
    }
    assert!(
        std::fs::read_to_string(&playlist)
            .unwrap()
            .ends_with("#EXT-X-ENDLIST\n")
    );
    // ffmpeg plays the whole playlist across the restart.
    assert_decodes(&playlist);
}
