//! Shared helpers for the streamcomp benchmarks: loading the scenes under `benches/scenes/`,
//! and the overlay scene's frames encoded one at a time through an [`EncoderContext`].

use std::path::PathBuf;

use streamcomp_core::{
    AssetResolver, Compositor, CompositorOptions, Frame, LoadOptions, Quality, Scene, YuvFrame,
    encode::EncoderContext, encode::VideoSettings,
};

/// The folder holding the benchmark scenes.
pub fn scenes_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes")
}

/// Loads `benches/scenes/NAME` and a compositor for it with `threads` threads, warmed up;
/// `incremental: false` makes it recompose every pixel of every frame.
pub fn load(name: &str, threads: usize, incremental: bool) -> (Scene, Compositor) {
    load_opts(
        name,
        CompositorOptions::default()
            .with_threads(threads)
            .with_incremental(incremental),
    )
}

/// [`load`] at a resampling quality (incremental).
pub fn load_with(name: &str, threads: usize, quality: Quality) -> (Scene, Compositor) {
    load_opts(
        name,
        CompositorOptions::default()
            .with_threads(threads)
            .with_quality(quality),
    )
}

fn load_opts(name: &str, opts: CompositorOptions) -> (Scene, Compositor) {
    let path = scenes_dir().join(name);
    let scene = Scene::from_file(&path, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let assets = AssetResolver::new(scenes_dir()).with_system_fonts(false);
    let mut comp = Compositor::new(opts, assets);
    comp.render(&scene, 0.0)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (scene, comp)
}

/// 60 frames (two seconds) of the overlay scene at `width`×`height`, converted to I420.
pub fn overlay_frames(width: u32, height: u32) -> Vec<YuvFrame> {
    let (scene, mut comp) = load("overlay.json", 1, true);
    let mut scaled = Frame::new(width, height);
    (0..60)
        .map(|i| {
            let f = comp.render(&scene, i as f64 / 30.0).expect("render");
            let mut yuv = YuvFrame::new(width, height);
            if (f.width(), f.height()) == (width, height) {
                f.to_i420(&mut yuv);
            } else {
                f.resize_into(&mut scaled, Default::default());
                scaled.to_i420(&mut yuv);
            }
            yuv
        })
        .collect()
}

/// One benchmark iteration of encoding with `settings`: the next frame of `input` (round and
/// round) sent to an [`EncoderContext`] and its packets taken.
pub fn encode_step(settings: &VideoSettings, input: Vec<YuvFrame>) -> impl FnMut() {
    let mut ctx = EncoderContext::new(settings).expect("encoder");
    let mut n = 0;
    move || {
        ctx.send_frame(&input[n % input.len()]).expect("encode");
        ctx.packets().for_each(drop);
        n += 1;
    }
}
