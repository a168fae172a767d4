//! Encoding and files, checked by decoding what we wrote with ffprobe/ffmpeg: codec, size,
//! frame count, duration, key-frame spacing, audio, and picture fidelity (PSNR) against the
//! compositor's own frame.

use std::path::Path;

mod support;

use serde_json::json;
use streamcomp_core::{
    AssetResolver, Compositor, CompositorOptions, LoadOptions, RenderOptions, Scene, render_to_file,
};
use support::{
    assert_aac_track, decoded_frame, decodes_cleanly, duration, key_times, psnr, stream_lines,
};

fn scene() -> Scene {
    Scene::from_value(
        json!({"width": 1280, "height": 720, "fps": 30, "background": "#1d3557", "layers": [
            {"type": "rect", "x": 0, "y": 560, "width": 1280, "height": 120, "color": "#e63946", "radius": 12},
            {"type": "ellipse", "x": 100, "y": 100, "width": 300, "height": 300, "color": "#f1faee",
             "animations": [{"property": "x", "from": 100, "to": 800, "duration": 4}]},
            {"type": "text", "text": "streamcomp", "x": 60, "y": 590, "font_size": 56, "color": "#ffffff"}
        ]}),
        &LoadOptions::default(),
    )
    .unwrap()
}

/// Every stream of `file`: codec, size, decoded frame count, audio rate and channels.
fn streams(file: &Path) -> Vec<String> {
    stream_lines(
        file,
        "codec_name,width,height,nb_read_frames,sample_rate,channels",
    )
}

fn render(path: &Path, seconds: f64, audio: bool) {
    let mut opts = RenderOptions::new(seconds);
    opts.audio = audio;
    let assets = AssetResolver::default().with_system_fonts(false);
    render_to_file(&scene(), assets, path, &opts, &mut |_| {}).unwrap();
}

#[test]
fn every_container_decodes_with_the_right_streams() {
    let dir = tempfile::tempdir().unwrap();
    for (name, audio) in [
        ("a.mp4", true),
        ("a.flv", true),
        ("a.h264", false),
        ("a.y4m", false),
    ] {
        let path = dir.path().join(name);
        render(&path, 5.0, true);
        let s = streams(&path);
        let video = s
            .iter()
            .find(|l| l.contains("width=1280"))
            .unwrap_or_else(|| panic!("{name}: {s:?}"));
        assert!(
            video.contains("height=720") && video.contains("nb_read_frames=150"),
            "{name}: {video}"
        );
        let codec = if name.ends_with(".y4m") {
            "codec_name=rawvideo"
        } else {
            "codec_name=h264"
        };
        assert!(video.contains(codec), "{name}: {video}");
        assert_aac_track(name, &s, audio);
        decodes_cleanly(&path, None);
        if name != "a.h264" {
            let d: f64 = duration(&path);
            assert!((d - 5.0).abs() < 0.1, "{name}: duration {d}");
        }
        if name.ends_with(".mp4") || name.ends_with(".flv") {
            let keys = key_times(&path);
            assert_eq!(keys.first(), Some(&0.0), "{name}: {keys:?}");
            assert!(
                keys.windows(2).all(|w| w[1] - w[0] <= 2.0 + 1e-6),
                "{name}: key frames {keys:?}"
            );
        }
    }
}

#[test]
fn no_audio_means_no_audio_track() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("silent.mp4");
    render(&path, 1.0, false);
    assert!(!streams(&path).iter().any(|l| l.contains("aac")));
}

/// The decoded picture matches the compositor's frame: PSNR ≥ 35 dB at 720p and 4 Mbit/s.
#[test]
fn decoded_picture_matches_the_compositor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.mp4");
    render(&path, 3.0, false);
    let t = 1.5;
    let decoded = decoded_frame(&path, (t * 30.0) as u32);
    assert_eq!(decoded.len(), 1280 * 720 * 3);
    let mut comp = Compositor::new(
        CompositorOptions::default(),
        AssetResolver::default().with_system_fonts(false),
    );
    let psnr = psnr(&decoded, comp.render(&scene(), t).unwrap());
    assert!(psnr >= 35.0, "PSNR {psnr:.2} dB");
    eprintln!("PSNR at t={t}: {psnr:.2} dB");
}

#[test]
fn bad_settings_fail_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let assets = AssetResolver::default();
    type Tweak = Box<dyn Fn(&mut RenderOptions)>;
    let cases: Vec<(&str, Tweak, &str)> = vec![
        (
            "x.ivf",
            Box::new(|_| {}),
            "a .ivf file cannot hold h264 video",
        ),
        (
            "x.mp4",
            Box::new(|o| o.codec = "vp9".parse().unwrap()),
            "a .mp4 file cannot hold vp9 video",
        ),
        (
            "x.mp4",
            Box::new(|o| o.size = Some((1281, 720))),
            "frame size 1281x720 must be even",
        ),
        ("x.avi", Box::new(|_| {}), "cannot tell the format"),
        (
            "x.mp4",
            Box::new(|o| o.duration = -1.0),
            "duration must be between",
        ),
    ];
    for (file, tweak, want) in cases {
        let mut opts = RenderOptions::new(1.0);
        tweak(&mut opts);
        let path = dir.path().join(file);
        let err = render_to_file(&scene(), assets.clone(), &path, &opts, &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains(want), "{file}: {err}");
        assert!(
            !path.exists(),
            "{file}: nothing is written when settings are refused"
        );
    }
    let mut with_audio = scene();
    with_audio
        .apply(
            streamcomp_core::LayerChange::Add(json!({"type": "audio", "src": "missing.wav"})),
            0.0,
        )
        .unwrap();
    let err = render_to_file(
        &with_audio,
        assets,
        &dir.path().join("a.mp4"),
        &RenderOptions::new(1.0),
        &mut |_| {},
    )
    .unwrap_err();
    // A missing audio file is refused before any work, naming the layer (tests/audio.rs has
    // the rest of the audio checks).
    assert!(
        err.to_string().starts_with("layers[3].src") && err.to_string().contains("missing.wav"),
        "{err}"
    );
}
