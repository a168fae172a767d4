//! The server's shared state: the running [`LiveStream`] (composing for previews when idle,
//! encoding to outputs when live), the store, and the channel WebSocket clients listen to.
//!
//! Every change (layer changes, start/stop) runs under one lock, in order: apply to the core,
//! save to the store, tell WebSocket clients, answer. So the store always holds the state the
//! last answer acknowledged, and saves never overtake each other. The work blocks (image
//! loading, encoder start-up, fsync), so handlers run it on tokio's blocking threads through
//! [`AppState::run`].
//!
//! A shared store (Redis) also hands over layer lists written by other servers of the stream:
//! [`AppState::apply_remote`] applies them under the same lock, as the smallest batch of
//! changes (one frame), and tells WebSocket clients as for local changes.

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use axum::extract::ws::Utf8Bytes;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use streamcomp_core::input::{IngestOptions, IngestServer, InputHub};
use streamcomp_core::media::MediaAction;
use streamcomp_core::scene::diff::sync_plan;
use streamcomp_core::{
    AssetResolver, Error, LayerChange, LoadOptions, RemotePolicy, Scene, live::Event,
    live::LayerView, live::LiveHandle, live::LiveOptions, live::LiveStream, output::HlsMemory,
    output::HlsOptions, output::OutputTarget, output::SegmentType,
};
use tokio::sync::{broadcast, watch};

use crate::config::Config;
use crate::error::ApiError;
use crate::store::group::GroupCommit;
use crate::store::{Remote, Saved, Store, timed};

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
    /// Shared bytes: every client sends the same buffer, nothing is copied per client.
    pub events: broadcast::Sender<Utf8Bytes>,
    /// Becomes `true` when the server shuts down (ends WebSockets and MJPEG streams).
    pub shutdown: watch::Receiver<bool>,
    handle: RwLock<LiveHandle>,
    control: Mutex<Control>,
    /// Saves, grouped: one durable write acknowledges every change it holds.
    saves: GroupCommit,
    store_ok: AtomicBool,
    /// The live inputs, kept across streams (a publisher stays connected when the stream goes
    /// live or off air).
    inputs: InputHub,
    /// The RTMP listener (`RTMP_INGEST_PORT`), if any.
    ingest: Option<IngestServer>,
    /// The stream's own HLS (`HLS_MEMORY`), kept across streams so its numbering goes on.
    pub(crate) hls: HlsMemory,
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
        let inputs = InputHub::new();
        let ingest = match config.rtmp_ingest_port {
            Some(port) => {
                let addr = std::net::SocketAddr::new(config.rtmp_ingest_addr, port);
                let mut opts = IngestOptions::new(addr);
                opts.tls = config.rtmp_ingest_tls.clone();
                let scheme = if opts.tls.is_some() { "rtmps" } else { "rtmp" };
                let server = IngestServer::start(opts, inputs.clone())
                    .map_err(|e| format!("RTMP_INGEST_PORT: {e}"))?;
                tracing::info!(%addr, "RTMP listener for live inputs: {scheme}://{addr}/live/KEY");
                Some(server)
            }
            None => None,
        };
        let hls = HlsMemory::new();
        let first = launch(&config, &assets, &inputs, &hls, empty_scene(&config), None)
            .map_err(|e| format!("cannot start composing: {e}"))?;
        let (events, _) = broadcast::channel(256);
        let state = AppState(Arc::new(Inner {
            handle: RwLock::new(first.handle()),
            config,
            assets,
            store: Arc::clone(&store),
            events,
            shutdown,
            control: Mutex::new(Control {
                stream: None,
                live: None,
                resume: saved.live.then(|| saved.outputs.clone()),
            }),
            saves: GroupCommit::new(Arc::clone(&store)),
            store_ok: AtomicBool::new(true),
            inputs,
            ingest,
            hls,
        }));
        let mut ctl = lock(&state.control);
        state.install(&mut ctl, first);
        state.restore_inputs(&saved.inputs);
        state.restore_layers(&saved.layers);
        // What was restored (layers this server cannot show are left out of memory, not
        // removed from a shared store by the next change).
        let restored = Remote::read(saved.version, saved.layers.clone());
        let snapshot = state.snapshot(&ctl);
        state
            .store
            .applied(&snapshot, &restored)
            .map_err(|e| e.to_string())?;
        if saved.live && state.config.resume {
            let targets = parse_outputs(&saved.outputs, None).map_err(|e| e.message)?;
            state
                .relaunch(&mut ctl, Some((targets, saved.outputs.clone())))
                .map_err(|e| format!("cannot resume the live stream: {}", e.message))?;
            ctl.resume = None;
            tracing::info!("resumed the live stream (RESUME=true)");
        }
        drop(ctl);
        if let Some(rx) = state.store.remote() {
            let s = state.clone();
            std::thread::Builder::new()
                .name("streamcomp-remote".into())
                .spawn(move || {
                    while let Ok(mut remote) = rx.recv() {
                        // Only the newest of a burst matters: each is a whole list.
                        while let Ok(next) = rx.try_recv() {
                            if next.version >= remote.version {
                                remote = next;
                            }
                        }
                        s.apply_remote(remote);
                    }
                })
                .map_err(|e| format!("cannot start the store's change listener: {e}"))?;
        }
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
        let _ = self.events.send(Utf8Bytes::from(msg.to_string()));
    }

    /// Every layer in stacking order (layers fading out to removal are gone already).
    pub(crate) fn layers(&self) -> Result<Vec<Value>, ApiError> {
        Ok(self
            .handle()
            .layers()?
            .iter()
            .filter(|v| v.layer.fade.is_none())
            .map(LayerView::to_value)
            .collect())
    }

    /// Applies a media action (seek, pause, resume, next, queue) to video layer `id` now:
    /// saved, broadcast and returned like any change.
    pub(crate) fn media(&self, id: &str, action: &MediaAction) -> Result<Value, ApiError> {
        let change = self.handle().media_change(id, action)?;
        Ok(self
            .apply(vec![change])?
            .pop()
            .flatten()
            .unwrap_or_else(|| json!({"id": id})))
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
        let motions: Vec<(String, Value)> = ops
            .iter()
            .filter_map(LayerChange::motion)
            .map(|(id, m)| (id.to_string(), m))
            .collect();
        let views = self.handle().apply(ops)?;
        // Queued under the lock (changes and snapshots in one order), written after it: the
        // answer waits until the change is durable, and changes made meanwhile share the write.
        let mut snapshot = self.snapshot(&ctl);
        snapshot.motions = motions;
        // The change itself goes to the store (a shared store publishes it as it is): each
        // layer as it now is, or its removal (a layer fading out is gone from the saved list).
        snapshot.changes = Some(
            notes
                .iter()
                .zip(&views)
                .filter_map(|((_, removed), view)| match view {
                    Some(v) if v.layer.fade.is_none() => {
                        Some((v.layer.id.to_string(), Some(v.layer.to_value())))
                    }
                    Some(v) => Some((v.layer.id.to_string(), None)),
                    // Removed (a layer added and removed in one batch has no id here).
                    None => removed.clone().map(|id| (id, None)),
                })
                .collect(),
        );
        let seq = self.saves.submit(snapshot);
        drop(ctl);
        let saved = self.saved(seq);
        let layers: Vec<Option<Value>> = views
            .iter()
            .map(|v| v.as_ref().map(LayerView::to_value))
            .collect();
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

    /// Makes the layers those of `remote` (written by another server of the stream), unless a
    /// local change since made it stale: removals, merge patches and additions in one batch
    /// (when the order of the layers differs, all are replaced). Layers this server cannot
    /// show (an asset missing here) are logged and left out. WebSocket clients hear of every
    /// layer created, updated or deleted. Never writes back to the store.
    pub(crate) fn apply_remote(&self, remote: Remote) {
        let ctl = lock(&self.control);
        // Every local change queued so far reaches the store first (none can be queued while
        // the lock is held), so the store knows whether `remote` is stale.
        let _ = self.saves.wait(self.saves.issued());
        if !self.store.is_current(&remote) {
            return;
        }
        let handle = self.handle();
        let scene = handle.scene();
        let plan = sync_plan(&scene.layers, &remote.layers, &remote.motions);
        if !plan.ops.is_empty()
            && let Err(e) = handle.apply(plan.ops.clone())
        {
            tracing::warn!("a change from the store does not apply whole ({e}); one by one");
            for op in plan.ops {
                if let Err(e) = handle.apply(vec![op]) {
                    tracing::warn!("a layer change from the store is left out: {e}");
                }
            }
        }
        let saved = self.snapshot(&ctl);
        if let Err(e) = self.store.applied(&saved, &remote) {
            tracing::error!("{e}");
        }
        drop(ctl);
        let views: Vec<Value> = handle
            .layers()
            .map(|v| v.iter().map(LayerView::to_value).collect())
            .unwrap_or_default();
        for (action, id) in plan.notes {
            let layer = views
                .iter()
                .find(|l| l["id"] == id.as_str())
                .cloned()
                .unwrap_or_else(|| json!({"id": id}));
            self.broadcast(
                json!({"type": "layerUpdate", "action": action, "id": id, "layer": layer}),
            );
        }
        tracing::debug!(version = remote.version, "applied a change from the store");
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

    /// The core's status plus the server's own fields (`live`, `was_live`, `stream_id`
    /// after `state`; `max_layers` after `layers`; `store` last).
    fn status_json(&self, ctl: &Control) -> Value {
        let core = self.handle().status().to_value();
        let Value::Object(core) = core else {
            return core;
        };
        let mut out = Map::new();
        for (k, v) in core {
            let after = k.clone();
            out.insert(k, v);
            match after.as_str() {
                "state" => {
                    out.insert("live".into(), json!(ctl.live.is_some()));
                    out.insert("was_live".into(), json!(ctl.resume.is_some()));
                    out.insert("stream_id".into(), json!(self.config.stream_id));
                }
                "layers" => {
                    out.insert("max_layers".into(), json!(self.config.max_layers));
                }
                _ => {}
            }
        }
        out.insert("store".into(), self.store.status());
        Value::Object(out)
    }

    /// The outputs for a start: the request's, else the ones live before (restart), else
    /// `STREAM_URL` (none: the server's own HLS only, when `HLS_MEMORY` is on). A request may
    /// name network outputs, and paths only under `OUTPUT_DIRS`.
    fn outputs_for(
        &self,
        ctl: &Control,
        urls: Vec<String>,
    ) -> Result<(Vec<OutputTarget>, Vec<String>), ApiError> {
        if !urls.is_empty() {
            return Ok((parse_outputs(&urls, Some(&self.config.output_dirs))?, urls));
        }
        if let Some(raw) = ctl.live.as_ref().or(ctl.resume.as_ref())
            && !raw.is_empty()
        {
            return Ok((parse_outputs(raw, None)?, raw.clone()));
        }
        if self.config.stream_urls.is_empty() && !self.config.hls_memory {
            return Err(ApiError::invalid(
                "url",
                "no output: give `url` or `urls` in the request, or set STREAM_URL (or leave HLS_MEMORY on to stream to the server's own HLS only)",
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
        let targets = outputs.as_ref().map(|o| o.0.as_slice());
        match launch(
            &self.config,
            &self.assets,
            &self.inputs,
            &self.hls,
            scene.clone(),
            targets,
        ) {
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
        let inputs = scene.inputs_value();
        match launch(
            &self.config,
            &self.assets,
            &self.inputs,
            &self.hls,
            scene,
            None,
        ) {
            Ok(s) => self.install(ctl, s),
            Err(e) => {
                tracing::warn!(
                    "cannot compose the scene as it was ({e}); adding layers one by one"
                );
                let s = launch(
                    &self.config,
                    &self.assets,
                    &self.inputs,
                    &self.hls,
                    empty_scene(&self.config),
                    None,
                )
                .expect("an empty scene always composes");
                self.install(ctl, s);
                self.restore_inputs(&inputs);
                self.restore_layers(&layers);
            }
        }
    }

    /// Adds stored inputs (logging those refused).
    fn restore_inputs(&self, inputs: &Map<String, Value>) {
        let handle = self.handle();
        for (name, doc) in inputs {
            if let Err(e) = handle.set_input(name, doc) {
                tracing::warn!(input = %name, "stored input not restored: {e}");
            }
        }
    }

    /// The status of every live input and of the RTMP listener, as `GET /stream/inputs`
    /// returns it.
    pub(crate) fn inputs_json(&self) -> Value {
        let inputs: Vec<Value> = self.inputs.status().iter().map(|s| s.to_value()).collect();
        let (connections, open, refused) = self.inputs.listener_counts();
        json!({
            "inputs": inputs,
            "listener": self.ingest.as_ref().map(|l| json!({
                "address": l.local_addr().to_string(),
                "connections": connections,
                "open": open,
                "refused": refused,
            })),
        })
    }

    /// Adds or replaces input `name` (`PUT /stream/inputs/{name}`): saved, announced, and its
    /// status returned.
    pub(crate) fn set_input(&self, name: &str, doc: &Value) -> Result<Value, ApiError> {
        let ctl = lock(&self.control);
        let status = self.handle().set_input(name, doc)?.to_value();
        let saved = self.save(&ctl);
        drop(ctl);
        self.broadcast(
            json!({"type": "inputUpdate", "action": "updated", "input": name,
                              "status": status}),
        );
        saved.map(|()| status)
    }

    /// Removes input `name` (`DELETE /stream/inputs/{name}`; refused while a layer shows it).
    pub(crate) fn remove_input(&self, name: &str) -> Result<(), ApiError> {
        let ctl = lock(&self.control);
        self.handle().remove_input(name)?;
        let saved = self.save(&ctl);
        drop(ctl);
        self.broadcast(json!({"type": "inputUpdate", "action": "deleted", "input": name}));
        saved
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
        // Weak: the stream (held by the state) must not keep the state alive through this.
        let state = Arc::downgrade(&self.0);
        // Ends when the stream's state is dropped (its senders go with it).
        let spawned = std::thread::Builder::new()
            .name("streamcomp-events".into())
            .spawn(move || {
                for e in rx {
                    if let Event::LayerRemoved { layer } = &e
                        && let Some(inner) = state.upgrade()
                    {
                        AppState(inner).removed_by_stream(layer);
                    }
                    if let Some(msg) = event_message(&e) {
                        let _ = tx.send(Utf8Bytes::from(msg.to_string()));
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("no stream events for WebSocket clients: {e}");
        }
        *self.handle.write().unwrap_or_else(|e| e.into_inner()) = handle;
        ctl.stream = Some(stream);
    }

    /// Saves and announces the removal of layer `id` that the stream made itself (a video
    /// layer with `on_end: "remove"` that played to its end), as a `DELETE` would.
    fn removed_by_stream(&self, id: &str) {
        let ctl = lock(&self.control);
        let mut snapshot = self.snapshot(&ctl);
        snapshot.changes = Some(vec![(id.to_string(), None)]);
        let seq = self.saves.submit(snapshot);
        drop(ctl);
        let _ = self.saved(seq);
        self.broadcast(
            json!({"type": "layerUpdate", "action": "deleted", "id": id, "layer": {"id": id}}),
        );
    }

    /// What the store keeps: the layers (not those fading out to removal) and the settings.
    fn snapshot(&self, ctl: &Control) -> Saved {
        let scene = self.handle().scene();
        Saved {
            layers: scene
                .layers
                .iter()
                .filter(|l| l.fade.is_none())
                .map(|l| l.to_value())
                .collect(),
            live: ctl.live.is_some() || ctl.resume.is_some(),
            outputs: ctl.live.clone().or(ctl.resume.clone()).unwrap_or_default(),
            inputs: scene.inputs_value(),
            version: 0,
            motions: Vec::new(),
            changes: None,
        }
    }

    /// Saves the state now (under the change lock) and waits until it is durable.
    fn save(&self, ctl: &Control) -> Result<(), ApiError> {
        let seq = self.saves.submit(self.snapshot(ctl));
        self.saved(seq)
    }

    /// Waits until the change numbered `seq` is durable.
    fn saved(&self, seq: u64) -> Result<(), ApiError> {
        let result = self.saves.wait(seq);
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

/// Starts a stream of `scene` to `outputs` (`None`: composing only) with the configured
/// encoding; a stream also goes to the server's own HLS in `hls` when `HLS_MEMORY` is on.
fn launch(
    c: &Config,
    assets: &AssetResolver,
    inputs: &InputHub,
    hls: &HlsMemory,
    scene: Scene,
    outputs: Option<&[OutputTarget]>,
) -> Result<LiveStream, Error> {
    let mut opts = LiveOptions::default();
    opts.inputs = Some(inputs.clone());
    opts.outputs = outputs.unwrap_or_default().to_vec();
    if outputs.is_some()
        && c.hls_memory
        && let Some(segments) = SegmentType::for_codec(c.codec)
    {
        let mut o = HlsOptions::default();
        o.segment_type = segments;
        opts.outputs.push(OutputTarget::HlsMemory(hls.clone(), o));
    }
    opts.video.codec = c.codec;
    opts.video.bitrate_kbps = c.bitrate_kbps;
    opts.video.ffmpeg_preset = c.ffmpeg_preset.clone();
    opts.video.ffmpeg_hwaccel = c.ffmpeg_hwaccel.clone();
    opts.audio = c
        .audio_enabled
        .then_some((c.audio_codec, c.audio_bitrate_kbps));
    opts.quality = c.quality;
    opts.rtmp.ca_file = c.rtmp_ca_file.clone();
    LiveStream::start(scene, assets.clone(), opts)
}

/// Parses outputs. From a request (`dirs` given: `OUTPUT_DIRS`) network outputs, and files,
/// HLS and recordings only under one of `dirs`, so a request can never make the server write
/// anywhere else; `None`: the configuration's own (`STREAM_URL`, what was live before).
pub(crate) fn parse_outputs(
    urls: &[String],
    dirs: Option<&[PathBuf]>,
) -> Result<Vec<OutputTarget>, ApiError> {
    urls.iter()
        .enumerate()
        .map(|(i, u)| {
            let at = format!("urls[{i}]");
            let t = u
                .parse::<OutputTarget>()
                .map_err(|e| ApiError::invalid(&at, e.to_string()))?;
            match (dirs, t.path()) {
                (Some(dirs), Some(path)) if !inside(path, dirs) => Err(ApiError::invalid(
                    at,
                    if dirs.is_empty() {
                        "must be an rtmp://, rtmps://, srt:// or udp:// URL (the server writes files, HLS and recordings only under OUTPUT_DIRS, which is not set)".to_string()
                    } else {
                        format!(
                            "`{}` is outside OUTPUT_DIRS ({}): the server writes files, HLS and recordings only there",
                            path.display(),
                            dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
                        )
                    },
                )),
                _ => Ok(t),
            }
        })
        .collect()
}

/// Whether `path` (relative to the working folder, no `..`) lies under one of `dirs`.
fn inside(path: &Path, dirs: &[PathBuf]) -> bool {
    use std::path::Component;
    if path.components().any(|c| c == Component::ParentDir) {
        return false;
    }
    let Ok(abs) = std::path::absolute(path) else {
        return false;
    };
    let abs = crate::config::normalize(&abs);
    dirs.iter().any(|d| abs.starts_with(d) && abs != *d)
}

/// A core event as a WebSocket `streamEvent` message. The pipeline's own start and stop are
/// left out: the server announces going live and off air itself (composing restarts too).
fn event_message(e: &Event) -> Option<Value> {
    if matches!(e, Event::Started | Event::Stopped { .. }) {
        return None;
    }
    if let Event::Input {
        input,
        state,
        message,
    } = e
    {
        return Some(
            json!({"type": "inputEvent", "input": input, "state": state.as_str(),
                           "message": message}),
        );
    }
    let mut v = e.to_value();
    v["type"] = json!("streamEvent");
    Some(v)
}
