//! Image layers: one frame of a decoded image scaled into the layer's box per `fit`
//! (`fill`, `contain`, `cover`, `none`) with fast_image_resize (SIMD chosen at run time).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{PixelType, ResizeOptions, Resizer};
use tiny_skia::Pixmap;

use super::Quality;
use super::kind::{Ctx, Rasterise};
use super::raster::Raster;
use crate::assets::DecodedImage;
use crate::error::{AssetError, RenderError};
use crate::scene::{Fit, ImageProps};

impl Rasterise for ImageProps {
    /// The frame of the (cached) decoded image shown at the layer's age, scaled into its box at
    /// the raster scale.
    fn raster(&self, cx: &mut Ctx<'_>) -> Result<(u64, Arc<Raster>), RenderError> {
        let (w, h) = (cx.s.width, cx.s.height);
        image_raster(cx, &self.src, "src", self.fit, w, h)
    }
}

/// The raster of image file `src` (named by the layer's field `field` in errors) in a box of
/// `w`×`h` (a missing side: from the image), at the raster scale.
pub(super) fn image_raster(
    cx: &mut Ctx<'_>,
    src: &str,
    field: &str,
    fit: Fit,
    w: Option<f64>,
    h: Option<f64>,
) -> Result<(u64, Arc<Raster>), RenderError> {
    let decoded = cx
        .assets
        .image(src, cx.scene.base_dir.as_deref())
        .map_err(|e| cx.asset_err(field, e))?;
    let frame = decoded.frame_at(cx.t - cx.layer.born);
    let scale = cx.raster_scale;
    let mut hasher = DefaultHasher::new();
    (
        "image",
        src,
        fit,
        frame,
        cx.quality,
        w.map(f64::to_bits),
        h.map(f64::to_bits),
        scale.to_bits(),
    )
        .hash(&mut hasher);
    let key = hasher.finish();
    let raster = cx.cached(key, |cx| {
        let (bw, bh) = image_box(&decoded, w, h);
        let (bw, bh) = (bw * scale, bh * scale);
        cx.check_size(bw, bh)?;
        let (rw, rh) = if scale == 1.0 {
            (w, h)
        } else {
            (Some(bw), Some(bh))
        };
        rasterize_image(&decoded, frame, rw, rh, fit, cx.quality)
            .map_err(|e| cx.asset_err(field, e))
    })?;
    Ok((key, raster))
}

/// The box an image layer gets: the given size, the natural size, or the natural aspect ratio
/// when only one side is given.
pub(crate) fn image_box(img: &DecodedImage, width: Option<f64>, height: Option<f64>) -> (f64, f64) {
    let (nw, nh) = (img.width as f64, img.height as f64);
    match (width, height) {
        (Some(w), Some(h)) => (w, h),
        (Some(w), None) => (w, if nw > 0.0 { w * nh / nw } else { 0.0 }),
        (None, Some(h)) => (if nh > 0.0 { h * nw / nh } else { 0.0 }, h),
        (None, None) => (nw, nh),
    }
}

/// Where the picture goes: a source crop (x, y, w, h in image pixels) drawn into a destination
/// rectangle (x, y, w, h in raster pixels).
type Placement = ((f64, f64, f64, f64), (i64, i64, i64, i64));

pub(super) fn place(fit: Fit, iw: f64, ih: f64, w: i64, h: i64) -> Placement {
    let (wf, hf) = (w as f64, h as f64);
    match fit {
        Fit::Fill => ((0.0, 0.0, iw, ih), (0, 0, w, h)),
        Fit::Contain => {
            let s = (wf / iw).min(hf / ih);
            let (dw, dh) = (
                ((iw * s).round() as i64).clamp(1, w),
                ((ih * s).round() as i64).clamp(1, h),
            );
            ((0.0, 0.0, iw, ih), ((w - dw) / 2, (h - dh) / 2, dw, dh))
        }
        Fit::Cover => {
            let s = (wf / iw).max(hf / ih);
            let (cw, ch) = (wf / s, hf / s);
            (((iw - cw) / 2.0, (ih - ch) / 2.0, cw, ch), (0, 0, w, h))
        }
        Fit::None => {
            let axis = |natural: f64, size: i64| -> (f64, f64, i64, i64) {
                let n = natural as i64;
                if n <= size {
                    (0.0, natural, (size - n) / 2, n)
                } else {
                    (((n - size) / 2) as f64, size as f64, 0, size)
                }
            };
            let (sx, sw, dx, dw) = axis(iw, w);
            let (sy, sh, dy, dh) = axis(ih, h);
            ((sx, sy, sw, sh), (dx, dy, dw, dh))
        }
    }
}

/// Scales frame `frame` of `img` into a raster of the layer's box.
pub(crate) fn rasterize_image(
    img: &DecodedImage,
    frame: usize,
    width: Option<f64>,
    height: Option<f64>,
    fit: Fit,
    quality: Quality,
) -> Result<Raster, AssetError> {
    let (bw, bh) = image_box(img, width, height);
    let (w, h) = (bw.round() as i64, bh.round() as i64);
    if w <= 0 || h <= 0 {
        return Ok(Raster::empty(bw as f32, bh as f32));
    }
    if w as u64 * h as u64 > 1 << 28 {
        return Err(AssetError::TooLarge {
            what: "image layer".into(),
            detail: format!("a {w}x{h} box is more than 2^28 pixels"),
        });
    }
    let mut pm = Pixmap::new(w as u32, h as u32).ok_or_else(|| AssetError::TooLarge {
        what: "image layer".into(),
        detail: format!("cannot allocate a {w}x{h} raster"),
    })?;
    let pixels = &img.frames[frame.min(img.frames.len() - 1)].pixels;
    let (iw, ih) = (img.width as f64, img.height as f64);
    let ((sx, sy, sw, sh), (dx, dy, dw, dh)) = place(fit, iw, ih, w, h);
    let stride = w as usize * 4;
    let exact = sw == dw as f64 && sh == dh as f64 && sx.fract() == 0.0 && sy.fract() == 0.0;
    if exact {
        // Same size: a plain copy, no resampling.
        let src_stride = img.width as usize * 4;
        for row in 0..dh as usize {
            let s = (sy as usize + row) * src_stride + sx as usize * 4;
            let d = (dy as usize + row) * stride + dx as usize * 4;
            pm.data_mut()[d..d + dw as usize * 4].copy_from_slice(&pixels[s..s + dw as usize * 4]);
        }
    } else {
        let src = ImageRef::new(img.width, img.height, pixels, PixelType::U8x4).map_err(|e| {
            AssetError::Decode {
                src: "image".into(),
                message: e.to_string(),
            }
        })?;
        let mut dst = Image::new(dw as u32, dh as u32, PixelType::U8x4);
        let opts = ResizeOptions::new()
            .resize_alg(crate::frame::filters::resize_alg(quality))
            .use_alpha(false) // the pixels are premultiplied already
            .crop(sx, sy, sw, sh);
        Resizer::new()
            .resize(&src, &mut dst, &opts)
            .map_err(|e| AssetError::Decode {
                src: "image".into(),
                message: format!("resize failed: {e}"),
            })?;
        let buf = dst.buffer();
        let row_len = dw as usize * 4;
        for row in 0..dh as usize {
            let d = (dy as usize + row) * stride + dx as usize * 4;
            pm.data_mut()[d..d + row_len].copy_from_slice(&buf[row * row_len..(row + 1) * row_len]);
        }
        // Sharpening filters can overshoot; keep every channel within its alpha (premultiplied).
        if quality != Quality::Low {
            for p in pm.data_mut().chunks_exact_mut(4) {
                let a = p[3];
                for c in &mut p[..3] {
                    *c = (*c).min(a);
                }
            }
        }
    }
    Ok(Raster::from_pixmap(pm, bw as f32, bh as f32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::ImageFrame;

    fn solid(w: u32, h: u32, px: [u8; 4]) -> DecodedImage {
        DecodedImage {
            width: w,
            height: h,
            frames: vec![ImageFrame {
                pixels: px.repeat((w * h) as usize),
                delay: 0.0,
            }],
            duration: 0.0,
        }
    }

    fn at(r: &Raster, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * r.pixmap.width() + x) * 4) as usize;
        r.pixmap.data()[i..i + 4].try_into().unwrap()
    }

    #[test]
    fn fit_modes_place_pixels() {
        let red = solid(100, 50, [255, 0, 0, 255]);
        let c = rasterize_image(
            &red,
            0,
            Some(100.0),
            Some(100.0),
            Fit::Contain,
            Quality::High,
        )
        .unwrap();
        assert_eq!(at(&c, 50, 10), [0, 0, 0, 0]);
        assert_eq!(at(&c, 50, 30), [255, 0, 0, 255]);
        assert_eq!(at(&c, 50, 80), [0, 0, 0, 0]);
        let cover =
            rasterize_image(&red, 0, Some(100.0), Some(100.0), Fit::Cover, Quality::High).unwrap();
        assert!(cover.opaque);
        let fill =
            rasterize_image(&red, 0, Some(30.0), Some(70.0), Fit::Fill, Quality::Low).unwrap();
        assert_eq!((fill.pixmap.width(), fill.pixmap.height()), (30, 70));
        assert!(fill.opaque);
        let none =
            rasterize_image(&red, 0, Some(200.0), Some(20.0), Fit::None, Quality::High).unwrap();
        assert_eq!(at(&none, 10, 10), [0, 0, 0, 0]);
        assert_eq!(at(&none, 100, 10), [255, 0, 0, 255]);
    }

    #[test]
    fn natural_size_and_aspect() {
        let img = solid(40, 20, [0, 0, 255, 255]);
        let r = rasterize_image(&img, 0, None, None, Fit::Fill, Quality::High).unwrap();
        assert_eq!((r.pixmap.width(), r.pixmap.height()), (40, 20));
        let r = rasterize_image(&img, 0, Some(80.0), None, Fit::Fill, Quality::High).unwrap();
        assert_eq!((r.pixmap.width(), r.pixmap.height()), (80, 40));
    }

    #[test]
    fn same_size_is_an_exact_copy() {
        let mut img = solid(3, 2, [0; 4]);
        img.frames[0].pixels = (0..24).map(|i| (i * 10) as u8).collect();
        for p in img.frames[0].pixels.chunks_exact_mut(4) {
            p[3] = 255;
        }
        let r = rasterize_image(&img, 0, None, None, Fit::Fill, Quality::High).unwrap();
        assert_eq!(r.pixmap.data(), &img.frames[0].pixels[..]);
    }
}
