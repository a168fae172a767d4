//! Placement: anchor, rotation and scale as a transform from a layer's box to the canvas, and
//! the canvas bounding box that results.

use tiny_skia::Transform;

use crate::scene::Sampled;

/// An axis-aligned rectangle on the canvas, in pixels (`x0..x1`, `y0..y1`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct IRect {
    pub(crate) x0: i32,
    pub(crate) y0: i32,
    pub(crate) x1: i32,
    pub(crate) y1: i32,
}

impl IRect {
    pub(crate) fn new(x: i32, y: i32, w: i32, h: i32) -> IRect {
        IRect {
            x0: x,
            y0: y,
            x1: x.saturating_add(w),
            y1: y.saturating_add(h),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.x1 <= self.x0 || self.y1 <= self.y0
    }

    pub(crate) fn intersect(&self, o: &IRect) -> IRect {
        IRect {
            x0: self.x0.max(o.x0),
            y0: self.y0.max(o.y0),
            x1: self.x1.min(o.x1),
            y1: self.y1.min(o.y1),
        }
    }

    pub(crate) fn union(&self, o: &IRect) -> IRect {
        if self.is_empty() {
            return *o;
        }
        if o.is_empty() {
            return *self;
        }
        IRect {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }
}

/// The transform from box-local coordinates (0,0 = the box's top-left) to the canvas.
pub(crate) fn box_transform(
    s: &Sampled,
    box_w: f32,
    box_h: f32,
    anchor_x: f64,
    anchor_y: f64,
) -> Transform {
    let ax = anchor_x as f32 * box_w;
    let ay = anchor_y as f32 * box_h;
    Transform::from_translate(s.x as f32 + ax, s.y as f32 + ay)
        .pre_rotate(s.rotation.rem_euclid(360.0) as f32)
        .pre_scale(s.scale_x as f32, s.scale_y as f32)
        .pre_translate(-ax, -ay)
}

/// True when the layer is only moved (no rotation, unit scale): it can then be blitted as is.
pub(crate) fn is_plain(s: &Sampled) -> bool {
    s.rotation.rem_euclid(360.0) == 0.0 && s.scale_x == 1.0 && s.scale_y == 1.0
}

/// True when `v` is a whole number of pixels, within 1/512 (finer than the resampler's 1/64
/// pixel phases: an animation landing a hair off a whole pixel still blits exactly).
pub(crate) fn whole(v: f64) -> bool {
    (v - v.round()).abs() < 1.0 / 512.0
}

/// True when the layer cannot be drawn at these values and draws nothing: a value that is not
/// finite, or a scale that collapses it to nothing (under a millionth: less than a tenth of a
/// pixel for the largest box). The validator bounds every field; animations, transitions and
/// easings can still carry values here that no field holds.
pub(crate) fn collapses(s: &Sampled) -> bool {
    let finite = [s.x, s.y, s.rotation, s.scale_x, s.scale_y, s.opacity]
        .iter()
        .chain(s.width.iter())
        .chain(s.height.iter())
        .all(|v| v.is_finite());
    !finite || s.scale_x.abs() < 1e-6 || s.scale_y.abs() < 1e-6
}

/// The canvas bounding box of a `w`×`h` rectangle at `(x, y)` in the space `t` maps from.
pub(crate) fn mapped_bounds(t: &Transform, x: f32, y: f32, w: f32, h: f32) -> (f32, f32, f32, f32) {
    let mut pts = [
        tiny_skia::Point::from_xy(x, y),
        tiny_skia::Point::from_xy(x + w, y),
        tiny_skia::Point::from_xy(x, y + h),
        tiny_skia::Point::from_xy(x + w, y + h),
    ];
    t.map_points(&mut pts);
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for p in pts {
        x0 = x0.min(p.x);
        y0 = y0.min(p.y);
        x1 = x1.max(p.x);
        y1 = y1.max(p.y);
    }
    (x0, y0, x1 - x0, y1 - y0)
}
