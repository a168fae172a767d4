//! The scene: canvas size, frame rate, background and layers, parsed and validated from JSON.
//!
//! Everything here is resolved data: colours parsed, defaults filled in, templates parsed.
//! Nothing here knows about pixels, files or codecs.

mod animation;
mod color;
pub mod diff;
mod easing;
mod fields;
mod input;
mod layer;
mod motion;
mod patch;
mod template;
mod validate;
mod video;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};

pub use animation::{ActiveTransition, Animation, FadeOut, Property, Sampled};
pub use color::{Color, ColorParseError};
pub use easing::{Easing, EasingParseError};
pub use input::{
    DEFAULT_BUFFER_MS, Fallback, InputKind, InputProps, InputSpec, MAX_BUFFER_MS, MAX_INPUTS,
    SrtMode,
};
pub use layer::{
    AudioProps, BlendMode, Border, EllipseProps, Fit, FontSpec, ImageProps, Layer, LayerId,
    LayerKind, Outline, RectProps, Shadow, TextAlign, TextBackground, TextProps,
};
pub use patch::{LayerChange, Transition, merge_patch};
pub use template::{Template, TemplateClock};
pub use validate::{Issue, SceneError, SceneErrorReason};
pub(crate) use video::MAX_MEDIA_SECONDS;
pub use video::{CropRect, Loop, OnEnd, Playback, PlaylistItem, VideoProps};

use validate::Issues;

/// How a scene document is loaded.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LoadOptions {
    /// The most layers a scene may hold. Default: 1000.
    pub max_layers: usize,
    /// Folder that relative asset paths resolve against. Default: none (the asset resolver's
    /// root); [`Scene::from_file`] sets it to the file's folder.
    pub base_dir: Option<PathBuf>,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            max_layers: 1000,
            base_dir: None,
        }
    }
}

impl LoadOptions {
    /// Options with a different layer maximum.
    pub fn with_max_layers(mut self, max_layers: usize) -> LoadOptions {
        self.max_layers = max_layers;
        self
    }

    /// Options with a base folder for relative paths.
    pub fn with_base_dir(mut self, dir: impl Into<PathBuf>) -> LoadOptions {
        self.base_dir = Some(dir.into());
        self
    }
}

/// A validated scene.
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    /// Canvas width in pixels (even, 16–7680).
    pub width: u32,
    /// Canvas height in pixels (even, 16–4320).
    pub height: u32,
    /// Frames per second (1–120). Default: 30.
    pub fps: f64,
    /// Canvas colour. Default: opaque black.
    pub background: Color,
    /// Layers in insertion order (see [`Scene::stacking_order`]). Shared: cloning a scene
    /// copies pointers, and a change copies only the layer it changes.
    pub layers: Vec<Arc<Layer>>,
    /// Folder relative asset paths resolve against, if any.
    pub base_dir: Option<PathBuf>,
    /// The most layers this scene may hold.
    pub max_layers: usize,
    /// Live inputs by name (SPEC §9), shown by `input` layers.
    pub inputs: BTreeMap<String, InputSpec>,
}

/// Why a scene file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read scene file {path}: {source}")]
pub struct SceneFileError {
    /// The file.
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

impl Scene {
    /// An empty scene.
    pub fn new(width: u32, height: u32, fps: f64) -> Result<Scene, SceneError> {
        Scene::from_value(
            json!({"width": width, "height": height, "fps": fps}),
            &LoadOptions::default(),
        )
    }

    /// Parses and validates a scene document, reporting every problem with its JSON path.
    pub fn from_json(json: &str, opts: &LoadOptions) -> Result<Scene, SceneError> {
        let v: Value = serde_json::from_str(json).map_err(|e| {
            SceneError::invalid(
                "",
                format!(
                    "not valid JSON: {e} (line {}, column {})",
                    e.line(),
                    e.column()
                )
                .replace(&format!(" at line {} column {}", e.line(), e.column()), ""),
            )
        })?;
        Scene::from_value(v, opts)
    }

    /// Reads a scene file; relative asset paths resolve against its folder.
    pub fn from_file(path: impl AsRef<Path>, opts: &LoadOptions) -> Result<Scene, crate::Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SceneFileError {
            path: path.to_path_buf(),
            source,
        })?;
        let mut opts = opts.clone();
        if opts.base_dir.is_none() {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            opts.base_dir = Some(dir.to_path_buf());
        }
        Ok(Scene::from_json(&text, &opts)?)
    }

    /// Validates a scene held as a JSON value (a Python dict, a JavaScript object).
    pub fn from_value(v: Value, opts: &LoadOptions) -> Result<Scene, SceneError> {
        let mut issues = Issues::default();
        fields::check_object(&v, fields::SCENE, &[], "", &mut issues);
        let Some(map) = v.as_object() else {
            return Err(issues.into_result().expect_err("not an object"));
        };
        let raw_layers: &[Value] = map
            .get("layers")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if raw_layers.len() > opts.max_layers {
            issues.push(
                "layers",
                format!(
                    "at most {} layers are allowed, got {}",
                    opts.max_layers,
                    raw_layers.len()
                ),
            );
        }
        let doc = layer::Doc::new(map, fields::SCENE);
        let mut scene = Scene {
            width: map.get("width").and_then(Value::as_u64).unwrap_or(16) as u32,
            height: map.get("height").and_then(Value::as_u64).unwrap_or(16) as u32,
            fps: doc.f64("fps"),
            background: doc.color("background"),
            layers: Vec::with_capacity(raw_layers.len().min(opts.max_layers)),
            base_dir: opts.base_dir.clone(),
            max_layers: opts.max_layers,
            inputs: input::read_inputs(map.get("inputs"), &mut issues),
        };
        // Explicit ids are claimed before any id is generated.
        let mut seen: std::collections::HashMap<&str, usize> = Default::default();
        for (i, raw) in raw_layers.iter().enumerate() {
            if let Some(id) = raw.get("id").and_then(Value::as_str)
                && let Some(first) = seen.insert(id, i)
            {
                issues.push(
                    &format!("layers[{i}].id"),
                    format!("duplicate id `{id}` (also used by layers[{first}])"),
                );
            }
        }
        let explicit: Vec<String> = seen.keys().map(|s| s.to_string()).collect();
        for (i, raw) in raw_layers.iter().enumerate() {
            let generate = |ty: &str| {
                (1..)
                    .map(|n| format!("{ty}-{n}"))
                    .find(|id| {
                        !explicit.contains(id) && !scene.layers.iter().any(|l| l.id.as_str() == id)
                    })
                    .expect("unbounded")
            };
            match Layer::from_value(raw, generate) {
                Ok(layer) => scene.layers.push(Arc::new(layer)),
                Err(e) => issues.0.extend(e.prefixed(&format!("layers[{i}]")).issues),
            }
        }
        for (i, layer) in scene.layers.iter().enumerate() {
            if let LayerKind::Input(p) = &layer.kind
                && !scene.inputs.contains_key(&p.input)
                && map.get("inputs").is_none_or(|m| m.get(&p.input).is_none())
            {
                issues.push(
                    &format!("layers[{i}].input"),
                    format!(
                        "no input `{}` in the scene's `inputs` (it has: {})",
                        p.input,
                        if scene.inputs.is_empty() {
                            "none".to_string()
                        } else {
                            scene.inputs.keys().cloned().collect::<Vec<_>>().join(", ")
                        }
                    ),
                );
            }
        }
        issues.into_result()?;
        Ok(scene)
    }

    /// The scene as a JSON document (layers as given, with generated ids filled in).
    pub fn to_value(&self) -> Value {
        let mut v = json!({
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "background": self.background.to_string(),
            "layers": self.layers.iter().map(|l| l.to_value()).collect::<Vec<_>>(),
        });
        if !self.inputs.is_empty() {
            v["inputs"] = Value::Object(self.inputs_value());
        }
        v
    }

    /// The scene's `inputs` as JSON documents by name (as written: keys and passphrases
    /// included), for saving and for [`Scene::to_value`].
    pub fn inputs_value(&self) -> serde_json::Map<String, Value> {
        self.inputs
            .iter()
            .map(|(k, i)| (k.clone(), i.to_value()))
            .collect()
    }

    /// The scene as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.to_value()).expect("JSON values always serialise")
    }

    /// The JSON Schema of scene documents, generated from the same tables as validation.
    pub fn json_schema() -> Value {
        fields::scene_schema()
    }

    /// Layers bottom to top: by `z`, equal `z` in insertion order.
    pub fn stacking_order(&self) -> Vec<&Layer> {
        let mut v: Vec<&Layer> = self.layers.iter().map(|l| &**l).collect();
        v.sort_by_key(|l| l.z);
        v
    }

    /// Seconds per frame.
    pub fn frame_duration(&self) -> f64 {
        1.0 / self.fps
    }
}
