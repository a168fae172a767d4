//! The state a stream's handle and threads share: the scene, the stream clock (scene time is
//! the time since start), counters, status, subscribers and the inspector.

use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::events::{Event, OutputStatus, StreamState};

use crate::assets::AssetResolver;
use crate::audio::AudioClips;
use crate::encode::VideoCodec;
use crate::frame::Frame;
use crate::render::Compositor;
use crate::scene::Scene;

/// Counters kept by the threads.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) rendered: AtomicU64,
    pub(super) encoded: AtomicU64,
    pub(super) dropped: AtomicU64,
    pub(super) restarts: AtomicU64,
    /// Frames where a video layer showed its previous picture (its decoder was late).
    pub(super) video_late: AtomicU64,
}

/// State shared by the handle and the threads.
pub(super) struct Shared {
    pub(super) scene: Mutex<Arc<Scene>>,
    pub(super) version: AtomicU64,
    pub(super) start: Instant,
    pub(super) stop: AtomicBool,
    pub(super) counters: Counters,
    pub(super) state: Mutex<(StreamState, Option<String>)>,
    pub(super) outputs: Mutex<Vec<OutputStatus>>,
    pub(super) preview: Mutex<Option<Arc<Frame>>>,
    pub(super) preview_wanted: AtomicU64,
    pub(super) subscribers: Mutex<Vec<SyncSender<Event>>>,
    /// For `bounds` of changed layers and checking their files before they go live.
    pub(super) inspector: Mutex<Compositor>,
    /// Held while a change is made, so changes apply one at a time without holding `scene`
    /// (which the render thread reads every frame) while files load and layers are measured.
    pub(super) applying: Mutex<()>,
    /// The encoder's decoded audio files: a change decodes a new audio layer's file into it
    /// before it is accepted. `None` without audio.
    pub(super) audio: Option<AudioClips>,
    pub(super) assets: AssetResolver,
    pub(super) codec: VideoCodec,
    /// How long the stream ran, once it has stopped (the uptime stops there).
    pub(super) ran: Mutex<Option<Duration>>,
    /// Layers whose decoding failed, with why (their status says `failed`).
    pub(super) failed_layers: Mutex<std::collections::HashMap<String, String>>,
    /// The live inputs input layers show.
    pub(super) inputs: crate::input::InputHub,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub(super) fn emit(&self, e: Event) {
        let mut subs = lock(&self.subscribers);
        subs.retain(|s| !matches!(s.try_send(e.clone()), Err(TrySendError::Disconnected(_))));
    }

    /// Where video layer `layer` stands at `t` (`None` for other kinds), `failed` with the
    /// decoder's error when its decoding failed.
    pub(super) fn media_status(
        &self,
        inspector: &mut Compositor,
        scene: &Scene,
        layer: &crate::scene::Layer,
        t: f64,
    ) -> Result<Option<crate::media::MediaStatus>, crate::error::RenderError> {
        let Some(status) = inspector.media_status(scene, layer, t).transpose()? else {
            return Ok(None);
        };
        let mut status = status;
        if let Some(e) = lock(&self.failed_layers).get(layer.id.as_str()) {
            status.state = "failed";
            status.error = Some(e.clone());
        }
        Ok(Some(status))
    }

    pub(super) fn scene_time(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    pub(super) fn set_state(&self, s: StreamState) {
        lock(&self.state).0 = s;
    }

    /// Marks the stream as ended, once: the state, the run time, the `Stopped` event. Called
    /// by the last thread as it ends, so that `is_stopped` and `status` tell without `wait`.
    pub(super) fn finished(&self, error: Option<String>) {
        {
            let mut ran = lock(&self.ran);
            if ran.is_some() {
                return;
            }
            *ran = Some(self.start.elapsed());
        }
        {
            let mut st = lock(&self.state);
            st.0 = if error.is_some() {
                StreamState::Error
            } else {
                StreamState::Stopped
            };
            if let Some(e) = &error {
                st.1 = Some(e.clone());
            }
        }
        self.emit(Event::Stopped { error });
    }

    /// Makes `next` the scene the render thread draws from its next frame (call with
    /// `applying` held).
    pub(super) fn install(&self, next: Scene) {
        *lock(&self.scene) = Arc::new(next);
        self.version
            .fetch_add(1, std::sync::atomic::Ordering::Release);
    }

    /// Removes layer `id`, a video layer with `on_end: "remove"` that played to its end, and
    /// tells subscribers. `false` when a change is being made right now (the render thread
    /// never waits for one: it tries again next frame). A layer already gone counts as done.
    pub(super) fn remove_ended(&self, id: &str) -> bool {
        let _one_at_a_time = match self.applying.try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return false,
        };
        let t = self.scene_time();
        let mut next = (**lock(&self.scene)).clone();
        let Ok(remove) = crate::LayerChange::remove(id, None) else {
            return true;
        };
        if next.layer(id).is_none() || next.apply(remove, t).is_err() {
            return true;
        }
        next.prune(t);
        self.install(next);
        lock(&self.failed_layers).remove(id);
        self.emit(Event::LayerRemoved {
            layer: id.to_string(),
        });
        true
    }

    pub(super) fn fail(&self, message: String) {
        let mut st = lock(&self.state);
        st.1 = Some(message.clone());
        drop(st);
        self.emit(Event::Error { message });
    }
}
