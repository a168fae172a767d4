//! Audio layers end to end: every input format decodes, resamples and mixes (level and
//! pitch checked); volume and loop; clear errors before any work; AAC and Opus tracks in MP4
//! checked with ffprobe/ffmpeg; Opus in Enhanced FLV checked by parsing the tags back (Debian's
//! FFmpeg 5.1 cannot read Enhanced FLV); and picture/sound sync measured on decoded output.

use std::path::{Path, PathBuf};
use std::process::Command;

mod support;

use serde_json::{Value, json};
use streamcomp_core::{
    AssetResolver, LayerChange, Limits, LoadOptions, Mixer, RenderOptions, Scene,
    encode::AudioCodec, encode::frame_samples, live::LiveOptions, live::LiveStream,
    output::OutputTarget, render_to_file,
};
use support::{duration, ffprobe};

const RATE: f64 = 48_000.0;

/// Writes a 16-bit WAV of `seconds` at `rate` with `channels`, sample `i` from `f(i / rate)`.
fn wav(path: &Path, rate: u32, channels: u16, seconds: f64, f: impl Fn(f64) -> f64) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..(seconds * rate as f64).round() as u64 {
        let v = (f(i as f64 / rate as f64).clamp(-1.0, 1.0) * 32767.0).round() as i16;
        for _ in 0..channels {
            w.write_sample(v).unwrap();
        }
    }
    w.finalize().unwrap();
}

fn sine(freq: f64, amp: f64) -> impl Fn(f64) -> f64 {
    move |t| (t * freq * std::f64::consts::TAU).sin() * amp
}

/// Transcodes `src` with the `ffmpeg` program to `path` at `rate` with `codec`.
fn ffmpeg_fixture(src: &Path, path: &Path, rate: u32, codec: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(src)
        .args(["-ar", &rate.to_string()])
        .args(codec)
        .arg(path)
        .output()
        .expect("ffmpeg is installed (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "ffmpeg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn scene(layers: Value) -> Scene {
    Scene::from_value(
        json!({"width": 320, "height": 180, "fps": 30, "background": "#000000", "layers": layers}),
        &LoadOptions::default(),
    )
    .unwrap()
}

fn assets(dir: &Path) -> AssetResolver {
    AssetResolver::new(dir).with_system_fonts(false)
}

/// The mix of `scene` over `[from, to)` seconds.
fn mix(scene: &Scene, dir: &Path, from: f64, to: f64) -> (Vec<f32>, Vec<f32>) {
    let mut m = Mixer::new(scene, &assets(dir)).unwrap();
    let (a, b) = ((from * RATE) as u64, (to * RATE) as u64);
    let (mut l, mut r) = (vec![0.0; (b - a) as usize], vec![0.0; (b - a) as usize]);
    m.mix(a, &mut l, &mut r);
    (l, r)
}

fn rms(s: &[f32]) -> f64 {
    (s.iter().map(|&x| (x as f64).powi(2)).sum::<f64>() / s.len().max(1) as f64).sqrt()
}

/// Frequency from upward zero crossings.
fn freq(s: &[f32], rate: f64) -> f64 {
    let ups = s.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
    ups as f64 * rate / s.len() as f64
}

fn render(scene: &Scene, dir: &Path, name: &str, seconds: f64, codec: AudioCodec) -> PathBuf {
    let path = dir.join(name);
    let mut opts = RenderOptions::new(seconds);
    opts.audio_codec = codec;
    render_to_file(scene, assets(dir), &path, &opts, &mut |_| {}).unwrap();
    path
}

#[test]
fn every_format_decodes_resamples_and_mixes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // WAV: mono 44.1 kHz; the others transcoded by ffmpeg from stereo 48 kHz WAVs. Every
    // tone has amplitude 0.5 (RMS 0.354) and its own pitch and rate.
    wav(&d.join("a.wav"), 44_100, 1, 2.0, sine(440.0, 0.5));
    for (name, hz, rate, codec) in [
        (
            "a.mp3",
            1000.0,
            44_100,
            &["-c:a", "libmp3lame", "-b:a", "192k"][..],
        ),
        ("a.flac", 600.0, 96_000, &["-c:a", "flac"]),
        ("a.ogg", 800.0, 22_050, &["-c:a", "libvorbis", "-q:a", "6"]),
        ("b.wav", 500.0, 32_000, &["-c:a", "pcm_f32le"]),
    ] {
        let src = d.join(format!("{name}.src.wav"));
        wav(&src, 48_000, 2, 2.0, sine(hz, 0.5));
        ffmpeg_fixture(&src, &d.join(name), rate, codec);
    }
    let level = 0.5 / 2f64.sqrt();
    for (file, hz) in [
        ("a.wav", 440.0),
        ("a.mp3", 1000.0),
        ("a.flac", 600.0),
        ("a.ogg", 800.0),
        ("b.wav", 500.0),
    ] {
        let s = scene(json!([{"type": "audio", "src": file}]));
        let (l, r) = mix(&s, d, 0.25, 1.75);
        for (side, ch) in [("left", &l), ("right", &r)] {
            let got = rms(ch);
            assert!(
                (got / level - 1.0).abs() < 0.05,
                "{file} {side}: RMS {got:.4}, expected {level:.4}"
            );
            let f = freq(ch, RATE);
            assert!(
                (f / hz - 1.0).abs() < 0.01,
                "{file} {side}: {f:.1} Hz, expected {hz}"
            );
        }
        // The file is 2 s long and does not loop: silence after it.
        let (l, _) = mix(&s, d, 2.05, 3.0);
        assert_eq!(rms(&l), 0.0, "{file} after its end");
    }
}

#[test]
fn volume_scales_and_loop_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    wav(&d.join("tone.wav"), 48_000, 2, 1.0, sine(300.0, 0.4));
    let base = rms(&mix(
        &scene(json!([{"type": "audio", "src": "tone.wav"}])),
        d,
        0.1,
        0.9,
    )
    .0);
    for v in [0.0, 0.5, 2.0] {
        let s = scene(json!([{"type": "audio", "src": "tone.wav", "volume": v}]));
        let got = rms(&mix(&s, d, 0.1, 0.9).0);
        assert!((got - base * v).abs() < 1e-3, "volume {v}: {got} vs {base}");
    }
    // Two layers sum; past full scale they clamp.
    let s = scene(json!([{"type": "audio", "src": "tone.wav", "volume": 2},
                         {"type": "audio", "src": "tone.wav", "volume": 2}]));
    let (l, _) = mix(&s, d, 0.0, 1.0);
    assert!(l.iter().all(|x| x.abs() <= 1.0) && l.contains(&1.0));

    // A 0.25 s file with a 5 ms click at its start: looping repeats it every 0.25 s.
    wav(&d.join("click.wav"), 48_000, 1, 0.25, |t| {
        if t < 0.005 { 0.9 } else { 0.0 }
    });
    let onsets = |looped: bool| {
        let s = scene(json!([{"type": "audio", "src": "click.wav", "loop": looped}]));
        let (l, _) = mix(&s, d, 0.0, 2.0);
        (0..l.len())
            .filter(|&i| l[i] > 0.5 && (i == 0 || l[i - 1] < 0.5))
            .collect::<Vec<_>>()
    };
    assert_eq!(onsets(false), [0]);
    let looped = onsets(true);
    assert_eq!(looped.len(), 8, "{looped:?}");
    for (k, at) in looped.iter().enumerate() {
        assert_eq!(*at, k * 12_000, "{looped:?}");
    }
    // `visible: false` does not mute: only the picture is hidden.
    let s = scene(json!([{"type": "audio", "src": "tone.wav", "visible": false}]));
    assert!((rms(&mix(&s, d, 0.1, 0.9).0) - base).abs() < 1e-6);
}

#[test]
fn bad_audio_files_fail_before_any_work_naming_the_layer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("junk.mp3"),
        b"this is not sound at all, just some text",
    )
    .unwrap();
    wav(&d.join("long.wav"), 8_000, 1, 3.0, sine(200.0, 0.3));
    for (src, expect) in [
        ("missing.wav", "file not found"),
        ("junk.mp3", "cannot decode junk.mp3"),
    ] {
        let s = scene(json!([{"type": "rect", "width": 10, "height": 10},
                             {"id": "music", "type": "audio", "src": src}]));
        let out = d.join(format!("{src}.mp4"));
        let mut calls = 0;
        let err = render_to_file(&s, assets(d), &out, &RenderOptions::new(1.0), &mut |_| {
            calls += 1
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("layers[1].src") && err.contains(expect) && err.contains(src),
            "{err}"
        );
        assert_eq!(calls, 0, "no frame was rendered");
        assert!(!out.exists(), "no file was created for {src}");
    }
    // A file longer than the limit is a clear error, not an allocation.
    let mut limits = Limits::default();
    limits.max_audio_seconds = 2.0;
    let s = scene(json!([{"type": "audio", "src": "long.wav"}]));
    let err = Mixer::new(&s, &assets(d).with_limits(limits))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("layers[0].src") && err.contains("too large") && err.contains("2 s"),
        "{err}"
    );
    // Path confinement applies to audio like images.
    let s = scene(json!([{"type": "audio", "src": "../long.wav"}]));
    let err = Mixer::new(&s, &AssetResolver::confined(d))
        .unwrap_err()
        .to_string();
    assert!(err.contains("outside the assets folder"), "{err}");
}

#[test]
fn mp4_with_aac_and_with_opus_carries_the_mix() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 1.5 s of 440 Hz starting at 0.5 s into the file: sound from 0.5 to 2.0 s, then silence.
    wav(&d.join("tone.wav"), 44_100, 2, 2.0, |t| {
        if t >= 0.5 { sine(440.0, 0.5)(t) } else { 0.0 }
    });
    let s = scene(
        json!([{"type": "rect", "width": 100, "height": 100, "color": "#ff0000"},
                         {"type": "audio", "src": "tone.wav"}]),
    );
    for (codec, name) in [(AudioCodec::Aac, "aac"), (AudioCodec::Opus, "opus")] {
        let path = render(&s, d, &format!("{name}.mp4"), 3.0, codec);
        let a = ffprobe(
            &[
                "-select_streams",
                "a",
                "-show_entries",
                "stream=codec_name,sample_rate,channels",
                "-of",
                "compact=p=0",
            ],
            &path,
        );
        eprintln!("{name}.mp4: {}", a.trim());
        assert_eq!(
            a.trim(),
            format!("codec_name={name}|sample_rate=48000|channels=2")
        );
        let dur: f64 = duration(&path);
        assert!((dur - 3.0).abs() < 0.1, "{name}: duration {dur}");
        let pcm = support::sound(&path);
        let secs = pcm.len() as f64 / RATE;
        assert!((secs - 3.0).abs() < 0.1, "{name}: {secs} s of sound");
        let at = |a: f64, b: f64| &pcm[(a * RATE) as usize..(b * RATE) as usize];
        let (before, during, after) = (rms(at(0.05, 0.45)), rms(at(0.6, 1.9)), rms(at(2.1, 2.9)));
        eprintln!("{name}: RMS before {before:.4}, during {during:.4}, after {after:.4}");
        assert!(before < 0.01 && after < 0.01, "{name}: {before} {after}");
        // ffmpeg's stereo → mono downmix of two equal 0.5 sines: amplitude 0.707, RMS 0.5.
        assert!((during - 0.5).abs() < 0.05, "{name}: level {during}");
        let f = freq(at(0.6, 1.9), RATE);
        assert!((f - 440.0).abs() < 5.0, "{name}: {f} Hz");
    }
}

/// FLV tags: (type, ms, body).
fn flv_tags(bytes: &[u8]) -> Vec<(u8, u32, Vec<u8>)> {
    assert_eq!(&bytes[..3], b"FLV");
    let mut at = u32::from_be_bytes(bytes[5..9].try_into().unwrap()) as usize + 4;
    let mut tags = Vec::new();
    while at + 11 <= bytes.len() {
        let t = &bytes[at..];
        let size = u32::from_be_bytes([0, t[1], t[2], t[3]]) as usize;
        let ms = u32::from_be_bytes([t[7], t[4], t[5], t[6]]);
        tags.push((t[0], ms, t[11..11 + size].to_vec()));
        let prev = u32::from_be_bytes(t[11 + size..15 + size].try_into().unwrap());
        assert_eq!(prev as usize, size + 11);
        at += size + 15;
    }
    assert_eq!(at, bytes.len());
    tags
}

#[test]
fn flv_with_opus_uses_enhanced_audio_tags() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    wav(&d.join("tone.wav"), 48_000, 2, 1.0, sine(440.0, 0.5));
    let s = scene(json!([{"type": "audio", "src": "tone.wav"}]));
    let path = render(&s, d, "o.flv", 2.0, AudioCodec::Opus);
    let tags = flv_tags(&std::fs::read(&path).unwrap());
    let audio: Vec<_> = tags.iter().filter(|t| t.0 == 8).collect();
    // SequenceStart (0x90) with the OpusHead, then CodedFrames (0x91), FourCC `Opus`.
    let head = &audio[0].2;
    assert_eq!(head[0], 0x90);
    assert_eq!(&head[1..5], b"Opus");
    assert_eq!(&head[5..13], b"OpusHead");
    assert_eq!(head.len(), 5 + 19);
    assert_eq!(head[13..], [1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0]);
    let frames = &audio[1..];
    assert!(
        frames
            .iter()
            .all(|t| t.2[0] == 0x91 && &t.2[1..5] == b"Opus" && t.2.len() > 5)
    );
    // 20 ms packets covering the 2 s (+ pre-skip), timestamps in steps of 20 ms.
    assert!((100..=102).contains(&frames.len()), "{}", frames.len());
    for (k, t) in frames.iter().enumerate() {
        assert_eq!(t.1, k as u32 * 20);
    }
    // onMetaData says Opus by FourCC.
    let meta = &tags[0];
    assert_eq!(meta.0, 18);
    let key = b"audiocodecid";
    let i = meta.2.windows(key.len()).position(|w| w == key).unwrap() + key.len();
    let id = f64::from_be_bytes(meta.2[i + 1..i + 9].try_into().unwrap());
    assert_eq!(id, u32::from_be_bytes(*b"Opus") as f64);
    // Video is unchanged: AVC sequence header then frames.
    let video: Vec<_> = tags.iter().filter(|t| t.0 == 9).collect();
    assert_eq!(video[0].2[..2], [0x17, 0]);
    assert_eq!(video.len(), 61);
}

/// Times (s) where a signal crosses `threshold` upwards after at least `gap` s below it.
fn onsets(values: &[(f64, f64)], threshold: f64, gap: f64) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    let mut last_high = f64::NEG_INFINITY;
    for &(t, v) in values {
        if v > threshold {
            if t - last_high > gap {
                out.push(t);
            }
            last_high = t;
        }
    }
    out
}

#[test]
fn picture_and_sound_are_in_sync() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 10 ms clicks (2 kHz, 0.8) at exactly 1.0 s and 2.0 s.
    wav(&d.join("clicks.wav"), 48_000, 1, 3.0, |t| {
        if (1.0..1.01).contains(&t) || (2.0..2.01).contains(&t) {
            sine(2000.0, 0.8)(t)
        } else {
            0.0
        }
    });
    // A white full frame from 1.0 s to 1.1 s and from 2.0 s to 2.1 s: white rects whose opacity
    // steps 0 → 1 (over 1 ms ending on the instant), each covered again by a black rect 0.1 s
    // later.
    let step = |color: &str, at: f64| {
        json!({"type": "rect", "width": 320, "height": 180, "color": color,
               "animations": [{"property": "opacity", "from": 0, "to": 1,
                               "start": at - 0.001, "duration": 0.001}]})
    };
    let s = scene(json!([
        step("#ffffff", 1.0), step("#000000", 1.1),
        step("#ffffff", 2.0), step("#000000", 2.1),
        {"type": "audio", "src": "clicks.wav"}
    ]));
    let fps = 30.0;
    for (codec, name) in [(AudioCodec::Aac, "aac"), (AudioCodec::Opus, "opus")] {
        let path = render(&s, d, &format!("sync-{name}.mp4"), 3.0, codec);
        // Picture: mean luma of every decoded frame, at the frame's own timestamp.
        let pts: Vec<f64> = ffprobe(
            &[
                "-select_streams",
                "v",
                "-show_entries",
                "frame=pts_time",
                "-of",
                "csv=p=0",
            ],
            &path,
        )
        .lines()
        .map(|l| l.trim().trim_end_matches(',').parse().unwrap())
        .collect();
        let gray = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args([
                "-vf",
                "scale=16:9",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "gray",
                "-",
            ])
            .output()
            .unwrap()
            .stdout;
        assert_eq!(gray.len(), pts.len() * 144);
        let luma: Vec<(f64, f64)> = gray
            .chunks_exact(144)
            .zip(&pts)
            .map(|(f, &t)| (t, f.iter().map(|&v| v as f64).sum::<f64>() / 144.0))
            .collect();
        let flashes = onsets(&luma, 128.0, 0.5);
        // Sound: decoded samples, placed at the audio stream's start time.
        let start: f64 = ffprobe(
            &[
                "-select_streams",
                "a",
                "-show_entries",
                "stream=start_time",
                "-of",
                "csv=p=0",
            ],
            &path,
        )
        .trim()
        .parse()
        .unwrap();
        let out = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args([
                "-map", "0:a:0", "-f", "s16le", "-ac", "1", "-ar", "48000", "-",
            ])
            .output()
            .unwrap()
            .stdout;
        let sound: Vec<(f64, f64)> = out
            .chunks_exact(2)
            .enumerate()
            .map(|(i, b)| {
                let v = i16::from_le_bytes([b[0], b[1]]) as f64 / 32768.0;
                (start + i as f64 / RATE, v.abs())
            })
            .collect();
        let clicks = onsets(&sound, 0.4, 0.5);
        eprintln!("{name}: audio start_time {start}, flashes at {flashes:?}, clicks at {clicks:?}");
        assert_eq!(flashes.len(), 2, "{name}: flashes {flashes:?}");
        assert_eq!(clicks.len(), 2, "{name}: clicks {clicks:?}");
        for (f, c) in flashes.iter().zip(&clicks) {
            let offset = c - f;
            eprintln!("{name}: click - flash = {:+.2} ms", offset * 1000.0);
            assert!(offset.abs() < 1.0 / fps, "{name}: flash {f}, click {c}");
            // Tighter than a frame: AAC's 1024 priming samples (21.3 ms) are compensated.
            assert!(offset.abs() < 0.005, "{name}: flash {f}, click {c}");
        }
        assert!((flashes[0] - 1.0).abs() < 1e-3 && (flashes[1] - 2.0).abs() < 1e-3);
    }
    // The frame/sample arithmetic behind it: frame 30 starts at sample 48000 exactly.
    assert_eq!(frame_samples(30, fps), 48_000);
}

#[test]
fn live_audio_layers_are_decoded_when_applied() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("junk.wav"), b"RIFF but not a sound at all").unwrap();
    wav(&d.join("tone.wav"), 44_100, 2, 1.0, sine(440.0, 0.5));
    let out = d.join("live.mp4");
    let mut opts = LiveOptions::default();
    opts.outputs = vec![OutputTarget::File(out.clone())];
    opts.duration = Some(std::time::Duration::from_secs(2));
    let s = scene(json!([{"type": "rect", "width": 10, "height": 10}]));
    let stream = LiveStream::start(s, assets(d), opts).unwrap();
    let handle = stream.handle();
    // A broken file is this change's error, naming the layer; nothing was added.
    let add = |src: &str| LayerChange::Add(json!({"id": "music", "type": "audio", "src": src}));
    let err = handle.apply(vec![add("junk.wav")]).unwrap_err().to_string();
    assert!(
        err.contains("src") && err.contains("junk.wav") && err.contains("cannot decode"),
        "{err}"
    );
    assert_eq!(handle.scene().layers.len(), 1);
    // A good one is decoded before `apply` returns and plays from then on.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let t0 = std::time::Instant::now();
    handle.apply(vec![add("tone.wav")]).unwrap();
    eprintln!("apply with a 1 s WAV to decode: {:?}", t0.elapsed());
    stream.wait().unwrap();
    let sound = support::sound(&out);
    let last = &sound[sound.len() - 24_000..];
    assert!(rms(&sound[..9_600]) < 0.01, "silent before the layer came");
    let heard = sound.chunks(4_800).filter(|c| rms(c) > 0.2).count();
    assert!(
        heard >= 8,
        "the tone plays for about a second: {heard} loud 0.1 s blocks; tail rms {}",
        rms(last)
    );
}
