//! The compositor's panic guard: a panic while drawing one layer (a bug in a dependency, an
//! input no check foresaw) disables that layer instead of ending the program. The layer at
//! fault is found by drawing each layer alone; it stays disabled until its document changes,
//! and each disabled layer is reported once through [`Compositor::take_failures`].

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use super::{Compositor, CompositorOptions, Prepared, RasterCache};
use crate::error::RenderError;
use crate::frame::Frame;
use crate::scene::{Layer, Sampled, Scene, TemplateClock};

/// A layer whose rendering failed (panicked); it is left out of later frames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerFailure {
    /// The layer's id.
    pub layer: String,
    /// What went wrong, for logs (the panic message).
    pub message: String,
}

/// The text of a panic payload.
pub(crate) fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic while rendering".into())
}

impl Compositor {
    /// Renders `scene` at scene time `t` (seconds). The frame is borrowed until the next call.
    ///
    /// A layer whose rendering panics is disabled (left out until its document changes) and
    /// reported by [`Compositor::take_failures`]; the frame is drawn without it. A panic that
    /// no single layer causes is [`RenderError::Panicked`] with no layer.
    pub fn render(&mut self, scene: &Scene, t: f64) -> Result<&Frame, RenderError> {
        // Each round disables one more layer, so this ends.
        for _ in 0..=scene.layers.len() {
            let panic = match catch_unwind(AssertUnwindSafe(|| self.render_frame(scene, t))) {
                Ok(Ok(())) => return Ok(&self.frame),
                Ok(Err(e)) => return Err(e),
                Err(p) => panic_message(p.as_ref()),
            };
            self.reset_after_panic();
            match self.find_failing_layer(scene, t) {
                Some(layer) => {
                    self.disabled
                        .insert(layer.id.to_string(), layer.source.clone());
                    self.failures.push(LayerFailure {
                        layer: layer.id.to_string(),
                        message: panic,
                    });
                }
                None => return Err(RenderError::Panicked { message: panic }),
            }
        }
        Err(RenderError::Panicked {
            message: "rendering kept failing".into(),
        })
    }

    /// The layers disabled since the last call (each reported once).
    pub fn take_failures(&mut self) -> Vec<LayerFailure> {
        std::mem::take(&mut self.failures)
    }

    /// Whether `layer` is disabled in its current form.
    pub(super) fn is_disabled(&self, layer: &Layer) -> bool {
        self.disabled
            .get(layer.id.as_str())
            .is_some_and(|doc| *doc == layer.source)
    }

    /// Prepares one layer (for measuring and checking), turning a panic into an error that
    /// names the layer.
    pub(super) fn prepare_guarded(
        &mut self,
        scene: &Scene,
        index: usize,
        layer: &Layer,
        s: &Sampled,
        at: (f64, &TemplateClock),
    ) -> Result<Prepared, RenderError> {
        match catch_unwind(AssertUnwindSafe(|| {
            self.prepare(scene, index, layer, s, at, false)
        })) {
            Ok(r) => r,
            Err(p) => {
                self.reset_after_panic();
                Err(RenderError::LayerPanicked {
                    path: format!("layers[{index}]"),
                    layer: layer.id.to_string(),
                    message: panic_message(p.as_ref()),
                })
            }
        }
    }

    /// Forgets everything a panic may have left half-done: caches, fonts, the previous frame.
    fn reset_after_panic(&mut self) {
        let handoff = self.rasters.handoff();
        self.rasters = RasterCache::new(self.assets.limits().max_cache_bytes);
        self.rasters.set_handoff(handoff);
        self.fonts = None;
        self.ops.clear();
        self.prev_ops.clear();
        self.prev_background = None;
    }

    /// Draws each enabled layer alone, on a fresh compositor, to find one that panics.
    fn find_failing_layer<'s>(&self, scene: &'s Scene, t: f64) -> Option<&'s Layer> {
        let found = scene.layers.iter().find(|l| {
            if self.is_disabled(l) {
                return false;
            }
            let mut one = scene.clone();
            one.layers = vec![Arc::clone(l)];
            let mut opts: CompositorOptions = self.opts.clone().with_threads(1);
            opts.clock_start = Some(self.clock_start);
            let mut comp = Compositor::new(opts, self.assets.clone());
            catch_unwind(AssertUnwindSafe(|| comp.render_frame(&one, t))).is_err()
        });
        found.map(|l| &**l)
    }
}
