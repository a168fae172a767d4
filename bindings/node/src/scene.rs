//! `Scene`: a scene and its compositor ([`SceneSession`]). Layers are JS objects with the
//! scene format's field names; frames come back as `Buffer`s of straight RGBA.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use napi::bindgen_prelude::{AsyncTask, BufferSlice};
use napi::{Env, ScopedTask};
use napi_derive::napi;
use serde_json::Value;
use streamcomp_core::{AssetResolver, RenderOptions, SceneSession};

use crate::error::{self, Result};
use crate::options;

/// A scene: its size, frame rate, background and layers, ready to render.
#[napi]
pub struct Scene {
    session: Arc<Mutex<SceneSession>>,
}

impl Scene {
    fn wrap(session: SceneSession) -> Scene {
        Scene {
            session: Arc::new(Mutex::new(session)),
        }
    }

    /// The session, locked (a PNG being written in the background holds it until done).
    fn lock(&self) -> MutexGuard<'_, SceneSession> {
        lock(&self.session)
    }

    /// A copy of the scene as it is now and where its assets come from.
    pub(crate) fn snapshot(&self) -> (streamcomp_core::Scene, AssetResolver) {
        let s = self.lock();
        (s.scene().clone(), s.assets().clone())
    }

    /// File render options read from `v`, with this scene's pinned clock start.
    pub(crate) fn render_options(&self, v: &Value) -> Result<RenderOptions> {
        self.lock().render_options(v).map_err(error::core)
    }
}

fn lock(m: &Mutex<SceneSession>) -> MutexGuard<'_, SceneSession> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[napi]
impl Scene {
    /// An empty scene: `new Scene(1280, 720, { fps: 30, background: "#000000" })`.
    #[napi(
        constructor,
        ts_args_type = "width: number, height: number, options?: SceneOptions"
    )]
    pub fn new(width: Value, height: Value, options: Option<Value>) -> Result<Self> {
        let doc = options::blank_scene(width, height, options)?;
        SceneSession::from_value(doc)
            .map(Scene::wrap)
            .map_err(error::core)
    }

    /// Loads a scene file; relative asset paths resolve against the file's folder.
    #[napi(factory)]
    pub fn from_file(path: String) -> Result<Self> {
        SceneSession::from_file(&path)
            .map(Scene::wrap)
            .map_err(error::core)
    }

    /// Parses a scene document; relative asset paths resolve against the working directory.
    #[napi(factory)]
    pub fn from_json(text: String) -> Result<Self> {
        SceneSession::from_json(&text)
            .map(Scene::wrap)
            .map_err(error::core)
    }

    /// Frame width, px.
    #[napi(getter)]
    pub fn width(&self) -> u32 {
        self.lock().width()
    }

    /// Frame height, px.
    #[napi(getter)]
    pub fn height(&self) -> u32 {
        self.lock().height()
    }

    /// Frames per second.
    #[napi(getter)]
    pub fn fps(&self) -> f64 {
        self.lock().fps()
    }

    /// The wall-clock time of scene time 0 for `{time}`, `{date}` and `{countdown}` text, as
    /// an RFC 3339 string; `null` until set (the clock then starts when the scene was made).
    /// Set it (`scene.clockStart = "2026-01-01T20:00:00Z"`) to render a clock the same way
    /// every time; `renderFile` uses it too unless given its own `clockStart`.
    #[napi(getter)]
    pub fn clock_start(&self) -> Option<String> {
        self.lock().clock_start().map(|t| t.to_rfc3339())
    }

    /// Sets [`Scene::clock_start`]; a string that is not RFC 3339 is a `SceneError`.
    #[napi(setter)]
    pub fn set_clock_start(&self, value: String) -> Result<()> {
        self.lock().set_clock_start(&value).map_err(error::core)
    }

    /// Adds a layer; returns it as stored (with its generated `id`).
    #[napi(ts_args_type = "layer: Layer", ts_return_type = "StoredLayer")]
    pub fn add_layer(&self, layer: Value) -> Result<Value> {
        self.lock().add_layer(layer).map_err(error::core)
    }

    /// Merges `patch` into layer `id`; `{ transition }` moves numbers over time.
    #[napi(
        ts_args_type = "id: string, patch: LayerPatch, options?: UpdateOptions",
        ts_return_type = "StoredLayer"
    )]
    pub fn update_layer(&self, id: String, patch: Value, options: Option<Value>) -> Result<Value> {
        let transition = options::transition_value(options)?;
        self.lock()
            .update_layer(&id, patch, transition.as_ref())
            .map_err(error::core)
    }

    /// Removes layer `id`, fading it out over `{ fade }` seconds when given.
    #[napi(ts_args_type = "id: string, options?: RemoveOptions")]
    pub fn remove_layer(&self, id: String, options: Option<Value>) -> Result<()> {
        let fade = options::fade_seconds(options)?;
        self.lock().remove_layer(&id, fade).map_err(error::core)
    }

    /// Every layer, bottom to top.
    #[napi(ts_return_type = "StoredLayer[]")]
    pub fn layers(&self) -> Vec<Value> {
        self.lock().layers()
    }

    /// The scene document as JSON text.
    #[napi]
    pub fn to_json(&self) -> String {
        self.lock().to_json()
    }

    /// Renders the frame at scene time `t` (seconds) into `out`, which must hold exactly
    /// `width * height * 4` bytes: straight RGBA, rows top to bottom. `render(t)` (index.js)
    /// allocates such a `Buffer` in V8's own memory and calls this: the core writes the frame
    /// straight into it, with no copy. (An external `Buffer` over a Rust `Vec` would avoid the
    /// allocation too, but Node frees those only when the event loop turns and V8 does not
    /// count them: a synchronous loop of 1080p renders grew to 8.4 GB after 1000 frames.)
    #[napi]
    pub fn render_into(&self, t: f64, mut out: BufferSlice) -> Result<()> {
        self.lock().render_rgba_to(t, &mut out).map_err(error::core)
    }

    /// Writes the frame at scene time `t` to a PNG file, off the JS thread.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn save_png(&self, path: String, t: f64) -> AsyncTask<SavePng> {
        AsyncTask::new(SavePng {
            session: Arc::clone(&self.session),
            path: PathBuf::from(path),
            t,
        })
    }
}

/// [`Scene::save_png`] on the thread pool.
pub struct SavePng {
    session: Arc<Mutex<SceneSession>>,
    path: PathBuf,
    t: f64,
}

impl<'task> ScopedTask<'task> for SavePng {
    type Output = Result<()>;
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(lock(&self.session)
            .save_png(&self.path, self.t)
            .map_err(error::core))
    }

    fn resolve(&mut self, env: &'task Env, output: Self::Output) -> napi::Result<()> {
        output.map_err(|e| error::reject(env, e))
    }
}
