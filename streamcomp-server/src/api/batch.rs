//! `POST /stream/layers/batch`: several creates, updates and deletes applied together, in one
//! frame, or none of them. Also reads the same operations for WebSocket commands.

use std::time::Duration;

use axum::extract::State;
use serde_json::{Map, Value, json};
use streamcomp_core::{LayerChange, scene::Transition, settings};

use crate::error::{ApiError, ApiJson};
use crate::state::AppState;

/// Most operations in one batch.
const MAX_OPS: usize = 1000;

/// `{"ops": [...]}` → `{"results": [layer or null, ...]}`.
pub(crate) async fn apply(
    State(state): State<AppState>,
    ApiJson(body): ApiJson,
) -> Result<axum::Json<Value>, ApiError> {
    let ops = parse(&body)?;
    let results = state.run(move |s| s.apply(ops)).await?;
    Ok(axum::Json(json!({"results": results})))
}

fn parse(body: &Value) -> Result<Vec<LayerChange>, ApiError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ApiError::invalid("", "the body must be an object {\"ops\": [...]}"))?;
    if let Some(k) = obj.keys().find(|k| *k != "ops") {
        return Err(ApiError::invalid(k.clone(), "unknown field"));
    }
    let ops = obj
        .get("ops")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::invalid("ops", "must be an array of operations"))?;
    if ops.is_empty() || ops.len() > MAX_OPS {
        return Err(ApiError::invalid(
            "ops",
            format!("must hold 1 to {MAX_OPS} operations, got {}", ops.len()),
        ));
    }
    ops.iter()
        .enumerate()
        .map(|(i, op)| {
            let prefix = format!("ops[{i}].");
            let o = op
                .as_object()
                .ok_or_else(|| ApiError::invalid(format!("ops[{i}]"), "must be an object"))?;
            if let Some(k) = o
                .keys()
                .find(|k| !["op", "id", "layer", "transition", "fade"].contains(&k.as_str()))
            {
                return Err(ApiError::invalid(format!("{prefix}{k}"), "unknown field"));
            }
            let name = o.get("op").and_then(Value::as_str).unwrap_or_default();
            change_from(name, o, &prefix, "op")
        })
        .collect()
}

/// One operation (`create`, `update` or `delete`) from its fields `id`, `layer`, `transition`
/// and `fade`. Error paths start with `prefix`; `op_field` names the field holding `op`.
pub(crate) fn change_from(
    op: &str,
    o: &Map<String, Value>,
    prefix: &str,
    op_field: &str,
) -> Result<LayerChange, ApiError> {
    let id = match o.get("id") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ApiError::invalid(format!("{prefix}id"), "must be a string")),
    };
    let need_id = || {
        id.clone()
            .ok_or_else(|| ApiError::invalid(format!("{prefix}id"), "is required"))
    };
    let layer = match o.get("layer") {
        None => None,
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(_) => {
            return Err(ApiError::invalid(
                format!("{prefix}layer"),
                "must be an object",
            ));
        }
    };
    let need_layer = || {
        layer
            .clone()
            .ok_or_else(|| ApiError::invalid(format!("{prefix}layer"), "is required"))
    };
    let only = |allowed: &[&str]| match ["transition", "fade"]
        .into_iter()
        .find(|k| o.contains_key(*k) && !allowed.contains(k))
    {
        Some(k) => Err(ApiError::invalid(
            format!("{prefix}{k}"),
            format!("not allowed with `{op}`"),
        )),
        None => Ok(()),
    };
    match op {
        "create" => {
            only(&[])?;
            let mut layer = need_layer()?;
            if let Some(id) = id {
                match layer.get("id") {
                    Some(Value::String(l)) if *l != id => {
                        return Err(ApiError::invalid(
                            format!("{prefix}layer.id"),
                            "differs from `id`",
                        ));
                    }
                    _ => layer["id"] = Value::String(id),
                }
            }
            Ok(LayerChange::Add(layer))
        }
        "update" => {
            only(&["transition"])?;
            let transition = o
                .get("transition")
                .map(Transition::from_value)
                .transpose()
                .map_err(|e| {
                    let a = ApiError::from(e);
                    let path = format!("{prefix}{}", a.path);
                    a.at(path)
                })?;
            Ok(LayerChange::Patch {
                id: need_id()?,
                patch: need_layer()?,
                transition,
            })
        }
        "delete" => {
            only(&["fade"])?;
            let fade = o
                .get("fade")
                .map(|v| fade(v.as_f64(), &format!("{prefix}fade")))
                .transpose()?
                .flatten();
            Ok(LayerChange::Remove {
                id: need_id()?,
                fade,
            })
        }
        _ => Err(ApiError::invalid(
            format!("{prefix}{op_field}"),
            "must be \"create\", \"update\" or \"delete\"",
        )),
    }
}

/// A fade-out time in the range of the core's settings table (`settings::FADE`: 0, at once,
/// or 0.001 to 3600 seconds). `None`: the value is not a number.
pub(crate) fn fade(secs: Option<f64>, path: &str) -> Result<Option<Duration>, ApiError> {
    let secs = secs.ok_or_else(|| ApiError::invalid(path, "must be a number of seconds"))?;
    let secs = settings::FADE
        .check(secs)
        .map_err(|m| ApiError::invalid(path, m))?;
    Ok((secs > 0.0).then(|| Duration::from_secs_f64(secs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_operation() {
        let e = parse(&json!({"ops": [{"op": "create", "layer": {}}, {"op": "zap"}]})).unwrap_err();
        assert_eq!(e.path, "ops[1].op");
        let e = parse(&json!({"ops": [{"op": "delete", "id": "a", "fade": -1}]})).unwrap_err();
        assert_eq!(e.path, "ops[0].fade");
        let e = parse(&json!({"ops": [{"op": "update", "id": "a", "layer": {}, "transition": {"duration": "x"}}]}))
            .unwrap_err();
        assert!(e.path.starts_with("ops[0].transition"), "{}", e.path);
        let e = parse(&json!({"ops": []})).unwrap_err();
        assert_eq!(e.path, "ops");
    }

    #[test]
    fn create_takes_the_id_field() {
        let ops = parse(&json!({"ops": [{"op": "create", "id": "t", "layer": {"type": "rect"}}]}))
            .unwrap();
        assert_eq!(ops[0], LayerChange::Add(json!({"type": "rect", "id": "t"})));
    }
}
