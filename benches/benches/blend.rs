//! The blend kernels through the compositor: one full-frame 1920×1080 layer blended onto an
//! opaque one, each mode, with an opacity that changes every iteration so the frame is
//! recomposed (and the layer not re-rasterised) every time.

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
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

criterion_group!(benches, blend);
criterion_main!(benches);
