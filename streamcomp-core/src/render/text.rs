//! Text layers: shaping and layout with cosmic-text, glyph outlines filled and stroked with
//! tiny-skia, outline, blurred shadow and background box.

use std::path::Path;

use super::raster::Raster;
use crate::assets::{AssetResolver, FontLibrary};
use crate::error::AssetError;
use crate::scene::TextProps;

/// Lays out and rasterises text (the template already expanded into `text`).
///
/// The box is `wrap_width` wide when given (lines wrap at it), else as wide as the widest line;
/// it is as tall as the lines (`line_height * font_size` each). Its top is the top of the first
/// line box, its left the start of the line.
pub(crate) fn rasterize_text(
    _fonts: &mut FontLibrary,
    _assets: &AssetResolver,
    _base_dir: Option<&Path>,
    _props: &TextProps,
    _text: &str,
    _wrap_width: Option<f32>,
) -> Result<Raster, AssetError> {
    Err(AssetError::Unsupported(
        "text rendering is not built yet".into(),
    ))
}
