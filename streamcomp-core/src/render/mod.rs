//! The compositor: rasterises layers into cached premultiplied pixmaps and composes them.

mod image;
mod raster;
mod text;

use std::str::FromStr;

/// Resampling quality for scaled and rotated images (`RENDER_QUALITY`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Quality {
    /// Bilinear.
    Low,
    /// Catmull-Rom (bicubic) for resizing, bicubic for transforms.
    Medium,
    /// Lanczos-3 for resizing, bicubic for transforms. The default.
    #[default]
    High,
}

impl FromStr for Quality {
    type Err = String;
    fn from_str(s: &str) -> Result<Quality, String> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Quality::Low),
            "medium" => Ok(Quality::Medium),
            "high" => Ok(Quality::High),
            _ => Err(format!("unknown quality `{s}`; expected low, medium or high")),
        }
    }
}
