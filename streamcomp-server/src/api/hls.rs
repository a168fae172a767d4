//! `GET /stream/hls/{name}`: the stream's own HLS from memory (`HLS_MEMORY`), as the core's
//! HLS output keeps it: `index.m3u8` and its segments. The playlist is never cached; segments
//! never change once written.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use streamcomp_core::output::HlsMemory;

use crate::error::ApiError;
use crate::state::AppState;

/// `GET /stream/hls/{name}`.
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    if !state.config.hls_memory {
        return Err(ApiError::not_found(
            "the server keeps no HLS of its stream (HLS_MEMORY is off)",
        ));
    }
    let Some(bytes) = state.hls.get(&name) else {
        return Err(ApiError::not_found(if name == "index.m3u8" {
            "no HLS yet: the stream is not live (POST /stream/control {\"action\": \"start\"})"
                .to_string()
        } else {
            format!("no HLS file `{name}` (segments leave a while after the playlist's window)")
        }));
    };
    let cache = if name.ends_with(".m3u8") {
        "no-cache"
    } else {
        "max-age=3600"
    };
    Ok((
        [
            (header::CONTENT_TYPE, HlsMemory::content_type(&name)),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response())
}
