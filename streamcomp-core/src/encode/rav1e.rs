//! AV1 with rav1e (built with its assembly, which needs `nasm`): low-latency mode (no frame
//! reordering, so decode order is presentation order), bitrate rate control, a key frame every
//! `keyframe_interval` seconds exactly, BT.709 limited range signalled in the sequence header.
//!
//! Speed: rav1e's presets go from 0 (slowest) to 10 (fastest). On the 2-core machines this
//! project targets, even speed 10 only just reaches real time at 640x360 (measured with
//! `cargo bench -p streamcomp-benches --bench encode_av1`: 37 fps at 640x360, 12 fps at
//! 1280x720, two threads and two tiles), so every frame larger than 320x240 is encoded at
//! speed 10. Frames of at most 320x240 have headroom and get speed 9 (better compression,
//! still 49 fps at 320x180). See [`speed_for`].
//!
//! Packets: rav1e hands out one temporal unit per shown frame, in order, tagged with the
//! number of the input frame; the timestamps given to `send_frame` are queued by frame number
//! and put back on the packets. The packet bytes are the OBU stream as rav1e writes it: a
//! temporal delimiter first, the sequence header OBU on key frames, then the frame OBUs.
//!
//! Latency: even in low-latency mode rav1e looks ahead (10 frames at speeds 8–10) before it
//! hands out a packet, so video comes out about a dozen frames after it went in (~0.4 s at
//! 30 fps) while audio comes out at once; outputs interleave the two by time
//! (`mux::Interleaver`).

use std::collections::VecDeque;

use ::rav1e::prelude::{
    ChromaSampling, ColorDescription, ColorPrimaries, Config, Context, EncoderConfig,
    EncoderStatus, FrameType, MatrixCoefficients, PixelRange, Rational, TransferCharacteristics,
};

use super::{EncodeError, Packet, Track, VIDEO_TIMESCALE, VideoEncoder, VideoSettings};
use crate::frame::YuvFrame;

/// Largest frame area (pixels) encoded at speed 9 rather than 10.
const SMALL_FRAME_AREA: u64 = 320 * 240;

/// The rav1e speed preset for a frame size: 10 (the fastest) for everything from 640x360 up,
/// 9 for frames of at most 320x240 pixels, which have headroom to spare for real time.
pub(crate) fn speed_for(width: u32, height: u32) -> u8 {
    if width as u64 * height as u64 <= SMALL_FRAME_AREA {
        9
    } else {
        10
    }
}

/// The rav1e backend.
pub(crate) struct Rav1eEncoder {
    settings: VideoSettings,
    ctx: Context<u8>,
    /// Timestamps of frames sent and not yet out, by input frame number.
    pts: VecDeque<(u64, i64)>,
    /// The number of the next input frame.
    next_frameno: u64,
    /// `send_frame(None)` was called.
    flushing: bool,
    /// rav1e said everything is out.
    drained: bool,
}

impl Rav1eEncoder {
    pub(crate) fn new(settings: VideoSettings) -> Result<Rav1eEncoder, EncodeError> {
        let threads = settings.threads_up_to(16);
        let gop = (settings.keyframe_interval * settings.fps).round().max(1.0) as u64;
        let (num, den) = fps_ratio(settings.fps);
        let mut enc = EncoderConfig::with_speed_preset(speed_for(settings.width, settings.height));
        enc.width = settings.width as usize;
        enc.height = settings.height as usize;
        enc.time_base = Rational::new(den, num);
        enc.bit_depth = 8;
        enc.chroma_sampling = ChromaSampling::Cs420;
        enc.pixel_range = PixelRange::Limited;
        enc.color_description = Some(ColorDescription {
            color_primaries: ColorPrimaries::BT709,
            transfer_characteristics: TransferCharacteristics::BT709,
            matrix_coefficients: MatrixCoefficients::BT709,
        });
        enc.low_latency = true;
        // A fixed GOP: key frames exactly every `gop` frames (ingests want them regular), none
        // at scene cuts.
        enc.min_key_frame_interval = gop;
        enc.max_key_frame_interval = gop;
        enc.bitrate = (settings.bitrate_kbps as i32).saturating_mul(1000);
        // Tiles are what rav1e encodes in parallel within a frame.
        enc.tiles = threads;
        let cfg = Config::new().with_encoder_config(enc).with_threads(threads);
        let ctx = cfg
            .new_context::<u8>()
            .map_err(|e| EncodeError::Invalid(format!("rav1e refused the settings: {e}")))?;
        Ok(Rav1eEncoder {
            settings,
            ctx,
            pts: VecDeque::new(),
            next_frameno: 0,
            flushing: false,
            drained: false,
        })
    }

    /// The timestamp of input frame `frameno`: the one given to `send_frame`, or (should rav1e
    /// ever number frames differently) the frame number at the configured rate.
    fn take_pts(&mut self, frameno: u64) -> i64 {
        while let Some(&(n, pts)) = self.pts.front() {
            if n < frameno {
                self.pts.pop_front();
            } else if n == frameno {
                self.pts.pop_front();
                return pts;
            } else {
                break;
            }
        }
        (frameno as f64 * VIDEO_TIMESCALE as f64 / self.settings.fps).round() as i64
    }
}

/// A frame rate as `num / den` (29.97 → 30000/1001).
fn fps_ratio(fps: f64) -> (u64, u64) {
    if (fps - fps.round()).abs() < 1e-6 {
        (fps.round() as u64, 1)
    } else if ((fps * 1.001) - (fps * 1.001).round()).abs() < 1e-3 {
        ((fps * 1.001).round() as u64 * 1000, 1001)
    } else {
        ((fps * 1000.0).round() as u64, 1000)
    }
}

fn backend(e: EncoderStatus) -> EncodeError {
    EncodeError::Backend(format!("rav1e: {e}"))
}

impl VideoEncoder for Rav1eEncoder {
    fn send_frame(&mut self, frame: Option<&YuvFrame>, pts: i64) -> Result<(), EncodeError> {
        let Some(frame) = frame else {
            if !self.flushing {
                self.flushing = true;
                self.ctx.flush();
            }
            return Ok(());
        };
        if self.flushing {
            return Err(EncodeError::Invalid(
                "a frame was sent after the encoder was flushed; create a new encoder".into(),
            ));
        }
        self.settings.check_frame(frame)?;
        let mut f = self.ctx.new_frame();
        let (ys, us, vs) = frame.strides();
        f.planes[0].copy_from_raw_u8(frame.y(), ys, 1);
        f.planes[1].copy_from_raw_u8(frame.u(), us, 1);
        f.planes[2].copy_from_raw_u8(frame.v(), vs, 1);
        self.ctx.send_frame(f).map_err(backend)?;
        self.pts.push_back((self.next_frameno, pts));
        self.next_frameno += 1;
        Ok(())
    }

    fn receive_packet(&mut self) -> Result<Option<Packet>, EncodeError> {
        if self.drained {
            return Ok(None);
        }
        loop {
            match self.ctx.receive_packet() {
                Ok(p) => {
                    let pts = self.take_pts(p.input_frameno);
                    let key = p.frame_type == FrameType::KEY;
                    return Ok(Some(Packet::new(Track::Video, p.data, pts, key)));
                }
                // A frame was encoded but not shown yet: keep going.
                Err(EncoderStatus::Encoded) => continue,
                Err(EncoderStatus::NeedMoreData) => return Ok(None),
                Err(EncoderStatus::LimitReached) => {
                    self.drained = true;
                    return Ok(None);
                }
                Err(e) => return Err(backend(e)),
            }
        }
    }

    fn settings(&self) -> &VideoSettings {
        &self.settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_depends_on_frame_size() {
        assert_eq!(speed_for(320, 180), 9);
        assert_eq!(speed_for(320, 240), 9);
        assert_eq!(speed_for(640, 360), 10);
        assert_eq!(speed_for(1920, 1080), 10);
    }

    #[test]
    fn frame_rates_become_ratios() {
        assert_eq!(fps_ratio(30.0), (30, 1));
        assert_eq!(fps_ratio(30000.0 / 1001.0), (30000, 1001));
        assert_eq!(fps_ratio(12.5), (12500, 1000));
    }

    #[test]
    fn packets_keep_their_timestamps_and_flush_drains() {
        let mut s = VideoSettings::new(64, 48, 30.0);
        s.codec = super::super::VideoCodec::Av1;
        s.keyframe_interval = 0.5;
        s.threads = 1;
        let mut enc = Rav1eEncoder::new(s).unwrap();
        let frame = YuvFrame::new(64, 48);
        let mut out = Vec::new();
        for n in 0..20i64 {
            enc.send_frame(Some(&frame), n * 3000 + 7).unwrap();
            while let Some(p) = enc.receive_packet().unwrap() {
                out.push(p);
            }
        }
        enc.send_frame(None, 0).unwrap();
        while let Some(p) = enc.receive_packet().unwrap() {
            out.push(p);
        }
        assert_eq!(enc.receive_packet().unwrap(), None);
        let pts: Vec<i64> = out.iter().map(|p| p.pts).collect();
        assert_eq!(pts, (0..20).map(|n| n * 3000 + 7).collect::<Vec<_>>());
        let keys: Vec<usize> = (0..20).filter(|&i| out[i].key).collect();
        assert_eq!(keys, vec![0, 15]);
        // A temporal delimiter first, then (on key frames) the sequence header.
        assert_eq!(&out[0].data[..2], &[0x12, 0x00]);
        assert_eq!(out[0].data[2], 0x0a);
        assert!(
            enc.send_frame(Some(&frame), 0)
                .unwrap_err()
                .to_string()
                .contains("after the encoder was flushed")
        );
    }
}
