//! The decoded-image cache: the only one. It belongs to an [`AssetResolver`] (shared by its
//! clones, so by every compositor reading through it), keys images by where they come from,
//! and keeps at most [`Limits::max_image_cache_bytes`], dropping the least recently used.
//!
//! [`AssetResolver`]: super::AssetResolver
//! [`Limits::max_image_cache_bytes`]: crate::Limits::max_image_cache_bytes

use std::collections::HashMap;
use std::sync::Arc;

use super::DecodedImage;

struct Entry {
    image: Arc<DecodedImage>,
    /// Pixels of every frame plus the key.
    bytes: usize,
    /// The `ImageCache::clock` of its last use.
    last_used: u64,
}

/// Decoded images by source key, least-recently-used eviction under a byte budget.
pub(super) struct ImageCache {
    map: HashMap<String, Entry>,
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

    /// The image under `key`, marked as used now.
    pub(super) fn get(&mut self, key: &str) -> Option<Arc<DecodedImage>> {
        self.clock += 1;
        let e = self.map.get_mut(key)?;
        e.last_used = self.clock;
        Some(e.image.clone())
    }

    /// Keeps `image` under `key`, then drops the least recently used others while the cache
    /// holds more than its budget (the new image stays even when it alone is larger).
    pub(super) fn insert(&mut self, key: String, image: Arc<DecodedImage>) {
        self.clock += 1;
        let bytes = key.len() + image.frames.iter().map(|f| f.pixels.len()).sum::<usize>();
        self.bytes += bytes;
        let entry = Entry {
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
                .map(|(k, _)| k.clone());
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
        cache.insert("a".into(), image(10));
        cache.insert("b".into(), image(10));
        assert!(cache.get("a").is_some(), "a is now the most recently used");
        cache.insert("c".into(), image(10));
        assert!(cache.get("b").is_none(), "b was the least recently used");
        assert!(cache.get("a").is_some() && cache.get("c").is_some());
        assert_eq!(cache.bytes, 802);
        // An image larger than the whole budget is kept alone.
        cache.insert("big".into(), image(20));
        assert!(cache.get("big").is_some());
        assert_eq!(cache.map.len(), 1);
        cache.clear();
        assert!(cache.get("big").is_none());
        assert_eq!(cache.bytes, 0);
    }
}
