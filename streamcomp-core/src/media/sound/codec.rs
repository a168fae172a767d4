//! One track's sound decoder: symphonia's (AAC-LC, MP3, FLAC, Vorbis, PCM) or `opus-rs`'s for
//! Opus (symphonia has none), each turning a packet into stereo frames at the track's rate
//! with the downmix gains of the whole-file decoder.

use symphonia::core::audio::Channels;
use symphonia::core::codecs::audio::well_known::CODEC_ID_OPUS;
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::packet::Packet;

use crate::audio::stereo_gains;
use crate::media::MediaError;

/// Highest sample rate accepted, Hz (DXD is 352.8 kHz; anything past 768 kHz is a broken header).
pub(super) const MAX_RATE: u32 = 768_000;

/// Most channels accepted in one track.
const MAX_CHANNELS: usize = 32;

/// Samples per channel of the longest Opus packet (120 ms at 48 kHz).
const OPUS_MAX_FRAMES: usize = 5760;

/// A packet's sound that could not be decoded.
pub(super) enum PacketError {
    /// A corrupt packet, skipped as players do.
    Skip,
    /// The track cannot go on (the message says why).
    Fatal(MediaError),
}

/// The decoder of one track.
pub(super) enum Codec {
    /// A symphonia decoder.
    Symphonia(Box<dyn AudioDecoder>),
    /// An Opus decoder of `channels` (1 or 2) channels at 48 kHz.
    Opus {
        /// The decoder (boxed: it is large).
        decoder: Box<opus_rs::OpusDecoder>,
        /// Its channel count.
        channels: usize,
        /// Interleaved output of one packet.
        scratch: Vec<f32>,
        /// The OpusHead's pre-skip: 48 kHz samples before media time 0.
        pre_skip: Option<u16>,
    },
}

impl Codec {
    /// The decoder for a track with `params`, and the track's sample rate. Codecs this path
    /// cannot decode are [`MediaError::Unsupported`], naming what would.
    pub(super) fn new(
        params: &AudioCodecParameters,
        name: &str,
    ) -> Result<(Codec, u32), MediaError> {
        let declared_channels = params.channels.as_ref().map(Channels::count);
        if declared_channels.is_some_and(|c| c == 0 || c > MAX_CHANNELS) {
            return Err(MediaError::malformed(
                name,
                format!("sound with {} channels", declared_channels.unwrap_or(0)),
            ));
        }
        if params.codec == CODEC_ID_OPUS {
            return opus(params, name, declared_channels);
        }
        let rate = params.sample_rate.unwrap_or(0);
        check_rate(rate, name)?;
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(params, &AudioDecoderOptions::default())
            .map_err(|e| match e {
                SymphoniaError::Unsupported(what) => MediaError::unsupported(
                    name,
                    format!(
                        "{} sound ({what}) needs the ffmpeg backend",
                        codec_name(params)
                    ),
                ),
                other => MediaError::malformed(name, format!("sound: {other}")),
            })?;
        Ok((Codec::Symphonia(decoder), rate))
    }

    /// Samples the stream's first packet starts before media time 0, when the codec header
    /// says (Opus's pre-skip).
    pub(super) fn pre_skip(&self) -> Option<i64> {
        match self {
            Codec::Opus { pre_skip, .. } => pre_skip.map(i64::from),
            Codec::Symphonia(_) => None,
        }
    }

    /// Forgets the state between packets (after a seek).
    pub(super) fn reset(&mut self) -> Result<(), String> {
        match self {
            Codec::Symphonia(d) => d.reset(),
            Codec::Opus {
                decoder, channels, ..
            } => **decoder = opus_rs::OpusDecoder::new(48_000, *channels)?,
        }
        Ok(())
    }

    /// Decodes `packet` and appends its frames, mixed to stereo, to `left` and `right`; returns
    /// the sample rate of the decoded sound.
    pub(super) fn decode(
        &mut self,
        packet: &Packet,
        left: &mut Vec<f32>,
        right: &mut Vec<f32>,
        name: &str,
    ) -> Result<u32, PacketError> {
        match self {
            Codec::Symphonia(d) => {
                let buf = match d.decode(packet) {
                    Ok(b) => b,
                    Err(SymphoniaError::DecodeError(_)) => return Err(PacketError::Skip),
                    Err(SymphoniaError::Unsupported(what)) => {
                        return Err(PacketError::Fatal(MediaError::unsupported(
                            name,
                            format!("sound ({what}) needs the ffmpeg backend"),
                        )));
                    }
                    Err(e) => {
                        return Err(PacketError::Fatal(MediaError::decode(name, e.to_string())));
                    }
                };
                let spec = buf.spec();
                let rate = spec.rate();
                let gains = stereo_gains(spec.channels());
                if gains.is_empty() || gains.len() > MAX_CHANNELS {
                    return Err(PacketError::Skip);
                }
                let mut scratch = Vec::new();
                buf.copy_to_vec_interleaved(&mut scratch);
                mix(&scratch, &gains, left, right);
                Ok(rate)
            }
            Codec::Opus {
                decoder,
                channels,
                scratch,
                ..
            } => {
                scratch.resize(OPUS_MAX_FRAMES * *channels, 0.0);
                let n = match decoder.decode(&packet.data, OPUS_MAX_FRAMES, scratch) {
                    Ok(n) => n.min(OPUS_MAX_FRAMES),
                    Err(_) => return Err(PacketError::Skip),
                };
                let gains: &[(f32, f32)] = if *channels == 1 {
                    &[(1.0, 1.0)]
                } else {
                    &[(1.0, 0.0), (0.0, 1.0)]
                };
                mix(&scratch[..n * *channels], gains, left, right);
                Ok(48_000)
            }
        }
    }
}

/// Refuses a sample rate of 0 or past [`MAX_RATE`].
pub(super) fn check_rate(rate: u32, name: &str) -> Result<(), MediaError> {
    if rate == 0 || rate > MAX_RATE {
        return Err(MediaError::malformed(
            name,
            format!("sound at a sample rate of {rate} Hz"),
        ));
    }
    Ok(())
}

/// Appends the interleaved frames of `samples` (one gain pair a channel) to `left`/`right`.
fn mix(samples: &[f32], gains: &[(f32, f32)], left: &mut Vec<f32>, right: &mut Vec<f32>) {
    let n = gains.len();
    if n == 0 {
        return;
    }
    let frames = samples.len() / n;
    left.reserve(frames);
    right.reserve(frames);
    for f in samples.chunks_exact(n) {
        let (mut l, mut r) = (0f32, 0f32);
        for (s, (gl, gr)) in f.iter().zip(gains) {
            l += s * gl;
            r += s * gr;
        }
        left.push(l);
        right.push(r);
    }
}

/// The Opus decoder for a track: mono or stereo (channel mapping family 0); more channels go to
/// the FFmpeg path.
fn opus(
    params: &AudioCodecParameters,
    name: &str,
    declared_channels: Option<usize>,
) -> Result<(Codec, u32), MediaError> {
    // Matroska's CodecPrivate is the OpusHead: channel count at 9, pre-skip at 10, mapping
    // family at 18.
    let head = params
        .extra_data
        .as_deref()
        .filter(|d| d.len() >= 19 && d.starts_with(b"OpusHead"));
    let channels = head
        .map(|h| usize::from(h[9]))
        .or(declared_channels)
        .unwrap_or(2);
    let family = head.map_or(0, |h| h[18]);
    if !(1..=2).contains(&channels) || family != 0 {
        return Err(MediaError::unsupported(
            name,
            format!("Opus sound with {channels} channels needs the ffmpeg backend"),
        ));
    }
    let decoder = opus_rs::OpusDecoder::new(48_000, channels)
        .map_err(|e| MediaError::malformed(name, format!("Opus sound: {e}")))?;
    Ok((
        Codec::Opus {
            decoder: Box::new(decoder),
            channels,
            scratch: Vec::new(),
            pre_skip: head.map(|h| u16::from_le_bytes([h[10], h[11]])),
        },
        48_000,
    ))
}

/// A short name of the track's codec for messages.
fn codec_name(params: &AudioCodecParameters) -> String {
    symphonia::default::get_codecs()
        .get_audio_decoder(params.codec)
        .map(|c| c.codec.info.short_name.to_uppercase())
        .unwrap_or_else(|| format!("codec {}", params.codec))
}
