//! [`LiveHandle`]: changes the scene of a running stream from any thread and reads its state.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, sync_channel};

use super::events::{Event, LayerView, Status, StreamState};
use super::shared::{Shared, lock};

use crate::error::Error;
use crate::frame::Frame;
use crate::media::MediaAction;
use crate::scene::{LayerChange, Scene, SceneError, SceneErrorReason};

/// A handle on a running stream: change the scene, read its status, subscribe to events.
/// `Clone + Send + Sync`; every method returns at once (changes are applied to the scene under
/// a lock and picked up by the next frame).
#[derive(Clone)]
pub struct LiveHandle {
    pub(super) shared: Arc<Shared>,
}

impl std::fmt::Debug for LiveHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveHandle").finish_non_exhaustive()
    }
}

impl LiveHandle {
    /// Applies `ops` all together at the current scene time, or none of them. Returns each
    /// layer as it now is (`None` for removed ones) with its computed bounds. New and changed
    /// layers' files are loaded first, so a missing image is an error here, not a blank layer.
    pub fn apply(&self, ops: Vec<LayerChange>) -> Result<Vec<Option<LayerView>>, Error> {
        let _one_at_a_time = lock(&self.shared.applying);
        let t = self.shared.scene_time();
        let mut next = (**lock(&self.shared.scene)).clone();
        let mut ids = Vec::with_capacity(ops.len());
        for op in ops {
            ids.push(next.apply(op, t)?.map(|l| l.id.clone()));
        }
        next.prune(t);
        let mut views = Vec::with_capacity(ids.len());
        {
            let mut inspector = lock(&self.shared.inspector);
            for id in ids {
                // A layer removed by a later change of the same batch is `None` too.
                let Some(layer) = id.and_then(|id| next.layer(id.as_str())).cloned() else {
                    views.push(None);
                    continue;
                };
                let bounds = inspector.bounds(&next, &layer, t)?;
                let media = self.shared.media_status(&mut inspector, &next, &layer, t)?;
                views.push(Some(LayerView {
                    layer,
                    bounds,
                    media,
                }));
            }
        }
        // New audio layers' files are decoded now: a broken one is this change's error, and
        // the encode thread does not stop to decode it.
        if let Some(clips) = &self.shared.audio {
            clips.load_scene(&next, &self.shared.assets)?;
        }
        self.shared.install(next);
        Ok(views)
    }

    /// The status of every live input of the scene, by name.
    pub fn inputs(&self) -> Vec<crate::input::InputStatus> {
        self.shared.inputs.status()
    }

    /// The live inputs (to share with another stream, or to start a listener on).
    pub fn input_hub(&self) -> crate::input::InputHub {
        self.shared.inputs.clone()
    }

    /// Adds input `name` to the scene or replaces it (`doc` as in the scene's `inputs`); it
    /// starts with the next frame. Returns its status.
    pub fn set_input(
        &self,
        name: &str,
        doc: &serde_json::Value,
    ) -> Result<crate::input::InputStatus, Error> {
        let _one_at_a_time = lock(&self.shared.applying);
        let mut next = (**lock(&self.shared.scene)).clone();
        next.set_input(name, doc)?;
        // Started now, so the status below is the new input's.
        self.shared
            .inputs
            .sync(&next.inputs, self.shared.assets.limits());
        self.shared.install(next);
        Ok(self
            .shared
            .inputs
            .input_status(name)
            .unwrap_or_else(|| crate::input::InputStatus::new(name, &self.scene().inputs[name])))
    }

    /// Removes input `name` (refused while a layer shows it); its publisher is disconnected.
    pub fn remove_input(&self, name: &str) -> Result<(), Error> {
        let _one_at_a_time = lock(&self.shared.applying);
        let mut next = (**lock(&self.shared.scene)).clone();
        next.remove_input(name)?;
        self.shared
            .inputs
            .sync(&next.inputs, self.shared.assets.limits());
        self.shared.install(next);
        Ok(())
    }

    /// The scene as it now is.
    pub fn scene(&self) -> Scene {
        (**lock(&self.shared.scene)).clone()
    }

    /// Every layer in stacking order, with its bounds now.
    pub fn layers(&self) -> Result<Vec<LayerView>, Error> {
        let scene = Arc::clone(&lock(&self.shared.scene));
        let t = self.shared.scene_time();
        let mut inspector = lock(&self.shared.inspector);
        scene
            .stacking_order()
            .into_iter()
            .map(|l| {
                Ok(LayerView {
                    layer: l.clone(),
                    bounds: inspector.bounds(&scene, l, t)?,
                    media: self.shared.media_status(&mut inspector, &scene, l, t)?,
                })
            })
            .collect()
    }

    /// The change that applies a media action (seek, pause, resume, next, queue) to video
    /// layer `id` now: a merge patch of its playback anchor or playlist, for
    /// [`LiveHandle::apply`] (or a front end's own apply, which saves and broadcasts it).
    pub fn media_change(&self, id: &str, action: &MediaAction) -> Result<LayerChange, Error> {
        let t = self.shared.scene_time();
        let scene = Arc::clone(&lock(&self.shared.scene));
        let layer = scene.layer(id).ok_or_else(|| {
            SceneError::one(
                SceneErrorReason::NotFound,
                "id",
                format!("no layer with id `{id}`"),
            )
        })?;
        let patch = lock(&self.shared.inspector).media_patch(&scene, layer, action, t)?;
        Ok(LayerChange::Patch {
            id: id.to_string(),
            patch,
            transition: None,
        })
    }

    /// Applies a media action to video layer `id` now and returns the layer as it then is.
    pub fn media(&self, id: &str, action: &MediaAction) -> Result<LayerView, Error> {
        let change = self.media_change(id, action)?;
        self.apply(vec![change])?
            .pop()
            .flatten()
            .ok_or_else(|| Error::Thread("the layer vanished".into()))
    }

    /// A snapshot of the stream's state and counters.
    pub fn status(&self) -> Status {
        let s = &self.shared;
        let (state, last_error) = lock(&s.state).clone();
        let scene = Arc::clone(&lock(&s.scene));
        Status {
            state,
            uptime: lock(&s.ran).unwrap_or_else(|| s.start.elapsed()),
            frames_rendered: s.counters.rendered.load(Ordering::Relaxed),
            frames_encoded: s.counters.encoded.load(Ordering::Relaxed),
            frames_dropped: s.counters.dropped.load(Ordering::Relaxed),
            worker_restarts: s.counters.restarts.load(Ordering::Relaxed),
            video_late_frames: s.counters.video_late.load(Ordering::Relaxed),
            codec: s.codec,
            width: scene.width,
            height: scene.height,
            fps: scene.fps,
            layers: scene.layers.len(),
            outputs: lock(&s.outputs).clone(),
            last_error,
        }
    }

    /// The latest composed frame (refreshed a few times a second while previews are asked
    /// for; the first call may return the frame from the start).
    pub fn preview(&self) -> Option<Arc<Frame>> {
        let ms = self.shared.start.elapsed().as_millis() as u64;
        self.shared
            .preview_wanted
            .store(ms.max(1), Ordering::Relaxed);
        lock(&self.shared.preview).clone()
    }

    /// A new receiver of events. Events are dropped for a receiver that does not keep up
    /// (it holds at most `capacity`), never queued without bound.
    pub fn subscribe(&self, capacity: usize) -> Receiver<Event> {
        let (tx, rx) = sync_channel(capacity.max(1));
        lock(&self.shared.subscribers).push(tx);
        rx
    }

    /// Asks the stream to stop (as [`LiveStream::stop`](super::LiveStream::stop) does, without waiting).
    pub fn request_stop(&self) {
        self.shared.stop.store(true, Ordering::Release);
    }

    /// Whether the stream has stopped (by the duration, a stop request or an error).
    pub fn is_stopped(&self) -> bool {
        matches!(
            lock(&self.shared.state).0,
            StreamState::Stopped | StreamState::Error
        )
    }
}
