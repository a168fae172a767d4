//! `streamcomp bench`: rendering, colour-conversion and encoding throughput.

use std::path::PathBuf;
use std::process::ExitCode;

use streamcomp_core::{
    AssetResolver, Quality, bench::BenchOptions, bench::bench_render, bench::builtin_bench_scene,
    encode::VideoCodec,
};

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
    /// Also time encoding each frame with this codec (repeat for several: --codec h264
    /// --codec av1). Default: h264.
    #[arg(long = "codec", value_name = "CODEC")]
    codecs: Vec<VideoCodec>,
    /// Time rendering only, no encoding.
    #[arg(long, conflicts_with = "codecs")]
    no_encode: bool,
    /// Encoder bitrate in kbit/s.
    #[arg(long, default_value_t = 4000, value_name = "KBPS")]
    bitrate: u32,
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
    opts.bitrate_kbps = a.bitrate;
    opts.codecs = match (a.no_encode, a.codecs.is_empty()) {
        (true, _) => Vec::new(),
        (false, true) => vec![VideoCodec::H264],
        (false, false) => a.codecs,
    };
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
        for (codec, t) in &r.encode_ms {
            println!(
                "{:<8} mean {:7.3} ms  p50 {:7.3}  p99 {:7.3}  ({:.0} fps)",
                codec.to_string(),
                t.mean,
                t.p50,
                t.p99,
                1000.0 / t.mean.max(1e-9)
            );
        }
        // The costliest layers (all of them in --json).
        for l in r.layers.iter().take(5) {
            let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0 / l.frames.max(1) as f64;
            println!(
                "layer {:<20} {:7.3} ms a frame (prepare {:.3}, compose {:.3})",
                l.id,
                ms(l.total()),
                ms(l.prepare),
                ms(l.compose)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
