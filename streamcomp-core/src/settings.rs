//! The settings of renders and streams, with their ranges, in one table.
//!
//! Every front end reads its numbers through these entries: the option readers of the core
//! (`RenderOptions::from_value`, `LiveOptions::from_value`, used by the Python and Node
//! bindings), the command line's value parsers, the server's environment reader and request
//! checks, the encoders' own checks and the JSON Schema. So one value is accepted or refused with
//! the same message everywhere (`must be a whole number between 50 and 100000, got 200000`).
//!
//! The scene format's own fields (layers, animations) have their table in the scene module;
//! the two share [`FPS`] and the transition and fade ranges.

use std::fmt::Display;

use serde_json::{Value, json};

/// One numeric setting: its names in each front end, its range, unit and default.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Setting {
    /// The key in option objects (`bitrate`), as the bindings and the server's JSON take it.
    pub key: &'static str,
    /// The command line flag (`--bitrate`), empty when the command line has none.
    pub flag: &'static str,
    /// The server's environment variable (`STREAM_BITRATE`), empty when it has none.
    pub env: &'static str,
    /// The smallest value accepted (besides 0 when [`Setting::zero`]).
    pub min: f64,
    /// The largest value accepted.
    pub max: f64,
    /// Whole numbers only.
    pub whole: bool,
    /// 0 is accepted besides `min..=max` (a fade of 0: at once).
    pub zero: bool,
    /// The unit, for documentation (`kbit/s`, `s`).
    pub unit: &'static str,
    /// The default, when there is one.
    pub default: Option<f64>,
    /// What the setting does.
    pub doc: &'static str,
}

const fn setting(
    key: &'static str,
    flag: &'static str,
    env: &'static str,
    (min, max): (f64, f64),
    unit: &'static str,
    default: Option<f64>,
    doc: &'static str,
) -> Setting {
    Setting {
        key,
        flag,
        env,
        min,
        max,
        whole: false,
        zero: false,
        unit,
        default,
        doc,
    }
}

const fn whole(s: Setting) -> Setting {
    Setting { whole: true, ..s }
}

const fn or_zero(s: Setting) -> Setting {
    Setting { zero: true, ..s }
}

/// The smallest frame width and height, px.
pub const MIN_SIDE: u32 = 16;
/// The largest frame width (8K), px.
pub const MAX_WIDTH: u32 = 7680;
/// The largest frame height (8K), px.
pub const MAX_HEIGHT: u32 = 4320;

/// Reads a frame size written `WIDTHxHEIGHT` (`1280x720`): both even (4:2:0 video needs it),
/// from [`MIN_SIDE`] to [`MAX_WIDTH`]x[`MAX_HEIGHT`]; the error says what is expected.
///
/// ```
/// use streamcomp_core::settings::parse_frame_size;
/// assert_eq!(parse_frame_size("1280x720"), Ok((1280, 720)));
/// assert!(parse_frame_size("63x64").unwrap_err().contains("even"));
/// assert!(parse_frame_size("big").unwrap_err().contains("WIDTHxHEIGHT"));
/// ```
pub fn parse_frame_size(s: &str) -> Result<(u32, u32), String> {
    let expected = || {
        format!(
            "must be WIDTHxHEIGHT, even, {MIN_SIDE}x{MIN_SIDE} to {MAX_WIDTH}x{MAX_HEIGHT}, got `{s}`"
        )
    };
    let (w, h) = s.trim().split_once(['x', 'X']).ok_or_else(expected)?;
    let (w, h) = (
        w.trim().parse().map_err(|_| expected())?,
        h.trim().parse().map_err(|_| expected())?,
    );
    let even = w % 2 == 0 && h % 2 == 0;
    let fits = (MIN_SIDE..=MAX_WIDTH).contains(&w) && (MIN_SIDE..=MAX_HEIGHT).contains(&h);
    if even && fits {
        Ok((w, h))
    } else {
        Err(expected())
    }
}

/// Video bitrate, kbit/s.
pub const BITRATE: Setting = whole(setting(
    "bitrate",
    "--bitrate",
    "STREAM_BITRATE",
    (50.0, 100_000.0),
    "kbit/s",
    Some(4000.0),
    "Video bitrate.",
));

/// Audio bitrate, kbit/s.
pub const AUDIO_BITRATE: Setting = whole(setting(
    "audio_bitrate",
    "--audio-bitrate",
    "AUDIO_BITRATE",
    (16.0, 512.0),
    "kbit/s",
    Some(128.0),
    "Audio bitrate.",
));

/// Frames per second (of scenes, renders, streams and encoders).
pub const FPS: Setting = setting(
    "fps",
    "--fps",
    "TARGET_FPS",
    (1.0, 120.0),
    "frames/s",
    Some(30.0),
    "Frames per second.",
);

/// Seconds between key frames.
pub const KEYFRAME_INTERVAL: Setting = setting(
    "keyframe_interval",
    "",
    "",
    (0.1, 60.0),
    "s",
    Some(2.0),
    "Seconds between key frames.",
);

/// Threads for composing and encoding; 0 uses every core.
pub const THREADS: Setting = whole(setting(
    "threads",
    "--threads",
    "",
    (0.0, 256.0),
    "",
    Some(0.0),
    "Threads for composing and encoding (0: every core).",
));

/// Seconds of video a file render writes.
pub const RENDER_DURATION: Setting = setting(
    "duration",
    "--duration",
    "",
    (0.001, 86_400.0),
    "s",
    None,
    "Seconds of video to render.",
);

/// Seconds a live stream runs before it stops by itself.
pub const LIVE_DURATION: Setting = or_zero(setting(
    "duration",
    "--duration",
    "",
    (0.001, 31_536_000.0),
    "s",
    None,
    "Seconds a stream runs (absent or 0: until stopped).",
));

/// Seconds a removed layer takes to fade out (0: at once).
pub const FADE: Setting = or_zero(setting(
    "fade",
    "",
    "",
    (0.001, 3600.0),
    "s",
    Some(0.0),
    "Seconds a removed layer fades out (0: at once).",
));

/// Seconds a live change takes to move to its new values (0: at once).
pub const TRANSITION: Setting = or_zero(setting(
    "duration",
    "",
    "",
    (0.001, 3600.0),
    "s",
    None,
    "Seconds the change takes (0: at once).",
));

/// The most layers a scene may hold (the server's `MAX_LAYERS`).
pub const MAX_LAYERS: Setting = whole(setting(
    "max_layers",
    "",
    "MAX_LAYERS",
    (1.0, 10_000.0),
    "",
    Some(50.0),
    "The most layers the scene may hold.",
));

/// Every setting, for documentation and the schema.
pub const SETTINGS: &[Setting] = &[
    BITRATE,
    AUDIO_BITRATE,
    FPS,
    KEYFRAME_INTERVAL,
    THREADS,
    RENDER_DURATION,
    LIVE_DURATION,
    FADE,
    TRANSITION,
    MAX_LAYERS,
];

/// Formats a bound as people write it (`100000`, `0.001`).
pub(crate) fn fmt_bound(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Formats a number a user gave for a message: as written when plain, in exponent form when
/// tiny or huge (`1e-308`, not three hundred zeros).
pub(crate) fn fmt_value(v: f64) -> String {
    if v != 0.0 && v.is_finite() && (v.abs() < 1e-5 || v.abs() >= 1e15) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// The message for a value outside `min..=max` (or 0 when `zero`), naming the bound broken:
/// a value between 0 and `min` of a range that also takes 0 is `must be 0 or at least 0.001`;
/// other values name the whole range, `must be between 0 and 3600`.
pub(crate) fn range_message(
    min: f64,
    max: f64,
    whole: bool,
    zero: bool,
    v: Option<f64>,
    got: &str,
) -> String {
    let (lo, hi) = (fmt_bound(min), fmt_bound(max));
    let low = if zero { "0".to_string() } else { lo.clone() };
    match v {
        _ if whole => format!("must be a whole number between {lo} and {hi}, got {got}"),
        Some(v) if zero && v > 0.0 && v < min => format!("must be 0 or at least {lo}, got {got}"),
        _ => format!("must be between {low} and {hi}, got {got}"),
    }
}

impl Setting {
    /// The refusal message for `got` (as the user wrote it), naming the range:
    /// `must be a whole number between 50 and 100000, got 200000`.
    pub fn message(&self, got: impl Display) -> String {
        let got = got.to_string();
        let v = got.trim().parse::<f64>().ok();
        range_message(self.min, self.max, self.whole, self.zero, v, &got)
    }

    /// Whether `v` is in range (finite, whole when it must be; `-0.0` is 0).
    pub fn accepts(&self, v: f64) -> bool {
        v.is_finite()
            && (!self.whole || v.fract() == 0.0)
            && ((self.zero && v == 0.0) || (v >= self.min && v <= self.max))
    }

    /// Checks a number: the value (with `-0.0` read as 0) or the message.
    pub fn check(&self, v: f64) -> Result<f64, String> {
        if self.accepts(v) {
            Ok(v + 0.0)
        } else {
            Err(self.message(fmt_value(v)))
        }
    }

    /// Reads a number written as text (a command line argument, an environment variable).
    pub fn parse(&self, s: &str) -> Result<f64, String> {
        let t = s.trim();
        match t.parse::<f64>() {
            Ok(v) if self.accepts(v) => Ok(v + 0.0),
            _ => Err(self.message(t)),
        }
    }

    /// Reads a whole number written as text, as the integer type the caller keeps it in.
    pub fn parse_whole<T: TryFrom<u64>>(&self, s: &str) -> Result<T, String> {
        let v = self.parse(s)?;
        T::try_from(v as u64).map_err(|_| self.message(s.trim()))
    }

    /// Checks a JSON value: absent or null is `None`; a number in range is its value.
    pub fn read(&self, v: Option<&Value>) -> Result<Option<f64>, String> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if self.accepts(x) => Ok(Some(x + 0.0)),
                _ => Err(self.message(n)),
            },
            Some(other) => Err(format!("must be a number, got {other}")),
        }
    }

    /// The JSON Schema of the setting.
    pub fn schema(&self) -> Value {
        let ty = if self.whole { "integer" } else { "number" };
        let range = json!({"type": ty, "minimum": self.min, "maximum": self.max});
        let mut s = if self.zero {
            json!({"anyOf": [{"const": 0}, range]})
        } else {
            range
        };
        let unit = if self.unit.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.unit)
        };
        s["description"] = json!(format!("{}{unit}", self.doc));
        if let Some(d) = self.default {
            s["default"] = json!(d);
        }
        s
    }
}

/// The JSON Schema of the settings, keyed by their option key (`duration` is a render's).
pub fn settings_schema() -> Value {
    let mut props = serde_json::Map::new();
    for s in SETTINGS {
        if *s == LIVE_DURATION || *s == TRANSITION {
            continue;
        }
        props.insert(s.key.into(), s.schema());
    }
    json!({"type": "object", "properties": props})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_range() {
        assert_eq!(
            BITRATE.parse("200000").unwrap_err(),
            "must be a whole number between 50 and 100000, got 200000"
        );
        assert_eq!(
            FPS.check(240.0).unwrap_err(),
            "must be between 1 and 120, got 240"
        );
        assert_eq!(
            FADE.check(1e-308).unwrap_err(),
            "must be 0 or at least 0.001, got 1e-308"
        );
        assert_eq!(
            FADE.check(-1.0).unwrap_err(),
            "must be between 0 and 3600, got -1"
        );
        assert_eq!(FADE.check(0.0), Ok(0.0));
        assert_eq!(FADE.check(-0.0).map(f64::is_sign_negative), Ok(false));
        assert!(FPS.check(f64::NAN).is_err());
        assert_eq!(THREADS.parse_whole::<usize>(" 4 "), Ok(4));
        assert!(THREADS.parse_whole::<usize>("1.5").is_err());
        assert!(BITRATE.read(Some(&json!("fast"))).is_err());
        assert_eq!(BITRATE.read(Some(&json!(50))), Ok(Some(50.0)));
    }
}
