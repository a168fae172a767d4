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
//! - [`Scene`], [`Layer`], [`LayerKind`], [`LayerChange`]: the model, validation, live changes.
//! - [`AssetResolver`], [`Limits`], [`RemotePolicy`]: where assets come from and what they may cost.
//! - [`Compositor`], [`CompositorOptions`], [`Quality`]: rendering.
//! - [`Frame`], [`YuvFrame`]: pictures, I420 conversion, PNG; [`scale`]: a picture that changes
//!   every frame (a video frame) cropped, scaled into a box and composed.
//! - [`Mixer`], [`frame_samples`]: audio layers decoded, resampled to 48 kHz and mixed, sample-exact
//!   per video frame.
//! - [`EncoderContext`]: the encode stage (video and audio encoders on one timeline) as
//!   `send_frame` / `receive_packet` / `finish`; [`StreamInfo`] describes its stream to outputs.
//! - [`Error`], [`ErrorKind`]: one error type with a stable kind for front ends to map.
//! - [`SceneSession`]: a scene and its compositor for embedding (what the Python and Node
//!   bindings wrap); [`RenderOptions::from_value`], [`LiveOptions::from_value`] read options
//!   given as JSON objects.
//! - [`settings`]: the settings of renders and streams with their ranges, one table every
//!   front end reads.
//! - [`bench_render`]: the throughput measurement behind `streamcomp bench`.

mod assets;
mod audio;
mod bench;
mod encode;
mod error;
mod frame;
mod limits;
mod mux;
mod output;
mod pipeline;
mod render;
mod scene;
pub mod settings;

pub use assets::{AssetResolver, DecodedImage, ImageFrame, RemotePolicy};
pub use audio::{Mixer, frame_samples};
pub use bench::{BenchOptions, BenchReport, Timing, bench_render, builtin_bench_scene};
pub use encode::{
    AUDIO_RATE, AudioCodec, AudioEncoder, AudioSettings, AudioSource, EncodeError, EncoderBackend,
    EncoderContext, FFMPEG_HWACCELS, FFMPEG_PRESETS, Packet, Track, VIDEO_TIMESCALE, VideoCodec,
    VideoEncoder, VideoSettings, new_audio_encoder, new_video_encoder,
};
pub use error::{AssetError, Error, ErrorKind, RenderError, Result};
pub use frame::{Frame, YuvFrame, scale};
pub use limits::Limits;
pub use mux::StreamInfo;
/// The RTMP session parser's entry point for `fuzz/` (cargo feature `fuzzing`; not API).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use output::rtmp_fuzzing;
pub use output::{
    Backoff, FileFormat, FileOutput, Output, OutputError, OutputTarget, RTMP_CA_FILE, RTMP_PORT,
    RTMPS_PORT, RtmpEvent, RtmpOptions, RtmpOutput, RtmpState, RtmpStats, RtmpStatsHandle,
    RtmpStreamInfo, RtmpUrl, RtmpUrlError, SSL_CERT_DIR, SSL_CERT_FILE, check_ca_file,
};
pub use pipeline::{
    Event, LayerView, LiveHandle, LiveOptions, LiveStream, OutputStatus, Progress, RenderOptions,
    RenderSummary, SceneSession, Status, StreamState, render_to_file,
};
/// The fault injector of this crate's tests (cargo feature `test-hooks`; not API).
#[cfg(feature = "test-hooks")]
#[doc(hidden)]
pub use render::test_hook;
pub use render::{Bounds, Compositor, CompositorOptions, CompositorStats, LayerFailure, Quality};
pub use scene::diff;
pub use scene::{
    ActiveTransition, Animation, AudioProps, BlendMode, Border, Color, ColorParseError, Easing,
    EasingParseError, EllipseProps, FadeOut, Fit, FontSpec, ImageProps, Issue, Layer, LayerChange,
    LayerId, LayerKind, LoadOptions, Outline, Property, RectProps, Sampled, Scene, SceneError,
    SceneErrorReason, SceneFileError, Shadow, Template, TemplateClock, TextAlign, TextBackground,
    TextProps, Transition, merge_patch,
};

/// The version of this crate.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
