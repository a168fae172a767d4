//! Shared helpers for the streamcomp benchmarks: loading the scenes under `benches/scenes/`.

use std::path::PathBuf;

use streamcomp_core::{AssetResolver, Compositor, CompositorOptions, LoadOptions, Scene};

/// The folder holding the benchmark scenes.
pub fn scenes_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes")
}

/// Loads `benches/scenes/NAME` and a compositor for it with `threads` threads, warmed up;
/// `incremental: false` makes it recompose every pixel of every frame.
pub fn load(name: &str, threads: usize, incremental: bool) -> (Scene, Compositor) {
    let path = scenes_dir().join(name);
    let scene = Scene::from_file(&path, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let assets = AssetResolver::new(scenes_dir()).with_system_fonts(false);
    let mut comp = Compositor::new(
        CompositorOptions::default()
            .with_threads(threads)
            .with_incremental(incremental),
        assets,
    );
    comp.render(&scene, 0.0)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (scene, comp)
}
