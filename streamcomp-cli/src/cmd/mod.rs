//! One module per subcommand, plus the shared error printing and scene loading.

pub(crate) mod bench;
pub(crate) mod frame;
pub(crate) mod probe;
pub(crate) mod ranges;
pub(crate) mod render;
pub(crate) mod schema;
pub(crate) mod stream;
pub(crate) mod validate;

use std::path::Path;
use std::process::ExitCode;

use streamcomp_core::{
    AssetResolver, Error, ErrorKind, LoadOptions, Quality, RemotePolicy, Scene, encode::AudioCodec,
    encode::EncoderBackend, encode::VideoCodec, encode::VideoSettings,
};

/// Prints an error as one line per problem, prefixed with `error: `.
pub(crate) fn print_error(e: &anyhow::Error) {
    let text = match e.downcast_ref::<Error>() {
        Some(Error::Scene(se)) => se
            .issues
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => chain_text(e),
    };
    for line in text.lines() {
        eprintln!("error: {line}");
    }
}

/// An error and its causes on one line, leaving out a cause whose text the message before it
/// already says (the core's errors name their source in their own message).
fn chain_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if text.is_empty() {
            text = c;
        } else if !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
    }
    text
}

/// The exit code of a failed command, mapped once from the core's [`ErrorKind`]: 70
/// (EX_SOFTWARE) for a bug (as a panic exits), 1 for everything else (bad input, files,
/// encoders, outputs). Usage errors exit 2 from clap before any of this runs.
pub(crate) fn exit_code(e: &anyhow::Error) -> ExitCode {
    match e.downcast_ref::<Error>().map(Error::kind) {
        Some(ErrorKind::Internal) => ExitCode::from(70),
        _ => ExitCode::FAILURE,
    }
}

/// Reports layers the compositor left out because drawing them failed, one line each, as
/// `stream` reports its `LayerFailed` events.
pub(crate) fn print_layer_failures(failures: &[streamcomp_core::LayerFailure]) {
    for f in failures {
        eprintln!(
            "warning: layer `{}` failed and is disabled: {}",
            f.layer, f.message
        );
    }
}

/// Encoding options `render` and `stream` share.
#[derive(clap::Args, Debug)]
pub(crate) struct EncodeArgs {
    /// Video codec: h264 (default) or av1 (rav1e), built in; vp8 and vp9 need the FFmpeg backend.
    #[arg(long, default_value = "h264")]
    pub(crate) codec: VideoCodec,
    /// Video bitrate in kbit/s.
    #[arg(long, default_value_t = 4000, value_name = "KBPS", value_parser = ranges::bitrate)]
    pub(crate) bitrate: u32,
    /// Video encoder: auto (built-in for h264 and av1, FFmpeg for vp8/vp9 or --hwaccel),
    /// builtin, or ffmpeg (needs a build with the `ffmpeg` feature and the ffmpeg program).
    #[arg(long, default_value = "auto")]
    pub(crate) encoder: EncoderBackend,
    /// FFmpeg backend preset: ultrafast, superfast, veryfast, faster, fast, medium.
    #[arg(long, default_value = "medium", env = "FFMPEG_PRESET")]
    pub(crate) preset: String,
    /// FFmpeg hardware encoder: nvenc, vaapi, qsv or videotoolbox (implies the FFmpeg backend).
    #[arg(long, env = "FFMPEG_HWACCEL")]
    pub(crate) hwaccel: Option<String>,
    /// Audio codec: aac, or opus (Enhanced FLV/RTMP in .flv and rtmp://).
    #[arg(long, default_value = "aac")]
    pub(crate) audio_codec: AudioCodec,
    /// Audio bitrate in kbit/s.
    #[arg(long, default_value_t = 128, value_name = "KBPS", value_parser = ranges::audio_bitrate)]
    pub(crate) audio_bitrate: u32,
    /// No audio track (by default there is one, silent unless audio layers play).
    #[arg(long)]
    pub(crate) no_audio: bool,
    /// Resampling quality: low, medium or high.
    #[arg(long, default_value = "high")]
    pub(crate) quality: Quality,
    /// Threads for composing and encoding (0: every core).
    #[arg(long, default_value_t = 0, value_parser = ranges::threads)]
    pub(crate) threads: usize,
    /// Seconds between key frames: HLS segments last this long, and recordings and
    /// reconnecting outputs start on one.
    #[arg(long, default_value_t = 2.0, value_name = "SECONDS", value_parser = ranges::keyframe_interval)]
    pub(crate) keyframe_interval: f64,
}

impl EncodeArgs {
    /// The video settings these options ask for (size and rate come from the scene).
    pub(crate) fn apply_video(&self, v: &mut VideoSettings) {
        v.codec = self.codec;
        v.bitrate_kbps = self.bitrate;
        v.backend = self.encoder;
        v.ffmpeg_preset = self.preset.clone();
        v.ffmpeg_hwaccel = self.hwaccel.clone();
        v.threads = self.threads;
        v.keyframe_interval = self.keyframe_interval;
    }
}

/// Options every command that reads assets shares.
#[derive(clap::Args, Debug, Default)]
pub(crate) struct AssetArgs {
    /// Allow `http(s)` image sources from this host (repeat for more). None by default.
    #[arg(long = "allow-host", value_name = "HOST")]
    allow_hosts: Vec<String>,
    /// Use only the bundled fonts, not the system's (identical text on every machine).
    #[arg(long)]
    no_system_fonts: bool,
}

/// `--clock-start`: the wall-clock time of scene time 0, shared by `frame` and `render`.
#[derive(clap::Args, Debug, Default)]
pub(crate) struct ClockArgs {
    /// Wall-clock time of scene time 0 for `{time}`, `{date}` and `{countdown}` text, as
    /// RFC 3339 (e.g. 2026-01-01T20:00:00Z or 2026-01-01T20:00:00+01:00; `{time}` shows it in
    /// that offset). Default: now. Pin it to get the same bytes on every run.
    #[arg(long, value_name = "RFC3339", value_parser = streamcomp_core::scene::TemplateClock::parse_start)]
    pub(crate) clock_start: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// Loads a scene file; relative asset paths resolve against its folder.
pub(crate) fn load_scene(path: &Path, a: &AssetArgs) -> anyhow::Result<(Scene, AssetResolver)> {
    let scene = Scene::from_file(path, &LoadOptions::default())?;
    let mut remote = RemotePolicy::default();
    remote.allowed_hosts = a.allow_hosts.clone();
    let assets = AssetResolver::new(scene.base_dir.clone().unwrap_or_else(|| ".".into()))
        .with_remote(remote)
        .with_system_fonts(!a.no_system_fonts);
    Ok((scene, assets))
}
