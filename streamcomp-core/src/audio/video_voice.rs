//! The sound of `video` layers in the mix: each layer's [`SoundSource`] read on the layer's
//! timeline (the one its pictures follow), scaled by its `volume`, silent while paused,
//! before it starts and after it ends.

use std::time::Duration;

use crate::encode::AUDIO_RATE;
use crate::media::nanos_from_ticks;
use crate::media::program::Program;
use crate::media::sound_source::{SoundSource, sample_of};
use crate::media::timeline::{Place, Timeline};

/// One video layer's sound.
pub(crate) struct VideoVoice {
    /// The layer.
    pub(crate) id: String,
    /// What the sound thread depends on (files, points, loop, decoder, birth, start).
    pub(crate) files_key: u64,
    /// The program (its timeline follows media actions).
    pub(crate) program: Program,
    /// Gain.
    pub(crate) volume: f32,
    limits: crate::limits::Limits,
    /// The decode thread, started on first use (`None` before, or when there is no sound).
    source: Option<SoundSource>,
    started: bool,
}

impl std::fmt::Debug for VideoVoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoVoice")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Samples (at 48 kHz) from scene time `t` until `until`, at least 1.
fn samples_until(t: i64, until: i64) -> usize {
    let n = (until.saturating_sub(t)) as i128 * AUDIO_RATE as i128;
    (n.div_euclid(1_000_000_000) + 1).clamp(1, usize::MAX as i128) as usize
}

impl VideoVoice {
    /// A voice for a layer's program.
    pub(crate) fn new(
        id: String,
        files_key: u64,
        program: Program,
        volume: f32,
        limits: crate::limits::Limits,
    ) -> VideoVoice {
        VideoVoice {
            id,
            files_key,
            program,
            volume,
            limits,
            source: None,
            started: false,
        }
    }

    /// Takes over the thread of `old` (same files), keeping its queue.
    pub(crate) fn inherit(&mut self, old: VideoVoice) {
        self.source = old.source;
        self.started = old.started;
    }

    fn timeline(&self) -> &Timeline {
        &self.program.timeline
    }

    /// Adds the layer's sound for scene samples `start .. start + left.len()`. An error is
    /// the sound thread's failure, returned once (the layer is then silent).
    pub(crate) fn add_into(
        &mut self,
        start: u64,
        left: &mut [f32],
        right: &mut [f32],
        wait: Option<Duration>,
    ) -> Result<(), String> {
        let n = left.len().min(right.len());
        let mut k = 0usize;
        while k < n {
            let t = nanos_from_ticks(start as i64 + k as i64, AUDIO_RATE as u64);
            let rest = n - k;
            let change = self.timeline().next_change(t);
            let len_to_change = change.map_or(rest, |c| samples_until(t, c - 1).min(rest));
            match self.timeline().place(t) {
                Place::Before => {
                    k += len_to_change;
                }
                Place::Ended { .. } | Place::At { paused: true, .. } => {
                    // Silent until the mapping changes (a seek or resume).
                    k += len_to_change;
                }
                Place::At { program, .. } => {
                    let ps = sample_of(program);
                    let mut len = len_to_change;
                    if let Some(total) = self.timeline().total() {
                        len = len.min((sample_of(total) - ps).max(1) as usize);
                    }
                    if self.volume > 0.0 {
                        if !self.started {
                            self.started = true;
                            match SoundSource::start(
                                self.program.items.clone(),
                                self.program.timeline.clone(),
                                &self.limits,
                                ps,
                                &self.id,
                            ) {
                                Ok(s) => self.source = s,
                                Err(e) => return Err(e.to_string()),
                            }
                        }
                        if let Some(src) = &mut self.source
                            && src.failed.is_none()
                            && let Err(e) = src.add(
                                ps,
                                self.volume,
                                &mut left[k..k + len],
                                &mut right[k..k + len],
                                wait,
                            )
                        {
                            src.failed = Some(e.clone());
                            return Err(e);
                        }
                    }
                    k += len;
                }
            }
        }
        Ok(())
    }
}
