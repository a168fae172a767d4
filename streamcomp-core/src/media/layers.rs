//! [`VideoLayers`]: a compositor's video sources, one per video layer, kept while the layer's
//! files stay the same (a seek or pause changes only its timeline) and stopped when the layer
//! goes. Decoder failures are reported once each and the layer keeps its last picture.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use super::program::{Program, resolve};
use super::source::{VideoFrame, VideoSource, Wait};
use super::time::Nanos;
use crate::assets::AssetResolver;
use crate::error::RenderError;
use crate::render::VideoTarget;
use crate::scene::{Layer, Scene, VideoProps};

/// One video layer's state in a compositor.
struct Entry {
    /// Hash of what the source depends on: files, in/out points, loop, decoder, birth, start.
    files_key: u64,
    /// Hash of the whole video props (with the playback anchor) `program` was built from.
    props_key: u64,
    program: Program,
    source: Option<VideoSource>,
    /// The decoder's failure, once reported.
    failed: Option<String>,
}

/// A compositor's video sources by layer id.
#[derive(Default)]
pub(crate) struct VideoLayers {
    entries: HashMap<String, Entry>,
    /// How long a frame may wait for a decoder (`None`: until it is there).
    pub(crate) wait: Option<std::time::Duration>,
    /// Failures not yet reported: (layer, message).
    pub(crate) failures: Vec<(String, String)>,
    /// Frames shown with an older picture because a decoder was late.
    pub(crate) late: u64,
    /// Draws pictures again for a box the decode thread did not know yet.
    pub(crate) scaler: crate::frame::scale::Scaler,
    /// Layers with `on_end: "remove"` that played to their end, each once, until taken.
    pub(crate) ended: Vec<String>,
    /// Those already reported (kept while the layer stays ended, so it is reported once).
    ended_seen: std::collections::HashSet<String>,
}

impl std::fmt::Debug for VideoLayers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoLayers")
            .field("layers", &self.entries.len())
            .finish_non_exhaustive()
    }
}

/// A hash of what a video layer's decoding depends on (its files, points, loop, decoder,
/// birth and start), and with `with_playback` also of its playback anchor.
pub(crate) fn hash_props(v: &VideoProps, layer: &Layer, with_playback: bool) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for it in &v.items {
        it.src.hash(&mut h);
        it.in_point.to_bits().hash(&mut h);
        it.out_point.map(f64::to_bits).hash(&mut h);
    }
    v.looped.hash(&mut h);
    v.decoder.hash(&mut h);
    layer.born.to_bits().hash(&mut h);
    v.start.to_bits().hash(&mut h);
    if with_playback {
        v.playback
            .map(|p| {
                (
                    p.at.to_bits(),
                    p.item,
                    p.position.to_bits(),
                    p.lap,
                    p.paused,
                )
            })
            .hash(&mut h);
    }
    h.finish()
}

impl VideoLayers {
    /// The program of the video layer at `index` (resolved again only when its props change).
    pub(crate) fn program(
        &mut self,
        assets: &AssetResolver,
        scene: &Scene,
        index: usize,
        layer: &Layer,
        v: &VideoProps,
    ) -> Result<&Program, RenderError> {
        let props_key = hash_props(v, layer, true);
        let files_key = hash_props(v, layer, false);
        let id = layer.id.as_str();
        let fresh = match self.entries.get(id) {
            Some(e) => e.props_key != props_key,
            None => true,
        };
        if fresh {
            let program = resolve(assets, scene, index, layer, v)?;
            match self.entries.get_mut(id) {
                Some(e) if e.files_key == files_key => {
                    e.program = program;
                    e.props_key = props_key;
                }
                _ => {
                    self.entries.insert(
                        id.to_string(),
                        Entry {
                            files_key,
                            props_key,
                            program,
                            source: None,
                            failed: None,
                        },
                    );
                }
            }
        }
        let e = self.entries.get_mut(id).expect("inserted above");
        Ok(&e.program)
    }

    /// The picture of layer `id` on screen at program time `p`, drawn for `target` (its
    /// source started on first use). `None` while nothing is decoded yet. A decoder failure
    /// is queued in [`VideoLayers::failures`] once, and the last picture stays.
    pub(crate) fn picture(
        &mut self,
        id: &str,
        p: Nanos,
        target: VideoTarget,
        decoder: crate::media::DecoderChoice,
        limits: &crate::limits::Limits,
    ) -> Option<Arc<VideoFrame>> {
        let e = self.entries.get_mut(id)?;
        if e.failed.is_some() {
            return e.source.as_ref().and_then(VideoSource::last);
        }
        if e.source.is_none() {
            match VideoSource::start(
                e.program.items.clone(),
                e.program.timeline.clone(),
                decoder,
                limits,
                p,
                id,
            ) {
                Ok(s) => e.source = Some(s),
                Err(err) => {
                    let msg = err.to_string();
                    e.failed = Some(msg.clone());
                    self.failures.push((id.to_string(), msg));
                    return None;
                }
            }
        }
        let source = e.source.as_mut()?;
        source.set_target(target);
        let wait = match self.wait {
            None => Wait::Exact,
            Some(d) => Wait::AtMost(d),
        };
        match source.frame_at(p, wait) {
            Ok(s) => {
                if s.late {
                    self.late += 1;
                }
                s.frame
            }
            Err(msg) => {
                let last = source.last();
                e.failed = Some(msg.clone());
                self.failures.push((id.to_string(), msg));
                last
            }
        }
    }

    /// Notes whether layer `id` (with `on_end: "remove"`) is past its end now: the first time
    /// it is, it joins [`VideoLayers::ended`]; when it plays again (a seek back) it may end again.
    pub(crate) fn note_end(&mut self, id: &str, ended: bool) {
        if !ended {
            self.ended_seen.remove(id);
        } else if self.ended_seen.insert(id.to_string()) {
            self.ended.push(id.to_string());
        }
    }

    /// Stops the sources of layers that are no longer video layers of `scene`.
    pub(crate) fn sweep(&mut self, scene: &Scene) {
        self.ended_seen
            .retain(|id| scene.layers.iter().any(|l| l.id.as_str() == id));
        if self.entries.is_empty() {
            return;
        }
        self.entries.retain(|id, _| {
            scene
                .layers
                .iter()
                .any(|l| l.id.as_str() == id && matches!(l.kind, crate::scene::LayerKind::Video(_)))
        });
    }

    /// Stops every source.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}
