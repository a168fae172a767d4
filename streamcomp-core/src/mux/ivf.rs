//! IVF, the simple container of AV1, VP8 and VP9 test streams: a 32-byte file header (`DKIF`,
//! codec FourCC, size, time base, frame count) and a 12-byte header before every frame (size
//! and a 64-bit timestamp in time-base units). All numbers little-endian. Written here rather
//! than with the `ivf` crate, which panics on I/O errors. [`IvfFile`] is the muxer.

use super::fps_fraction;
use super::muxer::{Muxer, Patch};
use crate::encode::{Packet, Track, VIDEO_TIMESCALE, VideoCodec};
use crate::output::OutputError;

/// Where the frame count sits in the file header (patched when the file is finished).
pub(crate) const FRAME_COUNT_OFFSET: u64 = 24;

/// The FourCC IVF uses for a codec, or `None` for codecs IVF does not carry.
pub(crate) fn fourcc(codec: VideoCodec) -> Option<[u8; 4]> {
    match codec {
        VideoCodec::Av1 => Some(*b"AV01"),
        VideoCodec::Vp8 => Some(*b"VP80"),
        VideoCodec::Vp9 => Some(*b"VP90"),
        VideoCodec::H264 => None,
    }
}

/// The 32-byte file header. The time base is `fps_den / fps_num` seconds (one tick a frame).
pub(crate) fn file_header(
    fourcc: [u8; 4],
    width: u32,
    height: u32,
    (fps_num, fps_den): (u32, u32),
    frames: u32,
) -> [u8; 32] {
    let mut h = [0u8; 32];
    h[0..4].copy_from_slice(b"DKIF");
    h[4..6].copy_from_slice(&0u16.to_le_bytes()); // version
    h[6..8].copy_from_slice(&32u16.to_le_bytes()); // header size
    h[8..12].copy_from_slice(&fourcc);
    h[12..14].copy_from_slice(&(width.min(u16::MAX as u32) as u16).to_le_bytes());
    h[14..16].copy_from_slice(&(height.min(u16::MAX as u32) as u16).to_le_bytes());
    h[16..20].copy_from_slice(&fps_num.to_le_bytes()); // time base denominator (rate)
    h[20..24].copy_from_slice(&fps_den.to_le_bytes()); // time base numerator (scale)
    h[24..28].copy_from_slice(&frames.to_le_bytes());
    h
}

/// The 12-byte header before a frame of `size` bytes at `pts` (time-base units).
pub(crate) fn frame_header(size: u32, pts: u64) -> [u8; 12] {
    let mut h = [0u8; 12];
    h[0..4].copy_from_slice(&size.to_le_bytes());
    h[4..12].copy_from_slice(&pts.to_le_bytes());
    h
}

/// A [`VIDEO_TIMESCALE`] timestamp in frames of `fps_num / fps_den`, rounded.
pub(crate) fn pts_in_frames(pts: i64, (fps_num, fps_den): (u32, u32)) -> u64 {
    let ticks = pts.max(0) as u128 * fps_num as u128;
    let per = VIDEO_TIMESCALE as u128 * fps_den as u128;
    ((ticks + per / 2) / per) as u64
}

/// Writes an IVF file of a video track (audio packets are left out).
#[derive(Debug)]
pub(crate) struct IvfFile {
    fourcc: [u8; 4],
    size: (u32, u32),
    /// The time base of frame timestamps, as a frame rate `num / den`.
    fps: (u32, u32),
    frames: u32,
}

impl IvfFile {
    /// A file of `codec` frames of `width`×`height` at `fps`.
    pub(crate) fn new(
        codec: VideoCodec,
        width: u32,
        height: u32,
        fps: f64,
    ) -> Result<IvfFile, OutputError> {
        let Some(fourcc) = fourcc(codec) else {
            return Err(OutputError::Unsupported(format!(
                "a .ivf file cannot hold {codec} video (it holds AV1, VP8 or VP9)"
            )));
        };
        Ok(IvfFile {
            fourcc,
            size: (width, height),
            fps: fps_fraction(fps),
            frames: 0,
        })
    }
}

impl Muxer for IvfFile {
    fn header(&mut self, out: &mut Vec<u8>) -> Result<(), OutputError> {
        let (w, h) = self.size;
        out.extend(file_header(self.fourcc, w, h, self.fps, 0));
        Ok(())
    }

    fn packet(&mut self, p: &Packet, out: &mut Vec<u8>) -> Result<(), OutputError> {
        if p.track == Track::Video {
            let size = u32::try_from(p.data.len()).map_err(|_| {
                OutputError::Mux("a video packet is too large for IVF (4 GiB)".into())
            })?;
            out.extend(frame_header(size, pts_in_frames(p.pts, self.fps)));
            out.extend_from_slice(&p.data);
            self.frames = self.frames.saturating_add(1);
        }
        Ok(())
    }

    fn finish(&mut self, _out: &mut Vec<u8>) -> Result<Vec<Patch>, OutputError> {
        Ok(vec![Patch {
            at: FRAME_COUNT_OFFSET,
            bytes: self.frames.to_le_bytes().to_vec(),
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_laid_out_as_libvpx_writes_them() {
        let h = file_header(*b"AV01", 640, 360, (30, 1), 90);
        assert_eq!(&h[..4], b"DKIF");
        assert_eq!(&h[6..8], &[32, 0]);
        assert_eq!(&h[8..12], b"AV01");
        assert_eq!(&h[12..16], &[0x80, 2, 0x68, 1]);
        assert_eq!(&h[16..24], &[30, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(&h[24..28], &[90, 0, 0, 0]);
        assert_eq!(frame_header(5, 2), [5, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn timestamps_become_frame_numbers() {
        assert_eq!(pts_in_frames(0, (30, 1)), 0);
        assert_eq!(pts_in_frames(3000, (30, 1)), 1);
        assert_eq!(pts_in_frames(3003 * 7, (30000, 1001)), 7);
        assert_eq!(pts_in_frames(-5, (30, 1)), 0);
        assert_eq!(fourcc(VideoCodec::H264), None);
    }
}
