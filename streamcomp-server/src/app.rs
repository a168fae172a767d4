//! The routers: [`app`] for `PORT` (API, panel, `/ws`, `/metrics`), [`ws_app`] for `WS_PORT`
//! and [`metrics_app`] for `METRICS_PORT`.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state, map_response};
use axum::routing::{get, post, put};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;

use crate::api::{assets, batch, health, hls, inputs, layers, openapi, preview, stream};
use crate::error::{ApiError, json_413};
use crate::state::AppState;
use crate::{auth, metrics, panel, ws};

/// Largest JSON body (layers may carry `data:` images).
pub(crate) const MAX_JSON_BYTES: usize = 4 << 20;

/// Everything served on `PORT`.
pub(crate) fn app(state: AppState) -> Router {
    let json_api = Router::new()
        .route("/stream/status", get(stream::status))
        .route("/stream/control", post(stream::control))
        .route("/stream/layers", get(layers::list).post(layers::create))
        .route("/stream/layers/batch", post(batch::apply))
        .route(
            "/stream/layers/{id}",
            get(layers::get_one)
                .put(layers::update)
                .delete(layers::delete),
        )
        .route("/stream/layers/{id}/media", post(layers::media))
        .route("/stream/inputs", get(inputs::list))
        .route(
            "/stream/inputs/{name}",
            put(inputs::put).delete(inputs::delete),
        )
        .route("/stream/preview.png", get(preview::png))
        .route("/stream/preview.mjpeg", get(preview::mjpeg))
        .route("/stream/hls/{name}", get(hls::get))
        .route("/openapi.json", get(openapi::get))
        .route("/metrics", get(metrics::render))
        .route("/ws", get(ws::upgrade))
        .layer(RequestBodyLimitLayer::new(MAX_JSON_BYTES));
    let uploads = Router::new()
        .route("/assets/{name}", put(assets::upload))
        .layer(RequestBodyLimitLayer::new(assets::MAX_ASSET_BYTES));
    Router::new()
        .merge(json_api)
        .merge(uploads)
        .merge(panel::routes())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .fallback(not_found)
        .layer(DefaultBodyLimit::disable())
        .layer(from_fn_with_state(state.clone(), auth::require_token))
        .layer(map_response(json_413))
        .layer(from_fn(metrics::track))
        .layer(CatchPanicLayer::custom(panic_response))
        .with_state(state)
}

/// A handler that panicked answers like any internal error: `internal error` and an id, the
/// panic message only in the log.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into());
    ApiError::internal("internal", format!("a request handler panicked: {message}")).into_response()
}

/// `WS_PORT`: the WebSocket at `/` and `/ws`.
pub(crate) fn ws_app(state: AppState) -> Router {
    Router::new()
        .route("/", get(ws::upgrade))
        .route("/ws", get(ws::upgrade))
        .fallback(not_found)
        .layer(from_fn_with_state(state.clone(), auth::require_token))
        .with_state(state)
}

/// `METRICS_PORT`: Prometheus text at `/metrics` (and `/`), open for scrapers.
pub(crate) fn metrics_app() -> Router {
    Router::new()
        .route("/metrics", get(metrics::render))
        .route("/", get(metrics::render))
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see /openapi.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_handler_answers_internal_error_without_the_message() {
        let res = panic_response(Box::new("line height cannot be 0"));
        assert_eq!(res.status(), axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    }
}
