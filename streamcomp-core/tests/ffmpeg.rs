//! The FFmpeg backend (cargo feature `ffmpeg`): libx264 into MP4 and FLV, VP8/VP9 into IVF,
//! each decoded back with ffprobe/ffmpeg; a decoded frame matches the compositor's frame; bad
//! presets and hardware names are refused before work starts.
#![cfg(feature = "ffmpeg")]

use std::path::Path;

mod support;

use serde_json::json;
use streamcomp_core::{
    AssetResolver, Compositor, CompositorOptions, LoadOptions, RenderOptions, Scene,
    encode::EncoderBackend, encode::VideoCodec, render_to_file,
};
use support::{decoded_frame, psnr, stream_lines};

fn scene() -> Scene {
    Scene::from_value(
        json!({"width": 640, "height": 360, "fps": 30, "background": "#1d3557", "layers": [
            {"type": "rect", "x": 0, "y": 280, "width": 640, "height": 60, "color": "#e63946"},
            {"type": "ellipse", "x": 40, "y": 40, "width": 160, "height": 160, "color": "#f1faee",
             "animations": [{"property": "x", "from": 40, "to": 400, "duration": 2}]}
        ]}),
        &LoadOptions::default(),
    )
    .unwrap()
}

fn render(path: &Path, codec: VideoCodec, audio: bool) -> Result<(), streamcomp_core::Error> {
    let mut opts = RenderOptions::new(2.0);
    opts.codec = codec;
    opts.audio = audio;
    opts.backend = EncoderBackend::Ffmpeg;
    opts.ffmpeg_preset = "ultrafast".into();
    opts.bitrate_kbps = 2000;
    let assets = AssetResolver::default().with_system_fonts(false);
    render_to_file(&scene(), assets, path, &opts, &mut |_| {}).map(|_| ())
}

fn probe(file: &Path) -> String {
    stream_lines(file, "codec_name,width,height,nb_read_frames").join("\n") + "\n"
}

/// PSNR (dB) of the decoded frame `n` against the compositor's frame at the same time.
fn psnr_at(file: &Path, n: u32) -> f64 {
    let decoded = decoded_frame(file, n);
    let mut comp = Compositor::new(
        CompositorOptions::default(),
        AssetResolver::default().with_system_fonts(false),
    );
    assert_eq!(decoded.len(), 640 * 360 * 3);
    psnr(&decoded, comp.render(&scene(), n as f64 / 30.0).unwrap())
}

#[test]
fn libx264_through_ffmpeg_into_mp4_and_flv() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["x.mp4", "x.flv"] {
        let path = dir.path().join(name);
        render(&path, VideoCodec::H264, true).unwrap();
        let p = probe(&path);
        assert!(
            p.contains("codec_name=h264|width=640|height=360|nb_read_frames=60"),
            "{name}: {p}"
        );
        assert!(p.contains("codec_name=aac"), "{name}: {p}");
    }
    let psnr = psnr_at(&dir.path().join("x.mp4"), 45);
    assert!(psnr >= 35.0, "PSNR {psnr:.1} dB");
}

#[test]
fn vp8_and_vp9_into_ivf() {
    let dir = tempfile::tempdir().unwrap();
    for (codec, name) in [(VideoCodec::Vp8, "vp8"), (VideoCodec::Vp9, "vp9")] {
        let path = dir.path().join(format!("{name}.ivf"));
        render(&path, codec, false).unwrap();
        let p = probe(&path);
        assert!(
            p.contains(&format!(
                "codec_name={name}|width=640|height=360|nb_read_frames=60"
            )),
            "{p}"
        );
        let psnr = psnr_at(&path, 30);
        assert!(psnr >= 30.0, "{name}: PSNR {psnr:.1} dB");
    }
}

#[test]
fn bad_presets_and_hardware_are_refused_before_work() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.mp4");
    let mut opts = RenderOptions::new(1.0);
    opts.backend = EncoderBackend::Ffmpeg;
    opts.ffmpeg_preset = "warp".into();
    let err = render_to_file(
        &scene(),
        AssetResolver::default(),
        &path,
        &opts,
        &mut |_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("unknown FFmpeg preset `warp`"), "{err}");
    opts.ffmpeg_preset = "fast".into();
    opts.ffmpeg_hwaccel = Some("nvenc".into());
    opts.codec = VideoCodec::Vp8;
    let path = dir.path().join("x.ivf");
    let err = render_to_file(
        &scene(),
        AssetResolver::default(),
        &path,
        &opts,
        &mut |_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("no nvenc hardware encoder for vp8"), "{err}");
    assert!(
        !path.exists(),
        "nothing is written when the settings are refused"
    );
}
