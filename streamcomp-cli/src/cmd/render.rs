//! `streamcomp render`: a scene to a video file, with a progress bar on a terminal and a
//! summary line at the end.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use streamcomp_core::{RenderOptions, render_to_file};

/// Arguments of `streamcomp render`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The scene file (JSON).
    scene: PathBuf,
    #[command(flatten)]
    assets: super::AssetArgs,
    #[command(flatten)]
    clock: super::ClockArgs,
    /// The output file, its format from the extension: .mp4 (fragmented), .ts, .flv, .ivf,
    /// .h264, .y4m; or a recording in parts (parts/show-%H%M%S.mp4?segment=60) or an HLS
    /// playlist (vod/index.m3u8?list_size=1000).
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// Seconds of video.
    #[arg(long, value_name = "SECONDS", value_parser = super::ranges::render_duration)]
    duration: f64,
    #[command(flatten)]
    enc: super::EncodeArgs,
    /// Output size, e.g. 1280x720 (frames are scaled); default: the scene's.
    #[arg(long, value_name = "WxH", value_parser = streamcomp_core::settings::parse_frame_size)]
    size: Option<(u32, u32)>,
    /// Frame rate; default: the scene's.
    #[arg(long, value_parser = super::ranges::fps)]
    fps: Option<f64>,
}

pub(crate) fn run(a: Args) -> anyhow::Result<ExitCode> {
    let (scene, assets) = super::load_scene(&a.scene, &a.assets)?;
    let mut opts = RenderOptions::new(a.duration);
    opts.codec = a.enc.codec;
    opts.bitrate_kbps = a.enc.bitrate;
    opts.size = a.size;
    opts.fps = a.fps;
    opts.audio = !a.enc.no_audio;
    opts.audio_codec = a.enc.audio_codec;
    opts.audio_bitrate_kbps = a.enc.audio_bitrate;
    opts.quality = a.enc.quality;
    opts.threads = a.enc.threads;
    opts.keyframe_interval = a.enc.keyframe_interval;
    opts.backend = a.enc.encoder;
    opts.ffmpeg_preset = a.enc.preset;
    opts.ffmpeg_hwaccel = a.enc.hwaccel;
    opts.clock_start = a.clock.clock_start;
    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::new(0);
        b.set_style(
            ProgressStyle::with_template("{bar:40.cyan/blue} {pos}/{len} frames  {msg}  ETA {eta}")
                .expect("valid template"),
        );
        Some(b)
    } else {
        None
    };
    let summary = render_to_file(&scene, assets, &a.output, &opts, &mut |p| {
        if let Some(b) = &bar {
            b.set_length(p.total);
            b.set_position(p.frame);
            if p.frame % 10 == 0 {
                b.set_message(format!(
                    "{:.1} fps",
                    p.frame as f64 / p.elapsed.as_secs_f64().max(1e-9)
                ));
            }
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    super::print_layer_failures(&summary.failed_layers);
    let secs = summary.elapsed.as_secs_f64();
    let pct = |d: std::time::Duration| 100.0 * d.as_secs_f64() / secs.max(1e-9);
    eprintln!(
        "wrote {}: {} frames ({:.2} s of video{}) in {:.2} s, {:.1} fps ({:.1}x real time), {} bytes; time: compose {:.0}%, convert {:.0}%, encode {:.0}%, mux {:.0}%",
        a.output.display(),
        summary.frames,
        summary.duration,
        if summary.audio { ", with audio" } else { "" },
        secs,
        summary.frames as f64 / secs.max(1e-9),
        summary.duration / secs.max(1e-9),
        summary.bytes,
        pct(summary.compose),
        pct(summary.convert),
        pct(summary.encode),
        pct(summary.mux),
    );
    Ok(ExitCode::SUCCESS)
}
