//! The raster cache: layer rasters keyed by a hash of everything that affects their pixels, so
//! moving, fading or re-stacking a layer reuses its pixels; evicted when unused or over budget.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use super::raster::Raster;

/// Frames an unused entry survives.
const MAX_IDLE_FRAMES: u64 = 90;

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
}

impl RasterCache {
    pub(crate) fn new(max_bytes: u64) -> RasterCache {
        RasterCache {
            map: HashMap::new(),
            bytes: 0,
            max_bytes: usize::try_from(max_bytes).unwrap_or(usize::MAX),
            generation: 0,
        }
    }

    /// The raster for `key`, marking it used.
    pub(crate) fn get(&mut self, key: u64) -> Option<Arc<Raster>> {
        let generation = self.generation;
        self.map.get_mut(&key).map(|e| {
            e.last_used = generation;
            e.raster.clone()
        })
    }

    /// Stores a raster and returns the shared handle.
    pub(crate) fn insert(&mut self, key: u64, raster: Raster) -> Arc<Raster> {
        let raster = Arc::new(raster);
        self.bytes += raster.bytes();
        if let Some(old) = self.map.insert(
            key,
            Entry {
                raster: raster.clone(),
                last_used: self.generation,
            },
        ) {
            self.bytes -= old.raster.bytes();
        }
        raster
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
