//! Live inputs in the scene model (SPEC §9): the scene's `inputs` map ([`InputSpec`] per name:
//! an RTMP publisher's key, an SRT listener or caller, an RTMP stream to pull) and the `input`
//! layer that places one on the canvas ([`InputProps`]). Field tables here are the single
//! source of ranges and defaults; the checks a table cannot express (what each input type
//! requires, the layer naming an input that exists) are here too.

use std::collections::BTreeMap;

use crate::output::SrtParams;
use serde_json::{Map, Value, json};

use super::fields::{Def, Field, Ty, f, num, req};
use super::layer::{Doc, Fit};
use super::validate::{Issues, join_path};
use super::video::{CROP, CROP_FIELD, FIT_FIELD, MUTED_FIELD, VOLUME_FIELD};
use super::{CropRect, fields};

/// The most inputs a scene may name.
pub const MAX_INPUTS: usize = 64;
/// The default of `buffer_ms`.
pub const DEFAULT_BUFFER_MS: u32 = 200;
/// The largest `buffer_ms`.
pub const MAX_BUFFER_MS: u32 = 10_000;

const TYPES: &[&str] = &["rtmp", "srt", "rtmp_pull"];
const SRT_MODES: &[&str] = &["listener", "caller"];

/// Every input field, of every type (each type's own are checked by [`check_input`]).
pub(crate) const INPUT: &[Field] = &[
    req("type", Ty::Enum(TYPES), "rtmp, srt or rtmp_pull."),
    f(
        "buffer_ms",
        Ty::Int {
            min: 0,
            max: MAX_BUFFER_MS as i64,
        },
        Some(Def::Int(DEFAULT_BUFFER_MS as i64)),
        "Milliseconds of the input held back to absorb network jitter (picture and sound alike).",
    ),
    f(
        "key",
        Ty::Str { max_len: 256 },
        None,
        "rtmp: the stream key a publisher must use (rtmp://HOST:PORT/APP/KEY); required.",
    ),
    f(
        "url",
        Ty::Str { max_len: 4096 },
        None,
        "rtmp_pull: the stream to play, rtmp:// or rtmps://; required.",
    ),
    f(
        "port",
        Ty::Int { min: 1, max: 65535 },
        None,
        "srt: the UDP port to listen on (listener) or to call (caller); required.",
    ),
    f(
        "mode",
        Ty::Enum(SRT_MODES),
        Some(Def::Str("listener")),
        "srt: listener (the sender calls us) or caller (we call `host`).",
    ),
    f(
        "host",
        Ty::Str { max_len: 253 },
        None,
        "srt: the host to call (caller) or the address to listen on (listener; default 0.0.0.0).",
    ),
    f(
        "latency_ms",
        Ty::Int {
            min: 0,
            max: 10_000,
        },
        Some(Def::Int(120)),
        "srt: the SRT latency (retransmission window), milliseconds.",
    ),
    f(
        "passphrase",
        Ty::Str { max_len: 79 },
        None,
        "srt: encryption passphrase, 10 to 79 characters.",
    ),
    f(
        "streamid",
        Ty::Str { max_len: 512 },
        None,
        "srt: the stream id to send (caller) or accept (listener).",
    ),
];

/// The `input` layer's own fields.
pub(crate) const FIELDS: &[Field] = &[
    req(
        "input",
        Ty::Id,
        "The name of the scene input to show (a key of the scene's `inputs`).",
    ),
    CROP_FIELD,
    FIT_FIELD,
    VOLUME_FIELD,
    MUTED_FIELD,
    f(
        "hold",
        num(0.0, 86_400.0),
        Some(Def::Num(2.0)),
        "Seconds the last picture stays after the input stops, before the fallback shows.",
    ),
    f(
        "fallback",
        Ty::Str { max_len: 4096 },
        Some(Def::Str("transparent")),
        "What shows while the input is not live (after `hold`): transparent, black, or an image file.",
    ),
];

/// How an SRT input or output connects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SrtMode {
    /// Waits for the other side on `host:port` (host default 0.0.0.0).
    Listener,
    /// Calls the other side at `host:port`.
    Caller,
}

impl SrtMode {
    /// `listener` or `caller`.
    pub fn as_str(self) -> &'static str {
        match self {
            SrtMode::Listener => "listener",
            SrtMode::Caller => "caller",
        }
    }
}

/// What kind of live source an input is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum InputKind {
    /// A publisher pushes to streamcomp's RTMP listener with this key.
    Rtmp {
        /// The stream key.
        key: String,
    },
    /// An SRT stream (MPEG-TS), through the FFmpeg backend.
    Srt(SrtParams),
    /// streamcomp plays a stream from an RTMP server.
    RtmpPull {
        /// rtmp:// or rtmps:// URL.
        url: String,
    },
}

impl InputKind {
    /// The `type` name.
    pub fn type_name(&self) -> &'static str {
        match self {
            InputKind::Rtmp { .. } => "rtmp",
            InputKind::Srt(_) => "srt",
            InputKind::RtmpPull { .. } => "rtmp_pull",
        }
    }
}

/// One named live input of a scene.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InputSpec {
    /// Where it comes from.
    pub kind: InputKind,
    /// Jitter buffer, ms.
    pub buffer_ms: u32,
}

impl InputSpec {
    /// Reads and checks one input document; `path` prefixes the issues' paths.
    pub(crate) fn from_value(v: &Value, path: &str, issues: &mut Issues) -> Option<InputSpec> {
        let before = issues.0.len();
        fields::check_object(v, INPUT, &[], path, issues);
        let map = v.as_object()?;
        check_input(map, path, issues);
        if issues.0.len() > before {
            return None;
        }
        let d = Doc::new(map, INPUT);
        let opt = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_string);
        let kind = match d.str("type") {
            "rtmp" => InputKind::Rtmp {
                key: d.str("key").to_string(),
            },
            "srt" => InputKind::Srt(SrtParams {
                mode: if d.str("mode") == "caller" {
                    SrtMode::Caller
                } else {
                    SrtMode::Listener
                },
                host: opt("host"),
                port: d.int("port").clamp(1, 65535) as u16,
                latency_ms: d.int("latency_ms").max(0) as u32,
                passphrase: opt("passphrase"),
                streamid: opt("streamid"),
            }),
            _ => InputKind::RtmpPull {
                url: d.str("url").to_string(),
            },
        };
        Some(InputSpec {
            kind,
            buffer_ms: d.int("buffer_ms").max(0) as u32,
        })
    }

    /// The input as a JSON document (secrets included: this is the scene as saved).
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), json!(self.kind.type_name()));
        match &self.kind {
            InputKind::Rtmp { key } => {
                m.insert("key".into(), json!(key));
            }
            InputKind::Srt(p) => {
                m.insert("mode".into(), json!(p.mode.as_str()));
                if let Some(h) = &p.host {
                    m.insert("host".into(), json!(h));
                }
                m.insert("port".into(), json!(p.port));
                m.insert("latency_ms".into(), json!(p.latency_ms));
                if let Some(pass) = &p.passphrase {
                    m.insert("passphrase".into(), json!(pass));
                }
                if let Some(s) = &p.streamid {
                    m.insert("streamid".into(), json!(s));
                }
            }
            InputKind::RtmpPull { url } => {
                m.insert("url".into(), json!(url));
            }
        }
        m.insert("buffer_ms".into(), json!(self.buffer_ms));
        Value::Object(m)
    }
}

/// What each input type requires, and what it may not have.
fn check_input(map: &Map<String, Value>, path: &str, issues: &mut Issues) {
    let p = |k: &str| join_path(path, k);
    let ty = map.get("type").and_then(Value::as_str).unwrap_or("");
    let own: &[&str] = match ty {
        "rtmp" => &["key"],
        "rtmp_pull" => &["url"],
        "srt" => &[
            "port",
            "mode",
            "host",
            "latency_ms",
            "passphrase",
            "streamid",
        ],
        _ => return,
    };
    for k in [
        "key",
        "url",
        "port",
        "mode",
        "host",
        "latency_ms",
        "passphrase",
        "streamid",
    ] {
        if map.contains_key(k) && !own.contains(&k) {
            issues.push(&p(k), format!("is not a field of {ty} inputs"));
        }
    }
    match ty {
        "rtmp" => match map.get("key").and_then(Value::as_str) {
            None if !map.contains_key("key") => {
                issues.push(&p("key"), "is required for rtmp inputs")
            }
            Some("") => issues.push(&p("key"), "must not be empty"),
            Some(k) if !k.chars().all(|c| c.is_ascii_graphic()) || k.contains('/') => issues.push(
                &p("key"),
                "must be printable ASCII without spaces or `/` (it is the last part of the URL)",
            ),
            _ => {}
        },
        "rtmp_pull" => match map.get("url").and_then(Value::as_str) {
            None if !map.contains_key("url") => {
                issues.push(&p("url"), "is required for rtmp_pull inputs")
            }
            Some(u) => {
                if let Err(e) = u.parse::<crate::output::rtmp::RtmpUrl>() {
                    issues.push(&p("url"), e.to_string());
                }
            }
            None => {}
        },
        _ => {
            if !map.contains_key("port") {
                issues.push(&p("port"), "is required for srt inputs");
            }
            if map.get("mode").and_then(Value::as_str) == Some("caller")
                && !map.contains_key("host")
            {
                issues.push(&p("host"), "is required for srt inputs in caller mode");
            }
            use crate::output::srt::{TextRule, check_passphrase, check_streamid, check_text};
            let checks: [(&str, TextRule); 3] = [
                ("passphrase", check_passphrase),
                ("streamid", check_streamid),
                ("host", |_| Ok(())),
            ];
            for (k, check) in checks {
                if let Some(s) = map.get(k).and_then(Value::as_str)
                    && let Err(m) = check(s).and_then(|()| check_text(s))
                {
                    issues.push(&p(k), m);
                }
            }
        }
    }
}

/// Checks the scene's `inputs` map (its shape and every input); returns them by name.
pub(crate) fn read_inputs(v: Option<&Value>, issues: &mut Issues) -> BTreeMap<String, InputSpec> {
    let mut out = BTreeMap::new();
    let Some(v) = v else {
        return out;
    };
    let Some(map) = v.as_object() else {
        issues.push("inputs", "must be an object of named inputs");
        return out;
    };
    if map.len() > MAX_INPUTS {
        issues.push(
            "inputs",
            format!("at most {MAX_INPUTS} inputs are allowed, got {}", map.len()),
        );
        return out;
    }
    for (name, doc) in map {
        let path = join_path("inputs", name);
        if !fields::valid_id(name) {
            issues.push(
                &path,
                "input names must be 1-64 characters of A-Z a-z 0-9 _ . -",
            );
            continue;
        }
        if let Some(spec) = InputSpec::from_value(doc, &path, issues) {
            out.insert(name.clone(), spec);
        }
    }
    let mut keys: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, spec) in &out {
        if let InputKind::Rtmp { key } = &spec.kind
            && let Some(other) = keys.insert(key, name)
        {
            issues.push(
                &join_path(&join_path("inputs", name), "key"),
                format!("is already the key of input `{other}`"),
            );
        }
    }
    out
}

/// What shows while an input is not live.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Fallback {
    /// Nothing: the layers below show through.
    Transparent,
    /// Opaque black over the layer's box.
    Black,
    /// An image file (a path confined like images).
    Image(String),
}

/// `input` props.
#[derive(Clone, Debug, PartialEq)]
pub struct InputProps {
    /// The scene input shown.
    pub input: String,
    /// Default: none.
    pub crop: Option<CropRect>,
    /// Default: fill.
    pub fit: Fit,
    /// 0–2. Default: 1.
    pub volume: f64,
    /// Default: false.
    pub muted: bool,
    /// Seconds the last picture stays after the input stops. Default: 2.
    pub hold: f64,
    /// Default: transparent.
    pub fallback: Fallback,
}

/// Reads the props of a checked `input` document.
pub(crate) fn read(doc: &Doc<'_>) -> InputProps {
    InputProps {
        input: doc.str("input").to_string(),
        crop: doc.object("crop", CROP).map(|c| CropRect {
            x: c.f64("x"),
            y: c.f64("y"),
            width: c.f64("width"),
            height: c.f64("height"),
        }),
        fit: Fit::parse(doc.str("fit")),
        volume: doc.f64("volume"),
        muted: doc.bool("muted"),
        hold: doc.f64("hold"),
        fallback: match doc.str("fallback") {
            "transparent" | "" => Fallback::Transparent,
            "black" => Fallback::Black,
            other => Fallback::Image(other.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::scene::{InputKind, LayerKind, LoadOptions, Scene};

    fn load(v: serde_json::Value) -> Result<Scene, String> {
        Scene::from_value(v, &LoadOptions::default()).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_inputs_and_input_layers() {
        let s = load(json!({"width": 64, "height": 64, "inputs": {
            "cam1": {"type": "rtmp", "key": "cam1-secret"},
            "field": {"type": "srt", "port": 9000, "latency_ms": 120, "passphrase": "0123456789ab"},
            "relay": {"type": "rtmp_pull", "url": "rtmp://127.0.0.1/live/show", "buffer_ms": 500}
        }, "layers": [{"id": "cam", "type": "input", "input": "cam1", "hold": 1.5, "fallback": "black"}]}))
        .unwrap();
        assert_eq!(s.inputs.len(), 3);
        assert_eq!(
            s.inputs["cam1"].kind,
            InputKind::Rtmp {
                key: "cam1-secret".into()
            }
        );
        assert_eq!(s.inputs["cam1"].buffer_ms, 200);
        assert_eq!(s.inputs["relay"].buffer_ms, 500);
        let LayerKind::Input(p) = &s.layers[0].kind else {
            panic!("not an input layer");
        };
        assert_eq!(p.input, "cam1");
        assert_eq!(p.hold, 1.5);
        assert_eq!(p.fallback, super::Fallback::Black);
        // Round trip.
        let again = load(s.to_value()).unwrap();
        assert_eq!(again, s);
    }

    #[test]
    fn clear_errors_for_bad_inputs() {
        let e = load(json!({"width": 64, "height": 64, "inputs": {
            "a": {"type": "rtmp"},
            "b": {"type": "srt", "mode": "caller", "port": 0, "passphrase": "short"},
            "c": {"type": "rtmp_pull", "url": "http://x/y"},
            "d": {"type": "rtmp", "key": "k", "port": 5},
            "e e": {"type": "rtmp", "key": "x"},
            "f": {"type": "rtmp", "key": "a b"},
            "g": {"type": "rtmp", "key": "dup"},
            "h": {"type": "rtmp", "key": "dup"},
            "i": {"type": "rtmp", "key": "i", "buffer_ms": 1e308}
        }, "layers": [{"type": "input", "input": "nope"}]}))
        .unwrap_err();
        for needle in [
            "inputs.a.key: is required for rtmp inputs",
            "inputs.b.port: must be",
            "inputs.b.host: is required for srt inputs in caller mode",
            "inputs.b.passphrase: must be 10 to 79",
            "inputs.c.url:",
            "inputs.d.port: is not a field of rtmp inputs",
            "inputs.e e: input names",
            "inputs.f.key: must be printable",
            "inputs.h.key: is already the key of input `g`",
            "inputs.i.buffer_ms: must be",
            "layers[0].input: no input `nope`",
        ] {
            assert!(e.contains(needle), "missing {needle:?} in {e}");
        }
    }
}
