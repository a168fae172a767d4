//! The decoded-image cache: the only one. It belongs to an [`AssetResolver`] (shared by its
//! clones, so by every compositor reading through it), keys images by where they come from
//! (the source, and the scene folder a relative path is read from), and keeps at most
//! [`Limits::max_image_cache_bytes`], dropping the least recently used.
//!
//! [`AssetResolver`]: super::AssetResolver
//! [`Limits::max_image_cache_bytes`]: crate::Limits::max_image_cache_bytes

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::DecodedImage;

struct Entry {
    src: String,
    /// The folder `src` is relative to (`None` for remote and `data:` sources).
    dir: Option<PathBuf>,
    image: Arc<DecodedImage>,
    /// Pixels of every frame plus the source text.
    bytes: usize,
    /// The `ImageCache::clock` of its last use.
    last_used: u64,
}

/// Where an image comes from, as a map key (no allocation on lookups): a hash of the source and
/// of the folder a relative path is read from. Entries keep both, so that a collision is a miss.
fn slot<'a>(src: &str, dir: Option<&'a Path>) -> (u64, Option<&'a Path>) {
    let dir = dir.filter(|_| !src.contains(':'));
    let mut h = DefaultHasher::new();
    (src, dir).hash(&mut h);
    (h.finish(), dir)
}

/// Decoded images by source, least-recently-used eviction under a byte budget.
pub(super) struct ImageCache {
    map: HashMap<u64, Entry>,
    bytes: usize,
    max_bytes: usize,
    /// Counts lookups and inserts, to order entries by use.
    clock: u64,
}

impl std::fmt::Debug for ImageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageCache")
            .field("images", &self.map.len())
            .field("bytes", &self.bytes)
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}

impl ImageCache {
    /// An empty cache that keeps at most `max_bytes`.
    pub(super) fn new(max_bytes: u64) -> ImageCache {
        ImageCache {
            map: HashMap::new(),
            bytes: 0,
            max_bytes: usize::try_from(max_bytes).unwrap_or(usize::MAX),
            clock: 0,
        }
    }

    /// The image of `src` (relative to `dir` when a path), marked as used now.
    pub(super) fn get(&mut self, src: &str, dir: Option<&Path>) -> Option<Arc<DecodedImage>> {
        self.clock += 1;
        let (key, dir) = slot(src, dir);
        let e = self
            .map
            .get_mut(&key)
            .filter(|e| e.src == src && e.dir.as_deref() == dir)?;
        e.last_used = self.clock;
        Some(e.image.clone())
    }

    /// Keeps `image` as the one of `src` (relative to `dir` when a path), then drops the least
    /// recently used others while the cache holds more than its budget (the new image stays
    /// even when it alone is larger).
    pub(super) fn insert(&mut self, src: &str, dir: Option<&Path>, image: Arc<DecodedImage>) {
        self.clock += 1;
        let (key, dir) = slot(src, dir);
        let bytes = src.len() + image.frames.iter().map(|f| f.pixels.len()).sum::<usize>();
        self.bytes += bytes;
        let entry = Entry {
            src: src.to_string(),
            dir: dir.map(Path::to_path_buf),
            image,
            bytes,
            last_used: self.clock,
        };
        if let Some(old) = self.map.insert(key, entry) {
            self.bytes -= old.bytes;
        }
        while self.bytes > self.max_bytes {
            let newest = self.clock;
            let oldest = self
                .map
                .iter()
                .filter(|(_, e)| e.last_used != newest)
                .min_by_key(|(_, e)| e.last_used)
                .map(|(&k, _)| k);
            let Some(e) = oldest.and_then(|k| self.map.remove(&k)) else {
                break;
            };
            self.bytes -= e.bytes;
        }
    }

    /// Drops everything.
    pub(super) fn clear(&mut self) {
        self.map.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::ImageFrame;

    fn image(side: u32) -> Arc<DecodedImage> {
        Arc::new(DecodedImage {
            width: side,
            height: side,
            frames: vec![ImageFrame {
                pixels: vec![0; (side * side * 4) as usize],
                delay: 0.0,
            }],
            duration: 0.0,
        })
    }

    #[test]
    fn keeps_to_its_budget_dropping_the_least_recently_used() {
        // Room for two 10x10 images (400 bytes each, plus one byte of key).
        let mut cache = ImageCache::new(900);
        cache.insert("a", None, image(10));
        cache.insert("b", None, image(10));
        assert!(
            cache.get("a", None).is_some(),
            "a is now the most recently used"
        );
        cache.insert("c", None, image(10));
        assert!(
            cache.get("b", None).is_none(),
            "b was the least recently used"
        );
        assert!(cache.get("a", None).is_some() && cache.get("c", None).is_some());
        assert_eq!(cache.bytes, 802);
        // An image larger than the whole budget is kept alone.
        cache.insert("big", None, image(20));
        assert!(cache.get("big", None).is_some());
        assert_eq!(cache.map.len(), 1);
        cache.clear();
        assert!(cache.get("big", None).is_none());
        assert_eq!(cache.bytes, 0);
    }

    #[test]
    fn a_relative_path_is_one_image_per_folder_a_data_uri_one_everywhere() {
        let mut cache = ImageCache::new(u64::MAX);
        let (one, two) = (Path::new("one"), Path::new("two"));
        cache.insert("logo.png", Some(one), image(1));
        assert!(cache.get("logo.png", Some(one)).is_some());
        assert!(cache.get("logo.png", Some(two)).is_none());
        assert!(cache.get("logo.png", None).is_none());
        cache.insert("data:image/png;base64,AA", Some(one), image(1));
        assert!(cache.get("data:image/png;base64,AA", Some(two)).is_some());
        assert!(cache.get("data:image/png;base64,AA", None).is_some());
    }
}
