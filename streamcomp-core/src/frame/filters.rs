//! The resampling filter of each quality level for resizing (images into their boxes, video
//! frames into theirs), in one place. Lanczos-3 is read from a table instead of computing two
//! sines per coefficient: the resizer builds its coefficients on every call, and for a video
//! frame scaled each frame the sines were a sixth of the work.

use std::sync::LazyLock;

use fast_image_resize::{Filter, FilterType, ResizeAlg};

use crate::render::Quality;

/// Table steps per unit of distance.
const STEPS: usize = 1024;

/// Lanczos-3 at `i / STEPS` for `i` in `0..=3 * STEPS` (one extra entry for interpolation).
static LANCZOS3: LazyLock<Vec<f64>> = LazyLock::new(|| {
    (0..=3 * STEPS + 1)
        .map(|i| {
            let x = i as f64 / STEPS as f64;
            if x == 0.0 {
                1.0
            } else if x >= 3.0 {
                0.0
            } else {
                let (a, b) = (std::f64::consts::PI * x, std::f64::consts::PI * x / 3.0);
                (a.sin() / a) * (b.sin() / b)
            }
        })
        .collect()
});

/// Lanczos-3 (a windowed sinc of three lobes), linearly interpolated in the table: within
/// 2·10⁻⁶ of the exact function.
fn lanczos3(x: f64) -> f64 {
    let x = x.abs();
    if x.is_nan() || x >= 3.0 {
        return 0.0;
    }
    let p = x * STEPS as f64;
    let i = p as usize;
    let f = p - i as f64;
    let t = &*LANCZOS3;
    t[i] + (t[i + 1] - t[i]) * f
}

/// The resizing filter of a quality level: bilinear, Catmull-Rom or Lanczos-3.
pub(crate) fn resize_alg(quality: Quality) -> ResizeAlg {
    ResizeAlg::Convolution(match quality {
        Quality::Low => FilterType::Bilinear,
        Quality::Medium => FilterType::CatmullRom,
        Quality::High => FilterType::Custom(
            Filter::new("Lanczos3 (tabulated)", lanczos3, 3.0).expect("a finite, positive support"),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_follows_lanczos_3() {
        let exact = |x: f64| {
            if x == 0.0 {
                1.0
            } else if x.abs() >= 3.0 {
                0.0
            } else {
                let (a, b) = (std::f64::consts::PI * x, std::f64::consts::PI * x / 3.0);
                (a.sin() / a) * (b.sin() / b)
            }
        };
        for i in -40_000..=40_000 {
            let x = i as f64 / 10_000.0 + 1e-5;
            assert!((lanczos3(x) - exact(x)).abs() < 2e-6, "{x}");
        }
        for x in [f64::NAN, f64::INFINITY, -1e308, 3.0, -3.0, 1e308] {
            assert_eq!(lanczos3(x), 0.0, "{x}");
        }
        assert_eq!(lanczos3(0.0), 1.0);
        assert_eq!(lanczos3(-0.0), 1.0);
    }
}
