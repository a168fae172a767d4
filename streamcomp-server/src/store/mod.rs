//! Where layers and stream settings survive restarts. [`Store`] is the interface the server
//! uses (load once at start-up, save after every acknowledged change, before the answer goes
//! out); [`embedded::JsonFileStore`] is the default implementation.
//!
//! A Redis store (`REDIS_URL`) is not built yet: the configuration refuses `REDIS_URL` with a
//! message saying so.

pub(crate) mod embedded;

use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
}

/// A place to keep [`Saved`] state. Calls block (the server runs them off the async threads);
/// `save` returns only once the state is durable.
pub(crate) trait Store: Send + Sync + 'static {
    /// The state saved last, or `None` when nothing was ever saved.
    fn load(&self) -> Result<Option<Saved>, StoreError>;
    /// Replaces the saved state, atomically.
    fn save(&self, state: &Saved) -> Result<(), StoreError>;
    /// Where the state lives, for the start-up log line.
    fn describe(&self) -> String;
}

/// Runs one store operation, timing it into `streamcomp_store_operation_seconds{operation}`.
pub(crate) fn timed<T>(operation: &'static str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    metrics::histogram!("streamcomp_store_operation_seconds", "operation" => operation)
        .record(start.elapsed().as_secs_f64());
    out
}
