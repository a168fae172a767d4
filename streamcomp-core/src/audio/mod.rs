//! Sound: audio layers decoded whole at load (WAV, MP3, FLAC, Ogg/Vorbis), mixed to stereo,
//! resampled to [`AUDIO_RATE`], and summed by a [`Mixer`] into planar f32 blocks on the scene
//! timeline.
//!
//! Timing is sample-exact: frame `n` of a stream at `fps` owns the samples
//! [`frame_samples`]`(n, fps) .. frame_samples(n + 1, fps)`, so the audio of an hour-long render
//! is exactly an hour long, whatever the frame rate.
//!
//! What plays: every `audio` layer, from the moment it appeared (`t = 0` for a scene file),
//! scaled by its `volume`, repeated when `loop` is set. `visible`, `opacity` and animations
//! shape the picture only, so a layer with `visible: false` still plays (the spec has no
//! "muted" field; remove the layer, or set `volume` to 0, to silence it).

mod decode;
mod input_voice;
mod mix;
mod video_voice;

pub(crate) use decode::stereo_gains;
pub(crate) use mix::AudioClips;
pub use mix::Mixer;

use crate::encode::AUDIO_RATE;

/// A decoded sound: planar stereo at [`AUDIO_RATE`].
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct AudioClip {
    pub(crate) left: Vec<f32>,
    pub(crate) right: Vec<f32>,
    /// The file's own sample rate, before resampling.
    pub(crate) source_rate: u32,
}

impl AudioClip {
    /// Length in samples at [`AUDIO_RATE`].
    pub(crate) fn len(&self) -> usize {
        self.left.len().min(self.right.len())
    }
}

/// The first audio sample (at [`AUDIO_RATE`]) of video frame `n` at `fps`:
/// `round(n * 48000 / fps)`. Frame `n`'s audio is `frame_samples(n) .. frame_samples(n + 1)`, so
/// chunk sizes vary by one sample at rates like 29.97 and their sum never drifts.
pub fn frame_samples(n: u64, fps: f64) -> u64 {
    (n as f64 * AUDIO_RATE as f64 / fps).round() as u64
}

/// The sample at scene time `t` seconds (rounded to the nearest).
pub(crate) fn time_to_sample(t: f64) -> i64 {
    (t * AUDIO_RATE as f64).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_chunks_add_up_to_the_exact_hour() {
        // One hour of frames at 30 and 29.97 fps, and 107892 frames at NTSC's exact 30000/1001
        // (3599.9964 s: 107892 * 48000 * 1001 / 30000 = 172799827.2 samples).
        for (fps, frames, exact) in [
            (30.0, 108_000u64, 3600 * 48_000u64),
            (29.97, 107_892, 3600 * 48_000),
            (
                30000.0 / 1001.0,
                107_892,
                (107_892 * 48_000 * 1001 + 15_000) / 30_000,
            ),
        ] {
            let mut sum = 0u64;
            let (mut min, mut max) = (u64::MAX, 0);
            for n in 0..frames {
                let len = frame_samples(n + 1, fps) - frame_samples(n, fps);
                sum += len;
                min = min.min(len);
                max = max.max(len);
            }
            assert_eq!(sum, exact, "fps {fps}");
            assert!(max - min <= 1, "fps {fps}: chunks {min}..{max}");
        }
        assert_eq!(frame_samples(1, 30.0), 1600);
        assert_eq!(frame_samples(1, 29.97), 1602);
    }
}
