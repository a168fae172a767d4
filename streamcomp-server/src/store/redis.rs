//! The Redis store (`REDIS_URL`, `REDIS_PASSWORD`): the layers of stream `STREAM_ID` live in
//! Redis, every change is published, and every server of that stream applies it.
//!
//! # Keys
//!
//! * `streamcomp:{STREAM_ID}:state`, a hash: `version` (an integer that only goes up),
//!   `layers` (the layer documents as a JSON array, in insertion order, as `GET
//!   /stream/layers` returns them without `bounds`), `origin` (the instance id of the server
//!   that wrote it) and `updated_ms` (Unix time of the write, milliseconds).
//! * `streamcomp:{STREAM_ID}:changes`, a pub/sub channel: after every write, `{"origin":
//!   "...", "version": N, "layers": [...], "motions": {...}}` (`motions`: how the write's
//!   changes moved their layers, by layer id: `{"transition": {..}}` or `{"fade": s}`). A
//!   message without `layers` (`{"version": N}`) asks the servers to read the hash again; that
//!   is the simple way for outside tools to write (`HINCRBY` the version, `HSET` the layers,
//!   `PUBLISH` the version).
//!
//! # Writes: compare-and-set, rebased per layer
//!
//! A save turns into the layer operations it made (remove `id`, put `id` = document: in place
//! when the layer exists, else at the end), diffed against the layers saved before. The
//! background task applies the pending operations to the list of the version it knows and
//! writes the result with one Lua script, only if Redis still holds that version (then: the
//! version plus one, and publish). If another writer came first, the script answers with the stored list; the
//! operations are applied to that instead and written again. So changes on several servers of
//! one stream merge layer by layer (two changes to the same layer: the later one wins), no
//! acknowledged change of another layer is lost, and every server ends on the list in Redis:
//! a server applies a message whose version is above its own (and not its own write), and its
//! own merged write when it holds more than memory does, as the smallest batch of removals,
//! merge patches and additions (one frame).
//!
//! The stream settings (whether it was live, its outputs: they hold stream keys) stay in the
//! local file `STATE_PATH/STREAM_ID.json`, never in Redis, together with a last-known copy of
//! the layers and their version.
//!
//! # When Redis is away
//!
//! A change is applied in memory and the local file at once and acknowledged; while Redis is
//! reachable the save also waits (up to [`SAVE_WAIT`]) for the write, else it returns
//! straight away and the change is pending. A background task keeps one command connection
//! and one subscriber connection; when either fails it logs once, retries with backoff
//! ([`RETRY_MIN`] doubling to [`RETRY_MAX`]), and when Redis answers again it re-subscribes
//! and catches up: pending operations are rebased onto whatever Redis holds then (or onto the
//! last-known list when Redis lost it: restarted empty); a server without pending operations
//! takes the newer list from Redis, or writes its own back when Redis has none or an older one.
//! Start-up with Redis unreachable: the server starts from the last-known copy in the local
//! file, warns once, and catches up the same way. A refused password at start-up stops the
//! server with one line instead (retrying cannot fix it).

use std::collections::hash_map::RandomState;
use std::convert::Infallible;
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, ErrorKind, IntoConnectionInfo, RedisError};
use serde_json::{Map, Value, json};
use streamcomp_core::scene::diff::{ListOp, apply_list_ops, list_ops};
use tokio::sync::Notify;
use tokio::time::timeout;

use super::embedded::JsonFileStore;
use super::{Remote, Saved, Store, StoreError, timed_async};
use crate::config::RedisConfig;

/// Longest wait for a new connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Longest wait for one command's answer.
const OP_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest a save waits for its Redis write while Redis is reachable.
pub(crate) const SAVE_WAIT: Duration = Duration::from_secs(1);
/// How often the connections are checked (a half-open connection is noticed within this).
const PING_EVERY: Duration = Duration::from_secs(2);
/// First retry delay after Redis was lost.
pub(crate) const RETRY_MIN: Duration = Duration::from_millis(100);
/// Longest retry delay.
pub(crate) const RETRY_MAX: Duration = Duration::from_secs(2);

/// Writes the hash and publishes the change, atomically. `ARGV[3]`: `next` writes version
/// ARGV[4] + 1 only when Redis holds version ARGV[4] (or nothing: it lost its data);
/// `restore` writes version ARGV[4] only when Redis holds nothing or an older version (a server
/// putting back what Redis lost). Returns `{written (0/1), version, layers}`: when not
/// written, the stored version and layers.
const WRITE_SCRIPT: &str = r#"
local exists = redis.call('EXISTS', KEYS[1]) == 1
local cur = tonumber(redis.call('HGET', KEYS[1], 'version') or '0') or 0
local mine = tonumber(ARGV[4])
local v
if ARGV[3] == 'restore' then
  if exists and cur >= mine then
    return {0, cur, redis.call('HGET', KEYS[1], 'layers') or '[]'}
  end
  v = mine
else
  if exists and cur ~= mine then
    return {0, cur, redis.call('HGET', KEYS[1], 'layers') or '[]'}
  end
  v = mine + 1
end
local vs = string.format('%d', v)
redis.call('HSET', KEYS[1], 'version', vs, 'layers', ARGV[1], 'origin', ARGV[2], 'updated_ms', ARGV[5])
redis.call('PUBLISH', KEYS[2], '{"origin":"' .. ARGV[2] .. '","version":' .. vs .. ',"layers":' .. ARGV[1] .. ',"motions":' .. ARGV[6] .. '}')
return {1, v, ''}
"#;

/// How many times one flush rebases onto a newer list before giving up for this session.
const MAX_REBASES: usize = 50;

/// How a write treats the stored version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// A change on top of the version we know: written only when Redis still holds it.
    Next,
    /// Putting our state back: written only when Redis has none or an older one.
    Restore,
}

/// What a write did.
enum Written {
    /// Written as this version.
    Yes(u64),
    /// Not written: Redis holds this version and these layers.
    No(u64, Vec<Value>),
}

/// Layers in Redis, settings and a last-known copy in the local file. See the module docs.
pub(crate) struct RedisStore {
    inner: Arc<Inner>,
    local: JsonFileStore,
    file: PathBuf,
    initial: Mutex<Option<Saved>>,
    remote_rx: Mutex<Option<std_mpsc::Receiver<Remote>>>,
}

/// What the store and its background task share.
struct Inner {
    client: Client,
    key: String,
    channel: String,
    origin: String,
    shown: String,
    sync: Mutex<SyncState>,
    written: Condvar,
    wake: Notify,
    remote_tx: std_mpsc::Sender<Remote>,
}

/// Where memory stands against Redis.
struct SyncState {
    /// Both connections are up and caught up.
    connected: bool,
    /// The newest version known to be in Redis (written by us, or received).
    version: u64,
    /// The layers of `version` in Redis.
    known: Vec<Value>,
    /// Memory's layers as last saved or applied (the base of the next save's operations).
    mem: Vec<Value>,
    /// Operations saved and not yet written.
    ops: Vec<ListOp>,
    /// How those operations move their layers, by layer id (published with them).
    motions: Map<String, Value>,
    /// A write is under way.
    writing: bool,
    /// Saves numbered.
    saves: u64,
    /// The last save number written to Redis.
    written: u64,
}

impl SyncState {
    /// Memory holds changes Redis does not have yet.
    fn dirty(&self) -> bool {
        !self.ops.is_empty() || self.writing
    }
}

fn lock(m: &Mutex<SyncState>) -> MutexGuard<'_, SyncState> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A redis error as one line (it never holds the password).
fn line(e: &RedisError) -> String {
    e.to_string().replace('\n', " ")
}

fn is_auth(e: &RedisError) -> bool {
    e.kind() == ErrorKind::AuthenticationFailed || matches!(e.code(), Some("NOAUTH" | "WRONGPASS"))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A random id for this server process, so it can skip its own messages.
fn instance_id() -> String {
    let h = RandomState::new().hash_one((std::process::id(), now_ms()));
    format!("{h:016x}")
}

async fn bounded<T>(
    what: &str,
    f: impl Future<Output = Result<T, RedisError>>,
) -> Result<T, String> {
    match timeout(OP_TIMEOUT, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {}", line(&e))),
        Err(_) => Err(format!("{what}: no answer within {OP_TIMEOUT:?}")),
    }
}

impl RedisStore {
    /// Connects (waiting at most a couple of seconds), reads the stream's layers and starts
    /// the background task. Redis unreachable: starts from the local last-known copy and
    /// keeps trying. Errors: a bad URL, a refused password, an unreadable local file.
    pub(crate) async fn open(
        config: &RedisConfig,
        stream_id: &str,
        state_path: &Path,
    ) -> Result<RedisStore, StoreError> {
        let shown = config.shown();
        let mut info = config
            .url
            .as_str()
            .into_connection_info()
            .map_err(|e| StoreError::Redis(format!("REDIS_URL={shown}: {}", line(&e))))?;
        if let Some(pw) = &config.password {
            let settings = info.redis_settings().clone().set_password(pw);
            info = info.set_redis_settings(settings);
        }
        let client = Client::open(info)
            .map_err(|e| StoreError::Redis(format!("REDIS_URL={shown}: {}", line(&e))))?;
        let local = JsonFileStore::open(state_path, stream_id)?;
        let file = state_path.join(format!("{stream_id}.json"));
        let cached = local.load()?.unwrap_or_default();
        let (remote_tx, remote_rx) = std_mpsc::channel();
        let inner = Arc::new(Inner {
            client,
            key: format!("streamcomp:{stream_id}:state"),
            channel: format!("streamcomp:{stream_id}:changes"),
            origin: instance_id(),
            shown,
            sync: Mutex::new(SyncState {
                connected: false,
                version: 0,
                known: Vec::new(),
                mem: Vec::new(),
                ops: Vec::new(),
                motions: Map::new(),
                writing: false,
                saves: 0,
                written: 0,
            }),
            written: Condvar::new(),
            wake: Notify::new(),
            remote_tx,
        });
        let first = match inner.connect().await {
            Ok(mut conn) => inner.read(&mut conn).await,
            Err(e) => Err(e),
        };
        let (layers, version, reachable) = match first {
            Ok(Some((v, layers))) => (layers, v, true),
            Ok(None) => (cached.layers.clone(), cached.version, true),
            Err(Failure::Auth(e)) => {
                return Err(StoreError::Redis(format!(
                    "REDIS_URL={}: Redis refused the credentials ({e}); check REDIS_PASSWORD",
                    inner.shown
                )));
            }
            Err(Failure::Other(e)) => {
                tracing::warn!(
                    layers = cached.layers.len(),
                    "Redis at {} is unreachable ({e}); starting from the last-known state in {}, retrying in the background",
                    inner.shown,
                    file.display()
                );
                (cached.layers.clone(), cached.version, false)
            }
        };
        {
            let mut s = lock(&inner.sync);
            s.version = version;
            s.known = layers.clone();
            s.mem = layers.clone();
        }
        tokio::spawn(inner.clone().run(reachable));
        Ok(RedisStore {
            inner,
            local,
            file,
            initial: Mutex::new(Some(Saved {
                layers,
                live: cached.live,
                outputs: cached.outputs,
                inputs: cached.inputs,
                version,
                motions: Vec::new(),
                changes: None,
            })),
            remote_rx: Mutex::new(Some(remote_rx)),
        })
    }
}

impl Store for RedisStore {
    fn load(&self) -> Result<Option<Saved>, StoreError> {
        Ok(self
            .initial
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take())
    }

    fn save(&self, state: &Saved) -> Result<(), StoreError> {
        let (save, connected, version) = {
            let mut s = lock(&self.inner.sync);
            // The change as the server made it; compared with memory only when not known.
            let ops = match &state.changes {
                Some(ops) => ops.clone(),
                None => list_ops(&s.mem, &state.layers),
            };
            s.mem = state.layers.clone();
            let save = (!ops.is_empty()).then(|| {
                s.ops.extend(ops);
                s.motions.extend(state.motions.iter().cloned());
                s.saves += 1;
                s.saves
            });
            (save, s.connected, s.version)
        };
        self.local.save(&Saved {
            version,
            ..state.clone()
        })?;
        let Some(save) = save else {
            return Ok(());
        };
        self.inner.wake.notify_one();
        if connected {
            let s = lock(&self.inner.sync);
            let (s, _) = self
                .inner
                .written
                .wait_timeout_while(s, SAVE_WAIT, |s| s.written < save && s.connected)
                .unwrap_or_else(|e| e.into_inner());
            if s.written < save {
                tracing::debug!("the Redis write is late; it goes on in the background");
            }
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "Redis {} (hash {}, channel {}; settings and a last-known copy in {})",
            self.inner.shown,
            self.inner.key,
            self.inner.channel,
            self.file.display()
        )
    }

    fn status(&self) -> Value {
        let s = lock(&self.inner.sync);
        json!({"kind": "redis", "connected": s.connected, "version": s.version,
               "pending": s.dirty()})
    }

    fn remote(&self) -> Option<std_mpsc::Receiver<Remote>> {
        self.remote_rx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    fn is_current(&self, remote: &Remote) -> bool {
        let s = lock(&self.inner.sync);
        !s.dirty() && remote.version >= s.version
    }

    fn applied(&self, state: &Saved, remote: &Remote) -> Result<(), StoreError> {
        let version = {
            let mut s = lock(&self.inner.sync);
            s.mem = state.layers.clone();
            if remote.version >= s.version {
                s.version = remote.version;
                s.known = remote.layers.clone();
            }
            s.version
        };
        self.local.save(&Saved {
            version,
            ..state.clone()
        })
    }
}

/// Why talking to Redis failed.
enum Failure {
    /// The password was refused (or is missing).
    Auth(String),
    /// Anything else (unreachable, timed out, closed).
    Other(String),
}

impl From<String> for Failure {
    fn from(s: String) -> Failure {
        Failure::Other(s)
    }
}

impl Inner {
    async fn connect(&self) -> Result<MultiplexedConnection, Failure> {
        let cfg = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(OP_TIMEOUT));
        match timeout(
            CONNECT_TIMEOUT * 2,
            self.client
                .get_multiplexed_async_connection_with_config(&cfg),
        )
        .await
        {
            Ok(Ok(c)) => Ok(c),
            Ok(Err(e)) if is_auth(&e) => Err(Failure::Auth(line(&e))),
            Ok(Err(e)) => Err(Failure::Other(format!("connect: {}", line(&e)))),
            Err(_) => Err(Failure::Other(format!(
                "connect: no answer within {:?}",
                CONNECT_TIMEOUT * 2
            ))),
        }
    }

    /// The stored version and layers, `None` when the stream has none in Redis.
    async fn read(
        &self,
        conn: &mut MultiplexedConnection,
    ) -> Result<Option<(u64, Vec<Value>)>, Failure> {
        let mut cmd = redis::cmd("HMGET");
        cmd.arg(&self.key).arg("version").arg("layers");
        let got = timed_async("redis_read", timeout(OP_TIMEOUT, cmd.query_async(conn))).await;
        let (version, layers): (Option<u64>, Option<String>) = match got {
            Ok(Ok(v)) => v,
            Ok(Err(e)) if is_auth(&e) => return Err(Failure::Auth(line(&e))),
            Ok(Err(e)) => return Err(Failure::Other(format!("read: {}", line(&e)))),
            Err(_) => return Err(Failure::Other("read: no answer".into())),
        };
        let Some(version) = version else {
            return Ok(None);
        };
        let layers = match layers.as_deref().map(serde_json::from_str::<Vec<Value>>) {
            Some(Ok(l)) => l,
            None => Vec::new(),
            Some(Err(e)) => {
                tracing::warn!(
                    "{}: `layers` is not a JSON array of layers ({e}); treated as no state",
                    self.key
                );
                return Ok(None);
            }
        };
        Ok(Some((version, layers)))
    }

    /// Writes `layers` as the version after `mine` (`Next`) or as `mine` (`Restore`), unless
    /// Redis holds another (`Next`) or a newer or equal (`Restore`) version.
    async fn write(
        &self,
        conn: &mut MultiplexedConnection,
        layers: &[Value],
        motions: &Map<String, Value>,
        mode: Mode,
        mine: u64,
    ) -> Result<Written, String> {
        let doc = serde_json::to_string(layers).expect("JSON values always serialise");
        let motions = serde_json::to_string(motions).expect("JSON values always serialise");
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(WRITE_SCRIPT)
            .arg(2)
            .arg(&self.key)
            .arg(&self.channel)
            .arg(doc)
            .arg(&self.origin)
            .arg(if mode == Mode::Next {
                "next"
            } else {
                "restore"
            })
            .arg(mine)
            .arg(now_ms())
            .arg(motions);
        let (written, version, stored): (u8, u64, String) =
            timed_async("redis_write", bounded("write", cmd.query_async(conn))).await?;
        if written == 1 {
            return Ok(Written::Yes(version));
        }
        let stored = serde_json::from_str(&stored).unwrap_or_else(|e| {
            tracing::warn!(
                "{}: `layers` is not a JSON array of layers ({e}); treated as empty",
                self.key
            );
            Vec::new()
        });
        Ok(Written::No(version, stored))
    }

    /// Forever: one session after another, with backoff between them.
    async fn run(self: Arc<Self>, reachable: bool) {
        // Whether the loss was logged (an unreachable start-up was logged by `open`).
        let mut lost = !reachable;
        let mut delay = RETRY_MIN;
        loop {
            let Err(e) = self.session(&mut lost, &mut delay).await;
            {
                let mut s = lock(&self.sync);
                s.connected = false;
            }
            self.written.notify_all();
            let e = match e {
                Failure::Auth(e) => format!("credentials refused: {e}"),
                Failure::Other(e) => e,
            };
            if lost {
                tracing::debug!("Redis still unreachable ({e}); retrying in {delay:?}");
            } else {
                tracing::warn!(
                    "lost Redis at {} ({e}); streaming on from memory, keeping changes until Redis returns",
                    self.shown
                );
                lost = true;
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(RETRY_MAX);
        }
    }

    /// Connects, subscribes, catches up, then writes saves and applies messages until a
    /// connection fails.
    async fn session(&self, lost: &mut bool, delay: &mut Duration) -> Result<Infallible, Failure> {
        let mut conn = self.connect().await?;
        let pubsub = match timeout(CONNECT_TIMEOUT * 2, self.client.get_async_pubsub()).await {
            Ok(Ok(p)) => p,
            Ok(Err(e)) if is_auth(&e) => return Err(Failure::Auth(line(&e))),
            Ok(Err(e)) => return Err(Failure::Other(format!("subscribe: {}", line(&e)))),
            Err(_) => return Err(Failure::Other("subscribe: no answer".into())),
        };
        let (mut sink, mut messages) = pubsub.split();
        bounded("subscribe", sink.subscribe(&self.channel)).await?;
        self.catch_up(&mut conn).await?;
        let version = {
            let mut s = lock(&self.sync);
            s.connected = true;
            s.version
        };
        if *lost {
            tracing::info!(version, "Redis at {} is back; state caught up", self.shown);
            *lost = false;
        }
        *delay = RETRY_MIN;
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ping.tick().await;
        loop {
            tokio::select! {
                _ = self.wake.notified() => self.flush(&mut conn).await?,
                m = messages.next() => match m {
                    Some(m) => self.on_message(&mut conn, m.get_payload_bytes()).await?,
                    None => return Err(Failure::Other("the subscriber connection closed".into())),
                },
                _ = ping.tick() => {
                    bounded("ping", sink.ping::<redis::Value>()).await?;
                    bounded("ping", redis::cmd("PING").query_async::<redis::Value>(&mut conn)).await?;
                }
            }
        }
    }

    /// After (re)connecting: writes pending changes, else takes a newer state from Redis, or
    /// puts ours back when Redis has none or an older one.
    async fn catch_up(&self, conn: &mut MultiplexedConnection) -> Result<(), Failure> {
        if lock(&self.sync).dirty() {
            return self.flush(conn).await;
        }
        let stored = self.read(conn).await?;
        let (version, known) = {
            let s = lock(&self.sync);
            (s.version, s.known.clone())
        };
        match stored {
            Some((v, layers)) if v > version => self.forward(Remote::read(v, layers)),
            Some((v, _)) if v == version => {}
            _ => match self
                .write(conn, &known, &Map::new(), Mode::Restore, version)
                .await?
            {
                Written::Yes(_) => {}
                Written::No(version, layers) => self.forward(Remote::read(version, layers)),
            },
        }
        Ok(())
    }

    /// Writes the saved operations until none are waiting: applied to the list of the version
    /// we know, or, when another writer came first, to the list Redis holds (again and again).
    /// When the result holds more than memory (others' changes), it is handed to the server to
    /// apply.
    async fn flush(&self, conn: &mut MultiplexedConnection) -> Result<(), Failure> {
        loop {
            let (ops, motions, save, mut version, mut base) = {
                let mut s = lock(&self.sync);
                if s.ops.is_empty() {
                    return Ok(());
                }
                s.writing = true;
                (
                    std::mem::take(&mut s.ops),
                    std::mem::take(&mut s.motions),
                    s.saves,
                    s.version,
                    s.known.clone(),
                )
            };
            let mut result = Err(format!(
                "write: still conflicting after {MAX_REBASES} rebases"
            ));
            for _ in 0..MAX_REBASES {
                let merged = apply_list_ops(&base, &ops);
                match self
                    .write(conn, &merged, &motions, Mode::Next, version)
                    .await
                {
                    Ok(Written::Yes(v)) => {
                        result = Ok((v, merged));
                        break;
                    }
                    Ok(Written::No(v, stored)) => {
                        tracing::debug!(version = v, "another write came first; rebasing");
                        (version, base) = (v, stored);
                    }
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            let mut s = lock(&self.sync);
            s.writing = false;
            match result {
                Ok((v, merged)) => {
                    s.version = v;
                    s.known = merged.clone();
                    s.written = s.written.max(save);
                    let behind = s.ops.is_empty() && merged != s.mem;
                    drop(s);
                    self.written.notify_all();
                    if behind {
                        self.forward(Remote::read(v, merged));
                    }
                }
                Err(e) => {
                    // Back in front of any newer operations, for the next session.
                    let newer = std::mem::take(&mut s.ops);
                    s.ops = ops;
                    s.ops.extend(newer);
                    let newer = std::mem::replace(&mut s.motions, motions);
                    s.motions.extend(newer);
                    return Err(Failure::Other(e));
                }
            }
        }
    }

    /// A message on the channel: applied when another writer made it and it is newer.
    async fn on_message(
        &self,
        conn: &mut MultiplexedConnection,
        payload: &[u8],
    ) -> Result<(), Failure> {
        let Ok(msg) = serde_json::from_slice::<Value>(payload) else {
            tracing::debug!("{}: a message that is not JSON; ignored", self.channel);
            return Ok(());
        };
        if msg["origin"].as_str() == Some(self.origin.as_str()) {
            return Ok(());
        }
        let Some(version) = msg["version"].as_u64() else {
            tracing::debug!("{}: a message without a version; ignored", self.channel);
            return Ok(());
        };
        {
            let s = lock(&self.sync);
            // Older than memory, or our pending change will replace it.
            if version <= s.version || s.dirty() {
                return Ok(());
            }
        }
        let remote = match serde_json::from_value::<Vec<Value>>(msg["layers"].clone()) {
            Ok(layers) => Remote {
                version,
                layers,
                // Absent from older servers' and outside tools' messages.
                motions: msg["motions"].as_object().cloned().unwrap_or_default(),
            },
            // A poke: read what is stored.
            Err(_) => match self.read(conn).await? {
                Some((version, layers)) => Remote::read(version, layers),
                None => return Ok(()),
            },
        };
        self.forward(remote);
        Ok(())
    }

    fn forward(&self, remote: Remote) {
        let _ = self.remote_tx.send(remote);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_differ() {
        assert_ne!(instance_id(), instance_id());
        assert_eq!(instance_id().len(), 16);
    }
}
