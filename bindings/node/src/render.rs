//! `renderFile(scene, path, options, onProgress)`: a video file rendered on libuv's thread
//! pool, as fast as the machine allows, with throttled progress through a thread-safe function.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use napi::bindgen_prelude::{AsyncTask, Function, ToNapiValue, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, ScopedTask};
use napi_derive::napi;
use serde_json::{Value, json};
use streamcomp_core::{AssetResolver, Progress, RenderOptions, render_to_file};

use crate::error::{self, Result};
use crate::options;
use crate::scene::Scene;

/// Progress callback: a progress object, then `null` once when the render is over.
pub type Callback = ThreadsafeFunction<Option<Value>, (), Option<Value>, napi::Status, false>;

/// At most this often a progress call (plus the first and the last frame).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Renders `scene` (as it is now) to `path`; the format comes from the extension. Options are
/// those of the core (`duration` required; `codec`, `bitrate`, `width`, `height`, `fps`,
/// `audio`, `audio_codec`, `clock_start`, …; camelCase aliases accepted; `clock_start` defaults
/// to the scene's `clockStart`). `onProgress` gets
/// `{frame, total, elapsed_seconds}` objects and finally `null`. Resolves to the summary.
#[napi(
    ts_args_type = "scene: Scene, path: string, options: RenderOptions, onProgress?: (progress: Progress | null) => void",
    ts_return_type = "Promise<RenderSummary>"
)]
pub fn render_file(
    scene: &Scene,
    path: String,
    options: Option<Value>,
    on_progress: Option<Function<'_, Option<Value>, ()>>,
) -> Result<AsyncTask<RenderFile>> {
    let opts = options::encoding(options)?;
    let opts = scene.render_options(&opts)?;
    let progress = match on_progress {
        Some(f) => Some(
            f.build_threadsafe_function()
                .callee_handled::<false>()
                .build()
                .map_err(error::napi)?,
        ),
        None => None,
    };
    let (scene, assets) = scene.snapshot();
    Ok(AsyncTask::new(RenderFile {
        scene,
        assets,
        path: PathBuf::from(path),
        opts,
        progress,
    }))
}

/// [`render_file`] on the thread pool.
pub struct RenderFile {
    scene: streamcomp_core::Scene,
    assets: AssetResolver,
    path: PathBuf,
    opts: RenderOptions,
    progress: Option<Callback>,
}

fn progress_value(p: &Progress) -> Value {
    json!({
        "frame": p.frame,
        "total": p.total,
        "elapsed_seconds": (p.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
    })
}

impl<'task> ScopedTask<'task> for RenderFile {
    type Output = Result<Value>;
    type JsValue = Unknown<'task>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let mut last: Option<Instant> = None;
        let cb = self.progress.as_ref();
        let mut report = |p: &Progress| {
            let Some(cb) = cb else { return };
            let due = last.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY);
            if due || p.frame >= p.total {
                last = Some(Instant::now());
                cb.call(
                    Some(progress_value(p)),
                    ThreadsafeFunctionCallMode::NonBlocking,
                );
            }
        };
        let result = render_to_file(
            &self.scene,
            self.assets.clone(),
            &self.path,
            &self.opts,
            &mut report,
        );
        if let Some(cb) = &self.progress {
            cb.call(None, ThreadsafeFunctionCallMode::Blocking);
        }
        Ok(result.map(|s| s.to_value()).map_err(error::core))
    }

    fn resolve(&mut self, env: &'task Env, output: Self::Output) -> napi::Result<Unknown<'task>> {
        output.map_err(|e| error::reject(env, e))?.into_unknown(env)
    }
}
