//! `streamcomp probe`: what streamcomp would decode in a video file (container, codecs, size,
//! frame rate, duration, which decoder) or, when it would not play, why.

use std::path::PathBuf;
use std::process::ExitCode;

use streamcomp_core::Limits;
use streamcomp_core::media::{DecoderChoice, probe};

/// Arguments of `streamcomp probe`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The video file (MP4/MOV, Matroska/WebM, FLV; anything FFmpeg reads with the ffmpeg
    /// feature).
    file: PathBuf,
    /// Which decoder to ask: auto (built-in where it can, else FFmpeg when this build has
    /// it), native or ffmpeg.
    #[arg(long, default_value = "auto", value_parser = ["auto", "native", "ffmpeg"])]
    decoder: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(a: Args) -> anyhow::Result<ExitCode> {
    let choice = DecoderChoice::parse(&a.decoder).unwrap_or_default();
    let name = a.file.display().to_string();
    let info = probe(&a.file, &name, choice, &Limits::default())?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&info.to_value())?);
    } else {
        print!("{info}");
    }
    Ok(ExitCode::SUCCESS)
}
