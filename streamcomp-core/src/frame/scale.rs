//! Scaled copies of pictures that change every frame (a video's frames, a live input's): the
//! [`Scaler`] crops an I420 or RGBA picture, scales it into a box of a canvas and composes it
//! there, computing only the part of the box that is on the canvas. Resampling is
//! `fast_image_resize`'s (separable convolution, antialiased when shrinking, SIMD chosen at run
//! time), I420 → RGBA is the `yuv` crate's (BT.709 limited range, the inverse of
//! [`Frame::to_i420`]), blending the compositor's own kernels. Buffers are kept between calls,
//! so a stream of frames of one size allocates nothing after the first.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{PixelType, ResizeOptions, Resizer};
use yuv::{YuvPlanarImage, YuvRange, YuvStandardMatrix, yuv420_to_rgba};

use super::{Frame, YuvFrame};
use crate::render::Quality;
use crate::render::blend::blend_row;
use crate::scene::BlendMode;

/// How a YUV picture's numbers map to colours: which matrix, which range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct YuvColor {
    /// BT.601 (standard definition) instead of BT.709. Default: BT.709.
    pub bt601: bool,
    /// Full range (0–255, phones and screen captures) instead of limited (16–235).
    /// Default: limited.
    pub full_range: bool,
}

impl YuvColor {
    /// What a file that does not say means, by its height (as players guess): BT.709 from
    /// 720 lines up, BT.601 below; limited range.
    pub fn guess(height: u32) -> YuvColor {
        YuvColor {
            bt601: height < 720,
            full_range: false,
        }
    }

    /// From a bitstream's colour description: `matrix` as ISO/IEC 23091-4 numbers it (H.264
    /// VUI, AV1 sequence header: 1 BT.709; 5, 6 BT.601; anything else or none: the guess by
    /// `height`) and its full-range flag.
    pub fn coded(height: u32, matrix: Option<u32>, full_range: bool) -> YuvColor {
        let guessed = YuvColor::guess(height);
        YuvColor {
            bt601: match matrix {
                Some(1) => false,
                Some(5 | 6) => true,
                _ => guessed.bt601,
            },
            full_range,
        }
    }
}

/// A picture to scale: a video frame (I420, opaque) or a composed picture (premultiplied
/// RGBA).
#[derive(Clone, Copy, Debug)]
pub enum Picture<'a> {
    /// I420, BT.709 limited range (what our encoders take).
    I420(&'a YuvFrame),
    /// I420 with its colour matrix and range (a video file's picture).
    I420Color(&'a YuvFrame, YuvColor),
    /// Premultiplied RGBA.
    Rgba(&'a Frame),
}

impl Picture<'_> {
    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        match self {
            Picture::I420(f) | Picture::I420Color(f, _) => (f.width(), f.height()),
            Picture::Rgba(f) => (f.width(), f.height()),
        }
    }
}

/// A rectangle of a source picture, in its pixels (fractions allowed).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Crop {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// A box of the canvas, in whole pixels; it may reach past the canvas's edges (only the part
/// on the canvas is computed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Left edge (may be negative).
    pub x: i64,
    /// Top edge (may be negative).
    pub y: i64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Scales pictures into boxes and composes them; keeps its buffers between calls.
pub struct Scaler {
    resizer: Resizer,
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
    rgba: Vec<u8>,
}

impl Default for Scaler {
    fn default() -> Scaler {
        Scaler::new()
    }
}

impl std::fmt::Debug for Scaler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scaler").finish_non_exhaustive()
    }
}

/// `v` clamped into `lo..=hi`, NaN as `lo`.
fn clamp(v: f64, lo: f64, hi: f64) -> f64 {
    if v.is_nan() { lo } else { v.clamp(lo, hi) }
}

/// The visible part of a placement on a `cw`×`ch` canvas and the part of `crop` it shows:
/// `(x, y, width, height)` on the canvas and the source rectangle. `None` when nothing shows.
fn visible(dst: Placement, crop: Crop, cw: u32, ch: u32) -> Option<([usize; 4], Crop)> {
    let x0 = dst.x.max(0);
    let y0 = dst.y.max(0);
    let x1 = (dst.x + i64::from(dst.width)).min(i64::from(cw));
    let y1 = (dst.y + i64::from(dst.height)).min(i64::from(ch));
    if x0 >= x1 || y0 >= y1 || crop.width <= 0.0 || crop.height <= 0.0 {
        return None;
    }
    let (sx, sy) = (
        crop.width / f64::from(dst.width),
        crop.height / f64::from(dst.height),
    );
    let (x, y) = (
        crop.x + (x0 - dst.x) as f64 * sx,
        crop.y + (y0 - dst.y) as f64 * sy,
    );
    // Never past the crop's edge: `(720 / 338) * 338` is 720.0000000000001, and a resampler
    // asked for a part a hair outside the picture refuses to draw anything.
    let src = Crop {
        x,
        y,
        width: ((x1 - x0) as f64 * sx).min(crop.x + crop.width - x),
        height: ((y1 - y0) as f64 * sy).min(crop.y + crop.height - y),
    };
    let area = [
        x0 as usize,
        y0 as usize,
        (x1 - x0) as usize,
        (y1 - y0) as usize,
    ];
    Some((area, src))
}

impl Scaler {
    /// A scaler with empty buffers.
    pub fn new() -> Scaler {
        Scaler {
            resizer: Resizer::new(),
            y: Vec::new(),
            u: Vec::new(),
            v: Vec::new(),
            rgba: Vec::new(),
        }
    }

    /// Scales `crop` of `src` (all of it when `None`; clamped to the picture) into the box
    /// `dst` of `canvas` and composes it over what is there at `opacity` (0–1, clamped) with
    /// the filter of `quality`. Only the part of the box on the canvas is computed, so a box
    /// far larger than the canvas costs what the canvas costs. An empty crop or box, or one
    /// wholly off the canvas, draws nothing.
    ///
    /// ```
    /// use streamcomp_core::{Frame, YuvFrame, Quality};
    /// use streamcomp_core::scale::{Picture, Placement, Scaler};
    ///
    /// let video = YuvFrame::new(1920, 1080); // black
    /// let mut canvas = Frame::new(1280, 720); // transparent
    /// let mut scaler = Scaler::new();
    /// let dst = Placement { x: 0, y: 0, width: 640, height: 360 };
    /// scaler.compose(&mut canvas, Picture::I420(&video), None, dst, 1.0, Quality::Low);
    /// assert_eq!(canvas.pixel(10, 10), [0, 0, 0, 255]);
    /// assert_eq!(canvas.pixel(700, 10), [0, 0, 0, 0]);
    /// ```
    pub fn compose(
        &mut self,
        canvas: &mut Frame,
        src: Picture<'_>,
        crop: Option<Crop>,
        dst: Placement,
        opacity: f32,
        quality: Quality,
    ) {
        let (sw, sh) = src.size();
        let whole = Crop {
            x: 0.0,
            y: 0.0,
            width: f64::from(sw),
            height: f64::from(sh),
        };
        let crop = crop.map_or(whole, |c| {
            let x = clamp(c.x, 0.0, whole.width);
            let y = clamp(c.y, 0.0, whole.height);
            Crop {
                x,
                y,
                width: clamp(c.width, 0.0, whole.width - x),
                height: clamp(c.height, 0.0, whole.height - y),
            }
        });
        let op = (clamp(f64::from(opacity), 0.0, 1.0) * 255.0).round() as u8;
        let (cw, ch) = (canvas.width(), canvas.height());
        let Some(([x, y, w, h], part)) = visible(dst, crop, cw, ch) else {
            return;
        };
        if op == 0 {
            return;
        }
        let (ok, opaque) = match src {
            Picture::I420(f) => (
                self.i420_to_rgba(f, YuvColor::default(), part, w, h, quality),
                true,
            ),
            Picture::I420Color(f, color) => {
                (self.i420_to_rgba(f, color, part, w, h, quality), true)
            }
            Picture::Rgba(f) => {
                self.rgba.resize(w * h * 4, 0);
                let ok = resize(
                    &mut self.resizer,
                    (f.width(), f.height(), f.premultiplied()),
                    part,
                    (w, h, &mut self.rgba),
                    PixelType::U8x4,
                    quality,
                );
                (ok, false)
            }
        };
        if !ok {
            return;
        }
        let stride = cw as usize * 4;
        let data = canvas.data_mut();
        for (r, row) in self.rgba.chunks_exact(w * 4).enumerate() {
            let at = (y + r) * stride + x * 4;
            blend_row(
                &mut data[at..at + w * 4],
                row,
                op,
                BlendMode::Normal,
                opaque,
            );
        }
    }

    /// Scales the `part` of an I420 picture to `w`×`h` and converts it into `self.rgba`;
    /// `false` when the resampler refuses.
    fn i420_to_rgba(
        &mut self,
        f: &YuvFrame,
        color: YuvColor,
        part: Crop,
        w: usize,
        h: usize,
        quality: Quality,
    ) -> bool {
        let (cw, chh) = (w.div_ceil(2), h.div_ceil(2));
        self.y.resize(w * h, 0);
        self.u.resize(cw * chh, 0);
        self.v.resize(cw * chh, 0);
        self.rgba.resize(w * h * 4, 0);
        let (sw, sh) = (f.width(), f.height());
        let (scw, sch) = (sw.div_ceil(2), sh.div_ceil(2));
        let half = Crop {
            x: part.x / 2.0,
            y: part.y / 2.0,
            width: part.width / 2.0,
            height: part.height / 2.0,
        };
        let r = &mut self.resizer;
        let mut ok = resize(
            r,
            (sw, sh, f.y()),
            part,
            (w, h, &mut self.y),
            PixelType::U8,
            quality,
        );
        for (plane, out) in [(f.u(), &mut self.u), (f.v(), &mut self.v)] {
            ok &= resize(
                r,
                (scw, sch, plane),
                half,
                (cw, chh, out),
                PixelType::U8,
                quality,
            );
        }
        if !ok {
            return false;
        }
        let planar = YuvPlanarImage {
            y_plane: &self.y,
            y_stride: w as u32,
            u_plane: &self.u,
            u_stride: cw as u32,
            v_plane: &self.v,
            v_stride: cw as u32,
            width: w as u32,
            height: h as u32,
        };
        yuv420_to_rgba(
            &planar,
            &mut self.rgba,
            w as u32 * 4,
            if color.full_range {
                YuvRange::Full
            } else {
                YuvRange::Limited
            },
            if color.bt601 {
                YuvStandardMatrix::Bt601
            } else {
                YuvStandardMatrix::Bt709
            },
        )
        .is_ok()
    }
}

/// Resamples the `part` of `src` (`(width, height, pixels)`) into all of `dst`; `false` when
/// the resampler refuses (a crop too small to sample).
fn resize(
    resizer: &mut Resizer,
    src: (u32, u32, &[u8]),
    part: Crop,
    dst: (usize, usize, &mut [u8]),
    pixel: PixelType,
    quality: Quality,
) -> bool {
    let (Ok(from), Ok(mut to)) = (
        ImageRef::new(src.0, src.1, src.2, pixel),
        Image::from_slice_u8(dst.0 as u32, dst.1 as u32, dst.2, pixel),
    ) else {
        return false;
    };
    let opts = ResizeOptions::new()
        .resize_alg(super::filters::resize_alg(quality))
        .crop(part.x, part.y, part.width, part.height)
        .use_alpha(false);
    resizer.resize(&from, &mut to, &opts).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An I420 picture of one colour.
    fn solid(w: u32, h: u32, y: u8, u: u8, v: u8) -> YuvFrame {
        let mut f = YuvFrame::new(w, h);
        let (py, pu, pv) = f.planes_mut();
        py.fill(y);
        pu.fill(u);
        pv.fill(v);
        f
    }

    /// A picture with detail in every plane: diagonal gradients and a checker.
    fn busy(w: u32, h: u32) -> YuvFrame {
        let mut f = YuvFrame::new(w, h);
        let (cw, _) = (w.div_ceil(2) as usize, 0);
        let (py, pu, pv) = f.planes_mut();
        for (i, p) in py.iter_mut().enumerate() {
            let (x, y) = (i % w as usize, i / w as usize);
            *p = (16 + (x * 7 + y * 3) % 220 + ((x / 4 + y / 4) % 2) * 3) as u8;
        }
        for (i, (u, v)) in pu.iter_mut().zip(pv.iter_mut()).enumerate() {
            let (x, y) = (i % cw, i / cw);
            (*u, *v) = ((16 + (x * 5) % 224) as u8, (16 + (y * 9) % 224) as u8);
        }
        f
    }

    #[test]
    #[allow(unsafe_code)] // forcing the resampler's CPU extensions is unsafe
    fn every_simd_path_gives_the_same_bytes_as_the_scalar_one() {
        use fast_image_resize::CpuExtensions;
        let src = busy(199, 101);
        let mut rgba = Frame::new(64, 48);
        rgba.data_mut().iter_mut().enumerate().for_each(|(i, b)| {
            *b = if i % 4 == 3 {
                200
            } else {
                (i * 13 % 200) as u8
            }
        });
        let run = |ext: CpuExtensions, pic: Picture<'_>, quality: Quality| {
            let mut s = Scaler::new();
            // SAFETY: only extensions this CPU reports are set (checked below).
            unsafe { s.resizer.set_cpu_extensions(ext) };
            let mut canvas = Frame::new(96, 64);
            let dst = Placement {
                x: -7,
                y: 3,
                width: 83,
                height: 41,
            };
            let crop = Crop {
                x: 3.5,
                y: 1.25,
                width: 40.0,
                height: 30.0,
            };
            s.compose(&mut canvas, pic, Some(crop), dst, 0.8, quality);
            canvas
        };
        let mut exts = vec![];
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("sse4.1") {
                exts.push(CpuExtensions::Sse4_1);
            }
            if is_x86_feature_detected!("avx2") {
                exts.push(CpuExtensions::Avx2);
            }
        }
        for quality in [Quality::Low, Quality::Medium, Quality::High] {
            for pic in [Picture::I420(&src), Picture::Rgba(&rgba)] {
                let scalar = run(CpuExtensions::None, pic, quality);
                for &ext in &exts {
                    assert!(run(ext, pic, quality) == scalar, "{ext:?} {quality:?}");
                }
            }
        }
    }

    #[test]
    fn a_solid_picture_fills_exactly_its_visible_box() {
        // BT.709 limited: Y=63 U=102 V=240 is about rgb(255, 0, 0).
        let red = solid(64, 36, 63, 102, 240);
        let mut canvas = Frame::new(100, 50);
        let mut s = Scaler::new();
        let dst = Placement {
            x: -10,
            y: 20,
            width: 40,
            height: 40,
        };
        s.compose(
            &mut canvas,
            Picture::I420(&red),
            None,
            dst,
            1.0,
            Quality::High,
        );
        for (x, y, inside) in [
            (0, 20, true),
            (29, 49, true),
            (30, 20, false),
            (5, 19, false),
        ] {
            let p = canvas.pixel(x, y);
            if inside {
                assert!(
                    p[0] > 250 && p[1] < 5 && p[2] < 5 && p[3] == 255,
                    "{x},{y}: {p:?}"
                );
            } else {
                assert_eq!(p, [0, 0, 0, 0], "{x},{y}");
            }
        }
    }

    #[test]
    fn opacity_blends_and_rgba_keeps_its_alpha() {
        let mut half_white = Frame::new(8, 8);
        half_white.data_mut().fill(128); // premultiplied white at alpha 128
        let mut canvas = Frame::new(16, 16);
        canvas
            .data_mut()
            .chunks_exact_mut(4)
            .for_each(|p| p.copy_from_slice(&[0, 0, 255, 255]));
        let dst = Placement {
            x: 0,
            y: 0,
            width: 16,
            height: 16,
        };
        Scaler::new().compose(
            &mut canvas,
            Picture::Rgba(&half_white),
            None,
            dst,
            1.0,
            Quality::Medium,
        );
        let p = canvas.pixel(8, 8);
        assert!(
            (126..=130).contains(&p[0]) && (253..=255).contains(&p[2]),
            "{p:?}"
        );
        let before = canvas.clone();
        Scaler::new().compose(
            &mut canvas,
            Picture::Rgba(&half_white),
            None,
            dst,
            0.0,
            Quality::Low,
        );
        assert_eq!(canvas, before, "opacity 0 draws nothing");
    }

    #[test]
    fn crops_and_extreme_boxes_neither_panic_nor_draw_off_the_canvas() {
        let pic = solid(33, 17, 235, 128, 128);
        let mut s = Scaler::new();
        let crops = [
            None,
            Some(Crop {
                x: 5.5,
                y: 3.25,
                width: 10.0,
                height: 4.0,
            }),
            Some(Crop {
                x: -1e308,
                y: f64::NAN,
                width: 1e308,
                height: -0.0,
            }),
            Some(Crop {
                x: 40.0,
                y: 40.0,
                width: 10.0,
                height: 10.0,
            }),
            Some(Crop {
                x: 0.0,
                y: 0.0,
                width: 1e-308,
                height: 1e-308,
            }),
        ];
        let boxes = [
            (0, 0, 1, 1),
            (-1_000_000, -1_000_000, 1, 1),
            (i64::from(i32::MAX), 0, u32::MAX, u32::MAX),
            (-5, -5, 400_000, 3),
            (3, 3, 0, 9),
            (1, 1, 8 * 33, 8 * 17),
        ];
        for crop in crops {
            for (x, y, width, height) in boxes {
                let mut canvas = Frame::new(32, 24);
                let dst = Placement {
                    x,
                    y,
                    width,
                    height,
                };
                s.compose(
                    &mut canvas,
                    Picture::I420(&pic),
                    crop,
                    dst,
                    1.0,
                    Quality::High,
                );
                let on = canvas
                    .premultiplied()
                    .chunks_exact(4)
                    .filter(|p| p[3] != 0)
                    .count();
                let vis = visible(
                    dst,
                    Crop {
                        x: 0.0,
                        y: 0.0,
                        width: 1.0,
                        height: 1.0,
                    },
                    32,
                    24,
                )
                .map_or(0, |(a, _)| a[2] * a[3]);
                assert!(on <= vis, "{crop:?} {dst:?}: {on} > {vis}");
            }
        }
    }
}

#[cfg(test)]
mod scale_ratio_tests {
    use super::*;

    /// Boxes whose scale factor does not round-trip in floating point (1280×720 into 600×338:
    /// `720 / 338 * 338 > 720`) are drawn, not left empty (found drawing a 720p clip small).
    #[test]
    fn every_box_size_is_drawn() {
        let mut f = YuvFrame::new(1280, 720);
        f.planes_mut().0.fill(200);
        for (w, h) in [
            (600u32, 338u32),
            (601, 338),
            (640, 360),
            (600, 337),
            (333, 187),
            (1, 1),
        ] {
            for quality in [Quality::Low, Quality::High] {
                let mut canvas = Frame::new(w, h);
                Scaler::new().compose(
                    &mut canvas,
                    Picture::I420Color(&f, YuvColor::default()),
                    None,
                    Placement {
                        x: 0,
                        y: 0,
                        width: w,
                        height: h,
                    },
                    1.0,
                    quality,
                );
                for (x, y) in [(0, 0), (w - 1, h - 1), (w / 2, h / 2)] {
                    assert_eq!(canvas.pixel(x, y)[3], 255, "{w}x{h} {quality:?} at {x},{y}");
                }
            }
        }
    }
}
