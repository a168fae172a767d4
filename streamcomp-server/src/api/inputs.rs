//! `/stream/inputs` and `/stream/inputs/{name}`: the scene's live inputs (SPEC §9): their
//! status and the RTMP listener's counters, an input added or replaced (`PUT`, the body as in
//! the scene's `inputs`), an input removed (`DELETE`; refused while a layer shows it). Statuses
//! never show keys or passphrases.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::Value;

use crate::error::{ApiError, ApiJson, ApiPath};
use crate::state::AppState;

/// `GET /stream/inputs`: `{"inputs": [status…], "listener": {…} | null}`.
pub(crate) async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.run(|s| Ok(s.inputs_json())).await?))
}

/// `PUT /stream/inputs/{name}`: adds or replaces the input; answers with its status.
pub(crate) async fn put(
    State(state): State<AppState>,
    ApiPath(name): ApiPath,
    ApiJson(doc): ApiJson,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.run(move |s| s.set_input(&name, &doc)).await?))
}

/// `DELETE /stream/inputs/{name}`: 204.
pub(crate) async fn delete(
    State(state): State<AppState>,
    ApiPath(name): ApiPath,
) -> Result<StatusCode, ApiError> {
    state.run(move |s| s.remove_input(&name)).await?;
    Ok(StatusCode::NO_CONTENT)
}
