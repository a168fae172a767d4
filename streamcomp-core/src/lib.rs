//! # streamcomp-core
//!
//! The library behind streamcomp: a real-time video compositor. A [`Scene`] (parsed and
//! validated from JSON) holds layers — shapes, text, images, audio — and a [`Compositor`] turns
//! it into [`Frame`]s at explicit scene times, reusing everything that did not change.
//!
//! ## Quick start
//!
//! ```
//! use streamcomp_core::{AssetResolver, Compositor, CompositorOptions, LoadOptions, Scene};
//!
//! let scene = Scene::from_json(
//!     r##"{"width": 320, "height": 180, "background": "#101820", "layers": [
//!         {"id": "bar", "type": "rect", "x": 0, "y": 140, "width": 320, "height": 40,
//!          "color": "#e63946", "animations": [{"property": "opacity", "from": 0, "to": 1, "duration": 1}]}
//!     ]}"##,
//!     &LoadOptions::default(),
//! )?;
//! let mut comp = Compositor::new(CompositorOptions::default(), AssetResolver::default());
//! let frame = comp.render(&scene, 1.0)?;              // scene time in seconds
//! assert_eq!(frame.pixel(10, 150), [0xe6, 0x39, 0x46, 255]);
//! assert_eq!(frame.pixel(10, 10), [0x10, 0x18, 0x20, 255]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Bad input is refused with every problem and its JSON path:
//!
//! ```
//! # use streamcomp_core::{LoadOptions, Scene};
//! let err = Scene::from_json(r#"{"width": 320, "height": 180, "layers": [
//!     {"type": "rect", "width": 10, "height": 10, "opacity": 1.5}]}"#, &LoadOptions::default())
//!     .unwrap_err();
//! assert_eq!(err.to_string(), "layers[0].opacity: must be between 0 and 1, got 1.5");
//! ```
//!
//! ## Map
//!
//! The names at the top are the ones most programs need; the rest live in a module of their
//! own.
//!
//! - [`Scene`], [`Layer`], [`LayerChange`], [`LoadOptions`]: the model, validation, live
//!   changes; every other type of the scene format (colours, animations, layer kinds, errors,
//!   layer-list diffs) is in [`scene`].
//! - [`AssetResolver`], [`Limits`], [`RemotePolicy`]: where assets come from and what they may
//!   cost.
//! - [`Compositor`], [`CompositorOptions`], [`Quality`]: rendering.
//! - [`Frame`], [`YuvFrame`]: pictures, I420 conversion, PNG; [`scale`]: a picture that changes
//!   every frame (a video frame) cropped, scaled into a box and composed.
//! - [`Mixer`]: audio layers decoded, resampled to 48 kHz and mixed, sample-exact per video
//!   frame.
//! - [`encode`]: codecs, encoders and [`EncoderContext`](encode::EncoderContext), the encode
//!   stage (video and audio on one timeline) as `send_frame` / `receive_packet` / `finish`.
//! - [`output`]: files by extension and RTMP/RTMPS publishing.
//! - [`SceneSession`]: a scene and its compositor for embedding (what the Python and Node
//!   bindings wrap); [`render_to_file`] with [`RenderOptions`]; [`live`]: real-time streams
//!   and their handles. `RenderOptions::from_value` and `LiveOptions::from_value` read options
//!   given as JSON objects.
//! - [`Error`], [`ErrorKind`]: one error type with a stable kind and a JSON path for front ends
//!   to map.
//! - [`settings`]: the settings of renders and streams with their ranges, one table every
//!   front end reads.
//! - [`bench`](mod@bench): the throughput measurement behind `streamcomp bench`.

mod assets;
mod audio;
pub mod bench;
pub mod encode;
mod error;
mod frame;
pub mod input;
mod limits;
pub mod media;
mod mux;
pub mod output;
mod pipeline;
mod render;
pub mod scene;
pub mod settings;

pub use assets::{AssetResolver, DecodedImage, ImageFrame, RemotePolicy};
pub use audio::Mixer;
pub use error::{AssetError, Error, ErrorKind, RenderError, Result};
pub use frame::{Frame, YuvFrame, scale};
pub use limits::Limits;
pub use pipeline::{Progress, RenderOptions, RenderSummary, SceneSession, render_to_file};
/// The fault injector of this crate's tests (cargo feature `test-hooks`; not API).
#[cfg(feature = "test-hooks")]
#[doc(hidden)]
pub use render::test_hook;
pub use render::{
    Bounds, Compositor, CompositorOptions, CompositorStats, LayerFailure, LayerTime, Quality,
};
pub use scene::{Layer, LayerChange, LoadOptions, Scene};

/// The pixel kernels at a chosen SIMD level, for the benchmarks (not API).
#[doc(hidden)]
pub mod kernels {
    pub use crate::render::blend::{Simd, blend_row_at};
}

/// Live streams: [`LiveStream`](live::LiveStream) renders, encodes and publishes in real time;
/// its [`LiveHandle`](live::LiveHandle) changes the scene from any thread and reads status
/// and events.
pub mod live {
    pub use crate::pipeline::{
        Event, LayerView, LiveHandle, LiveOptions, LiveStream, OutputStatus, Status, StreamState,
    };
}

/// The version of this crate.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
