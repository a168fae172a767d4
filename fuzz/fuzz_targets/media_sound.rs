//! Fuzzes the streaming sound reader of video files (MP4/MOV, Matroska/WebM: symphonia's
//! demuxers and decoders, opus-rs, the edit-list walker, the resampler): the input is a file,
//! opened, read, seeked and read again. It must never panic, hang or grow without bound.
//! Seeded with tiny ffmpeg-made files (`fuzz/corpus/media_sound/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    streamcomp_core::media::sound_fuzzing::media_sound(data);
});
