//! The fuzz target's way in (cargo feature `fuzzing`, not API): bytes as a video file's sound,
//! opened, read, seeked and read again. Whatever the bytes, this must return without panicking,
//! within bounded time and memory.

use std::io::Write;

use crate::limits::Limits;

/// Writes `data` to a file of this process (named `.mp4`, `.mkv` or `.webm` by the first
/// byte) and reads its sound: up to 200 chunks, a seek to the second given by the second byte,
/// up to 100 chunks more.
pub fn media_sound(data: &[u8]) {
    let ext = match data.first().map(|b| b % 3) {
        Some(0) => "mp4",
        Some(1) => "mkv",
        _ => "webm",
    };
    let path = std::env::temp_dir().join(format!(
        "streamcomp-fuzz-sound-{}.{ext}",
        std::process::id()
    ));
    let written = std::fs::File::create(&path).and_then(|mut f| f.write_all(data));
    if written.is_ok() {
        read(&path, data.get(1).copied().unwrap_or(0));
    }
    let _ = std::fs::remove_file(&path);
}

/// Reads the sound of the file at `path`, seeking to second `seek_to`.
fn read(path: &std::path::Path, seek_to: u8) {
    let limits = Limits {
        max_video_seconds: 600.0,
        max_video_packet_bytes: 1 << 20,
        ..Limits::default()
    };
    let Ok(Some(mut r)) = super::open(path, "fuzz", &limits) else {
        return;
    };
    for _ in 0..200 {
        if !matches!(r.next_chunk(), Ok(Some(_))) {
            break;
        }
    }
    if r.seek(i64::from(seek_to) * 48_000).is_ok() {
        for _ in 0..100 {
            if !matches!(r.next_chunk(), Ok(Some(_))) {
                break;
            }
        }
    }
}
