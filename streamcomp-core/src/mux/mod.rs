//! Containers written from encoded packets: fragmented MP4, FLV, raw H.264 (Annex B), and Y4M
//! from raw frames. No sockets here.

pub(crate) mod flv;
mod nal;

pub(crate) use nal::{sps_pps, to_avcc};
