//! Fuzz target: the live-change path the server, the bindings and `LiveHandle::apply` share.
//! The input is a JSON array of changes applied in turn to a small scene:
//! `["add", LAYER]`, `["patch", ID, PATCH, TRANSITION]`, `["remove", ID, FADE]`, each at the
//! scene time given by its index. Never a panic; a refused change leaves the scene as it was;
//! the layer count follows the changes; every layer can be measured (as the server does for
//! each answer) and the scene's own JSON stays valid.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use streamcomp_core::{
    AssetResolver, Compositor, CompositorOptions, LayerChange, LoadOptions, Scene,
};

fn base() -> Scene {
    Scene::from_value(
        json!({"width": 320, "height": 180, "layers": [
            {"id": "box", "type": "rect", "x": 10, "y": 10, "width": 100, "height": 50},
            {"id": "title", "type": "text", "text": "LIVE", "x": 20, "y": 100},
            {"id": "dot", "type": "ellipse", "x": 200, "y": 20, "width": 30, "height": 30}
        ]}),
        &LoadOptions::default().with_max_layers(16),
    )
    .expect("the base scene is valid")
}

fn change(op: &Value) -> Option<LayerChange> {
    let a = op.as_array()?;
    let id = || {
        a.get(1)
            .and_then(Value::as_str)
            .unwrap_or("box")
            .to_string()
    };
    match a.first()?.as_str()? {
        "add" => Some(LayerChange::Add(a.get(1)?.clone())),
        "patch" => LayerChange::patch(id(), a.get(2)?.clone(), a.get(3)).ok(),
        "remove" => LayerChange::remove(id(), a.get(2).and_then(Value::as_f64)).ok(),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(ops) = serde_json::from_slice::<Vec<Value>>(data) else {
        return;
    };
    let mut scene = base();
    // Confined to the examples' folder: their images load, nothing else on disk does.
    let assets =
        AssetResolver::confined(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/scenes"))
            .with_system_fonts(false);
    let mut comp = Compositor::new(CompositorOptions::default().with_threads(1), assets);
    for (i, op) in ops.iter().take(16).enumerate() {
        let Some(c) = change(op) else { continue };
        let t = i as f64 * 0.1;
        let before = scene.clone();
        match scene.apply(c, t) {
            Ok(_) => {
                for layer in &scene.layers {
                    // Measuring may fail (a missing image) but never panics.
                    let _ = comp.bounds(&scene, layer, t);
                }
                assert!(comp.take_failures().is_empty());
            }
            Err(e) => {
                assert!(!e.issues.is_empty());
                assert_eq!(scene, before, "a refused change left the scene changed");
            }
        }
        let again = Scene::from_value(scene.to_value(), &LoadOptions::default())
            .expect("the scene's own JSON stays valid");
        assert_eq!(again.layers.len(), scene.layers.len());
    }
});
