//! `video` layers in the scene model: their field tables ([`FIELDS`], the playlist item, the
//! crop and the live playback anchor), [`VideoProps`] read from a checked document, and the
//! checks a table cannot express (`src` or `playlist`, `in` before `out`).

use serde_json::{Map, Value};

use super::fields::{Def, Field, Ty, f, num, positive, req};
use super::layer::{Doc, Fit};
use super::validate::Issues;
use crate::media::DecoderChoice;

/// The longest media time a field may name, seconds (48 hours, the default
/// `max_video_seconds`; a file's own length is checked when it is opened).
pub(crate) const MAX_MEDIA_SECONDS: f64 = 48.0 * 3600.0;
/// The most items a playlist may hold.
pub(crate) const MAX_PLAYLIST: usize = 10_000;
/// The largest loop count.
pub(crate) const MAX_LOOPS: i64 = 1_000_000;

const ON_END: &[&str] = &["hold", "hide", "remove"];
const DECODERS: &[&str] = &["auto", "native", "ffmpeg"];
const FITS: &[&str] = &["fill", "contain", "cover", "none"];

/// One playlist item's fields.
pub(crate) const ITEM: &[Field] = &[
    req(
        "src",
        Ty::Str { max_len: 4096 },
        "The file (a path confined like images).",
    ),
    f(
        "in",
        num(0.0, MAX_MEDIA_SECONDS),
        Some(Def::Num(0.0)),
        "Seconds into the file where the item starts.",
    ),
    f(
        "out",
        positive(0.001, MAX_MEDIA_SECONDS),
        None,
        "Seconds into the file where the item ends; default: the end of its pictures.",
    ),
];

/// A crop's fields.
pub(crate) const CROP: &[Field] = &[
    req("x", num(0.0, 65536.0), "Left edge in source pixels."),
    req("y", num(0.0, 65536.0), "Top edge in source pixels."),
    req("width", positive(0.01, 65536.0), "Width in source pixels."),
    req(
        "height",
        positive(0.01, 65536.0),
        "Height in source pixels.",
    ),
];

/// The playback anchor media actions set.
pub(crate) const PLAYBACK: &[Field] = &[
    req("at", num(0.0, 1.0e7), "Scene time of the action, seconds."),
    req(
        "item",
        Ty::Int {
            min: 0,
            max: MAX_PLAYLIST as i64,
        },
        "The playlist item playing from then on.",
    ),
    req(
        "position",
        num(0.0, MAX_MEDIA_SECONDS),
        "Seconds into that item's file at `at`.",
    ),
    f(
        "lap",
        Ty::Int {
            min: 0,
            max: MAX_LOOPS,
        },
        Some(Def::Int(0)),
        "How many times the list had been played through at `at`.",
    ),
    f(
        "paused",
        Ty::Bool,
        Some(Def::Bool(false)),
        "Paused at `position` (true) or playing on from it.",
    ),
];

/// `crop`: the field video and input layers share.
pub(crate) const CROP_FIELD: Field = f(
    "crop",
    Ty::Object(CROP),
    None,
    "{x, y, width, height} in source pixels, cut before fitting.",
);
/// `fit`: see [`CROP_FIELD`].
pub(crate) const FIT_FIELD: Field = f(
    "fit",
    Ty::Enum(FITS),
    Some(Def::Str("fill")),
    "fill (stretch), contain, cover or none.",
);
/// `volume`: see [`CROP_FIELD`].
pub(crate) const VOLUME_FIELD: Field = f(
    "volume",
    num(0.0, 2.0),
    Some(Def::Num(1.0)),
    "Gain of the layer's sound, 0 to 2.",
);
/// `muted`: see [`CROP_FIELD`].
pub(crate) const MUTED_FIELD: Field = f(
    "muted",
    Ty::Bool,
    Some(Def::Bool(false)),
    "Leave the layer's sound out of the mix.",
);

/// The `video` layer's own fields.
pub(crate) const FIELDS: &[Field] = &[
    f(
        "src",
        Ty::Str { max_len: 4096 },
        None,
        "The video file (MP4/MOV, Matroska/WebM, FLV); a path confined like images. Required unless `playlist` is given.",
    ),
    f(
        "playlist",
        Ty::Array(ITEM, MAX_PLAYLIST),
        None,
        "Files played in order, each switch seamless: [{\"src\", \"in\"?, \"out\"?}]. Instead of `src`.",
    ),
    f(
        "loop",
        Ty::Loop { max: MAX_LOOPS },
        Some(Def::Bool(false)),
        "true: play forever, seamlessly; a whole number n: play n times in all; false: once.",
    ),
    f(
        "in",
        num(0.0, MAX_MEDIA_SECONDS),
        Some(Def::Num(0.0)),
        "Seconds into the file where playback starts (with `src`).",
    ),
    f(
        "out",
        positive(0.001, MAX_MEDIA_SECONDS),
        None,
        "Seconds into the file where playback ends (with `src`); default: the end of its pictures.",
    ),
    f(
        "start",
        num(0.0, MAX_MEDIA_SECONDS),
        Some(Def::Num(0.0)),
        "Seconds after the layer appeared when playback starts.",
    ),
    CROP_FIELD,
    FIT_FIELD,
    VOLUME_FIELD,
    MUTED_FIELD,
    f(
        "on_end",
        Ty::Enum(ON_END),
        Some(Def::Str("hold")),
        "After the last picture: hold it, hide the layer, or remove it.",
    ),
    f(
        "decoder",
        Ty::Enum(DECODERS),
        Some(Def::Str("auto")),
        "auto (built-in where it can, else FFmpeg when built in), native or ffmpeg.",
    ),
    f(
        "playback",
        Ty::Object(PLAYBACK),
        None,
        "Set by media actions (seek, pause, resume, next): where playback stands since a scene time.",
    ),
];

/// How many times a video plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Loop {
    /// Once.
    Once,
    /// Forever.
    Forever,
    /// This many times in all (at least 1).
    Times(u64),
}

/// What a video layer does after its last picture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OnEnd {
    /// Keeps showing the last picture.
    #[default]
    Hold,
    /// Shows nothing.
    Hide,
    /// The layer is removed from the scene.
    Remove,
}

/// One file a video layer plays.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaylistItem {
    /// The file, as written.
    pub src: String,
    /// Seconds into the file where it starts.
    pub in_point: f64,
    /// Seconds into the file where it ends (`None`: the end of its pictures).
    pub out_point: Option<f64>,
}

/// A crop of the source picture, in its pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CropRect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// Where playback stands since a scene time: set by the media actions (seek, pause, resume,
/// next) so that the layer's clock stays a function of scene time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Playback {
    /// Scene time of the action, seconds.
    pub at: f64,
    /// The playlist item then.
    pub item: usize,
    /// Seconds into that item's file then.
    pub position: f64,
    /// Times the list had been played through then.
    pub lap: u64,
    /// Paused there, or playing on.
    pub paused: bool,
}

/// `video` props.
#[derive(Clone, Debug, PartialEq)]
pub struct VideoProps {
    /// The files in order: one for `src` (with the layer's `in`/`out`), the playlist's otherwise.
    pub items: Vec<PlaylistItem>,
    /// Written as a `playlist` (not `src`).
    pub is_playlist: bool,
    /// Default: once.
    pub looped: Loop,
    /// Seconds after the layer appeared when playback starts. Default: 0.
    pub start: f64,
    /// Default: none.
    pub crop: Option<CropRect>,
    /// Default: fill.
    pub fit: Fit,
    /// 0–2. Default: 1.
    pub volume: f64,
    /// Default: false.
    pub muted: bool,
    /// Default: hold.
    pub on_end: OnEnd,
    /// Default: auto.
    pub decoder: DecoderChoice,
    /// Set by media actions.
    pub playback: Option<Playback>,
}

/// Checks what the tables cannot: one of `src` and `playlist`, `in` before `out`.
pub(crate) fn check(map: &Map<String, Value>, issues: &mut Issues) {
    match (map.contains_key("src"), map.get("playlist")) {
        (false, None) => issues.push("src", "is required for video layers (or give `playlist`)"),
        (true, Some(_)) => issues.push("playlist", "give either `src` or `playlist`, not both"),
        (false, Some(Value::Array(a))) if a.is_empty() => {
            issues.push("playlist", "must have at least one item")
        }
        _ => {}
    }
    if map.contains_key("playlist") {
        for k in ["in", "out"] {
            if map.contains_key(k) {
                issues.push(k, "with `playlist`, give `in` and `out` per item");
            }
        }
    }
    let in_out = |m: &Map<String, Value>, path: &str, issues: &mut Issues| {
        let get = |k: &str| m.get(k).and_then(Value::as_f64);
        if let (Some(i), Some(o)) = (get("in"), get("out"))
            && o <= i
        {
            issues.push(
                &format!("{path}out"),
                format!("must be after `in` ({i}), got {o}"),
            );
        }
    };
    in_out(map, "", issues);
    if let Some(items) = map.get("playlist").and_then(Value::as_array) {
        for (i, item) in items.iter().enumerate() {
            if let Some(m) = item.as_object() {
                in_out(m, &format!("playlist[{i}]."), issues);
            }
        }
    }
}

/// Reads the props of a checked `video` document.
pub(crate) fn read(doc: &Doc<'_>, map: &Map<String, Value>) -> VideoProps {
    let item = |m: &Map<String, Value>| {
        let d = Doc::new(m, ITEM);
        PlaylistItem {
            src: d.str("src").to_string(),
            in_point: d.f64("in"),
            out_point: m.get("out").and_then(Value::as_f64),
        }
    };
    let (items, is_playlist) = match map.get("playlist").and_then(Value::as_array) {
        Some(list) => (
            list.iter().filter_map(Value::as_object).map(item).collect(),
            true,
        ),
        None => (
            vec![PlaylistItem {
                src: doc.str("src").to_string(),
                in_point: doc.f64("in"),
                out_point: map.get("out").and_then(Value::as_f64),
            }],
            false,
        ),
    };
    let looped = match map.get("loop") {
        Some(Value::Bool(true)) => Loop::Forever,
        Some(v) => match v.as_u64() {
            Some(0) | None => Loop::Once,
            Some(n) => Loop::Times(n),
        },
        None => Loop::Once,
    };
    VideoProps {
        items,
        is_playlist,
        looped,
        start: doc.f64("start"),
        crop: doc.object("crop", CROP).map(|c| CropRect {
            x: c.f64("x"),
            y: c.f64("y"),
            width: c.f64("width"),
            height: c.f64("height"),
        }),
        fit: Fit::parse(doc.str("fit")),
        volume: doc.f64("volume"),
        muted: doc.bool("muted"),
        on_end: match doc.str("on_end") {
            "hide" => OnEnd::Hide,
            "remove" => OnEnd::Remove,
            _ => OnEnd::Hold,
        },
        decoder: DecoderChoice::parse(doc.str("decoder")).unwrap_or_default(),
        playback: doc.object("playback", PLAYBACK).map(|p| Playback {
            at: p.f64("at"),
            item: p.int("item").max(0) as usize,
            position: p.f64("position"),
            lap: p.int("lap").max(0) as u64,
            paused: p.bool("paused"),
        }),
    }
}
