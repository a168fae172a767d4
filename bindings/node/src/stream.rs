//! `NativeStream`: a live stream of a scene ([`LiveStream`]), started and stopped on libuv's
//! thread pool. A thread forwards the stream's events to a JS callback (and `null` once at the
//! end); `index.js` turns that into an `EventEmitter`.

use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::{AsyncTask, Function, ToNapiValue, Unknown};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::{Env, ScopedTask};
use napi_derive::napi;
use serde_json::Value;
use streamcomp_core::media::MediaAction;
use streamcomp_core::{
    AssetResolver, LayerChange, live::Event, live::LayerView, live::LiveHandle, live::LiveOptions,
    live::LiveStream,
};

use crate::error::{self, Result};
use crate::options;
use crate::render::Callback;
use crate::scene::Scene;

/// Events held for the JS thread before the oldest are dropped (the core never blocks on us).
const EVENT_QUEUE: usize = 1024;

/// A running live stream of a copy of a scene.
#[napi]
pub struct NativeStream {
    handle: LiveHandle,
    stream: Arc<Mutex<Option<LiveStream>>>,
}

/// Starts streaming `scene` (a copy of it as it is now) with the core's live options (`urls`,
/// `duration`, `codec`, `bitrate`, …; camelCase aliases accepted). `onEvent` gets every event
/// object and finally `null`. Resolves once the encoders and outputs are open.
#[napi(
    ts_args_type = "scene: Scene, options: LiveOptions, onEvent: (event: StreamEvent | null) => void",
    ts_return_type = "Promise<NativeStream>"
)]
pub fn start_stream(
    scene: &Scene,
    options: Option<Value>,
    on_event: Function<'_, Option<Value>, ()>,
) -> Result<AsyncTask<StartStream>> {
    let opts = options::encoding(options)?;
    let mut opts = LiveOptions::from_value(&opts).map_err(error::core)?;
    let (tx, rx) = sync_channel(EVENT_QUEUE);
    opts.events = Some(tx);
    let on_event = on_event
        .build_threadsafe_function()
        .callee_handled::<false>()
        .build()
        .map_err(error::napi)?;
    let (scene, assets) = scene.snapshot();
    Ok(AsyncTask::new(StartStream {
        start: Some((scene, assets, opts, rx, on_event)),
    }))
}

type StartArgs = (
    streamcomp_core::Scene,
    AssetResolver,
    LiveOptions,
    Receiver<Event>,
    Callback,
);

/// [`start_stream`] on the thread pool.
pub struct StartStream {
    start: Option<StartArgs>,
}

impl<'task> ScopedTask<'task> for StartStream {
    type Output = Result<NativeStream>;
    type JsValue = NativeStream;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let (scene, assets, opts, rx, on_event) =
            self.start.take().expect("a task is computed once");
        let stream = match LiveStream::start(scene, assets, opts) {
            Ok(s) => s,
            Err(e) => {
                on_event.call(None, ThreadsafeFunctionCallMode::Blocking);
                return Ok(Err(error::core(e)));
            }
        };
        let handle = stream.handle();
        let watch = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("streamcomp-node-events".into())
            .spawn(move || forward_events(&watch, &rx, &on_event));
        if let Err(e) = spawned {
            let _ = stream.stop();
            return Ok(Err(error::stream(format!("thread: {e}"))));
        }
        Ok(Ok(NativeStream {
            handle,
            stream: Arc::new(Mutex::new(Some(stream))),
        }))
    }

    fn resolve(&mut self, env: &'task Env, output: Self::Output) -> napi::Result<NativeStream> {
        output.map_err(|e| error::reject(env, e))
    }
}

/// Hands events to JS until the stream has stopped and every event is out, then `null`.
fn forward_events(handle: &LiveHandle, rx: &Receiver<Event>, cb: &Callback) {
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(ev) => {
                let last = matches!(ev, Event::Stopped { .. });
                cb.call(Some(ev.to_value()), ThreadsafeFunctionCallMode::Blocking);
                if last {
                    break;
                }
            }
            // The `Stopped` event can be lost only when the queue was full; the state says.
            Err(RecvTimeoutError::Timeout) if handle.is_stopped() => {
                while let Ok(ev) = rx.try_recv() {
                    cb.call(Some(ev.to_value()), ThreadsafeFunctionCallMode::Blocking);
                }
                break;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    cb.call(None, ThreadsafeFunctionCallMode::Blocking);
}

fn views(v: Vec<Option<LayerView>>) -> Option<Value> {
    v.into_iter().next().flatten().map(|l| l.to_value())
}

#[napi]
impl NativeStream {
    fn apply(&self, change: LayerChange) -> Result<Option<Value>> {
        if self.handle.is_stopped() {
            return Err(error::stream("the stream has stopped"));
        }
        self.handle
            .apply(vec![change])
            .map(views)
            .map_err(error::core)
    }

    /// Adds a layer; returns it with its `id` and `bounds`. Shows in the next frame.
    #[napi(ts_args_type = "layer: Layer", ts_return_type = "LiveLayer")]
    pub fn add_layer(&self, layer: Value) -> Result<Value> {
        self.apply(LayerChange::Add(layer))
            .map(|v| v.unwrap_or(Value::Null))
    }

    /// Merges `patch` into layer `id`; `{ transition }` moves numbers over time.
    #[napi(
        ts_args_type = "id: string, patch: LayerPatch, options?: UpdateOptions",
        ts_return_type = "LiveLayer"
    )]
    pub fn update_layer(&self, id: String, patch: Value, options: Option<Value>) -> Result<Value> {
        let transition = options::transition_value(options)?;
        let change = LayerChange::patch(id, patch, transition.as_ref())
            .map_err(|e| error::core(e.into()))?;
        self.apply(change).map(|v| v.unwrap_or(Value::Null))
    }

    /// A media action on video layer `id` now: `{action: "seek", t: 5}` (optionally `item`),
    /// `{action: "pause"}`, `"resume"`, `"next"`, `{action: "queue", item: {src}}`. Returns
    /// the layer with its `media` status.
    #[napi(
        ts_args_type = "id: string, action: MediaAction",
        ts_return_type = "LiveLayer"
    )]
    pub fn media(&self, id: String, action: Value) -> Result<Value> {
        let action = MediaAction::from_value(&action).map_err(|e| error::core(e.into()))?;
        let change = self
            .handle
            .media_change(&id, &action)
            .map_err(error::core)?;
        self.apply(change).map(|v| v.unwrap_or(Value::Null))
    }

    /// Removes layer `id`, fading it out over `{ fade }` seconds when given.
    #[napi(ts_args_type = "id: string, options?: RemoveOptions")]
    pub fn remove_layer(&self, id: String, options: Option<Value>) -> Result<()> {
        let fade = options::fade_seconds(options)?;
        let change = LayerChange::remove(id, fade).map_err(|e| error::core(e.into()))?;
        self.apply(change).map(|_| ())
    }

    /// Adds live input `name` or replaces it (`input` as in the scene's `inputs`); returns
    /// its status.
    #[napi(
        ts_args_type = "name: string, input: InputSpec",
        ts_return_type = "InputStatus"
    )]
    pub fn set_input(&self, name: String, input: Value) -> Result<Value> {
        self.handle
            .set_input(&name, &input)
            .map(|s| s.to_value())
            .map_err(error::core)
    }

    /// Removes live input `name` (refused while a layer shows it).
    #[napi]
    pub fn remove_input(&self, name: String) -> Result<()> {
        self.handle.remove_input(&name).map_err(error::core)
    }

    /// Every layer in stacking order, with its `bounds` now.
    #[napi(ts_return_type = "LiveLayer[]")]
    pub fn layers(&self) -> Result<Vec<Value>> {
        self.handle
            .layers()
            .map(|ls| ls.iter().map(LayerView::to_value).collect())
            .map_err(error::core)
    }

    /// State, counters and outputs now.
    #[napi(ts_return_type = "StreamStatus")]
    pub fn status(&self) -> Value {
        self.handle.status().to_value()
    }

    /// Every live input of the scene with its status (`name`, `type`, `state`, `codec`, …).
    #[napi(ts_return_type = "InputStatus[]")]
    pub fn inputs(&self) -> Vec<Value> {
        self.handle
            .inputs()
            .iter()
            .map(streamcomp_core::input::InputStatus::to_value)
            .collect()
    }

    /// Whether the stream has ended (its duration, `stop()` or an error).
    #[napi(getter)]
    pub fn stopped(&self) -> bool {
        self.handle.is_stopped()
    }

    /// Stops gracefully (encoders flushed, files finished, RTMP queues sent); resolves to the
    /// final status. Calling it again resolves to the status again.
    #[napi(ts_return_type = "Promise<StreamStatus>")]
    pub fn stop(&self) -> AsyncTask<StopStream> {
        AsyncTask::new(StopStream {
            stream: Arc::clone(&self.stream),
            handle: self.handle.clone(),
        })
    }
}

/// [`NativeStream::stop`] on the thread pool.
pub struct StopStream {
    stream: Arc<Mutex<Option<LiveStream>>>,
    handle: LiveHandle,
}

impl<'task> ScopedTask<'task> for StopStream {
    type Output = Result<Value>;
    type JsValue = Unknown<'task>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let mut slot = self.stream.lock().unwrap_or_else(|e| e.into_inner());
        let result = match slot.take() {
            Some(s) => s.stop().map_err(error::core),
            None => Ok(self.handle.status()),
        };
        Ok(result.map(|s| s.to_value()))
    }

    fn resolve(&mut self, env: &'task Env, output: Self::Output) -> napi::Result<Unknown<'task>> {
        output.map_err(|e| error::reject(env, e))?.into_unknown(env)
    }
}
