//! Node.js binding of streamcomp (napi-rs), loaded by `index.js` as `streamcomp.*.node`.
//!
//! It only translates: JS objects pass through as `serde_json::Value` to
//! [`streamcomp_core::SceneSession`], the option readers (`RenderOptions::from_value`,
//! `LiveOptions::from_value`), `render_to_file` and `LiveStream`; errors become JS `Error`s
//! whose `code` is `"SceneError"` or `"StreamError"`. Long work (PNG files, video files,
//! starting and stopping streams) runs on libuv's thread pool, never on the JS thread.
//! Progress and events reach JS through thread-safe functions; a `null` call marks the end, so
//! the JS wrapper (`index.js`) can settle its promises after the last callback.

pub mod error;
pub mod options;
pub mod render;
pub mod scene;
pub mod stream;

/// The version of streamcomp-core this addon was built with.
#[napi_derive::napi]
pub fn core_version() -> &'static str {
    streamcomp_core::VERSION
}
