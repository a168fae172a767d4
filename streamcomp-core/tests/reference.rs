//! The compositor against an independent reference: a small floating-point renderer written
//! here, which point-samples every shape 16×16 times per pixel (exact coverage up to sampling)
//! and blends in `f64`. Interior pixels must agree within 2 levels; anti-aliased edges (where
//! the two renderers' coverage estimates legitimately differ) within a wider bound, and the mean
//! error over the frame must stay small.

use serde_json::{Value, json};
use streamcomp_core::{AssetResolver, Compositor, CompositorOptions, LoadOptions, Scene};

#[path = "support/pixels.rs"]
mod pixels;
use pixels::{FrameDiff, frame_diff};

#[derive(Clone, Copy)]
enum Shape {
    Rect { radius: f64 },
    Ellipse,
}

struct RefLayer {
    shape: Shape,
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    anchor: (f64, f64),
    rotation: f64,
    scale: (f64, f64),
    color: [f64; 4], // straight RGBA 0..1
    opacity: f64,
    blend: String,
    z: i64,
}

fn parse_color(s: &str) -> [f64; 4] {
    let c: streamcomp_core::scene::Color = s.parse().unwrap();
    [
        c.r as f64 / 255.0,
        c.g as f64 / 255.0,
        c.b as f64 / 255.0,
        c.a as f64 / 255.0,
    ]
}

fn ref_layers(doc: &Value) -> Vec<RefLayer> {
    let mut v: Vec<RefLayer> = doc["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let f = |k: &str, d: f64| l.get(k).and_then(Value::as_f64).unwrap_or(d);
            let scale = f("scale", 1.0);
            RefLayer {
                shape: if l["type"] == "ellipse" {
                    Shape::Ellipse
                } else {
                    Shape::Rect {
                        radius: f("radius", 0.0),
                    }
                },
                x: f("x", 0.0),
                y: f("y", 0.0),
                w: f("width", 0.0),
                h: f("height", 0.0),
                anchor: (f("anchor_x", 0.5), f("anchor_y", 0.5)),
                rotation: f("rotation", 0.0),
                scale: (f("scale_x", scale), f("scale_y", scale)),
                color: parse_color(l.get("color").and_then(Value::as_str).unwrap_or("#ffffff")),
                opacity: f("opacity", 1.0),
                blend: l
                    .get("blend")
                    .and_then(Value::as_str)
                    .unwrap_or("normal")
                    .to_string(),
                z: l.get("z").and_then(Value::as_i64).unwrap_or(0),
            }
        })
        .collect();
    v.sort_by_key(|l| l.z); // stable: equal z keeps insertion order
    v
}

/// Is canvas point (px, py) inside the layer? Inverse of translate·rotate·scale about the anchor.
fn inside(l: &RefLayer, px: f64, py: f64) -> bool {
    let (ax, ay) = (l.anchor.0 * l.w, l.anchor.1 * l.h);
    let (dx, dy) = (px - (l.x + ax), py - (l.y + ay));
    let a = -l.rotation.to_radians();
    let (rx, ry) = (dx * a.cos() - dy * a.sin(), dx * a.sin() + dy * a.cos());
    let (u, v) = (rx / l.scale.0 + ax, ry / l.scale.1 + ay);
    match l.shape {
        Shape::Ellipse => {
            let (cx, cy) = (l.w / 2.0, l.h / 2.0);
            ((u - cx) / cx).powi(2) + ((v - cy) / cy).powi(2) <= 1.0
        }
        Shape::Rect { radius } => {
            if !(0.0..=l.w).contains(&u) || !(0.0..=l.h).contains(&v) {
                return false;
            }
            let r = radius.min(l.w / 2.0).min(l.h / 2.0);
            let qx = (u - u.clamp(r, l.w - r)).abs();
            let qy = (v - v.clamp(r, l.h - r)).abs();
            qx * qx + qy * qy <= r * r
        }
    }
}

/// Renders the scene in floating point; returns premultiplied RGBA 0..255 and per-pixel
/// "edge" flags (some layer covers the pixel partially).
fn reference(doc: &Value) -> (Vec<[f64; 4]>, Vec<bool>) {
    let (w, h) = (
        doc["width"].as_u64().unwrap() as usize,
        doc["height"].as_u64().unwrap() as usize,
    );
    let bg = parse_color(doc["background"].as_str().unwrap_or("#000000"));
    let layers = ref_layers(doc);
    const N: usize = 16;
    let mut out = vec![[0.0; 4]; w * h];
    let mut edge = vec![false; w * h];
    for py in 0..h {
        for px in 0..w {
            let mut d = [bg[0] * bg[3], bg[1] * bg[3], bg[2] * bg[3], bg[3]];
            for l in &layers {
                let mut hits = 0;
                for sy in 0..N {
                    for sx in 0..N {
                        let x = px as f64 + (sx as f64 + 0.5) / N as f64;
                        let y = py as f64 + (sy as f64 + 0.5) / N as f64;
                        hits += inside(l, x, y) as usize;
                    }
                }
                if hits == 0 {
                    continue;
                }
                if hits != N * N {
                    edge[py * w + px] = true;
                }
                let cov = hits as f64 / (N * N) as f64;
                let a = l.color[3] * l.opacity * cov;
                let s = [l.color[0] * a, l.color[1] * a, l.color[2] * a, a];
                let (sa, da) = (s[3], d[3]);
                for i in 0..4 {
                    d[i] = match l.blend.as_str() {
                        "add" => (s[i] + d[i]).min(1.0),
                        "multiply" => s[i] * (1.0 - da) + d[i] * (1.0 - sa) + s[i] * d[i],
                        "screen" => s[i] + d[i] - s[i] * d[i],
                        _ => s[i] + d[i] * (1.0 - sa),
                    };
                }
            }
            out[py * w + px] = d.map(|c| c * 255.0);
        }
    }
    (out, edge)
}

fn compare(name: &str, doc: Value, edge_tolerance: f64) {
    let scene = Scene::from_value(doc.clone(), &LoadOptions::default()).unwrap();
    let mut comp = Compositor::new(
        CompositorOptions::default().with_threads(1),
        AssetResolver::default(),
    );
    let frame = comp.render(&scene, 0.0).unwrap();
    let (want, edge) = reference(&doc);
    let FrameDiff {
        mean,
        worst_inner,
        worst_edge,
        ..
    } = frame_diff(frame.premultiplied(), &want, &edge);
    // REFERENCE_DUMP=1 writes both pictures to /tmp for a look.
    if std::env::var_os("REFERENCE_DUMP").is_some() {
        frame.save_png(format!("/tmp/ref-{name}-got.png")).unwrap();
        let mut img = Vec::new();
        for w in &want {
            img.extend(w.map(|c| c.round() as u8));
        }
        let path = format!("/tmp/ref-{name}-want.rgba");
        std::fs::write(path, img).unwrap();
    }
    assert!(
        worst_inner <= 2.0,
        "{name}: interior differs by up to {worst_inner}"
    );
    assert!(
        worst_edge <= edge_tolerance,
        "{name}: edges differ by up to {worst_edge}"
    );
    assert!(mean < 0.5, "{name}: mean difference {mean}");
}

#[test]
fn opacity_and_stacking() {
    compare(
        "opacity",
        json!({"width": 96, "height": 64, "background": "#204060", "layers": [
            {"type": "rect", "x": 10, "y": 10, "width": 50, "height": 30, "color": "#ff0000", "opacity": 0.5, "z": 2},
            {"type": "rect", "x": 30, "y": 20, "width": 50, "height": 30, "color": "#00ff00c0", "z": 1},
            {"type": "rect", "x": 5, "y": 30, "width": 30, "height": 30, "color": "#0000ff80", "z": 1}
        ]}),
        2.0,
    );
}

#[test]
fn blend_modes() {
    for mode in ["normal", "add", "multiply", "screen"] {
        compare(
            mode,
            json!({"width": 64, "height": 48, "background": "#808080", "layers": [
                {"type": "rect", "x": 4, "y": 4, "width": 40, "height": 30, "color": "#c04020"},
                {"type": "rect", "x": 20, "y": 14, "width": 40, "height": 30, "color": "#2080ffb0", "blend": mode, "opacity": 0.8}
            ]}),
            2.0,
        );
    }
}

#[test]
fn ellipses_and_rounded_rects() {
    compare(
        "shapes",
        json!({"width": 96, "height": 64, "background": "#000000", "layers": [
            {"type": "ellipse", "x": 4, "y": 4, "width": 50, "height": 36, "color": "#ffcc00"},
            {"type": "rect", "x": 40, "y": 20, "width": 50, "height": 40, "color": "#30c0ff", "radius": 12}
        ]}),
        48.0,
    );
}

#[test]
fn rotation_and_scale() {
    compare(
        "transforms",
        json!({"width": 96, "height": 96, "background": "#102030", "layers": [
            {"type": "rect", "x": 20, "y": 30, "width": 50, "height": 30, "color": "#ff8000", "rotation": 30},
            {"type": "ellipse", "x": 10, "y": 10, "width": 20, "height": 20, "color": "#00ffff",
             "anchor_x": 0, "anchor_y": 0, "scale_x": 2.5, "scale_y": 1.5},
            {"type": "rect", "x": 60, "y": 60, "width": 20, "height": 20, "color": "#ffffff80", "rotation": -45, "scale": 1.2}
        ]}),
        48.0,
    );
}
