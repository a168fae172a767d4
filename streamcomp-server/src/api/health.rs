//! `GET /healthz` (the process answers) and `GET /readyz` (the stream is composing and the
//! store took the last save). Both are open even when `API_TOKEN` is set.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::state::AppState;

/// Liveness.
pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Readiness: 503 with the reasons when not ready.
pub(crate) async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let composing = !state.handle().is_stopped();
    let store = state.store_ok();
    let ok = composing && store;
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({"status": if ok { "ready" } else { "not ready" },
                      "composing": composing, "store": store});
    (code, Json(body))
}
