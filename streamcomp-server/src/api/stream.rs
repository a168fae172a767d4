//! `GET /stream/status` and `POST /stream/control` (start, stop, restart).

use axum::Json;
use axum::extract::State;
use serde_json::Value;

use crate::error::{ApiError, ApiJson};
use crate::state::{Action, AppState};

/// `GET /stream/status`.
pub(crate) async fn status(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.run(|s| Ok(s.status())).await?))
}

/// `POST /stream/control` with `{"action": "start"|"stop"|"restart", "url"?, "urls"?}`;
/// answers with the status after the action.
pub(crate) async fn control(
    State(state): State<AppState>,
    ApiJson(body): ApiJson,
) -> Result<Json<Value>, ApiError> {
    let (action, urls) = parse(&body)?;
    Ok(Json(state.run(move |s| s.control(action, urls)).await?))
}

fn parse(body: &Value) -> Result<(Action, Vec<String>), ApiError> {
    let o = body
        .as_object()
        .ok_or_else(|| ApiError::invalid("", "the body must be an object {\"action\": ...}"))?;
    if let Some(k) = o
        .keys()
        .find(|k| !["action", "url", "urls"].contains(&k.as_str()))
    {
        return Err(ApiError::invalid(k.clone(), "unknown field"));
    }
    let action = match o.get("action").and_then(Value::as_str) {
        Some("start") => Action::Start,
        Some("stop") => Action::Stop,
        Some("restart") => Action::Restart,
        _ => {
            return Err(ApiError::invalid(
                "action",
                "must be \"start\", \"stop\" or \"restart\"",
            ));
        }
    };
    let mut urls = Vec::new();
    match o.get("url") {
        None => {}
        Some(Value::String(u)) => urls.push(u.clone()),
        Some(_) => return Err(ApiError::invalid("url", "must be a string")),
    }
    match o.get("urls") {
        None => {}
        Some(Value::Array(a)) => {
            for (i, u) in a.iter().enumerate() {
                let u = u
                    .as_str()
                    .ok_or_else(|| ApiError::invalid(format!("urls[{i}]"), "must be a string"))?;
                urls.push(u.to_string());
            }
        }
        Some(_) => return Err(ApiError::invalid("urls", "must be an array of strings")),
    }
    if action == Action::Stop && !urls.is_empty() {
        return Err(ApiError::invalid("url", "`stop` takes no outputs"));
    }
    Ok((action, urls))
}
