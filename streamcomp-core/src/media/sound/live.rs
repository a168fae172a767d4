//! The sound of a live input: AAC frames as RTMP and FLV carry them (raw, after an
//! `AudioSpecificConfig`) decoded with symphonia and resampled to 48 kHz stereo as they come.
//! Panics in the decoder are errors; a corrupt frame is skipped as players do.

use symphonia::core::audio::Channels;
use symphonia::core::codecs::audio::AudioCodecParameters;
use symphonia::core::codecs::audio::well_known::CODEC_ID_AAC;
use symphonia::core::packet::Packet;
use symphonia::core::units::{Duration, Timestamp};

use super::codec::{Codec, PacketError};
use super::guard::guarded;
use super::resample::StreamResampler;
use crate::media::MediaError;

/// A live input's sound decoder.
pub(crate) struct LiveSound {
    codec: Codec,
    resampler: StreamResampler,
    name: String,
    /// The stream's sample rate.
    rate: u32,
    /// Decoded at the stream's rate, before resampling.
    left: Vec<f32>,
    right: Vec<f32>,
}

impl LiveSound {
    /// A decoder for AAC described by `asc` (an `AudioSpecificConfig`) of input `name`.
    pub(crate) fn aac(asc: &[u8], name: &str) -> Result<LiveSound, MediaError> {
        let (rate, channels) = crate::media::native::aac_config(asc).ok_or_else(|| {
            MediaError::malformed(name, "AAC configuration cut short or with a bad rate")
        })?;
        let mut params = AudioCodecParameters::new();
        params
            .for_codec(CODEC_ID_AAC)
            .with_sample_rate(rate)
            .with_channels(Channels::Discrete(channels.max(1)));
        params.extra_data = Some(asc.to_vec().into_boxed_slice());
        let (codec, rate) = guarded(name, "decoder", || Codec::new(&params, name))?;
        let resampler = StreamResampler::new(rate).map_err(|e| MediaError::decode(name, e))?;
        Ok(LiveSound {
            codec,
            resampler,
            name: name.to_string(),
            rate,
            left: Vec::new(),
            right: Vec::new(),
        })
    }

    /// How long one AAC frame (1024 samples) lasts, ns.
    pub(crate) fn frame_nanos(&self) -> i64 {
        1024 * 1_000_000_000 / i64::from(self.rate.max(1))
    }

    /// Forgets the decoder's and resampler's state (before a jump in the input's sound).
    pub(crate) fn reset(&mut self) -> Result<(), MediaError> {
        self.resampler.reset();
        self.codec
            .reset()
            .map_err(|e| MediaError::decode(&self.name, e))
    }

    /// Decodes one raw AAC frame and appends whatever 48 kHz stereo is ready to
    /// `left`/`right`. A corrupt frame adds nothing; an error means the sound cannot go on.
    pub(crate) fn decode(
        &mut self,
        data: &[u8],
        left: &mut Vec<f32>,
        right: &mut Vec<f32>,
    ) -> Result<(), MediaError> {
        self.left.clear();
        self.right.clear();
        let packet = Packet::new(
            0,
            Timestamp::from(0),
            Duration::from(1024u64),
            data.to_vec(),
        );
        let (codec, l, r, name) = (&mut self.codec, &mut self.left, &mut self.right, &self.name);
        let decoded = guarded(name, "decoder", || {
            match codec.decode(&packet, l, r, name) {
                Ok(_) | Err(PacketError::Skip) => Ok(()),
                Err(PacketError::Fatal(e)) => Err(e),
            }
        });
        decoded?;
        self.resampler
            .push(&self.left, &self.right, left, right)
            .map_err(|e| MediaError::decode(&self.name, e))
    }
}
