//! Image decoding under limits: PNG, JPEG, GIF, WebP; animated GIF, APNG and WebP as frames.

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
}

impl DecodedImage {
    /// Decodes `bytes`; `src` names the source in errors.
    pub fn decode(_bytes: &[u8], src: &str, _limits: &Limits) -> Result<DecodedImage, AssetError> {
        Err(AssetError::Unsupported(format!(
            "{src}: image decoding is not built yet"
        )))
    }

    /// The frame showing `t` seconds into the animation (looping); 0 for a still image.
    pub fn frame_at(&self, _t: f64) -> usize {
        0
    }
}
