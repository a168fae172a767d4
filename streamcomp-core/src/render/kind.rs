//! What a layer kind's rasteriser is given and must do: [`Rasterise`], implemented beside each
//! kind's drawing code (`shape.rs` for rects and ellipses, `image.rs`, `text.rs`), and
//! [`Ctx`], the compositor's caches with the layer at one instant. `Compositor::prepare`
//! dispatches to them, so a new kind is one new file and one match arm there.

use std::sync::Arc;

use super::cache::RasterCache;
use super::raster::Raster;
use super::{CompositorStats, Quality};
use crate::assets::{AssetResolver, FontLibrary};
use crate::error::{AssetError, RenderError};
use crate::scene::{Layer, Sampled, Scene, TemplateClock};

/// A layer kind that draws its own raster.
pub(super) trait Rasterise {
    /// The content key of the layer's raster in its current look (a hash of everything that
    /// changes its pixels) and that raster, from the cache or drawn now (see [`Ctx::cached`]).
    fn raster(&self, cx: &mut Ctx<'_>) -> Result<(u64, Arc<Raster>), RenderError>;
}

/// One layer being prepared: where it is (scene, index, sampled properties, time) and the
/// compositor's caches a rasteriser reads and fills.
pub(super) struct Ctx<'a> {
    /// Rasters by content key.
    pub(super) rasters: &'a mut RasterCache,
    /// The compositor's counters.
    pub(super) stats: &'a mut CompositorStats,
    /// Files, decoded images (one cache, bounded by its limits) and limits.
    pub(super) assets: &'a AssetResolver,
    /// The font library, loaded on first use.
    pub(super) fonts: &'a mut Option<FontLibrary>,
    /// A reused buffer for expanded text templates.
    pub(super) text_buf: &'a mut String,
    /// Resampling quality.
    pub(super) quality: Quality,
    /// The scene the layer is in.
    pub(super) scene: &'a Scene,
    /// The layer's index in `scene.layers` (for error paths).
    pub(super) index: usize,
    /// The layer.
    pub(super) layer: &'a Layer,
    /// Its properties at `t`.
    pub(super) s: &'a Sampled,
    /// Scene time, seconds.
    pub(super) t: f64,
    /// Wall-clock values for text templates at `t`.
    pub(super) clock: &'a TemplateClock,
    /// The layer will be rotated or scaled: shapes then draw as vectors at placement and need
    /// no raster of their own.
    pub(super) transformed: bool,
    /// The raster is drawn at this multiple of the box size (1 unless transformed).
    pub(super) raster_scale: f64,
    /// The compositor's video sources.
    pub(super) videos: &'a mut crate::media::layers::VideoLayers,
    /// The live inputs (`None`: input layers show their fallback).
    pub(super) inputs: Option<&'a crate::input::InputHub>,
}

impl Ctx<'_> {
    /// An asset problem of this layer's field `field`.
    pub(super) fn asset_err(&self, field: &str, source: AssetError) -> RenderError {
        RenderError::Asset {
            path: format!("layers[{}].{field}", self.index),
            layer: self.layer.id.to_string(),
            source,
        }
    }

    /// Refuses a `w`×`h` raster over the `max_raster_pixels` limit.
    pub(super) fn check_size(&self, w: f64, h: f64) -> Result<(), RenderError> {
        let max_px = self.assets.limits().max_raster_pixels;
        if (w.max(0.0).ceil() * h.max(0.0).ceil()) > max_px as f64 {
            return Err(RenderError::TooLarge {
                path: format!("layers[{}]", self.index),
                layer: self.layer.id.to_string(),
                detail: format!("a {w:.0}x{h:.0} px raster exceeds the limit of {max_px} pixels"),
            });
        }
        Ok(())
    }

    /// The raster cached under `key`, or the one `draw` makes now (then cached and counted in
    /// [`CompositorStats::rasterized`]).
    pub(super) fn cached(
        &mut self,
        key: u64,
        draw: impl FnOnce(&mut Self) -> Result<Raster, RenderError>,
    ) -> Result<Arc<Raster>, RenderError> {
        if let Some(r) = self.rasters.get(key) {
            return Ok(r);
        }
        let r = draw(self)?;
        self.stats.rasterized += 1;
        Ok(self.rasters.insert(key, r))
    }
}
