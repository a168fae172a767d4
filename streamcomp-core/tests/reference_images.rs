//! Transformed images against an independent floating-point reference, at every quality.
//!
//! Each picture is a smooth function written to a PNG (the value at each pixel centre). The
//! reference renderer maps 16×16 points per canvas pixel back into the layer's box and
//! evaluates the function there (clamped to the outermost pixel centres, as every renderer
//! pads an image), so it knows the exact picture at any scale and angle. Interior pixels must
//! agree within 3 levels (2 for the shapes of `reference.rs`: here the picture is quantised
//! to 8 bits before the renderer sees it, and an enlarged one is resampled twice); edge pixels
//! within 48, as for shapes. Edge pixels are those partly covered or next to one, and those
//! within a canvas pixel or two picture pixels of the layer's edge, where the picture has no
//! sample and renderers pad differently. The mean error over the frame must stay under 0.75
//! (0.5 for shapes, which have no quantised picture).
//! Cases: rotation, 8× and 0.01× scale, 89.9° and 180°, a box 1 pixel wide, boxes partly and
//! far outside the canvas. A 1-pixel checkerboard shown at 0.05× must come out an even grey
//! (prefiltered, not aliased), and text turned 180° about a pixel-aligned centre must be the
//! upright text turned over exactly.

use std::f64::consts::PI;
use std::path::Path;

use serde_json::{Value, json};
use streamcomp_core::{AssetResolver, Compositor, CompositorOptions, LoadOptions, Scene};

#[path = "support/pixels.rs"]
mod pixels;
use pixels::{FrameDiff, frame_diff, write_png};

/// The picture, straight RGB in 0..1, at normalised box coordinates.
fn picture(u: f64, v: f64) -> [f64; 3] {
    [
        0.5 + 0.4 * (2.0 * PI * (0.5 * u + 0.2 * v)).sin(),
        0.5 + 0.4 * (2.0 * PI * (0.25 * u - 0.4 * v)).cos(),
        0.5 + 0.3 * (PI * (u + v)).sin(),
    ]
}

/// Writes `name` (`w`×`h`) with the picture sampled at its pixel centres.
fn write_picture(dir: &Path, name: &str, w: u32, h: u32) {
    let mut rgba = Vec::with_capacity((w * h * 4) as usize);
    for j in 0..h {
        for i in 0..w {
            let c = picture((i as f64 + 0.5) / w as f64, (j as f64 + 0.5) / h as f64);
            rgba.extend(c.map(|c| (c * 255.0).round() as u8));
            rgba.push(255);
        }
    }
    write_png(&dir.join(name), w, h, &rgba);
}

/// An image layer as the reference sees it.
struct Layer {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    rotation: f64,
    scale: (f64, f64),
    opacity: f64,
    /// The picture's size in pixels (for the padding at its edges).
    iw: f64,
    ih: f64,
}

impl Layer {
    fn of(l: &Value, sizes: &[(&str, u32, u32)]) -> Layer {
        let f = |k: &str, d: f64| l.get(k).and_then(Value::as_f64).unwrap_or(d);
        let src = l["src"].as_str().unwrap();
        let &(_, iw, ih) = sizes.iter().find(|s| s.0 == src).unwrap();
        let scale = f("scale", 1.0);
        Layer {
            x: f("x", 0.0),
            y: f("y", 0.0),
            w: f("width", iw as f64),
            h: f("height", ih as f64),
            rotation: f("rotation", 0.0),
            scale: (f("scale_x", scale), f("scale_y", scale)),
            opacity: f("opacity", 1.0),
            iw: iw as f64,
            ih: ih as f64,
        }
    }

    /// Straight RGB at canvas point (px, py), or `None` outside the layer (anchor: centre),
    /// and whether the point lies in the layer's border zone: within a canvas pixel of its
    /// edge, or within two picture pixels (a filter's reach), where the picture has no sample and a
    /// renderer's padding convention decides.
    fn at(&self, px: f64, py: f64) -> Option<([f64; 3], bool)> {
        let (ax, ay) = (self.w / 2.0, self.h / 2.0);
        let (dx, dy) = (px - (self.x + ax), py - (self.y + ay));
        let a = -self.rotation.to_radians();
        let (rx, ry) = (dx * a.cos() - dy * a.sin(), dx * a.sin() + dy * a.cos());
        let (u, v) = (rx / self.scale.0 + ax, ry / self.scale.1 + ay);
        if !(0.0..self.w).contains(&u) || !(0.0..self.h).contains(&v) {
            return None;
        }
        let pad = |t: f64, n: f64| t.clamp(0.5 / n, 1.0 - 0.5 / n);
        // Border widths in box units: a canvas pixel, or half a picture pixel.
        let bu = (1.0 / self.scale.0.abs()).max(2.0 * self.w / self.iw);
        let bv = (1.0 / self.scale.1.abs()).max(2.0 * self.h / self.ih);
        let border = u < bu || u > self.w - bu || v < bv || v > self.h - bv;
        Some((
            picture(pad(u / self.w, self.iw), pad(v / self.h, self.ih)),
            border,
        ))
    }
}

/// The reference frame, premultiplied 0..255, and which pixels a layer covers partly.
fn reference(doc: &Value, sizes: &[(&str, u32, u32)]) -> (Vec<[f64; 4]>, Vec<bool>) {
    let (w, h) = (
        doc["width"].as_u64().unwrap() as usize,
        doc["height"].as_u64().unwrap() as usize,
    );
    let layers: Vec<Layer> = doc["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| Layer::of(l, sizes))
        .collect();
    const N: usize = 16;
    let bg = 0.1;
    let mut out = vec![[0.0; 4]; w * h];
    let mut edge = vec![false; w * h];
    for py in 0..h {
        for px in 0..w {
            let mut d = [bg, bg, bg, 1.0];
            for l in &layers {
                let (mut hits, mut sum, mut border) = (0, [0.0; 3], false);
                for sy in 0..N {
                    for sx in 0..N {
                        let x = px as f64 + (sx as f64 + 0.5) / N as f64;
                        let y = py as f64 + (sy as f64 + 0.5) / N as f64;
                        if let Some((c, b)) = l.at(x, y) {
                            hits += 1;
                            border |= b;
                            (0..3).for_each(|i| sum[i] += c[i]);
                        }
                    }
                }
                if hits == 0 {
                    continue;
                }
                if hits != N * N || border {
                    edge[py * w + px] = true;
                }
                let a = l.opacity * hits as f64 / (N * N) as f64;
                for i in 0..3 {
                    d[i] = sum[i] / hits as f64 * a + d[i] * (1.0 - a);
                }
            }
            out[py * w + px] = d.map(|c| c * 255.0);
        }
    }
    // Points 1/16 pixel apart miss an edge that clips a pixel by less: the pixels next to an
    // edge pixel count as edge pixels too.
    let near = (0..w * h)
        .map(|i| {
            let (x, y) = (i % w, i / w);
            (y.saturating_sub(1)..(y + 2).min(h))
                .any(|y| (x.saturating_sub(1)..(x + 2).min(w)).any(|x| edge[y * w + x]))
        })
        .collect();
    (out, near)
}

/// Renders `layers` over a dark grey canvas at every quality and compares with the reference.
fn compare(name: &str, size: (u32, u32), sizes: &[(&str, u32, u32)], layers: Value) {
    let dir = tempfile::tempdir().unwrap();
    for &(file, w, h) in sizes {
        write_picture(dir.path(), file, w, h);
    }
    let doc = json!({"width": size.0, "height": size.1, "background": "#1a1a1a", "layers": layers});
    let path = dir.path().join("scene.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    let scene = Scene::from_file(&path, &LoadOptions::default()).unwrap();
    let (want, edge) = reference(&doc, sizes);
    for quality in ["low", "medium", "high"] {
        let mut comp = Compositor::new(
            CompositorOptions::default()
                .with_threads(1)
                .with_quality(quality.parse().unwrap()),
            AssetResolver::new(dir.path().to_path_buf()),
        );
        let frame = comp.render(&scene, 0.0).unwrap();
        let got = frame.premultiplied();
        let FrameDiff {
            mean,
            worst_inner,
            worst_inner_at,
            worst_edge,
        } = frame_diff(got, &want, &edge);
        let worst_at = (
            worst_inner_at % size.0 as usize,
            worst_inner_at / size.0 as usize,
        );
        if std::env::var_os("REFERENCE_DUMP").is_some() {
            let mut worst: Vec<(f64, usize)> = want
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    (
                        (0..4).map(|c| (got[i * 4 + c] as f64 - w[c]).abs()).sum(),
                        i,
                    )
                })
                .collect();
            worst.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (d, i) in worst.iter().filter(|(d, i)| !edge[*i] && *d > 2.0).take(6) {
                eprintln!(
                    "{name} {quality} {d:.1} at {},{}: got {:?} want {:?} edge {}",
                    i % size.0 as usize,
                    i / size.0 as usize,
                    &got[i * 4..i * 4 + 4],
                    want[*i].map(|c| c.round()),
                    edge[*i]
                );
            }
            frame
                .save_png(format!("/tmp/refimg-{name}-{quality}.png"))
                .unwrap();
        }
        assert!(
            worst_inner <= 3.0,
            "{name} at {quality}: interior differs by up to {worst_inner} at {worst_at:?}"
        );
        assert!(
            worst_edge <= 48.0,
            "{name} at {quality}: edges differ by up to {worst_edge}"
        );
        assert!(mean < 0.75, "{name} at {quality}: mean difference {mean}");
    }
}

#[test]
fn rotated_at_natural_size() {
    compare(
        "rotated",
        (128, 96),
        &[("p.png", 64, 48)],
        json!([{"type": "image", "src": "p.png", "x": 32, "y": 24, "rotation": 30}]),
    );
}

#[test]
fn eight_times_larger_and_turned_89_9_degrees() {
    compare(
        "x8",
        (160, 120),
        &[("small.png", 16, 12)],
        json!([{"type": "image", "src": "small.png", "x": 72.3, "y": 54, "scale": 8},
               {"type": "image", "src": "small.png", "x": 40, "y": 40, "scale": 2.2, "rotation": 89.9, "opacity": 0.6}]),
    );
}

#[test]
fn a_hundredth_of_a_large_picture_turned_over() {
    compare(
        "tiny",
        (64, 48),
        &[("big.png", 2000, 1000)],
        json!([{"type": "image", "src": "big.png", "x": -968, "y": -476, "scale": 0.01, "rotation": 180}]),
    );
}

#[test]
fn half_turn_one_pixel_box_and_boxes_outside() {
    compare(
        "edges",
        (96, 64),
        &[("p.png", 64, 48)],
        json!([{"type": "image", "src": "p.png", "x": 16, "y": 8, "rotation": 180, "opacity": 0.9},
               {"type": "image", "src": "p.png", "x": 80, "y": 10, "width": 1, "height": 40, "fit": "fill", "rotation": 0.5},
               {"type": "image", "src": "p.png", "x": -40.25, "y": 30, "rotation": 10},
               {"type": "image", "src": "p.png", "x": 99000, "y": -99000, "rotation": 45},
               {"type": "image", "src": "p.png", "x": 60, "y": 50, "width": 200, "height": 150, "scale": 0.3, "rotation": -20}]),
    );
}

/// A 1-pixel checkerboard at 0.05× is an even grey: the picture is prefiltered before it is
/// resampled, so it does not alias into stripes or blotches.
#[test]
fn a_fine_checkerboard_shown_small_does_not_alias() {
    let dir = tempfile::tempdir().unwrap();
    let n = 1024u32;
    let rgba: Vec<u8> = (0..n * n)
        .flat_map(|i| {
            let c = if (i % n + i / n).is_multiple_of(2) {
                255
            } else {
                0
            };
            [c, c, c, 255]
        })
        .collect();
    write_png(&dir.path().join("check.png"), n, n, &rgba);
    let doc = json!({"width": 96, "height": 96, "background": "#000000", "layers": [
        {"type": "image", "src": "check.png", "x": -464, "y": -464, "scale": 0.05, "rotation": 10}]});
    let path = dir.path().join("scene.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    let scene = Scene::from_file(&path, &LoadOptions::default()).unwrap();
    for quality in ["low", "medium", "high"] {
        let mut comp = Compositor::new(
            CompositorOptions::default().with_quality(quality.parse().unwrap()),
            AssetResolver::new(dir.path().to_path_buf()),
        );
        let frame = comp.render(&scene, 0.0).unwrap();
        // The inner 36×36 pixels lie well inside the 51-pixel turned square.
        for y in 30..66 {
            for x in 30..66 {
                let p = frame.pixel(x, y);
                assert!(
                    p[..3].iter().all(|&c| c.abs_diff(128) <= 4),
                    "{quality}: pixel {x},{y} is {p:?}, not an even grey"
                );
            }
        }
    }
}

/// Text turned 180° about a point on the pixel grid lands every sample on a pixel centre, so
/// it must equal the upright text turned over, byte for byte, at every quality.
#[test]
fn text_turned_over_equals_upright_text_flipped() {
    let text = |rotation: f64| {
        json!({"width": 320, "height": 120, "background": "#00000000", "layers": [
            {"type": "text", "text": "Turn me", "x": 160, "y": 60, "anchor_x": 0, "anchor_y": 0,
             "font_size": 28, "color": "#ffcc00", "rotation": rotation,
             "outline": {"width": 2, "color": "#202020"}}]})
    };
    for quality in ["low", "medium", "high"] {
        let render = |doc: Value| {
            let scene = Scene::from_value(doc, &LoadOptions::default()).unwrap();
            let mut comp = Compositor::new(
                CompositorOptions::default().with_quality(quality.parse().unwrap()),
                AssetResolver::default(),
            );
            comp.render(&scene, 0.0).unwrap().clone()
        };
        let (upright, turned) = (render(text(0.0)), render(text(180.0)));
        assert!(upright.premultiplied().iter().any(|&b| b != 0));
        for y in 0..120 {
            for x in 0..320 {
                assert_eq!(
                    turned.pixel(x, y),
                    upright.pixel(319 - x, 119 - y),
                    "{quality}: pixel {x},{y}"
                );
            }
        }
    }
}

/// An image at a fractional position is drawn there (its edge columns half covered), not
/// snapped to a whole pixel; a hair off a whole pixel, it is blitted exactly.
#[test]
fn sub_pixel_positions_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    write_png(&dir.path().join("white.png"), 8, 8, &[255u8; 8 * 8 * 4]);
    let render = |x: f64| {
        let doc = json!({"width": 32, "height": 16, "background": "#000000", "layers": [
            {"type": "image", "src": "white.png", "x": x, "y": 4}]});
        let path = dir.path().join("scene.json");
        std::fs::write(&path, doc.to_string()).unwrap();
        let scene = Scene::from_file(&path, &LoadOptions::default()).unwrap();
        let mut comp = Compositor::new(
            CompositorOptions::default(),
            AssetResolver::new(dir.path().to_path_buf()),
        );
        comp.render(&scene, 0.0).unwrap().clone()
    };
    let half = render(10.5);
    assert_eq!(half.pixel(10, 6), [128, 128, 128, 255]);
    for x in 11..18 {
        assert_eq!(half.pixel(x, 6), [255, 255, 255, 255], "column {x}");
    }
    assert_eq!(half.pixel(18, 6), [128, 128, 128, 255]);
    let near = render(10.001);
    assert_eq!(near.pixel(9, 6), [0, 0, 0, 255]);
    assert_eq!(near.pixel(10, 6), [255, 255, 255, 255]);
    assert_eq!(near.pixel(17, 6), [255, 255, 255, 255]);
    assert_eq!(near.pixel(18, 6), [0, 0, 0, 255]);
}
