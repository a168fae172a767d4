//! Composition time per 1920×1080 frame: (a) a 10-layer broadcast overlay with a rotating logo
//! and a clock, (b) 50 mixed layers, (c) the overlay with nothing moving. Time advances one frame
//! per iteration so animations run as they would live.

use criterion::{Criterion, criterion_group, criterion_main};
use streamcomp_benches::load;

fn compose(c: &mut Criterion) {
    let mut group = c.benchmark_group("compose_1080p");
    for (label, file) in [
        ("a_overlay_10", "overlay.json"),
        ("b_mixed_50", "mixed50.json"),
        ("c_overlay_static", "overlay-static.json"),
    ] {
        for (threads, incremental) in [(1, true), (2, true), (1, false), (2, false)] {
            let (scene, mut comp) = load(file, threads, incremental);
            let mut frame = 1u64;
            let mode = if incremental { "incremental" } else { "full" };
            group.bench_function(format!("{label}/{mode}/threads_{threads}"), |b| {
                b.iter(|| {
                    frame += 1;
                    let t = frame as f64 / scene.fps;
                    comp.render(&scene, t).expect("render").width()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, compose);
criterion_main!(benches);
