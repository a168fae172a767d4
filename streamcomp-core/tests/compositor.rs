//! Compositor behaviour: deterministic bytes for any thread count, caches that avoid redrawing
//! what did not change, animations and live changes on the scene clock, bounds.

use serde_json::json;
use streamcomp_core::{
    AssetResolver, Compositor, CompositorOptions, LayerChange, LoadOptions, Scene,
};

fn scene(doc: serde_json::Value) -> Scene {
    Scene::from_value(doc, &LoadOptions::default()).unwrap()
}

fn compositor(threads: usize) -> Compositor {
    Compositor::new(
        CompositorOptions::default().with_threads(threads),
        AssetResolver::default(),
    )
}

/// Fifty overlapping layers of every shape, mode and transform, animated.
fn busy_scene() -> Scene {
    let modes = ["normal", "add", "multiply", "screen"];
    let layers: Vec<_> = (0..50)
        .map(|i| {
            let ty = if i % 2 == 0 { "rect" } else { "ellipse" };
            let mut l = json!({"type": ty, "x": (i * 37) % 600, "y": (i * 53) % 300, "width": 80 + i, "height": 60 + i,
                   "color": format!("#{:02x}{:02x}{:02x}{:02x}", (i * 40) % 256, (i * 90) % 256, (i * 20) % 256, 128 + i),
                   "rotation": (i * 7) % 90, "scale": 1.0 + (i % 3) as f64 * 0.25, "blend": modes[i % 4],
                   "z": (i * 13) % 7,
                   "animations": [{"property": "x", "from": 0, "to": 200, "duration": 2, "repeat": -1, "alternate": true}]});
            if ty == "rect" {
                l["radius"] = json!(i % 20);
            }
            l
        })
        .collect();
    scene(json!({"width": 640, "height": 360, "background": "#203040", "layers": layers}))
}

#[test]
fn identical_bytes_for_one_two_and_eight_threads() {
    let s = busy_scene();
    for t in [0.0, 0.37, 1.5] {
        let one = compositor(1).render(&s, t).unwrap().clone();
        for threads in [2, 8] {
            let many = compositor(threads).render(&s, t).unwrap().clone();
            assert!(one == many, "t={t}: {threads} threads differ from one");
        }
    }
}

#[test]
fn incremental_frames_equal_fresh_renders() {
    // Damage tracking must never leave stale pixels: every frame of an animation rendered by
    // one long-lived compositor equals the same frame rendered from scratch.
    let s = busy_scene();
    let mut live = compositor(2);
    for i in 0..20 {
        let t = i as f64 / 10.0;
        let a = live.render(&s, t).unwrap().clone();
        let b = compositor(1).render(&s, t).unwrap().clone();
        assert!(a == b, "frame at t={t} differs from a fresh render");
    }
}

#[test]
fn unchanged_frames_are_reused_and_moves_reuse_rasters() {
    let mut s = scene(json!({"width": 320, "height": 180, "layers": [
        {"id": "a", "type": "rect", "x": 10, "y": 10, "width": 100, "height": 50, "color": "#ff0000"},
        {"id": "b", "type": "ellipse", "x": 100, "y": 60, "width": 80, "height": 80, "color": "#00ff0080"}]}));
    let mut c = compositor(1);
    c.render(&s, 0.0).unwrap();
    let first = c.stats();
    assert_eq!(first.rasterized, 2);
    for i in 1..10 {
        c.render(&s, i as f64 / 30.0).unwrap();
    }
    let still = c.stats();
    assert_eq!(
        still.reused_frames, 9,
        "nothing moved: every later frame is reused"
    );
    assert_eq!(
        still.composed_pixels, first.composed_pixels,
        "and nothing is recomposed"
    );

    // Moving and fading a layer recomposes only around it and does not re-rasterise it.
    s.apply(
        LayerChange::Patch {
            id: "a".into(),
            patch: json!({"x": 30, "opacity": 0.5}),
            transition: None,
        },
        0.5,
    )
    .unwrap();
    let frame = c.render(&s, 0.5).unwrap().clone();
    let moved = c.stats();
    assert_eq!(moved.rasterized, 2);
    let area = moved.composed_pixels - still.composed_pixels;
    assert!(area <= 120 * 50, "recomposed {area} px for a 100x50 move");
    assert!(frame == compositor(1).render(&s, 0.5).unwrap().clone());
}

#[test]
fn animations_follow_the_scene_clock() {
    let s = scene(
        json!({"width": 64, "height": 16, "background": "#000000", "layers": [
        {"type": "rect", "x": 0, "y": 0, "width": 8, "height": 16, "color": "#ffffff",
         "animations": [{"property": "x", "from": 0, "to": 40, "duration": 1, "easing": "linear"},
                        {"property": "opacity", "from": 0, "to": 1, "start": 0, "duration": 0.5}]}]}),
    );
    let mut c = compositor(1);
    let f = c.render(&s, 0.5).unwrap();
    // x = 20 at t = 0.5, fully opaque.
    assert_eq!(f.pixel(19, 8), [0, 0, 0, 255]);
    assert_eq!(f.pixel(20, 8), [255, 255, 255, 255]);
    assert_eq!(f.pixel(27, 8), [255, 255, 255, 255]);
    assert_eq!(f.pixel(28, 8), [0, 0, 0, 255]);
    let f = c.render(&s, 0.25).unwrap();
    // x = 10, opacity 0.5.
    assert_eq!(f.pixel(12, 8), [128, 128, 128, 255]);
    let f = c.render(&s, 5.0).unwrap();
    assert_eq!(f.pixel(44, 8), [255, 255, 255, 255], "holds the end value");
}

#[test]
fn live_changes_with_transition_and_fade() {
    let mut s = scene(json!({"width": 64, "height": 16, "layers": [
        {"id": "r", "type": "rect", "x": 0, "y": 0, "width": 8, "height": 16, "color": "#ffffff"}]}));
    let mut c = compositor(1);
    s.apply(
        LayerChange::Patch {
            id: "r".into(),
            patch: json!({"x": 40, "transition": {"duration": 1}}),
            transition: None,
        },
        1.0,
    )
    .unwrap();
    let f = c.render(&s, 1.5).unwrap();
    assert_eq!(f.pixel(20, 8), [255, 255, 255, 255]);
    assert_eq!(f.pixel(19, 8)[0], 0);
    s.apply(
        LayerChange::Remove {
            id: "r".into(),
            fade: Some(std::time::Duration::from_secs(1)),
        },
        2.0,
    )
    .unwrap();
    let f = c.render(&s, 2.5).unwrap();
    assert_eq!(f.pixel(44, 8), [128, 128, 128, 255]);
    let f = c.render(&s, 3.0).unwrap();
    assert_eq!(f.pixel(44, 8), [0, 0, 0, 255]);
}

#[test]
fn bounds_follow_rotation_and_scale() {
    let s = scene(json!({"width": 200, "height": 200, "layers": [
        {"id": "r", "type": "rect", "x": 50, "y": 50, "width": 100, "height": 40, "rotation": 90},
        {"id": "s", "type": "rect", "x": 0, "y": 0, "width": 10, "height": 10, "scale": 3, "anchor_x": 0, "anchor_y": 0}]}));
    let mut c = compositor(1);
    let b = c.bounds(&s, &s.layers[0], 0.0).unwrap();
    assert!(
        (b.x - 80.0).abs() < 1e-3 && (b.y - 20.0).abs() < 1e-3,
        "{b:?}"
    );
    assert!(
        (b.width - 40.0).abs() < 1e-3 && (b.height - 100.0).abs() < 1e-3,
        "{b:?}"
    );
    let b = c.bounds(&s, &s.layers[1], 0.0).unwrap();
    assert_eq!((b.x, b.y, b.width, b.height), (0.0, 0.0, 30.0, 30.0));
}

#[test]
fn z_order_is_stable_for_equal_z() {
    let s = scene(json!({"width": 16, "height": 16, "layers": [
        {"type": "rect", "width": 16, "height": 16, "color": "#ff0000", "z": 1},
        {"type": "rect", "width": 16, "height": 16, "color": "#00ff00", "z": 0},
        {"type": "rect", "width": 16, "height": 16, "color": "#0000ff", "z": 1}]}));
    assert_eq!(
        compositor(1).render(&s, 0.0).unwrap().pixel(8, 8),
        [0, 0, 255, 255]
    );
}

#[test]
fn layer_times_name_the_costly_layer_and_change_no_pixel() {
    // A full-frame ellipse turning every frame (rasterised, transformed and blended over the
    // whole canvas) and a 2×2 square that never changes.
    let s = scene(json!({"width": 640, "height": 360, "layers": [
        {"id": "big", "type": "ellipse", "x": 0, "y": 0, "width": 640, "height": 360, "color": "#336699c0",
         "animations": [{"property": "rotation", "from": 0, "to": 360, "duration": 2, "repeat": -1}]},
        {"id": "dot", "type": "rect", "x": 5, "y": 5, "width": 2, "height": 2, "color": "#ffffff"}]}));
    let (mut timed, mut plain) = (compositor(2), compositor(2));
    assert!(timed.layer_times().is_empty(), "off by default");
    timed.time_layers(true);
    for i in 0..10 {
        let t = f64::from(i) / 30.0;
        let a = timed.render(&s, t).unwrap().clone();
        assert_eq!(&a, plain.render(&s, t).unwrap(), "frame {i}");
    }
    let times = timed.layer_times();
    let ids: Vec<&str> = times.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, ["big", "dot"], "{times:?}");
    assert!(times.iter().all(|l| l.frames == 10), "{times:?}");
    assert!(times[0].compose > times[1].compose, "{times:?}");
    timed.time_layers(false);
    assert!(timed.layer_times().is_empty());
}
