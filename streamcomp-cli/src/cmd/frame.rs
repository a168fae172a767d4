//! `streamcomp frame`: one frame of a scene to a PNG file (or raw RGBA bytes).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use streamcomp_core::{CompositorOptions, Quality, SceneSession};

/// Arguments of `streamcomp frame`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The scene file (JSON).
    scene: PathBuf,
    #[command(flatten)]
    assets: super::AssetArgs,
    #[command(flatten)]
    clock: super::ClockArgs,
    /// Scene time of the frame, in seconds.
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "SECONDS",
        allow_negative_numbers = true
    )]
    at: f64,
    /// Where to write the PNG. A name ending in `.rgba` gets the raw pixels instead:
    /// width x height x 4 bytes of straight-alpha RGBA, rows top to bottom (what the Python
    /// and Node bindings' `render` return).
    #[arg(short, long, value_name = "OUT.png")]
    output: PathBuf,
    /// Resampling quality: low, medium or high.
    #[arg(long, default_value = "high")]
    quality: Quality,
    /// Compositor threads (0: every core).
    #[arg(long, default_value_t = 0, value_parser = super::ranges::threads)]
    threads: usize,
}

pub(crate) fn run(a: Args) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        a.at.is_finite() && a.at >= 0.0,
        "--at must be a time in seconds >= 0, got {}",
        a.at
    );
    let (scene, assets) = super::load_scene(&a.scene, &a.assets)?;
    let mut opts = CompositorOptions::default()
        .with_quality(a.quality)
        .with_threads(a.threads);
    opts.clock_start = a.clock.clock_start;
    // The bindings' API: the same frame as `Scene.render` in Python and Node.
    let mut session = SceneSession::new(scene, assets).with_options(opts);
    let raw = a
        .output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("rgba"));
    let rendered = if raw {
        session.render_rgba(a.at).map(Some)
    } else {
        session.save_png(&a.output, a.at).map(|()| None)
    };
    super::print_layer_failures(&session.take_failures());
    if let Some(bytes) = rendered? {
        std::fs::write(&a.output, bytes)
            .with_context(|| format!("cannot write {}", a.output.display()))?;
    }
    eprintln!(
        "wrote {} ({}x{}, t={}s)",
        a.output.display(),
        session.width(),
        session.height(),
        a.at
    );
    Ok(ExitCode::SUCCESS)
}
