//! `streamcomp.Stream`: a live stream (the core's [`LiveStream`]) rendering a scene in real
//! time to RTMP servers and files, changed while it runs. Events reach Python two ways: an
//! iterator (`events()`, `next_event()`) and callbacks (`on_event`), both fed by one dispatcher
//! thread that reads the core's event channel from the very start (so `started` is never missed).

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;
use streamcomp_core::media::MediaAction;
use streamcomp_core::{
    LayerChange, live::Event, live::LiveHandle, live::LiveOptions, live::LiveStream,
};

use crate::StreamError;
use crate::convert::{to_json, to_py};
use crate::error::{IntoPy, to_py_err};
use crate::render::options_value;
use crate::scene::Scene;

/// Unread events held for the iterator; while it is full, newer events are dropped for it.
const QUEUE: usize = 1024;
/// How long a blocking wait sleeps between checks for Ctrl-C and the end of the stream.
const SLICE: Duration = Duration::from_millis(100);
/// After the stream has stopped, how long the dispatcher waits for a last event.
const GRACE: Duration = Duration::from_secs(1);

type Callbacks = Arc<Mutex<Vec<Py<PyAny>>>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Where a stream is in its life.
#[derive(Default)]
struct State {
    /// Running (or ended by its duration but not yet joined).
    live: Option<LiveStream>,
    /// Set by `start`; kept after `stop` for `status()` and `layers()`.
    handle: Option<LiveHandle>,
    /// The event dispatcher thread, joined by `stop`.
    dispatcher: Option<JoinHandle<()>>,
    /// The status returned by `stop`, once stopped.
    last: Option<Value>,
    /// `start` is opening the outputs (the lock is not held meanwhile: it runs without the GIL).
    starting: bool,
}

/// A live stream of a scene to RTMP/RTMPS URLs and files, in real time.
///
/// `Stream(scene, urls=[...], on_event=None, **options)`; the options are those of
/// `render_file` less the size and frame rate (the scene's), plus `duration` (stop by itself
/// after that many seconds). Use it as a context manager (`with` starts and stops it) or call
/// `start()` and `stop()`.
#[pyclass(module = "streamcomp", name = "Stream", frozen, weakref)]
pub struct Stream {
    scene: Py<Scene>,
    options: Mutex<LiveOptions>,
    state: Mutex<State>,
    /// The iterator's queue, filled by the dispatcher; `None` before `start`.
    events: Mutex<Option<Receiver<Value>>>,
    callbacks: Callbacks,
}

impl Stream {
    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// The handle of a running stream, or a `StreamError` saying why there is none.
    fn running(&self) -> PyResult<LiveHandle> {
        let st = self.state();
        match &st.handle {
            None => Err(not_started()),
            Some(_) if st.last.is_some() => Err(StreamError::new_err("the stream has stopped")),
            Some(h) if h.is_stopped() => Err(StreamError::new_err(format!(
                "the stream has stopped{}",
                h.status()
                    .last_error
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ))),
            Some(h) => Ok(h.clone()),
        }
    }

    /// Starts the stream (see `start`).
    fn start_inner(&self, py: Python<'_>) -> PyResult<()> {
        // No lock is held while the GIL is released: another thread may wait for the lock
        // while holding the GIL.
        {
            let mut st = self.state();
            if st.handle.is_some() || st.starting {
                return Err(StreamError::new_err("the stream was already started"));
            }
            st.starting = true;
        }
        let started = self.open(py);
        let mut st = self.state();
        st.starting = false;
        let (live, dispatcher) = started?;
        st.handle = Some(live.handle());
        st.live = Some(live);
        st.dispatcher = Some(dispatcher);
        Ok(())
    }

    /// Starts the core's stream and the event dispatcher.
    fn open(&self, py: Python<'_>) -> PyResult<(LiveStream, JoinHandle<()>)> {
        let (scene, assets) = self.scene.get().snapshot(py);
        let mut opts = lock(&self.options).clone();
        let (tx, rx) = sync_channel(QUEUE);
        opts.events = Some(tx);
        let live = py
            .detach(|| LiveStream::start(scene, assets, opts))
            .py_err()?;
        let (queue_tx, queue_rx) = sync_channel(QUEUE);
        let (callbacks, handle) = (Arc::clone(&self.callbacks), live.handle());
        let dispatcher = std::thread::Builder::new()
            .name("streamcomp-events".into())
            .spawn(move || dispatch(rx, queue_tx, callbacks, handle))
            .map_err(|e| StreamError::new_err(format!("cannot start the event thread: {e}")))?;
        *lock(&self.events) = Some(queue_rx);
        Ok((live, dispatcher))
    }

    /// Applies one change with the GIL released; returns the layer as it now is.
    fn apply(&self, py: Python<'_>, change: LayerChange) -> PyResult<Option<Value>> {
        let handle = self.running()?;
        let views = py.detach(|| handle.apply(vec![change])).py_err()?;
        Ok(views.into_iter().next().flatten().map(|v| v.to_value()))
    }

    /// The next event, waiting up to `timeout` (`None`: until the stream ends); `None` on
    /// timeout or when the stream has ended and every event was read.
    fn next(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<Value>> {
        let deadline = match timeout {
            None => None,
            Some(t) if t.is_finite() && t >= 0.0 => Some(Instant::now() + secs(t)),
            Some(t) => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "timeout: must be a number of seconds, 0 or more, got {t}"
                )));
            }
        };
        if py.detach(|| lock(&self.events).is_none()) {
            return Err(not_started());
        }
        loop {
            let wait = match deadline {
                None => SLICE,
                Some(d) => d.saturating_duration_since(Instant::now()).min(SLICE),
            };
            let got = py.detach(|| {
                let rx = lock(&self.events);
                let rx = rx.as_ref().expect("set by start");
                if wait.is_zero() {
                    rx.try_recv().map_err(|e| match e {
                        std::sync::mpsc::TryRecvError::Empty => RecvTimeoutError::Timeout,
                        std::sync::mpsc::TryRecvError::Disconnected => {
                            RecvTimeoutError::Disconnected
                        }
                    })
                } else {
                    rx.recv_timeout(wait)
                }
            });
            match got {
                Ok(v) => return Ok(Some(v)),
                Err(RecvTimeoutError::Disconnected) => return Ok(None),
                Err(RecvTimeoutError::Timeout) => {
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        return Ok(None);
                    }
                    py.check_signals()?;
                }
            }
        }
    }
}

fn not_started() -> PyErr {
    StreamError::new_err("the stream has not been started: call start() or use `with`")
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.min(1e9))
}

/// Forwards the core's events to the iterator's queue and to the callbacks until the stream
/// has stopped: after its `stopped` event, or when it has stopped and nothing came for a while.
fn dispatch(
    rx: Receiver<Event>,
    queue: SyncSender<Value>,
    callbacks: Callbacks,
    handle: LiveHandle,
) {
    let mut quiet_since: Option<Instant> = None;
    loop {
        match rx.recv_timeout(SLICE) {
            Ok(ev) => {
                let last = matches!(ev, Event::Stopped { .. });
                let v = ev.to_value();
                // A reader that does not keep up loses events, never blocks the stream.
                let _ = queue.try_send(v.clone());
                if !lock(&callbacks).is_empty() {
                    Python::attach(|py| call_back(py, &callbacks, &v));
                }
                if last {
                    return;
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {
                if handle.is_stopped() {
                    let since = *quiet_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= GRACE {
                        return;
                    }
                }
            }
        }
    }
}

/// Calls every callback with the event as a dict; an exception goes to
/// `sys.unraisablehook` (it cannot stop the stream).
fn call_back(py: Python<'_>, callbacks: &Callbacks, v: &Value) {
    let cbs: Vec<Py<PyAny>> = lock(callbacks).iter().map(|c| c.clone_ref(py)).collect();
    for cb in cbs {
        let result = to_py(py, v).and_then(|ev| cb.call1(py, (ev,)));
        if let Err(e) = result {
            e.write_unraisable(py, Some(cb.bind(py)));
        }
    }
}

#[pymethods]
impl Stream {
    /// A stream of `scene` to `urls` (`rtmp://`/`rtmps://` URLs and file paths; none: the
    /// scene is composed in real time and nothing is encoded). Options are checked here: an
    /// unknown or bad one raises `SceneError` naming it (`options.codec: ...`).
    #[new]
    #[pyo3(signature = (scene, urls = None, on_event = None, **options))]
    fn new(
        scene: Py<Scene>,
        urls: Option<&Bound<'_, PyAny>>,
        on_event: Option<Py<PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Stream> {
        let urls = urls
            .map(|u| to_json(u, "options.urls"))
            .transpose()?
            .unwrap_or(Value::Null);
        let value = options_value(options, &[("urls", urls)])?;
        let options = LiveOptions::from_value(&value).py_err()?;
        Ok(Stream {
            scene,
            options: Mutex::new(options),
            state: Mutex::new(State::default()),
            events: Mutex::new(None),
            callbacks: Arc::new(Mutex::new(on_event.into_iter().collect())),
        })
    }

    /// Starts the stream with the scene as it is now: checks the scene's files and the
    /// outputs, opens encoders and outputs, starts the threads. A stream starts once.
    fn start(slf: &Bound<'_, Self>) -> PyResult<()> {
        let this = slf.get();
        this.start_inner(slf.py())?;
        // Stopped gracefully at exit if still running (`streamcomp._streams`, an atexit hook).
        if let Ok(set) = slf
            .py()
            .import("streamcomp")
            .and_then(|m| m.getattr("_streams"))
        {
            set.call_method1("add", (slf,))?;
        }
        Ok(())
    }

    /// Stops gracefully (the current frame is finished, encoders flushed, files closed, RTMP
    /// queues sent) and returns the final status dict. Every event, `stopped` included, has
    /// been delivered to the callbacks when it returns. Calling it again returns the same status.
    fn stop<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (live, dispatcher) = {
            let mut st = self.state();
            if st.handle.is_none() {
                return Err(not_started());
            }
            if let Some(v) = &st.last {
                return to_py(py, v);
            }
            (st.live.take(), st.dispatcher.take())
        };
        let result = py.detach(|| {
            let r = live.map(LiveStream::stop);
            // Not from a callback, which runs on the dispatcher thread itself.
            if let Some(d) = dispatcher.filter(|d| d.thread().id() != std::thread::current().id()) {
                let _ = d.join();
            }
            r
        });
        let status = match result {
            Some(Ok(status)) => status.to_value(),
            Some(Err(e)) => {
                let mut st = self.state();
                if let Some(h) = &st.handle {
                    st.last = Some(h.status().to_value());
                }
                return Err(to_py_err(e));
            }
            None => return Err(StreamError::new_err("the stream is being stopped")),
        };
        self.state().last = Some(status.clone());
        to_py(py, &status)
    }

    /// The stream's state and counters: `state`, `outputs`, `codec`, `resolution`, `fps`,
    /// `uptime_seconds`, `frames` (`rendered`, `encoded`, `dropped`), `worker_restarts`,
    /// `bitrate_kbps`, `layers`, `last_error`.
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = {
            let st = self.state();
            match (&st.last, &st.handle) {
                (Some(v), _) => v.clone(),
                (None, Some(h)) => h.status().to_value(),
                (None, None) => return Err(not_started()),
            }
        };
        to_py(py, &v)
    }

    /// Every live input of the scene with its status: a list of dicts (`name`, `type`,
    /// `state`: waiting/live/stalled/reconnecting, `codec`, `width`, `height`, `frames`,
    /// `repeated`, `dropped`, `bitrate_kbps`, `av_offset_ms`, `error`, …).
    fn inputs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let h = self.running()?;
        let v: Vec<Value> = h
            .inputs()
            .iter()
            .map(streamcomp_core::input::InputStatus::to_value)
            .collect();
        to_py(py, &Value::Array(v))
    }

    /// Whether the stream is running (started and not stopped, by `stop()`, its duration or
    /// an error).
    #[getter(running)]
    fn is_running(&self) -> bool {
        self.running().is_ok()
    }

    /// Adds a layer to the live scene; returns it with its computed `bounds`.
    fn add_layer<'py>(
        &self,
        py: Python<'py>,
        layer: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let v = to_json(layer, "")?;
        let out = self.apply(py, LayerChange::Add(v))?;
        to_py(py, &out.unwrap_or(Value::Null))
    }

    /// Merges `patch` into layer `id` of the live scene, over `transition` (a dict or seconds)
    /// when given; returns the layer with its `bounds`.
    #[pyo3(signature = (id, patch, transition = None))]
    fn update_layer<'py>(
        &self,
        py: Python<'py>,
        id: &str,
        patch: &Bound<'py, PyAny>,
        transition: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let transition = transition.map(|t| to_json(t, "transition")).transpose()?;
        let change = LayerChange::patch(id, to_json(patch, "")?, transition.as_ref())
            .map_err(|e| to_py_err(e.into()))?;
        let out = self.apply(py, change)?;
        to_py(py, &out.unwrap_or(Value::Null))
    }

    /// A media action on video layer `id` now: `{"action": "seek", "t": 5.0}` (optionally
    /// `"item"`), `{"action": "pause"}`, `"resume"`, `"next"`, or `{"action": "queue",
    /// "item": {"src": "b.mp4"}}`; keyword arguments work too (`media("clip", action="seek",
    /// t=5.0)`). Returns the layer with its `media` status.
    #[pyo3(signature = (id, action = None, **fields))]
    fn media<'py>(
        &self,
        py: Python<'py>,
        id: &str,
        action: Option<&Bound<'py, PyAny>>,
        fields: Option<&Bound<'py, pyo3::types::PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut body = match action {
            Some(a) if a.is_instance_of::<pyo3::types::PyString>() => {
                serde_json::json!({"action": a.extract::<String>()?})
            }
            Some(a) => to_json(a, "")?,
            None => serde_json::json!({}),
        };
        if let (Some(f), Some(m)) = (fields, body.as_object_mut())
            && let Value::Object(extra) = to_json(f.as_any(), "")?
        {
            m.extend(extra);
        }
        let action = MediaAction::from_value(&body).map_err(|e| to_py_err(e.into()))?;
        let handle = self.running()?;
        let change = py.detach(|| handle.media_change(id, &action)).py_err()?;
        let out = self.apply(py, change)?;
        to_py(py, &out.unwrap_or(Value::Null))
    }

    /// Removes layer `id` from the live scene, fading it out over `fade` seconds when given.
    #[pyo3(signature = (id, fade = None))]
    fn remove_layer(&self, py: Python<'_>, id: &str, fade: Option<f64>) -> PyResult<()> {
        let change = LayerChange::remove(id, fade).map_err(|e| to_py_err(e.into()))?;
        self.apply(py, change).map(|_| ())
    }

    /// Adds live input `name` to the running scene or replaces it (`doc` as in the scene's
    /// `inputs`, e.g. `{"type": "rtmp", "key": "cam2"}`); returns its status.
    fn set_input<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        doc: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let v = to_json(doc, "")?;
        let h = self.running()?;
        let status = py.detach(|| h.set_input(name, &v)).py_err()?;
        to_py(py, &status.to_value())
    }

    /// Removes live input `name` (refused while a layer shows it).
    fn remove_input(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        let h = self.running()?;
        py.detach(|| h.remove_input(name)).py_err()
    }

    /// Every layer of the live scene, bottom to top, each with its `bounds` now.
    fn layers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let handle = self.state().handle.clone().ok_or_else(not_started)?;
        let views = py.detach(|| handle.layers()).py_err()?;
        let list = PyList::empty(py);
        for v in &views {
            list.append(to_py(py, &v.to_value())?)?;
        }
        Ok(list)
    }

    /// The next event dict, waiting up to `timeout` seconds (`None`: until one comes or the
    /// stream ends). Returns `None` on timeout, or once the stream has ended and every event
    /// was read.
    #[pyo3(signature = (timeout = None))]
    fn next_event<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.next(py, timeout)?.map(|v| to_py(py, &v)).transpose()
    }

    /// An iterator over event dicts. It ends when the stream has ended and every event was
    /// read, or when no event came for `timeout` seconds (when given).
    #[pyo3(signature = (timeout = None))]
    fn events(slf: Py<Stream>, timeout: Option<f64>) -> EventIterator {
        EventIterator {
            stream: slf,
            timeout,
        }
    }

    /// Adds a callback called with every later event dict, from a background thread. Returns
    /// `callback`, so it works as a decorator. Exceptions it raises go to
    /// `sys.unraisablehook`.
    fn on_event(&self, py: Python<'_>, callback: Py<PyAny>) -> Py<PyAny> {
        lock(&self.callbacks).push(callback.clone_ref(py));
        callback
    }

    fn __enter__(slf: Bound<'_, Stream>) -> PyResult<Bound<'_, Stream>> {
        let started = slf.get().state().handle.is_some();
        if !started {
            Stream::start(&slf)?;
        }
        Ok(slf)
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        if self.state().handle.is_some() {
            self.stop(py)?;
        }
        Ok(false)
    }

    fn __repr__(&self) -> String {
        let st = self.state();
        let state = match (&st.last, &st.handle) {
            (Some(_), _) => "stopped".to_owned(),
            (None, Some(h)) => h.status().state.as_str().to_owned(),
            (None, None) => "not started".to_owned(),
        };
        format!(
            "Stream({state}, outputs={})",
            lock(&self.options).outputs.len()
        )
    }
}

/// Iterates over a stream's events (see `Stream.events`).
#[pyclass(module = "streamcomp", name = "EventIterator", frozen)]
pub struct EventIterator {
    stream: Py<Stream>,
    timeout: Option<f64>,
}

#[pymethods]
impl EventIterator {
    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.stream
            .get()
            .next(py, self.timeout)?
            .map(|v| to_py(py, &v))
            .transpose()
    }
}
