//! Image layers: one frame of a decoded image scaled into the layer's box per `fit`.

use super::Quality;
use super::raster::Raster;
use crate::assets::DecodedImage;
use crate::error::AssetError;
use crate::scene::Fit;

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

/// Scales frame `frame` of `img` into a raster of the layer's box.
pub(crate) fn rasterize_image(
    _img: &DecodedImage,
    _frame: usize,
    _width: Option<f64>,
    _height: Option<f64>,
    _fit: Fit,
    _quality: Quality,
) -> Result<Raster, AssetError> {
    Err(AssetError::Unsupported(
        "image layers are not built yet".into(),
    ))
}
