//! The fuzz target's way in (cargo feature `fuzzing`, not API): server bytes after the handshake
//! go to a `Publisher` as a real session gives them, in pieces, with media sent once it is
//! live. Whatever the bytes, this must return without panicking and within bounded memory.

use bytes::Bytes;

use super::publisher::{MediaKind, Publisher};
use super::url::RtmpUrl;

/// Feeds `data` to a publishing conversation for `rtmp://127.0.0.1/live/fuzz-key` (with a
/// `fourCcList` when the length is odd), in pieces whose size depends on the length.
pub fn rtmp_session(data: &[u8]) {
    let Ok(url) = "rtmp://127.0.0.1/live/fuzz-key".parse::<RtmpUrl>() else {
        return;
    };
    let four_cc: &[&str] = if data.len() % 2 == 1 {
        &["av01", "Opus"]
    } else {
        &[]
    };
    let Ok(mut p) = Publisher::new(&url, four_cc) else {
        return;
    };
    let step = 1 + data.len() % 257;
    for piece in data.chunks(step) {
        if p.feed(piece).is_err() {
            return;
        }
        if p.is_live() {
            let _ = p.media(
                MediaKind::Video,
                40,
                Bytes::from_static(&[0x27, 1, 0, 0, 0]),
            );
        }
        let _ = p.take_output();
    }
    p.close();
    let _ = p.take_output();
}
