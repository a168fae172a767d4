//! Live changes to a scene: add a layer, update one by JSON merge patch (RFC 7386) with an
//! optional transition, remove one with an optional fade-out.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::Scene;
use super::animation::{ActiveTransition, FadeOut, Property};
use super::easing::Easing;
use super::fields;
use super::layer::{Layer, LayerId, LayerKind};
use super::validate::{Issues, SceneError, SceneErrorReason};
use super::{InputKind, InputSpec};

/// How a live update moves numeric properties to their new values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transition {
    /// Seconds the change takes.
    pub duration: f64,
    /// Default: linear.
    pub easing: Easing,
}

impl Transition {
    /// Reads `{"duration": s, "easing": "..."}`; paths in errors start at `transition`.
    pub fn from_value(v: &Value) -> Result<Transition, SceneError> {
        let mut issues = Issues::default();
        fields::check_object(v, fields::TRANSITION, &[], "transition", &mut issues);
        issues.into_result()?;
        let m = v.as_object().expect("checked");
        Ok(Transition {
            duration: m.get("duration").and_then(Value::as_f64).unwrap_or(0.0),
            easing: super::layer::easing(m, fields::TRANSITION),
        })
    }
}

/// One change to a live scene.
#[derive(Clone, Debug, PartialEq)]
pub enum LayerChange {
    /// Add a layer (a layer JSON object); its id is generated when absent.
    Add(Value),
    /// Merge `patch` into layer `id`. A `transition` key inside the patch is taken as the
    /// transition when `transition` is `None`.
    Patch {
        /// The layer to change.
        id: String,
        /// A JSON merge patch of the layer document.
        patch: Value,
        /// Move numeric properties over time instead of jumping.
        transition: Option<Transition>,
    },
    /// Remove layer `id`, after fading it out over `fade` when given.
    Remove {
        /// The layer to remove.
        id: String,
        /// Fade-out time.
        fade: Option<Duration>,
    },
}

impl LayerChange {
    /// A merge patch of layer `id`, its transition given as front ends take it: an object
    /// `{"duration": s, "easing": ".."}`, a number of seconds, or null/`None` (jump).
    pub fn patch(
        id: impl Into<String>,
        patch: Value,
        transition: Option<&Value>,
    ) -> Result<LayerChange, SceneError> {
        let transition = match transition {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => Some(Transition::from_value(
                &serde_json::json!({ "duration": n }),
            )?),
            Some(v) => Some(Transition::from_value(v)?),
        };
        Ok(LayerChange::Patch {
            id: id.into(),
            patch,
            transition,
        })
    }

    /// The removal of layer `id`, faded out over `fade` seconds when given (the range of
    /// [`settings::FADE`](crate::settings::FADE): 0, or 0.001 to 3600).
    pub fn remove(id: impl Into<String>, fade: Option<f64>) -> Result<LayerChange, SceneError> {
        let fade = match fade {
            None => None,
            Some(s) => Some(Duration::from_secs_f64(
                crate::settings::FADE
                    .check(s)
                    .map_err(|m| SceneError::invalid("fade", m))?,
            )),
        };
        Ok(LayerChange::Remove {
            id: id.into(),
            fade,
        })
    }
}

/// Applies an RFC 7386 JSON merge patch to `target`.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            let t = target.as_object_mut().expect("object");
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// Numeric properties a transition can move (scale is split into its two axes).
const TRANSITIONABLE: [Property; 8] = [
    Property::X,
    Property::Y,
    Property::Width,
    Property::Height,
    Property::Rotation,
    Property::ScaleX,
    Property::ScaleY,
    Property::Opacity,
];

impl Scene {
    fn index_of(&self, id: &str) -> Result<usize, SceneError> {
        self.layers
            .iter()
            .position(|l| l.id.as_str() == id)
            .ok_or_else(|| {
                SceneError::one(
                    SceneErrorReason::NotFound,
                    "id",
                    format!("no layer with id `{id}`"),
                )
            })
    }

    /// Applies one change at scene time `at`. Returns the layer as it now is, or `None` when it
    /// was removed (or is fading out to removal). Errors leave the scene unchanged; their paths
    /// are relative to the layer document (`opacity`, `animations[0].easing`).
    pub fn apply(&mut self, change: LayerChange, at: f64) -> Result<Option<&Layer>, SceneError> {
        match change {
            LayerChange::Add(v) => {
                let mut layer = Layer::from_value(&v, |ty| self.generate_id(ty))?;
                if self.layers.iter().any(|l| l.id == layer.id) {
                    return Err(SceneError::one(
                        SceneErrorReason::Duplicate,
                        "id",
                        format!("a layer with id `{}` exists already", layer.id),
                    ));
                }
                if self.layers.len() >= self.max_layers {
                    return Err(SceneError::one(
                        SceneErrorReason::Limit,
                        "",
                        format!("the scene has the maximum of {} layers", self.max_layers),
                    ));
                }
                self.check_input_of(&layer)?;
                layer.born = at;
                self.layers.push(Arc::new(layer));
                Ok(self.layers.last().map(|l| &**l))
            }
            LayerChange::Patch {
                id,
                mut patch,
                transition,
            } => {
                let i = self.index_of(&id)?;
                let mut transition = transition;
                if let Some(obj) = patch.as_object_mut() {
                    if let Some(t) = obj.remove("transition") {
                        let parsed = Transition::from_value(&t)?;
                        transition = transition.or(Some(parsed));
                    }
                    if let Some(new_id) = obj.get("id")
                        && new_id.as_str() != Some(id.as_str())
                    {
                        return Err(SceneError::invalid(
                            "id",
                            "the id of a layer cannot be changed",
                        ));
                    }
                } else {
                    return Err(SceneError::invalid("", "an update must be a JSON object"));
                }
                let old = &self.layers[i];
                let mut doc = old.to_value();
                merge_patch(&mut doc, &patch);
                let mut new = Layer::from_value(&doc, |_| id.clone())?;
                self.check_input_of(&new)?;
                new.born = old.born;
                new.fade = old.fade;
                let shown = old.sample(at);
                let (old_base, new_base) = (old.base(), new.base());
                let changed = |p: Property| match p {
                    Property::Width => {
                        old_base.width.is_some()
                            && new_base.width.is_some()
                            && old_base.width != new_base.width
                    }
                    Property::Height => {
                        old_base.height.is_some()
                            && new_base.height.is_some()
                            && old_base.height != new_base.height
                    }
                    _ => old_base.get(p) != new_base.get(p),
                };
                // Keep unfinished transitions of properties this change leaves alone.
                new.transitions = old
                    .transitions
                    .iter()
                    .filter(|tr| tr.start + tr.duration > at && !changed(tr.property))
                    .cloned()
                    .collect();
                if let Some(tr) = transition.filter(|t| t.duration > 0.0) {
                    for p in TRANSITIONABLE.into_iter().filter(|p| changed(*p)) {
                        new.transitions.push(ActiveTransition {
                            property: p,
                            from: shown.get(p),
                            start: at,
                            duration: tr.duration,
                            easing: tr.easing,
                        });
                    }
                }
                self.layers[i] = Arc::new(new);
                Ok(Some(&self.layers[i]))
            }
            LayerChange::Remove { id, fade } => {
                let i = self.index_of(&id)?;
                match fade.filter(|d| !d.is_zero()) {
                    Some(d) => {
                        Arc::make_mut(&mut self.layers[i]).fade = Some(FadeOut {
                            start: at,
                            duration: d.as_secs_f64(),
                        })
                    }
                    None => {
                        self.layers.remove(i);
                    }
                }
                Ok(None)
            }
        }
    }

    /// An input layer must show an input of the scene.
    fn check_input_of(&self, layer: &Layer) -> Result<(), SceneError> {
        if let LayerKind::Input(p) = &layer.kind
            && !self.inputs.contains_key(&p.input)
        {
            return Err(SceneError::invalid(
                "input",
                format!("no input `{}` in the scene's `inputs`", p.input),
            ));
        }
        Ok(())
    }

    /// Adds input `name` or replaces it (`doc` as in the scene's `inputs`). A replaced input
    /// starts again (its publisher is disconnected); errors leave the scene unchanged.
    pub fn set_input(&mut self, name: &str, doc: &Value) -> Result<&InputSpec, SceneError> {
        if !super::fields::valid_id(name) {
            return Err(SceneError::invalid(
                "name",
                "input names must be 1-64 characters of A-Z a-z 0-9 _ . -",
            ));
        }
        if !self.inputs.contains_key(name) && self.inputs.len() >= super::MAX_INPUTS {
            return Err(SceneError::one(
                SceneErrorReason::Limit,
                "",
                format!("the scene has the maximum of {} inputs", super::MAX_INPUTS),
            ));
        }
        let mut issues = super::validate::Issues::default();
        let spec = InputSpec::from_value(doc, "", &mut issues);
        issues.into_result()?;
        let spec = spec.ok_or_else(|| SceneError::invalid("", "must be an object"))?;
        if let InputKind::Rtmp { key } = &spec.kind
            && let Some((other, _)) = self.inputs.iter().find(|(n, i)| {
                n.as_str() != name && matches!(&i.kind, InputKind::Rtmp { key: k } if k == key)
            })
        {
            return Err(SceneError::one(
                SceneErrorReason::Duplicate,
                "key",
                format!("is already the key of input `{other}`"),
            ));
        }
        self.inputs.insert(name.to_string(), spec);
        Ok(&self.inputs[name])
    }

    /// Removes input `name`; refused while a layer shows it.
    pub fn remove_input(&mut self, name: &str) -> Result<(), SceneError> {
        if !self.inputs.contains_key(name) {
            return Err(SceneError::one(
                SceneErrorReason::NotFound,
                "",
                format!("no input `{name}`"),
            ));
        }
        let users: Vec<&str> = self
            .layers
            .iter()
            .filter(|l| matches!(&l.kind, LayerKind::Input(p) if p.input == name))
            .map(|l| l.id.as_str())
            .collect();
        if !users.is_empty() {
            return Err(SceneError::one(
                SceneErrorReason::Duplicate,
                "",
                format!(
                    "input `{name}` is shown by layer(s) {}; remove or change them first",
                    users.join(", ")
                ),
            ));
        }
        self.inputs.remove(name);
        Ok(())
    }

    /// Drops layers whose fade-out has finished by `t`, and finished transitions.
    pub fn prune(&mut self, t: f64) {
        self.layers.retain(|l| !l.fade.is_some_and(|f| f.done(t)));
        // Copy-on-write: only layers with a finished transition are cloned.
        for l in &mut self.layers {
            if l.transitions.iter().any(|tr| tr.start + tr.duration <= t) {
                Arc::make_mut(l)
                    .transitions
                    .retain(|tr| tr.start + tr.duration > t);
            }
        }
    }

    /// Moves the scene's clock back by `by` seconds: layer birth times, running transitions and
    /// fade-outs are shifted so that time `t` of the old clock is time `t - by` of the new one.
    /// For a front end that carries a scene over from one live stream into a new one (whose
    /// clock starts at 0): with `by` the old stream's elapsed time, animations, transitions and
    /// fades go on where they were instead of waiting for the old clock's time to come again.
    pub fn shift_clock(&mut self, by: f64) {
        for l in &mut self.layers {
            let l = Arc::make_mut(l);
            l.born -= by;
            for tr in &mut l.transitions {
                tr.start -= by;
            }
            if let Some(f) = &mut l.fade {
                f.start -= by;
            }
        }
    }

    /// A fresh id for a layer of type `ty`: `ty-1`, `ty-2`, … skipping ids in use.
    pub(crate) fn generate_id(&self, ty: &str) -> String {
        (1..)
            .map(|n| format!("{ty}-{n}"))
            .find(|id| !self.layers.iter().any(|l| l.id.as_str() == id))
            .expect("unbounded")
    }

    /// The layer with this id.
    pub fn layer(&self, id: &str) -> Option<&Layer> {
        self.layers
            .iter()
            .find(|l| l.id.as_str() == id)
            .map(|l| &**l)
    }

    /// Checks that `id` is a valid layer id (for front ends that take ids from URLs).
    pub fn check_id(id: &str) -> Result<LayerId, SceneError> {
        LayerId::new(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scene() -> Scene {
        Scene::from_value(
            json!({"width": 64, "height": 64, "layers": [
                {"id": "a", "type": "rect", "x": 0, "width": 10, "height": 10, "opacity": 1}
            ]}),
            &Default::default(),
        )
        .unwrap()
    }

    #[test]
    fn merge_patch_follows_rfc7386() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}}));
    }

    #[test]
    fn patch_with_transition_moves_from_shown_value() {
        let mut s = scene();
        let patch = json!({"x": 100, "transition": {"duration": 1.0}});
        s.apply(
            LayerChange::Patch {
                id: "a".into(),
                patch,
                transition: None,
            },
            10.0,
        )
        .unwrap();
        let l = s.layer("a").unwrap();
        assert_eq!(l.sample(10.0).x, 0.0);
        assert_eq!(l.sample(10.5).x, 50.0);
        assert_eq!(l.sample(11.0).x, 100.0);
        assert_eq!(l.to_value()["x"], json!(100));
    }

    #[test]
    fn shift_clock_keeps_animations_where_they_were() {
        let mut s = scene();
        s.apply(
            LayerChange::Patch {
                id: "a".into(),
                patch: json!({"x": 100, "transition": {"duration": 2.0}}),
                transition: None,
            },
            10.0,
        )
        .unwrap();
        let before = s.layer("a").unwrap().sample(11.0).x;
        s.shift_clock(10.0);
        let l = s.layer("a").unwrap();
        assert_eq!(l.born, -10.0);
        assert_eq!(l.sample(1.0).x, before);
    }

    #[test]
    fn add_remove_and_errors() {
        let mut s = scene();
        let added = s
            .apply(
                LayerChange::Add(json!({"type": "ellipse", "width": 4, "height": 4})),
                1.0,
            )
            .unwrap()
            .unwrap();
        assert_eq!(added.id.as_str(), "ellipse-1");
        assert_eq!(added.born, 1.0);
        let dup = s
            .apply(
                LayerChange::Add(json!({"id": "a", "type": "rect", "width": 1, "height": 1})),
                1.0,
            )
            .unwrap_err();
        assert_eq!(dup.reason, SceneErrorReason::Duplicate);
        let bad = s
            .apply(
                LayerChange::Patch {
                    id: "a".into(),
                    patch: json!({"opacity": 3}),
                    transition: None,
                },
                1.0,
            )
            .unwrap_err();
        assert_eq!(bad.to_string(), "opacity: must be between 0 and 1, got 3");
        let missing = s
            .apply(
                LayerChange::Remove {
                    id: "nope".into(),
                    fade: None,
                },
                1.0,
            )
            .unwrap_err();
        assert_eq!(missing.reason, SceneErrorReason::NotFound);
        s.apply(
            LayerChange::Remove {
                id: "a".into(),
                fade: Some(Duration::from_secs(2)),
            },
            2.0,
        )
        .unwrap();
        assert_eq!(s.layer("a").unwrap().sample(3.0).opacity, 0.5);
        s.prune(4.0);
        assert!(s.layer("a").is_none());
    }
}
