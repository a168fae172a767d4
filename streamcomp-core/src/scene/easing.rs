//! Easing functions: `linear` and CSS's timing functions with CSS's exact cubic-bezier curves.

use std::fmt;
use std::str::FromStr;

/// A timing function mapping progress 0–1 to eased progress.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Easing {
    /// Constant speed.
    Linear,
    /// A CSS `cubic-bezier(x1, y1, x2, y2)` curve; `ease`, `ease-in`, `ease-out` and
    /// `ease-in-out` are the standard ones.
    CubicBezier(f64, f64, f64, f64),
}

impl Default for Easing {
    /// `linear`.
    fn default() -> Easing {
        Easing::Linear
    }
}

const EASE: (f64, f64, f64, f64) = (0.25, 0.1, 0.25, 1.0);
const EASE_IN: (f64, f64, f64, f64) = (0.42, 0.0, 1.0, 1.0);
const EASE_OUT: (f64, f64, f64, f64) = (0.0, 0.0, 0.58, 1.0);
const EASE_IN_OUT: (f64, f64, f64, f64) = (0.42, 0.0, 0.58, 1.0);

impl Easing {
    /// Eased progress for linear progress `p` (clamped to 0–1).
    pub fn apply(self, p: f64) -> f64 {
        let p = p.clamp(0.0, 1.0);
        match self {
            Easing::Linear => p,
            Easing::CubicBezier(x1, y1, x2, y2) => {
                if p == 0.0 || p == 1.0 {
                    return p;
                }
                let t = solve_curve_x(x1, x2, p);
                sample(y1, y2, t)
            }
        }
    }
}

/// The largest overshoot of a `cubic-bezier` curve's `y1`/`y2` (CSS leaves them unbounded; a
/// curve beyond this is no easing anyone means, and it would carry values out of their ranges).
const MAX_Y: f64 = 10.0;

/// One coordinate of the cubic Bézier with end points 0 and 1 and control values `a`, `b`.
fn sample(a: f64, b: f64, t: f64) -> f64 {
    // B(t) = 3(1-t)^2 t a + 3(1-t) t^2 b + t^3, in Horner form.
    let c = 3.0 * a;
    let bb = 3.0 * (b - a) - c;
    let aa = 1.0 - c - bb;
    ((aa * t + bb) * t + c) * t
}

fn sample_derivative(a: f64, b: f64, t: f64) -> f64 {
    let c = 3.0 * a;
    let bb = 3.0 * (b - a) - c;
    let aa = 1.0 - c - bb;
    (3.0 * aa * t + 2.0 * bb) * t + c
}

/// Finds the curve parameter whose x is `x`: Newton's method, then bisection (as browsers do).
fn solve_curve_x(x1: f64, x2: f64, x: f64) -> f64 {
    const EPS: f64 = 1e-9;
    let mut t = x;
    for _ in 0..8 {
        let err = sample(x1, x2, t) - x;
        if err.abs() < EPS {
            return t;
        }
        let d = sample_derivative(x1, x2, t);
        if d.abs() < 1e-6 {
            break;
        }
        t -= err / d;
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    t = x;
    for _ in 0..64 {
        let v = sample(x1, x2, t);
        if (v - x).abs() < EPS {
            break;
        }
        if x > v {
            lo = t;
        } else {
            hi = t;
        }
        t = (lo + hi) / 2.0;
    }
    t
}

/// Why an easing name was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EasingParseError(String);

impl FromStr for Easing {
    type Err = EasingParseError;

    fn from_str(s: &str) -> Result<Easing, EasingParseError> {
        let bez = |(a, b, c, d): (f64, f64, f64, f64)| Easing::CubicBezier(a, b, c, d);
        match s.trim() {
            "linear" => return Ok(Easing::Linear),
            "ease" => return Ok(bez(EASE)),
            "ease-in" => return Ok(bez(EASE_IN)),
            "ease-out" => return Ok(bez(EASE_OUT)),
            "ease-in-out" => return Ok(bez(EASE_IN_OUT)),
            _ => {}
        }
        let inner = s
            .trim()
            .strip_prefix("cubic-bezier(")
            .and_then(|r| r.strip_suffix(')'))
            .ok_or_else(|| {
                EasingParseError(format!(
                    "unknown easing `{s}`; expected linear, ease, ease-in, ease-out, ease-in-out or cubic-bezier(x1,y1,x2,y2)"
                ))
            })?;
        let nums: Result<Vec<f64>, _> = inner.split(',').map(|p| p.trim().parse::<f64>()).collect();
        let nums = nums
            .ok()
            .filter(|n| n.len() == 4 && n.iter().all(|v| v.is_finite()))
            .ok_or_else(|| EasingParseError(format!("`{s}` needs four numbers")))?;
        if !(0.0..=1.0).contains(&nums[0]) || !(0.0..=1.0).contains(&nums[2]) {
            return Err(EasingParseError(format!(
                "`{s}`: x1 and x2 must be between 0 and 1"
            )));
        }
        if !(-MAX_Y..=MAX_Y).contains(&nums[1]) || !(-MAX_Y..=MAX_Y).contains(&nums[3]) {
            return Err(EasingParseError(format!(
                "`{s}`: y1 and y2 must be between -{MAX_Y} and {MAX_Y}"
            )));
        }
        Ok(Easing::CubicBezier(nums[0], nums[1], nums[2], nums[3]))
    }
}

impl fmt::Display for Easing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Easing::Linear => f.write_str("linear"),
            Easing::CubicBezier(a, b, c, d) => match (a, b, c, d) {
                EASE => f.write_str("ease"),
                EASE_IN => f.write_str("ease-in"),
                EASE_OUT => f.write_str("ease-out"),
                EASE_IN_OUT => f.write_str("ease-in-out"),
                _ => write!(f, "cubic-bezier({a},{b},{c},{d})"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_css_reference_values() {
        // Reference values of CSS `ease` computed independently (y at x = 0.25, 0.5, 0.75).
        let ease: Easing = "ease".parse().unwrap();
        assert!((ease.apply(0.5) - 0.802403387584857).abs() < 1e-7);
        assert!((ease.apply(0.25) - 0.408510591355396).abs() < 1e-7);
        let io: Easing = "ease-in-out".parse().unwrap();
        assert!((io.apply(0.5) - 0.5).abs() < 1e-9);
        let ein: Easing = "ease-in".parse().unwrap();
        let eout: Easing = "ease-out".parse().unwrap();
        // ease-out is ease-in mirrored.
        for i in 0..=20 {
            let p = i as f64 / 20.0;
            assert!((ein.apply(p) - (1.0 - eout.apply(1.0 - p))).abs() < 1e-6);
        }
        assert_eq!(Easing::Linear.apply(0.3), 0.3);
    }

    #[test]
    fn parses_and_prints() {
        let e: Easing = "cubic-bezier(0.1, 0.7, 1.0, 0.1)".parse().unwrap();
        assert_eq!(e, Easing::CubicBezier(0.1, 0.7, 1.0, 0.1));
        assert_eq!(
            "ease-out".parse::<Easing>().unwrap().to_string(),
            "ease-out"
        );
        assert!("cubic-bezier(2,0,0,1)".parse::<Easing>().is_err());
        assert!("bouncy".parse::<Easing>().is_err());
    }
}
