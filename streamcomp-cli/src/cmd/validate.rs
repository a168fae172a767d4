//! `streamcomp validate`: every problem in a scene, each with its JSON path; assets are loaded
//! and texts laid out too, so a missing image or font is caught before going live.

use std::path::PathBuf;
use std::process::ExitCode;

use streamcomp_core::{Compositor, CompositorOptions};

/// Arguments of `streamcomp validate`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The scene file (JSON).
    scene: PathBuf,
    #[command(flatten)]
    assets: super::AssetArgs,
}

pub(crate) fn run(a: Args) -> anyhow::Result<ExitCode> {
    let (scene, assets) = super::load_scene(&a.scene, &a.assets)?;
    // Audio files are decoded whole (as a render would), so a broken one is caught here too.
    streamcomp_core::Mixer::new(&scene, &assets)?;
    let mut comp = Compositor::new(CompositorOptions::default().with_threads(1), assets);
    comp.check_assets(&scene)?;
    println!(
        "{}: ok ({}x{} at {} fps, {} layers)",
        a.scene.display(),
        scene.width,
        scene.height,
        scene.fps,
        scene.layers.len()
    );
    Ok(ExitCode::SUCCESS)
}
