//! The server's shared state: the running [`LiveStream`] (composing for previews when idle,
//! encoding to outputs when live), the store, and the channel WebSocket clients listen to.
//!
//! Every change (layer changes, start/stop) runs under one lock, in order: apply to the core,
//! save to the store, tell WebSocket clients, answer. So the store always holds the state the
//! last answer acknowledged, and saves never overtake each other. The work blocks (image
//! loading, encoder start-up, fsync), so handlers run it on tokio's blocking threads through
//! [`AppState::run`].

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use serde_json::{Value, json};
use streamcomp_core::{
    AssetResolver, Error, Event, LayerChange, LayerView, LiveHandle, LiveOptions, LiveStream,
    LoadOptions, OutputTarget, RemotePolicy, Scene, Status,
};
use tokio::sync::{broadcast, watch};

use crate::config::Config;
use crate::error::ApiError;
use crate::store::{Saved, Store, timed};

/// Cheap to clone: everything is behind one `Arc`.
#[derive(Clone)]
pub(crate) struct AppState(Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// What [`AppState`] shares.
pub(crate) struct Inner {
    /// The configuration.
    pub config: Config,
    /// Assets confined to `ASSETS_DIR`, remote images from `REMOTE_IMAGES` hosts only.
    pub assets: AssetResolver,
    /// Where state survives restarts.
    pub store: Arc<dyn Store>,
    /// WebSocket messages (JSON text) for every client; bounded, a lagging client is dropped.
    pub events: broadcast::Sender<Arc<str>>,
    /// Becomes `true` when the server shuts down (ends WebSockets and MJPEG streams).
    pub shutdown: watch::Receiver<bool>,
    handle: RwLock<LiveHandle>,
    control: Mutex<Control>,
    store_ok: AtomicBool,
}

/// The stream itself and its settings; the lock every change takes.
struct Control {
    stream: Option<LiveStream>,
    /// The outputs as given while live (they hold keys: never shown), `None` when idle.
    live: Option<Vec<String>>,
    /// The outputs stored as live at start-up when they were not resumed (`RESUME` unset):
    /// kept, and used by the next `start` that names no outputs.
    resume: Option<Vec<String>>,
}

/// What `POST /stream/control` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Go live.
    Start,
    /// Go off air (keep composing for previews).
    Stop,
    /// Stop then start.
    Restart,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A layer as the API returns it: its document plus `bounds`.
pub(crate) fn view_json(v: &LayerView) -> Value {
    let mut doc = v.layer.to_value();
    doc["bounds"] = json!({
        "x": v.bounds.x, "y": v.bounds.y, "width": v.bounds.width, "height": v.bounds.height,
    });
    doc
}

impl AppState {
    /// Opens the pipeline with the stored layers (and goes live again when `RESUME` is set and
    /// the stored state was live). Blocking.
    pub(crate) fn open(
        config: Config,
        store: Arc<dyn Store>,
        shutdown: watch::Receiver<bool>,
    ) -> Result<AppState, String> {
        let mut remote = RemotePolicy::hosts(config.remote_images.clone());
        remote.allow_private_addresses = false;
        let assets = AssetResolver::confined(&config.assets_dir).with_remote(remote);
        let saved = timed("load", || store.load())
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        let first = launch(&config, &assets, empty_scene(&config), &[])
            .map_err(|e| format!("cannot start composing: {e}"))?;
        let (events, _) = broadcast::channel(256);
        let state = AppState(Arc::new(Inner {
            handle: RwLock::new(first.handle()),
            config,
            assets,
            store,
            events,
            shutdown,
            control: Mutex::new(Control {
                stream: None,
                live: None,
                resume: saved.live.then(|| saved.outputs.clone()),
            }),
            store_ok: AtomicBool::new(true),
        }));
        let mut ctl = lock(&state.control);
        state.install(&mut ctl, first);
        state.restore_layers(&saved.layers);
        if saved.live && state.config.resume {
            let targets = parse_outputs(&saved.outputs, true).map_err(|e| e.message)?;
            state
                .relaunch(&mut ctl, Some((targets, saved.outputs.clone())))
                .map_err(|e| format!("cannot resume the live stream: {}", e.message))?;
            ctl.resume = None;
            tracing::info!("resumed the live stream (RESUME=true)");
        }
        drop(ctl);
        Ok(state)
    }

    /// Runs blocking work on tokio's blocking threads.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&AppState) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let s = self.clone();
        tokio::task::spawn_blocking(move || f(&s))
            .await
            .map_err(|e| ApiError::internal("task", e.to_string()))?
    }

    /// The handle of the stream running now.
    pub(crate) fn handle(&self) -> LiveHandle {
        self.handle
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether the last save succeeded (for `/readyz`).
    pub(crate) fn store_ok(&self) -> bool {
        self.store_ok.load(Ordering::Relaxed)
    }

    /// Sends a JSON message to every WebSocket client.
    pub(crate) fn broadcast(&self, msg: Value) {
        let _ = self.events.send(Arc::from(msg.to_string()));
    }

    /// Every layer in stacking order (layers fading out to removal are gone already).
    pub(crate) fn layers(&self) -> Result<Vec<Value>, ApiError> {
        Ok(self
            .handle()
            .layers()?
            .iter()
            .filter(|v| v.layer.fade.is_none())
            .map(view_json)
            .collect())
    }

    /// Applies `ops` together (all or nothing, one frame), saves, tells WebSocket clients and
    /// returns each layer as it now is (`None` for removed ones).
    pub(crate) fn apply(&self, ops: Vec<LayerChange>) -> Result<Vec<Option<Value>>, ApiError> {
        let ctl = lock(&self.control);
        let notes: Vec<(&'static str, Option<String>)> = ops
            .iter()
            .map(|op| match op {
                LayerChange::Add(_) => ("created", None),
                LayerChange::Patch { .. } => ("updated", None),
                LayerChange::Remove { id, .. } => ("deleted", Some(id.clone())),
            })
            .collect();
        let views = self.handle().apply(ops)?;
        let saved = self.save(&ctl);
        drop(ctl);
        let layers: Vec<Option<Value>> = views.iter().map(|v| v.as_ref().map(view_json)).collect();
        for ((action, id), layer) in notes.into_iter().zip(&layers) {
            let layer = layer.clone().unwrap_or_else(|| json!({"id": id}));
            let id = layer["id"].clone();
            self.broadcast(
                json!({"type": "layerUpdate", "action": action, "id": id, "layer": layer}),
            );
        }
        saved?;
        Ok(layers)
    }

    /// Starts, stops or restarts the live stream; returns the status after.
    pub(crate) fn control(&self, action: Action, urls: Vec<String>) -> Result<Value, ApiError> {
        let mut ctl = lock(&self.control);
        let is_live = ctl.live.is_some();
        if action == Action::Start && is_live {
            return Err(ApiError::conflict(
                "the stream is live already; stop it first, or use `restart`",
            ));
        }
        if action == Action::Stop {
            if is_live {
                self.relaunch(&mut ctl, None)?;
                self.broadcast(json!({"type": "streamEvent", "state": "stopped"}));
            }
        } else {
            let (targets, raw) = self.outputs_for(&ctl, urls)?;
            let labels: Vec<String> = targets.iter().map(ToString::to_string).collect();
            self.relaunch(&mut ctl, Some((targets, raw)))?;
            self.broadcast(json!({"type": "streamEvent", "state": "started", "outputs": labels}));
        }
        ctl.resume = None;
        let saved = self.save(&ctl);
        let status = self.status_json(&ctl);
        drop(ctl);
        saved.map(|()| status)
    }

    /// The status as `GET /stream/status` returns it.
    pub(crate) fn status(&self) -> Value {
        self.status_json(&lock(&self.control))
    }

    /// If the stream stopped by itself (an error), composes again and says so. Called
    /// periodically; skips when a change is under way.
    pub(crate) fn watchdog(&self) {
        let Ok(mut ctl) = self.control.try_lock() else {
            return;
        };
        let handle = self.handle();
        if !handle.is_stopped() {
            return;
        }
        let error = handle.status().last_error;
        tracing::warn!(error = ?error, "the stream stopped by itself; composing again, off air");
        if let Err(e) = self.relaunch(&mut ctl, None) {
            tracing::error!("cannot compose again: {}", e.message);
            return;
        }
        let _ = self.save(&ctl);
        self.broadcast(json!({"type": "streamEvent", "state": "stopped", "error": error}));
    }

    /// Stops the stream gracefully and saves the state one last time (at shutdown).
    pub(crate) fn shutdown_stream(&self) {
        let mut ctl = lock(&self.control);
        let _ = self.save(&ctl);
        if let Some(s) = ctl.stream.take() {
            match s.stop() {
                Ok(st) => tracing::info!(
                    frames = st.frames_rendered,
                    encoded = st.frames_encoded,
                    dropped = st.frames_dropped,
                    "stream stopped"
                ),
                Err(e) => tracing::warn!("stream stopped with an error: {e}"),
            }
        }
    }

    fn status_json(&self, ctl: &Control) -> Value {
        let st: Status = self.handle().status();
        let bitrate = st.outputs.iter().fold(0.0, |a, o| a + o.bitrate_kbps);
        let outputs: Vec<Value> = st
            .outputs
            .iter()
            .map(|o| {
                json!({"target": o.target, "state": o.state, "bytes": o.bytes,
                    "bitrate_kbps": o.bitrate_kbps, "reconnects": o.reconnects,
                    "dropped_packets": o.dropped_packets, "last_error": o.last_error})
            })
            .collect();
        json!({
            "state": st.state.as_str(),
            "live": ctl.live.is_some(),
            "was_live": ctl.resume.is_some(),
            "stream_id": self.config.stream_id,
            "outputs": outputs,
            "codec": st.codec.to_string(),
            "resolution": format!("{}x{}", st.width, st.height),
            "fps": st.fps,
            "uptime_seconds": (st.uptime.as_secs_f64() * 1000.0).round() / 1000.0,
            "frames": {"rendered": st.frames_rendered, "encoded": st.frames_encoded,
                       "dropped": st.frames_dropped},
            "worker_restarts": st.worker_restarts,
            "bitrate_kbps": (bitrate * 10.0).round() / 10.0,
            "layers": st.layers,
            "max_layers": self.config.max_layers,
            "last_error": st.last_error,
        })
    }

    /// The outputs for a start: the request's, else the ones live before (restart), else
    /// `STREAM_URL`. Request URLs must be RTMP(S); files only come from the configuration.
    fn outputs_for(
        &self,
        ctl: &Control,
        urls: Vec<String>,
    ) -> Result<(Vec<OutputTarget>, Vec<String>), ApiError> {
        if !urls.is_empty() {
            return Ok((parse_outputs(&urls, false)?, urls));
        }
        if let Some(raw) = ctl.live.as_ref().or(ctl.resume.as_ref())
            && !raw.is_empty()
        {
            return Ok((parse_outputs(raw, true)?, raw.clone()));
        }
        if self.config.stream_urls.is_empty() {
            return Err(ApiError::invalid(
                "url",
                "no output: give `url` or `urls` in the request, or set STREAM_URL",
            ));
        }
        Ok((
            self.config.stream_urls.clone(),
            self.config.stream_urls_raw.clone(),
        ))
    }

    /// Replaces the running stream by one with `outputs` (`None`: composing only), carrying
    /// the scene over. When the new one cannot start, composing goes on and the error is
    /// returned.
    fn relaunch(
        &self,
        ctl: &mut Control,
        outputs: Option<(Vec<OutputTarget>, Vec<String>)>,
    ) -> Result<(), ApiError> {
        let handle = self.handle();
        let t = handle.status().uptime.as_secs_f64();
        let mut scene = handle.scene();
        scene.prune(t);
        scene.shift_clock(t);
        if let Some(old) = ctl.stream.take() {
            match old.stop() {
                Ok(last) => crate::metrics::observe(&last),
                Err(e) => tracing::warn!("the previous stream stopped with an error: {e}"),
            }
        }
        ctl.live = None;
        let targets = outputs.as_ref().map(|o| o.0.as_slice()).unwrap_or(&[]);
        match launch(&self.config, &self.assets, scene.clone(), targets) {
            Ok(s) => {
                self.install(ctl, s);
                ctl.live = outputs.map(|o| o.1);
                Ok(())
            }
            Err(e) => {
                tracing::warn!("cannot start the stream: {e}");
                self.recompose(ctl, scene);
                Err(e.into())
            }
        }
    }

    /// Composes `scene` with no outputs; when even that fails (an asset vanished), starts
    /// empty and adds back every layer that still works.
    fn recompose(&self, ctl: &mut Control, scene: Scene) {
        let layers: Vec<Value> = scene.layers.iter().map(|l| l.to_value()).collect();
        match launch(&self.config, &self.assets, scene, &[]) {
            Ok(s) => self.install(ctl, s),
            Err(e) => {
                tracing::warn!(
                    "cannot compose the scene as it was ({e}); adding layers one by one"
                );
                let s = launch(&self.config, &self.assets, empty_scene(&self.config), &[])
                    .expect("an empty scene always composes");
                self.install(ctl, s);
                self.restore_layers(&layers);
            }
        }
    }

    /// Adds stored layers: all at once, or one by one (logging those refused) if that fails.
    fn restore_layers(&self, layers: &[Value]) {
        if layers.is_empty() {
            return;
        }
        let handle = self.handle();
        let all = layers.iter().cloned().map(LayerChange::Add).collect();
        if handle.apply(all).is_ok() {
            tracing::info!(layers = layers.len(), "layers restored");
            return;
        }
        for l in layers {
            if let Err(e) = handle.apply(vec![LayerChange::Add(l.clone())]) {
                tracing::warn!(layer = %l["id"], "stored layer not restored: {e}");
            }
        }
    }

    fn install(&self, ctl: &mut Control, stream: LiveStream) {
        let handle = stream.handle();
        let rx = handle.subscribe(256);
        let tx = self.events.clone();
        // Ends when the stream's state is dropped (its senders go with it).
        let spawned = std::thread::Builder::new()
            .name("streamcomp-events".into())
            .spawn(move || {
                for e in rx {
                    if let Some(msg) = event_message(&e) {
                        let _ = tx.send(Arc::from(msg.to_string()));
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("no stream events for WebSocket clients: {e}");
        }
        *self.handle.write().unwrap_or_else(|e| e.into_inner()) = handle;
        ctl.stream = Some(stream);
    }

    fn save(&self, ctl: &Control) -> Result<(), ApiError> {
        let scene = self.handle().scene();
        let saved = Saved {
            layers: scene
                .layers
                .iter()
                .filter(|l| l.fade.is_none())
                .map(|l| l.to_value())
                .collect(),
            live: ctl.live.is_some() || ctl.resume.is_some(),
            outputs: ctl.live.clone().or(ctl.resume.clone()).unwrap_or_default(),
        };
        let result = timed("save", || self.store.save(&saved));
        self.store_ok.store(result.is_ok(), Ordering::Relaxed);
        result.map_err(|e| {
            tracing::error!("{e}");
            ApiError::internal(
                "store",
                format!("the change is applied but could not be saved: {e}"),
            )
        })
    }
}

/// The scene the server starts from: the configured size and rate, no layers.
fn empty_scene(c: &Config) -> Scene {
    Scene::from_value(
        json!({"width": c.width, "height": c.height, "fps": c.fps}),
        &LoadOptions::default().with_max_layers(c.max_layers),
    )
    .expect("the configuration checked size and rate")
}

/// Starts a stream of `scene` to `outputs` (none: composing only) with the configured encoding.
fn launch(
    c: &Config,
    assets: &AssetResolver,
    scene: Scene,
    outputs: &[OutputTarget],
) -> Result<LiveStream, Error> {
    let mut opts = LiveOptions::default();
    opts.outputs = outputs.to_vec();
    opts.video.codec = c.codec;
    opts.video.bitrate_kbps = c.bitrate_kbps;
    opts.video.ffmpeg_preset = c.ffmpeg_preset.clone();
    opts.video.ffmpeg_hwaccel = c.ffmpeg_hwaccel.clone();
    opts.audio = c
        .audio_enabled
        .then_some((c.audio_codec, c.audio_bitrate_kbps));
    opts.quality = c.quality;
    LiveStream::start(scene, assets.clone(), opts)
}

/// Parses outputs; from the network (`trusted` false) only `rtmp://` and `rtmps://` URLs, so
/// a request can never make the server write a file.
pub(crate) fn parse_outputs(urls: &[String], trusted: bool) -> Result<Vec<OutputTarget>, ApiError> {
    urls.iter()
        .enumerate()
        .map(|(i, u)| {
            let path = format!("urls[{i}]");
            match u.parse::<OutputTarget>() {
                Ok(t @ OutputTarget::Rtmp(_)) => Ok(t),
                Ok(t) if trusted => Ok(t),
                Ok(_) => Err(ApiError::invalid(
                    path,
                    "must be an rtmp:// or rtmps:// URL (files can only be set in STREAM_URL)",
                )),
                Err(e) => Err(ApiError::invalid(path, e.to_string())),
            }
        })
        .collect()
}

/// A core event as a WebSocket `streamEvent` message. The pipeline's own start and stop are
/// left out: the server announces going live and off air itself (composing restarts too).
fn event_message(e: &Event) -> Option<Value> {
    let v = match e {
        Event::OutputStarted { output } => json!({"state": "output_started", "output": output}),
        Event::Reconnecting {
            output,
            attempt,
            delay,
        } => json!({"state": "reconnecting", "output": output, "attempt": attempt,
                    "delay_seconds": delay.as_secs_f64()}),
        Event::Reconnected { output } => json!({"state": "reconnected", "output": output}),
        Event::FramesDropped { count, total } => {
            json!({"state": "frames_dropped", "count": count, "total": total})
        }
        Event::LayerFailed { layer, message } => {
            json!({"state": "layer_failed", "layer": layer, "message": message})
        }
        Event::Error { message } => json!({"state": "error", "message": message}),
        _ => return None,
    };
    let mut v = v;
    v["type"] = json!("streamEvent");
    Some(v)
}
