//! Video layers: the picture on screen at the layer's time, from its decode thread
//! ([`crate::media::source`]), drawn into the layer's box per `fit` and `crop`. The thread
//! draws each picture for the box the compositor last asked for ([`VideoTarget`]), so the
//! render thread only composes; a picture drawn for another box is drawn again here.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use tiny_skia::{IntSize, Pixmap};

use super::Quality;
use super::image::place;
use super::kind::{Ctx, Rasterise};
use super::raster::Raster;
use crate::error::RenderError;
use crate::frame::scale::{Crop, Picture, Placement, Scaler, YuvColor};
use crate::frame::{Frame, YuvFrame};
use crate::media::nanos_from_secs;
use crate::media::timeline::Place;
use crate::scene::{CropRect, Fit, OnEnd, VideoProps};

/// The raster a video layer's pictures are drawn into: its size, the box it stands for, the
/// fit, the crop and the filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct VideoTarget {
    /// Raster width, px.
    pub(crate) w: u32,
    /// Raster height, px.
    pub(crate) h: u32,
    /// The box at the raster's scale (`f32` bits).
    box_w: u32,
    /// See `box_w`.
    box_h: u32,
    fit: Fit,
    /// The crop in source pixels (`f64` bits).
    crop: Option<[u64; 4]>,
    quality: Quality,
}

impl VideoTarget {
    pub(super) fn new(
        bw: f64,
        bh: f64,
        fit: Fit,
        crop: Option<CropRect>,
        quality: Quality,
    ) -> VideoTarget {
        VideoTarget {
            w: bw.round().max(0.0) as u32,
            h: bh.round().max(0.0) as u32,
            box_w: (bw as f32).to_bits(),
            box_h: (bh as f32).to_bits(),
            fit,
            crop: crop.map(|c| [c.x, c.y, c.width, c.height].map(f64::to_bits)),
            quality,
        }
    }
}

/// Draws `picture` into a raster for `target`: cropped, fitted (letterboxed by transparent
/// pixels for `contain` and `none`), scaled in YUV and converted once.
pub(crate) fn video_raster(
    picture: &YuvFrame,
    color: YuvColor,
    target: &VideoTarget,
    scaler: &mut Scaler,
) -> Raster {
    let (box_w, box_h) = (f32::from_bits(target.box_w), f32::from_bits(target.box_h));
    let Some(size) = IntSize::from_wh(target.w, target.h) else {
        return Raster::empty(box_w, box_h);
    };
    let (pw, ph) = (picture.width() as f64, picture.height() as f64);
    let crop = target.crop.map_or(
        Crop {
            x: 0.0,
            y: 0.0,
            width: pw,
            height: ph,
        },
        |c| {
            let [x, y, w, h] = c.map(f64::from_bits);
            let (x, y) = (x.clamp(0.0, pw), y.clamp(0.0, ph));
            Crop {
                x,
                y,
                width: w.min(pw - x),
                height: h.min(ph - y),
            }
        },
    );
    let mut frame = Frame::new(target.w, target.h);
    if crop.width > 0.0 && crop.height > 0.0 {
        let ((sx, sy, sw, sh), (dx, dy, dw, dh)) = place(
            target.fit,
            crop.width,
            crop.height,
            target.w as i64,
            target.h as i64,
        );
        scaler.compose(
            &mut frame,
            Picture::I420Color(picture, color),
            Some(Crop {
                x: crop.x + sx,
                y: crop.y + sy,
                width: sw,
                height: sh,
            }),
            Placement {
                x: dx,
                y: dy,
                width: dw.max(0) as u32,
                height: dh.max(0) as u32,
            },
            1.0,
            target.quality,
        );
    }
    match Pixmap::from_vec(frame.into_data(), size) {
        Some(pm) => Raster::from_pixmap(pm, box_w, box_h),
        None => Raster::empty(box_w, box_h),
    }
}

/// A decoded picture's raster for `target`: the one its decode thread drew when it drew for
/// this target, else drawn now (and kept in `slot` for the next layer or frame asking).
pub(super) fn raster_for(
    slot: &std::sync::Mutex<Option<(VideoTarget, Arc<Raster>)>>,
    picture: &YuvFrame,
    color: YuvColor,
    target: VideoTarget,
    cx: &mut Ctx<'_>,
) -> Arc<Raster> {
    let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
    match &*slot {
        Some((t, r)) if *t == target => Arc::clone(r),
        _ => {
            let r = Arc::new(video_raster(picture, color, &target, &mut cx.videos.scaler));
            *slot = Some((target, Arc::clone(&r)));
            cx.stats.rasterized += 1;
            r
        }
    }
}

/// The box of a video layer: the given size, else the crop's or the first file's picture
/// size (keeping its aspect ratio when one side is given).
pub(crate) fn video_box(
    natural: (f64, f64),
    width: Option<f64>,
    height: Option<f64>,
) -> (f64, f64) {
    let (nw, nh) = natural;
    match (width, height) {
        (Some(w), Some(h)) => (w, h),
        (Some(w), None) => (w, if nw > 0.0 { w * nh / nw } else { 0.0 }),
        (None, Some(h)) => (if nh > 0.0 { h * nw / nh } else { 0.0 }, h),
        (None, None) => (nw, nh),
    }
}

/// The natural size of a video layer: its crop's, else its first file's picture.
pub(crate) fn natural_size(v: &VideoProps, first: (u32, u32)) -> (f64, f64) {
    v.crop.map_or((first.0 as f64, first.1 as f64), |c| {
        (c.width.min(first.0 as f64), c.height.min(first.1 as f64))
    })
}

impl Rasterise for VideoProps {
    /// The picture on screen at the layer's time, drawn into its box at the raster scale.
    fn raster(&self, cx: &mut Ctx<'_>) -> Result<(u64, Arc<Raster>), RenderError> {
        let program = cx
            .videos
            .program(cx.assets, cx.scene, cx.index, cx.layer, self)?;
        let first = program
            .items
            .first()
            .map_or((0, 0), |i| (i.info.width, i.info.height));
        let place_now = program.timeline.place(nanos_from_secs(cx.t));
        let (bw, bh) = video_box(natural_size(self, first), cx.s.width, cx.s.height);
        let (bw, bh) = (bw * cx.raster_scale, bh * cx.raster_scale);
        cx.check_size(bw, bh)?;
        let target = VideoTarget::new(bw, bh, self.fit, self.crop, cx.quality);
        if self.on_end == OnEnd::Remove {
            let ended = matches!(place_now, Place::Ended { .. });
            cx.videos.note_end(cx.layer.id.as_str(), ended);
        }
        let p = match place_now {
            Place::Before => None,
            Place::Ended { .. } if self.on_end != OnEnd::Hold => None,
            Place::At { program, .. } | Place::Ended { program, .. } => Some(program),
        };
        let empty = |target: VideoTarget| {
            let key = crate::render::cache::key_of(("video-empty", target));
            (key, Arc::new(Raster::empty(bw as f32, bh as f32)))
        };
        let Some(p) = p else {
            return Ok(empty(target));
        };
        let id = cx.layer.id.as_str();
        let limits = cx.assets.limits().clone();
        let Some(frame) = cx.videos.picture(id, p, target, self.decoder, &limits) else {
            return Ok(empty(target));
        };
        let raster = raster_for(&frame.raster, &frame.picture, frame.color, target, cx);
        let mut h = DefaultHasher::new();
        ("video", id, frame.generation, frame.program, target).hash(&mut h);
        Ok((h.finish(), raster))
    }
}
