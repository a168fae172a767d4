//! AAC-LC with the pure-Rust `syom` encoder: 48 kHz stereo in, raw access units (1024 samples
//! each) out, plus the AudioSpecificConfig that containers need.

use super::{AUDIO_RATE, AudioCodec, AudioEncoder, EncodeError, Packet, Track};

/// Encodes planar stereo f32 at 48 kHz into AAC-LC packets.
pub(crate) struct AacEncoder {
    inner: syom::Encoder,
    asc: Vec<u8>,
    /// Samples handed out as packets so far (the next packet's timestamp).
    emitted: i64,
    ready: Vec<Packet>,
}

impl std::fmt::Debug for AacEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AacEncoder")
            .field("emitted", &self.emitted)
            .finish_non_exhaustive()
    }
}

impl AacEncoder {
    /// An encoder at `bitrate_kbps` (stereo, 48 kHz).
    pub(crate) fn new(bitrate_kbps: u32) -> Result<AacEncoder, EncodeError> {
        let mut opts = syom::EncodeOptions::default();
        opts.container = syom::EncodeContainer::Raw;
        opts.bitrate_bps = bitrate_kbps * 1000;
        let inner = syom::Encoder::new(AUDIO_RATE, 2, &opts)
            .map_err(|e| EncodeError::Backend(format!("AAC: {e}")))?;
        let asc = inner.asc().to_vec();
        Ok(AacEncoder {
            inner,
            asc,
            emitted: 0,
            ready: Vec::new(),
        })
    }
}

impl AudioEncoder for AacEncoder {
    fn codec(&self) -> AudioCodec {
        AudioCodec::Aac
    }

    /// The AudioSpecificConfig (e.g. `11 90` for LC, 48 kHz, stereo).
    fn config(&self) -> &[u8] {
        &self.asc
    }

    fn encode(&mut self, left: &[f32], right: &[f32]) -> Result<Vec<Packet>, EncodeError> {
        let (ready, emitted) = (&mut self.ready, &mut self.emitted);
        self.inner
            .feed(&[left, right], |f| {
                take_frame(ready, emitted, &f);
                Ok(())
            })
            .map_err(|e| EncodeError::Backend(format!("AAC: {e}")))?;
        Ok(std::mem::take(&mut self.ready))
    }

    /// syom's AAC-LC priming: one 1024-sample block.
    fn priming(&self) -> u32 {
        1024
    }

    fn finish(&mut self) -> Result<Vec<Packet>, EncodeError> {
        let (ready, emitted) = (&mut self.ready, &mut self.emitted);
        self.inner
            .finish(|f| {
                take_frame(ready, emitted, &f);
                Ok(())
            })
            .map_err(|e| EncodeError::Backend(format!("AAC: {e}")))?;
        Ok(std::mem::take(&mut self.ready))
    }
}

/// Turns a frame the encoder made into the next packet (its time: the samples before it).
fn take_frame(ready: &mut Vec<Packet>, emitted: &mut i64, f: &syom::EncodedFrame<'_>) {
    ready.push(Packet::new(
        Track::Audio,
        f.payload.to_vec(),
        *emitted,
        true,
    ));
    *emitted += f.samples as i64;
}
