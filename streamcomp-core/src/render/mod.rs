//! The compositor: rasterises each layer into a cached premultiplied pixmap (only when what it
//! looks like changes), places it (anchor, rotation, scale), and composes the frame in parallel
//! bands, redrawing only what changed since the previous frame.

mod affine;
mod bands;
pub(crate) mod blend;
pub(crate) mod cache;
mod guard;
mod image;
mod input;
mod kind;
mod place;
mod raster;
mod shape;
mod text;
mod timing;
mod video;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};

use self::affine::{AffineMap, Filter};
use self::bands::{DrawOp, compose};
pub(crate) use self::cache::RasterHandoff;
use self::cache::{RasterCache, key_of};
use self::kind::{Ctx, Rasterise};
use self::place::{IRect, box_transform, is_plain, mapped_bounds};
pub(crate) use self::raster::Raster;
use self::shape::Shape;
pub(crate) use self::video::{VideoTarget, video_raster};
use crate::assets::{AssetResolver, FontLibrary};
use crate::error::RenderError;
use crate::frame::Frame;
use crate::scene::{Layer, LayerKind, Sampled, Scene, TemplateClock};

pub use self::guard::LayerFailure;
pub use self::timing::LayerTime;
use self::timing::LayerTimes;

/// Resampling quality for scaled and rotated images (`RENDER_QUALITY`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Quality {
    /// Bilinear for resizing and for transforms.
    Low,
    /// Catmull-Rom for resizing and for transforms.
    Medium,
    /// Lanczos-3 for resizing, Catmull-Rom for transforms. The default.
    #[default]
    High,
}

impl FromStr for Quality {
    type Err = String;
    fn from_str(s: &str) -> Result<Quality, String> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Quality::Low),
            "medium" => Ok(Quality::Medium),
            "high" => Ok(Quality::High),
            _ => Err(format!(
                "unknown quality `{s}`; expected low, medium or high"
            )),
        }
    }
}

/// The largest multiple of its box size a transformed text or image layer is drawn at before
/// it is resampled (a scale of 1000 is drawn at 16 and resampled up, instead of asking for a
/// raster a thousand times its size).
const MAX_RASTER_SCALE: f64 = 16.0;

/// The smallest multiple of its box size a transformed image layer is drawn at (a 4000 px
/// picture shown at 0.01× is resized once to about 16 px, not sampled from 4000 every frame).
const MIN_RASTER_SCALE: f64 = 1.0 / 256.0;

/// The smallest multiple of its font size text is laid out at when shown small (below it,
/// the affine stage shrinks the raster further).
const MIN_TEXT_RASTER_SCALE: f64 = 1.0 / 8.0;

/// How a [`Compositor`] works.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CompositorOptions {
    /// Resampling filters. Default: high.
    pub quality: Quality,
    /// Threads composing each frame; 0 uses every core. Default: 0.
    pub threads: usize,
    /// The wall-clock time of scene time 0, for `{time}` and `{countdown}` templates.
    /// Default: `None`, the local time when the compositor is created.
    pub clock_start: Option<DateTime<FixedOffset>>,
    /// Recompose only what changed since the previous frame. Default: true. Turning it off
    /// recomposes every pixel of every frame (for measuring the worst case).
    pub incremental: bool,
    /// How long a frame may wait for a video layer's decoder before it shows the previous
    /// picture again. Default: `None`, wait until the picture is there (offline renders are
    /// exact and the same on every run); live streams give half a frame.
    pub video_wait: Option<std::time::Duration>,
}

impl Default for CompositorOptions {
    fn default() -> Self {
        CompositorOptions {
            quality: Quality::default(),
            threads: 0,
            clock_start: None,
            incremental: true,
            video_wait: None,
        }
    }
}

impl CompositorOptions {
    /// Options with incremental recomposition on or off.
    pub fn with_incremental(mut self, incremental: bool) -> Self {
        self.incremental = incremental;
        self
    }

    /// Options with the given quality.
    pub fn with_quality(mut self, quality: Quality) -> Self {
        self.quality = quality;
        self
    }

    /// Options with the given thread count (0: every core).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Options with scene time 0 at this wall-clock time.
    pub fn with_clock_start(mut self, start: DateTime<FixedOffset>) -> Self {
        self.clock_start = Some(start);
        self
    }
}

/// A layer's computed box on the canvas, after layout, sizing, scale and rotation.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bounds {
    /// Left, px.
    pub x: f64,
    /// Top, px.
    pub y: f64,
    /// Width, px.
    pub width: f64,
    /// Height, px.
    pub height: f64,
}

/// Counters that show the caches at work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompositorStats {
    /// Frames rendered.
    pub frames: u64,
    /// Frames returned unchanged because nothing visible changed.
    pub reused_frames: u64,
    /// Layer rasters drawn (cache misses).
    pub rasterized: u64,
    /// Transformed (rotated/scaled) shapes drawn as vectors where they are placed. Text and
    /// images are resampled straight into the frame instead, with no copy to count.
    pub transformed: u64,
    /// Canvas pixels recomposed, summed over frames.
    pub composed_pixels: u64,
}

/// Renders scenes to frames. Keep one per stream: its caches make later frames cheap.
pub struct Compositor {
    opts: CompositorOptions,
    assets: AssetResolver,
    clock_start: DateTime<FixedOffset>,
    fonts: Option<FontLibrary>,
    rasters: RasterCache,
    frame: Frame,
    ops: Vec<DrawOp>,
    prev_ops: Vec<DrawOp>,
    prev_background: Option<[u8; 4]>,
    text_buf: String,
    order: Vec<(i64, usize)>,
    pool: Option<rayon::ThreadPool>,
    stats: CompositorStats,
    /// Layers whose rendering panicked, by id, with the document they had then: they are
    /// left out until their document changes.
    disabled: HashMap<String, serde_json::Map<String, serde_json::Value>>,
    /// Layers disabled since the last [`Compositor::take_failures`].
    failures: Vec<LayerFailure>,
    /// Per-layer cost, while [`Compositor::time_layers`] is on.
    timing: Option<LayerTimes>,
    /// Video layers' decode threads.
    videos: crate::media::layers::VideoLayers,
    /// Live inputs shown by input layers (set by live streams).
    inputs: Option<crate::input::InputHub>,
}

impl std::fmt::Debug for Compositor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compositor")
            .field("opts", &self.opts)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// Where a layer's raster comes from and how big its box is.
struct Prepared {
    key: u64,
    raster: Arc<Raster>,
    box_w: f32,
    box_h: f32,
    /// The raster is drawn at this multiple of the box size.
    raster_scale: f64,
}

impl Compositor {
    /// A compositor reading assets through `assets`.
    pub fn new(opts: CompositorOptions, assets: AssetResolver) -> Compositor {
        let threads = match opts.threads {
            0 => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            n => n,
        };
        let pool = (threads > 1)
            .then(|| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .ok()
            })
            .flatten();
        Compositor {
            clock_start: opts.clock_start.unwrap_or_else(TemplateClock::local_now),
            rasters: RasterCache::new(assets.limits().max_cache_bytes),
            opts,
            assets,
            fonts: None,
            frame: Frame::new(16, 16),
            ops: Vec::new(),
            prev_ops: Vec::new(),
            prev_background: None,
            text_buf: String::new(),
            order: Vec::new(),
            pool,
            stats: CompositorStats::default(),
            disabled: HashMap::new(),
            failures: Vec::new(),
            timing: None,
            videos: crate::media::layers::VideoLayers::default(),
            inputs: None,
        }
        .with_video_wait()
    }

    fn with_video_wait(mut self) -> Compositor {
        self.videos.wait = self.opts.video_wait;
        self
    }

    /// Shows the pictures of `hub`'s live inputs in input layers (without it they show their
    /// fallback). Scene time `t` is stream time `t` of the hub (see [`InputHub::set_epoch`]).
    ///
    /// [`InputHub::set_epoch`]: crate::input::InputHub::set_epoch
    pub fn set_inputs(&mut self, hub: Option<crate::input::InputHub>) {
        self.inputs = hub;
    }

    /// Frames where a video layer showed its previous picture because its decoder was late
    /// (live streams only; renders wait).
    pub fn late_video_frames(&self) -> u64 {
        self.videos.late
    }

    /// Video layers with `on_end: "remove"` that have played to their end since the last call
    /// (each once). Drawing already hides them; a live stream then removes them from its scene.
    pub fn take_ended_layers(&mut self) -> Vec<String> {
        std::mem::take(&mut self.videos.ended)
    }

    /// The options in force.
    pub fn options(&self) -> &CompositorOptions {
        &self.opts
    }

    /// The asset resolver.
    pub fn assets(&self) -> &AssetResolver {
        &self.assets
    }

    /// Cache counters.
    pub fn stats(&self) -> CompositorStats {
        self.stats
    }

    /// Starts timing what each layer costs (from zero), or stops; [`Compositor::layer_times`]
    /// reads the sums. Off by default (timing costs a clock read per layer and blit).
    pub fn time_layers(&mut self, on: bool) {
        self.timing = on.then(LayerTimes::default);
    }

    /// What each layer cost since [`Compositor::time_layers`] turned timing on, most costly
    /// first (empty when it is off).
    pub fn layer_times(&self) -> Vec<LayerTime> {
        self.timing
            .as_ref()
            .map_or_else(Vec::new, LayerTimes::report)
    }

    /// Sets the wall-clock time of scene time 0 (templates).
    pub fn set_clock_start(&mut self, start: DateTime<FixedOffset>) {
        self.clock_start = start;
    }

    /// Shares the rasters it draws with the compositors given the same handoff, and takes
    /// theirs instead of drawing a layer again (a live stream's inspector and render thread).
    pub(crate) fn share_rasters(&mut self, handoff: RasterHandoff) {
        self.rasters.set_handoff(Some(handoff));
    }

    /// Forgets all cached rasters and decoded images (after asset files changed).
    pub fn clear_caches(&mut self) {
        self.rasters.clear();
        self.videos.clear();
        self.assets.clear_cache();
        self.prev_background = None;
    }

    /// The frame the last [`Compositor::render`] made (blank before the first).
    pub fn frame(&self) -> &Frame {
        &self.frame
    }

    /// Renders one frame without the panic guard of [`Compositor::render`].
    fn render_frame(&mut self, scene: &Scene, t: f64) -> Result<(), RenderError> {
        let clock = TemplateClock::at(self.clock_start, t, scene.fps);
        if self.frame.width() != scene.width || self.frame.height() != scene.height {
            self.frame.ensure_size(scene.width, scene.height);
            self.prev_background = None;
        }
        let canvas = IRect::new(0, 0, scene.width as i32, scene.height as i32);
        let mut ops = std::mem::take(&mut self.ops);
        ops.clear();
        if let Some(timing) = &mut self.timing {
            timing.begin_frame(scene);
        }
        let result = self.collect_ops(scene, t, &clock, canvas, &mut ops);
        self.videos.sweep(scene);
        for (layer, message) in self.videos.failures.drain(..) {
            self.failures.push(LayerFailure { layer, message });
        }
        if let Err(e) = result {
            self.ops = ops;
            return Err(e);
        }

        let background = scene.background.premultiplied();
        let damage = match self.prev_background {
            Some(bg)
                if self.opts.incremental
                    && bg == background
                    && ops.len() == self.prev_ops.len() =>
            {
                ops.iter()
                    .zip(&self.prev_ops)
                    .filter(|(a, b)| !a.same_as(b))
                    .fold(IRect::default(), |acc, (a, b)| {
                        acc.union(&a.rect()).union(&b.rect())
                    })
                    .intersect(&canvas)
            }
            _ => canvas,
        };
        self.stats.frames += 1;
        if damage.is_empty() {
            self.stats.reused_frames += 1;
        } else {
            self.stats.composed_pixels +=
                ((damage.x1 - damage.x0) * (damage.y1 - damage.y0)) as u64;
            compose(
                self.frame.data_mut(),
                scene.width,
                background,
                &ops,
                damage,
                self.pool.as_ref(),
                self.timing.as_ref().map(LayerTimes::compose_slots),
            );
        }
        if let Some(timing) = &mut self.timing {
            timing.end_frame();
        }
        self.prev_background = Some(background);
        self.ops = std::mem::replace(&mut self.prev_ops, ops);
        self.rasters.end_frame();
        Ok(())
    }

    /// The canvas box of `layer` (in `scene`) at time `t`: after text layout, image sizing,
    /// scale and rotation; loads what it needs, so a missing file is an error here. Audio layers
    /// have an empty box at their position (their file must exist).
    pub fn bounds(&mut self, scene: &Scene, layer: &Layer, t: f64) -> Result<Bounds, RenderError> {
        let s = layer.sample(t);
        if let LayerKind::Audio(a) = &layer.kind {
            // No box, but the file must be there (and inside the assets folder).
            self.assets
                .resolve_path(&a.src, scene.base_dir.as_deref())
                .map_err(|source| RenderError::Asset {
                    path: format!(
                        "layers[{}].src",
                        scene
                            .layers
                            .iter()
                            .position(|l| l.id == layer.id)
                            .unwrap_or(0)
                    ),
                    layer: layer.id.to_string(),
                    source,
                })?;
            return Ok(Bounds {
                x: s.x,
                y: s.y,
                width: 0.0,
                height: 0.0,
            });
        }
        let clock = TemplateClock::at(self.clock_start, t, scene.fps);
        let index = scene
            .layers
            .iter()
            .position(|l| l.id == layer.id)
            .unwrap_or(0);
        if let LayerKind::Video(v) = &layer.kind {
            // Measured from the files' headers: no decoding.
            let (w, h) = self.video_box(scene, index, layer, v, &s)?;
            let tr = box_transform(&s, w as f32, h as f32, layer.anchor_x, layer.anchor_y);
            let (x, y, w, h) = mapped_bounds(&tr, 0.0, 0.0, w as f32, h as f32);
            return Ok(Bounds {
                x: x as f64,
                y: y as f64,
                width: w as f64,
                height: h as f64,
            });
        }
        let p = self.prepare_guarded(scene, index, layer, &s, (t, &clock));
        // Each call counts as a frame for the raster cache, so that a compositor used only
        // to measure (a live stream's inspector) drops what it no longer needs.
        self.rasters.end_frame();
        let p = p?;
        let tr = box_transform(&s, p.box_w, p.box_h, layer.anchor_x, layer.anchor_y);
        let (x, y, w, h) = mapped_bounds(&tr, 0.0, 0.0, p.box_w, p.box_h);
        Ok(Bounds {
            x: x as f64,
            y: y as f64,
            width: w as f64,
            height: h as f64,
        })
    }

    /// Loads every asset of the scene (images, fonts), lays out every text and checks that audio
    /// files exist, reporting the first problem with its JSON path. Front ends call it to
    /// validate before going live.
    pub fn check_assets(&mut self, scene: &Scene) -> Result<(), RenderError> {
        let clock = TemplateClock::at(self.clock_start, 0.0, scene.fps);
        for (i, layer) in scene.layers.iter().enumerate() {
            if let LayerKind::Audio(a) = &layer.kind {
                self.assets
                    .resolve_path(&a.src, scene.base_dir.as_deref())
                    .map_err(|source| RenderError::Asset {
                        path: format!("layers[{i}].src"),
                        layer: layer.id.to_string(),
                        source,
                    })?;
            } else if let LayerKind::Video(v) = &layer.kind {
                // Every file found and readable by a decoder of this build; no decoding.
                self.video_box(scene, i, layer, v, &layer.sample(layer.born))?;
            } else {
                let s = layer.sample(layer.born);
                self.prepare_guarded(scene, i, layer, &s, (layer.born, &clock))?;
            }
        }
        Ok(())
    }

    /// Where video layer `layer` of `scene` stands at scene time `t` (`None` for other
    /// kinds). Reads only the files' headers.
    pub fn media_status(
        &mut self,
        scene: &Scene,
        layer: &Layer,
        t: f64,
    ) -> Option<Result<crate::media::MediaStatus, RenderError>> {
        let LayerKind::Video(v) = &layer.kind else {
            return None;
        };
        let index = scene.layers.iter().position(|l| l.id == layer.id)?;
        Some(
            self.videos
                .program(&self.assets, scene, index, layer, v)
                .map(|p| crate::media::media_status(p, t)),
        )
    }

    /// The merge patch that applies a media action at scene time `t` to video layer `layer`
    /// of `scene` (re-anchoring its playback, or appending to its playlist).
    pub fn media_patch(
        &mut self,
        scene: &Scene,
        layer: &Layer,
        action: &crate::media::MediaAction,
        t: f64,
    ) -> Result<serde_json::Value, crate::Error> {
        let LayerKind::Video(v) = &layer.kind else {
            return Err(crate::scene::SceneError::invalid(
                "id",
                format!(
                    "layer `{}` is a {} layer, not a video layer",
                    layer.id,
                    layer.kind.type_name()
                ),
            )
            .into());
        };
        let index = scene
            .layers
            .iter()
            .position(|l| l.id == layer.id)
            .unwrap_or(0);
        let program = self.videos.program(&self.assets, scene, index, layer, v)?;
        Ok(crate::media::media_patch(v, program, action, t)?)
    }

    /// A video layer's box from its files' headers (found and probed now: a missing file or
    /// one no decoder of this build reads is an error naming the field).
    fn video_box(
        &mut self,
        scene: &Scene,
        index: usize,
        layer: &Layer,
        v: &crate::scene::VideoProps,
        s: &Sampled,
    ) -> Result<(f64, f64), RenderError> {
        let program = self.videos.program(&self.assets, scene, index, layer, v)?;
        let first = program
            .items
            .first()
            .map_or((0, 0), |i| (i.info.width, i.info.height));
        Ok(video::video_box(
            video::natural_size(v, first),
            s.width,
            s.height,
        ))
    }

    fn collect_ops(
        &mut self,
        scene: &Scene,
        t: f64,
        clock: &TemplateClock,
        canvas: IRect,
        ops: &mut Vec<DrawOp>,
    ) -> Result<(), RenderError> {
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        order.extend(scene.layers.iter().enumerate().map(|(i, l)| (l.z, i)));
        order.sort_unstable();
        let result = self.collect_in_order(scene, t, clock, canvas, ops, &order);
        self.order = order;
        result
    }

    fn collect_in_order(
        &mut self,
        scene: &Scene,
        t: f64,
        clock: &TemplateClock,
        canvas: IRect,
        ops: &mut Vec<DrawOp>,
        order: &[(i64, usize)],
    ) -> Result<(), RenderError> {
        for &(_, index) in order {
            let start = self.timing.is_some().then(std::time::Instant::now);
            self.collect_layer(scene, index, t, clock, canvas, ops)?;
            if let (Some(timing), Some(start)) = (&mut self.timing, start) {
                timing.prepared(index, start.elapsed());
            }
        }
        Ok(())
    }

    /// Prepares the layer at `index` and pushes its draw op (none when it shows nothing).
    fn collect_layer(
        &mut self,
        scene: &Scene,
        index: usize,
        t: f64,
        clock: &TemplateClock,
        canvas: IRect,
        ops: &mut Vec<DrawOp>,
    ) -> Result<(), RenderError> {
        let layer = &scene.layers[index];
        if !layer.visible || matches!(layer.kind, LayerKind::Audio(_)) {
            return Ok(());
        }
        if !self.disabled.is_empty() && self.is_disabled(layer) {
            return Ok(());
        }
        #[cfg(feature = "test-hooks")]
        test_hook::check(layer.id.as_str());
        let s = layer.sample(t);
        let opacity = (s.opacity * 255.0).round().clamp(0.0, 255.0) as u8;
        if opacity == 0 || place::collapses(&s) {
            return Ok(());
        }
        // Shapes at a fractional position snap to whole pixels (drawn as vectors, a placed copy
        // each time would cost an allocation); text and images are resampled there.
        let shape = Shape::of(&layer.kind);
        let plain = is_plain(&s) && (shape.is_some() || place::whole(s.x) && place::whole(s.y));
        let p = match self.prepare(scene, index, layer, &s, (t, clock), !plain) {
            // Drawn at its scale the raster would pass the limits (a scale of 1000): draw
            // it at its own size and let the transform resample it up instead.
            Err(e) if !plain && e.kind() == crate::error::ErrorKind::Limit => {
                self.prepare(scene, index, layer, &s, (t, clock), false)?
            }
            r => r?,
        };
        if plain {
            ops.push(DrawOp {
                key: p.key,
                x: s.x.round() as i32 - p.raster.origin_x,
                y: s.y.round() as i32 - p.raster.origin_y,
                w: p.raster.pixmap.width() as i32,
                h: p.raster.pixmap.height() as i32,
                map: None,
                raster: p.raster,
                opacity,
                blend: layer.blend,
                layer: index,
            });
            return Ok(());
        }
        let tr = box_transform(&s, p.box_w, p.box_h, layer.anchor_x, layer.anchor_y);
        let Some(shape) = shape else {
            // Text and images: their raster resampled straight into the canvas.
            let pm = &p.raster.pixmap;
            let (rx, ry) = match &layer.kind {
                // An image's or video's raster fills its box: map its whole-pixel size onto
                // the box.
                LayerKind::Image(_) | LayerKind::Video(_)
                    if p.raster.origin_x == 0 && p.raster.origin_y == 0 =>
                {
                    (
                        p.raster.box_w / pm.width() as f32,
                        p.raster.box_h / pm.height() as f32,
                    )
                }
                _ => (1.0, 1.0),
            };
            let inv = 1.0 / p.raster_scale as f32;
            let tr = tr
                .pre_scale(inv, inv)
                .pre_translate(-p.raster.origin_x as f32, -p.raster.origin_y as f32)
                .pre_scale(rx, ry);
            let filter = Filter::of(self.opts.quality);
            if let Some((map, rect)) = AffineMap::new(&tr, pm.width(), pm.height(), filter, canvas)
            {
                ops.push(DrawOp {
                    key: key_of((
                        p.key,
                        [tr.sx, tr.ky, tr.kx, tr.sy, tr.tx, tr.ty].map(f32::to_bits),
                        filter,
                    )),
                    raster: p.raster,
                    x: rect.x0,
                    y: rect.y0,
                    w: rect.x1 - rect.x0,
                    h: rect.y1 - rect.y0,
                    map: Some(map),
                    opacity,
                    blend: layer.blend,
                    layer: index,
                });
            }
            return Ok(());
        };
        // Shapes: drawn as vectors where they are placed (sharp at any scale), cached by
        // placement.
        let key = key_of((
            p.key,
            [tr.sx, tr.ky, tr.kx, tr.sy, tr.tx, tr.ty].map(f32::to_bits),
            canvas,
        ));
        let placed = match self.rasters.get(key) {
            Some(r) => Some(r),
            None => shape
                .draw_placed(&tr, p.box_w, p.box_h, canvas)
                .map(|(pm, x, y)| {
                    self.stats.transformed += 1;
                    let mut r = Raster::from_pixmap(pm, 0.0, 0.0);
                    r.origin_x = -x;
                    r.origin_y = -y;
                    self.rasters.insert(key, r)
                }),
        };
        if let Some(r) = placed {
            ops.push(DrawOp {
                key,
                x: -r.origin_x,
                y: -r.origin_y,
                w: r.pixmap.width() as i32,
                h: r.pixmap.height() as i32,
                map: None,
                raster: r,
                opacity,
                blend: layer.blend,
                layer: index,
            });
        }
        Ok(())
    }

    /// The (cached) raster of a layer in its current look, and its box size: a dispatch to its
    /// kind's [`Rasterise`] implementation.
    fn prepare(
        &mut self,
        scene: &Scene,
        index: usize,
        layer: &Layer,
        s: &Sampled,
        (t, clock): (f64, &TemplateClock),
        transformed: bool,
    ) -> Result<Prepared, RenderError> {
        let raster_scale = if transformed {
            raster_scale(s, &layer.kind)
        } else {
            1.0
        };
        let mut cx = Ctx {
            rasters: &mut self.rasters,
            stats: &mut self.stats,
            assets: &self.assets,
            fonts: &mut self.fonts,
            text_buf: &mut self.text_buf,
            quality: self.opts.quality,
            scene,
            index,
            layer,
            s,
            t,
            clock,
            transformed,
            raster_scale,
            videos: &mut self.videos,
            inputs: self.inputs.as_ref(),
        };
        let (key, raster) = match &layer.kind {
            LayerKind::Rect(r) => Shape::from(r).raster(&mut cx)?,
            LayerKind::Ellipse(e) => Shape::from(e).raster(&mut cx)?,
            LayerKind::Image(img) => img.raster(&mut cx)?,
            LayerKind::Text(tp) => tp.raster(&mut cx)?,
            LayerKind::Video(v) => v.raster(&mut cx)?,
            LayerKind::Input(p) => p.raster(&mut cx)?,
            LayerKind::Audio(_) => (key_of("audio"), Arc::new(Raster::empty(0.0, 0.0))),
        };
        let inv = 1.0 / raster_scale as f32;
        let box_w = s.width.map(|w| w as f32).unwrap_or(raster.box_w * inv);
        let box_h = s.height.map(|h| h as f32).unwrap_or(raster.box_h * inv);
        Ok(Prepared {
            key,
            raster,
            box_w,
            box_h,
            raster_scale,
        })
    }
}

/// The multiple of its box size a transformed text or image layer is drawn at: its largest
/// scale rounded up to a step of √2, between [`MIN_RASTER_SCALE`] (images) or
/// [`MIN_TEXT_RASTER_SCALE`] (text) and [`MAX_RASTER_SCALE`], so that the affine stage only
/// ever shrinks it by less than √2: a large picture shown small is prefiltered once (by the
/// resize into its raster) instead of aliasing or costing its full size every frame
/// (transformed shapes are drawn as vectors instead).
fn raster_scale(s: &Sampled, kind: &LayerKind) -> f64 {
    let m = s.scale_x.abs().max(s.scale_y.abs());
    let min = match kind {
        LayerKind::Text(_) => MIN_TEXT_RASTER_SCALE,
        _ => MIN_RASTER_SCALE,
    };
    if m > 0.0 && m.is_finite() {
        2f64.powf((m.log2() * 2.0).ceil() / 2.0)
            .clamp(min, MAX_RASTER_SCALE)
    } else {
        1.0
    }
}

/// A test-only fault injector (cargo feature `test-hooks`; not API): makes rendering a layer
/// with a chosen id panic, so that tests can check that a live stream survives a layer whose
/// rendering fails. Costs one relaxed atomic load per layer when built but unused, nothing
/// when not built.
#[cfg(feature = "test-hooks")]
#[doc(hidden)]
pub mod test_hook {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    static ARMED: AtomicBool = AtomicBool::new(false);
    static PANIC_ID: Mutex<Option<String>> = Mutex::new(None);

    /// Makes every compositor in this process panic when it renders layer `id` (`None`
    /// disarms). For tests only.
    pub fn panic_on_layer(id: Option<&str>) {
        let mut g = PANIC_ID.lock().unwrap_or_else(|e| e.into_inner());
        *g = id.map(str::to_string);
        ARMED.store(g.is_some(), Ordering::Relaxed);
    }

    pub(crate) fn check(id: &str) {
        if ARMED.load(Ordering::Relaxed) {
            let g = PANIC_ID.lock().unwrap_or_else(|e| e.into_inner());
            if g.as_deref() == Some(id) {
                drop(g);
                panic!("test hook: rendering layer `{id}` fails");
            }
        }
    }
}
