//! Live inputs (SPEC §9): RTMP publishers pushing to our listener, RTMP streams we pull and SRT
//! streams, decoded on their own threads and shown by `input` layers on the stream's clock.
//!
//! Layout:
//! - `status.rs`: [`InputState`], [`InputStatus`], [`InputEvent`]: what the front ends report.
//! - `hub.rs`: [`InputHub`]: the inputs by name, following the scene's `inputs`.
//! - `feed.rs`: one input at run time: its tag queue, decode thread, pictures and sound.
//! - `clock.rs`: the input's timestamps mapped onto the stream clock (offset, jitter, drift).
//! - `listener.rs`: [`IngestServer`], the RTMP listener (tokio).
//! - `session.rs`: the server side of an RTMP publish, sans-IO.
//! - `pull.rs`: `srt` and `rtmp_pull` inputs read by `ffmpeg` into FLV on a pipe.
//! - `flv_reader.rs`: the FLV stream reader of that pipe.

mod clock;
pub(crate) mod feed;
#[cfg_attr(not(feature = "ffmpeg"), allow(dead_code))]
mod flv_reader;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod hub;
mod listener;
mod pull;
mod session;
mod status;

pub use hub::InputHub;
pub use listener::{IngestError, IngestOptions, IngestServer, PRE_PUBLISH_BYTES};
pub use status::{InputEvent, InputState, InputStatus};
