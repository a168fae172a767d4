//! How a live change moves its layer (a transition for a patch, a fade for a removal), as JSON
//! that another process can replay: servers of one stream share layer lists, and a list alone
//! cannot say that a layer glided to its new place or faded out instead of jumping.

use serde_json::{Value, json};

use super::patch::{LayerChange, Transition};

impl Transition {
    /// `{"duration": s, "easing": ".."}`, which [`Transition::from_value`] reads back.
    pub fn to_value(&self) -> Value {
        json!({"duration": self.duration, "easing": self.easing.to_string()})
    }
}

impl LayerChange {
    /// The layer this change moves over time and how: `{"transition": {..}}` for a patch with
    /// a transition, `{"fade": seconds}` for a removal with a fade-out; `None` for a change that
    /// takes effect at once (an addition, a jump, a plain removal).
    pub fn motion(&self) -> Option<(&str, Value)> {
        match self {
            LayerChange::Patch {
                id,
                transition: Some(t),
                ..
            } => Some((id, json!({"transition": t.to_value()}))),
            // A `transition` key inside the patch is the transition (see `LayerChange::Patch`).
            LayerChange::Patch {
                id,
                patch,
                transition: None,
            } => match LayerChange::patch(id.as_str(), Value::Null, patch.get("transition")) {
                Ok(LayerChange::Patch {
                    transition: Some(t),
                    ..
                }) => Some((id, json!({"transition": t.to_value()}))),
                _ => None,
            },
            LayerChange::Remove { id, fade: Some(f) } => {
                Some((id, json!({"fade": f.as_secs_f64()})))
            }
            _ => None,
        }
    }

    /// This change made to move as `motion` (from [`LayerChange::motion`] elsewhere) says: a
    /// patch takes its transition, a removal its fade. A motion that does not fit the change,
    /// or does not parse, leaves the change as it is: it then takes effect at once.
    pub fn with_motion(self, motion: &Value) -> LayerChange {
        match self {
            LayerChange::Patch {
                id,
                patch,
                transition: None,
            } => {
                let transition = motion
                    .get("transition")
                    .and_then(|t| Transition::from_value(t).ok());
                LayerChange::Patch {
                    id,
                    patch,
                    transition,
                }
            }
            LayerChange::Remove { id, fade: None } => {
                let fade = motion
                    .get("fade")
                    .and_then(Value::as_f64)
                    .and_then(|s| LayerChange::remove(id.as_str(), Some(s)).ok())
                    .and_then(|c| match c {
                        LayerChange::Remove { fade, .. } => fade,
                        _ => None,
                    });
                LayerChange::Remove { id, fade }
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn motions_round_trip_through_json() {
        let patch = LayerChange::patch(
            "a",
            json!({"x": 10}),
            Some(&json!({"duration": 1.5, "easing": "ease-in-out"})),
        )
        .unwrap();
        let (id, motion) = patch.motion().unwrap();
        assert_eq!(id, "a");
        let plain = LayerChange::patch("a", json!({"x": 10}), None).unwrap();
        assert_eq!(plain.motion(), None);
        assert_eq!(plain.with_motion(&motion), patch);
        // The transition given inside the patch, as the HTTP API takes it.
        let inside = LayerChange::patch("a", json!({"x": 10, "transition": 2}), None).unwrap();
        assert_eq!(
            inside.motion().unwrap().1,
            json!({"transition": {"duration": 2.0, "easing": "linear"}})
        );

        let remove = LayerChange::remove("b", Some(0.5)).unwrap();
        let (id, motion) = remove.motion().unwrap();
        assert_eq!((id, &motion), ("b", &json!({"fade": 0.5})));
        let plain = LayerChange::remove("b", None).unwrap();
        assert_eq!(
            plain.with_motion(&motion),
            LayerChange::Remove {
                id: "b".into(),
                fade: Some(std::time::Duration::from_secs_f64(0.5))
            }
        );
    }

    #[test]
    fn a_motion_that_does_not_fit_or_parse_changes_nothing() {
        let plain = LayerChange::patch("a", json!({"x": 1}), None).unwrap();
        for m in [
            json!({"fade": 2}),
            json!({"transition": {"duration": -1}}),
            json!({"transition": "soon"}),
            json!(null),
        ] {
            assert_eq!(plain.clone().with_motion(&m), plain);
        }
        let remove = LayerChange::remove("b", None).unwrap();
        for m in [json!({"fade": 1e308}), json!({"fade": -1}), json!({"x": 1})] {
            assert_eq!(remove.clone().with_motion(&m), remove);
        }
        let add = LayerChange::Add(json!({"type": "rect"}));
        assert_eq!(add.motion(), None);
        assert_eq!(add.clone().with_motion(&json!({"fade": 1})), add);
    }
}
