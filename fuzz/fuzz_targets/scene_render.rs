//! Fuzz target: validate a scene, and when it is accepted, render frames of it. The first two
//! bytes pick the scene time (0 to 655 s), the rest is the scene document. Large canvases are
//! shrunk to 320x180 and scenes cut to 16 layers to keep runs fast. Never a panic (the
//! compositor's own guard would hide one: libFuzzer's hook aborts on any panic, caught or not).

#![no_main]

use libfuzzer_sys::fuzz_target;
use streamcomp_core::{AssetResolver, Compositor, CompositorOptions, LoadOptions, Scene};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let t = f64::from(u16::from_le_bytes([data[0], data[1]])) / 100.0;
    let Ok(text) = std::str::from_utf8(&data[2..]) else {
        return;
    };
    let Ok(mut scene) = Scene::from_json(text, &LoadOptions::default()) else {
        return;
    };
    scene.width = scene.width.min(320);
    scene.height = scene.height.min(180);
    scene.layers.truncate(16);
    // Confined to the examples' folder: their images load, nothing else on disk does.
    let assets =
        AssetResolver::confined(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/scenes"))
            .with_system_fonts(false);
    let mut comp = Compositor::new(CompositorOptions::default().with_threads(1), assets);
    for k in 0..2 {
        if let Ok(frame) = comp.render(&scene, t + f64::from(k) / scene.fps) {
            assert_eq!((frame.width(), frame.height()), (scene.width, scene.height));
        }
    }
    assert!(comp.take_failures().is_empty());
});
