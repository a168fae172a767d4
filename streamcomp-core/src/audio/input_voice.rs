//! The sound of `input` layers in the mix: each layer reads its live input's sound at the
//! stream times of the block, through the input's clock (the one its pictures follow), so
//! picture and sound stay together; a clock that runs a fraction fast or slow is followed by
//! reading the input's sound that fraction faster or slower (cubic interpolation).

use crate::encode::AUDIO_RATE;
use crate::input::InputHub;
use crate::media::nanos_from_ticks;

/// One input layer's sound.
#[derive(Debug)]
pub(crate) struct InputVoice {
    /// The layer.
    pub(crate) id: String,
    /// The input it shows.
    pub(crate) input: String,
    /// Gain.
    pub(crate) volume: f32,
    /// Input sample (48 kHz, fractional) where the last block ended.
    cursor: Option<f64>,
}

impl InputVoice {
    /// A voice for layer `id` showing `input`.
    pub(crate) fn new(id: String, input: String, volume: f32) -> InputVoice {
        InputVoice {
            id,
            input,
            volume,
            cursor: None,
        }
    }

    /// Keeps reading where `old` (the same layer and input) left off.
    pub(crate) fn inherit(&mut self, old: &InputVoice) {
        self.cursor = old.cursor;
    }

    /// Adds the input's sound for scene samples `start .. start + left.len()`.
    pub(crate) fn add_into(
        &mut self,
        hub: &InputHub,
        start: u64,
        left: &mut [f32],
        right: &mut [f32],
    ) {
        let Some(feed) = hub.feed(&self.input) else {
            self.cursor = None;
            return;
        };
        let n = left.len().min(right.len()) as i64;
        let w0 = nanos_from_ticks(start as i64, AUDIO_RATE as u64);
        let w1 = nanos_from_ticks(start as i64 + n, AUDIO_RATE as u64);
        match feed.add_sound(w0, w1, self.cursor, self.volume, left, right) {
            Some((cursor, offset_ms)) => {
                self.cursor = Some(cursor);
                feed.note_av_offset(offset_ms);
            }
            None => self.cursor = None,
        }
    }
}
