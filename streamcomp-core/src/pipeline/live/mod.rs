//! The real-time pipeline: [`LiveStream`] renders frame N at N/fps on a monotonic clock,
//! encodes once, and fans the packets out to every output (RTMP/RTMPS publishers and files).
//! [`LiveHandle`] changes the scene from any thread; a change shows in the next frame rendered.
//!
//! Two threads: the render thread (compose with the compositor's banded workers, convert to
//! I420) and the encode thread (video + audio encoders, outputs). They share a small pool of
//! frames through bounded channels: when the encoder falls behind, the render thread finds no
//! free frame and drops that one (counted); when rendering falls behind the clock, the frames
//! whose time has passed are skipped (counted). Nothing queues without bound and timestamps
//! come from frame numbers, so they never drift.
//!
//! A panic while rendering is caught by the compositor: the layer at fault is found, disabled
//! and reported here, the compositor's caches are rebuilt (a worker restart, counted) and the
//! stream goes on.

mod events;
mod fanout;
mod handle;
mod options;
mod render_loop;
mod shared;
mod stream;

pub use events::{Event, LayerView, OutputStatus, Status, StreamState};
pub use handle::LiveHandle;
pub use options::LiveOptions;
pub use stream::LiveStream;
