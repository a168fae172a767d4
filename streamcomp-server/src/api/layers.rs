//! `/stream/layers` and `/stream/layers/{id}`: list, read, create, update (JSON merge patch,
//! optional `transition`) and delete (optional `?fade=SECONDS`). Every layer returned carries
//! its computed `bounds`.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Value, json};
use streamcomp_core::LayerChange;
use streamcomp_core::media::MediaAction;

use super::batch::fade;
use super::query_param;
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::state::AppState;

/// `GET /stream/layers`: every layer, bottom to top.
pub(crate) async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(Value::Array(state.run(|s| s.layers()).await?)))
}

/// `GET /stream/layers/{id}`.
pub(crate) async fn get_one(
    State(state): State<AppState>,
    ApiPath(id): ApiPath,
) -> Result<Json<Value>, ApiError> {
    let layers = state.run(|s| s.layers()).await?;
    layers
        .into_iter()
        .find(|l| l["id"] == id.as_str())
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no layer with id `{id}`")).at("id"))
}

/// `POST /stream/layers`: 201 with the stored layer.
pub(crate) async fn create(
    State(state): State<AppState>,
    ApiJson(layer): ApiJson,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    object(&layer)?;
    let layer = one(&state, LayerChange::Add(layer)).await?;
    Ok((StatusCode::CREATED, Json(layer)))
}

/// `PUT /stream/layers/{id}`: the body is merged into the layer.
pub(crate) async fn update(
    State(state): State<AppState>,
    ApiPath(id): ApiPath,
    ApiJson(patch): ApiJson,
) -> Result<Json<Value>, ApiError> {
    object(&patch)?;
    let change = LayerChange::Patch {
        id,
        patch,
        transition: None,
    };
    Ok(Json(one(&state, change).await?))
}

/// `POST /stream/layers/{id}/media`: a media action on a video layer (`{"action": "seek",
/// "t": 5.0}`, `pause`, `resume`, `next`, `{"action": "queue", "item": {"src": …}}`); the
/// layer as it then is, with its `media` status.
pub(crate) async fn media(
    State(state): State<AppState>,
    ApiPath(id): ApiPath,
    ApiJson(body): ApiJson,
) -> Result<Json<Value>, ApiError> {
    let action = MediaAction::from_value(&body)?;
    Ok(Json(state.run(move |s| s.media(&id, &action)).await?))
}

/// `DELETE /stream/layers/{id}?fade=SECONDS`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    ApiPath(id): ApiPath,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let fade = match query_param(query.as_deref(), "fade") {
        Some(v) => fade(Some(v.parse().unwrap_or(f64::NAN)), "fade")?,
        None => None,
    };
    let secs = fade.map_or(0.0, |d| d.as_secs_f64());
    one(
        &state,
        LayerChange::Remove {
            id: id.clone(),
            fade,
        },
    )
    .await?;
    Ok(Json(json!({"id": id, "deleted": true, "fade": secs})))
}

fn object(v: &Value) -> Result<(), ApiError> {
    if v.is_object() {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "",
            "the body must be a JSON object (a layer)",
        ))
    }
}

async fn one(state: &AppState, change: LayerChange) -> Result<Value, ApiError> {
    let id = match &change {
        LayerChange::Remove { id, .. } => json!({"id": id}),
        _ => Value::Null,
    };
    Ok(state
        .run(move |s| s.apply(vec![change]))
        .await?
        .pop()
        .flatten()
        .unwrap_or(id))
}
