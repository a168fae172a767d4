//! [`SceneSession`]: a scene together with the compositor that draws it, for programs that
//! embed streamcomp (the Python and Node bindings wrap it as their `Scene`). Layers are changed
//! with the same live operations the server uses; frames come out as straight RGBA bytes.

use std::path::Path;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::render::RenderOptions;
use crate::assets::AssetResolver;
use crate::error::Error;
use crate::render::{Compositor, CompositorOptions, LayerFailure};
use crate::scene::{LayerChange, LoadOptions, Scene, SceneError, TemplateClock};

/// A scene and its compositor. Changes apply at the scene time of the last render (0 before
/// the first), so a change with a transition followed by renders at later times shows the
/// transition playing.
///
/// ```
/// use streamcomp_core::SceneSession;
///
/// let mut s = SceneSession::blank(64, 36, 30.0)?;
/// s.add_layer(serde_json::json!({"id": "box", "type": "rect", "x": 0, "y": 0,
///     "width": 64, "height": 36, "color": "#ff0000"}))?;
/// let rgba = s.render_rgba(0.0)?;
/// assert_eq!(&rgba[..4], &[255, 0, 0, 255]);
/// s.update_layer("box", serde_json::json!({"color": "#0000ff"}), None)?;
/// assert_eq!(&s.render_rgba(0.1)?[..4], &[0, 0, 255, 255]);
/// # Ok::<(), streamcomp_core::Error>(())
/// ```
pub struct SceneSession {
    scene: Scene,
    assets: AssetResolver,
    comp: Compositor,
    now: f64,
    clock_start: Option<DateTime<FixedOffset>>,
}

impl std::fmt::Debug for SceneSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SceneSession")
            .field("width", &self.scene.width)
            .field("height", &self.scene.height)
            .field("layers", &self.scene.layers.len())
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

impl SceneSession {
    /// A session over `scene`, reading assets through `assets`.
    pub fn new(scene: Scene, assets: AssetResolver) -> SceneSession {
        let comp = Compositor::new(CompositorOptions::default(), assets.clone());
        SceneSession {
            scene,
            assets,
            comp,
            now: 0.0,
            clock_start: None,
        }
    }

    /// The same session drawn with `opts` (quality, threads, a pinned clock start).
    pub fn with_options(mut self, opts: CompositorOptions) -> SceneSession {
        self.clock_start = opts.clock_start;
        self.comp = Compositor::new(opts, self.assets.clone());
        self
    }

    /// The layers disabled since the last call because drawing them panicked (each reported
    /// once; the frame was drawn without them).
    pub fn take_failures(&mut self) -> Vec<LayerFailure> {
        self.comp.take_failures()
    }

    /// Loads a scene file; relative asset paths resolve against the file's folder.
    pub fn from_file(path: impl AsRef<Path>) -> Result<SceneSession, Error> {
        let scene = Scene::from_file(path, &LoadOptions::default())?;
        let root = scene.base_dir.clone().unwrap_or_else(|| ".".into());
        Ok(SceneSession::new(scene, AssetResolver::new(root)))
    }

    /// Parses a scene document; relative asset paths resolve against the working directory.
    pub fn from_json(json: &str) -> Result<SceneSession, Error> {
        let scene = Scene::from_json(json, &LoadOptions::default())?;
        Ok(SceneSession::new(scene, AssetResolver::default()))
    }

    /// Reads a scene document given as a JSON value (a Python dict, a JS object).
    pub fn from_value(v: Value) -> Result<SceneSession, Error> {
        let scene = Scene::from_value(v, &LoadOptions::default())?;
        Ok(SceneSession::new(scene, AssetResolver::default()))
    }

    /// An empty scene of the given size and frame rate.
    pub fn blank(width: u32, height: u32, fps: f64) -> Result<SceneSession, Error> {
        let scene = Scene::new(width, height, fps)?;
        Ok(SceneSession::new(scene, AssetResolver::default()))
    }

    /// The scene as it now is.
    pub fn scene(&self) -> &Scene {
        &self.scene
    }

    /// Where assets are read from.
    pub fn assets(&self) -> &AssetResolver {
        &self.assets
    }

    /// Frame width, px.
    pub fn width(&self) -> u32 {
        self.scene.width
    }

    /// Frame height, px.
    pub fn height(&self) -> u32 {
        self.scene.height
    }

    /// Frames per second.
    pub fn fps(&self) -> f64 {
        self.scene.fps
    }

    /// The scene time changes apply at: the time of the last render.
    pub fn now(&self) -> f64 {
        self.now
    }

    /// Applies one change, loading the files it names first (a missing image is an error
    /// here, not a blank layer later). The scene is unchanged when it fails.
    pub fn apply(&mut self, change: LayerChange) -> Result<Option<Value>, Error> {
        let mut next = self.scene.clone();
        let id = next
            .apply(change, self.now)?
            .map(|l| l.id.as_str().to_owned());
        next.prune(self.now);
        self.comp.check_assets(&next)?;
        self.scene = next;
        Ok(id.and_then(|id| self.scene.layer(&id).map(|l| l.to_value())))
    }

    /// Adds a layer (a layer JSON object); returns it as stored, with its generated id.
    pub fn add_layer(&mut self, layer: Value) -> Result<Value, Error> {
        let v = self.apply(LayerChange::Add(layer))?;
        Ok(v.expect("an added layer exists"))
    }

    /// Merges `patch` into layer `id` (JSON merge patch), moving numeric properties over
    /// `transition` (`{"duration": s, "easing": ".."}` or a number of seconds) when given.
    pub fn update_layer(
        &mut self,
        id: &str,
        patch: Value,
        transition: Option<&Value>,
    ) -> Result<Value, Error> {
        let v = self.apply(LayerChange::patch(id, patch, transition)?)?;
        Ok(v.expect("a patched layer exists"))
    }

    /// Removes layer `id`, fading it out over `fade` seconds (0 to 3600) when given.
    pub fn remove_layer(&mut self, id: &str, fade: Option<f64>) -> Result<(), Error> {
        self.apply(LayerChange::remove(id, fade)?)?;
        Ok(())
    }

    /// Every layer document, bottom to top (layers fading out to removal are gone already, as
    /// in the server's API).
    pub fn layers(&self) -> Vec<Value> {
        self.scene
            .stacking_order()
            .into_iter()
            .filter(|l| l.fade.is_none())
            .map(|l| l.to_value())
            .collect()
    }

    /// One layer's document.
    pub fn layer(&self, id: &str) -> Option<Value> {
        self.scene.layer(id).map(|l| l.to_value())
    }

    fn check_time(t: f64) -> Result<(), Error> {
        if t.is_finite() && t >= 0.0 {
            Ok(())
        } else {
            Err(
                SceneError::invalid("t", format!("must be a time of 0 seconds or more, got {t}"))
                    .into(),
            )
        }
    }

    /// Renders the frame at scene time `t` into `out` as straight (not premultiplied) RGBA,
    /// `width * height * 4` bytes, rows top to bottom.
    pub fn render_rgba_into(&mut self, t: f64, out: &mut Vec<u8>) -> Result<(), Error> {
        Self::check_time(t)?;
        self.now = t;
        let frame = self.comp.render(&self.scene, t)?;
        frame.to_straight_rgba(out);
        Ok(())
    }

    /// Renders the frame at scene time `t` into `out` (straight RGBA), a buffer the caller owns
    /// that must hold exactly `width * height * 4` bytes: the frame goes straight into it.
    pub fn render_rgba_to(&mut self, t: f64, out: &mut [u8]) -> Result<(), Error> {
        Self::check_time(t)?;
        let (w, h) = (self.scene.width as usize, self.scene.height as usize);
        if out.len() != w * h * 4 {
            return Err(SceneError::invalid(
                "buffer",
                format!(
                    "must hold {w}x{h}x4 = {} bytes, got {}",
                    w * h * 4,
                    out.len()
                ),
            )
            .into());
        }
        self.now = t;
        let frame = self.comp.render(&self.scene, t)?;
        frame.write_straight_rgba(out);
        Ok(())
    }

    /// Renders the frame at scene time `t` as straight RGBA bytes (see
    /// [`SceneSession::render_rgba_into`]).
    pub fn render_rgba(&mut self, t: f64) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.render_rgba_into(t, &mut out)?;
        Ok(out)
    }

    /// Renders the frame at scene time `t` into a PNG file.
    pub fn save_png(&mut self, path: impl AsRef<Path>, t: f64) -> Result<(), Error> {
        Self::check_time(t)?;
        self.now = t;
        self.comp.render(&self.scene, t)?.save_png(path)
    }

    /// Pins the wall-clock time of scene time 0, for `{time}`, `{date}` and `{countdown}`
    /// text: an RFC 3339 time (`2026-01-01T20:00:00Z`). Without it the clock starts when the
    /// session was made, so a frame with a clock in it differs from one second to the next.
    /// File renders through [`SceneSession::render_options`] use the same start.
    ///
    /// ```
    /// use streamcomp_core::SceneSession;
    /// let mut s = SceneSession::blank(64, 36, 30.0)?;
    /// s.set_clock_start("2026-01-01T20:00:00Z")?;
    /// assert_eq!(s.clock_start().unwrap().to_rfc3339(), "2026-01-01T20:00:00+00:00");
    /// let e = s.set_clock_start("tonight").unwrap_err();
    /// assert!(e.to_string().starts_with("clock_start: must be an RFC 3339 time"), "{e}");
    /// # Ok::<(), streamcomp_core::Error>(())
    /// ```
    pub fn set_clock_start(&mut self, rfc3339: &str) -> Result<(), Error> {
        let start = TemplateClock::parse_start(rfc3339)
            .map_err(|m| SceneError::invalid("clock_start", m))?;
        self.clock_start = Some(start);
        self.comp.set_clock_start(start);
        Ok(())
    }

    /// The pinned wall-clock time of scene time 0 (see [`SceneSession::set_clock_start`]).
    pub fn clock_start(&self) -> Option<DateTime<FixedOffset>> {
        self.clock_start
    }

    /// Render options read from a JSON object (see [`RenderOptions::from_value`]), with this
    /// session's pinned clock start unless the options give their own `clock_start`.
    pub fn render_options(&self, v: &Value) -> Result<RenderOptions, Error> {
        let mut o = RenderOptions::from_value(v)?;
        o.clock_start = o.clock_start.or(self.clock_start);
        Ok(o)
    }

    /// The scene document as JSON.
    pub fn to_json(&self) -> String {
        self.scene.to_json()
    }
}
