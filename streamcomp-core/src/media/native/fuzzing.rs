//! The fuzz targets' way in (cargo feature `fuzzing`, not API): bytes as a video file of each
//! container, probed, opened and read (a few pictures, a seek, a few more) with small limits.
//! Whatever the bytes, this must return without panicking, hanging or allocating much.

use std::path::PathBuf;

use crate::limits::Limits;
use crate::media::FrameReader;

/// Limits small enough that no input makes a big allocation.
fn fuzz_limits() -> Limits {
    Limits {
        max_video_width: 1024,
        max_video_height: 1024,
        max_video_pixels: 1024 * 1024,
        max_video_packet_bytes: 4 << 20,
        max_video_samples: 100_000,
        ..Limits::default()
    }
}

/// A file of this process for the fuzz input (the demuxers read files).
fn input_file(tag: &str, data: &[u8]) -> Option<PathBuf> {
    let path = std::env::temp_dir().join(format!("streamcomp-fuzz-{}-{tag}", std::process::id()));
    std::fs::write(&path, data).ok()?;
    Some(path)
}

/// Installs (once) a panic hook that lets panics inside [`super::guarded`] unwind quietly
/// to the `catch_unwind` there (they are errors the native path reports), and hands every
/// other panic to libFuzzer's hook, which aborts: a finding.
fn hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !super::in_guard() {
                previous(info);
            }
        }));
    });
}

/// Probes, opens and reads the file: up to 8 pictures, a seek to 1 s, 4 more.
fn run(tag: &str, data: &[u8]) {
    hook();
    let Some(path) = input_file(tag, data) else {
        return;
    };
    let limits = fuzz_limits();
    let _ = super::probe(&path, "fuzz", &limits);
    if let Ok(mut r) = super::open(&path, "fuzz", &limits, "openh264") {
        for _ in 0..8 {
            if !matches!(r.next_frame(), Ok(Some(_))) {
                break;
            }
        }
        if r.seek(1_000_000_000).is_ok() {
            for _ in 0..4 {
                if !matches!(r.next_frame(), Ok(Some(_))) {
                    break;
                }
            }
        }
    }
    let _ = std::fs::remove_file(&path);
}

/// Bytes as an MP4 file (`ftyp` is prepended unless the input starts with a box type the
/// sniffer knows, so most inputs reach the MP4 demuxer).
pub fn mp4(data: &[u8]) {
    if super::sniff(data) == Some(super::Container::Mp4) {
        run("mp4", data);
    } else {
        let mut v = b"\0\0\0\x10ftypisom\0\0\x02\0".to_vec();
        v.extend_from_slice(data);
        run("mp4", &v);
    }
}

/// Bytes as a Matroska file (after the EBML magic unless they start with it).
pub fn mkv(data: &[u8]) {
    if data.starts_with(&[0x1a, 0x45, 0xdf, 0xa3]) {
        run("mkv", data);
    } else {
        let mut v = vec![0x1a, 0x45, 0xdf, 0xa3];
        v.extend_from_slice(data);
        run("mkv", &v);
    }
}

/// Bytes as an FLV file (after `FLV` unless they start with it); also parses the bytes as one
/// video and one audio tag body (the part RTMP ingest shares).
pub fn flv(data: &[u8]) {
    let _ = super::flv::parse_video_tag(data);
    let _ = super::flv::parse_audio_tag(data);
    if data.starts_with(b"FLV") {
        run("flv", data);
    } else {
        let mut v = b"FLV".to_vec();
        v.extend_from_slice(data);
        run("flv", &v);
    }
}
