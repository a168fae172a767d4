//! Containers written from encoded packets, each behind the one [`Muxer`] interface:
//! fragmented MP4, MPEG-TS, FLV (with Enhanced FLV tags for AV1 and Opus; [`FlvStream`] makes the tags
//! the RTMP publisher sends too), IVF, raw H.264 (Annex B), and Y4M from raw frames. No files
//! or sockets here: muxers append bytes, outputs write them.

mod adts;
mod annexb;
pub(crate) mod flv;
mod flv_file;
mod flv_stream;
mod interleave;
pub(crate) mod ivf;
mod mp4;
mod muxer;
mod nal;
pub(crate) mod obu;
mod samples;
mod stream_info;
mod ts;
mod ts_packet;
mod ts_psi;
mod y4m;

pub(crate) use annexb::AnnexBFile;
pub(crate) use flv_file::FlvFile;
pub(crate) use flv_stream::FlvStream;
pub(crate) use interleave::Interleaver;
pub(crate) use ivf::IvfFile;
pub(crate) use mp4::Mp4File;
pub(crate) use muxer::{Muxer, Patch};
pub(crate) use nal::{sps_pps, to_avcc};
pub use stream_info::StreamInfo;
pub(crate) use ts::TsMuxer;
pub(crate) use ts_packet::TS_PACKET;
pub(crate) use y4m::Y4mFile;

/// A frame rate as a fraction (29.97 → 30000/1001).
pub(crate) fn fps_fraction(fps: f64) -> (u32, u32) {
    if (fps - fps.round()).abs() < 1e-6 {
        (fps.round() as u32, 1)
    } else if ((fps * 1.001) - (fps * 1.001).round()).abs() < 1e-3 {
        ((fps * 1.001).round() as u32 * 1000, 1001)
    } else {
        ((fps * 1000.0).round() as u32, 1000)
    }
}
