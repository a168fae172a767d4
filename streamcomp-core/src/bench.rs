//! Throughput measurement shared by `streamcomp bench` and the bindings: render N frames of a
//! scene (and convert each to I420), timing every frame.

use std::time::Instant;

use serde_json::{Value, json};

use crate::assets::AssetResolver;
use crate::encode::{EncoderContext, VideoCodec, VideoSettings};
use crate::error::Error;
use crate::frame::YuvFrame;
use crate::render::{Compositor, CompositorOptions, LayerTime, Quality};
use crate::scene::Scene;

/// What to measure.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BenchOptions {
    /// Frames to render. Default: 300.
    pub frames: u32,
    /// Compositor threads (0: every core). Default: 1.
    pub threads: usize,
    /// Resampling quality. Default: high.
    pub quality: Quality,
    /// Reuse unchanged parts of frames. Default: true; false measures full recomposition.
    pub incremental: bool,
    /// Video codecs whose encoding of every frame is timed too. Default: none.
    pub codecs: Vec<VideoCodec>,
    /// Bitrate for the encoders, kbit/s. Default: 4000.
    pub bitrate_kbps: u32,
    /// Encoder threads (0: every core). Default: 0.
    pub encoder_threads: usize,
}

impl Default for BenchOptions {
    fn default() -> BenchOptions {
        BenchOptions {
            frames: 300,
            threads: 1,
            quality: Quality::High,
            incremental: true,
            codecs: Vec::new(),
            bitrate_kbps: 4000,
            encoder_threads: 0,
        }
    }
}

impl BenchOptions {
    /// Options with `frames` frames and `threads` threads.
    pub fn new(frames: u32, threads: usize) -> BenchOptions {
        BenchOptions {
            frames,
            threads,
            ..BenchOptions::default()
        }
    }
}

/// Mean and percentiles of a series of durations, milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timing {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest.
    pub max: f64,
}

impl Timing {
    /// Summarises samples (milliseconds).
    pub fn from_samples(samples: &mut [f64]) -> Timing {
        if samples.is_empty() {
            return Timing::default();
        }
        samples.sort_by(f64::total_cmp);
        let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        Timing {
            mean: samples.iter().sum::<f64>() / samples.len() as f64,
            p50: pick(0.5),
            p99: pick(0.99),
            max: samples[samples.len() - 1],
        }
    }

    fn to_json(self) -> Value {
        let r = |v: f64| (v * 1000.0).round() / 1000.0;
        json!({"mean": r(self.mean), "p50": r(self.p50), "p99": r(self.p99), "max": r(self.max)})
    }
}

/// The result of [`bench_render`].
#[derive(Clone, Debug, PartialEq)]
pub struct BenchReport {
    /// Canvas width.
    pub width: u32,
    /// Canvas height.
    pub height: u32,
    /// Frames measured.
    pub frames: u32,
    /// Compositor threads.
    pub threads: usize,
    /// Time to compose a frame.
    pub render_ms: Timing,
    /// Time to convert a frame to I420.
    pub convert_ms: Timing,
    /// Frames the compositor returned unchanged.
    pub reused_frames: u64,
    /// Whether unchanged parts of frames were reused.
    pub incremental: bool,
    /// Time to encode a frame (send it and take its packets), per codec measured.
    pub encode_ms: Vec<(VideoCodec, Timing)>,
    /// What each layer cost over the measured frames, most costly first.
    pub layers: Vec<LayerTime>,
}

impl BenchReport {
    /// The report as the JSON object `streamcomp bench --json` prints.
    pub fn to_json(&self) -> Value {
        let fps = if self.render_ms.mean > 0.0 {
            1000.0 / self.render_ms.mean
        } else {
            0.0
        };
        json!({
            "width": self.width,
            "height": self.height,
            "frames": self.frames,
            "threads": self.threads,
            "render_ms": self.render_ms.to_json(),
            "render_fps": (fps * 10.0).round() / 10.0,
            "convert_ms": self.convert_ms.to_json(),
            "reused_frames": self.reused_frames,
            "incremental": self.incremental,
            "encode_ms": self.encode_ms.iter().map(|(c, t)| (c.to_string(), t.to_json())).collect::<serde_json::Map<_, _>>(),
            "encode_fps": self.encode_ms.iter().map(|(c, t)| {
                let fps = if t.mean > 0.0 { 1000.0 / t.mean } else { 0.0 };
                (c.to_string(), json!((fps * 10.0).round() / 10.0))
            }).collect::<serde_json::Map<_, _>>(),
            "layers": self.layers.iter().map(|l| {
                let per_frame = |d: std::time::Duration| {
                    let ms = d.as_secs_f64() * 1000.0 / l.frames.max(1) as f64;
                    (ms * 1000.0).round() / 1000.0
                };
                json!({"id": l.id, "prepare_ms": per_frame(l.prepare),
                       "compose_ms": per_frame(l.compose), "total_ms": per_frame(l.total())})
            }).collect::<Vec<_>>(),
        })
    }
}

/// Renders `opts.frames` frames of `scene` at its frame rate (so animations run), timing each,
/// and encodes each with every codec in `opts.codecs`, timing that too. The first frame (cold
/// caches, asset loading) is rendered but not counted.
pub fn bench_render(
    scene: &Scene,
    assets: AssetResolver,
    opts: &BenchOptions,
) -> Result<BenchReport, Error> {
    let copts = CompositorOptions::default()
        .with_quality(opts.quality)
        .with_threads(opts.threads)
        .with_incremental(opts.incremental);
    let mut comp = Compositor::new(copts, assets);
    let mut yuv = YuvFrame::new(scene.width, scene.height);
    let mut encoders: Vec<(VideoCodec, EncoderContext, Vec<f64>)> = Vec::new();
    for &codec in &opts.codecs {
        let mut vs = VideoSettings::new(scene.width, scene.height, scene.fps);
        vs.codec = codec;
        vs.bitrate_kbps = opts.bitrate_kbps;
        vs.threads = opts.encoder_threads;
        encoders.push((codec, EncoderContext::new(&vs)?, Vec::new()));
    }
    comp.render(scene, 0.0)?;
    let start_stats = comp.stats();
    comp.time_layers(true);
    let (mut render, mut convert) = (Vec::new(), Vec::new());
    for i in 1..=opts.frames {
        let t = i as f64 / scene.fps;
        let t0 = Instant::now();
        let frame = comp.render(scene, t)?;
        let t1 = Instant::now();
        frame.to_i420(&mut yuv);
        let t2 = Instant::now();
        render.push((t1 - t0).as_secs_f64() * 1000.0);
        convert.push((t2 - t1).as_secs_f64() * 1000.0);
        for (_, enc, times) in &mut encoders {
            let t = Instant::now();
            enc.send_frame_at(u64::from(i), &yuv)?;
            enc.packets().for_each(drop);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    Ok(BenchReport {
        width: scene.width,
        height: scene.height,
        frames: opts.frames,
        threads: opts.threads,
        render_ms: Timing::from_samples(&mut render),
        convert_ms: Timing::from_samples(&mut convert),
        reused_frames: comp.stats().reused_frames - start_stats.reused_frames,
        incremental: opts.incremental,
        encode_ms: encoders
            .into_iter()
            .map(|(c, _, mut t)| (c, Timing::from_samples(&mut t)))
            .collect(),
        layers: comp.layer_times(),
    })
}

/// A 1920×1080 scene of ten layers needing no files (shapes and text, one rotating, a clock),
/// used by `streamcomp bench` when no scene is given.
pub fn builtin_bench_scene() -> Scene {
    let doc = json!({
        "width": 1920, "height": 1080, "fps": 30, "background": "#102030",
        "layers": [
            {"id": "panel", "type": "rect", "x": 0, "y": 0, "width": 1920, "height": 1080, "color": "#203040"},
            {"id": "bar", "type": "rect", "x": 0, "y": 900, "width": 1920, "height": 120, "color": "#000000b0", "radius": 16},
            {"id": "title", "type": "text", "x": 60, "y": 915, "text": "streamcomp benchmark", "font_size": 56, "color": "#ffffff",
             "outline": {"width": 2, "color": "#000000"}},
            {"id": "subtitle", "type": "text", "x": 60, "y": 980, "text": "ten layers, one rotating", "font_size": 28, "color": "#dddddd"},
            {"id": "logo", "type": "ellipse", "x": 1680, "y": 40, "width": 200, "height": 200, "color": "#e03030c0",
             "border": {"width": 8, "color": "#ffffff"},
             "animations": [{"property": "rotation", "from": 0, "to": 360, "duration": 4, "repeat": -1}]},
            {"id": "clock", "type": "text", "x": 1600, "y": 960, "text": "{time}", "font_size": 40, "color": "#ffffff"},
            {"id": "a", "type": "rect", "x": 100, "y": 100, "width": 400, "height": 300, "color": "#ff000080"},
            {"id": "b", "type": "rect", "x": 400, "y": 200, "width": 400, "height": 300, "color": "#00ff0080"},
            {"id": "c", "type": "ellipse", "x": 700, "y": 300, "width": 400, "height": 300, "color": "#0000ff80"},
            {"id": "d", "type": "rect", "x": 1000, "y": 400, "width": 400, "height": 300, "color": "#ffff0080", "radius": 40}
        ]
    });
    Scene::from_value(doc, &Default::default()).expect("the built-in scene is valid")
}
