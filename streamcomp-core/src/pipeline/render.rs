//! Offline rendering: compose every frame, convert to I420, encode, mux, as fast as possible,
//! with a progress callback and per-stage timings. Everything is checked before work starts.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};

use crate::assets::AssetResolver;
use crate::encode::{
    AudioCodec, AudioSettings, EncodeError, EncoderBackend, EncoderContext, VideoCodec,
    VideoSettings,
};
use crate::error::Error;
use crate::frame::{Frame, YuvFrame};
use crate::mux::StreamInfo;
use crate::output::{FileFormat, FileOutput, Output, OutputError, OutputTarget, RtmpOptions};
use crate::render::{Compositor, CompositorOptions, LayerFailure, Quality};
use crate::scene::Scene;

/// How to render a file.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RenderOptions {
    /// Seconds of video.
    pub duration: f64,
    /// Video codec. Default: H.264.
    pub codec: VideoCodec,
    /// Video bitrate, kbit/s. Default: 4000.
    pub bitrate_kbps: u32,
    /// Output size; default: the scene's. Frames are scaled when it differs.
    pub size: Option<(u32, u32)>,
    /// Frame rate; default: the scene's.
    pub fps: Option<f64>,
    /// Write an audio track (silent unless audio layers play). Default: true.
    pub audio: bool,
    /// Audio codec. Default: AAC.
    pub audio_codec: AudioCodec,
    /// Audio bitrate, kbit/s. Default: 128.
    pub audio_bitrate_kbps: u32,
    /// Seconds between key frames. Default: 2.
    pub keyframe_interval: f64,
    /// Compositor resampling quality. Default: high.
    pub quality: Quality,
    /// Threads for compositing and encoding (0: every core). Default: 0.
    pub threads: usize,
    /// Which video encoder implementation. Default: auto (built-in for H.264 and AV1).
    pub backend: EncoderBackend,
    /// FFmpeg backend preset, `ultrafast` … `medium`. Default: `medium`.
    pub ffmpeg_preset: String,
    /// FFmpeg hardware encoder family (`nvenc`, `vaapi`, `qsv`, `videotoolbox`). Default: none.
    pub ffmpeg_hwaccel: Option<String>,
    /// The wall-clock time of the video's first frame, for `{time}`, `{date}` and
    /// `{countdown}` text. Default: `None`, the local time when the render starts; set it to
    /// make a render with a clock in it the same on every run.
    pub clock_start: Option<DateTime<FixedOffset>>,
}

impl RenderOptions {
    /// Options for `duration` seconds with the defaults.
    pub fn new(duration: f64) -> RenderOptions {
        RenderOptions {
            duration,
            codec: VideoCodec::H264,
            bitrate_kbps: 4000,
            size: None,
            fps: None,
            audio: true,
            audio_codec: AudioCodec::Aac,
            audio_bitrate_kbps: 128,
            keyframe_interval: 2.0,
            quality: Quality::High,
            threads: 0,
            backend: EncoderBackend::Auto,
            ffmpeg_preset: "medium".into(),
            ffmpeg_hwaccel: None,
            clock_start: None,
        }
    }
}

/// Where a render is.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Frames done.
    pub frame: u64,
    /// Frames in all.
    pub total: u64,
    /// Time since the render started.
    pub elapsed: Duration,
}

/// What a render did, and where the time went.
#[derive(Clone, Debug, Default)]
pub struct RenderSummary {
    /// Frames written.
    pub frames: u64,
    /// Seconds of video.
    pub duration: f64,
    /// Bytes written.
    pub bytes: u64,
    /// Wall time of the render.
    pub elapsed: Duration,
    /// Time composing frames.
    pub compose: Duration,
    /// Time converting (and scaling) frames.
    pub convert: Duration,
    /// Time encoding video and audio.
    pub encode: Duration,
    /// Time muxing and writing.
    pub mux: Duration,
    /// Whether an audio track was written.
    pub audio: bool,
    /// Layers left out because drawing them failed (panicked), each once, in the order found.
    pub failed_layers: Vec<LayerFailure>,
}

fn invalid(msg: String) -> Error {
    Error::Encode(EncodeError::Invalid(msg))
}

/// Where a render's frames go: a file (which may take raw frames), or a recording in
/// segments or an HLS folder.
enum Sink {
    File(FileOutput),
    Other(Box<dyn Output>),
}

impl Sink {
    fn output(&mut self) -> &mut dyn Output {
        match self {
            Sink::File(f) => f,
            Sink::Other(o) => o.as_mut(),
        }
    }
}

/// Renders `opts.duration` seconds of `scene` into the file at `path` (format from its
/// extension), calling `progress` after every frame. `path` may also be a recording in
/// segments (`parts/show-%H%M%S.mp4?segment=60`) or an HLS playlist (`vod/index.m3u8`, with
/// `?list_size=` as large as the render is long to keep every segment listed).
pub fn render_to_file(
    scene: &Scene,
    assets: AssetResolver,
    path: &Path,
    opts: &RenderOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<RenderSummary, Error> {
    // Everything is checked before any work starts.
    let dur = crate::settings::RENDER_DURATION;
    dur.check(opts.duration)
        .map_err(|m| invalid(format!("{} {m}", dur.key)))?;
    let target = match path.to_str().map(str::parse::<OutputTarget>) {
        Some(Ok(t)) if t.is_network() => {
            return Err(invalid(format!(
                "render writes files; `{t}` is a network output (stream to it instead)"
            )));
        }
        Some(Ok(t @ (OutputTarget::Recording(_) | OutputTarget::Hls(_)))) => Some(t),
        _ => None,
    };
    // Raw frames (Y4M) or not, and whether the container holds sound.
    let (raw, holds_audio) = match &target {
        Some(t) => {
            t.check_codec(opts.codec)?;
            (false, true)
        }
        None => {
            let format = FileFormat::from_path(path)?;
            format.check_codec(opts.codec)?;
            (format == FileFormat::Y4m, format.has_audio())
        }
    };
    let fps = opts.fps.unwrap_or(scene.fps);
    let (width, height) = opts.size.unwrap_or((scene.width, scene.height));
    let mut settings = VideoSettings::new(width, height, fps);
    settings.codec = opts.codec;
    settings.bitrate_kbps = opts.bitrate_kbps;
    settings.keyframe_interval = opts.keyframe_interval;
    settings.threads = opts.threads;
    settings.backend = opts.backend;
    settings.ffmpeg_preset = opts.ffmpeg_preset.clone();
    settings.ffmpeg_hwaccel = opts.ffmpeg_hwaccel.clone();
    settings.validate()?;
    let audio = opts.audio && holds_audio;
    let mut copts = CompositorOptions::default()
        .with_quality(opts.quality)
        .with_threads(opts.threads);
    copts.clock_start = opts.clock_start;
    let mut comp = Compositor::new(copts, assets.clone());
    comp.check_assets(scene)?;
    // Audio files are decoded whole when the encoders open, so a missing or broken one is
    // reported before any frame work (naming its layer: `layers[3].src: …`).
    let mut ctx = match raw {
        true => None,
        false => Some(EncoderContext::for_scene(
            &settings,
            audio.then_some(AudioSettings {
                codec: opts.audio_codec,
                bitrate_kbps: opts.audio_bitrate_kbps,
            }),
            scene,
            &assets,
        )?),
    };
    let info = match &ctx {
        Some(c) => c.stream_info(),
        None => StreamInfo {
            video: opts.codec,
            ..StreamInfo::new(width, height, fps)
        },
    };
    let mut out = match &target {
        Some(t) => Sink::Other(t.open(&info, &RtmpOptions::default())?.out),
        None => Sink::File(FileOutput::create(
            path,
            FileFormat::from_path(path)?,
            info,
        )?),
    };

    let total = (opts.duration * fps).round().max(1.0) as u64;
    let start = Instant::now();
    let mut s = RenderSummary {
        frames: total,
        audio,
        ..RenderSummary::default()
    };
    let mut yuv = YuvFrame::new(width, height);
    let mut scaled = Frame::new(width, height);
    for n in 0..total {
        let t0 = Instant::now();
        let rendered = comp.render(scene, n as f64 / fps).map(|_| ());
        s.failed_layers.extend(comp.take_failures());
        rendered?;
        let frame = comp.frame();
        let t1 = Instant::now();
        if (frame.width(), frame.height()) == (width, height) {
            frame.to_i420(&mut yuv);
        } else {
            frame.resize_into(&mut scaled, opts.quality);
            scaled.to_i420(&mut yuv);
        }
        let t2 = Instant::now();
        s.compose += t1 - t0;
        s.convert += t2 - t1;
        match (&mut ctx, &mut out) {
            (None, Sink::File(out)) => {
                out.write_frame(&yuv)?;
                s.mux += t2.elapsed();
            }
            (None, Sink::Other(_)) => unreachable!("raw frames go to files"),
            (Some(c), out) => {
                c.send_frame_at(n, &yuv)?;
                let t3 = Instant::now();
                s.encode += t3 - t2;
                for p in c.packets() {
                    out.output().write(&p)?;
                }
                s.mux += t3.elapsed();
            }
        }
        progress(&Progress {
            frame: n + 1,
            total,
            elapsed: start.elapsed(),
        });
    }
    let t = Instant::now();
    if let Some(c) = &mut ctx {
        c.finish()?;
        for p in c.packets() {
            out.output().write(&p)?;
        }
    }
    out.output().finish()?;
    s.mux += t.elapsed();
    s.bytes = out.output().bytes();
    s.duration = total as f64 / fps;
    s.elapsed = start.elapsed();
    Ok(s)
}

impl From<OutputError> for Error {
    fn from(e: OutputError) -> Error {
        Error::Output(e)
    }
}
