//! `rect` and `ellipse` layers: anti-aliased fills and inside borders with tiny-skia.

use tiny_skia::{FillRule, Paint, Path, PathBuilder, Pixmap, Rect, Transform};

use super::raster::Raster;
use crate::scene::{Border, Color};

fn paint(color: Color) -> Paint<'static> {
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

fn oval(x: f32, y: f32, w: f32, h: f32) -> Option<Path> {
    PathBuilder::from_oval(Rect::from_xywh(x, y, w, h)?)
}

fn canvas(w: f64, h: f64) -> Option<Pixmap> {
    Pixmap::new(w.ceil().max(1.0) as u32, h.ceil().max(1.0) as u32)
}

/// Rasterises a rectangle of `w`×`h` with corner radius and an optional inside border.
pub(crate) fn rect(w: f64, h: f64, color: Color, radius: f64, border: Option<Border>) -> Raster {
    let (wf, hf, r) = (w as f32, h as f32, radius as f32);
    let Some(mut pm) = canvas(w, h).filter(|_| w > 0.0 && h > 0.0) else {
        return Raster::empty(wf, hf);
    };
    if let Some(path) = round_rect(0.0, 0.0, wf, hf, r) {
        pm.fill_path(
            &path,
            &paint(color),
            FillRule::Winding,
            Transform::identity(),
            None,
        );
    }
    if let Some(b) = border.filter(|b| b.width > 0.0 && b.color.a > 0) {
        let bw = (b.width as f32).min(wf / 2.0).min(hf / 2.0);
        let mut pb = PathBuilder::new();
        push_round_rect(&mut pb, 0.0, 0.0, wf, hf, r);
        push_round_rect(
            &mut pb,
            bw,
            bw,
            wf - 2.0 * bw,
            hf - 2.0 * bw,
            (r - bw).max(0.0),
        );
        if let Some(ring) = pb.finish() {
            pm.fill_path(
                &ring,
                &paint(b.color),
                FillRule::EvenOdd,
                Transform::identity(),
                None,
            );
        }
    }
    Raster::from_pixmap(pm, wf, hf)
}

/// Rasterises an ellipse filling a `w`×`h` box with an optional inside border.
pub(crate) fn ellipse(w: f64, h: f64, color: Color, border: Option<Border>) -> Raster {
    let (wf, hf) = (w as f32, h as f32);
    let Some(mut pm) = canvas(w, h).filter(|_| w > 0.0 && h > 0.0) else {
        return Raster::empty(wf, hf);
    };
    if let Some(path) = oval(0.0, 0.0, wf, hf) {
        pm.fill_path(
            &path,
            &paint(color),
            FillRule::Winding,
            Transform::identity(),
            None,
        );
    }
    if let Some(b) = border.filter(|b| b.width > 0.0 && b.color.a > 0) {
        let bw = (b.width as f32).min(wf / 2.0).min(hf / 2.0);
        let mut pb = PathBuilder::new();
        if let Some(r) = Rect::from_xywh(0.0, 0.0, wf, hf) {
            pb.push_oval(r);
        }
        if let Some(r) = Rect::from_xywh(bw, bw, wf - 2.0 * bw, hf - 2.0 * bw) {
            pb.push_oval(r);
        }
        if let Some(ring) = pb.finish() {
            pm.fill_path(
                &ring,
                &paint(b.color),
                FillRule::EvenOdd,
                Transform::identity(),
                None,
            );
        }
    }
    Raster::from_pixmap(pm, wf, hf)
}

/// Draws a rect or ellipse of box size `w`×`h` straight through `t` (box space → pixmap), so
/// rotated and scaled shapes keep exact anti-aliased edges instead of a resampled raster's.
pub(crate) fn draw_transformed(
    pm: &mut Pixmap,
    kind: &crate::scene::LayerKind,
    w: f64,
    h: f64,
    t: Transform,
) {
    use crate::scene::LayerKind;
    let (wf, hf) = (w as f32, h as f32);
    if wf <= 0.0 || hf <= 0.0 {
        return;
    }
    let (color, border, radius, is_rect) = match kind {
        LayerKind::Rect(r) => (r.color, r.border, r.radius as f32, true),
        LayerKind::Ellipse(e) => (e.color, e.border, 0.0, false),
        _ => return,
    };
    let outer = |pb: &mut PathBuilder, inset: f32| {
        let (x, y, ww, hh) = (inset, inset, wf - 2.0 * inset, hf - 2.0 * inset);
        if ww <= 0.0 || hh <= 0.0 {
            return;
        }
        if is_rect {
            push_round_rect(pb, x, y, ww, hh, (radius - inset).max(0.0));
        } else if let Some(r) = Rect::from_xywh(x, y, ww, hh) {
            pb.push_oval(r);
        }
    };
    let mut pb = PathBuilder::new();
    outer(&mut pb, 0.0);
    if let Some(path) = pb.finish() {
        pm.fill_path(&path, &paint(color), FillRule::Winding, t, None);
    }
    if let Some(b) = border.filter(|b| b.width > 0.0 && b.color.a > 0) {
        let bw = (b.width as f32).min(wf / 2.0).min(hf / 2.0);
        let mut pb = PathBuilder::new();
        outer(&mut pb, 0.0);
        outer(&mut pb, bw);
        if let Some(ring) = pb.finish() {
            pm.fill_path(&ring, &paint(b.color), FillRule::EvenOdd, t, None);
        }
    }
}
