//! `Layer`: the fields every layer has, resolved (defaults filled in, colours parsed), plus its
//! type-specific props in [`LayerKind`] and its live state (when it appeared, transitions, fade).

use std::fmt;

use serde_json::{Map, Value};

use super::animation::{ActiveTransition, Animation, FadeOut, Property, Sampled};
use super::color::Color;
use super::easing::Easing;
use super::fields;
use super::template::Template;
use super::validate::{Issues, SceneError};

/// A layer's id: `[A-Za-z0-9_.-]`, 1–64 characters, unique within its scene.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LayerId(String);

impl LayerId {
    /// Checks and wraps an id.
    pub fn new(id: impl Into<String>) -> Result<LayerId, SceneError> {
        let id = id.into();
        if fields::valid_id(&id) {
            Ok(LayerId(id))
        } else {
            Err(SceneError::invalid(
                "id",
                format!("must be 1-64 characters of A-Z a-z 0-9 _ . -, got {id:?}"),
            ))
        }
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a layer mixes with what is below it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BlendMode {
    /// Porter-Duff source-over.
    #[default]
    Normal,
    /// Additive (plus, clamped).
    Add,
    /// Multiply.
    Multiply,
    /// Screen.
    Screen,
}

/// A border drawn inside a shape's box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Border {
    /// Pixels.
    pub width: f64,
    /// Colour.
    pub color: Color,
}

/// `rect` props.
#[derive(Clone, Debug, PartialEq)]
pub struct RectProps {
    /// Fill. Default: white.
    pub color: Color,
    /// Corner radius, px. Default: 0.
    pub radius: f64,
    /// Default: none.
    pub border: Option<Border>,
}

/// `ellipse` props.
#[derive(Clone, Debug, PartialEq)]
pub struct EllipseProps {
    /// Fill. Default: white.
    pub color: Color,
    /// Default: none.
    pub border: Option<Border>,
}

/// How an image fills its box.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Fit {
    /// Stretch to the box.
    #[default]
    Fill,
    /// Scale to fit inside, centred, keeping the aspect ratio.
    Contain,
    /// Scale to cover the box, centred and cropped, keeping the aspect ratio.
    Cover,
    /// Natural size, centred and cropped.
    None,
}

/// `image` props.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageProps {
    /// Path, `http(s)://` URL or `data:` URI, as written.
    pub src: String,
    /// Default: fill.
    pub fit: Fit,
}

/// Horizontal alignment of text lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TextAlign {
    /// Default.
    #[default]
    Left,
    /// Centred in the box.
    Center,
    /// Flush right.
    Right,
}

/// Which font a text layer uses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum FontSpec {
    /// The bundled font (DejaVu Sans, with Noto Emoji for emoji).
    #[default]
    Default,
    /// A family installed on the system.
    Family(String),
    /// A font file (path as written; resolved like image paths).
    File(String),
}

impl FontSpec {
    /// Reads the `font` field: `default`, a file path (has a `/` or a font extension), or a family.
    pub fn parse(s: &str) -> FontSpec {
        let lower = s.to_ascii_lowercase();
        if s.is_empty() || lower == "default" {
            FontSpec::Default
        } else if s.contains('/')
            || s.contains('\\')
            || [".ttf", ".otf", ".ttc", ".otc"]
                .iter()
                .any(|e| lower.ends_with(e))
        {
            FontSpec::File(s.to_string())
        } else {
            FontSpec::Family(s.to_string())
        }
    }
}

/// Stroke around glyphs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outline {
    /// Pixels.
    pub width: f64,
    /// Colour.
    pub color: Color,
}

/// Drop shadow of text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shadow {
    /// Horizontal offset, px. Default: 2.
    pub dx: f64,
    /// Vertical offset, px. Default: 2.
    pub dy: f64,
    /// Blur radius, px. Default: 0.
    pub blur: f64,
    /// Default: `#000000a0`.
    pub color: Color,
}

/// Box behind text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextBackground {
    /// Colour.
    pub color: Color,
    /// Padding, px. Default: 0.
    pub padding: f64,
    /// Corner radius, px. Default: 0.
    pub radius: f64,
}

/// `text` props.
#[derive(Clone, Debug, PartialEq)]
pub struct TextProps {
    /// The text as written, templates unexpanded.
    pub text: String,
    /// The parsed template.
    pub template: Template,
    /// Default: the bundled font.
    pub font: FontSpec,
    /// Em size, px. Default: 32.
    pub font_size: f64,
    /// Default: white.
    pub color: Color,
    /// Default: left.
    pub align: TextAlign,
    /// Multiple of `font_size`. Default: 1.2.
    pub line_height: f64,
    /// Default: none.
    pub outline: Option<Outline>,
    /// Default: none.
    pub shadow: Option<Shadow>,
    /// Default: none.
    pub background: Option<TextBackground>,
}

/// `audio` props.
#[derive(Clone, Debug, PartialEq)]
pub struct AudioProps {
    /// Audio file path.
    pub src: String,
    /// Gain 0–2. Default: 1.
    pub volume: f64,
    /// Default: false.
    pub looped: bool,
}

/// The type-specific part of a layer.
#[derive(Clone, Debug, PartialEq)]
pub enum LayerKind {
    /// A rectangle, optionally rounded.
    Rect(RectProps),
    /// An ellipse filling the box.
    Ellipse(EllipseProps),
    /// A still or animated image.
    Image(ImageProps),
    /// Text.
    Text(TextProps),
    /// Sound; no picture.
    Audio(AudioProps),
}

impl LayerKind {
    /// The `type` name.
    pub fn type_name(&self) -> &'static str {
        match self {
            LayerKind::Rect(_) => "rect",
            LayerKind::Ellipse(_) => "ellipse",
            LayerKind::Image(_) => "image",
            LayerKind::Text(_) => "text",
            LayerKind::Audio(_) => "audio",
        }
    }
}

/// One layer of a scene, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// Unique id.
    pub id: LayerId,
    /// Left of the box, px. Default: 0.
    pub x: f64,
    /// Top of the box, px. Default: 0.
    pub y: f64,
    /// Box width, px; `None`: natural size.
    pub width: Option<f64>,
    /// Box height, px; `None`: natural size.
    pub height: Option<f64>,
    /// Pivot, fraction of the box. Default: 0.5.
    pub anchor_x: f64,
    /// Pivot, fraction of the box. Default: 0.5.
    pub anchor_y: f64,
    /// Degrees clockwise. Default: 0.
    pub rotation: f64,
    /// Default: 1 (or `scale`).
    pub scale_x: f64,
    /// Default: 1 (or `scale`).
    pub scale_y: f64,
    /// 0–1. Default: 1.
    pub opacity: f64,
    /// Stacking. Default: 0.
    pub z: i64,
    /// Default: true.
    pub visible: bool,
    /// Default: normal.
    pub blend: BlendMode,
    /// Default: none.
    pub animations: Vec<Animation>,
    /// Type-specific props.
    pub kind: LayerKind,
    /// Scene time (seconds) at which the layer appeared; animations start from it.
    pub born: f64,
    /// Live transitions under way.
    pub transitions: Vec<ActiveTransition>,
    /// Set while the layer fades out before removal.
    pub fade: Option<FadeOut>,
    /// The layer document as given (with its id), for `to_json` and merge patches.
    pub(crate) source: Map<String, Value>,
}

/// A number field; `-0.0` is read as 0.
fn get_f64(m: &Map<String, Value>, k: &str, default: f64) -> f64 {
    get_opt_f64(m, k).unwrap_or(default)
}

/// A number field when present; `-0.0` is read as 0.
fn get_opt_f64(m: &Map<String, Value>, k: &str) -> Option<f64> {
    m.get(k).and_then(Value::as_f64).map(|v| v + 0.0)
}

/// Checks that a box's size times its scale stays within the position range: the scaled layer
/// must fit where layers can be.
fn check_scaled_size(map: &Map<String, Value>, issues: &mut Issues) {
    let scale = get_opt_f64(map, "scale");
    for (dim, axis) in [("width", "scale_x"), ("height", "scale_y")] {
        let (Some(size), Some((key, k))) = (
            get_opt_f64(map, dim),
            get_opt_f64(map, axis)
                .map(|k| (axis, k))
                .or(scale.map(|k| ("scale", k))),
        ) else {
            continue;
        };
        if k <= fields::MAX_SCALE && size <= fields::COORD && size * k > fields::COORD {
            issues.push(
                key,
                format!(
                    "{dim} × {key} must be at most {}, got {}",
                    fields::COORD,
                    size * k
                ),
            );
        }
    }
}

/// Checks each animation's `from` and `to` against its property's own range (the table
/// checked them against the widest one).
fn check_animation_values(map: &Map<String, Value>, issues: &mut Issues) {
    let Some(items) = map.get("animations").and_then(Value::as_array) else {
        return;
    };
    for (i, a) in items.iter().enumerate() {
        let Some(property) = a.get("property").and_then(Value::as_str) else {
            continue;
        };
        if !fields::PROPERTIES.contains(&property) {
            continue;
        }
        for end in ["from", "to"] {
            if let Some(v) = a.get(end).filter(|v| v.is_number()) {
                fields::check_value(
                    v,
                    fields::property_range(property),
                    &format!("animations[{i}].{end}"),
                    issues,
                );
            }
        }
    }
}

fn get_str<'a>(m: &'a Map<String, Value>, k: &str, default: &'a str) -> &'a str {
    m.get(k).and_then(Value::as_str).unwrap_or(default)
}

fn get_bool(m: &Map<String, Value>, k: &str, default: bool) -> bool {
    m.get(k).and_then(Value::as_bool).unwrap_or(default)
}

/// A colour from a field that validation already checked.
fn get_color(m: &Map<String, Value>, k: &str, default: Color) -> Color {
    m.get(k)
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn get_obj<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a Map<String, Value>> {
    m.get(k).and_then(Value::as_object)
}

fn border(m: &Map<String, Value>) -> Option<Border> {
    get_obj(m, "border").map(|b| Border {
        width: get_f64(b, "width", 0.0),
        color: get_color(b, "color", Color::BLACK),
    })
}

pub(crate) fn easing(m: &Map<String, Value>) -> Easing {
    m.get("easing")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or_default()
}

impl Layer {
    /// Builds a layer from one JSON object, checking every field. `id` fills in a missing id.
    /// Paths in the error are relative to the layer (`opacity`, `animations[0].easing`).
    pub fn from_value(
        v: &Value,
        generated_id: impl FnOnce(&str) -> String,
    ) -> Result<Layer, SceneError> {
        let mut issues = Issues::default();
        let ty = v
            .as_object()
            .and_then(|m| m.get("type"))
            .and_then(Value::as_str)
            .filter(|t| fields::LAYER_TYPES.contains(t));
        match ty {
            Some(ty) => {
                fields::check_object(v, fields::COMMON, fields::type_fields(ty), "", &mut issues)
            }
            None => fields::check_object(v, fields::COMMON, &[], "", &mut issues),
        }
        let Some(map) = v.as_object() else {
            return Err(issues.into_result().expect_err("not an object"));
        };
        let Some(ty) = ty else {
            // Without a valid type only the common fields could be checked.
            issues
                .0
                .retain(|i| !i.message.starts_with("unknown field") || i.path == "type");
            return Err(issues
                .into_result()
                .expect_err("type is missing or invalid"));
        };
        if matches!(ty, "rect" | "ellipse") {
            for dim in ["width", "height"] {
                if !map.contains_key(dim) {
                    issues.push(dim, format!("is required for {ty} layers"));
                }
            }
        }
        let text_template = if ty == "text" {
            map.get("text")
                .and_then(Value::as_str)
                .and_then(|t| match Template::parse(t) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        issues.push("text", e);
                        None
                    }
                })
        } else {
            None
        };
        check_animation_values(map, &mut issues);
        check_scaled_size(map, &mut issues);
        issues.into_result()?;

        let kind = match ty {
            "rect" => LayerKind::Rect(RectProps {
                color: get_color(map, "color", Color::WHITE),
                radius: get_f64(map, "radius", 0.0),
                border: border(map),
            }),
            "ellipse" => LayerKind::Ellipse(EllipseProps {
                color: get_color(map, "color", Color::WHITE),
                border: border(map),
            }),
            "image" => LayerKind::Image(ImageProps {
                src: get_str(map, "src", "").to_string(),
                fit: match get_str(map, "fit", "fill") {
                    "contain" => Fit::Contain,
                    "cover" => Fit::Cover,
                    "none" => Fit::None,
                    _ => Fit::Fill,
                },
            }),
            "text" => LayerKind::Text(TextProps {
                text: get_str(map, "text", "").to_string(),
                template: text_template.expect("parsed above"),
                font: FontSpec::parse(get_str(map, "font", "default")),
                font_size: get_f64(map, "font_size", 32.0),
                color: get_color(map, "color", Color::WHITE),
                align: match get_str(map, "align", "left") {
                    "center" => TextAlign::Center,
                    "right" => TextAlign::Right,
                    _ => TextAlign::Left,
                },
                line_height: get_f64(map, "line_height", 1.2),
                outline: get_obj(map, "outline").map(|o| Outline {
                    width: get_f64(o, "width", 0.0),
                    color: get_color(o, "color", Color::BLACK),
                }),
                shadow: get_obj(map, "shadow").map(|s| Shadow {
                    dx: get_f64(s, "dx", 2.0),
                    dy: get_f64(s, "dy", 2.0),
                    blur: get_f64(s, "blur", 0.0),
                    color: get_color(s, "color", Color::rgba(0, 0, 0, 0xa0)),
                }),
                background: get_obj(map, "background").map(|b| TextBackground {
                    color: get_color(b, "color", Color::BLACK),
                    padding: get_f64(b, "padding", 0.0),
                    radius: get_f64(b, "radius", 0.0),
                }),
            }),
            _ => LayerKind::Audio(AudioProps {
                src: get_str(map, "src", "").to_string(),
                volume: get_f64(map, "volume", 1.0),
                looped: get_bool(map, "loop", false),
            }),
        };

        let animations = map
            .get("animations")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_object)
                    .map(|a| Animation {
                        property: Property::from_name(get_str(a, "property", "x"))
                            .unwrap_or(Property::X),
                        from: get_opt_f64(a, "from"),
                        to: get_opt_f64(a, "to"),
                        start: get_f64(a, "start", 0.0),
                        duration: get_f64(a, "duration", 1.0),
                        easing: easing(a),
                        repeat: a.get("repeat").and_then(Value::as_i64).unwrap_or(0),
                        alternate: get_bool(a, "alternate", false),
                    })
                    .collect()
            })
            .unwrap_or_default();

        let mut source = map.clone();
        let id = match map.get("id").and_then(Value::as_str) {
            Some(id) => id.to_string(),
            None => {
                let id = generated_id(ty);
                source.insert("id".into(), Value::String(id.clone()));
                id
            }
        };
        let scale = get_f64(map, "scale", 1.0);
        Ok(Layer {
            id: LayerId(id),
            x: get_f64(map, "x", 0.0),
            y: get_f64(map, "y", 0.0),
            width: get_opt_f64(map, "width"),
            height: get_opt_f64(map, "height"),
            anchor_x: get_f64(map, "anchor_x", 0.5),
            anchor_y: get_f64(map, "anchor_y", 0.5),
            rotation: get_f64(map, "rotation", 0.0),
            scale_x: get_f64(map, "scale_x", scale),
            scale_y: get_f64(map, "scale_y", scale),
            opacity: get_f64(map, "opacity", 1.0),
            z: map.get("z").and_then(Value::as_i64).unwrap_or(0),
            visible: get_bool(map, "visible", true),
            blend: match get_str(map, "blend", "normal") {
                "add" => BlendMode::Add,
                "multiply" => BlendMode::Multiply,
                "screen" => BlendMode::Screen,
                _ => BlendMode::Normal,
            },
            animations,
            kind,
            born: 0.0,
            transitions: Vec::new(),
            fade: None,
            source,
        })
    }

    /// The layer document as stored: what was given, with the id filled in.
    pub fn to_value(&self) -> Value {
        Value::Object(self.source.clone())
    }

    /// The layer's own (unanimated) numeric properties.
    pub fn base(&self) -> Sampled {
        Sampled {
            x: self.x,
            y: self.y,
            width: self.width,
            height: self.height,
            rotation: self.rotation,
            scale_x: self.scale_x,
            scale_y: self.scale_y,
            opacity: self.opacity,
        }
    }

    /// The layer's numeric properties at scene time `t`: animations, then live transitions,
    /// then any fade-out.
    pub fn sample(&self, t: f64) -> Sampled {
        let base = self.base();
        let mut s = base;
        let local = t - self.born;
        for a in &self.animations {
            let own = base.get(a.property);
            s.set(a.property, a.value_at(local, own));
        }
        for tr in &self.transitions {
            let target = s.get(tr.property);
            s.set(tr.property, tr.value_at(t, target));
        }
        if let Some(fade) = &self.fade {
            s.opacity *= fade.factor(t);
        }
        s
    }

    /// True when the layer draws nothing at `t` (hidden, transparent or audio).
    pub fn is_invisible_at(&self, t: f64) -> bool {
        !self.visible || matches!(self.kind, LayerKind::Audio(_)) || self.sample(t).opacity <= 0.0
    }
}

impl TextProps {
    /// The same text drawn `k` times larger (font size, outline, shadow, background padding).
    pub fn scaled(&self, k: f64) -> TextProps {
        TextProps {
            font_size: self.font_size * k,
            outline: self.outline.map(|o| Outline {
                width: o.width * k,
                ..o
            }),
            shadow: self.shadow.map(|s| Shadow {
                dx: s.dx * k,
                dy: s.dy * k,
                blur: s.blur * k,
                ..s
            }),
            background: self.background.map(|b| TextBackground {
                padding: b.padding * k,
                radius: b.radius * k,
                ..b
            }),
            ..self.clone()
        }
    }
}
