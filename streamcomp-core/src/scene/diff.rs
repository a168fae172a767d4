//! Differences between layer lists, for servers that share a stream's layers: the operations
//! that turn one list into another and replay onto a third ([`list_ops`], [`apply_list_ops`]),
//! and the batch of live changes that makes a scene's layers equal a list received from
//! elsewhere ([`sync_plan`]), built on JSON merge patches ([`merge_diff`]).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Layer, LayerChange};

/// One layer operation: put `id` = document (in place when it exists, else at the end), or
/// remove `id` (`None`).
pub type ListOp = (String, Option<Value>);

/// The `id` of a layer document (empty when it has none).
fn id_of(v: &Value) -> &str {
    v["id"].as_str().unwrap_or_default()
}

/// The operations that turn `old` into `new` (layer lists): removals, then puts of changed and
/// new layers in `new`'s order.
pub fn list_ops(old: &[Value], new: &[Value]) -> Vec<ListOp> {
    let mut ops: Vec<ListOp> = old
        .iter()
        .filter(|o| !new.iter().any(|n| id_of(n) == id_of(o)))
        .map(|o| (id_of(o).to_string(), None))
        .collect();
    for n in new {
        match old.iter().find(|o| id_of(o) == id_of(n)) {
            Some(o) if o == n => {}
            _ => ops.push((id_of(n).to_string(), Some(n.clone()))),
        }
    }
    ops
}

/// `base` with `ops` applied in order.
pub fn apply_list_ops(base: &[Value], ops: &[ListOp]) -> Vec<Value> {
    let mut out = base.to_vec();
    for (id, doc) in ops {
        let at = out.iter().position(|l| id_of(l) == id);
        match (doc, at) {
            (Some(d), Some(i)) => out[i] = d.clone(),
            (Some(d), None) => out.push(d.clone()),
            (None, Some(i)) => {
                out.remove(i);
            }
            (None, None) => {}
        }
    }
    out
}

/// How to turn the scene's layers into `target`: the changes, and for WebSocket clients each
/// layer `created`, `updated` or `deleted`.
#[derive(Clone, Debug, PartialEq)]
pub struct SyncPlan {
    /// The changes, to apply together (one frame).
    pub ops: Vec<LayerChange>,
    /// `("created" | "updated" | "deleted", layer id)`, in order.
    pub notes: Vec<(&'static str, String)>,
}

/// The smallest batch that makes `current` (the scene's layers, some perhaps fading out)
/// equal `target` (layer documents in insertion order): remove what is gone, merge-patch what
/// changed, add what is new. When the kept layers are in another order, or a new layer comes
/// before a kept one, every layer is removed and added again in `target`'s order.
///
/// `motions` (layer id → [`LayerChange::motion`] of the writer's change) makes a patched layer
/// move, and a removed one fade out, as they did where the change was made.
pub fn sync_plan(
    current: &[Arc<Layer>],
    target: &[Value],
    motions: &Map<String, Value>,
) -> SyncPlan {
    let id_of = |v: &Value| id_of(v).to_string();
    let target_ids: Vec<String> = target.iter().map(id_of).collect();
    let shown: Vec<(String, Value)> = current
        .iter()
        .filter(|l| l.fade.is_none())
        .map(|l| (l.id.as_str().to_string(), l.to_value()))
        .collect();
    let mut ops = Vec::new();
    let mut notes = Vec::new();
    // Layers fading out here that the target has: gone at once, so they can come back.
    for l in current.iter().filter(|l| l.fade.is_some()) {
        if target_ids.iter().any(|t| t == l.id.as_str()) {
            ops.push(LayerChange::Remove {
                id: l.id.as_str().to_string(),
                fade: None,
            });
        }
    }
    for (id, _) in shown.iter().filter(|(id, _)| !target_ids.contains(id)) {
        let remove = LayerChange::Remove {
            id: id.clone(),
            fade: None,
        };
        ops.push(moved(remove, id, motions));
        notes.push(("deleted", id.clone()));
    }
    let kept: Vec<&(String, Value)> = shown
        .iter()
        .filter(|(id, _)| target_ids.contains(id))
        .collect();
    // Kept layers first, in the same order, then the new ones (ids are unique).
    let new_start = kept.len();
    let in_order = kept.iter().zip(&target_ids).all(|((id, _), t)| id == t);
    if in_order {
        for ((id, old), new) in kept.iter().zip(target) {
            if old != new {
                let patch = LayerChange::Patch {
                    id: id.clone(),
                    patch: merge_diff(old, new),
                    transition: None,
                };
                ops.push(moved(patch, id, motions));
                notes.push(("updated", id.clone()));
            }
        }
        for new in &target[new_start..] {
            ops.push(LayerChange::Add(new.clone()));
            notes.push(("created", id_of(new)));
        }
    } else {
        for (id, _) in &kept {
            ops.push(LayerChange::Remove {
                id: id.clone(),
                fade: None,
            });
        }
        for new in target {
            let id = id_of(new);
            ops.push(LayerChange::Add(new.clone()));
            match kept.iter().find(|(k, _)| *k == id) {
                Some((_, old)) if old == new => {}
                Some(_) => notes.push(("updated", id)),
                None => notes.push(("created", id)),
            }
        }
    }
    SyncPlan { ops, notes }
}

/// `change` of layer `id`, moving as the writer's change did when `motions` says how.
fn moved(change: LayerChange, id: &str, motions: &Map<String, Value>) -> LayerChange {
    match motions.get(id) {
        Some(m) => change.with_motion(m),
        None => change,
    }
}

/// The JSON merge patch (RFC 7386) that turns `old` into `new` (objects are diffed key by
/// key, anything else is replaced whole). A `null` inside `new` cannot be expressed (merge
/// patches remove keys set to `null`); layer documents do not keep them.
pub fn merge_diff(old: &Value, new: &Value) -> Value {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let mut patch = Map::new();
            for k in o.keys().filter(|k| !n.contains_key(*k)) {
                patch.insert(k.clone(), Value::Null);
            }
            for (k, nv) in n {
                match o.get(k) {
                    Some(ov) if ov == nv => {}
                    Some(ov @ Value::Object(_)) if nv.is_object() => {
                        patch.insert(k.clone(), merge_diff(ov, nv));
                    }
                    _ => {
                        patch.insert(k.clone(), nv.clone());
                    }
                }
            }
            Value::Object(patch)
        }
        _ => new.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{LoadOptions, Scene, merge_patch};
    use serde_json::json;

    fn l(id: &str, x: i64) -> Value {
        json!({"id": id, "type": "rect", "x": x})
    }

    #[test]
    fn ops_replay_a_change_onto_another_list() {
        let old = [l("a", 0), l("b", 0), l("c", 0)];
        let new = [l("a", 5), l("c", 0), l("d", 0)];
        let ops = list_ops(&old, &new);
        assert_eq!(
            ops,
            [
                ("b".to_string(), None),
                ("a".to_string(), Some(l("a", 5))),
                ("d".to_string(), Some(l("d", 0)))
            ]
        );
        assert_eq!(apply_list_ops(&old, &ops), new);
        // Onto a list another server changed meanwhile (c moved, e added): both kept.
        let theirs = [l("a", 0), l("c", 9), l("e", 0)];
        assert_eq!(
            apply_list_ops(&theirs, &ops),
            [l("a", 5), l("c", 9), l("e", 0), l("d", 0)]
        );
        assert!(list_ops(&new, &new).is_empty());
    }

    fn scene(layers: Value) -> Scene {
        Scene::from_value(
            json!({"width": 64, "height": 64, "layers": layers}),
            &LoadOptions::default(),
        )
        .unwrap()
    }

    fn rect(id: &str, x: i64) -> Value {
        json!({"id": id, "type": "rect", "x": x, "width": 4, "height": 4, "color": "#ff0000"})
    }

    /// Applies the plan to `from` and returns the layer documents after.
    fn run(from: &Scene, target: &Value) -> (Vec<Value>, SyncPlan) {
        let mut s = from.clone();
        let plan = sync_plan(&s.layers, target.as_array().unwrap(), &Map::new());
        for op in plan.ops.clone() {
            s.apply(op, 0.0).unwrap();
        }
        (s.layers.iter().map(|l| l.to_value()).collect(), plan)
    }

    #[test]
    fn merge_diff_turns_old_into_new() {
        let old = json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2], "f": "x"});
        let new = json!({"a": 1, "b": {"c": 5}, "e": [1], "g": true});
        let patch = merge_diff(&old, &new);
        assert_eq!(
            patch,
            json!({"f": null, "b": {"d": null, "c": 5}, "e": [1], "g": true})
        );
        let mut t = old.clone();
        merge_patch(&mut t, &patch);
        assert_eq!(t, new);
    }

    #[test]
    fn sync_plan_removes_patches_and_adds_in_one_batch() {
        let from = scene(json!([rect("a", 0), rect("b", 0), rect("c", 0)]));
        let mut b = rect("b", 9);
        b.as_object_mut().unwrap().remove("color");
        let target = json!([rect("a", 0), b, rect("d", 1)]);
        let (after, plan) = run(&from, &target);
        assert_eq!(Value::Array(after), target);
        assert_eq!(
            plan.notes,
            [
                ("deleted", "c".to_string()),
                ("updated", "b".to_string()),
                ("created", "d".to_string())
            ]
        );
        assert_eq!(plan.ops.len(), 3, "a is left alone");
        // Nothing to do when equal.
        let (_, plan) = run(&from, &json!([rect("a", 0), rect("b", 0), rect("c", 0)]));
        assert!(plan.ops.is_empty() && plan.notes.is_empty());
    }

    #[test]
    fn sync_plan_rebuilds_when_the_order_differs() {
        let from = scene(json!([rect("a", 0), rect("b", 0)]));
        let target = json!([rect("n", 0), rect("b", 0), rect("a", 3)]);
        let (after, plan) = run(&from, &target);
        assert_eq!(Value::Array(after), target);
        assert_eq!(
            plan.notes,
            [("created", "n".to_string()), ("updated", "a".to_string())]
        );
    }

    #[test]
    fn sync_plan_moves_layers_as_the_writer_did() {
        let from = scene(json!([rect("a", 0), rect("b", 0), rect("c", 0)]));
        let target = json!([rect("a", 30), rect("b", 5)]);
        let motions = json!({
            "a": {"transition": {"duration": 2, "easing": "ease-in"}},
            "c": {"fade": 0.5},
        });
        let plan = sync_plan(
            &from.layers,
            target.as_array().unwrap(),
            motions.as_object().unwrap(),
        );
        assert_eq!(
            plan.ops,
            [
                LayerChange::remove("c", Some(0.5)).unwrap(),
                LayerChange::patch(
                    "a",
                    json!({"x": 30}),
                    Some(&json!({"duration": 2, "easing": "ease-in"}))
                )
                .unwrap(),
                LayerChange::patch("b", json!({"x": 5}), None).unwrap(),
            ]
        );
    }
}
