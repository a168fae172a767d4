//! Frames: the compositor's output (`Frame`, premultiplied RGBA8), the encoders' input
//! (`YuvFrame`, I420 BT.709 limited range) and PNG writing.

mod convert;
pub(crate) mod filters;
mod i420;
mod png;
pub mod scale;

/// A composed picture: premultiplied RGBA8, rows top to bottom, no padding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl Frame {
    /// A transparent frame.
    pub fn new(width: u32, height: u32) -> Frame {
        Frame {
            width,
            height,
            data: vec![0; width as usize * height as usize * 4],
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The pixels, premultiplied RGBA8.
    pub fn premultiplied(&self) -> &[u8] {
        &self.data
    }

    /// The pixels, premultiplied RGBA8, taken out.
    pub(crate) fn into_data(self) -> Vec<u8> {
        self.data
    }

    /// The pixels, premultiplied RGBA8, to write into.
    pub(crate) fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// Resizes (and clears) the frame when its size differs.
    pub(crate) fn ensure_size(&mut self, width: u32, height: u32) {
        if self.width != width || self.height != height {
            *self = Frame::new(width, height);
        }
    }

    /// The pixel at (x, y), straight (un-premultiplied) RGBA.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let i = (y as usize * self.width as usize + x as usize) * 4;
        let p = &self.data[i..i + 4];
        unpremultiply([p[0], p[1], p[2], p[3]])
    }

    /// Writes straight-alpha RGBA into `out`, which must hold exactly `width * height * 4`
    /// bytes (for callers that own the buffer, such as a Node `Buffer`). Returns `false`, and
    /// writes nothing, when the size is wrong.
    pub fn write_straight_rgba(&self, out: &mut [u8]) -> bool {
        if out.len() != self.data.len() {
            return false;
        }
        for (o, p) in out.chunks_exact_mut(4).zip(self.data.chunks_exact(4)) {
            o.copy_from_slice(&unpremultiply([p[0], p[1], p[2], p[3]]));
        }
        true
    }

    /// Writes straight-alpha RGBA (what PNG files and most APIs expect) into `out`.
    pub fn to_straight_rgba(&self, out: &mut Vec<u8>) {
        out.clear();
        out.reserve(self.data.len());
        for p in self.data.chunks_exact(4) {
            out.extend_from_slice(&unpremultiply([p[0], p[1], p[2], p[3]]));
        }
    }
}

/// Premultiplied → straight alpha, rounded.
pub(crate) fn unpremultiply(p: [u8; 4]) -> [u8; 4] {
    let a = p[3] as u32;
    match a {
        0 => [0, 0, 0, 0],
        255 => p,
        _ => {
            let f = |c: u8| ((c as u32 * 255 + a / 2) / a).min(255) as u8;
            [f(p[0]), f(p[1]), f(p[2]), p[3]]
        }
    }
}

/// A picture in I420: a full-size luma plane and two quarter-size chroma planes, BT.709
/// limited range, as the video encoders take it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YuvFrame {
    width: u32,
    height: u32,
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
}

impl YuvFrame {
    /// A black frame of this size.
    pub fn new(width: u32, height: u32) -> YuvFrame {
        YuvFrame::filled(width, height, 16, 128)
    }

    fn filled(width: u32, height: u32, luma: u8, chroma: u8) -> YuvFrame {
        let (cw, ch) = (width.div_ceil(2) as usize, height.div_ceil(2) as usize);
        YuvFrame {
            width,
            height,
            y: vec![luma; width as usize * height as usize],
            u: vec![chroma; cw * ch],
            v: vec![chroma; cw * ch],
        }
    }

    /// A frame of this size whose planes are zero bytes, for a decoder to fill whole (cheaper
    /// than [`YuvFrame::new`]: fresh zeroed memory needs no writing).
    pub fn zeroed(width: u32, height: u32) -> YuvFrame {
        YuvFrame::filled(width, height, 0, 0)
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Luma plane, `width` bytes a row.
    pub fn y(&self) -> &[u8] {
        &self.y
    }

    /// Cb plane, `ceil(width/2)` bytes a row.
    pub fn u(&self) -> &[u8] {
        &self.u
    }

    /// Cr plane, `ceil(width/2)` bytes a row.
    pub fn v(&self) -> &[u8] {
        &self.v
    }

    /// The Y, U and V planes to write into (a decoder's output), laid out as [`YuvFrame::y`],
    /// [`YuvFrame::u`] and [`YuvFrame::v`] say.
    pub fn planes_mut(&mut self) -> (&mut [u8], &mut [u8], &mut [u8]) {
        (&mut self.y, &mut self.u, &mut self.v)
    }

    /// Row lengths of the Y, U and V planes.
    pub fn strides(&self) -> (usize, usize, usize) {
        let c = self.width.div_ceil(2) as usize;
        (self.width as usize, c, c)
    }
}
