//! Live control of video layers: [`MediaAction`] (seek, pause, resume, next, queue) read from
//! `{"action": …}`, turned into the merge patch that re-anchors the layer's playback at a
//! scene time (so the layer stays a pure function of scene time, saved and shared like any
//! other field), and [`MediaStatus`], where a layer stands (`playing`, `paused`, `ended`,
//! `waiting`, `failed`), as every front end reports it.

use serde_json::{Map, Value, json};

use super::program::Program;
use super::time::{nanos_from_secs, secs_from_nanos};
use super::timeline::Place;
use crate::scene::{Loop, SceneError, VideoProps};

/// A live action on a video layer.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum MediaAction {
    /// Jump to `t` seconds into the current item's file (or into item `item`).
    Seek {
        /// Seconds into the file.
        t: f64,
        /// Another playlist item to jump into.
        item: Option<usize>,
    },
    /// Stop the clock on the current picture.
    Pause,
    /// Run the clock again from where it stands.
    Resume,
    /// Start the next playlist item now (the first again when looping).
    Next,
    /// Append an item (`{"src", "in"?, "out"?}`) to the playlist.
    Queue(Value),
}

impl MediaAction {
    /// Reads `{"action": "seek", "t": 5.0}`, `{"action": "seek", "t": 0, "item": 2}`,
    /// `{"action": "pause"}`, `{"action": "resume"}`, `{"action": "next"}` or
    /// `{"action": "queue", "item": {"src": "b.mp4"}}`.
    pub fn from_value(v: &Value) -> Result<MediaAction, SceneError> {
        let Some(m) = v.as_object() else {
            return Err(SceneError::invalid(
                "",
                "must be an object with an `action`",
            ));
        };
        let allowed: &[&str] = match m.get("action").and_then(Value::as_str) {
            Some("seek") => &["action", "t", "item"],
            Some("queue") => &["action", "item"],
            Some("pause" | "resume" | "next") => &["action"],
            Some(other) => {
                return Err(SceneError::invalid(
                    "action",
                    format!("must be one of seek, pause, resume, next, queue, got {other:?}"),
                ));
            }
            None => {
                return Err(SceneError::invalid(
                    "action",
                    "is required: seek, pause, resume, next or queue",
                ));
            }
        };
        if let Some(k) = m.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(SceneError::invalid(
                k.as_str(),
                "unknown field for this action",
            ));
        }
        Ok(match m["action"].as_str() {
            Some("seek") => {
                let t = m.get("t").and_then(Value::as_f64).ok_or_else(|| {
                    SceneError::invalid("t", "is required: seconds into the file")
                })?;
                if !(0.0..=crate::scene::MAX_MEDIA_SECONDS).contains(&t) {
                    return Err(SceneError::invalid(
                        "t",
                        format!(
                            "must be between 0 and {}, got {t}",
                            crate::scene::MAX_MEDIA_SECONDS
                        ),
                    ));
                }
                let item = match m.get("item") {
                    None => None,
                    Some(v) => Some(v.as_u64().ok_or_else(|| {
                        SceneError::invalid("item", "must be a playlist index (0, 1, …)")
                    })? as usize),
                };
                MediaAction::Seek { t: t + 0.0, item }
            }
            Some("pause") => MediaAction::Pause,
            Some("resume") => MediaAction::Resume,
            Some("next") => MediaAction::Next,
            _ => MediaAction::Queue(
                m.get("item")
                    .filter(|v| v.is_object())
                    .cloned()
                    .ok_or_else(|| {
                        SceneError::invalid("item", "is required: {\"src\", \"in\"?, \"out\"?}")
                    })?,
            ),
        })
    }
}

/// Where a video layer stands.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MediaStatus {
    /// `waiting` (before its start), `playing`, `paused`, `ended` or `failed`.
    pub state: &'static str,
    /// The playlist item playing (0 for a single file).
    pub item: usize,
    /// Seconds into that item's file.
    pub position: f64,
    /// Seconds the item plays (its `out` or the end of its pictures, minus its `in`).
    pub duration: f64,
    /// Passes completed through the list.
    pub lap: u64,
    /// Items in the list.
    pub items: usize,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

impl MediaStatus {
    /// `{"state", "item", "position", "duration", "lap", "items", "error"}`.
    pub fn to_value(&self) -> Value {
        let r = |x: f64| (x * 1000.0).round() / 1000.0;
        json!({"state": self.state, "item": self.item, "position": r(self.position),
            "duration": r(self.duration), "lap": self.lap, "items": self.items,
            "error": self.error})
    }
}

/// Where the layer with `program` stands at scene time `t`.
pub(crate) fn status(program: &Program, t: f64) -> MediaStatus {
    let tl = &program.timeline;
    let (state, lap, item, media) = match tl.place(nanos_from_secs(t)) {
        Place::Before => ("waiting", 0, 0, tl.spans()[0].start),
        Place::At {
            lap,
            item,
            media,
            paused,
            ..
        } => (if paused { "paused" } else { "playing" }, lap, item, media),
        Place::Ended { item, media, .. } => ("ended", 0, item, media),
    };
    MediaStatus {
        state,
        item,
        position: secs_from_nanos(media),
        duration: secs_from_nanos(tl.spans()[item].len),
        lap,
        items: tl.spans().len(),
        error: None,
    }
}

/// The merge patch that applies `action` at scene time `t` to a video layer with props `v`
/// and `program`.
pub(crate) fn patch(
    v: &VideoProps,
    program: &Program,
    action: &MediaAction,
    t: f64,
) -> Result<Value, SceneError> {
    let tl = &program.timeline;
    let n = tl.spans().len();
    let (lap, item, media, paused) = match tl.place(nanos_from_secs(t)) {
        Place::Before => (0, 0, tl.spans()[0].start, false),
        Place::At {
            lap,
            item,
            media,
            paused,
            ..
        } => (lap, item, media, paused),
        Place::Ended { item, media, .. } => {
            let laps = match v.looped {
                Loop::Times(k) => k.max(1) - 1,
                _ => 0,
            };
            (laps, item, media, false)
        }
    };
    let anchor = |lap: u64, item: usize, position: f64, paused: bool| json!({"playback": {"at": t, "item": item, "position": position, "lap": lap, "paused": paused}});
    Ok(match action {
        MediaAction::Seek {
            t: to,
            item: target,
        } => {
            let item = target.unwrap_or(item);
            if item >= n {
                return Err(SceneError::invalid(
                    "item",
                    format!("the playlist has {n} item(s), got index {item}"),
                ));
            }
            let span = tl.spans()[item];
            let position = nanos_from_secs(*to).clamp(span.start, span.start + span.len - 1);
            anchor(lap, item, secs_from_nanos(position), paused)
        }
        MediaAction::Pause => anchor(lap, item, secs_from_nanos(media), true),
        MediaAction::Resume => anchor(lap, item, secs_from_nanos(media), false),
        MediaAction::Next => {
            let (lap, item) = if item + 1 < n {
                (lap, item + 1)
            } else if v.looped != Loop::Once {
                (lap + 1, 0)
            } else {
                return Err(SceneError::invalid(
                    "action",
                    "the last item is playing and the layer does not loop: there is no next",
                ));
            };
            anchor(lap, item, secs_from_nanos(tl.spans()[item].start), paused)
        }
        MediaAction::Queue(new) => {
            let mut list: Vec<Value> = v
                .items
                .iter()
                .map(|it| {
                    let mut m = Map::new();
                    m.insert("src".into(), json!(it.src));
                    if it.in_point != 0.0 {
                        m.insert("in".into(), json!(it.in_point));
                    }
                    if let Some(o) = it.out_point {
                        m.insert("out".into(), json!(o));
                    }
                    Value::Object(m)
                })
                .collect();
            list.push(new.clone());
            json!({"playlist": list, "src": null, "in": null, "out": null})
        }
    })
}
