//! Fuzzes what the outputs read from users and disk: an HLS playlist left by an earlier run
//! (read back to continue it; what we write of it must read back), and output targets as the
//! command line, the server and the bindings parse them (`srt://…?passphrase=…`,
//! `out/index.m3u8?list_size=…`, `rec/%H.mp4?segment=…`, `udp://…`). Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((b'#', _)) => streamcomp_core::output::hls::fuzz_playlist(data),
        Some((_, rest)) => {
            if let Ok(s) = std::str::from_utf8(rest) {
                if let Ok(t) = s.parse::<streamcomp_core::output::OutputTarget>() {
                    let _ = t.to_string();
                    let _ = t.check_codec(streamcomp_core::encode::VideoCodec::H264);
                }
            }
        }
        None => {}
    }
});
