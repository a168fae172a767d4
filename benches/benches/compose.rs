//! Composition time per 1920×1080 frame: (a) a 10-layer broadcast overlay with a rotating logo
//! and a clock, (b) 50 mixed layers, (c) the overlay with nothing moving; and per frame of the
//! Ken Burns scenes `motion-720p` and `motion-1080p` (a full-frame photo panning and turning,
//! resampled into the frame every frame) at each quality. Time advances one frame per
//! iteration so animations run as they would live.

use criterion::{Criterion, criterion_group, criterion_main};
use streamcomp_benches::{load, load_with};
use streamcomp_core::Quality;

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

fn motion(c: &mut Criterion) {
    let mut group = c.benchmark_group("motion");
    for file in ["motion-720p.json", "motion-1080p.json"] {
        for (quality, q) in [("low", Quality::Low), ("high", Quality::High)] {
            for threads in [1, 2] {
                let (scene, mut comp) = load_with(file, threads, q);
                let mut frame = 1u64;
                let label = file.trim_end_matches(".json");
                group.bench_function(format!("{label}/{quality}/threads_{threads}"), |b| {
                    b.iter(|| {
                        frame += 1;
                        let t = frame as f64 / scene.fps;
                        comp.render(&scene, t).expect("render").width()
                    })
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, compose, motion);
criterion_main!(benches);
