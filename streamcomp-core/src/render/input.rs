//! Input layers: the picture of a live input on screen at the frame's stream time (its feed's
//! clock and buffer decide which), drawn into the layer's box per `fit` and `crop`; after the
//! input stops, the last picture for `hold` seconds, then the `fallback` (transparent, black or
//! an image). Without live inputs (`render`, `frame`) the fallback shows.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use tiny_skia::{Color, Pixmap};

use super::image::image_raster;
use super::kind::{Ctx, Rasterise};
use super::raster::Raster;
use super::video::{VideoTarget, raster_for, video_box};
use crate::error::RenderError;
use crate::media::nanos_from_secs;
use crate::scene::{Fallback, InputProps};

/// The box of an input layer without a size: the crop's, the input's picture's, else the canvas.
fn natural(p: &InputProps, picture: (u32, u32), canvas: (u32, u32)) -> (f64, f64) {
    let (w, h) = if picture.0 > 0 && picture.1 > 0 {
        picture
    } else {
        canvas
    };
    p.crop.map_or((w as f64, h as f64), |c| {
        (c.width.min(w as f64), c.height.min(h as f64))
    })
}

impl Rasterise for InputProps {
    fn raster(&self, cx: &mut Ctx<'_>) -> Result<(u64, Arc<Raster>), RenderError> {
        let feed = cx.inputs.and_then(|h| h.feed(&self.input));
        let size = feed.as_ref().map_or((0, 0), |f| f.size());
        let (bw, bh) = video_box(
            natural(self, size, (cx.scene.width, cx.scene.height)),
            cx.s.width,
            cx.s.height,
        );
        let (sw, sh) = (bw * cx.raster_scale, bh * cx.raster_scale);
        cx.check_size(sw, sh)?;
        let target = VideoTarget::new(sw, sh, self.fit, self.crop, cx.quality);
        let id = cx.layer.id.as_str();
        if let Some(feed) = &feed {
            feed.set_target(target);
            let shown = feed.frame_at(nanos_from_secs(cx.t));
            let hold = nanos_from_secs(self.hold);
            if let Some(frame) = shown.frame
                && shown.starved <= hold
            {
                let raster = raster_for(&frame.raster, &frame.picture, frame.color, target, cx);
                let mut h = DefaultHasher::new();
                ("input", id, &self.input, frame.seq, target).hash(&mut h);
                return Ok((h.finish(), raster));
            }
        }
        match &self.fallback {
            Fallback::Transparent => {
                let key = crate::render::cache::key_of(("input-empty", target));
                Ok((key, Arc::new(Raster::empty(sw as f32, sh as f32))))
            }
            Fallback::Black => {
                let key = crate::render::cache::key_of(("input-black", target));
                let raster = cx.cached(key, |_| {
                    Ok(match Pixmap::new(target.w.max(1), target.h.max(1)) {
                        Some(mut pm) => {
                            pm.fill(Color::BLACK);
                            Raster::from_pixmap(pm, sw as f32, sh as f32)
                        }
                        None => Raster::empty(sw as f32, sh as f32),
                    })
                })?;
                Ok((key, raster))
            }
            Fallback::Image(src) => {
                let src = src.clone();
                image_raster(cx, &src, "fallback", self.fit, Some(bw), Some(bh))
            }
        }
    }
}
