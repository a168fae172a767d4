//! RGBA → I420 conversion, BT.709 limited range, with our exact integer converter
//! (`frame/i420.rs`: scalar and AVX2, chosen at run time, identical bytes), and frame scaling.
//!
//! The `yuv` crate's converter stays reachable (doc-hidden) so the benchmark compares both in
//! one run: its AVX2 and SSE4.1 paths use a different, approximate arithmetic from its scalar
//! path, and the path cannot be chosen, so its bytes depend on the CPU.

use yuv::{
    BufferStoreMut, YuvConversionMode, YuvPlanarImageMut, YuvRange, YuvStandardMatrix,
    rgba_to_yuv420,
};

use super::{Frame, YuvFrame, i420};
use crate::render::blend::Simd;

impl Frame {
    /// Converts to I420 (BT.709, limited range) into `out`, resizing it when needed.
    ///
    /// The premultiplied colour is used as it is, which is the frame composed over black: what
    /// a video (which has no alpha) should show of transparent areas. The bytes are the same on
    /// every CPU.
    pub fn to_i420(&self, out: &mut YuvFrame) {
        self.to_i420_at(Simd::detected(), out);
    }

    /// [`Frame::to_i420`] at a chosen SIMD level (clamped to what the CPU runs), for the
    /// benchmarks; every level gives the same bytes.
    #[doc(hidden)]
    pub fn to_i420_at(&self, level: Simd, out: &mut YuvFrame) {
        if out.width != self.width || out.height != self.height {
            *out = YuvFrame::new(self.width, self.height);
        }
        let (w, h) = (self.width as usize, self.height as usize);
        i420::convert(level, &self.data, w, h, &mut out.y, &mut out.u, &mut out.v);
    }

    /// The conversion with the `yuv` crate (what [`Frame::to_i420`] did before), for the
    /// benchmark that compares the two.
    #[doc(hidden)]
    pub fn to_i420_yuv_crate(&self, out: &mut YuvFrame) {
        if out.width != self.width || out.height != self.height {
            *out = YuvFrame::new(self.width, self.height);
        }
        let (ys, us, vs) = out.strides();
        let mut planar = YuvPlanarImageMut {
            y_plane: BufferStoreMut::Borrowed(&mut out.y),
            y_stride: ys as u32,
            u_plane: BufferStoreMut::Borrowed(&mut out.u),
            u_stride: us as u32,
            v_plane: BufferStoreMut::Borrowed(&mut out.v),
            v_stride: vs as u32,
            width: self.width,
            height: self.height,
        };
        rgba_to_yuv420(
            &mut planar,
            &self.data,
            self.width * 4,
            YuvRange::Limited,
            YuvStandardMatrix::Bt709,
            YuvConversionMode::Balanced,
        )
        .expect("plane sizes match the frame by construction");
    }
}

impl Frame {
    /// Scales this frame into `out` (whose size is kept) with the quality's filter.
    pub fn resize_into(&self, out: &mut Frame, quality: crate::render::Quality) {
        use fast_image_resize::images::{Image, ImageRef};
        use fast_image_resize::{PixelType, ResizeOptions, Resizer};
        let alg = super::filters::resize_alg(quality);
        let (w, h) = (out.width, out.height);
        let (Ok(src), Ok(mut dst)) = (
            ImageRef::new(self.width, self.height, &self.data, PixelType::U8x4),
            Image::from_slice_u8(w, h, &mut out.data, PixelType::U8x4),
        ) else {
            return;
        };
        let opts = ResizeOptions::new().resize_alg(alg).use_alpha(false);
        let _ = Resizer::new().resize(&src, &mut dst, &opts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BT.709 limited-range reference, in floating point.
    fn reference(r: f64, g: f64, b: f64) -> (f64, f64, f64) {
        let (r, g, b) = (r / 255.0, g / 255.0, b / 255.0);
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let cb = (b - y) / 1.8556;
        let cr = (r - y) / 1.5748;
        (16.0 + 219.0 * y, 128.0 + 224.0 * cb, 128.0 + 224.0 * cr)
    }

    #[test]
    fn solid_colours_match_bt709_limited() {
        for rgb in [
            [255u8, 0, 0],
            [0, 255, 0],
            [0, 0, 255],
            [255, 255, 255],
            [0, 0, 0],
            [40, 120, 200],
        ] {
            let mut f = Frame::new(16, 16);
            for p in f.data_mut().chunks_exact_mut(4) {
                p.copy_from_slice(&[rgb[0], rgb[1], rgb[2], 255]);
            }
            let mut yuv = YuvFrame::new(2, 2);
            f.to_i420(&mut yuv);
            for level in Simd::ALL {
                let mut other = YuvFrame::new(2, 2);
                f.to_i420_at(level, &mut other);
                assert_eq!(other, yuv, "{level:?}");
            }
            let (y, u, v) = reference(rgb[0] as f64, rgb[1] as f64, rgb[2] as f64);
            assert!(
                (yuv.y()[0] as f64 - y).abs() <= 1.0,
                "{rgb:?} y {} vs {y}",
                yuv.y()[0]
            );
            assert!(
                (yuv.u()[0] as f64 - u).abs() <= 1.0,
                "{rgb:?} u {} vs {u}",
                yuv.u()[0]
            );
            assert!(
                (yuv.v()[0] as f64 - v).abs() <= 1.0,
                "{rgb:?} v {} vs {v}",
                yuv.v()[0]
            );
        }
    }

    /// Our converter and the `yuv` crate's differ by at most one step anywhere (the crate
    /// rounds the chroma average to 8 bits first, and its SIMD paths approximate), on a frame
    /// with an odd width and height.
    #[test]
    fn within_one_of_the_yuv_crate() {
        let mut f = Frame::new(67, 35);
        let mut x = 12345u32;
        for b in f.data_mut() {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *b = (x >> 24) as u8;
        }
        let (mut ours, mut theirs) = (YuvFrame::new(1, 1), YuvFrame::new(1, 1));
        f.to_i420(&mut ours);
        f.to_i420_yuv_crate(&mut theirs);
        for (a, b) in [
            (ours.y(), theirs.y()),
            (ours.u(), theirs.u()),
            (ours.v(), theirs.v()),
        ] {
            let worst = a.iter().zip(b).map(|(a, b)| a.abs_diff(*b)).max();
            assert!(worst <= Some(1), "{worst:?}");
        }
    }
}
