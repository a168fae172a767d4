//! AV1 (rav1e) in files, checked by decoding what we wrote with ffprobe/ffmpeg (Debian's
//! ffmpeg 5.1 decodes AV1 with libdav1d): `.ivf` and `.mp4` (codec, size, frame count,
//! duration, key-frame spacing, colour description, audio, picture fidelity against the
//! compositor's own frame, and a fragmented MP4 cut after its first fragment, as a killed
//! process leaves it). ffmpeg 5.1 cannot read Enhanced FLV, so the `.flv` file is checked by
//! parsing its tags back here, and its AV1 frames are decoded by ffmpeg from an OBU stream
//! rebuilt out of the tags.

use std::path::Path;

mod support;

use serde_json::json;
use streamcomp_core::{
    AssetResolver, Compositor, CompositorOptions, LoadOptions, RenderOptions, Scene,
    encode::VideoCodec, render_to_file,
};
use support::{
    assert_aac_track, decoded_frame, decodes_cleanly, duration, ffprobe, key_times, psnr,
    stream_lines,
};

const W: u32 = 640;
const H: u32 = 360;
const FPS: f64 = 30.0;

fn scene() -> Scene {
    Scene::from_value(
        json!({"width": W, "height": H, "fps": FPS, "background": "#1d3557", "layers": [
            {"type": "rect", "x": 0, "y": 280, "width": 640, "height": 60, "color": "#e63946", "radius": 8},
            {"type": "ellipse", "x": 50, "y": 50, "width": 150, "height": 150, "color": "#f1faee",
             "animations": [{"property": "x", "from": 50, "to": 400, "duration": 3}]},
            {"type": "text", "text": "streamcomp av1", "x": 30, "y": 292, "font_size": 30, "color": "#ffffff"}
        ]}),
        &LoadOptions::default(),
    )
    .unwrap()
}

fn av1_options(seconds: f64, audio: bool) -> RenderOptions {
    let mut opts = RenderOptions::new(seconds);
    opts.codec = VideoCodec::Av1;
    opts.bitrate_kbps = 2000;
    opts.audio = audio;
    opts
}

fn render(path: &Path, seconds: f64, audio: bool) {
    let assets = AssetResolver::default().with_system_fonts(false);
    render_to_file(
        &scene(),
        assets,
        path,
        &av1_options(seconds, audio),
        &mut |_| {},
    )
    .unwrap();
}

/// Every stream of `file`: codec, size, decoded frame count, audio, colour description.
fn streams(file: &Path) -> Vec<String> {
    stream_lines(
        file,
        "codec_name,width,height,nb_read_frames,sample_rate,channels,color_range,color_space,color_primaries",
    )
}

#[test]
fn ivf_and_mp4_hold_av1_that_ffmpeg_decodes() {
    let dir = tempfile::tempdir().unwrap();
    for (name, audio) in [("a.ivf", false), ("a.mp4", true)] {
        let path = dir.path().join(name);
        render(&path, 3.0, true);
        let s = streams(&path);
        let video = s
            .iter()
            .find(|l| l.contains("codec_name=av1"))
            .unwrap_or_else(|| panic!("{name}: no AV1 stream in {s:?}"));
        assert!(
            video.contains(&format!("width={W}"))
                && video.contains(&format!("height={H}"))
                && video.contains("nb_read_frames=90"),
            "{name}: {video}"
        );
        assert!(
            video.contains("color_range=tv")
                && video.contains("color_space=bt709")
                && video.contains("color_primaries=bt709"),
            "{name}: BT.709 limited range expected: {video}"
        );
        assert_aac_track(name, &s, audio);
        decodes_cleanly(&path, None);
        let d: f64 = duration(&path);
        assert!((d - 3.0).abs() < 0.1, "{name}: duration {d}");
        let keys = key_times(&path);
        assert_eq!(keys.first(), Some(&0.0), "{name}: {keys:?}");
        assert!(keys.len() >= 2, "{name}: key frames {keys:?}");
        assert!(
            keys.windows(2).all(|w| w[1] - w[0] <= 2.0 + 1e-6),
            "{name}: key frames {keys:?}"
        );
        eprintln!(
            "{name}: {video}; duration {d} s; key frames at {keys:?}; {} bytes",
            std::fs::metadata(&path).unwrap().len()
        );
    }
}

/// PSNR of a decoded rgb24 picture against the compositor's frame at `t`.
fn psnr_against_compositor(decoded: &[u8], t: f64) -> f64 {
    let mut comp = Compositor::new(
        CompositorOptions::default(),
        AssetResolver::default().with_system_fonts(false),
    );
    psnr(decoded, comp.render(&scene(), t).unwrap())
}

/// The decoded picture matches the compositor's frame: PSNR ≥ 30 dB at 640x360, 2 Mbit/s.
#[test]
fn decoded_av1_picture_matches_the_compositor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.mp4");
    render(&path, 2.0, false);
    for n in [0u32, 45] {
        let t = n as f64 / FPS;
        let psnr = psnr_against_compositor(&decoded_frame(&path, n), t);
        eprintln!("AV1 PSNR at frame {n} (t={t}): {psnr:.2} dB");
        assert!(psnr >= 30.0, "frame {n}: PSNR {psnr:.2} dB");
    }
}

/// A fragmented MP4 cut right after its first fragment (what a killed process leaves on
/// disk) still plays: the first two seconds decode.
#[test]
fn av1_mp4_cut_after_the_first_fragment_still_plays() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.mp4");
    render(&path, 3.0, true);
    let bytes = std::fs::read(&path).unwrap();
    let moofs: Vec<usize> = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| w == b"moof")
        .map(|(i, _)| i - 4)
        .collect();
    assert!(moofs.len() >= 2, "fragments at {moofs:?}");
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &bytes[..moofs[1]]).unwrap();
    let s = streams(&cut);
    let video = s.iter().find(|l| l.contains("codec_name=av1")).unwrap();
    assert!(video.contains("nb_read_frames=60"), "{video}");
    decodes_cleanly(&cut, None);
}

/// One FLV tag: type, timestamp (ms) and body.
struct Tag {
    kind: u8,
    ms: u32,
    body: Vec<u8>,
}

fn parse_flv(bytes: &[u8]) -> (u8, Vec<Tag>) {
    assert_eq!(&bytes[..3], b"FLV", "FLV signature");
    assert_eq!(bytes[3], 1, "FLV version");
    let flags = bytes[4];
    assert_eq!(&bytes[5..13], &[0, 0, 0, 9, 0, 0, 0, 0]);
    let mut tags = Vec::new();
    let mut at = 13;
    while at < bytes.len() {
        let h = &bytes[at..at + 11];
        let size = u32::from_be_bytes([0, h[1], h[2], h[3]]) as usize;
        let ms = u32::from_be_bytes([h[7], h[4], h[5], h[6]]);
        let body = bytes[at + 11..at + 11 + size].to_vec();
        let prev = u32::from_be_bytes(bytes[at + 11 + size..at + 15 + size].try_into().unwrap());
        assert_eq!(prev as usize, size + 11, "previous tag size at {at}");
        tags.push(Tag {
            kind: h[0],
            ms,
            body,
        });
        at += 15 + size;
    }
    assert_eq!(at, bytes.len(), "tags end at the end of the file");
    (flags, tags)
}

/// The OBUs of a buffer as (type, bytes), every OBU with its size field.
fn obus(mut data: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let header = data[0];
        assert_eq!(header & 0x82, 0x02, "OBU header {header:#x}");
        let ext = usize::from(header & 0x04 != 0);
        let (mut size, mut len) = (0usize, 0usize);
        loop {
            let b = data[1 + ext + len];
            size |= ((b & 0x7f) as usize) << (7 * len);
            len += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        let total = 1 + ext + len + size;
        out.push(((header >> 3) & 0x0f, &data[..total]));
        data = &data[total..];
    }
    out
}

/// AV1 in FLV as Enhanced FLV (E-RTMP v1) tags. Debian's ffmpeg 5.1 predates Enhanced FLV and
/// cannot read these files, so the tags are checked structurally here: the ExVideoTagHeader
/// bytes and FourCC, the AV1CodecConfigurationRecord first, key flags every 2 s, monotonic
/// timestamps, no temporal delimiters; then the OBUs are put back into an OBU stream that
/// ffmpeg decodes frame for frame.
#[test]
fn flv_holds_av1_as_enhanced_flv_tags() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.flv");
    render(&path, 3.0, true);
    let (flags, tags) = parse_flv(&std::fs::read(&path).unwrap());
    assert_eq!(flags, 0x05, "audio and video");

    // onMetaData: videocodecid is the FourCC `av01` as a number.
    assert_eq!(tags[0].kind, 18);
    let meta = &tags[0].body;
    let key = b"\x00\x0cvideocodecid\x00";
    let i = meta
        .windows(key.len())
        .position(|w| w == key)
        .expect("videocodecid in onMetaData")
        + key.len();
    let id = f64::from_be_bytes(meta[i..i + 8].try_into().unwrap());
    assert_eq!(id, 0x6176_3031u32 as f64);

    let video: Vec<&Tag> = tags.iter().filter(|t| t.kind == 9).collect();
    let audio: Vec<&Tag> = tags.iter().filter(|t| t.kind == 8).collect();
    assert_eq!(&audio[0].body[..2], &[0xaf, 0], "AAC sequence header first");
    assert!(audio.len() > 100, "{} audio tags", audio.len());

    // SequenceStart: key frame type, packet type 0, `av01`, then av1C (marker+version 0x81,
    // profile 0, 4:2:0) and the sequence header OBU.
    let start = &video[0].body;
    assert_eq!(start[0], 0x80 | (1 << 4));
    assert_eq!(&start[1..5], b"av01");
    assert_eq!(start[5], 0x81);
    assert_eq!(start[6] >> 5, 0, "main profile");
    assert_eq!(start[7] & 0x0c, 0x0c, "4:2:0 subsampling");
    let config_obus = obus(&start[9..]);
    assert_eq!(config_obus.len(), 1);
    assert_eq!(config_obus[0].0, 1, "the sequence header OBU");
    let seq_header = config_obus[0].1.to_vec();

    // CodedFrames: 90 of them, key frames at 0 and 2 s, timestamps rising by 33-34 ms.
    let frames = &video[1..video.len() - 1];
    assert_eq!(frames.len(), 90);
    let mut keys = Vec::new();
    let mut stream = Vec::new();
    for (n, t) in frames.iter().enumerate() {
        let b = &t.body;
        assert_eq!(b[0] & 0x8f, 0x80 | 1, "frame {n}: CodedFrames, {:#x}", b[0]);
        assert_eq!(&b[1..5], b"av01", "frame {n}");
        let frame_type = (b[0] >> 4) & 0x07;
        assert!(
            frame_type == 1 || frame_type == 2,
            "frame {n}: {frame_type}"
        );
        let list = obus(&b[5..]);
        assert!(
            list.iter().all(|(t, _)| *t != 2),
            "frame {n}: no temporal delimiter"
        );
        if frame_type == 1 {
            keys.push(t.ms);
            assert!(
                list.iter()
                    .any(|(t, o)| *t == 1 && *o == seq_header.as_slice()),
                "frame {n}: a key frame repeats the sequence header"
            );
        }
        assert_eq!(t.ms, (n as f64 * 1000.0 / FPS) as u32, "frame {n}");
        stream.extend_from_slice(&[0x12, 0]); // temporal delimiter back for the OBU file
        stream.extend_from_slice(&b[5..]);
    }
    assert_eq!(keys, vec![0, 2000]);
    assert!(frames.windows(2).all(|w| w[0].ms < w[1].ms));
    let all: Vec<u32> = tags.iter().skip(1).map(|t| t.ms).collect();
    assert!(
        all.windows(2).all(|w| w[1] + 40 >= w[0]),
        "audio and video interleaved in time: {all:?}"
    );

    // SequenceEnd closes the stream.
    let end = &video[video.len() - 1].body;
    assert_eq!(
        end.as_slice(),
        &[0x80 | (1 << 4) | 2, b'a', b'v', b'0', b'1']
    );

    // The frames decode.
    let obu_file = dir.path().join("frames.obu");
    std::fs::write(&obu_file, &stream).unwrap();
    decodes_cleanly(&obu_file, Some("obu"));
    let n = ffprobe(
        &[
            "-f",
            "obu",
            "-count_frames",
            "-show_entries",
            "stream=nb_read_frames,width,height",
            "-of",
            "csv=p=0",
        ],
        &obu_file,
    );
    assert_eq!(n.trim(), format!("{W},{H},90"));
}

#[test]
fn av1_in_the_wrong_container_fails_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    for (file, want) in [
        (
            "x.h264",
            "a .h264 file cannot hold av1 video (it holds H.264)",
        ),
        ("x.avi", "cannot tell the format"),
    ] {
        let path = dir.path().join(file);
        let err = render_to_file(
            &scene(),
            AssetResolver::default(),
            &path,
            &av1_options(1.0, true),
            &mut |_| {},
        )
        .unwrap_err();
        assert!(err.to_string().contains(want), "{file}: {err}");
        assert!(!path.exists(), "{file}: nothing is written");
    }
    let mut opts = av1_options(1.0, false);
    opts.size = Some((20000, 360));
    let path = dir.path().join("big.ivf");
    let err = render_to_file(
        &scene(),
        AssetResolver::default(),
        &path,
        &opts,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("AV1 frames are at most"), "{err}");
    assert!(!path.exists());
}
