//! `streamcomp render`: a scene to a video file, with a progress bar on a terminal and a
//! summary line at the end.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use streamcomp_core::{
    AudioCodec, EncoderBackend, Quality, RenderOptions, VideoCodec, render_to_file,
};

/// Arguments of `streamcomp render`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The scene file (JSON).
    scene: PathBuf,
    #[command(flatten)]
    assets: super::AssetArgs,
    /// The output file: .mp4 (fragmented), .flv, .h264, .y4m.
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// Seconds of video.
    #[arg(long, value_name = "SECONDS")]
    duration: f64,
    /// Video codec: h264 (default) or av1 (rav1e), built in; vp8 and vp9 need the FFmpeg backend.
    #[arg(long, default_value = "h264")]
    codec: VideoCodec,
    /// Video bitrate in kbit/s.
    #[arg(long, default_value_t = 4000, value_name = "KBPS")]
    bitrate: u32,
    /// Output size, e.g. 1280x720 (frames are scaled); default: the scene's.
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    size: Option<(u32, u32)>,
    /// Frame rate; default: the scene's.
    #[arg(long)]
    fps: Option<f64>,
    /// Video encoder: auto (built-in for h264 and av1, FFmpeg for vp8/vp9 or --hwaccel),
    /// builtin, or ffmpeg (needs a build with the `ffmpeg` feature and the ffmpeg program).
    #[arg(long, default_value = "auto")]
    encoder: EncoderBackend,
    /// FFmpeg backend preset: ultrafast, superfast, veryfast, faster, fast, medium.
    #[arg(long, default_value = "medium", env = "FFMPEG_PRESET")]
    preset: String,
    /// FFmpeg hardware encoder: nvenc, vaapi, qsv or videotoolbox (implies the FFmpeg backend).
    #[arg(long, env = "FFMPEG_HWACCEL")]
    hwaccel: Option<String>,
    /// Audio codec: aac or opus.
    #[arg(long, default_value = "aac")]
    audio_codec: AudioCodec,
    /// Audio bitrate in kbit/s.
    #[arg(long, default_value_t = 128, value_name = "KBPS")]
    audio_bitrate: u32,
    /// No audio track (by default .mp4 and .flv get a silent AAC track).
    #[arg(long)]
    no_audio: bool,
    /// Resampling quality: low, medium or high.
    #[arg(long, default_value = "high")]
    quality: Quality,
    /// Threads (0: every core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("`{s}` is not WIDTHxHEIGHT, e.g. 1280x720"))?;
    let n = |v: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|_| format!("`{s}` is not WIDTHxHEIGHT, e.g. 1280x720"))
    };
    Ok((n(w)?, n(h)?))
}

pub(crate) fn run(a: Args) -> anyhow::Result<ExitCode> {
    let (scene, assets) = super::load_scene(&a.scene, &a.assets)?;
    let mut opts = RenderOptions::new(a.duration);
    opts.codec = a.codec;
    opts.bitrate_kbps = a.bitrate;
    opts.size = a.size;
    opts.fps = a.fps;
    opts.audio = !a.no_audio;
    opts.audio_codec = a.audio_codec;
    opts.audio_bitrate_kbps = a.audio_bitrate;
    opts.quality = a.quality;
    opts.threads = a.threads;
    opts.backend = a.encoder;
    opts.ffmpeg_preset = a.preset;
    opts.ffmpeg_hwaccel = a.hwaccel;
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
