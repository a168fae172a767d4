//! The raster cache: layer rasters keyed by a hash of everything that affects their pixels, so
//! moving, fading or re-stacking a layer reuses its pixels; evicted when unused or over budget.

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

use super::raster::Raster;

/// Frames an unused entry survives.
const MAX_IDLE_FRAMES: u64 = 90;
/// Rasters a [`RasterHandoff`] holds at most (the newest).
const HANDOFF_ENTRIES: usize = 32;
/// Bytes of rasters a [`RasterHandoff`] holds at most (it keeps them alive after the caches
/// dropped them).
const HANDOFF_BYTES: usize = 64 << 20;

/// The newest rasters of compositors that draw the same scenes, by content key: a live
/// stream's inspector rasterises a changed layer to measure its bounds, and the render thread's
/// compositor takes that raster instead of drawing the layer again (and the other way round).
/// Clones share one list; it holds at most [`HANDOFF_ENTRIES`] rasters and [`HANDOFF_BYTES`].
#[derive(Clone, Default)]
pub(crate) struct RasterHandoff(Arc<Mutex<Recent>>);

/// The newest rasters, oldest first.
type Recent = VecDeque<(u64, Arc<Raster>)>;

impl RasterHandoff {
    fn put(&self, key: u64, raster: &Arc<Raster>) {
        let mut q = self.0.lock().unwrap_or_else(|e| e.into_inner());
        q.retain(|(k, _)| *k != key);
        q.push_back((key, raster.clone()));
        let mut bytes: usize = q.iter().map(|(_, r)| r.bytes()).sum();
        while q.len() > HANDOFF_ENTRIES || (bytes > HANDOFF_BYTES && !q.is_empty()) {
            if let Some((_, r)) = q.pop_front() {
                bytes -= r.bytes();
            }
        }
    }

    fn take(&self, key: u64) -> Option<Arc<Raster>> {
        let q = self.0.lock().unwrap_or_else(|e| e.into_inner());
        q.iter().find(|(k, _)| *k == key).map(|(_, r)| r.clone())
    }
}

struct Entry {
    raster: Arc<Raster>,
    last_used: u64,
}

/// Rasters by content key, with least-recently-used eviction under a byte budget.
pub(crate) struct RasterCache {
    map: HashMap<u64, Entry>,
    bytes: usize,
    max_bytes: usize,
    generation: u64,
    handoff: Option<RasterHandoff>,
}

impl RasterCache {
    pub(crate) fn new(max_bytes: u64) -> RasterCache {
        RasterCache {
            map: HashMap::new(),
            bytes: 0,
            max_bytes: usize::try_from(max_bytes).unwrap_or(usize::MAX),
            generation: 0,
            handoff: None,
        }
    }

    /// Shares new rasters through `handoff`, and looks there before a miss.
    pub(crate) fn set_handoff(&mut self, handoff: Option<RasterHandoff>) {
        self.handoff = handoff;
    }

    /// The handoff this cache shares rasters through, if any.
    pub(crate) fn handoff(&self) -> Option<RasterHandoff> {
        self.handoff.clone()
    }

    /// The raster for `key`, marking it used (taken from the handoff when another compositor
    /// drew it).
    pub(crate) fn get(&mut self, key: u64) -> Option<Arc<Raster>> {
        let generation = self.generation;
        if let Some(e) = self.map.get_mut(&key) {
            e.last_used = generation;
            return Some(e.raster.clone());
        }
        let raster = self.handoff.as_ref()?.take(key)?;
        self.keep(key, raster.clone());
        Some(raster)
    }

    /// Stores a raster and returns the shared handle.
    pub(crate) fn insert(&mut self, key: u64, raster: Raster) -> Arc<Raster> {
        let raster = Arc::new(raster);
        if let Some(h) = &self.handoff {
            h.put(key, &raster);
        }
        self.keep(key, raster.clone());
        raster
    }

    fn keep(&mut self, key: u64, raster: Arc<Raster>) {
        self.bytes += raster.bytes();
        if let Some(old) = self.map.insert(
            key,
            Entry {
                raster,
                last_used: self.generation,
            },
        ) {
            self.bytes -= old.raster.bytes();
        }
    }

    /// Ends a frame: drops entries idle too long, then the least recently used while over budget
    /// (never one used in this frame).
    pub(crate) fn end_frame(&mut self) {
        let generation = self.generation;
        let before = self.map.len();
        self.map
            .retain(|_, e| generation - e.last_used <= MAX_IDLE_FRAMES);
        if self.map.len() != before || self.bytes > self.max_bytes {
            self.bytes = self.map.values().map(|e| e.raster.bytes()).sum();
        }
        while self.bytes > self.max_bytes {
            let Some((&key, _)) = self
                .map
                .iter()
                .filter(|(_, e)| e.last_used != generation)
                .min_by_key(|(_, e)| e.last_used)
            else {
                break;
            };
            if let Some(e) = self.map.remove(&key) {
                self.bytes -= e.raster.bytes();
            }
        }
        self.generation += 1;
    }

    /// Drops everything.
    pub(crate) fn clear(&mut self) {
        self.map.clear();
        self.bytes = 0;
    }
}

/// A content key from anything hashable.
pub(crate) fn key_of(parts: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

/// Hashes an `f64` by its bits (the values come from validated, finite JSON numbers).
pub(crate) fn hash_f64(h: &mut impl Hasher, v: f64) {
    v.to_bits().hash(h);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::RasterHandoff;
    use crate::assets::AssetResolver;
    use crate::render::{Compositor, CompositorOptions};
    use crate::scene::{LoadOptions, Scene};

    #[test]
    fn a_layer_measured_by_one_compositor_is_not_rasterised_again_by_the_other() {
        let scene = Scene::from_value(
            json!({"width": 320, "height": 180, "background": "#000000", "layers": [
                {"id": "t", "type": "text", "text": "Breaking news", "x": 10, "y": 10,
                 "font_size": 32, "color": "#ffffff"},
                {"id": "r", "type": "rect", "x": 0, "y": 100, "width": 50, "height": 30,
                 "radius": 6, "color": "#ff0000"}]}),
            &LoadOptions::default(),
        )
        .unwrap();
        let assets = AssetResolver::default().with_system_fonts(false);
        let handoff = RasterHandoff::default();
        let mut inspector =
            Compositor::new(CompositorOptions::default().with_threads(1), assets.clone());
        let mut render = Compositor::new(CompositorOptions::default(), assets.clone());
        inspector.share_rasters(handoff.clone());
        render.share_rasters(handoff);
        for layer in &scene.layers {
            inspector.bounds(&scene, layer, 0.0).unwrap();
        }
        assert_eq!(inspector.stats().rasterized, 2);
        render.render(&scene, 0.0).unwrap();
        assert_eq!(
            render.stats().rasterized,
            0,
            "both rasters came from the handoff"
        );
        // The same pixels as a compositor that drew them itself.
        let mut alone = Compositor::new(CompositorOptions::default(), assets);
        alone.render(&scene, 0.0).unwrap();
        assert_eq!(alone.stats().rasterized, 2);
        assert!(render.frame() == alone.frame());
    }
}
