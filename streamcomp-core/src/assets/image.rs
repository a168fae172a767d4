//! Image decoding under limits: PNG, JPEG, GIF and WebP; animated GIF, APNG and WebP as frames.
//!
//! Sizes are checked from the header before any pixel is decoded, the decoder gets the same
//! caps (so a lying header still cannot allocate more), and animations are decoded frame by
//! frame, stopping as soon as the frame count or the total bytes pass their limits.

use std::io::Cursor;

use image::codecs::gif::GifDecoder;
use image::codecs::png::PngDecoder;
use image::codecs::webp::WebPDecoder;
use image::{AnimationDecoder, ImageDecoder, ImageFormat, ImageReader};

use crate::error::AssetError;
use crate::limits::Limits;

/// One frame of a decoded image, premultiplied RGBA8.
#[derive(Clone, Debug)]
pub struct ImageFrame {
    /// Premultiplied RGBA8 pixels, `width * height * 4` bytes.
    pub pixels: Vec<u8>,
    /// Seconds this frame shows (0 for a still image).
    pub delay: f64,
}

/// A decoded still or animated image.
#[derive(Clone, Debug)]
pub struct DecodedImage {
    /// Width, px.
    pub width: u32,
    /// Height, px.
    pub height: u32,
    /// At least one frame.
    pub frames: Vec<ImageFrame>,
    /// Sum of the frame delays, seconds (0 for a still image).
    pub duration: f64,
}

/// Premultiplies straight RGBA8 in place, rounding.
pub(crate) fn premultiply(px: &mut [u8]) {
    for p in px.chunks_exact_mut(4) {
        let a = p[3] as u32;
        if a != 255 {
            for c in &mut p[..3] {
                *c = ((*c as u32 * a + 127) / 255) as u8;
            }
        }
    }
}

/// Browsers show GIF frames with a delay under 20 ms for 100 ms; so do we.
fn frame_delay(numer: u32, denom: u32) -> f64 {
    let ms = if denom == 0 {
        0.0
    } else {
        numer as f64 / denom as f64
    };
    if ms < 20.0 { 0.1 } else { ms / 1000.0 }
}

impl DecodedImage {
    /// Decodes `bytes` (PNG, JPEG, GIF or WebP, still or animated); `src` names the source in
    /// errors.
    pub fn decode(bytes: &[u8], src: &str, limits: &Limits) -> Result<DecodedImage, AssetError> {
        let bad = |message: String| AssetError::Decode {
            src: src.to_string(),
            message,
        };
        let reader = ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| bad(e.to_string()))?;
        let format = reader
            .format()
            .ok_or_else(|| bad("not a PNG, JPEG, GIF or WebP image".into()))?;
        let mut caps = image::Limits::default();
        caps.max_image_width = Some(limits.max_image_width);
        caps.max_image_height = Some(limits.max_image_height);
        caps.max_alloc = Some(
            limits
                .max_image_pixels
                .saturating_mul(4)
                .saturating_add(1 << 20),
        );
        let err = |e: image::ImageError| match e {
            image::ImageError::Limits(l) => AssetError::TooLarge {
                what: format!("image {src}"),
                detail: l.to_string(),
            },
            other => bad(other.to_string()),
        };
        match format {
            ImageFormat::Png => {
                let mut dec = PngDecoder::new(Cursor::new(bytes)).map_err(err)?;
                check_size(dec.dimensions(), src, limits)?;
                dec.set_limits(caps).map_err(err)?;
                if dec.is_apng().map_err(err)? {
                    let dims = dec.dimensions();
                    let frames = dec.apng().map_err(err)?.into_frames();
                    Self::animation(dims, frames, src, limits)
                } else {
                    Self::still(dec, src)
                }
            }
            ImageFormat::Gif => {
                let mut dec = GifDecoder::new(Cursor::new(bytes)).map_err(err)?;
                check_size(dec.dimensions(), src, limits)?;
                dec.set_limits(caps).map_err(err)?;
                let dims = dec.dimensions();
                Self::animation(dims, dec.into_frames(), src, limits)
            }
            ImageFormat::WebP => {
                let mut dec = WebPDecoder::new(Cursor::new(bytes)).map_err(err)?;
                check_size(dec.dimensions(), src, limits)?;
                dec.set_limits(caps).map_err(err)?;
                if dec.has_animation() {
                    let dims = dec.dimensions();
                    Self::animation(dims, dec.into_frames(), src, limits)
                } else {
                    Self::still(dec, src)
                }
            }
            ImageFormat::Jpeg => {
                let mut dec = reader.into_decoder().map_err(err)?;
                check_size(dec.dimensions(), src, limits)?;
                dec.set_limits(caps).map_err(err)?;
                Self::still(dec, src)
            }
            other => Err(AssetError::Unsupported(format!(
                "{src}: {other:?} images are not supported; use PNG, JPEG, GIF or WebP"
            ))),
        }
    }

    fn still(dec: impl ImageDecoder, src: &str) -> Result<DecodedImage, AssetError> {
        let img = image::DynamicImage::from_decoder(dec).map_err(|e| AssetError::Decode {
            src: src.to_string(),
            message: e.to_string(),
        })?;
        let mut rgba = img.into_rgba8();
        let (width, height) = rgba.dimensions();
        premultiply(&mut rgba);
        Ok(DecodedImage {
            width,
            height,
            frames: vec![ImageFrame {
                pixels: rgba.into_raw(),
                delay: 0.0,
            }],
            duration: 0.0,
        })
    }

    fn animation(
        (width, height): (u32, u32),
        frames: image::Frames<'_>,
        src: &str,
        limits: &Limits,
    ) -> Result<DecodedImage, AssetError> {
        let frame_bytes = width as u64 * height as u64 * 4;
        let mut out: Vec<ImageFrame> = Vec::new();
        let mut total = 0.0;
        for frame in frames {
            let frame = frame.map_err(|e| AssetError::Decode {
                src: src.to_string(),
                message: e.to_string(),
            })?;
            if out.len() as u32 >= limits.max_anim_frames {
                return Err(AssetError::TooLarge {
                    what: format!("animation {src}"),
                    detail: format!("more than {} frames", limits.max_anim_frames),
                });
            }
            if (out.len() as u64 + 1) * frame_bytes > limits.max_anim_bytes {
                return Err(AssetError::TooLarge {
                    what: format!("animation {src}"),
                    detail: format!(
                        "{} frames of {width}x{height} exceed {} bytes decoded",
                        out.len() + 1,
                        limits.max_anim_bytes
                    ),
                });
            }
            let (numer, denom) = frame.delay().numer_denom_ms();
            let delay = frame_delay(numer, denom);
            let (left, top) = (frame.left(), frame.top());
            let buf = frame.into_buffer();
            let mut pixels = if buf.dimensions() == (width, height) && left == 0 && top == 0 {
                buf.into_raw()
            } else {
                // A frame smaller than the canvas: place it (decoders usually compose for us).
                let mut canvas = vec![0u8; frame_bytes as usize];
                let (fw, fh) = buf.dimensions();
                for y in 0..fh.min(height.saturating_sub(top)) {
                    let w = fw.min(width.saturating_sub(left)) as usize * 4;
                    let s = (y * fw) as usize * 4;
                    let d = (((y + top) * width) + left) as usize * 4;
                    canvas[d..d + w].copy_from_slice(&buf.as_raw()[s..s + w]);
                }
                canvas
            };
            premultiply(&mut pixels);
            total += delay;
            out.push(ImageFrame { pixels, delay });
        }
        if out.is_empty() {
            return Err(AssetError::Decode {
                src: src.to_string(),
                message: "the animation has no frames".into(),
            });
        }
        if out.len() == 1 {
            out[0].delay = 0.0;
            total = 0.0;
        }
        Ok(DecodedImage {
            width,
            height,
            frames: out,
            duration: total,
        })
    }

    /// The frame showing `t` seconds into the animation, looping; 0 for a still image.
    pub fn frame_at(&self, t: f64) -> usize {
        if self.frames.len() < 2 || self.duration <= 0.0 || !t.is_finite() || t <= 0.0 {
            return 0;
        }
        let mut rest = t % self.duration;
        for (i, f) in self.frames.iter().enumerate() {
            if rest < f.delay {
                return i;
            }
            rest -= f.delay;
        }
        self.frames.len() - 1
    }
}

/// Refuses images over the size limits, from their header alone.
fn check_size((w, h): (u32, u32), src: &str, limits: &Limits) -> Result<(), AssetError> {
    if w > limits.max_image_width
        || h > limits.max_image_height
        || w as u64 * h as u64 > limits.max_image_pixels
    {
        return Err(AssetError::TooLarge {
            what: format!("image {src}"),
            detail: format!(
                "{w}x{h} px; the limits are {}x{} px and {} pixels",
                limits.max_image_width, limits.max_image_height, limits.max_image_pixels
            ),
        });
    }
    if w == 0 || h == 0 {
        return Err(AssetError::Decode {
            src: src.to_string(),
            message: format!("empty image ({w}x{h})"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32, rgba: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgba);
        enc.write_header().unwrap().write_image_data(rgba).unwrap();
        out
    }

    fn apng(frames: &[[u8; 4]], delay_ms: u16) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, 2, 2);
        enc.set_color(png::ColorType::Rgba);
        enc.set_animated(frames.len() as u32, 0).unwrap();
        enc.set_frame_delay(delay_ms, 1000).unwrap();
        let mut w = enc.write_header().unwrap();
        for f in frames {
            w.write_image_data(&f.repeat(4)).unwrap();
        }
        w.finish().unwrap();
        out
    }

    #[test]
    fn decodes_and_premultiplies_a_png() {
        let img =
            DecodedImage::decode(&png(1, 1, &[255, 128, 0, 128]), "t.png", &Limits::default())
                .unwrap();
        assert_eq!((img.width, img.height, img.frames.len()), (1, 1, 1));
        assert_eq!(img.frames[0].pixels, [128, 64, 0, 128]);
        assert_eq!(img.frame_at(5.0), 0);
    }

    #[test]
    fn decodes_apng_frames_with_delays_and_loops() {
        let bytes = apng(&[[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255]], 100);
        let img = DecodedImage::decode(&bytes, "a.png", &Limits::default()).unwrap();
        assert_eq!(img.frames.len(), 3);
        assert!((img.duration - 0.3).abs() < 1e-9);
        assert_eq!(&img.frames[1].pixels[..4], &[0, 255, 0, 255]);
        assert_eq!(
            (
                img.frame_at(0.05),
                img.frame_at(0.15),
                img.frame_at(0.25),
                img.frame_at(0.35)
            ),
            (0, 1, 2, 0)
        );
        let few = Limits {
            max_anim_frames: 2,
            ..Limits::default()
        };
        let e = DecodedImage::decode(&bytes, "a.png", &few).unwrap_err();
        assert!(matches!(e, AssetError::TooLarge { .. }), "{e}");
    }

    #[test]
    fn decodes_gif_frames() {
        let mut bytes = Vec::new();
        {
            let mut enc = image::codecs::gif::GifEncoder::new(&mut bytes);
            for c in [[255u8, 0, 0, 255], [0, 0, 255, 255]] {
                let buf = image::RgbaImage::from_raw(2, 2, c.repeat(4)).unwrap();
                let frame =
                    image::Frame::from_parts(buf, 0, 0, image::Delay::from_numer_denom_ms(200, 1));
                enc.encode_frame(frame).unwrap();
            }
        }
        let img = DecodedImage::decode(&bytes, "a.gif", &Limits::default()).unwrap();
        assert_eq!(img.frames.len(), 2);
        assert!((img.frames[0].delay - 0.2).abs() < 1e-9);
        assert_eq!(&img.frames[1].pixels[..4], &[0, 0, 255, 255]);
    }

    #[test]
    fn refuses_garbage_and_oversized_images() {
        let e =
            DecodedImage::decode(b"definitely not an image", "x", &Limits::default()).unwrap_err();
        assert!(matches!(e, AssetError::Decode { .. }), "{e}");
        let small = Limits {
            max_image_width: 1,
            ..Limits::default()
        };
        let e = DecodedImage::decode(&png(2, 1, &[0; 8]), "w.png", &small).unwrap_err();
        assert!(e.to_string().contains("2x1 px"), "{e}");
        let truncated = &png(4, 4, &[9; 64])[..40];
        assert!(DecodedImage::decode(truncated, "t.png", &Limits::default()).is_err());
    }
}
