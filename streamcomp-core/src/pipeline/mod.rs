//! Pipelines over the compositor, encoders and outputs. [`render_to_file`] renders a scene
//! as fast as the machine allows; [`LiveStream`] runs one in real time, live.

mod json;
mod live;
mod options;
mod render;
mod session;

pub use live::{
    Event, LayerView, LiveHandle, LiveOptions, LiveStream, OutputStatus, Status, StreamState,
};

pub use render::{Progress, RenderOptions, RenderSummary, render_to_file};
pub use session::SceneSession;
