//! Opus with the pure-Rust `opus-rs` encoder: 48 kHz stereo in, one packet per 20 ms frame
//! (960 samples) out, plus the 19-byte `OpusHead` (RFC 7845) that containers need.

use super::{AUDIO_RATE, AudioCodec, AudioEncoder, EncodeError, Packet, Track};

/// Samples per channel in one Opus frame (20 ms at 48 kHz).
pub(crate) const OPUS_FRAME: usize = 960;

/// The encoder's look-ahead at 48 kHz in `Application::Audio` mode (libopus' `OPUS_GET_LOOKAHEAD`:
/// 2.5 ms of CELT overlap + 4 ms of delay compensation). Decoders drop this many samples
/// (`OpusHead` pre-skip); muxide's `dOps` box writes the same value.
pub(crate) const OPUS_PRE_SKIP: u16 = 312;

/// The most bytes one Opus packet may hold (RFC 6716: 1275 per frame, with framing).
const MAX_PACKET: usize = 1500;

/// Encodes planar stereo f32 at 48 kHz into Opus packets (20 ms each).
pub(crate) struct OpusEncoder {
    inner: opus_rs::OpusEncoder,
    head: Vec<u8>,
    /// Interleaved samples waiting for a whole frame.
    pending: Vec<f32>,
    out: Vec<u8>,
    /// Samples handed out as packets so far (the next packet's timestamp).
    emitted: i64,
    /// Samples fed in so far.
    fed: i64,
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder")
            .field("emitted", &self.emitted)
            .finish_non_exhaustive()
    }
}

/// The `OpusHead` identification header (RFC 7845 §5.1) for 48 kHz stereo, mapping family 0.
pub(crate) fn opus_head(pre_skip: u16) -> Vec<u8> {
    let mut h = Vec::with_capacity(19);
    h.extend_from_slice(b"OpusHead");
    h.push(1); // version
    h.push(2); // channels
    h.extend_from_slice(&pre_skip.to_le_bytes());
    h.extend_from_slice(&AUDIO_RATE.to_le_bytes()); // input sample rate
    h.extend_from_slice(&0i16.to_le_bytes()); // output gain
    h.push(0); // channel mapping family
    h
}

impl OpusEncoder {
    /// An encoder at `bitrate_kbps` (stereo, 48 kHz, 20 ms frames).
    pub(crate) fn new(bitrate_kbps: u32) -> Result<OpusEncoder, EncodeError> {
        let mut inner =
            opus_rs::OpusEncoder::new(AUDIO_RATE as i32, 2, opus_rs::Application::Audio)
                .map_err(|e| EncodeError::Backend(format!("Opus: {e}")))?;
        inner.bitrate_bps = (bitrate_kbps * 1000) as i32;
        Ok(OpusEncoder {
            inner,
            head: opus_head(OPUS_PRE_SKIP),
            pending: Vec::with_capacity(OPUS_FRAME * 2),
            out: vec![0; MAX_PACKET],
            emitted: 0,
            fed: 0,
        })
    }

    /// Encodes the one whole frame in `pending`.
    fn encode_frame(&mut self, ready: &mut Vec<Packet>) -> Result<(), EncodeError> {
        let n = self
            .inner
            .encode(&self.pending, OPUS_FRAME, &mut self.out)
            .map_err(|e| EncodeError::Backend(format!("Opus: {e}")))?;
        self.pending.clear();
        ready.push(Packet::new(
            Track::Audio,
            self.out[..n].to_vec(),
            self.emitted,
            true,
        ));
        self.emitted += OPUS_FRAME as i64;
        Ok(())
    }
}

impl AudioEncoder for OpusEncoder {
    fn codec(&self) -> AudioCodec {
        AudioCodec::Opus
    }

    /// The 19-byte `OpusHead`: version 1, 2 channels, pre-skip 312, 48000 Hz, gain 0, mapping 0.
    fn config(&self) -> &[u8] {
        &self.head
    }

    fn encode(&mut self, left: &[f32], right: &[f32]) -> Result<Vec<Packet>, EncodeError> {
        if left.len() != right.len() {
            return Err(EncodeError::Invalid(format!(
                "left and right differ in length ({} and {})",
                left.len(),
                right.len()
            )));
        }
        let mut ready = Vec::new();
        for (l, r) in left.iter().zip(right) {
            self.pending.push(*l);
            self.pending.push(*r);
            if self.pending.len() == OPUS_FRAME * 2 {
                self.encode_frame(&mut ready)?;
            }
        }
        self.fed += left.len() as i64;
        Ok(ready)
    }

    /// Pads the last frame with silence, and adds frames until the decoder, after dropping the
    /// pre-skip, has produced every sample fed in.
    fn finish(&mut self) -> Result<Vec<Packet>, EncodeError> {
        let mut ready = Vec::new();
        while self.emitted < self.fed + OPUS_PRE_SKIP as i64 {
            self.pending.resize(OPUS_FRAME * 2, 0.0);
            self.encode_frame(&mut ready)?;
        }
        Ok(ready)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_is_rfc7845() {
        let h = opus_head(312);
        assert_eq!(h.len(), 19);
        assert_eq!(&h[..8], b"OpusHead");
        assert_eq!(h[8..], [1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn frames_of_960_with_sample_timestamps() {
        let mut e = OpusEncoder::new(128).unwrap();
        let tone: Vec<f32> = (0..2500).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
        let p = e.encode(&tone, &tone).unwrap();
        assert_eq!(p.iter().map(|p| p.pts).collect::<Vec<_>>(), [0, 960]);
        assert!(p.iter().all(|p| !p.data.is_empty() && p.key));
        // 2500 fed + 312 pre-skip = 2812 → frames up to 2880.
        let tail = e.finish().unwrap();
        assert_eq!(tail.iter().map(|p| p.pts).collect::<Vec<_>>(), [1920]);
        assert!(e.encode(&tone[..3], &tone[..2]).is_err());
    }
}
