//! Where HLS files go: a folder on disk (each file written whole under a temporary name, then
//! renamed, so a reader or a crash never sees half a file), or memory ([`HlsMemory`], which the
//! server serves over HTTP). Both hold the playlist and segments by name.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::playlist::MAX_PLAYLIST_BYTES;
use crate::output::OutputError;

/// A place HLS files are written to, by name.
pub(crate) trait HlsStore: Send {
    /// Reads a file written before (the playlist, at start), at most `limit` bytes.
    fn read(&self, name: &str, limit: usize) -> Option<Vec<u8>>;
    /// Writes a file whole.
    fn put(&mut self, name: &str, bytes: Bytes) -> Result<(), OutputError>;
    /// Removes a file; one already gone is no error.
    fn remove(&mut self, name: &str) -> Result<(), OutputError>;
    /// The names present (to clean up what an earlier run left).
    fn names(&self) -> Vec<String>;
}

/// A folder on disk.
#[derive(Debug)]
pub(crate) struct FolderStore {
    dir: PathBuf,
}

impl FolderStore {
    /// The folder `dir`, created if missing.
    pub(crate) fn create(dir: &Path) -> Result<FolderStore, OutputError> {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        fs::create_dir_all(dir).map_err(|source| OutputError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(FolderStore {
            dir: dir.to_path_buf(),
        })
    }
}

impl HlsStore for FolderStore {
    fn read(&self, name: &str, limit: usize) -> Option<Vec<u8>> {
        let f = fs::File::open(self.dir.join(name)).ok()?;
        let mut buf = Vec::new();
        f.take(limit as u64 + 1).read_to_end(&mut buf).ok()?;
        (buf.len() <= limit).then_some(buf)
    }

    fn put(&mut self, name: &str, bytes: Bytes) -> Result<(), OutputError> {
        let path = self.dir.join(name);
        let tmp = self.dir.join(format!("{name}.tmp"));
        let io = |source| OutputError::Io {
            path: path.clone(),
            source,
        };
        let mut f = fs::File::create(&tmp).map_err(io)?;
        f.write_all(&bytes).map_err(io)?;
        drop(f);
        fs::rename(&tmp, &path).map_err(io)
    }

    fn remove(&mut self, name: &str) -> Result<(), OutputError> {
        let path = self.dir.join(name);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(OutputError::Io { path, source: e })
            }
            _ => Ok(()),
        }
    }

    fn names(&self) -> Vec<String> {
        fs::read_dir(&self.dir)
            .map(|d| {
                d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// HLS files kept in memory, shared between the output that writes them and whoever serves
/// them (the server's `GET /stream/hls/…`). Cloning gives another handle to the same files;
/// the output keeps only its window (and a margin) in it.
#[derive(Clone, Debug, Default)]
pub struct HlsMemory {
    files: Arc<Mutex<BTreeMap<String, Bytes>>>,
}

impl PartialEq for HlsMemory {
    /// Two handles are equal when they share their files.
    fn eq(&self, o: &HlsMemory) -> bool {
        Arc::ptr_eq(&self.files, &o.files)
    }
}

impl Eq for HlsMemory {}

impl HlsMemory {
    /// An empty store.
    pub fn new() -> HlsMemory {
        HlsMemory::default()
    }

    fn files(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Bytes>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The file `name` (`index.m3u8`, `index-42.ts`), if it is there.
    pub fn get(&self, name: &str) -> Option<Bytes> {
        self.files().get(name).cloned()
    }

    /// The media type of a file by its name: `application/vnd.apple.mpegurl`, `video/mp2t`,
    /// `video/mp4` or `video/iso.segment`.
    pub fn content_type(name: &str) -> &'static str {
        match name.rsplit('.').next() {
            Some("m3u8") => "application/vnd.apple.mpegurl",
            Some("ts") => "video/mp2t",
            Some("m4s") => "video/iso.segment",
            _ => "video/mp4",
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.files().values().map(Bytes::len).sum()
    }
}

impl HlsStore for HlsMemory {
    fn read(&self, name: &str, limit: usize) -> Option<Vec<u8>> {
        let b = self.get(name)?;
        (b.len() <= limit.min(MAX_PLAYLIST_BYTES)).then(|| b.to_vec())
    }

    fn put(&mut self, name: &str, bytes: Bytes) -> Result<(), OutputError> {
        self.files().insert(name.to_string(), bytes);
        Ok(())
    }

    fn remove(&mut self, name: &str) -> Result<(), OutputError> {
        self.files().remove(name);
        Ok(())
    }

    fn names(&self) -> Vec<String> {
        self.files().keys().cloned().collect()
    }
}
