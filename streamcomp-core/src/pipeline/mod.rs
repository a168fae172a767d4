//! Pipelines over the compositor, encoders and outputs. [`render_to_file`] renders a scene
//! as fast as the machine allows; the real-time live pipeline will live here too.

mod render;

pub use render::{Progress, RenderOptions, RenderSummary, render_to_file};
