//! Hostile scenes (issue 22): every numeric field of every layer kind at the edges is accepted
//! or refused with a message naming the bound; nothing accepted panics when drawn; the two
//! crashes of the issue stay fixed; a panic inside one layer disables it in `render` as in
//! `stream`. Property tests draw random layers and patches from the same generators as the
//! server's API fuzz test.

mod hostile_gen;

use hostile_gen::{
    EDGE_VALUES, NumericField, Rng, base_inputs, base_layer, error_path, in_range, num,
    numeric_fields, random_layer, random_patch, set,
};
use std::sync::Arc;

use proptest::prelude::*;
use serde_json::{Value, json};
use streamcomp_core::{
    AssetResolver, Compositor, CompositorOptions, LayerChange, LoadOptions, Scene,
    scene::LayerKind, test_hook,
};

fn scene_with(layer: Value) -> Result<Scene, streamcomp_core::scene::SceneError> {
    Scene::from_value(
        json!({"width": 160, "height": 90, "layers": [layer], "inputs": base_inputs()}),
        &LoadOptions::default(),
    )
}

fn compositor() -> Compositor {
    let assets =
        AssetResolver::confined(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/scenes"))
            .with_system_fonts(false);
    Compositor::new(CompositorOptions::default().with_threads(1), assets)
}

fn fmt(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Checks one value of one field: accepted exactly when the schema's range holds it, refused
/// with the field's path and a message naming the bound it broke; accepted scenes render.
fn check_field(comp: &mut Compositor, f: &NumericField, v: f64) {
    let mut layer = base_layer(&f.kind);
    set(&mut layer, &f.path, num(v));
    let what = format!("{}.{} = {v:e}", f.kind, f.path);
    match scene_with(layer) {
        Ok(scene) => {
            assert!(
                in_range(f, v),
                "{what}: accepted, outside the schema's range"
            );
            for t in [0.0, 0.5, 3.0] {
                let _ = comp.render(&scene, t);
                for l in &scene.layers {
                    let _ = comp.bounds(&scene, l, t);
                }
            }
            assert_eq!(comp.take_failures(), vec![], "{what}");
        }
        Err(e) => {
            assert!(!in_range(f, v), "{what}: refused: {e}");
            let issue = e
                .issues
                .iter()
                .find(|i| i.path == format!("layers[0].{}", error_path(&f.path)))
                .unwrap_or_else(|| panic!("{what}: no issue at the field: {e}"));
            let m = &issue.message;
            let names_bound = if !v.is_finite() {
                m.contains("finite")
            } else if v > f.max {
                m.contains(&format!("at most {}", fmt(f.max)))
                    || m.contains(&format!("and {}", fmt(f.max)))
            } else if v < f.min {
                m.contains(&format!("at least {}", fmt(f.min)))
                    || m.contains(&format!("between {}", fmt(f.min)))
                    || m.contains("greater than 0")
                    || (f.zero && m.contains(&format!("between 0 and {}", fmt(f.max))))
            } else {
                m.contains("whole number")
            };
            assert!(names_bound, "{what}: `{m}` does not name the bound");
        }
    }
}

#[test]
fn every_numeric_field_at_the_edges_is_accepted_or_refused_naming_the_bound() {
    let fields = numeric_fields(&Scene::json_schema());
    // Every kind has its common fields plus its own: at least x, y, width, height, … per kind.
    assert!(fields.len() > 5 * 15, "{} numeric fields", fields.len());
    assert!(fields.iter().any(|f| f.path == "font_size"));
    assert!(fields.iter().any(|f| f.path == "animations.duration"));
    let mut comp = compositor();
    for f in &fields {
        for v in EDGE_VALUES
            .iter()
            .copied()
            .chain([f.min, f.max, f.max * 10.0 + 1.0])
        {
            check_field(&mut comp, f, v);
        }
    }
}

#[test]
fn the_crashes_of_issue_22_are_refused_with_the_right_bound() {
    let msg = |layer: Value| scene_with(layer).unwrap_err().to_string();
    assert_eq!(
        msg(json!({"type": "text", "text": "LIVE", "font_size": 1e-308})),
        "layers[0].font_size: must be at least 1, got 1e-308"
    );
    assert_eq!(
        msg(json!({"type": "text", "text": "LIVE", "line_height": 1e-308})),
        "layers[0].line_height: must be between 0.1 and 10, got 1e-308"
    );
    let big = msg(json!({"type": "text", "text": "LIVE", "font_size": 1e30}));
    assert!(
        big.starts_with("layers[0].font_size: must be at most 2000, got 1e"),
        "{big}"
    );
    assert_eq!(
        msg(json!({"type": "rect", "width": 1e-308, "height": 5})),
        "layers[0].width: must be 0 or at least 0.01, got 1e-308"
    );
    assert_eq!(
        msg(json!({"type": "rect", "width": 5, "height": 5, "scale": 1e-308})),
        "layers[0].scale: must be at least 0.001, got 1e-308"
    );
    assert_eq!(
        msg(
            json!({"type": "rect", "width": 5, "height": 5, "animations": [{"property": "x", "duration": 1e-308}]})
        ),
        "layers[0].animations[0].duration: must be at least 0.001, got 1e-308"
    );
    // -0.0 is read as 0.
    let s = scene_with(json!({"type": "rect", "x": -0.0, "width": 5, "height": 5})).unwrap();
    assert!(s.layers[0].x.is_sign_positive());
}

#[test]
fn text_that_lays_out_to_nothing_renders_nothing_instead_of_panicking() {
    // The validator refuses these sizes; a library user can still set the fields directly.
    let mut scene =
        scene_with(json!({"id": "t", "type": "text", "text": "LIVE", "x": 10, "y": 10})).unwrap();
    let mut comp = compositor();
    for (size, line) in [
        (1e-308, 1.2),
        (32.0, 1e-308),
        (0.0, 0.0),
        (f64::NAN, 1.0),
        (-5.0, 1.0),
    ] {
        if let LayerKind::Text(tp) = &mut Arc::make_mut(&mut scene.layers[0]).kind {
            tp.font_size = size;
            tp.line_height = line;
        }
        let frame = comp.render(&scene, 0.0).expect("renders");
        assert_eq!(frame.pixel(12, 12), [0, 0, 0, 255], "{size} {line}");
        let _ = comp.bounds(&scene, &scene.layers[0], 0.0);
        assert_eq!(comp.take_failures(), vec![]);
    }
}

#[test]
fn a_transform_collapsing_a_layer_or_a_huge_scale_draws_without_panicking() {
    let mut comp = compositor();
    for (sx, sy) in [(1e-308, 1.0), (0.0, 0.0), (-1e-9, 5.0), (1000.0, 1000.0)] {
        for kind in ["rect", "text", "image"] {
            let mut layer = base_layer(kind);
            layer["id"] = json!("l");
            let mut scene = scene_with(layer).unwrap();
            let l = Arc::make_mut(&mut scene.layers[0]);
            l.scale_x = sx;
            l.scale_y = sy;
            l.rotation = 30.0;
            let _ = comp.render(&scene, 0.5);
            let _ = comp.bounds(&scene, &scene.layers[0], 0.5);
            assert_eq!(comp.take_failures(), vec![], "{kind} {sx} {sy}");
        }
    }
}

#[test]
fn a_panic_in_one_layer_disables_it_and_the_frame_is_drawn() {
    let scene = Scene::from_value(
        json!({"width": 64, "height": 32, "layers": [
            {"id": "hostile-boom", "type": "rect", "width": 64, "height": 32, "color": "#ff0000"},
            {"id": "ok", "type": "rect", "x": 0, "y": 0, "width": 8, "height": 8, "color": "#00ff00"}
        ]}),
        &LoadOptions::default(),
    )
    .unwrap();
    let mut comp = compositor();
    test_hook::panic_on_layer(Some("hostile-boom"));
    let drawn = comp
        .render(&scene, 0.0)
        .map(|f| (f.pixel(4, 4), f.pixel(40, 20)));
    test_hook::panic_on_layer(None);
    assert_eq!(drawn.unwrap(), ([0, 255, 0, 255], [0, 0, 0, 255]));
    let failures = comp.take_failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].layer, "hostile-boom");
    // Still left out in later frames, reported once.
    let f = comp.render(&scene, 0.1).unwrap();
    assert_eq!(f.pixel(40, 20), [0, 0, 0, 255]);
    assert!(comp.take_failures().is_empty());
    // A changed document is tried again.
    let mut changed = scene.clone();
    changed
        .apply(
            LayerChange::Patch {
                id: "hostile-boom".into(),
                patch: json!({"color": "#0000ff"}),
                transition: None,
            },
            0.2,
        )
        .unwrap();
    let f = comp.render(&changed, 0.2).unwrap();
    assert_eq!(f.pixel(40, 20), [0, 0, 255, 255]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random layers from the shared generators: validation never panics; what it accepts
    /// renders at a random time without a layer failing.
    #[test]
    fn random_layers_validate_and_render(seed in any::<u64>(), t in 0.0f64..30.0) {
        let fields = numeric_fields(&Scene::json_schema());
        let mut rng = Rng(seed);
        let layer = random_layer(&mut rng, &fields);
        if let Ok(scene) = scene_with(layer) {
            let mut comp = compositor();
            let _ = comp.render(&scene, t);
            prop_assert!(comp.take_failures().is_empty());
        }
    }

    /// Random merge patches: a refused one leaves the scene as it was; an accepted one keeps
    /// the scene valid (its own JSON validates) and drawable.
    #[test]
    fn random_patches_keep_the_scene_valid(seed in any::<u64>(), t in 0.0f64..5.0) {
        let fields = numeric_fields(&Scene::json_schema());
        let mut rng = Rng(seed);
        let kind = *rng.pick(&["rect", "ellipse", "image", "text"]);
        let mut base = base_layer(kind);
        base["id"] = json!("p");
        let mut scene = scene_with(base).unwrap();
        let before = scene.clone();
        let patch = random_patch(&mut rng, &fields, kind);
        let transition = rng.pick(&[None, Some(json!(0.5)), Some(json!(1e-308))]).clone();
        match LayerChange::patch("p", patch, transition.as_ref())
            .map_err(streamcomp_core::Error::from)
            .and_then(|c| scene.apply(c, t).map_err(Into::into))
        {
            Ok(_) => {
                let again = Scene::from_value(scene.to_value(), &LoadOptions::default());
                prop_assert!(again.is_ok(), "{:?}", again.err());
                let mut comp = compositor();
                let _ = comp.render(&scene, t + 0.25);
                prop_assert!(comp.take_failures().is_empty());
            }
            Err(_) => prop_assert_eq!(scene, before),
        }
    }
}
