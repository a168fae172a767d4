//! Fuzz target: any bytes as a scene document. Never a panic; an accepted scene's own JSON is
//! accepted again with the same layers; a refused one names at least one problem.

#![no_main]

use libfuzzer_sys::fuzz_target;
use streamcomp_core::{LoadOptions, Scene};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Scene::from_json(text, &LoadOptions::default()) {
        Ok(scene) => {
            let again = Scene::from_json(&scene.to_json(), &LoadOptions::default())
                .expect("a scene's own JSON is a valid scene");
            assert_eq!(again.layers.len(), scene.layers.len());
            for (a, b) in scene.layers.iter().zip(&again.layers) {
                assert_eq!(a.id, b.id);
            }
        }
        Err(e) => assert!(!e.issues.is_empty()),
    }
});
