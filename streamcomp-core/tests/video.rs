//! Video layers against real files made here by ffmpeg: a clip with its frame number burnt in
//! as a barcode (16 bits, 20 px each, in the top 20 rows) and a beep on every whole second.
//! Checks that output frame N shows the right source frame (at 30, 25 and 60 fps, in every
//! container and codec), seamless loops and playlist switches with sound in step, the picture
//! against FFmpeg's own `scale`+`overlay`, hostile files, a file deleted while it plays, and
//! seek/pause on a live stream through nginx-rtmp.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use streamcomp_core::live::{LiveOptions, LiveStream};
use streamcomp_core::media::MediaAction;
use streamcomp_core::{
    AssetResolver, Compositor, CompositorOptions, Frame, LoadOptions, RenderOptions, Scene,
    render_to_file,
};
use support::{
    H264_HIGH, Nginx, barcode_clip, barcode_rgb, beep_onsets, decode_frames, free_port,
    require_tools, sound,
};

const W: u32 = 320;
const H: u32 = 180;

/// A `W`×`H` barcode clip (see `support::barcode_clip`).
fn clip(dir: &Path, name: &str, fps: u32, secs: f64, offset: u32, codec: &[&str]) -> PathBuf {
    barcode_clip(dir, name, (W, H), fps, secs, offset, codec)
}

const H264: &[&str] = H264_HIGH;

/// The frame number in a barcode whose top-left is at (`x`, `y`) on `frame`, `scale` times the
/// clip's size.
fn barcode(frame: &Frame, x: u32, y: u32, scale: f64) -> u32 {
    (0..16).fold(0, |v, b| {
        let px = x + ((20 * b + 10) as f64 * scale) as u32;
        let py = y + (10.0 * scale) as u32;
        if px < frame.width() && frame.pixel(px, py)[1] > 128 {
            v | (1 << b)
        } else {
            v
        }
    })
}

fn scene(dir: &Path, size: (u32, u32), layer: Value) -> Scene {
    let doc = json!({"width": size.0, "height": size.1, "fps": 30, "background": "#000000",
                     "layers": [layer]});
    let mut opts = LoadOptions::default();
    opts.base_dir = Some(dir.to_path_buf());
    Scene::from_value(doc, &opts).unwrap()
}

fn assets(dir: &Path) -> AssetResolver {
    AssetResolver::new(dir)
}

/// Renders frames `0..n` of `scene` and reads the barcode of each.
fn rendered_numbers(scene: &Scene, dir: &Path, n: u32) -> Vec<u32> {
    let mut comp = Compositor::new(CompositorOptions::default(), assets(dir));
    comp.check_assets(scene).unwrap();
    (0..n)
        .map(|i| barcode(comp.render(scene, i as f64 / 30.0).unwrap(), 0, 0, 1.0))
        .collect()
}

#[test]
fn output_frame_n_shows_source_frame_n_in_every_container() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let frag: Vec<&str> = H264
        .iter()
        .copied()
        .chain(["-movflags", "frag_keyframe+empty_moov"])
        .collect();
    let vp9 = [
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-b:v",
        "2M",
        "-g",
        "30",
        "-c:a",
        "libopus",
    ];
    let av1 = [
        "-c:v",
        "libsvtav1",
        "-preset",
        "12",
        "-g",
        "30",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "libopus",
    ];
    // (file, encoder, the layer's `decoder`, the decoder that reads it): H.264 through FFmpeg's
    // decoder behind our demuxer (`auto`, the backend on) and through openh264 (`native`).
    for (name, codec, choice, decoder) in [
        ("high-bframes.mp4", H264, "auto", "ffmpeg-h264"),
        ("high-bframes-openh264.mp4", H264, "native", "openh264"),
        ("fragmented.mp4", &frag[..], "auto", "ffmpeg-h264"),
        ("fragmented-openh264.mp4", &frag[..], "native", "openh264"),
        ("h264.mkv", H264, "auto", "ffmpeg-h264"),
        ("h264-openh264.mkv", H264, "native", "openh264"),
        ("h264.flv", H264, "native", "openh264"),
        ("vp9.webm", &vp9[..], "auto", "ffmpeg"),
        ("av1.mkv", &av1[..], "auto", "rav1d"),
        ("av1.mp4", &av1[..], "auto", "rav1d"),
    ] {
        let file = clip(d, name, 30, 2.0, 0, codec);
        let info = streamcomp_core::media::probe(
            &file,
            name,
            streamcomp_core::media::DecoderChoice::parse(choice).unwrap(),
            &streamcomp_core::Limits::default(),
        )
        .unwrap();
        assert_eq!(
            info.decoder, decoder,
            "{name}: the decoder `{choice}` picks"
        );
        // Where the muxer put the first picture: 0, except in a fragmented MP4 (no edit list
        // cuts the B-frame delay: 2 frames) and in Matroska with Opus (7 ms, the Opus delay
        // rounded). The built-in path keeps the container's times: the first picture shows
        // from the start, then each from its time on (sample and hold, 1 ms tolerance), with
        // the sound in step. The FFmpeg path counts from the first picture (see the README).
        let start: f64 = support::ffprobe(
            &[
                "-select_streams",
                "v:0",
                "-show_entries",
                "stream=start_time",
                "-of",
                "csv=p=0",
            ],
            &file,
        )
        .trim()
        .parse()
        .unwrap_or(0.0);
        let start = if decoder == "ffmpeg" { 0.0 } else { start };
        let s = scene(
            d,
            (W, H),
            json!({"id": "v", "type": "video", "src": name, "decoder": choice}),
        );
        let got = rendered_numbers(&s, d, 60);
        // Output frame n (at n/30 s) shows the last picture shown by then.
        let want: Vec<u32> = (0..60)
            .map(|n: u32| ((n as f64 / 30.0 + 0.001 - start) * 30.0).floor().max(0.0) as u32)
            .collect();
        assert_eq!(got, want, "{name} (first picture at {start} s)");
    }
}

#[test]
fn other_frame_rates_repeat_and_skip_evenly() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for fps in [25u32, 60] {
        let name = format!("r{fps}.mp4");
        clip(d, &name, fps, 2.0, 0, H264);
        let s = scene(d, (W, H), json!({"id": "v", "type": "video", "src": name}));
        let got = rendered_numbers(&s, d, 60);
        // Sample and hold: output frame n (at n/30 s) shows source frame floor(n·fps/30).
        let want: Vec<u32> = (0..60).map(|n| n * fps / 30).collect();
        assert_eq!(got, want, "{fps} fps");
    }
}

#[test]
fn in_out_points_and_a_playlist_switch_on_the_exact_frame() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    clip(d, "a.mp4", 30, 2.0, 0, H264);
    clip(d, "b.mp4", 30, 2.0, 1000, H264);
    let s = scene(
        d,
        (W, H),
        json!({"id": "v", "type": "video", "playlist": [{"src": "a.mp4"}, {"src": "b.mp4"}]}),
    );
    let got = rendered_numbers(&s, d, 130);
    let want: Vec<u32> = (0..60).chain(1000..1060).chain([1059; 10]).collect();
    assert_eq!(got, want, "playlist then hold");
    // In at 0.5 s, out at 1.5 s, looped: 15..45 again and again.
    let s = scene(
        d,
        (W, H),
        json!({"id": "v", "type": "video", "src": "a.mp4", "in": 0.5, "out": 1.5, "loop": true}),
    );
    let got = rendered_numbers(&s, d, 95);
    let want: Vec<u32> = (0..95).map(|n| 15 + n % 30).collect();
    assert_eq!(got, want, "in/out loop");
    // Starting a second late, hidden at the end.
    let s = scene(
        d,
        (W, H),
        json!({"id": "v", "type": "video", "src": "a.mp4", "start": 1.0, "on_end": "hide"}),
    );
    let got = rendered_numbers(&s, d, 100);
    let want: Vec<u32> = [0; 30].into_iter().chain(0..60).chain([0; 10]).collect();
    assert_eq!(got, want, "start and hide");
}

#[test]
fn a_loop_has_no_seam_and_its_sound_stays_with_the_picture() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    clip(d, "loop.mp4", 30, 4.0, 0, H264);
    let s = scene(
        d,
        (W, H),
        json!({"id": "v", "type": "video", "src": "loop.mp4", "loop": true}),
    );
    let out = d.join("looped.mp4");
    // A 4 s clip looped for 40 s.
    let mut opts = RenderOptions::new(40.0);
    opts.threads = 1;
    render_to_file(&s, assets(d), &out, &opts, &mut |_| {}).unwrap();
    let frames = decode_frames(&out, W, H, |rgb| barcode_rgb(rgb, W));
    assert_eq!(frames.len(), 1200);
    for (n, (_, got)) in frames.iter().enumerate() {
        assert_eq!(
            *got,
            n as u32 % 120,
            "output frame {n}: no missing, repeated or black frame"
        );
    }
    // A beep on every whole second of the clip, so on every second of the output, from the
    // first loop to the last: within a frame of the picture's second.
    let onsets = beep_onsets(&sound(&out));
    assert!(onsets.len() >= 39, "{onsets:?}");
    for (k, t) in onsets.iter().enumerate() {
        let want = if k == 0 && *t < 0.5 { 0.0 } else { t.round() };
        assert!(
            (t - want).abs() <= 1.0 / 30.0,
            "beep {k} at {t:.4} s, picture's second {want}: {onsets:?}"
        );
    }
    let last = onsets.last().unwrap();
    assert!(*last >= 38.9, "beeps to the tenth loop: {onsets:?}");
}

#[test]
fn the_picture_matches_ffmpeg_scale_and_overlay() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    clip(d, "c.mp4", 30, 1.0, 0, H264);
    let s = scene(
        d,
        (640, 360),
        json!({"id": "v", "type": "video", "src": "c.mp4",
               "x": 100, "y": 50, "width": 480, "height": 270}),
    );
    let mut comp = Compositor::new(CompositorOptions::default(), assets(d));
    let ours = comp.render(&s, 10.0 / 30.0).unwrap().clone();
    let theirs = d.join("theirs.png");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(d.join("c.mp4"))
        .args([
            "-filter_complex",
            "color=black:s=640x360:r=30[bg];[0:v]scale=480:270:flags=lanczos[v];\
             [bg][v]overlay=100:50:shortest=1,select=eq(n\\,10)",
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
        ])
        .arg(&theirs)
        .status()
        .unwrap();
    assert!(status.success());
    let rgb = std::fs::read(&theirs).unwrap();
    let db = support::psnr(&rgb, &ours);
    eprintln!("PSNR against FFmpeg scale+overlay: {db:.1} dB");
    assert!(db >= 30.0, "PSNR {db:.1} dB");
}

#[test]
fn hostile_files_are_clear_errors_and_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    require_tools();
    let good = std::fs::read(clip(d, "good.mp4", 30, 1.0, 0, H264)).unwrap();
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("empty.mp4".into(), Vec::new()),
        ("text.mp4".into(), b"this is not a video".to_vec()),
        (
            "garbage.mkv".into(),
            (0..100_000u32).map(|i| (i * 7919 % 251) as u8).collect(),
        ),
    ];
    for cut in [16, 100, 1000, good.len() / 2] {
        cases.push((
            format!("cut{cut}.mp4"),
            good[..cut.min(good.len())].to_vec(),
        ));
    }
    for (name, bytes) in cases {
        std::fs::write(d.join(&name), &bytes).unwrap();
        let s = scene(d, (W, H), json!({"id": "v", "type": "video", "src": name}));
        let mut comp = Compositor::new(CompositorOptions::default(), assets(d));
        match comp.check_assets(&s) {
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.starts_with("layers[0].src"), "{name}: {msg}");
                assert!(msg.contains(&name), "{name}: {msg}");
            }
            // A file that opens plays what it can; rendering it never fails the frame.
            Ok(()) => {
                for i in 0..40 {
                    comp.render(&s, i as f64 / 30.0).unwrap();
                }
            }
        }
    }
}

#[test]
fn a_file_deleted_while_it_plays_fails_its_layer_only() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    clip(d, "gone.mp4", 30, 1.0, 0, H264);
    let s = Scene::from_value(
        json!({"width": W, "height": H, "fps": 30, "background": "#000000", "layers": [
            {"id": "v", "type": "video", "src": "gone.mp4", "loop": true},
            {"id": "box", "type": "rect", "x": 0, "y": 100, "width": 50, "height": 50, "color": "#ff0000"}]}),
        &{
            let mut o = LoadOptions::default();
            o.base_dir = Some(d.to_path_buf());
            o
        },
    )
    .unwrap();
    let mut comp = Compositor::new(CompositorOptions::default(), assets(d));
    for i in 0..10 {
        comp.render(&s, i as f64 / 30.0).unwrap();
    }
    std::fs::remove_file(d.join("gone.mp4")).unwrap();
    let mut failures = Vec::new();
    let mut last = 0;
    for i in 10..150 {
        let f = comp.render(&s, i as f64 / 30.0).unwrap();
        assert_eq!(
            f.pixel(10, 110),
            [255, 0, 0, 255],
            "the other layer goes on"
        );
        last = barcode(f, 0, 0, 1.0);
        failures.extend(comp.take_failures());
    }
    assert_eq!(failures.len(), 1, "one event: {failures:?}");
    assert_eq!(failures[0].layer, "v");
    assert!(failures[0].message.contains("gone.mp4"), "{failures:?}");
    assert!(last < 30, "the last good picture is held: {last}");
}

#[test]
fn seek_and_pause_on_a_live_stream_show_the_frame_asked_for() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    clip(d, "live.mp4", 30, 10.0, 0, H264);
    let nginx = Nginx::start(d, free_port());
    let s = scene(
        d,
        (W, H),
        json!({"id": "v", "type": "video", "src": "live.mp4", "loop": true}),
    );
    let mut opts = LiveOptions::default();
    opts.outputs = vec![nginx.url("seek").parse().unwrap()];
    opts.duration = Some(Duration::from_secs(6));
    opts.video.keyframe_interval = 1.0;
    let stream = LiveStream::start(s, assets(d), opts).unwrap();
    let h = stream.handle();
    std::thread::sleep(Duration::from_millis(1500));
    let seek = h
        .media("v", &MediaAction::Seek { t: 7.0, item: None })
        .unwrap();
    let seek_at = seek.layer.to_value()["playback"]["at"].as_f64().unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let pause = h.media("v", &MediaAction::Pause).unwrap();
    let pause_doc = pause.layer.to_value();
    let pause_at = pause_doc["playback"]["at"].as_f64().unwrap();
    let paused_on = pause_doc["playback"]["position"].as_f64().unwrap();
    assert_eq!(pause.media.as_ref().unwrap().state, "paused");
    let status = stream.wait().unwrap();
    eprintln!("{status:?}");
    support::settle();
    let frames = decode_frames(&nginx.recording("seek"), W, H, |rgb| barcode_rgb(rgb, W));
    assert!(frames.len() > 120, "{} frames", frames.len());
    eprintln!(
        "{}",
        frames
            .iter()
            .map(|(p, g)| format!("{p:.3}:{g}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut checked = 0;
    for (pts, got) in &frames {
        // Two frames of slack either side of each action.
        // The first half second is the decoder starting (the layer is empty until then).
        let want = if *pts < 0.5 {
            None
        } else if *pts < seek_at - 2.0 / 30.0 {
            Some((pts * 30.0).round())
        } else if *pts > seek_at + 2.0 / 30.0 && *pts < pause_at - 2.0 / 30.0 {
            Some(((7.0 + pts - seek_at) * 30.0).floor())
        } else if *pts > pause_at + 2.0 / 30.0 {
            Some((paused_on * 30.0).floor())
        } else {
            None
        };
        if let Some(w) = want {
            assert!(
                (*got as f64 - w).abs() <= 2.0,
                "at {pts:.3} s (seek at {seek_at:.3}, pause at {pause_at:.3}): frame {got}, want {w}"
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked} frames checked");
}

#[test]
fn a_seek_in_a_render_lands_on_the_exact_frame() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    clip(d, "s.mp4", 30, 10.0, 0, H264);
    let plain = scene(
        d,
        (W, H),
        json!({"id": "v", "type": "video", "src": "s.mp4"}),
    );
    let sought = scene(
        d,
        (W, H),
        json!({"id": "v", "type": "video", "src": "s.mp4",
               "playback": {"at": 1.5, "item": 0, "position": 7.0}}),
    );
    let mut comp = Compositor::new(CompositorOptions::default(), assets(d));
    let mut got = Vec::new();
    for i in 0..90u32 {
        let s = if i < 45 { &plain } else { &sought };
        got.push(barcode(comp.render(s, i as f64 / 30.0).unwrap(), 0, 0, 1.0));
    }
    let want: Vec<u32> = (0..45).chain(210..255).collect();
    assert_eq!(got, want);
}
