//! The scene format as data: one table per object (field name, type, range, default, meaning).
//!
//! The same tables drive validation (every problem, each with its JSON path) and the JSON Schema
//! printed by `streamcomp schema`, so the two cannot disagree.

use serde_json::{Map, Value, json};

use super::validate::{Issues, join_path};

/// The type and range of one field.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ty {
    /// A finite number in `min..=max` (`min` excluded when `min_exclusive`).
    Number {
        min: f64,
        max: f64,
        min_exclusive: bool,
    },
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
}

/// One field of an object.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) ty: Ty,
    pub(crate) required: bool,
    /// The default as a JSON literal, for the schema (`None`: none or computed).
    pub(crate) default: Option<&'static str>,
    pub(crate) doc: &'static str,
}

const fn f(name: &'static str, ty: Ty, default: Option<&'static str>, doc: &'static str) -> Field {
    Field {
        name,
        ty,
        required: false,
        default,
        doc,
    }
}

const fn req(name: &'static str, ty: Ty, doc: &'static str) -> Field {
    Field {
        name,
        ty,
        required: true,
        default: None,
        doc,
    }
}

const fn num(min: f64, max: f64) -> Ty {
    Ty::Number {
        min,
        max,
        min_exclusive: false,
    }
}

const fn positive(max: f64) -> Ty {
    Ty::Number {
        min: 0.0,
        max,
        min_exclusive: true,
    }
}

/// Coordinates and sizes are bounded to keep arithmetic sane.
const COORD: f64 = 1.0e6;

pub(crate) const LAYER_TYPES: &[&str] = &["rect", "ellipse", "image", "text", "audio"];
pub(crate) const BLEND_MODES: &[&str] = &["normal", "add", "multiply", "screen"];
pub(crate) const FITS: &[&str] = &["fill", "contain", "cover", "none"];
pub(crate) const ALIGNS: &[&str] = &["left", "center", "right"];
pub(crate) const PROPERTIES: &[&str] = &[
    "x", "y", "width", "height", "rotation", "scale", "scale_x", "scale_y", "opacity",
];

pub(crate) const BORDER: &[Field] = &[
    req("width", num(0.0, 1000.0), "Border width in pixels."),
    req("color", Ty::Color, "Border colour."),
];

pub(crate) const OUTLINE: &[Field] = &[
    req(
        "width",
        num(0.0, 100.0),
        "Outline width in pixels around each glyph.",
    ),
    req("color", Ty::Color, "Outline colour."),
];

pub(crate) const SHADOW: &[Field] = &[
    f(
        "dx",
        num(-1000.0, 1000.0),
        Some("2"),
        "Horizontal offset in pixels.",
    ),
    f(
        "dy",
        num(-1000.0, 1000.0),
        Some("2"),
        "Vertical offset in pixels.",
    ),
    f(
        "blur",
        num(0.0, 100.0),
        Some("0"),
        "Blur radius in pixels (standard deviation is half of it).",
    ),
    f("color", Ty::Color, Some("\"#000000a0\""), "Shadow colour."),
];

pub(crate) const TEXT_BACKGROUND: &[Field] = &[
    req("color", Ty::Color, "Box colour."),
    f(
        "padding",
        num(0.0, 1000.0),
        Some("0"),
        "Space between the text box and the background's edge, pixels.",
    ),
    f(
        "radius",
        num(0.0, 1000.0),
        Some("0"),
        "Corner radius in pixels.",
    ),
];

pub(crate) const ANIMATION: &[Field] = &[
    req("property", Ty::Enum(PROPERTIES), "The animated property."),
    f(
        "from",
        num(-COORD, COORD),
        None,
        "Start value; default: the layer's own value.",
    ),
    f(
        "to",
        num(-COORD, COORD),
        None,
        "End value; default: the layer's own value.",
    ),
    f(
        "start",
        num(0.0, 1.0e7),
        Some("0"),
        "Seconds after the layer appeared.",
    ),
    req("duration", positive(1.0e7), "Seconds one cycle takes."),
    f(
        "easing",
        Ty::Easing,
        Some("\"linear\""),
        "linear, ease, ease-in, ease-out, ease-in-out or cubic-bezier(x1,y1,x2,y2).",
    ),
    f(
        "repeat",
        Ty::Int {
            min: -1,
            max: 1_000_000,
        },
        Some("0"),
        "Extra cycles after the first; -1 repeats forever.",
    ),
    f(
        "alternate",
        Ty::Bool,
        Some("false"),
        "Run every other cycle backwards.",
    ),
];

pub(crate) const TRANSITION: &[Field] = &[
    req("duration", num(0.0, 3600.0), "Seconds the change takes."),
    f(
        "easing",
        Ty::Easing,
        Some("\"linear\""),
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
        Some("0"),
        "Left of the layer's box in pixels, before scale and rotation.",
    ),
    f(
        "y",
        num(-COORD, COORD),
        Some("0"),
        "Top of the layer's box in pixels, before scale and rotation.",
    ),
    f(
        "width",
        num(0.0, COORD),
        None,
        "Box width in pixels; default: natural size (required for rect and ellipse).",
    ),
    f(
        "height",
        num(0.0, COORD),
        None,
        "Box height in pixels; default: natural size (required for rect and ellipse).",
    ),
    f(
        "anchor_x",
        num(0.0, 1.0),
        Some("0.5"),
        "Pivot of scale and rotation, as a fraction of the box width.",
    ),
    f(
        "anchor_y",
        num(0.0, 1.0),
        Some("0.5"),
        "Pivot of scale and rotation, as a fraction of the box height.",
    ),
    f(
        "rotation",
        num(-COORD, COORD),
        Some("0"),
        "Degrees, clockwise.",
    ),
    f("scale", positive(1000.0), Some("1"), "Scale on both axes."),
    f(
        "scale_x",
        positive(1000.0),
        None,
        "Horizontal scale; default: `scale`.",
    ),
    f(
        "scale_y",
        positive(1000.0),
        None,
        "Vertical scale; default: `scale`.",
    ),
    f(
        "opacity",
        num(0.0, 1.0),
        Some("1"),
        "0 transparent to 1 opaque.",
    ),
    f(
        "z",
        Ty::Int {
            min: -1_000_000,
            max: 1_000_000,
        },
        Some("0"),
        "Stacking order; equal z keeps insertion order.",
    ),
    f(
        "visible",
        Ty::Bool,
        Some("true"),
        "Whether the layer is drawn.",
    ),
    f(
        "blend",
        Ty::Enum(BLEND_MODES),
        Some("\"normal\""),
        "How the layer mixes with what is below.",
    ),
    f(
        "animations",
        Ty::Array(ANIMATION, 64),
        Some("[]"),
        "Property animations.",
    ),
];

pub(crate) const RECT: &[Field] = &[
    f("color", Ty::Color, Some("\"#ffffff\""), "Fill colour."),
    f(
        "radius",
        num(0.0, COORD),
        Some("0"),
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
    f("color", Ty::Color, Some("\"#ffffff\""), "Fill colour."),
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
        Some("\"fill\""),
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
        Some("\"default\""),
        "\"default\", a font family installed on the system, or a font file path (.ttf, .otf, .ttc).",
    ),
    f(
        "font_size",
        positive(2000.0),
        Some("32"),
        "Em size in pixels, as CSS font-size.",
    ),
    f("color", Ty::Color, Some("\"#ffffff\""), "Text colour."),
    f(
        "align",
        Ty::Enum(ALIGNS),
        Some("\"left\""),
        "Alignment of lines within the box.",
    ),
    f(
        "line_height",
        positive(10.0),
        Some("1.2"),
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
    f("volume", num(0.0, 2.0), Some("1"), "Gain, 0 to 2."),
    f("loop", Ty::Bool, Some("false"), "Start again at the end."),
];

pub(crate) const SCENE: &[Field] = &[
    req(
        "width",
        Ty::EvenInt { min: 16, max: 7680 },
        "Frame width in pixels, even.",
    ),
    req(
        "height",
        Ty::EvenInt { min: 16, max: 4320 },
        "Frame height in pixels, even.",
    ),
    f("fps", num(1.0, 120.0), Some("30"), "Frames per second."),
    f(
        "background",
        Ty::Color,
        Some("\"#000000\""),
        "Canvas colour.",
    ),
    f(
        "layers",
        Ty::Layers,
        Some("[]"),
        "Layers, bottom to top for equal z.",
    ),
];

/// The type-specific fields of a layer type.
pub(crate) fn type_fields(ty: &str) -> &'static [Field] {
    match ty {
        "rect" => RECT,
        "ellipse" => ELLIPSE,
        "image" => IMAGE,
        "text" => TEXT,
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

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
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
        Ty::Number {
            min,
            max,
            min_exclusive,
        } => match v.as_f64() {
            Some(n) if !n.is_finite() => issues.push(path, "must be a finite number"),
            Some(n) if (min_exclusive && n <= min) || n < min || n > max => {
                let msg = if min_exclusive && max >= 1000.0 {
                    format!("must be greater than {}, got {}", fmt_num(min), show(v))
                } else if min_exclusive {
                    format!(
                        "must be greater than {} and at most {}, got {}",
                        fmt_num(min),
                        fmt_num(max),
                        show(v)
                    )
                } else {
                    format!(
                        "must be between {} and {}, got {}",
                        fmt_num(min),
                        fmt_num(max),
                        show(v)
                    )
                };
                issues.push(path, msg)
            }
            Some(_) => {}
            None => issues.push(path, format!("must be a number, got {}", type_name(v))),
        },
        Ty::Int { min, max } | Ty::EvenInt { min, max } => {
            let even = matches!(ty, Ty::EvenInt { .. });
            match v.as_f64() {
                Some(n) if n.fract() != 0.0 => {
                    issues.push(path, format!("must be a whole number, got {}", show(v)))
                }
                Some(n) if n < min as f64 || n > max as f64 => issues.push(
                    path,
                    format!("must be between {min} and {max}, got {}", show(v)),
                ),
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
        Ty::Number {
            min,
            max,
            min_exclusive,
        } => {
            if min_exclusive {
                json!({"type": "number", "exclusiveMinimum": min, "maximum": max})
            } else {
                json!({"type": "number", "minimum": min, "maximum": max})
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
            obj.insert(
                "default".into(),
                serde_json::from_str(d).expect("valid default"),
            );
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
        "color": {"type": "string", "description": "#rgb, #rgba, #rrggbb, #rrggbbaa, rgb(r,g,b), rgba(r,g,b,a), transparent or a CSS basic colour name"},
        "easing": {"type": "string", "pattern": "^(linear|ease|ease-in|ease-out|ease-in-out|cubic-bezier\\(.*\\))$"}
    });
    scene
}
