//! AV1 (rav1e, speed preset chosen by frame size, low latency, all cores) encoding of real
//! composed frames at 320×180 (speed 9), 640×360 and 1280×720 (speed 10): the overlay
//! scene's moving frames, pre-rendered and converted, encoded in a loop (one iteration = one
//! frame sent through an `EncoderContext` and its packets taken). Frames per second = 1 / the
//! time per iteration (criterion prints it as elem/s).
//!
//! `cargo bench -p streamcomp-benches --bench encode_av1`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use streamcomp_benches::{encode_step, overlay_frames};
use streamcomp_core::{encode::VideoCodec, encode::VideoSettings};

fn encode_av1(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode_av1");
    g.sample_size(10);
    g.throughput(Throughput::Elements(1));
    for (w, h, bitrate) in [(320, 180, 500), (640, 360, 1000), (1280, 720, 2500)] {
        let mut settings = VideoSettings::new(w, h, 30.0);
        settings.codec = VideoCodec::Av1;
        settings.bitrate_kbps = bitrate;
        let mut step = encode_step(&settings, overlay_frames(w, h));
        g.bench_function(format!("{w}x{h}"), |b| b.iter(&mut step));
    }
    g.finish();
}

criterion_group!(benches, encode_av1);
criterion_main!(benches);
