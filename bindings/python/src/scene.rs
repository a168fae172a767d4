//! `streamcomp.Scene`: a scene and the compositor that draws it (the core's [`SceneSession`]).
//! Layer changes take and return plain dicts; `render(t)` hands the rendered RGBA bytes to
//! NumPy without copying them. Rendering, PNG writing and layer changes (which load the files a
//! layer names) run with the GIL released.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use ndarray::Array3;
use numpy::{IntoPyArray, PyArray3};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyList;
use streamcomp_core::{AssetResolver, RenderOptions, Scene as CoreScene, SceneSession};

use crate::convert::{to_json, to_py};
use crate::error::IntoPy;

/// A scene: its size, frame rate, background and layers, with a compositor to render it.
///
/// Build one from a file (`Scene.from_file`, assets relative to the file's folder), a JSON text
/// (`Scene.from_json`), a dict (`Scene.from_dict`) or empty (`Scene(width, height, fps)`).
/// Layer changes apply at the scene time of the last render (0 before the first), so a change
/// with a transition followed by renders at later times shows the transition.
#[pyclass(module = "streamcomp", name = "Scene", frozen)]
pub struct Scene {
    session: Mutex<SceneSession>,
}

impl Scene {
    fn wrap(session: SceneSession) -> Scene {
        Scene {
            session: Mutex::new(session),
        }
    }

    /// The session, locked (a panic elsewhere does not make it unusable).
    fn lock(&self) -> MutexGuard<'_, SceneSession> {
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the session with the GIL released.
    fn with<R: Send>(&self, py: Python<'_>, f: impl FnOnce(&mut SceneSession) -> R + Send) -> R {
        py.detach(|| f(&mut self.lock()))
    }

    /// A copy of the scene as it now is and its asset resolver (for renders and streams).
    pub(crate) fn snapshot(&self, py: Python<'_>) -> (CoreScene, AssetResolver) {
        self.with(py, |s| (s.scene().clone(), s.assets().clone()))
    }

    /// File render options read from `v`, with this scene's pinned clock start. Like every
    /// other access to the session, with the GIL released (a render in another thread may
    /// hold the session).
    pub(crate) fn render_options(
        &self,
        py: Python<'_>,
        v: &serde_json::Value,
    ) -> PyResult<RenderOptions> {
        self.with(py, |s| s.render_options(v)).py_err()
    }
}

#[pymethods]
impl Scene {
    /// An empty scene: `width` and `height` even, 16–7680 by 16–4320; `fps` 1–120.
    #[new]
    #[pyo3(signature = (width, height, fps = 30.0))]
    fn new(width: u32, height: u32, fps: f64) -> PyResult<Scene> {
        SceneSession::blank(width, height, fps)
            .py_err()
            .map(Scene::wrap)
    }

    /// Loads a scene file; relative asset paths resolve against the file's folder.
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<Scene> {
        py.detach(|| SceneSession::from_file(&path))
            .py_err()
            .map(Scene::wrap)
    }

    /// Parses a scene document; relative asset paths resolve against the working directory.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Scene> {
        let text = text.to_owned();
        py.detach(|| SceneSession::from_json(&text))
            .py_err()
            .map(Scene::wrap)
    }

    /// Reads a scene document given as a dict; relative asset paths resolve against the
    /// working directory.
    #[staticmethod]
    fn from_dict(py: Python<'_>, doc: &Bound<'_, PyAny>) -> PyResult<Scene> {
        let v = to_json(doc, "")?;
        py.detach(|| SceneSession::from_value(v))
            .py_err()
            .map(Scene::wrap)
    }

    /// Frame width in pixels.
    #[getter]
    fn width(&self, py: Python<'_>) -> u32 {
        self.with(py, |s| s.width())
    }

    /// Frame height in pixels.
    #[getter]
    fn height(&self, py: Python<'_>) -> u32 {
        self.with(py, |s| s.height())
    }

    /// Frames per second.
    #[getter]
    fn fps(&self, py: Python<'_>) -> f64 {
        self.with(py, |s| s.fps())
    }

    /// Adds a layer (a dict in the scene format); returns it as stored, with its generated id.
    fn add_layer<'py>(
        &self,
        py: Python<'py>,
        layer: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let v = to_json(layer, "")?;
        let out = self.with(py, |s| s.add_layer(v)).py_err()?;
        to_py(py, &out)
    }

    /// Merges `patch` into layer `id` (keys set to `None` are removed). `transition`, a dict
    /// `{"duration": s, "easing": "ease-in-out"}` or a number of seconds, moves every numeric
    /// property that changes over that time. Returns the layer as stored.
    #[pyo3(signature = (id, patch, transition = None))]
    fn update_layer<'py>(
        &self,
        py: Python<'py>,
        id: &str,
        patch: &Bound<'py, PyAny>,
        transition: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let patch = to_json(patch, "")?;
        let transition = transition.map(|t| to_json(t, "transition")).transpose()?;
        let id = id.to_owned();
        let out = self
            .with(py, |s| s.update_layer(&id, patch, transition.as_ref()))
            .py_err()?;
        to_py(py, &out)
    }

    /// Removes layer `id`, fading it out over `fade` seconds when given.
    #[pyo3(signature = (id, fade = None))]
    fn remove_layer(&self, py: Python<'_>, id: &str, fade: Option<f64>) -> PyResult<()> {
        let id = id.to_owned();
        self.with(py, |s| s.remove_layer(&id, fade)).py_err()
    }

    /// Every layer as a dict, bottom to top.
    fn layers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let layers = self.with(py, |s| s.layers());
        let list = PyList::empty(py);
        for l in &layers {
            list.append(to_py(py, l)?)?;
        }
        Ok(list)
    }

    /// One layer as a dict, or `None` when there is no layer `id`.
    fn layer<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
        let id = id.to_owned();
        let layer = self.with(py, |s| s.layer(&id));
        layer.map(|l| to_py(py, &l)).transpose()
    }

    /// The scene document as JSON text.
    fn to_json(&self, py: Python<'_>) -> String {
        self.with(py, |s| s.to_json())
    }

    /// The scene document as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let text = self.with(py, |s| s.to_json());
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| PyRuntimeError::new_err(format!("scene JSON: {e}")))?;
        to_py(py, &v)
    }

    /// Renders the frame at scene time `t` (seconds): a NumPy `uint8` array of shape
    /// `(height, width, 4)`, straight RGBA, owning the rendered bytes (no copy is made).
    #[pyo3(signature = (t = 0.0))]
    fn render<'py>(&self, py: Python<'py>, t: f64) -> PyResult<Bound<'py, PyArray3<u8>>> {
        let (w, h, rgba) = self.with(py, |s| {
            let rgba = s.render_rgba(t);
            (s.width() as usize, s.height() as usize, rgba)
        });
        let rgba = rgba.py_err()?;
        let array = Array3::from_shape_vec((h, w, 4), rgba)
            .map_err(|e| PyRuntimeError::new_err(format!("frame shape: {e}")))?;
        Ok(array.into_pyarray(py))
    }

    /// The wall-clock time of scene time 0 for `{time}`, `{date}` and `{countdown}` text, as
    /// an RFC 3339 string; `None` until set (the clock then starts when the scene was made).
    /// Set it (`scene.clock_start = "2026-01-01T20:00:00Z"`) to render a clock the same way
    /// every time; `render_file` uses it too unless given its own `clock_start`.
    #[getter]
    fn clock_start(&self, py: Python<'_>) -> Option<String> {
        self.with(py, |s| s.clock_start().map(|t| t.to_rfc3339()))
    }

    #[setter]
    fn set_clock_start(&self, py: Python<'_>, value: &str) -> PyResult<()> {
        let value = value.to_owned();
        self.with(py, |s| s.set_clock_start(&value)).py_err()
    }

    /// Renders the frame at scene time `t` into a PNG file (straight-alpha RGBA).
    #[pyo3(signature = (path, t = 0.0))]
    fn save_png(&self, py: Python<'_>, path: PathBuf, t: f64) -> PyResult<()> {
        self.with(py, |s| s.save_png(&path, t)).py_err()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        self.with(py, |s| {
            format!(
                "Scene({}x{}, fps={}, layers={})",
                s.width(),
                s.height(),
                s.fps(),
                s.scene().layers.len()
            )
        })
    }
}
