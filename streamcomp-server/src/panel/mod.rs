//! The web control panel at `/`: plain HTML, CSS and JavaScript compiled into the binary (no
//! build step). It talks to the same API and WebSocket as any client.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::state::AppState;

const INDEX: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("app.js");
const STYLE: &str = include_str!("style.css");
/// hls.js 1.7.4 (Apache-2.0, `vendor/hls.js-LICENSE`), the light build: plays the stream's own
/// HLS in the panel. Vendored so the panel needs no CDN.
const HLS_JS: &str = include_str!("vendor/hls.light.min.js");

/// `/`, `/panel/app.js`, `/panel/style.css`, `/panel/hls.light.min.js`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(|| async { page(INDEX, "text/html; charset=utf-8") }),
        )
        .route(
            "/panel/app.js",
            get(|| async { page(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/panel/style.css",
            get(|| async { page(STYLE, "text/css; charset=utf-8") }),
        )
        .route(
            "/panel/hls.light.min.js",
            get(|| async { page(HLS_JS, "text/javascript; charset=utf-8") }),
        )
}

fn page(body: &'static str, ctype: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, ctype),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}
