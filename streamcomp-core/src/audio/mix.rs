//! The [`Mixer`]: every `audio` layer of a scene, decoded once (cached per source), summed with
//! its volume into stereo blocks for any sample range of the scene timeline.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::input_voice::InputVoice;
use super::video_voice::VideoVoice;
use super::{AudioClip, decode, time_to_sample};
use crate::assets::AssetResolver;
use crate::error::{AssetError, RenderError};
use crate::scene::{LayerKind, Scene};

/// One playing layer.
#[derive(Clone, Debug)]
struct Voice {
    clip: Arc<AudioClip>,
    volume: f32,
    looped: bool,
    /// Timeline sample at which the sound starts (when the layer appeared).
    start: i64,
}

/// Mixes a scene's `audio` layers into 48 kHz stereo for any sample range of its timeline.
///
/// Built from a scene with [`Mixer::new`], which decodes every audio file before anything else
/// happens (so a missing or broken file is reported before any frame work, naming the layer's
/// JSON path); [`Mixer::update`] follows a changed scene, decoding only new sources.
/// [`Mixer::mix`] allocates nothing.
#[derive(Debug, Default)]
pub struct Mixer {
    voices: Vec<Voice>,
    clips: AudioClips,
    /// The sound of video layers, each on its layer's timeline.
    videos: Vec<VideoVoice>,
    /// How long a block may wait for a video layer's sound (`None`: until it is there).
    video_wait: Option<std::time::Duration>,
    /// The sound of input layers.
    inputs: Vec<InputVoice>,
    /// The live inputs they read (`None`: input layers are silent).
    hub: Option<crate::input::InputHub>,
}

/// Decoded audio files by source, shared between a [`Mixer`] and whoever applies live changes
/// (clones share one cache): a live change decodes a new layer's file before it is accepted,
/// and the encode thread finds it decoded.
#[derive(Clone, Debug, Default)]
pub(crate) struct AudioClips {
    cache: Arc<Mutex<HashMap<String, Arc<AudioClip>>>>,
}

impl AudioClips {
    /// Decodes the file of every `audio` layer of `scene` not decoded yet; the error names the
    /// first layer whose file is missing or broken. Returns the clips in layer order.
    pub(crate) fn load_scene(
        &self,
        scene: &Scene,
        assets: &AssetResolver,
    ) -> Result<Vec<Arc<AudioClip>>, RenderError> {
        let mut clips = Vec::new();
        for (i, layer) in scene.layers.iter().enumerate() {
            let LayerKind::Audio(a) = &layer.kind else {
                continue;
            };
            let key = match scene.base_dir.as_deref() {
                Some(b) if !a.src.contains(':') => format!("{}\0{}", b.display(), a.src),
                _ => a.src.clone(),
            };
            let cached = self
                .cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&key)
                .cloned();
            let clip = match cached {
                Some(c) => c,
                None => {
                    // Decoded without the lock held: a long file does not hold up the others.
                    let clip =
                        load(assets, &a.src, scene).map_err(|source| RenderError::Asset {
                            path: format!("layers[{i}].src"),
                            layer: layer.id.to_string(),
                            source,
                        })?;
                    let clip = Arc::new(clip);
                    self.cache
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(key, clip.clone());
                    clip
                }
            };
            clips.push(clip);
        }
        Ok(clips)
    }
}

impl Mixer {
    /// Loads every `audio` layer of `scene` through `assets` (path confinement, file size and
    /// `max_audio_seconds` limits apply).
    pub fn new(scene: &Scene, assets: &AssetResolver) -> Result<Mixer, RenderError> {
        let mut m = Mixer::default();
        m.update(scene, assets)?;
        Ok(m)
    }

    /// Follows `scene` after a change: the voices become its audio layers; files already
    /// decoded are reused.
    pub fn update(&mut self, scene: &Scene, assets: &AssetResolver) -> Result<(), RenderError> {
        let clips = self.clips.load_scene(scene, assets)?;
        self.voices.clear();
        let audio = scene.layers.iter().filter_map(|l| match &l.kind {
            LayerKind::Audio(a) => Some((l, a)),
            _ => None,
        });
        for ((layer, a), clip) in audio.zip(clips) {
            self.voices.push(Voice {
                clip,
                volume: a.volume as f32,
                looped: a.looped,
                start: time_to_sample(layer.born),
            });
        }
        let mut old = std::mem::take(&mut self.videos);
        for (i, layer) in scene.layers.iter().enumerate() {
            let LayerKind::Video(v) = &layer.kind else {
                continue;
            };
            if v.muted || v.volume == 0.0 {
                continue;
            }
            let program = crate::media::program::resolve(assets, scene, i, layer, v)?;
            let key = crate::media::layers::hash_props(v, layer, false);
            let mut voice = VideoVoice::new(
                layer.id.to_string(),
                key,
                program,
                v.volume as f32,
                assets.limits().clone(),
            );
            if let Some(pos) = old
                .iter()
                .position(|o| o.id == voice.id && o.files_key == key)
            {
                voice.inherit(old.swap_remove(pos));
            }
            self.videos.push(voice);
        }
        let old = std::mem::take(&mut self.inputs);
        for layer in &scene.layers {
            let LayerKind::Input(p) = &layer.kind else {
                continue;
            };
            if p.muted || p.volume == 0.0 {
                continue;
            }
            let mut voice = InputVoice::new(layer.id.to_string(), p.input.clone(), p.volume as f32);
            if let Some(o) = old
                .iter()
                .find(|o| o.id == voice.id && o.input == voice.input)
            {
                voice.inherit(o);
            }
            self.inputs.push(voice);
        }
        Ok(())
    }

    /// Mixes the sound of input layers from `hub`'s live inputs (scene time `t` is stream
    /// time `t` of the hub); without one they are silent.
    pub(crate) fn set_inputs(&mut self, hub: Option<crate::input::InputHub>) {
        self.hub = hub;
    }

    /// Lets a block wait at most `wait` for a video layer's sound (live streams), instead of
    /// until it is there (renders).
    pub(crate) fn set_video_wait(&mut self, wait: Option<std::time::Duration>) {
        self.video_wait = wait;
    }

    /// The decoded files this mixer uses; clones share them (see [`AudioClips`]).
    pub(crate) fn clips(&self) -> AudioClips {
        self.clips.clone()
    }

    /// Whether no audio layer exists (every block is silence).
    pub fn is_empty(&self) -> bool {
        self.voices.is_empty() && self.videos.is_empty() && self.inputs.is_empty()
    }

    /// Fills `left` and `right` (equal lengths) with the mix of the samples `start ..
    /// start + left.len()` of the scene timeline (sample 0 is scene time 0): every layer ×
    /// its volume, summed, clamped to [-1, 1]; silence where nothing plays.
    pub fn mix(&mut self, start: u64, left: &mut [f32], right: &mut [f32]) {
        let len = left.len().min(right.len());
        let (left, right) = (&mut left[..len], &mut right[..len]);
        left.fill(0.0);
        right.fill(0.0);
        for v in &self.voices {
            v.add_into(start as i64, left, right);
        }
        for v in &mut self.videos {
            if let Err(e) = v.add_into(start, left, right, self.video_wait) {
                tracing::warn!(layer = %v.id, "the sound of video layer `{}` stopped: {e}", v.id);
            }
        }
        if let Some(hub) = &self.hub {
            for v in &mut self.inputs {
                v.add_into(hub, start, left, right);
            }
        }
        if !self.is_empty() {
            for s in left.iter_mut().chain(right.iter_mut()) {
                *s = s.clamp(-1.0, 1.0);
            }
        }
    }
}

impl Voice {
    /// Adds this voice's samples for timeline samples `start .. start + out.len()`.
    fn add_into(&self, start: i64, left: &mut [f32], right: &mut [f32]) {
        let clip_len = self.clip.len() as i64;
        if clip_len == 0 || self.volume == 0.0 {
            return;
        }
        let n = left.len() as i64;
        // Where in the output the sound begins (it may start inside this block).
        let mut out = (self.start - start).max(0);
        while out < n {
            let pos = start + out - self.start;
            let at = if self.looped {
                pos.rem_euclid(clip_len)
            } else if pos >= clip_len {
                return;
            } else {
                pos
            };
            let run = (clip_len - at).min(n - out) as usize;
            let (o, a) = (out as usize, at as usize);
            for (d, s) in left[o..o + run].iter_mut().zip(&self.clip.left[a..a + run]) {
                *d += s * self.volume;
            }
            for (d, s) in right[o..o + run]
                .iter_mut()
                .zip(&self.clip.right[a..a + run])
            {
                *d += s * self.volume;
            }
            out += run as i64;
        }
    }
}

/// Reads and decodes one source.
fn load(assets: &AssetResolver, src: &str, scene: &Scene) -> Result<AudioClip, AssetError> {
    let bytes = assets.read_source(src, scene.base_dir.as_deref())?;
    let name = if src.starts_with("data:") {
        "data: URI".to_string()
    } else {
        src.to_string()
    };
    decode::decode(bytes, &name, assets.limits().max_audio_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voice(samples: &[f32], volume: f32, looped: bool, start: i64) -> Voice {
        Voice {
            clip: Arc::new(AudioClip {
                left: samples.to_vec(),
                right: samples.iter().map(|s| -s).collect(),
                source_rate: 48_000,
            }),
            volume,
            looped,
            start,
        }
    }

    fn run(voices: Vec<Voice>, start: u64, n: usize) -> (Vec<f32>, Vec<f32>) {
        let mut m = Mixer {
            voices,
            ..Mixer::default()
        };
        let (mut l, mut r) = (vec![9.0; n], vec![9.0; n]);
        m.mix(start, &mut l, &mut r);
        (l, r)
    }

    #[test]
    fn starts_when_the_layer_appears_and_stops_at_its_end() {
        let (l, r) = run(vec![voice(&[0.1, 0.2, 0.3], 1.0, false, 2)], 0, 7);
        assert_eq!(l, [0.0, 0.0, 0.1, 0.2, 0.3, 0.0, 0.0]);
        assert_eq!(r, [0.0, 0.0, -0.1, -0.2, -0.3, 0.0, 0.0]);
        // A block that starts inside the sound.
        let (l, _) = run(vec![voice(&[0.1, 0.2, 0.3], 1.0, false, 2)], 3, 3);
        assert_eq!(l, [0.2, 0.3, 0.0]);
    }

    #[test]
    fn loops_volume_sum_and_clamp() {
        let (l, _) = run(vec![voice(&[0.1, 0.2, 0.3], 2.0, true, 1)], 0, 8);
        let want = [0.0, 0.2, 0.4, 0.6, 0.2, 0.4, 0.6, 0.2];
        for (a, b) in l.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{l:?}");
        }
        // Far into a loop: sample 1_000_001 is clip sample 1_000_000 % 3 = 1.
        let (l, _) = run(vec![voice(&[0.1, 0.2, 0.3], 1.0, true, 1)], 1_000_001, 1);
        assert_eq!(l, [0.2]);
        let (l, r) = run(
            vec![voice(&[0.8], 1.0, true, 0), voice(&[0.7], 1.0, true, 0)],
            0,
            2,
        );
        assert_eq!(l, [1.0, 1.0]);
        assert_eq!(r, [-1.0, -1.0]);
    }

    #[test]
    fn no_layer_is_silence() {
        let (l, r) = run(vec![], 0, 4);
        assert_eq!((l, r), (vec![0.0; 4], vec![0.0; 4]));
    }
}
