//! `API_TOKEN`: when set, every API and WebSocket call needs `Authorization: Bearer TOKEN`
//! (WebSocket upgrades may pass `?token=TOKEN` instead, as browsers cannot set headers there).
//! `/healthz`, `/readyz` and the panel's static page stay open; the panel asks for the token.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// Paths anyone may read.
const OPEN: [&str; 6] = [
    "/healthz",
    "/readyz",
    "/",
    "/panel/app.js",
    "/panel/style.css",
    "/panel/hls.light.min.js",
];

/// The middleware: lets the request through when no token is configured, the path is open, or
/// the request carries the token.
pub(crate) async fn require_token(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let Some(token) = state.config.api_token.as_deref() else {
        return next.run(req).await;
    };
    if OPEN.contains(&req.uri().path()) || presented(&req).is_some_and(|t| same(t, token)) {
        next.run(req).await
    } else {
        ApiError::unauthorized().into_response()
    }
}

/// The token the request carries: the bearer header, or `token=` in the query of a WebSocket
/// upgrade.
fn presented(req: &Request) -> Option<&str> {
    if let Some(h) = req.headers().get(header::AUTHORIZATION) {
        return h.to_str().ok()?.strip_prefix("Bearer ").map(str::trim);
    }
    let is_upgrade = req
        .headers()
        .get(header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    if !is_upgrade {
        return None;
    }
    req.uri()
        .query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
