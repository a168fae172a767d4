//! H.264 with Cisco's openh264 (built from source with its assembly): Constrained Baseline,
//! bitrate rate control, a key frame every `keyframe_interval` seconds, BT.709 limited range
//! signalled in the VUI.

use std::collections::VecDeque;

use openh264::OpenH264API;
use openh264::encoder::{
    BitRate, Encoder, EncoderConfig, FrameRate, FrameType, IntraFramePeriod, RateControlMode,
    UsageType, VuiConfig,
};
use openh264::formats::YUVSource;

use super::{EncodeError, Packet, Track, VideoEncoder, VideoSettings};
use crate::frame::YuvFrame;

/// Lets openh264 read our I420 frames without a copy.
struct Source<'a>(&'a YuvFrame);

impl YUVSource for Source<'_> {
    fn dimensions(&self) -> (usize, usize) {
        (self.0.width() as usize, self.0.height() as usize)
    }
    fn strides(&self) -> (usize, usize, usize) {
        self.0.strides()
    }
    fn y(&self) -> &[u8] {
        self.0.y()
    }
    fn u(&self) -> &[u8] {
        self.0.u()
    }
    fn v(&self) -> &[u8] {
        self.0.v()
    }
}

/// The openh264 backend. Encoding is synchronous: each frame's packet is ready right after
/// `send_frame`.
pub(crate) struct OpenH264Encoder {
    settings: VideoSettings,
    encoder: Encoder,
    ready: VecDeque<Packet>,
}

impl OpenH264Encoder {
    pub(crate) fn new(settings: VideoSettings) -> Result<OpenH264Encoder, EncodeError> {
        let threads = settings.threads_up_to(4) as u16;
        let gop = (settings.keyframe_interval * settings.fps).round().max(1.0) as u32;
        let mut config = EncoderConfig::new()
            .bitrate(BitRate::from_bps(settings.bitrate_kbps * 1000))
            .max_frame_rate(FrameRate::from_hz(settings.fps as f32))
            .rate_control_mode(RateControlMode::Bitrate)
            .usage_type(UsageType::CameraVideoRealTime)
            .skip_frames(false)
            .intra_frame_period(IntraFramePeriod::from_num_frames(gop))
            .vui(VuiConfig::bt709());
        if threads > 1 {
            // The wrapper keeps one slice unless slices are size-limited; only then do threads help.
            config = config.num_threads(threads).max_slice_len(30_000);
        }
        let mut encoder = Encoder::with_api_config(OpenH264API::from_source(), config)
            .map_err(|e| EncodeError::Backend(format!("openh264: {e}")))?;
        silence(&mut encoder);
        Ok(OpenH264Encoder {
            settings,
            encoder,
            ready: VecDeque::new(),
        })
    }
}

/// Turns openh264's console log off before it initialises.
///
/// openh264 checks its parameters when it initialises (lazily, on the first frame) and prints
/// `[OpenH264] this = 0x…, Warning: …` lines to stderr for two settings we choose on purpose
/// (size-limited slices, and bitrate control without frame skipping); the wrapper only applies
/// its own trace level after that. Errors still reach us as return codes.
#[allow(unsafe_code)]
fn silence(encoder: &mut Encoder) {
    let mut level: u32 = openh264_sys2::WELS_LOG_QUIET as u32;
    // SAFETY: the trace level is the one option openh264 accepts before initialisation
    // (welsEncoderExt.cpp, `SetOption`); it reads one `uint32_t` from the pointer during the
    // call and keeps no reference to it. The encoder parameters it relies on are untouched.
    unsafe {
        encoder.raw_api().set_option(
            openh264_sys2::ENCODER_OPTION_TRACE_LEVEL,
            (&raw mut level).cast(),
        );
    }
}

impl VideoEncoder for OpenH264Encoder {
    fn send_frame(&mut self, frame: Option<&YuvFrame>, pts: i64) -> Result<(), EncodeError> {
        let Some(frame) = frame else {
            return Ok(()); // nothing is buffered inside openh264
        };
        self.settings.check_frame(frame)?;
        let bits = self
            .encoder
            .encode(&Source(frame))
            .map_err(|e| EncodeError::Backend(format!("openh264: {e}")))?;
        let key = matches!(bits.frame_type(), FrameType::IDR | FrameType::I);
        if matches!(bits.frame_type(), FrameType::Skip | FrameType::Invalid) {
            return Ok(());
        }
        let mut data = Vec::new();
        bits.write_vec(&mut data);
        if !data.is_empty() {
            self.ready
                .push_back(Packet::new(Track::Video, data, pts, key));
        }
        Ok(())
    }

    fn receive_packet(&mut self) -> Result<Option<Packet>, EncodeError> {
        Ok(self.ready.pop_front())
    }

    fn settings(&self) -> &VideoSettings {
        &self.settings
    }
}
