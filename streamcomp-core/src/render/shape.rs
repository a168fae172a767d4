//! `rect` and `ellipse` layers: [`Shape`], their rasteriser, with anti-aliased fills and inside
//! borders drawn by tiny-skia, at box size for the raster cache or straight where they are placed.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use tiny_skia::{FillRule, Paint, Path, PathBuilder, Pixmap, Rect, Transform};

use super::cache::hash_f64;
use super::kind::{Ctx, Rasterise};
use super::place::{IRect, mapped_bounds};
use super::raster::Raster;
use crate::error::RenderError;
use crate::scene::{Border, Color, EllipseProps, LayerKind, RectProps};

/// An anti-aliased solid paint.
pub(crate) fn paint(color: Color) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color_rgba8(color.r, color.g, color.b, color.a);
    p.anti_alias = true;
    p
}

/// Kappa for approximating a quarter circle with one cubic Bézier.
const KAPPA: f32 = 0.552_284_8;

/// Appends a rounded rectangle (radius clamped to half the shorter side) to `pb`.
pub(crate) fn push_round_rect(pb: &mut PathBuilder, x: f32, y: f32, w: f32, h: f32, r: f32) {
    let r = r.min(w / 2.0).min(h / 2.0).max(0.0);
    if r <= 0.0 {
        if let Some(rect) = Rect::from_xywh(x, y, w, h) {
            pb.push_rect(rect);
        }
        return;
    }
    let k = r * KAPPA;
    let (x1, y1) = (x + w, y + h);
    pb.move_to(x + r, y);
    pb.line_to(x1 - r, y);
    pb.cubic_to(x1 - r + k, y, x1, y + r - k, x1, y + r);
    pb.line_to(x1, y1 - r);
    pb.cubic_to(x1, y1 - r + k, x1 - r + k, y1, x1 - r, y1);
    pb.line_to(x + r, y1);
    pb.cubic_to(x + r - k, y1, x, y1 - r + k, x, y1 - r);
    pb.line_to(x, y + r);
    pb.cubic_to(x, y + r - k, x + r - k, y, x + r, y);
    pb.close();
}

/// A rounded rectangle path, or `None` when it has no area.
pub(crate) fn round_rect(x: f32, y: f32, w: f32, h: f32, r: f32) -> Option<Path> {
    if w <= 0.0 || h <= 0.0 {
        return None;
    }
    let mut pb = PathBuilder::new();
    push_round_rect(&mut pb, x, y, w, h, r);
    pb.finish()
}

fn canvas(w: f64, h: f64) -> Option<Pixmap> {
    Pixmap::new(w.ceil().max(1.0) as u32, h.ceil().max(1.0) as u32)
}

/// What a `rect` or `ellipse` layer draws: a fill and an optional inside border.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shape {
    color: Color,
    border: Option<Border>,
    /// The corner radius of a rectangle; `None` for an ellipse.
    corner: Option<f64>,
}

impl From<&RectProps> for Shape {
    fn from(r: &RectProps) -> Shape {
        Shape {
            color: r.color,
            border: r.border,
            corner: Some(r.radius),
        }
    }
}

impl From<&EllipseProps> for Shape {
    fn from(e: &EllipseProps) -> Shape {
        Shape {
            color: e.color,
            border: e.border,
            corner: None,
        }
    }
}

impl Shape {
    /// The shape a layer kind draws, or `None` when it is not a shape.
    pub(crate) fn of(kind: &LayerKind) -> Option<Shape> {
        match kind {
            LayerKind::Rect(r) => Some(r.into()),
            LayerKind::Ellipse(e) => Some(e.into()),
            _ => None,
        }
    }

    /// Appends the shape's outline inset by `inset` in a `w`×`h` box to `pb`. An inset that
    /// leaves no area adds nothing, unless `keep_empty`: then it adds its empty outline, which
    /// still nudges an ellipse's edge pixels by a level (rasters keep it, so that their pixels
    /// stay what they always were; placed shapes never had it).
    fn push_outline(&self, pb: &mut PathBuilder, (w, h): (f32, f32), inset: f32, keep_empty: bool) {
        let (ww, hh) = (w - 2.0 * inset, h - 2.0 * inset);
        if !keep_empty && (ww <= 0.0 || hh <= 0.0) {
            return;
        }
        match self.corner {
            Some(radius) => {
                push_round_rect(pb, inset, inset, ww, hh, (radius as f32 - inset).max(0.0))
            }
            None => {
                if let Some(r) = Rect::from_xywh(inset, inset, ww, hh) {
                    pb.push_oval(r);
                }
            }
        }
    }

    /// Draws the shape with a box of `w`×`h` through `t` (box space → canvas) into a new
    /// pixmap covering it clipped to `clip`: a rotated or scaled shape so keeps exact
    /// anti-aliased edges instead of a resampled raster's. Returns the pixmap and its canvas position, or
    /// `None` when nothing is visible (as `place::transform_raster` does for rasters).
    pub(crate) fn draw_placed(
        &self,
        t: &Transform,
        w: f32,
        h: f32,
        clip: IRect,
    ) -> Option<(Pixmap, i32, i32)> {
        let (bx, by, bw, bh) = mapped_bounds(t, 0.0, 0.0, w, h);
        let area = IRect {
            x0: bx.floor() as i32,
            y0: by.floor() as i32,
            x1: (bx + bw).ceil() as i32,
            y1: (by + bh).ceil() as i32,
        }
        .intersect(&clip);
        if area.is_empty() {
            return None;
        }
        let mut pm = Pixmap::new((area.x1 - area.x0) as u32, (area.y1 - area.y0) as u32)?;
        let shifted = t.post_translate(-area.x0 as f32, -area.y0 as f32);
        self.fill(&mut pm, (w, h), shifted, false);
        Some((pm, area.x0, area.y0))
    }

    /// Fills the shape and its border ring (see [`Shape::push_outline`] for `keep_empty`).
    fn fill(&self, pm: &mut Pixmap, (wf, hf): (f32, f32), t: Transform, keep_empty: bool) {
        if wf <= 0.0 || hf <= 0.0 {
            return;
        }
        let mut pb = PathBuilder::new();
        self.push_outline(&mut pb, (wf, hf), 0.0, keep_empty);
        if let Some(path) = pb.finish() {
            pm.fill_path(&path, &paint(self.color), FillRule::Winding, t, None);
        }
        if let Some(b) = self.border.filter(|b| b.width > 0.0 && b.color.a > 0) {
            let bw = (b.width as f32).min(wf / 2.0).min(hf / 2.0);
            let mut pb = PathBuilder::new();
            self.push_outline(&mut pb, (wf, hf), 0.0, keep_empty);
            self.push_outline(&mut pb, (wf, hf), bw, keep_empty);
            if let Some(ring) = pb.finish() {
                pm.fill_path(&ring, &paint(b.color), FillRule::EvenOdd, t, None);
            }
        }
    }

    /// Rasterises the shape filling a `w`×`h` box.
    pub(crate) fn rasterise(&self, w: f64, h: f64) -> Raster {
        let (wf, hf) = (w as f32, h as f32);
        let Some(mut pm) = canvas(w, h).filter(|_| w > 0.0 && h > 0.0) else {
            return Raster::empty(wf, hf);
        };
        self.fill(&mut pm, (wf, hf), Transform::identity(), true);
        Raster::from_pixmap(pm, wf, hf)
    }
}

impl Rasterise for Shape {
    /// Drawn at its box size; a transformed shape is drawn as a vector where it is placed, so
    /// it gets an empty raster of its box size unless one is cached.
    fn raster(&self, cx: &mut Ctx<'_>) -> Result<(u64, Arc<Raster>), RenderError> {
        let (w, h) = (cx.s.width.unwrap_or(0.0), cx.s.height.unwrap_or(0.0));
        let mut hasher = DefaultHasher::new();
        (
            self.color,
            self.border.map(|b| (b.color, b.width.to_bits())),
            self.corner.map(f64::to_bits),
        )
            .hash(&mut hasher);
        hash_f64(&mut hasher, w);
        hash_f64(&mut hasher, h);
        let key = hasher.finish();
        if cx.transformed {
            let r = cx.rasters.get(key);
            return Ok((
                key,
                r.unwrap_or_else(|| Arc::new(Raster::empty(w as f32, h as f32))),
            ));
        }
        let raster = cx.cached(key, |cx| {
            cx.check_size(w, h)?;
            Ok(self.rasterise(w, h))
        })?;
        Ok((key, raster))
    }
}
