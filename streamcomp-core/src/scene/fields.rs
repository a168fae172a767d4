//! The scene format as data: one table per object (field name, type, range, default, meaning).
//!
//! The same tables drive validation (every problem, each with its JSON path) and the JSON Schema
//! printed by `streamcomp schema`, so the two cannot disagree.

use serde_json::{Map, Value, json};

use super::Color;
use super::validate::{Issues, join_path};
use crate::settings::{self, Setting, fmt_bound};

/// The type and range of one field.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ty {
    /// A finite number in `min..=max`; `range` says whether 0 is accepted besides and how the
    /// messages name the bounds.
    Number { min: f64, max: f64, range: Range },
    /// A whole number in `min..=max`.
    Int { min: i64, max: i64 },
    /// An even whole number in `min..=max` (frame sizes).
    EvenInt { min: i64, max: i64 },
    /// `true` or `false`.
    Bool,
    /// Any string up to `max_len` bytes.
    Str { max_len: usize },
    /// A layer id: `[A-Za-z0-9_.-]`, 1–64 characters.
    Id,
    /// One of the listed strings.
    Enum(&'static [&'static str]),
    /// A colour string.
    Color,
    /// A CSS easing string.
    Easing,
    /// A nested object with its own table.
    Object(&'static [Field]),
    /// An array of objects with the given table, at most `max` long.
    Array(&'static [Field], usize),
    /// The scene's layer array: only its shape is checked here, each layer separately.
    Layers,
    /// The scene's `inputs` map: checked by `scene::input::read_inputs`.
    Inputs,
    /// `true`, `false`, or a whole number of times in `0..=max` (a video's `loop`).
    Loop { max: i64 },
}

/// How a number's range reads, and so what its messages say.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Range {
    /// `min..=max`: "must be between 0 and 1".
    Between,
    /// `min..=max` with `min` above 0: "must be at least 1" or "must be at most 2000".
    AtLeast,
    /// `min..=max` with `min` above 0, and 0 or less is "must be greater than 0".
    Positive,
    /// 0, or `min..=max`: "must be 0 or at least 0.01" below `min`, "must be between 0 and
    /// 1000" otherwise (sizes and durations that are either nothing or a value a person would
    /// mean).
    ZeroOr,
}

/// One field of an object.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) ty: Ty,
    pub(crate) required: bool,
    /// The default (`None`: none, or computed as the doc says). The schema prints it, and
    /// what reads a document reads it here: each default is written once.
    pub(crate) default: Option<Def>,
    pub(crate) doc: &'static str,
}

/// A field's default value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Def {
    /// A number.
    Num(f64),
    /// A whole number.
    Int(i64),
    /// `true` or `false`.
    Bool(bool),
    /// A string (of an enum, an easing, a font).
    Str(&'static str),
    /// A colour.
    Color(Color),
    /// An empty array.
    EmptyList,
}

impl Def {
    /// The default as JSON, for the schema (whole numbers print as integers).
    fn to_json(self) -> Value {
        match self {
            Def::Num(v) if v.fract() == 0.0 => json!(v as i64),
            Def::Num(v) => json!(v),
            Def::Int(v) => json!(v),
            Def::Bool(b) => json!(b),
            Def::Str(s) => json!(s),
            Def::Color(c) => json!(c.to_string()),
            Def::EmptyList => json!([]),
        }
    }
}

/// The default of field `name` among `fields`, if it has one.
pub(crate) fn default_of(fields: &[Field], name: &str) -> Option<Def> {
    fields
        .iter()
        .find(|fl| fl.name == name)
        .and_then(|fl| fl.default)
}

pub(crate) const fn f(
    name: &'static str,
    ty: Ty,
    default: Option<Def>,
    doc: &'static str,
) -> Field {
    Field {
        name,
        ty,
        required: false,
        default,
        doc,
    }
}

pub(crate) const fn req(name: &'static str, ty: Ty, doc: &'static str) -> Field {
    Field {
        name,
        ty,
        required: true,
        default: None,
        doc,
    }
}

pub(crate) const fn num(min: f64, max: f64) -> Ty {
    Ty::Number {
        min,
        max,
        range: Range::Between,
    }
}

const fn at_least(min: f64, max: f64) -> Ty {
    Ty::Number {
        min,
        max,
        range: Range::AtLeast,
    }
}

pub(crate) const fn positive(min: f64, max: f64) -> Ty {
    Ty::Number {
        min,
        max,
        range: Range::Positive,
    }
}

const fn zero_or(min: f64, max: f64) -> Ty {
    Ty::Number {
        min,
        max,
        range: Range::ZeroOr,
    }
}

/// A number field with the range of a setting of the settings table.
const fn setting(s: Setting) -> Ty {
    Ty::Number {
        min: s.min,
        max: s.max,
        range: if s.zero {
            Range::ZeroOr
        } else {
            Range::Between
        },
    }
}

/// The largest canvas side ([`SCENE`]'s `width` maximum).
pub(crate) const CANVAS_MAX: f64 = 7680.0;
/// Positions and box sizes stay within the largest canvas times this margin, so that any
/// layer can start or end well off screen and arithmetic stays exact.
pub(crate) const MARGIN: f64 = 13.0;
/// Positions (`x`, `y`, animation values) are within ±`COORD` pixels, about 100,000.
pub(crate) const COORD: f64 = CANVAS_MAX * MARGIN;
/// The smallest non-zero size in pixels (box sizes, widths of borders, radii): less cannot be
/// seen, and values like `1e-308` only reach the renderer's arithmetic.
pub(crate) const MIN_SIZE: f64 = 0.01;
/// Scales: at least 0.001 and at most 1000 (a layer's size times its scale stays within the
/// raster limits, checked when it is drawn).
pub(crate) const MIN_SCALE: f64 = 0.001;
/// See [`MIN_SCALE`].
pub(crate) const MAX_SCALE: f64 = 1000.0;
/// Rotations in degrees: ±1,000,000 (enough turns for any spin).
pub(crate) const MAX_ROTATION: f64 = 1.0e6;
/// The smallest non-zero duration, seconds: a millisecond.
pub(crate) const MIN_DURATION: f64 = 0.001;
/// The longest animation cycle or delay, seconds (about 115 days).
pub(crate) const MAX_ANIMATION_SECONDS: f64 = 1.0e7;
/// Font sizes in pixels.
pub(crate) const FONT_SIZE: (f64, f64) = (1.0, 2000.0);
/// Line heights as a multiple of the font size.
pub(crate) const LINE_HEIGHT: (f64, f64) = (0.1, 10.0);

/// The range of an animated property's `from` and `to`: the layer field's own range, with 0
/// allowed for scales and sizes (an animation may start or end at nothing) and negative scales
/// (a flip).
pub(crate) fn property_range(property: &str) -> Ty {
    match property {
        "width" | "height" => num(0.0, COORD),
        "rotation" => num(-MAX_ROTATION, MAX_ROTATION),
        "scale" | "scale_x" | "scale_y" => num(-MAX_SCALE, MAX_SCALE),
        "opacity" => num(0.0, 1.0),
        _ => num(-COORD, COORD),
    }
}

pub(crate) const LAYER_TYPES: &[&str] = &[
    "rect", "ellipse", "image", "text", "audio", "video", "input",
];
pub(crate) const BLEND_MODES: &[&str] = &["normal", "add", "multiply", "screen"];
pub(crate) const FITS: &[&str] = &["fill", "contain", "cover", "none"];
pub(crate) const ALIGNS: &[&str] = &["left", "center", "right"];
pub(crate) const PROPERTIES: &[&str] = &[
    "x", "y", "width", "height", "rotation", "scale", "scale_x", "scale_y", "opacity",
];

pub(crate) const BORDER: &[Field] = &[
    req(
        "width",
        zero_or(MIN_SIZE, 1000.0),
        "Border width in pixels.",
    ),
    req("color", Ty::Color, "Border colour."),
];

pub(crate) const OUTLINE: &[Field] = &[
    req(
        "width",
        zero_or(MIN_SIZE, 100.0),
        "Outline width in pixels around each glyph.",
    ),
    req("color", Ty::Color, "Outline colour."),
];

pub(crate) const SHADOW: &[Field] = &[
    f(
        "dx",
        num(-1000.0, 1000.0),
        Some(Def::Num(2.0)),
        "Horizontal offset in pixels.",
    ),
    f(
        "dy",
        num(-1000.0, 1000.0),
        Some(Def::Num(2.0)),
        "Vertical offset in pixels.",
    ),
    f(
        "blur",
        zero_or(MIN_SIZE, 100.0),
        Some(Def::Num(0.0)),
        "Blur radius in pixels (standard deviation is half of it).",
    ),
    f(
        "color",
        Ty::Color,
        Some(Def::Color(Color::rgba(0, 0, 0, 0xa0))),
        "Shadow colour.",
    ),
];

pub(crate) const TEXT_BACKGROUND: &[Field] = &[
    req("color", Ty::Color, "Box colour."),
    f(
        "padding",
        zero_or(MIN_SIZE, 1000.0),
        Some(Def::Num(0.0)),
        "Space between the text box and the background's edge, pixels.",
    ),
    f(
        "radius",
        zero_or(MIN_SIZE, 1000.0),
        Some(Def::Num(0.0)),
        "Corner radius in pixels.",
    ),
];

pub(crate) const ANIMATION: &[Field] = &[
    req("property", Ty::Enum(PROPERTIES), "The animated property."),
    f(
        "from",
        num(-MAX_ROTATION, MAX_ROTATION),
        None,
        "Start value; default: the layer's own value. Within the property's own range (-1000 to 1000 for scales, 0 to 1 for opacity).",
    ),
    f(
        "to",
        num(-MAX_ROTATION, MAX_ROTATION),
        None,
        "End value; default: the layer's own value.",
    ),
    f(
        "start",
        num(0.0, MAX_ANIMATION_SECONDS),
        Some(Def::Num(0.0)),
        "Seconds after the layer appeared.",
    ),
    req(
        "duration",
        positive(MIN_DURATION, MAX_ANIMATION_SECONDS),
        "Seconds one cycle takes.",
    ),
    f(
        "easing",
        Ty::Easing,
        Some(Def::Str("linear")),
        "linear, ease, ease-in, ease-out, ease-in-out or cubic-bezier(x1,y1,x2,y2).",
    ),
    f(
        "repeat",
        Ty::Int {
            min: -1,
            max: 1_000_000,
        },
        Some(Def::Int(0)),
        "Extra cycles after the first; -1 repeats forever.",
    ),
    f(
        "alternate",
        Ty::Bool,
        Some(Def::Bool(false)),
        "Run every other cycle backwards.",
    ),
];

pub(crate) const TRANSITION: &[Field] = &[
    req(
        "duration",
        setting(settings::TRANSITION),
        "Seconds the change takes (0: at once).",
    ),
    f(
        "easing",
        Ty::Easing,
        Some(Def::Str("linear")),
        "The easing of the change.",
    ),
];

/// Fields every layer has.
pub(crate) const COMMON: &[Field] = &[
    f(
        "id",
        Ty::Id,
        None,
        "Unique id, [A-Za-z0-9_.-], 1-64 characters; generated when absent.",
    ),
    req("type", Ty::Enum(LAYER_TYPES), "The layer type."),
    f(
        "x",
        num(-COORD, COORD),
        Some(Def::Num(0.0)),
        "Left of the layer's box in pixels, before scale and rotation.",
    ),
    f(
        "y",
        num(-COORD, COORD),
        Some(Def::Num(0.0)),
        "Top of the layer's box in pixels, before scale and rotation.",
    ),
    f(
        "width",
        zero_or(MIN_SIZE, COORD),
        None,
        "Box width in pixels; default: natural size (required for rect and ellipse).",
    ),
    f(
        "height",
        zero_or(MIN_SIZE, COORD),
        None,
        "Box height in pixels; default: natural size (required for rect and ellipse).",
    ),
    f(
        "anchor_x",
        num(0.0, 1.0),
        Some(Def::Num(0.5)),
        "Pivot of scale and rotation, as a fraction of the box width.",
    ),
    f(
        "anchor_y",
        num(0.0, 1.0),
        Some(Def::Num(0.5)),
        "Pivot of scale and rotation, as a fraction of the box height.",
    ),
    f(
        "rotation",
        num(-MAX_ROTATION, MAX_ROTATION),
        Some(Def::Num(0.0)),
        "Degrees, clockwise.",
    ),
    f(
        "scale",
        positive(MIN_SCALE, MAX_SCALE),
        Some(Def::Num(1.0)),
        "Scale on both axes.",
    ),
    f(
        "scale_x",
        positive(MIN_SCALE, MAX_SCALE),
        None,
        "Horizontal scale; default: `scale`.",
    ),
    f(
        "scale_y",
        positive(MIN_SCALE, MAX_SCALE),
        None,
        "Vertical scale; default: `scale`.",
    ),
    f(
        "opacity",
        num(0.0, 1.0),
        Some(Def::Num(1.0)),
        "0 transparent to 1 opaque.",
    ),
    f(
        "z",
        Ty::Int {
            min: -1_000_000,
            max: 1_000_000,
        },
        Some(Def::Int(0)),
        "Stacking order; equal z keeps insertion order.",
    ),
    f(
        "visible",
        Ty::Bool,
        Some(Def::Bool(true)),
        "Whether the layer is drawn.",
    ),
    f(
        "blend",
        Ty::Enum(BLEND_MODES),
        Some(Def::Str("normal")),
        "How the layer mixes with what is below.",
    ),
    f(
        "animations",
        Ty::Array(ANIMATION, 64),
        Some(Def::EmptyList),
        "Property animations.",
    ),
];

pub(crate) const RECT: &[Field] = &[
    f(
        "color",
        Ty::Color,
        Some(Def::Color(Color::WHITE)),
        "Fill colour.",
    ),
    f(
        "radius",
        zero_or(MIN_SIZE, COORD),
        Some(Def::Num(0.0)),
        "Corner radius in pixels.",
    ),
    f(
        "border",
        Ty::Object(BORDER),
        None,
        "Border drawn inside the box.",
    ),
];

pub(crate) const ELLIPSE: &[Field] = &[
    f(
        "color",
        Ty::Color,
        Some(Def::Color(Color::WHITE)),
        "Fill colour.",
    ),
    f(
        "border",
        Ty::Object(BORDER),
        None,
        "Border drawn inside the box.",
    ),
];

pub(crate) const IMAGE: &[Field] = &[
    req(
        "src",
        Ty::Str { max_len: 16 << 20 },
        "A file path, an http(s) URL (allow-listed hosts only) or a data: URI. PNG, JPEG, GIF, WebP; animations loop.",
    ),
    f(
        "fit",
        Ty::Enum(FITS),
        Some(Def::Str("fill")),
        "fill (stretch), contain, cover or none.",
    ),
];

pub(crate) const TEXT: &[Field] = &[
    req(
        "text",
        Ty::Str { max_len: 64 << 10 },
        "UTF-8 text with templates: {time}, {time:FORMAT}, {date}, {elapsed}, {countdown:RFC3339}, {frame}; {{ and }} are braces.",
    ),
    f(
        "font",
        Ty::Str { max_len: 4096 },
        Some(Def::Str("default")),
        "\"default\", a font family installed on the system, or a font file path (.ttf, .otf, .ttc).",
    ),
    f(
        "font_size",
        at_least(FONT_SIZE.0, FONT_SIZE.1),
        Some(Def::Num(32.0)),
        "Em size in pixels, as CSS font-size.",
    ),
    f(
        "color",
        Ty::Color,
        Some(Def::Color(Color::WHITE)),
        "Text colour.",
    ),
    f(
        "align",
        Ty::Enum(ALIGNS),
        Some(Def::Str("left")),
        "Alignment of lines within the box.",
    ),
    f(
        "line_height",
        num(LINE_HEIGHT.0, LINE_HEIGHT.1),
        Some(Def::Num(1.2)),
        "Line box height as a multiple of font_size.",
    ),
    f(
        "outline",
        Ty::Object(OUTLINE),
        None,
        "Stroke around the glyphs.",
    ),
    f("shadow", Ty::Object(SHADOW), None, "Drop shadow."),
    f(
        "background",
        Ty::Object(TEXT_BACKGROUND),
        None,
        "Box behind the text.",
    ),
];

pub(crate) const AUDIO: &[Field] = &[
    req(
        "src",
        Ty::Str { max_len: 4096 },
        "WAV, MP3, FLAC or Ogg file.",
    ),
    f(
        "volume",
        num(0.0, 2.0),
        Some(Def::Num(1.0)),
        "Gain, 0 to 2.",
    ),
    f(
        "loop",
        Ty::Bool,
        Some(Def::Bool(false)),
        "Start again at the end.",
    ),
];

pub(crate) const SCENE: &[Field] = &[
    req(
        "width",
        Ty::EvenInt {
            min: settings::MIN_SIDE as i64,
            max: settings::MAX_WIDTH as i64,
        },
        "Frame width in pixels, even.",
    ),
    req(
        "height",
        Ty::EvenInt {
            min: settings::MIN_SIDE as i64,
            max: settings::MAX_HEIGHT as i64,
        },
        "Frame height in pixels, even.",
    ),
    f(
        "fps",
        setting(settings::FPS),
        Some(Def::Num(30.0)),
        "Frames per second.",
    ),
    f(
        "background",
        Ty::Color,
        Some(Def::Color(Color::BLACK)),
        "Canvas colour.",
    ),
    f(
        "layers",
        Ty::Layers,
        Some(Def::EmptyList),
        "Layers, bottom to top for equal z.",
    ),
    f(
        "inputs",
        Ty::Inputs,
        None,
        "Live inputs by name (RTMP publishers, SRT, RTMP pulls), shown by `input` layers.",
    ),
];

/// The type-specific fields of a layer type.
pub(crate) fn type_fields(ty: &str) -> &'static [Field] {
    match ty {
        "rect" => RECT,
        "ellipse" => ELLIPSE,
        "image" => IMAGE,
        "text" => TEXT,
        "video" => super::video::FIELDS,
        "input" => super::input::FIELDS,
        _ => AUDIO,
    }
}

/// A short JSON rendering of a value for messages (long strings are cut).
pub(crate) fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What is wrong with number `n` in the range, naming the bound it broke (`None`: nothing).
/// `-0.0` counts as 0.
pub(crate) fn number_issue(n: f64, min: f64, max: f64, range: Range) -> Option<String> {
    let (lo, hi) = (fmt_bound(min), fmt_bound(max));
    if !n.is_finite() {
        return Some("must be a finite number".into());
    }
    if (range == Range::ZeroOr && n == 0.0) || (n >= min && n <= max) {
        return None;
    }
    Some(match range {
        Range::Between => format!("must be between {lo} and {hi}"),
        Range::ZeroOr if n > 0.0 && n < min => format!("must be 0 or at least {lo}"),
        Range::ZeroOr => format!("must be between 0 and {hi}"),
        Range::Positive if n <= 0.0 => "must be greater than 0".into(),
        Range::AtLeast | Range::Positive if n < min => format!("must be at least {lo}"),
        Range::AtLeast | Range::Positive => format!("must be at most {hi}"),
    })
}

/// Whether `s` is a valid layer id.
pub(crate) fn valid_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

/// Checks one value against its type, pushing issues at `path`.
pub(crate) fn check_value(v: &Value, ty: Ty, path: &str, issues: &mut Issues) {
    match ty {
        Ty::Number { min, max, range } => match v.as_f64() {
            Some(n) => {
                if let Some(msg) = number_issue(n, min, max, range) {
                    issues.push(path, format!("{msg}, got {}", show(v)))
                }
            }
            None => issues.push(path, format!("must be a number, got {}", type_name(v))),
        },
        Ty::Int { min, max } | Ty::EvenInt { min, max } => {
            let even = matches!(ty, Ty::EvenInt { .. });
            match v.as_f64() {
                // Out of range first: the bound is what a value like -1e-308 breaks.
                Some(n) if n < min as f64 || n > max as f64 => issues.push(
                    path,
                    format!("must be between {min} and {max}, got {}", show(v)),
                ),
                Some(n) if n.fract() != 0.0 => {
                    issues.push(path, format!("must be a whole number, got {}", show(v)))
                }
                Some(n) if even && (n as i64) % 2 != 0 => issues.push(
                    path,
                    format!("must be even (video encoders need it), got {}", show(v)),
                ),
                Some(_) => {}
                None => issues.push(
                    path,
                    format!("must be a whole number, got {}", type_name(v)),
                ),
            }
        }
        Ty::Bool => {
            if !v.is_boolean() {
                issues.push(path, format!("must be true or false, got {}", type_name(v)))
            }
        }
        Ty::Str { max_len } => match v.as_str() {
            Some(s) if s.len() > max_len => issues.push(
                path,
                format!("must be at most {max_len} bytes, got {}", s.len()),
            ),
            Some(_) => {}
            None => issues.push(path, format!("must be a string, got {}", type_name(v))),
        },
        Ty::Id => match v.as_str() {
            Some(s) if valid_id(s) => {}
            Some(_) => issues.push(
                path,
                format!(
                    "must be 1-64 characters of A-Z a-z 0-9 _ . -, got {}",
                    show(v)
                ),
            ),
            None => issues.push(path, format!("must be a string, got {}", type_name(v))),
        },
        Ty::Enum(options) => match v.as_str() {
            Some(s) if options.contains(&s) => {}
            _ => issues.push(
                path,
                format!("must be one of {}, got {}", options.join(", "), show(v)),
            ),
        },
        Ty::Color => match v.as_str() {
            Some(s) => {
                if let Err(e) = s.parse::<super::Color>() {
                    issues.push(path, e.to_string())
                }
            }
            None => issues.push(
                path,
                format!("must be a colour string, got {}", type_name(v)),
            ),
        },
        Ty::Easing => match v.as_str() {
            Some(s) => {
                if let Err(e) = s.parse::<super::Easing>() {
                    issues.push(path, e.to_string())
                }
            }
            None => issues.push(
                path,
                format!("must be an easing string, got {}", type_name(v)),
            ),
        },
        Ty::Object(fields) => check_object(v, fields, &[], path, issues),
        Ty::Array(fields, max) => match v.as_array() {
            Some(items) if items.len() > max => issues.push(
                path,
                format!("must have at most {max} items, got {}", items.len()),
            ),
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    check_object(item, fields, &[], &format!("{path}[{i}]"), issues);
                }
            }
            None => issues.push(path, format!("must be an array, got {}", type_name(v))),
        },
        Ty::Layers => {
            if !v.is_array() {
                issues.push(path, format!("must be an array, got {}", type_name(v)))
            }
        }
        Ty::Inputs => {}
        Ty::Loop { max } => match v {
            Value::Bool(_) => {}
            Value::Number(_) => check_value(v, Ty::Int { min: 0, max }, path, issues),
            _ => issues.push(
                path,
                format!(
                    "must be true, false or a number of times, got {}",
                    type_name(v)
                ),
            ),
        },
    }
}

/// Checks an object against the union of `fields` and `more`: it must be an object, have every
/// required field, no unknown field, and each value must match its type.
pub(crate) fn check_object(
    v: &Value,
    fields: &[Field],
    more: &[Field],
    path: &str,
    issues: &mut Issues,
) {
    let Some(map) = v.as_object() else {
        issues.push(path, format!("must be an object, got {}", type_name(v)));
        return;
    };
    let all = || fields.iter().chain(more.iter());
    for (key, value) in map {
        let sub = join_path(path, key);
        match all().find(|fl| fl.name == key) {
            Some(field) => check_value(value, field.ty, &sub, issues),
            None => {
                let hint = all()
                    .map(|fl| fl.name)
                    .find(|name| similar(name, key))
                    .map(|name| format!(" (did you mean `{name}`?)"))
                    .unwrap_or_default();
                issues.push(&sub, format!("unknown field{hint}"));
            }
        }
    }
    for field in all().filter(|fl| fl.required) {
        if !map.contains_key(field.name) {
            issues.push(&join_path(path, field.name), "is required");
        }
    }
}

/// True when two names differ by at most two edits (a typo).
fn similar(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 2 {
        return false;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()] <= 2
}

// ---- JSON Schema generated from the same tables ----

fn schema_of(ty: Ty) -> Value {
    match ty {
        Ty::Number { min, max, range } => {
            let between = json!({"type": "number", "minimum": min, "maximum": max});
            if range == Range::ZeroOr {
                json!({"anyOf": [{"const": 0}, between]})
            } else {
                between
            }
        }
        Ty::Int { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
        Ty::EvenInt { min, max } => {
            json!({"type": "integer", "minimum": min, "maximum": max, "multipleOf": 2})
        }
        Ty::Bool => json!({"type": "boolean"}),
        Ty::Str { max_len } => json!({"type": "string", "maxLength": max_len}),
        Ty::Id => json!({"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"}),
        Ty::Enum(options) => json!({"type": "string", "enum": options}),
        Ty::Color => json!({"$ref": "#/$defs/color"}),
        Ty::Easing => json!({"$ref": "#/$defs/easing"}),
        Ty::Object(fields) => object_schema(fields, &[]),
        Ty::Array(fields, max) => {
            json!({"type": "array", "maxItems": max, "items": object_schema(fields, &[])})
        }
        Ty::Layers => json!({"type": "array"}),
        Ty::Inputs => json!({
            "type": "object",
            "maxProperties": super::input::MAX_INPUTS,
            "propertyNames": {"pattern": "^[A-Za-z0-9_.-]{1,64}$"},
            "additionalProperties": object_schema(super::input::INPUT, &[]),
        }),
        Ty::Loop { max } => json!({"anyOf": [
            {"type": "boolean"},
            {"type": "integer", "minimum": 0, "maximum": max}
        ]}),
    }
}

fn object_schema(fields: &[Field], more: &[Field]) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for field in fields.iter().chain(more.iter()) {
        let mut s = schema_of(field.ty);
        let obj = s.as_object_mut().expect("schema is an object");
        obj.insert("description".into(), field.doc.into());
        if let Some(d) = field.default {
            obj.insert("default".into(), d.to_json());
        }
        props.insert(field.name.into(), s);
        if field.required {
            required.push(field.name);
        }
    }
    json!({"type": "object", "properties": props, "required": required, "additionalProperties": false})
}

/// The JSON Schema (draft 2020-12) of a scene document.
pub(crate) fn scene_schema() -> Value {
    let layers: Vec<Value> = LAYER_TYPES
        .iter()
        .map(|ty| {
            let mut s = object_schema(COMMON, type_fields(ty));
            s["properties"]["type"] = json!({"const": ty, "description": "The layer type."});
            if matches!(*ty, "rect" | "ellipse") {
                s["required"] = json!(["type", "width", "height"]);
            }
            s["title"] = json!(format!("{ty} layer"));
            s
        })
        .collect();
    let mut scene = object_schema(SCENE, &[]);
    scene["properties"]["layers"]["items"] = json!({"oneOf": layers});
    scene["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    scene["title"] = json!("streamcomp scene");
    scene["$defs"] = json!({
        "options": settings::settings_schema(),
        "color": {"type": "string", "description": "#rgb, #rgba, #rrggbb, #rrggbbaa, rgb(r,g,b), rgba(r,g,b,a), transparent or a CSS basic colour name"},
        "easing": {"type": "string", "pattern": "^(linear|ease|ease-in|ease-out|ease-in-out|cubic-bezier\\(.*\\))$"}
    });
    scene
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::scene::{
        BlendMode, Color, Easing, Fit, FontSpec, Layer, LayerKind, LoadOptions, Scene, Shadow,
        TextAlign,
    };

    fn layer(v: serde_json::Value) -> Layer {
        Layer::from_value(&v, |ty| format!("{ty}-1")).unwrap()
    }

    #[test]
    fn layers_read_their_defaults_from_the_tables() {
        let l = layer(json!({"type": "text", "text": "a", "shadow": {},
            "animations": [{"property": "x", "duration": 1}]}));
        assert_eq!((l.x, l.y, l.rotation, l.z), (0.0, 0.0, 0.0, 0));
        assert_eq!((l.anchor_x, l.anchor_y, l.opacity), (0.5, 0.5, 1.0));
        assert_eq!((l.scale_x, l.scale_y), (1.0, 1.0));
        assert!(l.visible);
        assert_eq!(l.blend, BlendMode::Normal);
        let a = &l.animations[0];
        assert_eq!((a.start, a.repeat, a.alternate), (0.0, 0, false));
        assert_eq!(a.easing, Easing::Linear);
        let LayerKind::Text(t) = &l.kind else {
            panic!("a text layer")
        };
        assert_eq!(t.font, FontSpec::Default);
        assert_eq!((t.font_size, t.line_height), (32.0, 1.2));
        assert_eq!((t.color, t.align), (Color::WHITE, TextAlign::Left));
        assert_eq!(
            t.shadow,
            Some(Shadow {
                dx: 2.0,
                dy: 2.0,
                blur: 0.0,
                color: Color::rgba(0, 0, 0, 0xa0)
            })
        );
        let l = layer(json!({"type": "rect", "width": 1, "height": 1, "scale": 2}));
        assert_eq!((l.scale_x, l.scale_y), (2.0, 2.0));
        let LayerKind::Rect(r) = &l.kind else {
            panic!("a rect layer")
        };
        assert_eq!((r.color, r.radius, r.border), (Color::WHITE, 0.0, None));
        let LayerKind::Image(i) = layer(json!({"type": "image", "src": "a.png"})).kind else {
            panic!("an image layer")
        };
        assert_eq!(i.fit, Fit::Fill);
        let LayerKind::Audio(a) = layer(json!({"type": "audio", "src": "a.wav"})).kind else {
            panic!("an audio layer")
        };
        assert_eq!((a.volume, a.looped), (1.0, false));
    }

    #[test]
    fn scenes_read_their_defaults_from_the_table() {
        let scene =
            Scene::from_value(json!({"width": 16, "height": 16}), &LoadOptions::default()).unwrap();
        assert_eq!((scene.fps, scene.background), (30.0, Color::BLACK));
    }
}
