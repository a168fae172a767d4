//! `streamcomp.render_file`: renders a scene into a file as fast as the machine allows (the
//! core's `render_to_file`), with the GIL released, reporting progress to an optional callable.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;
use streamcomp_core::{Progress, render_to_file};

use crate::convert::{to_json, to_py};
use crate::error::IntoPy;
use crate::scene::Scene;

/// How often the progress callable is called at most (plus always for the first and the last
/// frame), so that a render does not wait for the GIL at every frame.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Reads `**options` plus the named arguments into the core's options object.
pub(crate) fn options_value(
    options: Option<&Bound<'_, PyDict>>,
    named: &[(&str, Value)],
) -> PyResult<Value> {
    let mut v = match options {
        Some(d) => to_json(d.as_any(), "options")?,
        None => Value::Object(serde_json::Map::new()),
    };
    if let Value::Object(m) = &mut v {
        for (k, value) in named {
            if !value.is_null() {
                m.insert((*k).to_owned(), value.clone());
            }
        }
    }
    Ok(v)
}

/// Renders `duration` seconds of `scene` into `path` (format from the extension: `.mp4`,
/// `.flv`, `.ivf`, `.h264`, `.y4m`). Options as keywords: `bitrate` (kbit/s), `width` and
/// `height`, `fps`, `audio`, `audio_codec`, `audio_bitrate`, `keyframe_interval`, `quality`,
/// `threads`, `encoder`, `preset`, `hwaccel`, `clock_start` (RFC 3339; default: the scene's
/// `clock_start`, else now). `progress(frame, total_frames)` is called as
/// frames are done (at most ten times a second, and for the last frame); an exception it
/// raises is raised once the render ends. Returns a summary dict.
#[pyfunction]
#[pyo3(signature = (scene, path, duration, codec = "h264", progress = None, **options))]
pub(crate) fn render_file<'py>(
    py: Python<'py>,
    scene: &Bound<'py, Scene>,
    path: PathBuf,
    duration: f64,
    codec: &str,
    progress: Option<Py<PyAny>>,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let value = options_value(
        options,
        &[
            ("duration", Value::from(duration)),
            ("codec", Value::from(codec)),
        ],
    )?;
    let opts = scene.get().render_options(py, &value)?;
    let (core_scene, assets) = scene.get().snapshot(py);
    let mut failure: Option<PyErr> = None;
    let result = py.detach(|| {
        let mut last: Option<Instant> = None;
        let mut report = |p: &Progress| {
            let Some(cb) = &progress else { return };
            if failure.is_some() {
                return;
            }
            let due = last.is_none_or(|l| l.elapsed() >= PROGRESS_EVERY);
            if !(due || p.frame >= p.total) {
                return;
            }
            last = Some(Instant::now());
            Python::attach(|py| {
                if let Err(e) = cb.call1(py, (p.frame, p.total)) {
                    failure = Some(e);
                }
            });
        };
        render_to_file(&core_scene, assets, &path, &opts, &mut report)
    });
    let summary = result.py_err()?;
    if let Some(e) = failure {
        return Err(e);
    }
    let mut v = summary.to_value();
    v["path"] = Value::from(path.to_string_lossy().into_owned());
    to_py(py, &v)
}
