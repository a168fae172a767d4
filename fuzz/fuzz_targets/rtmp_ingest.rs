//! Fuzzes what a live input parses from the network: bytes an RTMP publisher sends to our
//! listener (a client handshake when the first byte is odd; otherwise the chunk stream after
//! it: control messages, AMF0 `connect`/`publish`, audio and video messages whose FLV tag
//! bodies are parsed as the input's decode thread does), and an FLV stream as an `ffmpeg`
//! puller writes it (input starting with `FLV`). Never a panic, a hang or unbounded memory.
//! Seeded with a real ffmpeg publish recorded through a proxy (`fuzz/corpus/rtmp_ingest/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.starts_with(b"FLV") {
        streamcomp_core::input::fuzzing::flv_stream(data);
    } else {
        streamcomp_core::input::fuzzing::ingest_bytes(data);
    }
});
