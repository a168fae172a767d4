//! Loading assets with limits: where a `src` points (paths confined to a root, `data:` URIs,
//! allow-listed `http(s)` URLs), decoded images (still and animated) and fonts.

mod cache;
pub(crate) mod fetch;
mod font;
mod image;

use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use self::image::{DecodedImage, ImageFrame};
pub use fetch::RemotePolicy;
pub(crate) use font::FontLibrary;

use self::cache::ImageCache;

use crate::error::AssetError;
use crate::limits::Limits;

/// Finds, reads and decodes assets for the compositor, under [`Limits`], and caches decoded
/// images (at most [`Limits::max_image_cache_bytes`], the least recently used dropped first).
/// Cheap to clone: clones share the state, the image cache included.
#[derive(Clone, Debug)]
pub struct AssetResolver {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    confine: bool,
    remote: RemotePolicy,
    limits: Limits,
    load_system_fonts: bool,
    images: Mutex<ImageCache>,
}

impl Default for AssetResolver {
    /// Paths relative to the working directory, not confined, no remote hosts.
    fn default() -> AssetResolver {
        AssetResolver::new(".")
    }
}

impl AssetResolver {
    /// Relative paths resolve against `root` (or a scene's own folder); any path may be read.
    /// For files a user trusts, as on the command line.
    pub fn new(root: impl Into<PathBuf>) -> AssetResolver {
        AssetResolver::build(
            root.into(),
            false,
            RemotePolicy::default(),
            Limits::default(),
            true,
        )
    }

    /// Every path must stay inside `root`: no absolute paths, no `..` out of it, no symlinks
    /// leading out of it. For servers taking layers from the network.
    pub fn confined(root: impl Into<PathBuf>) -> AssetResolver {
        AssetResolver::build(
            root.into(),
            true,
            RemotePolicy::default(),
            Limits::default(),
            true,
        )
    }

    fn build(
        root: PathBuf,
        confine: bool,
        remote: RemotePolicy,
        limits: Limits,
        fonts: bool,
    ) -> AssetResolver {
        AssetResolver {
            inner: Arc::new(Inner {
                root,
                confine,
                remote,
                images: Mutex::new(ImageCache::new(limits.max_image_cache_bytes)),
                limits,
                load_system_fonts: fonts,
            }),
        }
    }

    fn rebuild(&self, f: impl FnOnce(&mut RemotePolicy, &mut Limits, &mut bool)) -> AssetResolver {
        let (mut remote, mut limits, mut fonts) = (
            self.inner.remote.clone(),
            self.inner.limits.clone(),
            self.inner.load_system_fonts,
        );
        f(&mut remote, &mut limits, &mut fonts);
        AssetResolver::build(
            self.inner.root.clone(),
            self.inner.confine,
            remote,
            limits,
            fonts,
        )
    }

    /// The same resolver with another remote-fetch policy.
    pub fn with_remote(&self, remote: RemotePolicy) -> AssetResolver {
        self.rebuild(|r, _, _| *r = remote)
    }

    /// The same resolver with other limits.
    pub fn with_limits(&self, limits: Limits) -> AssetResolver {
        self.rebuild(|_, l, _| *l = limits)
    }

    /// The same resolver, without (or with) the system's fonts: only bundled fonts and font
    /// files are then used, which makes text rendering identical on every machine.
    pub fn with_system_fonts(&self, load: bool) -> AssetResolver {
        self.rebuild(|_, _, f| *f = load)
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The remote policy in force.
    pub fn remote(&self) -> &RemotePolicy {
        &self.inner.remote
    }

    /// Whether system fonts may be used.
    pub fn system_fonts(&self) -> bool {
        self.inner.load_system_fonts
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Resolves a local path: against `base_dir` (a scene file's folder) when given, else the
    /// root. When confined, refuses anything that ends up outside the root.
    pub fn resolve_path(&self, src: &str, base_dir: Option<&Path>) -> Result<PathBuf, AssetError> {
        let outside = || AssetError::OutsideRoot {
            src: src.to_string(),
            root: self.inner.root.clone(),
        };
        let p = Path::new(src);
        if self.inner.confine
            && (p.is_absolute()
                || p.components()
                    .any(|c| matches!(c, Component::ParentDir | Component::Prefix(_))))
        {
            return Err(outside());
        }
        let base = match base_dir {
            Some(b) if !self.inner.confine => b,
            _ => &self.inner.root,
        };
        let full = base.join(p);
        if !full.exists() {
            return Err(AssetError::NotFound { path: full });
        }
        if self.inner.confine {
            let root = self
                .inner
                .root
                .canonicalize()
                .map_err(|source| AssetError::Io {
                    path: self.inner.root.clone(),
                    source,
                })?;
            let real = full.canonicalize().map_err(|source| AssetError::Io {
                path: full.clone(),
                source,
            })?;
            if !real.starts_with(&root) {
                return Err(outside());
            }
            return Ok(real);
        }
        Ok(full)
    }

    /// Reads a local file whole, refusing files over `max_file_bytes` before reading them.
    pub fn read_file(&self, src: &str, base_dir: Option<&Path>) -> Result<Vec<u8>, AssetError> {
        let path = self.resolve_path(src, base_dir)?;
        let io = |source| AssetError::Io {
            path: path.clone(),
            source,
        };
        let len = std::fs::metadata(&path).map_err(io)?.len();
        let max = self.inner.limits.max_file_bytes;
        if len > max {
            return Err(AssetError::TooLarge {
                what: format!("file {}", path.display()),
                detail: format!("{len} bytes, the limit is {max}"),
            });
        }
        std::fs::read(&path).map_err(io)
    }

    /// The bytes behind any `src`: a `data:` URI, an allow-listed `http(s)` URL, or a path.
    pub fn read_source(&self, src: &str, base_dir: Option<&Path>) -> Result<Vec<u8>, AssetError> {
        if src.starts_with("data:") {
            fetch::decode_data_uri(src, self.inner.limits.max_fetch_bytes)
        } else if src.starts_with("http://") || src.starts_with("https://") {
            fetch::fetch(src, &self.inner.remote, &self.inner.limits)
        } else {
            self.read_file(src, base_dir)
        }
    }

    /// The decoded image behind `src` (relative paths against `base_dir` when given), from the
    /// cache or loaded now and cached.
    pub fn image(
        &self,
        src: &str,
        base_dir: Option<&Path>,
    ) -> Result<Arc<DecodedImage>, AssetError> {
        if let Some(img) = self.images().get(src, base_dir) {
            return Ok(img);
        }
        let bytes = self.read_source(src, base_dir)?;
        let img = Arc::new(DecodedImage::decode(
            &bytes,
            &fetch::display_src(src),
            &self.inner.limits,
        )?);
        self.images().insert(src, base_dir, img.clone());
        Ok(img)
    }

    /// Forgets cached images (after an asset file was replaced).
    pub fn clear_cache(&self) {
        self.images().clear();
    }

    /// The image cache, locked (a panic while it was locked left it consistent: every change
    /// is one map operation and its byte count).
    fn images(&self) -> std::sync::MutexGuard<'_, ImageCache> {
        self.inner.images.lock().unwrap_or_else(|e| e.into_inner())
    }
}
