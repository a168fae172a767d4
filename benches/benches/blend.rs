//! The blend kernels through the compositor: one full-frame 1920×1080 layer blended onto an
//! opaque one, each mode, with an opacity that changes every iteration so the frame is
//! recomposed (and the layer not re-rasterised) every time. Then the row kernels alone at each
//! SIMD level (`scalar`, `sse2`: the kernels before AVX2; `avx2`), so one run compares them.

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use streamcomp_core::kernels::{Simd, blend_row_at};
use streamcomp_core::scene::BlendMode;
use streamcomp_core::{AssetResolver, Compositor, CompositorOptions, LoadOptions, Scene};

fn blend(c: &mut Criterion) {
    let mut group = c.benchmark_group("blend_full_layer_1080p");
    for mode in ["normal", "add", "multiply", "screen"] {
        let scene = Scene::from_value(
            json!({"width": 1920, "height": 1080, "layers": [
                {"type": "rect", "width": 1920, "height": 1080, "color": "#336699"},
                {"type": "rect", "width": 1920, "height": 1080, "color": "#ff800080", "blend": mode,
                 "animations": [{"property": "opacity", "from": 0.5, "to": 1, "duration": 1, "repeat": -1}]}]}),
            &LoadOptions::default(),
        )
        .expect("valid scene");
        let mut comp = Compositor::new(
            CompositorOptions::default().with_threads(1),
            AssetResolver::default(),
        );
        let mut i = 0u64;
        group.bench_function(mode, |b| {
            b.iter(|| {
                i += 1;
                comp.render(&scene, (i % 60) as f64 / 60.0)
                    .expect("render")
                    .width()
            })
        });
    }
    group.finish();
}

/// 1920 translucent premultiplied pixels (an anti-aliased, semi-transparent layer).
fn row(seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..1920)
        .flat_map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let a = (x >> 24) as u8 | 1;
            let c = |k: u32| ((x >> k) as u8 as u32 * a as u32 / 255) as u8;
            [c(0), c(8), c(16), a]
        })
        .collect()
}

/// One 1920-pixel row per iteration, each mode at full opacity and at 80 %, each level.
fn rows(c: &mut Criterion) {
    let mut group = c.benchmark_group("blend_row_1920");
    let (src, base) = (row(1), row(2));
    let opaque: Vec<u8> = src
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    let mut dst = base.clone();
    for (mode, name) in [
        (BlendMode::Normal, "normal"),
        (BlendMode::Add, "add"),
        (BlendMode::Multiply, "multiply"),
        (BlendMode::Screen, "screen"),
    ] {
        for op in [255u8, 204] {
            for level in Simd::ALL.into_iter().filter(|l| l.available()) {
                group.bench_function(format!("{name}/op{op}/{}", level.name()), |b| {
                    b.iter(|| {
                        dst.copy_from_slice(&base);
                        blend_row_at(level, &mut dst, &src, op, mode, false);
                        dst[0]
                    })
                });
            }
        }
    }
    // An opaque source at 80 %: the photos of the overlay scene.
    for level in Simd::ALL.into_iter().filter(|l| l.available()) {
        group.bench_function(format!("opaque/op204/{}", level.name()), |b| {
            b.iter(|| {
                dst.copy_from_slice(&base);
                blend_row_at(level, &mut dst, &opaque, 204, BlendMode::Normal, true);
                dst[0]
            })
        });
    }
    group.finish();
}

criterion_group!(benches, blend, rows);
criterion_main!(benches);
