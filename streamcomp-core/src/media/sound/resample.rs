//! A streaming resampler from a file's rate to 48 kHz stereo: rubato's FFT resampler fed in
//! fixed blocks from a small queue, its start-up delay cut, its tail flushed at the end so the
//! output has exactly `input × 48000 / rate` frames (rounded). At 48 kHz it passes through.

use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
use rubato::{Fft, FixedSync, Resampler};

use crate::encode::AUDIO_RATE;

/// Input frames per resampler block.
const BLOCK: usize = 1024;

/// Stereo sound on its way from the file's rate to 48 kHz.
pub(super) struct StreamResampler {
    /// The resampler (`None` at 48 kHz).
    fft: Option<Fft<f32>>,
    /// The file's rate.
    rate: u32,
    /// Input not yet resampled (left, right).
    queue: [Vec<f32>; 2],
    /// Output buffer of one block.
    out: [Vec<f32>; 2],
    /// Output frames still to cut as the resampler's delay.
    delay_left: usize,
    /// Input frames taken since the last reset.
    fed: u64,
    /// Output frames given since the last reset.
    given: u64,
}

impl StreamResampler {
    /// A resampler from `rate` to 48 kHz.
    pub(super) fn new(rate: u32) -> Result<StreamResampler, String> {
        let fft = if rate == AUDIO_RATE {
            None
        } else {
            Some(
                Fft::<f32>::new(
                    rate as usize,
                    AUDIO_RATE as usize,
                    BLOCK,
                    2,
                    FixedSync::Input,
                )
                .map_err(|e| e.to_string())?,
            )
        };
        let max_out = fft.as_ref().map_or(0, |f| f.output_frames_max());
        let delay_left = fft.as_ref().map_or(0, |f| f.output_delay());
        Ok(StreamResampler {
            fft,
            rate,
            queue: [Vec::new(), Vec::new()],
            out: [vec![0.0; max_out], vec![0.0; max_out]],
            delay_left,
            fed: 0,
            given: 0,
        })
    }

    /// Forgets all input and state (after a seek): the next input is the start of a new run.
    pub(super) fn reset(&mut self) {
        if let Some(f) = &mut self.fft {
            f.reset();
            self.delay_left = f.output_delay();
        }
        self.queue[0].clear();
        self.queue[1].clear();
        self.fed = 0;
        self.given = 0;
    }

    /// Adds input frames and appends whatever output is ready to `left`/`right`.
    pub(super) fn push(
        &mut self,
        l: &[f32],
        r: &[f32],
        left: &mut Vec<f32>,
        right: &mut Vec<f32>,
    ) -> Result<(), String> {
        self.fed += l.len() as u64;
        if self.fft.is_none() {
            left.extend_from_slice(l);
            right.extend_from_slice(r);
            self.given += l.len() as u64;
            return Ok(());
        }
        self.queue[0].extend_from_slice(l);
        self.queue[1].extend_from_slice(r);
        while self.queue[0].len() >= BLOCK {
            self.block(None, left, right)?;
        }
        Ok(())
    }

    /// Appends the rest of the output (the queue and the resampler's tail) to `left`/`right`,
    /// so that the output since the last reset is `input × 48000 / rate` frames.
    pub(super) fn flush(
        &mut self,
        left: &mut Vec<f32>,
        right: &mut Vec<f32>,
    ) -> Result<(), String> {
        let exact = (u128::from(self.fed) * u128::from(AUDIO_RATE) + u128::from(self.rate) / 2)
            / u128::from(self.rate);
        let exact = u64::try_from(exact).unwrap_or(u64::MAX);
        if self.fft.is_some() {
            // Each round feeds at most one block of input (zeros past the end); the resampler's
            // delay is a few blocks, so this ends.
            let mut rounds = 0;
            while self.given < exact && rounds < 64 {
                let partial = self.queue[0].len().min(BLOCK);
                self.block(Some(partial), left, right)?;
                rounds += 1;
            }
        }
        let over = self.given.saturating_sub(exact) as usize;
        let keep = left.len().saturating_sub(over);
        left.truncate(keep);
        right.truncate(keep);
        self.given = exact.min(self.given);
        Ok(())
    }

    /// Resamples one block from the queue (`partial` frames of it at the end, padded with
    /// silence) and appends the output, less any delay still to cut.
    fn block(
        &mut self,
        partial: Option<usize>,
        left: &mut Vec<f32>,
        right: &mut Vec<f32>,
    ) -> Result<(), String> {
        let Some(fft) = &mut self.fft else {
            return Ok(());
        };
        let take = partial.unwrap_or(BLOCK);
        let frames_in = self.queue[0].len();
        let (used, produced) = {
            let input = SequentialSliceOfVecs::new(&self.queue[..], 2, frames_in)
                .map_err(|e| e.to_string())?;
            let out_len = self.out[0].len();
            let mut output = SequentialSliceOfVecs::new_mut(&mut self.out[..], 2, out_len)
                .map_err(|e| e.to_string())?;
            let indexing = partial.map(|p| rubato::Indexing::new().partial_len(p));
            fft.process_into_buffer(&input, &mut output, indexing.as_ref())
                .map_err(|e| e.to_string())?
        };
        let used = used.min(take).min(frames_in);
        self.queue[0].drain(..used);
        self.queue[1].drain(..used);
        let skip = self.delay_left.min(produced);
        self.delay_left -= skip;
        left.extend_from_slice(&self.out[0][skip..produced]);
        right.extend_from_slice(&self.out[1][skip..produced]);
        self.given += (produced - skip) as u64;
        Ok(())
    }
}
