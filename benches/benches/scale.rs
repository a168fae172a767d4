//! A video frame's path into the picture: a 1920×1080 I420 frame (a composed scene converted,
//! so it has edges and text) cropped to nothing, scaled into a 640×360 and a 1280×720 box of a
//! 1280×720 canvas and composed there (`scale::Scaler`), at each quality; and the same from
//! RGBA. The budget: ≤ 1.5 ms into 640×360, ≤ 2.5 ms into 1280×720, one thread.

use criterion::{Criterion, criterion_group, criterion_main};
use streamcomp_benches::load;
use streamcomp_core::scale::{Picture, Placement, Scaler};
use streamcomp_core::{Frame, Quality, YuvFrame};

fn scale(c: &mut Criterion) {
    let (scene, mut comp) = load("overlay.json", 1, true);
    let rgba = comp.render(&scene, 0.5).expect("render").clone();
    let mut i420 = YuvFrame::new(rgba.width(), rgba.height());
    rgba.to_i420(&mut i420);
    let mut canvas = Frame::new(1280, 720);
    let mut scaler = Scaler::new();
    for (name, quality) in [("low", Quality::Low), ("high", Quality::High)] {
        for (w, h) in [(640, 360), (1280, 720)] {
            let dst = Placement {
                x: 0,
                y: 0,
                width: w,
                height: h,
            };
            for (kind, pic) in [
                ("i420", Picture::I420(&i420)),
                ("rgba", Picture::Rgba(&rgba)),
            ] {
                c.bench_function(&format!("{kind}_1080p_to_{w}x{h}_{name}"), |b| {
                    b.iter(|| scaler.compose(&mut canvas, pic, None, dst, 1.0, quality))
                });
            }
        }
    }
}

criterion_group!(benches, scale);
criterion_main!(benches);
