//! `Raster`: one layer's content drawn at its box size, premultiplied, before placement.

use tiny_skia::Pixmap;

/// A layer's pixels, premultiplied RGBA8, with where its box sits inside them.
///
/// Outlines, shadows and text backgrounds may reach outside the box, so the box's top-left is
/// at `(origin_x, origin_y)` inside the pixmap rather than at its corner.
#[derive(Clone, Debug)]
pub(crate) struct Raster {
    /// The pixels (premultiplied RGBA8).
    pub(crate) pixmap: Pixmap,
    /// Column of the box's left edge inside `pixmap`.
    pub(crate) origin_x: i32,
    /// Row of the box's top edge inside `pixmap`.
    pub(crate) origin_y: i32,
    /// The box size the layer is placed and anchored by (natural size for text and images).
    pub(crate) box_w: f32,
    /// See `box_w`.
    pub(crate) box_h: f32,
    /// True when every pixel is opaque (blits may then copy).
    pub(crate) opaque: bool,
}

impl Raster {
    /// A raster with nothing visible and the given box size.
    pub(crate) fn empty(box_w: f32, box_h: f32) -> Raster {
        Raster {
            pixmap: Pixmap::new(1, 1).expect("1x1 pixmap"),
            origin_x: 0,
            origin_y: 0,
            box_w,
            box_h,
            opaque: false,
        }
    }

    /// Wraps a pixmap whose top-left is the box's top-left.
    pub(crate) fn from_pixmap(pixmap: Pixmap, box_w: f32, box_h: f32) -> Raster {
        let opaque = pixmap.data().chunks_exact(4).all(|p| p[3] == 255);
        Raster {
            pixmap,
            origin_x: 0,
            origin_y: 0,
            box_w,
            box_h,
            opaque,
        }
    }

    /// Memory held, bytes.
    pub(crate) fn bytes(&self) -> usize {
        self.pixmap.data().len()
    }
}
