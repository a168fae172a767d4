//! Containers written from encoded packets: fragmented MP4, FLV (with Enhanced FLV tags for
//! AV1), IVF, raw H.264 (Annex B), and Y4M from raw frames. No sockets here.

pub(crate) mod flv;
mod interleave;
pub(crate) mod ivf;
mod nal;
pub(crate) mod obu;
mod stream_info;

pub(crate) use interleave::Interleaver;
pub(crate) use nal::{sps_pps, to_avcc};
pub use stream_info::StreamInfo;
