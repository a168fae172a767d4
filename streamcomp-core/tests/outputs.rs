//! The outputs beside RTMP, read by software we did not write: HLS (ffmpeg reads the playlist
//! while it is live; a reader a whole window behind never meets a missing segment; every
//! segment starts on a key frame; the target duration never changes), SRT to an ffmpeg
//! listener that goes away and comes back, MPEG-TS over UDP to ffmpeg, and a three-minute
//! recording cut into three files with no frame lost or doubled across the cuts and the sound
//! in step in each file.
//!
//! ffmpeg/ffprobe must be installed (with SRT: Debian's is); the SRT test needs the FFmpeg
//! backend (cargo feature `ffmpeg`).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::json;
use streamcomp_core::{
    AssetResolver, LoadOptions, RenderOptions, Scene, live::Event, live::LiveOptions,
    live::LiveStream, output::OutputTarget, render_to_file,
};
use support::{
    assert_decodes, barcode_clip, barcode_rgb, beep_onsets, decode_frames, free_port, sound,
    video_packets, wait_child,
};

const W: u32 = 320;
const H: u32 = 180;

/// One real-time stream at a time: the machine has two cores.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A moving dot over a background: enough to make real pictures.
fn dot_scene() -> Scene {
    Scene::from_value(
        json!({"width": W, "height": H, "fps": 30, "background": "#1d3557", "layers": [
            {"id": "dot", "type": "ellipse", "x": 0, "y": 60, "width": 60, "height": 60,
             "color": "#f1faee",
             "animations": [{"property": "x", "from": 0, "to": 260, "duration": 2, "repeat": -1}]}
        ]}),
        &LoadOptions::default(),
    )
    .unwrap()
}

fn live_options(outputs: Vec<OutputTarget>, seconds: f64) -> LiveOptions {
    let mut o = LiveOptions::default();
    o.outputs = outputs;
    o.duration = Some(Duration::from_secs_f64(seconds));
    o.video.bitrate_kbps = 500;
    o.audio = Some((streamcomp_core::encode::AudioCodec::Aac, 96));
    o.rtmp.backoff_seed = Some(7);
    o
}

fn assets() -> AssetResolver {
    AssetResolver::default().with_system_fonts(false)
}

/// A playlist's tags of interest: target duration, media sequence, segment names.
#[derive(Clone, Debug, Default)]
struct Listed {
    target: u64,
    sequence: u64,
    segments: Vec<String>,
    discontinuity: bool,
}

fn read_playlist(path: &Path) -> Option<Listed> {
    let text = std::fs::read_to_string(path).ok()?;
    assert!(text.starts_with("#EXTM3U\n"), "a whole playlist: {text}");
    let mut l = Listed::default();
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("#EXT-X-TARGETDURATION:") {
            l.target = v.parse().unwrap();
        } else if let Some(v) = line.strip_prefix("#EXT-X-MEDIA-SEQUENCE:") {
            l.sequence = v.parse().unwrap();
        } else if line == "#EXT-X-DISCONTINUITY" {
            l.discontinuity = true;
        } else if !line.starts_with('#') && !line.is_empty() {
            l.segments.push(line.to_string());
        }
    }
    Some(l)
}

#[test]
fn hls_is_read_live_and_a_reader_a_window_behind_finds_every_segment() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("live");
    let playlist = folder.join("index.m3u8");
    let target: OutputTarget = format!("{}?list_size=3", playlist.display())
        .parse()
        .unwrap();
    let stream =
        LiveStream::start(dot_scene(), assets(), live_options(vec![target], 44.0)).unwrap();
    // Wait for the first three segments, then let ffmpeg read the live playlist for 30 s.
    let deadline = Instant::now() + Duration::from_secs(15);
    while read_playlist(&playlist).is_none_or(|l| l.segments.len() < 3) {
        assert!(Instant::now() < deadline, "no playlist with 3 segments");
        std::thread::sleep(Duration::from_millis(100));
    }
    let reader = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(&playlist)
        .args(["-t", "30", "-f", "null", "-"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Meanwhile: every playlist version seen, and each one checked a window later.
    let mut versions: Vec<(Instant, Listed)> = Vec::new();
    let mut targets = std::collections::BTreeSet::new();
    let mut checked = 0;
    while Instant::now() < deadline + Duration::from_secs(28) {
        if let Some(l) = read_playlist(&playlist) {
            targets.insert(l.target);
            if versions
                .last()
                .is_none_or(|(_, v)| v.sequence != l.sequence)
            {
                versions.push((Instant::now(), l));
            }
        }
        // A reader holding a playlist three segments (a window) old asks for its segments now.
        if versions.len() > 3 {
            let (_, old) = &versions[versions.len() - 4];
            for s in &old.segments {
                assert!(
                    folder.join(s).exists(),
                    "{s} of a playlist a window old is gone"
                );
            }
            checked += 1;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let out = reader.wait_with_output().unwrap();
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && errors.trim().is_empty(),
        "ffmpeg read the live HLS: {errors}"
    );
    assert!(
        checked > 20,
        "the window-behind reader checked {checked} times"
    );
    let status = stream.wait().unwrap();
    assert_eq!(
        targets.into_iter().collect::<Vec<_>>(),
        vec![2],
        "one target duration"
    );
    assert_eq!(status.outputs[0].kind, "hls");
    // Every segment on disk starts with a key frame and lasts about the key frame interval.
    let mut segments: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ts"))
        .collect();
    segments.sort();
    assert!(segments.len() >= 7, "{segments:?}");
    for s in &segments {
        let packets = video_packets(s);
        assert!(packets[0].key, "{} starts with a key frame", s.display());
        assert_eq!(
            packets.iter().filter(|p| p.key).count(),
            1,
            "{}: one key frame",
            s.display()
        );
    }
    let last = read_playlist(&playlist).unwrap();
    assert!(
        std::fs::read_to_string(&playlist)
            .unwrap()
            .ends_with("#EXT-X-ENDLIST\n")
    );
    assert_eq!(last.segments.len(), 3);
    assert!(
        !folder.join("index-0.ts").exists(),
        "old segments are deleted"
    );
    assert!(
        std::fs::read_dir(&folder).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp")),
        "no half-written files left"
    );
}

#[cfg(feature = "ffmpeg")]
#[test]
fn srt_reaches_an_ffmpeg_listener_and_comes_back_after_it_restarts() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let listen = |name: &str| {
        let out = dir.path().join(name);
        let child = Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-y", "-i"])
            .arg(format!("srt://127.0.0.1:{port}?mode=listener"))
            .args(["-c", "copy", "-t", "4"])
            .arg(&out)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        (child, out)
    };
    let (mut first, a) = listen("a.ts");
    std::thread::sleep(Duration::from_millis(500));
    let target: OutputTarget = format!("srt://127.0.0.1:{port}?latency=80")
        .parse()
        .unwrap();
    let mut opts = live_options(vec![target], 30.0);
    opts.rtmp.backoff_initial = Duration::from_millis(300);
    opts.rtmp.backoff_max = Duration::from_secs(1);
    let stream = LiveStream::start(dot_scene(), assets(), opts).unwrap();
    let events = stream.events(256);
    let handle = stream.handle();
    assert!(
        wait_child(&mut first, Duration::from_secs(20)).is_some(),
        "first listener done"
    );
    // The listener is gone: the output reconnects until a new one is there.
    std::thread::sleep(Duration::from_secs(2));
    let (mut second, b) = listen("b.ts");
    assert!(
        wait_child(&mut second, Duration::from_secs(25)).is_some(),
        "second listener done"
    );
    handle.request_stop();
    let status = stream.wait().unwrap();
    for f in [&a, &b] {
        assert_decodes(f);
        let packets = video_packets(f);
        assert!(
            packets.len() >= 100,
            "{}: {} pictures",
            f.display(),
            packets.len()
        );
        assert!(packets[0].key, "{} starts on a key frame", f.display());
    }
    let got: Vec<Event> = events.try_iter().collect();
    assert!(
        got.iter().any(|e| matches!(e, Event::Reconnected { .. })),
        "{got:?}"
    );
    assert!(status.outputs[0].reconnects >= 1, "{:?}", status.outputs[0]);
    assert_eq!(status.outputs[0].kind, "srt");
}

#[test]
fn udp_carries_mpeg_ts_to_ffmpeg() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let out = dir.path().join("udp.ts");
    let mut rx = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-y", "-i"])
        .arg(format!("udp://127.0.0.1:{port}"))
        .args(["-c", "copy", "-t", "3"])
        .arg(&out)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let target: OutputTarget = format!("udp://127.0.0.1:{port}").parse().unwrap();
    let stream = LiveStream::start(dot_scene(), assets(), live_options(vec![target], 6.0)).unwrap();
    let status = stream.wait().unwrap();
    assert!(wait_child(&mut rx, Duration::from_secs(10)).is_some());
    assert_decodes(&out);
    assert!(video_packets(&out).len() >= 80);
    assert_eq!(
        status.outputs[0].state, "stopped",
        "{:?}",
        status.outputs[0]
    );
}

/// The barcode of each frame of `file`, with its time.
fn barcodes(file: &Path) -> Vec<(f64, u32)> {
    decode_frames(file, W, H, |rgb| barcode_rgb(rgb, W))
}

#[test]
fn a_three_minute_recording_cut_every_minute_loses_and_doubles_no_frame() {
    let dir = tempfile::tempdir().unwrap();
    // A 10 s barcode clip (frame k shows k, a beep on every whole second) looped for 3 min.
    barcode_clip(
        dir.path(),
        "clip.mp4",
        (W, H),
        30,
        10.0,
        0,
        support::H264_HIGH,
    );
    let mut lo = LoadOptions::default();
    lo.base_dir = Some(dir.path().to_path_buf());
    let scene = Scene::from_value(
        json!({"width": W, "height": H, "fps": 30, "background": "#000000",
               "layers": [{"id": "v", "type": "video", "src": "clip.mp4", "loop": true}]}),
        &lo,
    )
    .unwrap();
    let pattern = dir.path().join("rec/show-%H%M%S.mp4?segment=60");
    let mut opts = RenderOptions::new(180.0);
    opts.bitrate_kbps = 400;
    let summary = render_to_file(
        &scene,
        AssetResolver::new(dir.path()),
        &pattern,
        &opts,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(summary.frames, 5400);
    let files: Vec<PathBuf> = std::fs::read_dir(dir.path().join("rec"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let mut all = Vec::new();
    assert_eq!(files.len(), 3, "{files:?}");
    let mut per_file = Vec::new();
    for f in &files {
        assert_decodes(f);
        let codes = barcodes(f);
        assert_eq!(codes.len(), 1800, "{}: a minute of frames", f.display());
        assert!((codes[0].0).abs() < 1e-3, "{} starts at 0", f.display());
        per_file.push((f.clone(), codes));
    }
    // In the order they were written (each is finished before the next begins; names made
    // within one second get -1, -2, which do not sort).
    per_file.sort_by_key(|(f, _)| std::fs::metadata(f).unwrap().modified().unwrap());
    for (_, codes) in &per_file {
        all.extend(codes.iter().map(|(_, c)| *c));
    }
    let want: Vec<u32> = (0..5400).map(|n| n % 300).collect();
    assert_eq!(all.len(), want.len());
    let wrong: Vec<usize> = (0..5400).filter(|&i| all[i] != want[i]).collect();
    assert!(
        wrong.is_empty(),
        "frames out of place at {:?}",
        &wrong[..wrong.len().min(10)]
    );
    // Sound in step in each file: the clip beeps on its whole seconds, so on every whole
    // second of each file (a minute is six loops), within a frame.
    for (f, _) in &per_file {
        let onsets = beep_onsets(&sound(f));
        assert!(
            onsets.len() >= 58,
            "{}: {} beeps",
            f.display(),
            onsets.len()
        );
        for t in onsets {
            assert!(
                (t - t.round()).abs() < 0.034,
                "{}: a beep at {t:.4} s is off the picture's second",
                f.display()
            );
        }
    }
}
