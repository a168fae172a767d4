//! The embedded store: one JSON file per stream, `STATE_PATH/STREAM_ID.json`, replaced
//! atomically on every save (write a temporary file, fsync it, rename it over the old one,
//! fsync the folder), so a crash or `kill -9` leaves either the old or the new state, never a
//! torn one.
//!
//! Why a JSON file and not redb: the state is one small document (a few dozen layers) that is
//! rewritten whole on every change, so a database buys nothing here, while a JSON file can be
//! read, backed up and edited with ordinary tools and costs no extra dependency.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Saved, Store, StoreError};

/// State in `folder/{stream_id}.json`.
#[derive(Debug)]
pub(crate) struct JsonFileStore {
    file: PathBuf,
    tmp: PathBuf,
}

impl JsonFileStore {
    /// A store in `folder` (created when missing) for stream `stream_id` (a safe file name,
    /// checked by the configuration).
    pub(crate) fn open(folder: &Path, stream_id: &str) -> Result<JsonFileStore, StoreError> {
        fs::create_dir_all(folder).map_err(|source| StoreError::Io {
            path: folder.display().to_string(),
            source,
        })?;
        Ok(JsonFileStore {
            file: folder.join(format!("{stream_id}.json")),
            tmp: folder.join(format!(".{stream_id}.json.tmp")),
        })
    }

    fn io(&self, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = path.display().to_string();
        move |source| StoreError::Io { path, source }
    }
}

impl Store for JsonFileStore {
    fn load(&self) -> Result<Option<Saved>, StoreError> {
        let text = match fs::read_to_string(&self.file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io(&self.file)(e)),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                path: self.file.display().to_string(),
                message: e.to_string(),
            })
    }

    fn save(&self, state: &Saved) -> Result<(), StoreError> {
        let json = serde_json::to_vec_pretty(state).expect("JSON values always serialise");
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&self.tmp).map_err(self.io(&self.tmp))?;
        f.write_all(&json).map_err(self.io(&self.tmp))?;
        f.sync_all().map_err(self.io(&self.tmp))?;
        drop(f);
        fs::rename(&self.tmp, &self.file).map_err(self.io(&self.file))?;
        if let Some(dir) = self.file.parent() {
            // Make the rename itself durable.
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(self.io(dir))?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!("embedded store {}", self.file.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn saves_and_loads_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let store = JsonFileStore::open(&dir.path().join("state"), "main").unwrap();
        assert_eq!(store.load().unwrap(), None);
        let s = Saved {
            layers: vec![json!({"id": "a", "type": "rect", "width": 1, "height": 1})],
            live: true,
            outputs: vec!["rtmp://h/live/key".into()],
            inputs: json!({"cam1": {"type": "rtmp", "key": "k"}})
                .as_object()
                .cloned()
                .unwrap(),
            version: 0,
            motions: Vec::new(),
            changes: None,
        };
        store.save(&s).unwrap();
        assert_eq!(store.load().unwrap(), Some(s.clone()));
        let s2 = Saved { live: false, ..s };
        store.save(&s2).unwrap();
        assert_eq!(store.load().unwrap(), Some(s2));
        let names: Vec<_> = fs::read_dir(dir.path().join("state"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["main.json"], "no temporary file left behind");
        let text = fs::read_to_string(dir.path().join("state/main.json")).unwrap();
        assert!(
            !text.contains("version"),
            "the embedded format is unchanged: {text}"
        );
    }

    #[test]
    fn a_corrupt_file_is_an_error_not_an_empty_state() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("x.json"), "{not json").unwrap();
        let store = JsonFileStore::open(dir.path(), "x").unwrap();
        assert!(matches!(store.load(), Err(StoreError::Corrupt { .. })));
    }
}
