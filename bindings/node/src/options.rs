//! Reading the small option objects of the JS API (`{ transition }`, `{ fade }`, `{ fps }`)
//! and the camelCase aliases of encoding options; everything else is the core's to check.

use serde_json::{Map, Value};

use crate::error::{self, Result};

/// camelCase spellings accepted for the core's snake_case option keys.
const ALIASES: &[(&str, &str)] = &[
    ("audioCodec", "audio_codec"),
    ("audioBitrate", "audio_bitrate"),
    ("keyframeInterval", "keyframe_interval"),
    ("clockStart", "clock_start"),
    ("caFile", "ca_file"),
];

/// The options object as a map: `undefined`/`null` is empty, anything but an object is an
/// error naming `options`.
pub(crate) fn object(v: Option<Value>) -> Result<Map<String, Value>> {
    match v {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(other) => Err(error::scene(
            "options",
            format!("must be an object, got {other}"),
        )),
    }
}

/// Refuses keys other than `allowed` (an unknown option is a mistake, as in scene files).
fn only(m: &Map<String, Value>, allowed: &[&str]) -> Result<()> {
    match m.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(error::scene(
            &format!("options.{k}"),
            format!("unknown option (expected {})", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

/// Encoding options for the core readers: camelCase aliases renamed to the core's keys.
pub(crate) fn encoding(v: Option<Value>) -> Result<Value> {
    let mut m = object(v)?;
    for (camel, snake) in ALIASES {
        if let Some(x) = m.remove(*camel) {
            if m.contains_key(*snake) {
                return Err(error::scene(
                    &format!("options.{camel}"),
                    format!("given twice (also as {snake})"),
                ));
            }
            m.insert((*snake).to_owned(), x);
        }
    }
    Ok(Value::Object(m))
}

/// `{ transition }` of `updateLayer`: `{duration, easing}`, a number of seconds, or absent.
pub(crate) fn transition_value(v: Option<Value>) -> Result<Option<Value>> {
    let mut m = object(v)?;
    only(&m, &["transition"])?;
    Ok(m.remove("transition").filter(|t| !t.is_null()))
}

/// `{ fade }` of `removeLayer`, seconds.
pub(crate) fn fade_seconds(v: Option<Value>) -> Result<Option<f64>> {
    let m = object(v)?;
    only(&m, &["fade"])?;
    match m.get("fade") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(other) => Err(error::scene(
            "fade",
            format!("must be a number of seconds, got {other}"),
        )),
    }
}

/// The scene document of `new Scene(width, height, { fps, background })`, for the core's
/// scene reader to check (so errors name `width`, `fps`, … as in scene files).
pub(crate) fn blank_scene(width: Value, height: Value, v: Option<Value>) -> Result<Value> {
    let m = object(v)?;
    only(&m, &["fps", "background"])?;
    let mut doc = Map::new();
    doc.insert("width".into(), width);
    doc.insert("height".into(), height);
    doc.extend(m);
    Ok(Value::Object(doc))
}
