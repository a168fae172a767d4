//! What each layer costs, for `streamcomp bench`: the time a layer took to prepare (sample,
//! rasterise or take from the cache, transform) and to compose (its blits, summed over bands
//! and threads, so CPU time rather than wall time), summed over the frames rendered while
//! timing was on. Off by default: then nothing is measured.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::scene::Scene;

/// The summed cost of one layer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LayerTime {
    /// The layer's id.
    pub id: String,
    /// Frames rendered while it was timed.
    pub frames: u64,
    /// Time to prepare it (sampling, rasterising or finding its raster, transforming).
    pub prepare: Duration,
    /// Time to compose it onto the canvas, summed over bands and threads.
    pub compose: Duration,
}

impl LayerTime {
    /// Preparation and composition together.
    pub fn total(&self) -> Duration {
        self.prepare + self.compose
    }
}

/// The sums, by the layer's index in the scene.
#[derive(Debug, Default)]
pub(crate) struct LayerTimes {
    layers: Vec<LayerTime>,
    /// Composition nanoseconds of the frame being rendered, written from the bands' threads.
    compose_ns: Vec<AtomicU64>,
}

impl LayerTimes {
    /// Makes room for `scene`'s layers; an index whose layer changed id starts again.
    pub(crate) fn begin_frame(&mut self, scene: &Scene) {
        let n = scene.layers.len();
        self.layers.resize_with(n, LayerTime::default);
        self.compose_ns.resize_with(n, AtomicU64::default);
        for (t, l) in self.layers.iter_mut().zip(&scene.layers) {
            if t.id != l.id.as_str() {
                *t = LayerTime {
                    id: l.id.to_string(),
                    ..LayerTime::default()
                };
            }
            t.frames += 1;
        }
    }

    /// Adds preparation time to the layer at `index`.
    pub(crate) fn prepared(&mut self, index: usize, took: Duration) {
        if let Some(t) = self.layers.get_mut(index) {
            t.prepare += took;
        }
    }

    /// Where the bands add composition nanoseconds, by layer index.
    pub(crate) fn compose_slots(&self) -> &[AtomicU64] {
        &self.compose_ns
    }

    /// Moves this frame's composition times into the sums.
    pub(crate) fn end_frame(&mut self) {
        for (t, ns) in self.layers.iter_mut().zip(&self.compose_ns) {
            t.compose += Duration::from_nanos(ns.swap(0, Ordering::Relaxed));
        }
    }

    /// The sums, most costly first.
    pub(crate) fn report(&self) -> Vec<LayerTime> {
        let mut v = self.layers.clone();
        v.sort_by(|a, b| b.total().cmp(&a.total()).then_with(|| a.id.cmp(&b.id)));
        v
    }
}
