//! Fuzzes the RTMP publisher's session parser: the input is what a server sends after the
//! handshake (chunk stream, control messages, AMF0 commands), fed to a publishing conversation
//! in pieces. It must never panic, hang or grow without bound. Seeded with the conversations
//! recorded from real servers (`fuzz/corpus/rtmp_session/`, from
//! `streamcomp-core/tests/data/rtmp/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    streamcomp_core::output::rtmp_fuzzing::rtmp_session(data);
});
