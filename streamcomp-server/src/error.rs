//! The API's one error type: [`ApiError`] becomes `{"error": {"code", "message", "path"}}`
//! with the status SPEC section 5 gives; core errors are mapped once, here, by their
//! [`ErrorKind`](streamcomp_core::ErrorKind). [`ApiJson`] is our JSON body extractor, so that
//! malformed JSON and oversized bodies answer in the same format.

use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};
use streamcomp_core::{Error, ErrorKind, scene::SceneError};

/// An error answer: status, stable code, message and the JSON path of the bad value.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable, machine-readable code (`invalid`, `not_found`, …).
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
    /// JSON path of the bad value (empty when none).
    pub path: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            path: String::new(),
        }
    }

    /// Sets the JSON path.
    pub(crate) fn at(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// 400: the request cannot be read (not JSON, wrong shape).
    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "malformed", message)
    }

    /// 422: a value is not acceptable.
    pub(crate) fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message).at(path)
    }

    /// 404.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 409.
    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 413.
    pub(crate) fn too_large(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }

    /// 401.
    pub(crate) fn unauthorized() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid `Authorization: Bearer TOKEN` header is required",
        )
    }

    /// 500 for our own failures (the store, a task, a panic). What went wrong goes to the log
    /// with an id; the client gets `internal error` and the id only, never the details (a
    /// panic message or a path).
    pub(crate) fn internal(code: &'static str, detail: impl std::fmt::Display) -> Self {
        let id = error_id();
        tracing::error!(error_id = %id, code, "internal error: {detail}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            code,
            format!("internal error (id {id}; the server log has the details)"),
        )
    }

    /// 503: not available yet.
    pub(crate) fn unavailable(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// The body as a JSON value (also sent over the WebSocket).
    pub(crate) fn body(&self) -> Value {
        json!({"error": {"code": self.code, "message": self.message, "path": self.path}})
    }
}

/// A short id that ties a 500 to its log line: random per process, then counting.
fn error_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static BASE: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let base = *BASE.get_or_init(|| {
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
    });
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{:012x}", base.wrapping_add(n) & 0xffff_ffff_ffff)
}

impl From<SceneError> for ApiError {
    fn from(e: SceneError) -> Self {
        Error::from(e).into()
    }
}

/// The one mapping of core errors: status and code from [`Error::kind`], the path from
/// [`Error::path`], the message on one line (a scene error's problems joined by `; `).
impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let (status, code) = match e.kind() {
            ErrorKind::Invalid => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ErrorKind::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ErrorKind::Conflict => (StatusCode::CONFLICT, "duplicate"),
            ErrorKind::Full => (StatusCode::CONFLICT, "layer_limit"),
            ErrorKind::Limit => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ErrorKind::Unsupported => (StatusCode::NOT_IMPLEMENTED, "unsupported"),
            ErrorKind::Network => (StatusCode::BAD_GATEWAY, "network"),
            ErrorKind::Io => return ApiError::internal("io", error_detail(&e)),
            _ => return ApiError::internal("internal", error_detail(&e)),
        };
        let message = e.to_string().replace('\n', "; ");
        ApiError::new(status, code, message).at(e.path())
    }
}

/// An error with what the core keeps for logs (a panic message) added.
fn error_detail(e: &Error) -> String {
    match e {
        Error::Render(
            streamcomp_core::RenderError::Panicked { message }
            | streamcomp_core::RenderError::LayerPanicked { message, .. },
        ) => format!("{e}: {message}"),
        _ => e.to_string(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, axum::Json(self.body())).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large("the request body is larger than this endpoint accepts")
        } else {
            ApiError::malformed(format!("cannot read the request body: {r}"))
        }
    }
}

/// Reads a body fully (size-limited by the router's layers) as bytes, in our error format.
pub(crate) struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(RawBody(Bytes::from_request(req, state).await?))
    }
}

/// A JSON body as a [`Value`]: malformed JSON is a 400 and an oversized body a 413, both in
/// the API's error format. The shape is checked by the handlers (422 with a path).
pub(crate) struct ApiJson(pub Value);

impl<S: Send + Sync> FromRequest<S> for ApiJson {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|e| ApiError::malformed(format!("the body is not valid JSON: {e}")).at(""))
    }
}

/// One path parameter (`{id}`, `{name}`), with undecodable input answered in our format.
pub(crate) struct ApiPath(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ApiPath {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e| ApiError::malformed(format!("bad path parameter: {e}")))
    }
}

/// Rewrites a bare 413 (from the body-limit layer, which answers before any handler) into the
/// API's error format.
pub(crate) async fn json_413(res: Response) -> Response {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json {
        return ApiError::too_large("the request body is larger than this endpoint accepts")
            .into_response();
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use streamcomp_core::{LayerChange, LoadOptions, Scene};

    fn scene_error(change: LayerChange) -> ApiError {
        let mut s = Scene::from_value(
            json!({"width": 32, "height": 32, "layers": [{"id": "a", "type": "rect", "width": 1, "height": 1}]}),
            &LoadOptions::default().with_max_layers(1),
        )
        .unwrap();
        s.apply(change, 0.0).unwrap_err().into()
    }

    #[test]
    fn internal_errors_show_an_id_and_no_details() {
        let e = ApiError::internal(
            "task",
            "task 12 panicked with message \"line height cannot be 0\" at /root/.cargo/x.rs",
        );
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        let m = e.body()["error"]["message"].as_str().unwrap().to_string();
        assert!(m.starts_with("internal error (id "), "{m}");
        assert!(!m.contains("panicked") && !m.contains("/root"), "{m}");
        let other = ApiError::internal("task", "x").message;
        assert_ne!(m, other, "each 500 has its own id");
        let core: ApiError = Error::Render(streamcomp_core::RenderError::Panicked {
            message: "secret".into(),
        })
        .into();
        assert_eq!(core.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!core.message.contains("secret"), "{}", core.message);
    }

    #[test]
    fn scene_errors_map_to_spec_statuses() {
        let dup = scene_error(LayerChange::Add(
            json!({"id": "a", "type": "rect", "width": 1, "height": 1}),
        ));
        assert_eq!(dup.status, StatusCode::CONFLICT);
        let limit = scene_error(LayerChange::Add(
            json!({"type": "rect", "width": 1, "height": 1}),
        ));
        assert_eq!(
            (limit.status, limit.code),
            (StatusCode::CONFLICT, "layer_limit")
        );
        let missing = scene_error(LayerChange::Remove {
            id: "zz".into(),
            fade: None,
        });
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        let bad = scene_error(LayerChange::Patch {
            id: "a".into(),
            patch: json!({"opacity": 2}),
            transition: None,
        });
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.path, "opacity");
        assert_eq!(
            bad.body()["error"]["message"],
            "opacity: must be between 0 and 1, got 2"
        );
    }
}
