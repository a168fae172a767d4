//! H.264 (openh264) encoding of real composed frames at 1280×720 and 1920×1080: the overlay
//! scene's moving frames, pre-rendered and converted, encoded in a loop (one iteration = one
//! frame sent through an `EncoderContext` and its packets taken). Frames per second = 1 / the
//! time per iteration.

use criterion::{Criterion, criterion_group, criterion_main};
use streamcomp_benches::{encode_step, overlay_frames};
use streamcomp_core::encode::VideoSettings;

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode_h264");
    g.sample_size(30);
    for (w, h, bitrate) in [(1280, 720, 4000), (1920, 1080, 6000)] {
        let mut settings = VideoSettings::new(w, h, 30.0);
        settings.bitrate_kbps = bitrate;
        let mut step = encode_step(&settings, overlay_frames(w, h));
        g.bench_function(format!("{w}x{h}"), |b| b.iter(&mut step));
    }
    g.finish();
}

criterion_group!(benches, encode);
criterion_main!(benches);
