//! Decoding an audio file (WAV, MP3, FLAC, Ogg/Vorbis) whole with `symphonia`, down- or
//! up-mixing it to stereo and resampling it to [`AUDIO_RATE`] with `rubato`, under a limit on
//! the decoded length.

use std::io::Cursor;

use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
use rubato::{Fft, FixedSync, Resampler};
use symphonia::core::audio::{Channels, Position};
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;

use super::AudioClip;
use crate::encode::AUDIO_RATE;
use crate::error::AssetError;

/// -3 dB: the gain of a centre or surround channel folded into a stereo side.
const FOLD: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// Decodes a whole audio file held in `bytes` into a stereo clip at [`AUDIO_RATE`].
///
/// `name` is how the file is named in errors; `max_seconds` caps the decoded length (checked
/// against the header before decoding when the file declares its length, and while decoding
/// otherwise), so a long or hostile file is an error, never an out-of-memory.
pub(crate) fn decode(
    bytes: Vec<u8>,
    name: &str,
    max_seconds: f64,
) -> Result<AudioClip, AssetError> {
    let bad = |message: String| AssetError::Decode {
        src: name.to_string(),
        message,
    };
    let too_long = |seconds: f64| AssetError::TooLarge {
        what: format!("audio file {name}"),
        detail: format!("{seconds:.1} s of sound, the limit is {max_seconds} s"),
    };
    let mss = MediaSourceStream::new(
        Box::new(Cursor::new(bytes)),
        MediaSourceStreamOptions::default(),
    );
    let mut hint = Hint::new();
    if let Some(ext) = name.rsplit('.').next().filter(|e| e.len() <= 4) {
        hint.with_extension(ext);
    }
    let mut format = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| {
            bad(format!(
                "not a supported audio file (WAV, MP3, FLAC or Ogg/Vorbis): {e}"
            ))
        })?;
    let track = format
        .default_track(TrackType::Audio)
        .ok_or_else(|| bad("no audio track".into()))?;
    let track_id = track.id;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| bad("no audio track".into()))?;
    let declared_rate = params.sample_rate;
    if let (Some(frames), Some(rate)) = (track.num_frames, declared_rate)
        && rate > 0
        && frames as f64 / rate as f64 > max_seconds
    {
        return Err(too_long(frames as f64 / rate as f64));
    }
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
        .map_err(|e| bad(format!("unsupported codec: {e}")))?;

    let (mut left, mut right) = (Vec::new(), Vec::new());
    let mut rate: Option<u32> = None;
    let mut scratch: Vec<f32> = Vec::new();
    let mut max_frames = u64::MAX;
    loop {
        let packet = match format.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) | Err(SymphoniaError::ResetRequired) => break,
            // A truncated file ends where the data ends.
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(e) => return Err(bad(e.to_string())),
        };
        if packet.track_id != track_id {
            continue;
        }
        let buf = match decoder.decode(&packet) {
            Ok(b) => b,
            // A corrupt packet is skipped, as players do.
            Err(SymphoniaError::DecodeError(_)) => continue,
            Err(e) => return Err(bad(e.to_string())),
        };
        let spec = buf.spec();
        let r = spec.rate();
        if r == 0 {
            return Err(bad("sample rate 0".into()));
        }
        match rate {
            None => {
                rate = Some(r);
                max_frames = (max_seconds * r as f64).ceil() as u64;
            }
            Some(old) if old != r => {
                return Err(bad(format!("the sample rate changes from {old} to {r} Hz")));
            }
            Some(_) => {}
        }
        let gains = stereo_gains(spec.channels());
        if gains.is_empty() {
            return Err(bad("no channels".into()));
        }
        buf.copy_to_vec_interleaved(&mut scratch);
        let n = gains.len();
        let frames = scratch.len() / n;
        if left.len() as u64 + frames as u64 > max_frames {
            return Err(too_long((left.len() + frames) as f64 / r as f64));
        }
        left.reserve(frames);
        right.reserve(frames);
        for f in scratch.chunks_exact(n) {
            let (mut l, mut rr) = (0f32, 0f32);
            for (s, (gl, gr)) in f.iter().zip(&gains) {
                l += s * gl;
                rr += s * gr;
            }
            left.push(l);
            right.push(rr);
        }
    }
    let Some(rate) = rate else {
        return Err(bad("no audio in the file".into()));
    };
    if rate != AUDIO_RATE && !left.is_empty() {
        let mut channels = vec![left, right];
        channels = resample(&channels, rate).map_err(|e| bad(format!("resampling: {e}")))?;
        right = channels.pop().unwrap_or_default();
        left = channels.pop().unwrap_or_default();
    }
    Ok(AudioClip {
        left,
        right,
        source_rate: rate,
    })
}

/// The (left, right) gain of every channel of a buffer, in buffer order.
pub(crate) fn stereo_gains(channels: &Channels) -> Vec<(f32, f32)> {
    let n = channels.count();
    match (channels, n) {
        (_, 1) => vec![(1.0, 1.0)],
        (_, 2) => vec![(1.0, 0.0), (0.0, 1.0)],
        (Channels::Positioned(pos), _) => {
            // Buffers hold positioned channels in the order of their position bits.
            let mut gains = Vec::with_capacity(n);
            for bit in 0..64 {
                let p = Position::from_bits_truncate(1u64 << bit);
                if p.is_empty() || !pos.contains(p) {
                    continue;
                }
                let g = if p == Position::FRONT_LEFT {
                    (1.0, 0.0)
                } else if p == Position::FRONT_RIGHT {
                    (0.0, 1.0)
                } else if p == Position::FRONT_CENTER || p == Position::REAR_CENTER {
                    (FOLD, FOLD)
                } else if p == Position::LFE1 {
                    (0.0, 0.0)
                } else if p == Position::REAR_LEFT
                    || p == Position::SIDE_LEFT
                    || p == Position::FRONT_LEFT_CENTER
                {
                    (FOLD, 0.0)
                } else if p == Position::REAR_RIGHT
                    || p == Position::SIDE_RIGHT
                    || p == Position::FRONT_RIGHT_CENTER
                {
                    (0.0, FOLD)
                } else {
                    (0.5 * FOLD, 0.5 * FOLD)
                };
                gains.push(g);
            }
            // Positions the table above does not know still get a place, so counts agree.
            gains.resize(n, (0.0, 0.0));
            gains
        }
        // Unpositioned channels: the first two are left and right, the rest is dropped.
        _ => {
            let mut gains = vec![(0.0, 0.0); n];
            if n > 0 {
                gains[0] = (1.0, 0.0);
            }
            if n > 1 {
                gains[1] = (0.0, 1.0);
            }
            gains
        }
    }
}

/// Resamples planar stereo from `rate` to [`AUDIO_RATE`] (any rate: rubato's FFT resampler for
/// a fixed ratio, its start-up delay trimmed, so the clip starts at its first sample).
fn resample(channels: &[Vec<f32>], rate: u32) -> Result<Vec<Vec<f32>>, String> {
    let frames = channels[0].len();
    let mut r = Fft::<f32>::new(
        rate as usize,
        AUDIO_RATE as usize,
        1024,
        channels.len(),
        FixedSync::Both,
    )
    .map_err(|e| e.to_string())?;
    let input =
        SequentialSliceOfVecs::new(channels, channels.len(), frames).map_err(|e| e.to_string())?;
    let out_len = r.process_all_needed_output_len(frames);
    let mut out = vec![vec![0f32; out_len]; channels.len()];
    let mut output = SequentialSliceOfVecs::new_mut(&mut out, channels.len(), out_len)
        .map_err(|e| e.to_string())?;
    let (_, produced) = r
        .process_all_into_buffer(&input, &mut output, frames, None)
        .map_err(|e| e.to_string())?;
    // rubato rounds the length up from a float ratio; the exact length is frames × 48000 / rate.
    let exact =
        ((frames as u64 * u64::from(AUDIO_RATE) + u64::from(rate) / 2) / u64::from(rate)) as usize;
    for c in &mut out {
        c.truncate(produced.min(exact));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resampling_keeps_length_and_pitch() {
        // One second of 1 kHz at 44.1 kHz becomes one second at 48 kHz.
        let n = 44_100;
        let sine: Vec<f32> = (0..n)
            .map(|i| (i as f32 * 1000.0 * std::f32::consts::TAU / 44_100.0).sin() * 0.5)
            .collect();
        let out = resample(&[sine.clone(), sine], 44_100).unwrap();
        assert_eq!(out[0].len(), 48_000);
        // Zero crossings over the middle half: 1 kHz → 2 per ms.
        let mid = &out[0][12_000..36_000];
        let crossings = mid
            .windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count();
        assert!((crossings as i64 - 1000).abs() <= 2, "{crossings}");
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let e = decode(vec![1, 2, 3, 4, 5], "noise.wav", 10.0).unwrap_err();
        assert!(e.to_string().contains("cannot decode noise.wav"), "{e}");
    }
}
