//! Where layers and stream settings survive restarts, and how servers of one stream share them.
//! [`Store`] is the interface the server uses: load once at start-up, save after every
//! acknowledged change (before the answer goes out), and, for a shared store, apply the
//! changes other servers made.
//!
//! Two implementations: [`embedded::JsonFileStore`] (the default: one JSON file, replaced
//! atomically) and [`redis::RedisStore`] (`REDIS_URL`: layers in Redis, every change published
//! to every server of the stream, settings and a last-known copy in the local file).

pub(crate) mod embedded;
pub(crate) mod group;
pub(crate) mod redis;

use std::sync::mpsc::Receiver;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use streamcomp_core::scene::diff::ListOp;

/// The state kept for one stream.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Saved {
    /// Layer documents (as the API returns them, without `bounds`), in insertion order.
    pub layers: Vec<Value>,
    /// Whether the stream was live (on air) when this was saved.
    pub live: bool,
    /// The outputs it was live to, as given (they may hold stream keys: the file is private).
    pub outputs: Vec<String>,
    /// The scene's live inputs by name, as given (they hold stream keys and passphrases: the
    /// file is private). A setting like `outputs`: the Redis store keeps it in the local file.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub inputs: serde_json::Map<String, Value>,
    /// The Redis store only: the version (in Redis) that `layers` were last known to match.
    /// Absent (0) in the embedded store's files.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub version: u64,
    /// How the changes behind this state moved their layers (`(id, motion)` from
    /// `LayerChange::motion`, oldest first): shared stores pass them on so that other servers
    /// show a transition or a fade-out as one, not as a jump. Never written to a file.
    #[serde(skip)]
    pub motions: Vec<(String, Value)>,
    /// The layer operations that made `layers` from the state saved before (from the change
    /// the server applied, oldest first), so a shared store writes and publishes the change
    /// itself; `None` when they are not known (a start-up restore, a new stream), and a store
    /// that needs them compares with what it saved last. Never written to a file.
    #[serde(skip)]
    pub changes: Option<Vec<ListOp>>,
}

impl Saved {
    /// Folds the state queued before this one (and not written on its own) into this one:
    /// its motions and changes come first.
    pub(crate) fn absorb(&mut self, older: Saved) {
        let newer = std::mem::replace(&mut self.motions, older.motions);
        self.motions.extend(newer);
        self.changes = match (older.changes, self.changes.take()) {
            (Some(mut ops), Some(newer)) => {
                ops.extend(newer);
                Some(ops)
            }
            _ => None,
        };
    }
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// A layer list written elsewhere (another server of the stream, or an outside tool), to be
/// applied in memory.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Remote {
    /// Its version in the shared store (versions only go up).
    pub version: u64,
    /// The layer documents, in insertion order.
    pub layers: Vec<Value>,
    /// How the writer's changes moved layers, by layer id (see [`Saved::motions`]); empty when
    /// the list was read rather than received with its change.
    pub motions: serde_json::Map<String, Value>,
}

impl Remote {
    /// A list read from the store, without motions.
    pub(crate) fn read(version: u64, layers: Vec<Value>) -> Remote {
        Remote {
            version,
            layers,
            motions: serde_json::Map::new(),
        }
    }
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    /// Reading or writing failed.
    #[error("store {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The stored state cannot be read back.
    #[error("store {path}: not a valid state file: {message}")]
    Corrupt {
        /// The file.
        path: String,
        /// The parser's complaint.
        message: String,
    },
    /// The Redis store cannot be set up (a bad URL; never shows the password).
    #[error("Redis store: {0}")]
    Redis(String),
}

/// A place to keep [`Saved`] state. Calls block (the server runs them off the async threads);
/// `save` returns once the state is durable (the Redis store: once it is in the local file and,
/// while Redis is reachable, in Redis; see [`redis`]).
pub(crate) trait Store: Send + Sync + 'static {
    /// The state saved last, or `None` when nothing was ever saved.
    fn load(&self) -> Result<Option<Saved>, StoreError>;
    /// Replaces the saved state, atomically.
    fn save(&self, state: &Saved) -> Result<(), StoreError>;
    /// Where the state lives, for the start-up log line (never shows a password).
    fn describe(&self) -> String;
    /// What `/stream/status` shows under `store`: `{"kind": ...}` and, for a shared store,
    /// whether it is reachable.
    fn status(&self) -> Value {
        json!({"kind": "embedded"})
    }
    /// Layer lists written elsewhere, to apply; `None` for a store nobody else writes. The
    /// receiver is handed out once.
    fn remote(&self) -> Option<Receiver<Remote>> {
        None
    }
    /// Called under the server's change lock before applying `remote`: whether it is still
    /// newer than memory (false when a local change is on its way, which will replace it).
    fn is_current(&self, _remote: &Remote) -> bool {
        false
    }
    /// After `remote` was applied (or the layers loaded at start-up restored): records
    /// `state` (memory now: layers that do not work here are missing from it) as derived from
    /// `remote`, without publishing anything.
    fn applied(&self, _state: &Saved, _remote: &Remote) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Runs one store operation, timing it into `streamcomp_store_operation_seconds{operation}`.
pub(crate) fn timed<T>(operation: &'static str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    record(operation, start);
    out
}

/// [`timed`] for an asynchronous operation.
pub(crate) async fn timed_async<T>(operation: &'static str, f: impl Future<Output = T>) -> T {
    let start = Instant::now();
    let out = f.await;
    record(operation, start);
    out
}

fn record(operation: &'static str, start: Instant) {
    metrics::histogram!("streamcomp_store_operation_seconds", "operation" => operation)
        .record(start.elapsed().as_secs_f64());
}
