//! RGBA → I420 (BT.709 limited) at 1920×1080: `Frame::to_i420` (our converter, the best level
//! the CPU runs), each level forced, and the `yuv` crate's converter it replaced, in one run;
//! and straight-alpha conversion for PNG.

use criterion::{Criterion, criterion_group, criterion_main};
use streamcomp_benches::load;
use streamcomp_core::YuvFrame;
use streamcomp_core::kernels::Simd;

fn convert(c: &mut Criterion) {
    let (scene, mut comp) = load("overlay-static.json", 1, true);
    let frame = comp.render(&scene, 0.0).expect("render").clone();
    let mut yuv = YuvFrame::new(frame.width(), frame.height());
    c.bench_function("rgba_to_i420_1080p", |b| b.iter(|| frame.to_i420(&mut yuv)));
    // The converter has a scalar and an AVX2 version (no SSE2 one).
    for level in [Simd::Scalar, Simd::Avx2]
        .into_iter()
        .filter(|l| l.available())
    {
        c.bench_function(&format!("rgba_to_i420_1080p/{}", level.name()), |b| {
            b.iter(|| frame.to_i420_at(level, &mut yuv))
        });
    }
    c.bench_function("rgba_to_i420_1080p/yuv_crate", |b| {
        b.iter(|| frame.to_i420_yuv_crate(&mut yuv))
    });
    let mut straight = Vec::new();
    c.bench_function("premultiplied_to_straight_1080p", |b| {
        b.iter(|| frame.to_straight_rgba(&mut straight))
    });
}

criterion_group!(benches, convert);
criterion_main!(benches);
