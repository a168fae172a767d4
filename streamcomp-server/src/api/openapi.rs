//! `GET /openapi.json`: the API's OpenAPI 3 description, written by hand next to this file.

use axum::http::header;
use axum::response::IntoResponse;

/// The document.
const OPENAPI: &str = include_str!("openapi.json");

/// Serves it.
pub(crate) async fn get() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}
