//! H.264 decoding with Cisco's openh264 (the `openh264` crate, built from source): a
//! [`VideoDecoder`] that feeds Annex B packets in decode order and returns I420 pictures in
//! display order, each with its presentation time.
//!
//! Two pitfalls of the wrapper are handled here (research §2.1): its default "flush after every
//! decode" breaks B-frame streams, so the decoder runs with `Flush::NoFlush` and is drained with
//! `flush_remaining()` at the end; and it gives every picture timestamp 0, so presentation times
//! come from [`PtsOrder`].

use openh264::OpenH264API;
use openh264::decoder::{DecodedYUV, Decoder, DecoderConfig, Flush};
use openh264::formats::YUVSource;

use super::h264;
use super::pts_order::PtsOrder;
use crate::frame::YuvFrame;
use crate::limits::Limits;
use crate::media::{DecodedFrame, MediaError, Packet, TrackKind, VideoDecoder};

/// openh264 behind [`VideoDecoder`].
pub(crate) struct OpenH264Decoder {
    decoder: Decoder,
    /// The file's name, for errors.
    name: String,
    limits: Limits,
    /// Presentation times of packets fed whose pictures have not come out.
    pts: PtsOrder,
}

/// A fresh openh264 decoder in the configuration B-frames need.
fn new_decoder(name: &str) -> Result<Decoder, MediaError> {
    let config = DecoderConfig::new().flush_after_decode(Flush::NoFlush);
    Decoder::with_api_config(OpenH264API::from_source(), config)
        .map_err(|e| MediaError::decode(name, format!("openh264: {e}")))
}

impl OpenH264Decoder {
    /// A decoder for the file `name`, checking every picture's size against `limits`.
    pub(crate) fn new(name: &str, limits: &Limits) -> Result<OpenH264Decoder, MediaError> {
        Ok(OpenH264Decoder {
            decoder: new_decoder(name)?,
            name: name.to_string(),
            limits: limits.clone(),
            pts: PtsOrder::default(),
        })
    }
}

/// Copies an openh264 picture into a [`YuvFrame`], checking its size first.
fn copy_picture(yuv: &DecodedYUV<'_>, name: &str, limits: &Limits) -> Result<YuvFrame, MediaError> {
    let (w, h) = yuv.dimensions();
    if w == 0 || h == 0 {
        return Err(MediaError::decode(name, "openh264 gave an empty picture"));
    }
    h264::check_size(w as u64, h as u64, limits).map_err(|e| match e {
        h264::SpsError::TooLarge(d) | h264::SpsError::Malformed(d) => {
            MediaError::too_large(name, d)
        }
    })?;
    let (sy, su, sv) = yuv.strides();
    let mut frame = YuvFrame::new(w as u32, h as u32);
    let (dy, du, dv) = frame.planes_mut();
    let cw = w.div_ceil(2);
    let ch = h.div_ceil(2);
    copy_plane(yuv.y(), sy, dy, w, h);
    copy_plane(yuv.u(), su, du, cw, ch);
    copy_plane(yuv.v(), sv, dv, cw, ch);
    Ok(frame)
}

/// Copies `rows` rows of `width` bytes from a plane with `stride` bytes a row (rows that are
/// missing in the source stay as they are).
fn copy_plane(src: &[u8], stride: usize, dst: &mut [u8], width: usize, rows: usize) {
    for (r, out) in dst.chunks_exact_mut(width).take(rows).enumerate() {
        let start = r * stride;
        if let Some(row) = src.get(start..start + width) {
            out.copy_from_slice(row);
        }
    }
}

impl VideoDecoder for OpenH264Decoder {
    fn decode(&mut self, packet: &Packet, out: &mut Vec<DecodedFrame>) -> Result<(), MediaError> {
        if packet.track != TrackKind::Video || packet.data.is_empty() {
            return Ok(());
        }
        self.pts.push(packet.pts);
        let picture = match self.decoder.decode(&packet.data) {
            Ok(Some(yuv)) => Some(copy_picture(&yuv, &self.name, &self.limits)?),
            Ok(None) => None,
            Err(e) => {
                // This packet shows nothing: its time is not pending any more.
                self.pts.forget(packet.pts);
                return Err(MediaError::decode(&self.name, format!("openh264: {e}")));
            }
        };
        if let Some(picture) = picture {
            let pts = self.pts.next();
            out.push(DecodedFrame { pts, picture });
        }
        Ok(())
    }

    fn flush(&mut self, out: &mut Vec<DecodedFrame>) -> Result<(), MediaError> {
        let name = self.name.clone();
        let pictures = {
            let frames = self
                .decoder
                .flush_remaining()
                .map_err(|e| MediaError::decode(&name, format!("openh264: {e}")))?;
            frames
                .iter()
                .map(|yuv| copy_picture(yuv, &name, &self.limits))
                .collect::<Result<Vec<_>, _>>()?
        };
        for picture in pictures {
            let pts = self.pts.next();
            out.push(DecodedFrame { pts, picture });
        }
        self.pts.clear_pending();
        Ok(())
    }

    fn reset(&mut self) -> Result<(), MediaError> {
        self.decoder = new_decoder(&self.name)?;
        self.pts.reset();
        Ok(())
    }
}
