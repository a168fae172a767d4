//! Fuzzes the native video path's MP4 demuxer with openh264 behind it: the input is a
//! file, probed, opened and read (pictures, a seek, more pictures) with small limits. It must
//! never panic, hang or allocate without bound. Seeded with tiny clips made by ffmpeg
//! (`fuzz/corpus/video_mp4/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    streamcomp_core::media::native_fuzzing::mp4(data);
});
