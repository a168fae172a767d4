//! Tests of the streaming sound reader on files the `ffmpeg` program makes in a temporary
//! folder: beeps land on their 48 kHz sample from the start and after a seek, lengths and
//! pitch are right, chunks follow each other; broken files are errors, never panics.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;
use crate::media::AudioChunk;

/// A 50 ms 1 kHz beep at the start of every second, `secs` seconds long, at `rate`.
fn beeps(rate: u32, secs: u32) -> String {
    format!("aevalsrc='if(lt(mod(t\\,1)\\,0.05)\\,0.5*sin(2*PI*1000*t)\\,0)':s={rate}:d={secs}")
}

/// Runs `ffmpeg` with `args` writing `out` in `dir`; the file's path.
fn ffmpeg(dir: &Path, out: &str, args: &[&str]) -> PathBuf {
    let path = dir.join(out);
    let status = Command::new("ffmpeg")
        .args(["-y", "-v", "error"])
        .args(args)
        .arg(&path)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg {args:?} {out}");
    path
}

/// A file of beeps made with `codec_args` (after the input) into `out`.
fn beep_file(dir: &Path, out: &str, rate: u32, secs: u32, codec_args: &[&str]) -> PathBuf {
    let src = beeps(rate, secs);
    let mut args = vec!["-f", "lavfi", "-i", src.as_str()];
    args.extend_from_slice(codec_args);
    ffmpeg(dir, out, &args)
}

/// Opens `path` natively.
fn reader(path: &Path) -> SoundReader {
    open_reader(path, "clip", &Limits::default())
        .expect("opens")
        .expect("has sound")
}

/// All chunks from the reader's position, checked contiguous; (first start, left samples).
fn read_all(r: &mut SoundReader) -> (i64, Vec<f32>) {
    let mut first = None;
    let mut next = None;
    let mut left = Vec::new();
    while let Some(AudioChunk {
        start,
        left: l,
        right,
    }) = r.next_chunk().expect("chunk")
    {
        assert_eq!(l.len(), right.len());
        assert!(
            !l.is_empty() && l.len() <= 4800,
            "chunk of {} frames",
            l.len()
        );
        if let Some(n) = next {
            assert_eq!(start, n, "chunks are contiguous");
        }
        first.get_or_insert(start);
        next = Some(start + l.len() as i64);
        left.extend_from_slice(&l);
    }
    (first.unwrap_or(0), left)
}

/// The first sample at or after `from` where a beep starts (|x| over 0.05 after silence).
fn onset(samples: &[f32], from: usize) -> Option<usize> {
    (from..samples.len()).find(|&i| samples[i].abs() > 0.05)
}

/// Zero crossings of `samples`.
fn crossings(samples: &[f32]) -> usize {
    samples
        .windows(2)
        .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
        .count()
}

/// Checks beeps on every second of `left` (which starts at 48 kHz sample `start`), within 1 ms,
/// from second `first` on, and the pitch of the first beep.
fn check_beeps(start: i64, left: &[f32], first: i64, secs: i64) {
    let offs: Vec<Option<i64>> = (first..secs)
        .map(|s| {
            let at = (s * 48_000 - start) as usize;
            onset(left, at.saturating_sub(960)).map(|f| f as i64 - at as i64)
        })
        .collect();
    for s in first..secs {
        let at = (s * 48_000 - start) as usize;
        let err = offs[(s - first) as usize];
        assert!(
            err.is_some_and(|e| e.abs() <= 48),
            "beep {s} s off by {err:?} samples (all: {offs:?})"
        );
        if s == first {
            // 40 ms in the middle of the 50 ms beep: 1 kHz is 80 crossings.
            let c = crossings(&left[at + 240..at + 240 + 1920]);
            assert!((c as i64 - 80).abs() <= 2, "pitch: {c} crossings in 40 ms");
            // And silence between beeps.
            let quiet = &left[at + 4800..at + 40_000];
            assert!(
                quiet.iter().all(|x| x.abs() < 0.02),
                "silence after beep {s}"
            );
        }
    }
}

/// Reads the whole file and after seek(2.5 s), checking beeps, length and seek start.
fn check_file(path: &Path, secs: i64) {
    let mut r = reader(path);
    let (start, left) = read_all(&mut r);
    assert_eq!(start, 0);
    let expected = secs * 48_000;
    assert!(
        (left.len() as i64 - expected).abs() <= 1920,
        "length {} vs {expected}",
        left.len()
    );
    check_beeps(start, &left, 0, secs);
    r.seek(120_000).expect("seek");
    let (start, left) = read_all(&mut r);
    assert_eq!(
        start, 120_000,
        "first chunk after seek starts at the target"
    );
    check_beeps(start, &left, 3, secs);
    // Seeking back to the start gives the start again.
    r.seek(0).expect("seek 0");
    let (start, left) = read_all(&mut r);
    assert_eq!(start, 0);
    check_beeps(start, &left, 0, 2);
}

#[test]
fn aac_in_mp4_beeps_land_on_their_samples() {
    let dir = tempfile::tempdir().unwrap();
    let p = beep_file(dir.path(), "a.mp4", 44_100, 5, &["-c:a", "aac"]);
    check_file(&p, 5);
}

#[test]
fn aac_at_48k_in_mov() {
    let dir = tempfile::tempdir().unwrap();
    let p = beep_file(dir.path(), "a.mov", 48_000, 4, &["-c:a", "aac"]);
    check_file(&p, 4);
}

#[test]
fn opus_in_webm() {
    let dir = tempfile::tempdir().unwrap();
    let p = beep_file(
        dir.path(),
        "a.webm",
        48_000,
        4,
        &["-c:a", "libopus", "-b:a", "128k"],
    );
    check_file(&p, 4);
}

#[test]
fn mp3_in_mkv() {
    // Matroska keeps no MP3 encoder delay (LAME's 576 + the decoder's 529 samples, which an
    // .mp3 file states in its LAME tag), so the sound comes 1105 source samples late, as
    // `ffmpeg -i a.mkv` plays it too.
    let dir = tempfile::tempdir().unwrap();
    let p = beep_file(
        dir.path(),
        "a.mkv",
        44_100,
        4,
        &["-c:a", "libmp3lame", "-b:a", "192k"],
    );
    let delay = 1105 * 48_000 / 44_100;
    let mut r = reader(&p);
    let (start, left) = read_all(&mut r);
    assert_eq!(start, 0);
    assert!(
        (left.len() as i64 - 4 * 48_000 - delay).abs() <= 1920,
        "{}",
        left.len()
    );
    check_beeps(-delay, &left, 0, 4);
    r.seek(120_000).unwrap();
    let (start, left) = read_all(&mut r);
    assert_eq!(start, 120_000);
    check_beeps(start - delay, &left, 3, 4);
}

#[test]
fn flac_in_mkv() {
    let dir = tempfile::tempdir().unwrap();
    let p = beep_file(dir.path(), "a.mkv", 32_000, 4, &["-c:a", "flac"]);
    check_file(&p, 4);
}

#[test]
fn mono_aac_plays_on_both_sides() {
    let dir = tempfile::tempdir().unwrap();
    let p = beep_file(dir.path(), "m.mp4", 44_100, 3, &["-ac", "1", "-c:a", "aac"]);
    let mut r = reader(&p);
    let mut left = Vec::new();
    while let Some(c) = r.next_chunk().unwrap() {
        assert_eq!(c.left, c.right);
        left.extend(c.left);
    }
    check_beeps(0, &left, 0, 3);
}

#[test]
fn surround_flac_folds_to_stereo() {
    let dir = tempfile::tempdir().unwrap();
    // 5.1 with the beeps on the centre channel only.
    let src = beeps(48_000, 3);
    let p = ffmpeg(
        dir.path(),
        "s.mkv",
        &[
            "-f",
            "lavfi",
            "-i",
            &src,
            "-af",
            "pan=5.1|FC=c0",
            "-c:a",
            "flac",
        ],
    );
    let mut r = reader(&p);
    let (mut left, mut right) = (Vec::new(), Vec::new());
    while let Some(c) = r.next_chunk().unwrap() {
        left.extend(c.left);
        right.extend(c.right);
    }
    check_beeps(0, &left, 0, 3);
    // The centre at -3 dB on both sides.
    let peak = left[..2400].iter().fold(0f32, |m, x| m.max(x.abs()));
    assert!(
        (peak - 0.5 * std::f32::consts::FRAC_1_SQRT_2).abs() < 0.02,
        "{peak}"
    );
    assert_eq!(left, right);
}

#[test]
fn surround_aac_goes_to_ffmpeg() {
    let dir = tempfile::tempdir().unwrap();
    let p = beep_file(dir.path(), "s.mp4", 48_000, 1, &["-ac", "6", "-c:a", "aac"]);
    match open_reader(&p, "clips/s.mp4", &Limits::default()) {
        Err(e @ MediaError::Unsupported { .. }) => {
            assert!(e.to_string().starts_with("clips/s.mp4: "), "{e}");
            assert!(e.to_string().contains("ffmpeg"), "{e}");
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("5.1 AAC opened natively"),
    }
}

#[test]
fn sound_beside_video() {
    let dir = tempfile::tempdir().unwrap();
    let src = beeps(44_100, 4);
    let p = ffmpeg(
        dir.path(),
        "v.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=320x240:r=30",
            "-f",
            "lavfi",
            "-i",
            &src,
            "-shortest",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
        ],
    );
    check_file(&p, 4);
}

#[test]
fn a_file_without_sound_has_none() {
    let dir = tempfile::tempdir().unwrap();
    let p = ffmpeg(
        dir.path(),
        "v.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=160x120:r=10:d=1",
            "-c:v",
            "libx264",
        ],
    );
    assert!(
        open_reader(&p, "v.mp4", &Limits::default())
            .unwrap()
            .is_none()
    );
}

#[test]
fn truncated_and_garbage_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        beep_file(dir.path(), "a.mp4", 44_100, 3, &["-c:a", "aac"]),
        beep_file(dir.path(), "o.webm", 48_000, 3, &["-c:a", "libopus"]),
        beep_file(dir.path(), "f.mkv", 44_100, 3, &["-c:a", "flac"]),
    ];
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for cut in [
            0,
            8,
            100,
            1000,
            bytes.len() / 3,
            bytes.len() / 2,
            bytes.len() - 10,
        ] {
            let p = dir.path().join(format!(
                "cut{cut}.{}",
                f.extension().unwrap().to_str().unwrap()
            ));
            std::fs::write(&p, &bytes[..cut]).unwrap();
            drain(&p);
        }
        // Bytes flipped in the middle.
        let mut bad = bytes.clone();
        for i in (bytes.len() / 4..bytes.len()).step_by(97) {
            bad[i] ^= 0x5a;
        }
        let p = dir
            .path()
            .join(format!("bad.{}", f.extension().unwrap().to_str().unwrap()));
        std::fs::write(&p, &bad).unwrap();
        drain(&p);
    }
    let p = dir.path().join("garbage.mp4");
    std::fs::write(
        &p,
        (0..5000u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(open_reader(&p, "garbage.mp4", &Limits::default()).is_err());
}

/// Opens and reads `p` to its end (or first error), seeking once; must not panic or hang.
fn drain(p: &Path) {
    let Ok(Some(mut r)) = open_reader(p, "clip", &Limits::default()) else {
        return;
    };
    let mut n = 0;
    while let Ok(Some(_)) = r.next_chunk() {
        n += 1;
        assert!(n < 10_000, "endless sound from {}", p.display());
    }
    if r.seek(48_000).is_ok() {
        let mut n = 0;
        while let Ok(Some(_)) = r.next_chunk() {
            n += 1;
            assert!(n < 10_000, "endless sound from {}", p.display());
        }
    }
}

#[test]
fn sound_over_the_duration_limit_is_too_large() {
    let dir = tempfile::tempdir().unwrap();
    let p = beep_file(dir.path(), "a.mp4", 44_100, 3, &["-c:a", "aac"]);
    let limits = Limits {
        max_video_seconds: 1.0,
        ..Limits::default()
    };
    assert!(matches!(
        open_reader(&p, "a.mp4", &limits),
        Err(MediaError::TooLarge { .. })
    ));
}

#[test]
fn opus_seek_right_after_open() {
    let dir = tempfile::tempdir().unwrap();
    let p = beep_file(dir.path(), "a.webm", 48_000, 4, &["-c:a", "libopus"]);
    let mut r = reader(&p);
    r.seek(96_000 + 24_000).unwrap();
    let (start, left) = read_all(&mut r);
    assert_eq!(start, 120_000);
    check_beeps(start, &left, 3, 4);
}

#[test]
fn aac_seek_lands_on_the_exact_sample() {
    // A ramp would show any shift: here the beeps, after seeks to odd samples.
    let dir = tempfile::tempdir().unwrap();
    let p = beep_file(dir.path(), "a.mp4", 44_100, 4, &["-c:a", "aac"]);
    let mut r = reader(&p);
    for target in [47_000i64, 95_999, 100_001, 143_500] {
        r.seek(target).unwrap();
        let c = r.next_chunk().unwrap().unwrap();
        assert_eq!(c.start, target);
        let (start, left) = read_all(&mut r);
        assert_eq!(start, target + c.left.len() as i64);
        let mut all = c.left;
        all.extend(left);
        let next_second = target / 48_000 + 1;
        check_beeps(target, &all, next_second, 4);
    }
    // Past the end: nothing.
    r.seek(10 * 48_000).unwrap();
    assert!(r.next_chunk().unwrap().is_none());
}

#[test]
fn surround_opus_goes_to_ffmpeg() {
    let dir = tempfile::tempdir().unwrap();
    let p = beep_file(
        dir.path(),
        "s.webm",
        48_000,
        1,
        &["-ac", "6", "-c:a", "libopus"],
    );
    assert!(matches!(
        open_reader(&p, "s.webm", &Limits::default()),
        Err(MediaError::Unsupported { .. })
    ));
}

#[cfg(feature = "fuzzing")]
#[test]
fn fuzz_entry_reads_its_seeds_and_their_pieces() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/media_sound");
    for f in ["aac.mp4", "opus.webm", "flac.mkv"] {
        let bytes = std::fs::read(dir.join(f)).unwrap();
        super::fuzzing::media_sound(&bytes);
        for cut in [1, 2, 50, bytes.len() / 2] {
            super::fuzzing::media_sound(&bytes[..cut]);
        }
    }
}
