//! `streamcomp bench`: rendering and colour-conversion throughput.

use std::path::PathBuf;
use std::process::ExitCode;

use streamcomp_core::{AssetResolver, BenchOptions, Quality, bench_render, builtin_bench_scene};

/// Arguments of `streamcomp bench`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The scene to measure; default: a built-in 1920x1080 scene of ten layers.
    scene: Option<PathBuf>,
    #[command(flatten)]
    assets: super::AssetArgs,
    /// Frames to render.
    #[arg(long, default_value_t = 300)]
    frames: u32,
    /// Compositor threads (0: every core).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Resampling quality: low, medium or high.
    #[arg(long, default_value = "high")]
    quality: Quality,
    /// Recompose every pixel of every frame (the worst case) instead of only what changed.
    #[arg(long)]
    full: bool,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(a: Args) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(a.frames > 0, "--frames must be at least 1");
    let (scene, assets) = match &a.scene {
        Some(p) => super::load_scene(p, &a.assets)?,
        None => (builtin_bench_scene(), AssetResolver::default()),
    };
    let mut opts = BenchOptions::new(a.frames, a.threads);
    opts.quality = a.quality;
    opts.incremental = !a.full;
    let r = bench_render(&scene, assets, &opts)?;
    if a.json {
        println!("{}", r.to_json());
    } else {
        println!(
            "{}x{}, {} frames, {} thread(s)",
            r.width, r.height, r.frames, r.threads
        );
        println!(
            "render   mean {:7.3} ms  p50 {:7.3}  p99 {:7.3}  ({:.0} fps; {} frames reused unchanged)",
            r.render_ms.mean,
            r.render_ms.p50,
            r.render_ms.p99,
            1000.0 / r.render_ms.mean.max(1e-9),
            r.reused_frames
        );
        println!(
            "to I420  mean {:7.3} ms  p50 {:7.3}  p99 {:7.3}",
            r.convert_ms.mean, r.convert_ms.p50, r.convert_ms.p99
        );
    }
    Ok(ExitCode::SUCCESS)
}
