//! Colours: CSS-style parsing (`#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`, `rgb()`, `rgba()`,
//! `transparent`, the CSS basic names) and printing back to a CSS string.

use std::fmt;
use std::str::FromStr;

/// An sRGB colour with straight (not premultiplied) 8-bit alpha.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Color {
    /// Red, 0–255.
    pub r: u8,
    /// Green, 0–255.
    pub g: u8,
    /// Blue, 0–255.
    pub b: u8,
    /// Alpha, 0 (transparent) – 255 (opaque).
    pub a: u8,
}

/// The CSS basic colour keywords (CSS Color Level 3, section 4.1).
const NAMED: &[(&str, [u8; 3])] = &[
    ("black", [0, 0, 0]),
    ("silver", [192, 192, 192]),
    ("gray", [128, 128, 128]),
    ("grey", [128, 128, 128]),
    ("white", [255, 255, 255]),
    ("maroon", [128, 0, 0]),
    ("red", [255, 0, 0]),
    ("purple", [128, 0, 128]),
    ("fuchsia", [255, 0, 255]),
    ("magenta", [255, 0, 255]),
    ("green", [0, 128, 0]),
    ("lime", [0, 255, 0]),
    ("olive", [128, 128, 0]),
    ("yellow", [255, 255, 0]),
    ("navy", [0, 0, 128]),
    ("blue", [0, 0, 255]),
    ("teal", [0, 128, 128]),
    ("aqua", [0, 255, 255]),
    ("cyan", [0, 255, 255]),
    ("orange", [255, 165, 0]),
];

impl Color {
    /// Opaque black, the default background.
    pub const BLACK: Color = Color::rgba(0, 0, 0, 255);
    /// Opaque white.
    pub const WHITE: Color = Color::rgba(255, 255, 255, 255);
    /// Fully transparent.
    pub const TRANSPARENT: Color = Color::rgba(0, 0, 0, 0);

    /// A colour from its four channels (straight alpha).
    pub const fn rgba(r: u8, g: u8, b: u8, a: u8) -> Color {
        Color { r, g, b, a }
    }

    /// The premultiplied RGBA bytes of this colour, rounded.
    pub fn premultiplied(self) -> [u8; 4] {
        let m = |c: u8| ((c as u32 * self.a as u32 + 127) / 255) as u8;
        [m(self.r), m(self.g), m(self.b), self.a]
    }

    /// This colour with its alpha multiplied by `factor` (0–1).
    pub fn with_alpha_factor(self, factor: f64) -> Color {
        let a = (self.a as f64 * factor.clamp(0.0, 1.0)).round() as u8;
        Color { a, ..self }
    }
}

/// Why a colour string was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ColorParseError(String);

fn hex_digit(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

fn parse_hex(s: &str) -> Option<Color> {
    let b = s.as_bytes();
    let d: Option<Vec<u8>> = b.iter().map(|&c| hex_digit(c)).collect();
    let d = d?;
    let (r, g, bl, a) = match d.len() {
        3 => (d[0] * 17, d[1] * 17, d[2] * 17, 255),
        4 => (d[0] * 17, d[1] * 17, d[2] * 17, d[3] * 17),
        6 => (d[0] << 4 | d[1], d[2] << 4 | d[3], d[4] << 4 | d[5], 255),
        8 => (
            d[0] << 4 | d[1],
            d[2] << 4 | d[3],
            d[4] << 4 | d[5],
            d[6] << 4 | d[7],
        ),
        _ => return None,
    };
    Some(Color::rgba(r, g, bl, a))
}

/// A percentage component `s` (its number `p` before the `%`) as 0–255; `what` starts the
/// range message (`"alpha "` for alpha, nothing for a colour channel).
fn parse_percent(s: &str, p: &str, what: &str) -> Result<u8, String> {
    let v: f64 = p
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a percentage"))?;
    if !(0.0..=100.0).contains(&v) {
        return Err(format!("{what}`{s}` must be between 0% and 100%"));
    }
    Ok((v * 2.55).round() as u8)
}

fn parse_channel(s: &str) -> Result<u8, String> {
    let s = s.trim();
    if let Some(p) = s.strip_suffix('%') {
        return parse_percent(s, p, "");
    }
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if !(0.0..=255.0).contains(&v) {
        return Err(format!("channel `{s}` must be between 0 and 255"));
    }
    Ok(v.round() as u8)
}

fn parse_alpha(s: &str) -> Result<u8, String> {
    let s = s.trim();
    if let Some(p) = s.strip_suffix('%') {
        return parse_percent(s, p, "alpha ");
    }
    let v: f64 = s
        .parse()
        .map_err(|_| format!("alpha `{s}` is not a number"))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!("alpha `{s}` must be between 0 and 1"));
    }
    Ok((v * 255.0).round() as u8)
}

impl FromStr for Color {
    type Err = ColorParseError;

    fn from_str(input: &str) -> Result<Color, ColorParseError> {
        let s = input.trim();
        let lower = s.to_ascii_lowercase();
        let bad = |why: String| ColorParseError(format!("invalid colour `{input}`: {why}"));
        if let Some(hex) = lower.strip_prefix('#') {
            return parse_hex(hex).ok_or_else(|| {
                bad("expected #rgb, #rgba, #rrggbb or #rrggbbaa with hex digits".into())
            });
        }
        if lower == "transparent" {
            return Ok(Color::TRANSPARENT);
        }
        for (func, n) in [("rgba(", 4usize), ("rgb(", 3)] {
            if let Some(rest) = lower.strip_prefix(func) {
                let inner = rest
                    .strip_suffix(')')
                    .ok_or_else(|| bad("missing closing `)`".into()))?;
                let parts: Vec<&str> = inner.split(',').collect();
                // rgb() with four values is accepted as CSS Color 4 does.
                if parts.len() != n && !(n == 3 && parts.len() == 4) {
                    return Err(bad(format!("expected {n} comma-separated values")));
                }
                let r = parse_channel(parts[0]).map_err(bad)?;
                let g = parse_channel(parts[1]).map_err(bad)?;
                let b = parse_channel(parts[2]).map_err(bad)?;
                let a = match parts.get(3) {
                    Some(a) => parse_alpha(a).map_err(bad)?,
                    None => 255,
                };
                return Ok(Color::rgba(r, g, b, a));
            }
        }
        if let Some((_, [r, g, b])) = NAMED.iter().find(|(name, _)| *name == lower) {
            return Ok(Color::rgba(*r, *g, *b, 255));
        }
        Err(bad(
            "expected #rrggbb, #rrggbbaa, rgb(r,g,b), rgba(r,g,b,a), transparent or a CSS colour name"
                .into(),
        ))
    }
}

impl fmt::Display for Color {
    /// Prints `#rrggbb`, or `#rrggbbaa` when not opaque.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.a == 255 {
            write!(f, "#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
        } else {
            write!(
                f,
                "#{:02x}{:02x}{:02x}{:02x}",
                self.r, self.g, self.b, self.a
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        let c = |s: &str| s.parse::<Color>().unwrap();
        assert_eq!(c("#fff"), Color::WHITE);
        assert_eq!(c("#0008"), Color::rgba(0, 0, 0, 0x88));
        assert_eq!(c("#101820"), Color::rgba(0x10, 0x18, 0x20, 255));
        assert_eq!(c("#000000b0"), Color::rgba(0, 0, 0, 0xb0));
        assert_eq!(c("rgb(255, 0, 10)"), Color::rgba(255, 0, 10, 255));
        assert_eq!(c("rgba(0,0,255,0.5)"), Color::rgba(0, 0, 255, 128));
        assert_eq!(c("transparent"), Color::TRANSPARENT);
        assert_eq!(c("Red"), Color::rgba(255, 0, 0, 255));
        assert_eq!(c("#ABCDEF").to_string(), "#abcdef");
        assert_eq!(c("#00000080").to_string(), "#00000080");
    }

    #[test]
    fn refuses_bad_colours_with_reason() {
        for bad in [
            "#12",
            "#ggg",
            "rgb(1,2)",
            "rgba(1,2,3,4)",
            "rgb(300,0,0)",
            "blurple",
            "",
        ] {
            let e = bad.parse::<Color>().unwrap_err().to_string();
            assert!(e.contains("invalid colour"), "{bad}: {e}");
        }
    }

    #[test]
    fn premultiplies_with_rounding() {
        assert_eq!(
            Color::rgba(255, 128, 0, 128).premultiplied(),
            [128, 64, 0, 128]
        );
        assert_eq!(Color::rgba(9, 9, 9, 0).premultiplied(), [0, 0, 0, 0]);
    }
}
