//! Core errors as JS `Error`s with `code` `"SceneError"` (scene, layers, options, files) or
//! `"StreamError"` (encoding, outputs, threads).

use napi::bindgen_prelude::JsError;
use napi::{Env, Status};

/// The `code` of a JS error thrown by this addon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// Bad scene, layer, option or file.
    Scene,
    /// Encoding or output failure.
    Stream,
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        match self {
            Code::Scene => "SceneError",
            Code::Stream => "StreamError",
        }
    }
}

/// A JS error with a streamcomp code.
pub type Error = napi::Error<Code>;

/// The result type of the addon's functions (napi-derive reads the name `Result`).
pub type Result<T> = std::result::Result<T, Error>;

/// A core error with its code.
pub(crate) fn core(e: streamcomp_core::Error) -> Error {
    let code = if e.is_scene() {
        Code::Scene
    } else {
        Code::Stream
    };
    Error::new(code, e.to_string())
}

/// A `SceneError` raised by the binding itself (a bad argument).
pub(crate) fn scene(path: &str, message: impl std::fmt::Display) -> Error {
    Error::new(Code::Scene, format!("{path}: {message}"))
}

/// A `StreamError` raised by the binding itself.
pub(crate) fn stream(message: impl std::fmt::Display) -> Error {
    Error::new(Code::Stream, message.to_string())
}

/// A napi failure (converting a value, creating a callback) as a `StreamError`: not the
/// caller's input, so not a `SceneError`.
pub(crate) fn napi(e: napi::Error) -> Error {
    Error::new(Code::Stream, e.reason.clone())
}

/// For promises: a coded error turned into a JS `Error` object now (on the JS thread) and
/// wrapped so that the promise rejects with that very object, `code` included.
pub(crate) fn reject(env: &Env, e: Error) -> napi::Error {
    let js = JsError::from(e).into_unknown(*env);
    let mut err = napi::Error::from(js);
    // Keep napi's default status for anything that inspects it on the Rust side.
    err.status = Status::GenericFailure;
    err
}
