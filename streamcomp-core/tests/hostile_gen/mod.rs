//! Generators of hostile layer documents, shared by the core's property tests
//! (`tests/hostile.rs`) and the server's API fuzz test (`streamcomp-server/tests/api_fuzz.rs`
//! includes this file by path), so both draw from the same inputs.
//!
//! Every numeric field and its range come from the scene's JSON Schema (itself generated from
//! the validator's tables), so nothing here restates a range. Values are drawn from the edges
//! (`1e-308`, `-0.0`, `1e15`, the bounds and just past them) and from inside the ranges.

#![allow(dead_code, unreachable_pub, missing_docs)]

use serde_json::{Map, Value, json};

/// The edge values of the issue: every numeric field is tried with each.
pub const EDGE_VALUES: [f64; 6] = [1e-308, -1e-308, 1e308, 1e-40, -0.0, 1e15];

/// One numeric field of a layer kind: its path inside the layer (`outline.width`), its range.
#[derive(Clone, Debug)]
pub struct NumericField {
    /// `rect`, `text`, …
    pub kind: String,
    /// Dotted path inside the layer document; `animations.duration` is inside the first
    /// animation.
    pub path: String,
    /// The schema's bounds (a `0` alternative when `zero`).
    pub min: f64,
    pub max: f64,
    pub zero: bool,
    pub integer: bool,
}

fn number_range(s: &Value) -> Option<(f64, f64, bool, bool)> {
    if let Some(any) = s.get("anyOf").and_then(Value::as_array) {
        let r = any.iter().find_map(number_range)?;
        return Some((r.0, r.1, true, r.3));
    }
    let ty = s.get("type")?.as_str()?;
    if ty != "number" && ty != "integer" {
        return None;
    }
    Some((
        s.get("minimum").or(s.get("exclusiveMinimum"))?.as_f64()?,
        s.get("maximum")?.as_f64()?,
        false,
        ty == "integer",
    ))
}

fn collect(kind: &str, prefix: &str, props: &Map<String, Value>, out: &mut Vec<NumericField>) {
    for (name, s) in props {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        if let Some((min, max, zero, integer)) = number_range(s) {
            out.push(NumericField {
                kind: kind.into(),
                path,
                min,
                max,
                zero,
                integer,
            });
        } else if let Some(p) = s.get("properties").and_then(Value::as_object) {
            collect(kind, &path, p, out);
        } else if let Some(p) = s
            .get("items")
            .and_then(|i| i.get("properties"))
            .and_then(Value::as_object)
        {
            collect(kind, &path, p, out);
        }
    }
}

/// Every numeric field of every layer kind, from the scene schema.
pub fn numeric_fields(schema: &Value) -> Vec<NumericField> {
    let mut out = Vec::new();
    for kind in schema["properties"]["layers"]["items"]["oneOf"]
        .as_array()
        .expect("layer kinds")
    {
        let name = kind["properties"]["type"]["const"].as_str().unwrap();
        collect(name, "", kind["properties"].as_object().unwrap(), &mut out);
    }
    out
}

/// A small, valid layer of `kind` that a field can be set on (nested objects present).
pub fn base_layer(kind: &str) -> Value {
    // `rotation`: its range is the one the schema gives `from` and `to` (the widest).
    let anim = json!([{"property": "rotation", "from": 0, "to": 10, "duration": 1}]);
    match kind {
        "rect" => json!({"type": "rect", "width": 40, "height": 20, "animations": anim,
                          "border": {"width": 2, "color": "#fff"}}),
        "ellipse" => json!({"type": "ellipse", "width": 40, "height": 20, "animations": anim,
                             "border": {"width": 2, "color": "#fff"}}),
        "image" => json!({"type": "image", "src": RED_PNG, "width": 20, "animations": anim}),
        "text" => json!({"type": "text", "text": "LIVE", "animations": anim,
                          "outline": {"width": 1, "color": "#000"},
                          "shadow": {"dx": 2, "dy": 2, "blur": 1},
                          "background": {"color": "#123", "padding": 2, "radius": 2}}),
        "video" => json!({"type": "video", "src": "clip.mp4", "animations": anim,
                           "crop": {"x": 0, "y": 0, "width": 10, "height": 10},
                           "playback": {"at": 0, "item": 0, "position": 0}}),
        "input" => json!({"type": "input", "input": "cam1", "width": 40, "height": 20,
                           "animations": anim,
                           "crop": {"x": 0, "y": 0, "width": 10, "height": 10}}),
        _ => json!({"type": "audio", "src": "tick.wav", "animations": anim}),
    }
}

/// The scene inputs `base_layer("input")` shows (an input layer must name one).
pub fn base_inputs() -> Value {
    json!({"cam1": {"type": "rtmp", "key": "hostile-test-key"}})
}

/// A 1x1 red PNG as a `data:` URI (no file needed).
pub const RED_PNG: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

/// Sets the field at dotted `path` (an `animations.` path sets the first animation's field).
pub fn set(layer: &mut Value, path: &str, v: Value) {
    if path.starts_with("playlist.") {
        // A playlist replaces `src`; its fields are set in its first item.
        if let Some(m) = layer.as_object_mut() {
            m.remove("src");
        }
        layer["playlist"] = json!([{"src": "clip.mp4"}]);
    }
    let mut cur = layer;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, p) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            cur[*p] = v;
            return;
        }
        cur = if *p == "animations" || *p == "playlist" {
            &mut cur[*p][0]
        } else {
            &mut cur[*p]
        };
    }
}

/// The JSON path the validator names for `path` (`animations.duration` is
/// `animations[0].duration`).
pub fn error_path(path: &str) -> String {
    path.replacen("animations.", "animations[0].", 1)
        .replacen("playlist.", "playlist[0].", 1)
}

/// The number a JSON value holds, as serde_json reads it back (`1e308` stays, `-0.0` is -0).
pub fn num(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// Whether the validator must accept `v` for this field (what the schema says).
pub fn in_range(f: &NumericField, v: f64) -> bool {
    v.is_finite()
        && (!f.integer || v.fract() == 0.0)
        && ((f.zero && v == 0.0) || (v >= f.min && v <= f.max))
}

/// SplitMix64: a tiny seeded generator, so failing sequences can be replayed from their seed.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// A number in `0.0..1.0`.
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A value for a field: an edge value, a bound or just past one, or one inside the range.
pub fn value_for(rng: &mut Rng, f: &NumericField) -> f64 {
    match rng.below(6) {
        0 => *rng.pick(&EDGE_VALUES),
        1 => *rng.pick(&[f.min, f.max, 0.0]),
        2 => *rng.pick(&[f.min - 1.0, f.max + 1.0, f.min * 0.5, f.max * 2.0]),
        _ => {
            let v = f.min + (f.max.min(1e4) - f.min).max(0.0) * rng.unit();
            if f.integer { v.round() } else { v }
        }
    }
}

/// A random layer document: a base layer of a random visible kind with a few numeric fields
/// drawn by [`value_for`].
pub fn random_layer(rng: &mut Rng, fields: &[NumericField]) -> Value {
    let kind = *rng.pick(&["rect", "ellipse", "image", "text"]);
    let mut layer = base_layer(kind);
    let own: Vec<&NumericField> = fields.iter().filter(|f| f.kind == kind).collect();
    for _ in 0..1 + rng.below(4) {
        let f = own[rng.below(own.len())];
        let v = value_for(rng, f);
        set(&mut layer, &f.path, num(v));
    }
    layer
}

/// A random merge patch for a layer of `kind`: one to three numeric fields (nested objects and
/// animations given whole, as a merge patch replaces them).
pub fn random_patch(rng: &mut Rng, fields: &[NumericField], kind: &str) -> Value {
    let base = base_layer(kind);
    let mut patch = json!({});
    let own: Vec<&NumericField> = fields.iter().filter(|f| f.kind == kind).collect();
    for _ in 0..1 + rng.below(3) {
        let f = own[rng.below(own.len())];
        let top = f.path.split('.').next().unwrap();
        if patch.get(top).is_none()
            && let Some(b) = base.get(top)
        {
            patch[top] = b.clone();
        }
        let v = value_for(rng, f);
        set(&mut patch, &f.path, num(v));
    }
    patch
}
