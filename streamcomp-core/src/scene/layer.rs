//! `Layer`: the fields every layer has, resolved (defaults filled in, colours parsed), plus its
//! type-specific props in [`LayerKind`] and its live state (when it appeared, transitions, fade).

use std::fmt;

use serde_json::{Map, Value};

use super::animation::{ActiveTransition, Animation, FadeOut, Property, Sampled};
use super::color::Color;
use super::easing::Easing;
use super::fields::{self, Def, Field};
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

impl Fit {
    /// Reads `fill`, `contain`, `cover` or `none` (anything else is `fill`).
    pub(crate) fn parse(s: &str) -> Fit {
        match s {
            "contain" => Fit::Contain,
            "cover" => Fit::Cover,
            "none" => Fit::None,
            _ => Fit::Fill,
        }
    }
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
    /// A video file or playlist, with its sound.
    Video(super::video::VideoProps),
    /// A live input of the scene (RTMP, SRT, RTMP pull), with its sound.
    Input(super::input::InputProps),
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
            LayerKind::Video(_) => "video",
            LayerKind::Input(_) => "input",
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

/// One checked object with its field table: a field it lacks reads as the table's default
/// (so each default is written once, in [`fields`]). A field without a default is one the
/// table requires, there after validation: the zero values below only keep the reads total.
#[derive(Clone, Copy)]
pub(crate) struct Doc<'a> {
    map: &'a Map<String, Value>,
    fields: &'static [Field],
    more: &'static [Field],
}

impl<'a> Doc<'a> {
    /// `map`, whose fields are those of `fields`.
    pub(crate) fn new(map: &'a Map<String, Value>, fields: &'static [Field]) -> Doc<'a> {
        Doc {
            map,
            fields,
            more: &[],
        }
    }

    fn default(&self, k: &str) -> Option<Def> {
        fields::default_of(self.fields, k).or_else(|| fields::default_of(self.more, k))
    }

    /// Field `k` as `json` reads it, else the default as `default` reads it.
    fn read<T>(
        &self,
        k: &str,
        json: impl FnOnce(&'a Value) -> Option<T>,
        default: impl FnOnce(Def) -> Option<T>,
    ) -> Option<T> {
        self.map
            .get(k)
            .and_then(json)
            .or_else(|| self.default(k).and_then(default))
    }

    /// A number; `-0.0` is read as 0.
    pub(crate) fn f64(&self, k: &str) -> f64 {
        let default = |d| if let Def::Num(v) = d { Some(v) } else { None };
        self.read(k, |v| v.as_f64().map(|v| v + 0.0), default)
            .unwrap_or(0.0)
    }

    pub(crate) fn int(&self, k: &str) -> i64 {
        let default = |d| if let Def::Int(v) = d { Some(v) } else { None };
        self.read(k, Value::as_i64, default).unwrap_or(0)
    }

    pub(crate) fn str(&self, k: &str) -> &'a str {
        let default = |d| if let Def::Str(v) = d { Some(v) } else { None };
        self.read(k, Value::as_str, default).unwrap_or("")
    }

    pub(crate) fn bool(&self, k: &str) -> bool {
        let default = |d| if let Def::Bool(v) = d { Some(v) } else { None };
        self.read(k, Value::as_bool, default).unwrap_or(false)
    }

    /// A colour.
    pub(super) fn color(&self, k: &str) -> Color {
        let default = |d| if let Def::Color(v) = d { Some(v) } else { None };
        let json = |v: &Value| v.as_str().and_then(|s| s.parse().ok());
        self.read(k, json, default).unwrap_or(Color::TRANSPARENT)
    }

    /// The nested object `k`, read with its own table.
    pub(crate) fn object(&self, k: &str, fields: &'static [Field]) -> Option<Doc<'a>> {
        let map = self.map.get(k).and_then(Value::as_object)?;
        Some(Doc::new(map, fields))
    }

    fn border(&self) -> Option<Border> {
        self.object("border", fields::BORDER).map(|b| Border {
            width: b.f64("width"),
            color: b.color("color"),
        })
    }

    fn easing(&self) -> Easing {
        self.str("easing").parse().unwrap_or_default()
    }
}

/// The `easing` of an object with the fields `table` (an animation or a transition).
pub(crate) fn easing(m: &Map<String, Value>, table: &'static [Field]) -> Easing {
    Doc::new(m, table).easing()
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
        if ty == "video" {
            super::video::check(map, &mut issues);
        }
        check_animation_values(map, &mut issues);
        check_scaled_size(map, &mut issues);
        issues.into_result()?;

        let doc = Doc {
            map,
            fields: fields::COMMON,
            more: fields::type_fields(ty),
        };
        let kind = match ty {
            "rect" => LayerKind::Rect(RectProps {
                color: doc.color("color"),
                radius: doc.f64("radius"),
                border: doc.border(),
            }),
            "ellipse" => LayerKind::Ellipse(EllipseProps {
                color: doc.color("color"),
                border: doc.border(),
            }),
            "image" => LayerKind::Image(ImageProps {
                src: doc.str("src").to_string(),
                fit: Fit::parse(doc.str("fit")),
            }),
            "video" => LayerKind::Video(super::video::read(&doc, map)),
            "input" => LayerKind::Input(super::input::read(&doc)),
            "text" => LayerKind::Text(TextProps {
                text: doc.str("text").to_string(),
                template: text_template.expect("parsed above"),
                font: FontSpec::parse(doc.str("font")),
                font_size: doc.f64("font_size"),
                color: doc.color("color"),
                align: match doc.str("align") {
                    "center" => TextAlign::Center,
                    "right" => TextAlign::Right,
                    _ => TextAlign::Left,
                },
                line_height: doc.f64("line_height"),
                outline: doc.object("outline", fields::OUTLINE).map(|o| Outline {
                    width: o.f64("width"),
                    color: o.color("color"),
                }),
                shadow: doc.object("shadow", fields::SHADOW).map(|s| Shadow {
                    dx: s.f64("dx"),
                    dy: s.f64("dy"),
                    blur: s.f64("blur"),
                    color: s.color("color"),
                }),
                background: doc.object("background", fields::TEXT_BACKGROUND).map(|b| {
                    TextBackground {
                        color: b.color("color"),
                        padding: b.f64("padding"),
                        radius: b.f64("radius"),
                    }
                }),
            }),
            _ => LayerKind::Audio(AudioProps {
                src: doc.str("src").to_string(),
                volume: doc.f64("volume"),
                looped: doc.bool("loop"),
            }),
        };

        let animations = map
            .get("animations")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_object)
                    .map(|a| Doc::new(a, fields::ANIMATION))
                    .map(|a| Animation {
                        property: Property::from_name(a.str("property")).unwrap_or(Property::X),
                        from: get_opt_f64(a.map, "from"),
                        to: get_opt_f64(a.map, "to"),
                        start: a.f64("start"),
                        duration: a.f64("duration"),
                        easing: a.easing(),
                        repeat: a.int("repeat"),
                        alternate: a.bool("alternate"),
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
        let scale = doc.f64("scale");
        Ok(Layer {
            id: LayerId(id),
            x: doc.f64("x"),
            y: doc.f64("y"),
            width: get_opt_f64(map, "width"),
            height: get_opt_f64(map, "height"),
            anchor_x: doc.f64("anchor_x"),
            anchor_y: doc.f64("anchor_y"),
            rotation: doc.f64("rotation"),
            scale_x: get_opt_f64(map, "scale_x").unwrap_or(scale),
            scale_y: get_opt_f64(map, "scale_y").unwrap_or(scale),
            opacity: doc.f64("opacity"),
            z: doc.int("z"),
            visible: doc.bool("visible"),
            blend: match doc.str("blend") {
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
