//! Golden images: every scene `tests/golden/NAME.json`, rendered at the scene time written in
//! `NAME.t` beside it (default 0) and the quality in `NAME.q` (default high), must match
//! `tests/golden/NAME.png` within 1 level per channel.
//!
//! On a mismatch a three-panel image (expected | actual | difference ×8) is written to
//! `target/golden-diff/NAME.png`. `UPDATE_GOLDEN=1 cargo test --test golden` rewrites the
//! references; look at every changed PNG before committing it.
//!
//! System fonts are off so that text renders the same on every machine (bundled fonts only).

use std::path::{Path, PathBuf};

use chrono::DateTime;
use streamcomp_core::{AssetResolver, Compositor, CompositorOptions, Frame, LoadOptions, Scene};

#[path = "support/pixels.rs"]
mod pixels;
use pixels::{read_png, write_png};

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn render(json: &Path) -> Frame {
    let scene = Scene::from_file(json, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", json.display()));
    let t: f64 = std::fs::read_to_string(json.with_extension("t"))
        .ok()
        .map(|s| s.trim().parse().expect("a .t file holds seconds"))
        .unwrap_or(0.0);
    let quality = std::fs::read_to_string(json.with_extension("q"))
        .ok()
        .map(|s| {
            s.trim()
                .parse()
                .expect("a .q file holds low, medium or high")
        })
        .unwrap_or_default();
    // A fixed clock so {time}/{date} templates are reproducible.
    let start = DateTime::parse_from_rfc3339("2026-01-02T03:04:05+00:00").unwrap();
    let assets = AssetResolver::new(golden_dir()).with_system_fonts(false);
    let mut comp = Compositor::new(
        CompositorOptions::default()
            .with_threads(2)
            .with_quality(quality)
            .with_clock_start(start),
        assets,
    );
    comp.render(&scene, t)
        .unwrap_or_else(|e| panic!("{}: {e}", json.display()))
        .clone()
}

#[test]
fn golden_images() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let diff_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/golden-diff");
    let mut scenes: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    scenes.sort();
    assert!(!scenes.is_empty(), "no golden scenes");
    let mut failures = Vec::new();
    for json in &scenes {
        let name = json.file_stem().unwrap().to_string_lossy().into_owned();
        let frame = render(json);
        let mut actual = Vec::new();
        frame.to_straight_rgba(&mut actual);
        let (w, h) = (frame.width(), frame.height());
        let reference = json.with_extension("png");
        if update {
            write_png(&reference, w, h, &actual);
            continue;
        }
        let Some((rw, rh, expected)) = read_png(&reference) else {
            failures.push(format!(
                "{name}: no reference {} (run with UPDATE_GOLDEN=1)",
                reference.display()
            ));
            continue;
        };
        let worst = if (rw, rh) == (w, h) {
            expected
                .iter()
                .zip(&actual)
                .map(|(a, b)| a.abs_diff(*b))
                .max()
                .unwrap_or(0)
        } else {
            255
        };
        if worst > 1 {
            std::fs::create_dir_all(&diff_dir).unwrap();
            let out = diff_dir.join(format!("{name}.png"));
            if (rw, rh) == (w, h) {
                let mut panel = vec![0u8; (w * 3 * h * 4) as usize];
                for y in 0..h as usize {
                    for x in 0..w as usize {
                        let i = (y * w as usize + x) * 4;
                        let row = y * w as usize * 3;
                        panel[(row + x) * 4..(row + x) * 4 + 4]
                            .copy_from_slice(&expected[i..i + 4]);
                        panel[(row + w as usize + x) * 4..(row + w as usize + x) * 4 + 4]
                            .copy_from_slice(&actual[i..i + 4]);
                        let d: Vec<u8> = (0..3)
                            .map(|c| expected[i + c].abs_diff(actual[i + c]).saturating_mul(8))
                            .collect();
                        let j = (row + 2 * w as usize + x) * 4;
                        panel[j..j + 4].copy_from_slice(&[d[0], d[1], d[2], 255]);
                    }
                }
                write_png(&out, w * 3, h, &panel);
            }
            failures.push(format!(
                "{name}: differs by up to {worst} (diff: {})",
                out.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "golden mismatches:\n{}",
        failures.join("\n")
    );
}

/// Every golden scene, and the 50-layer benchmark scene, give the same bytes with 1, 2 and 8
/// threads.
#[test]
fn identical_bytes_for_any_thread_count() {
    let mut scenes: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    scenes.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../benches/scenes/mixed50.json"));
    let start = DateTime::parse_from_rfc3339("2026-01-02T03:04:05+00:00").unwrap();
    for json in scenes {
        let scene = Scene::from_file(&json, &LoadOptions::default()).unwrap();
        let frames: Vec<Frame> = [1, 2, 8]
            .into_iter()
            .map(|threads| {
                let assets = AssetResolver::new(golden_dir()).with_system_fonts(false);
                let opts = CompositorOptions::default()
                    .with_threads(threads)
                    .with_clock_start(start);
                Compositor::new(opts, assets)
                    .render(&scene, 0.7)
                    .unwrap()
                    .clone()
            })
            .collect();
        assert!(
            frames[0] == frames[1] && frames[0] == frames[2],
            "{}",
            json.display()
        );
    }
}
