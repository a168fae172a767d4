//! The HTTP API, one file per resource. Handlers translate HTTP to [`AppState`] calls and
//! back; the work itself is the core's.
//!
//! [`AppState`]: crate::state::AppState

pub(crate) mod assets;
pub(crate) mod batch;
pub(crate) mod health;
pub(crate) mod hls;
pub(crate) mod inputs;
pub(crate) mod layers;
pub(crate) mod openapi;
pub(crate) mod preview;
pub(crate) mod stream;

/// The value of `name` in a raw query string (`a=1&b=2`), undecoded: for numbers.
pub(crate) fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}
