//! [`InputHub`]: the live inputs of a stream (or of a server, across its streams) by name.
//! It follows the scene's `inputs` ([`InputHub::sync`]): a new input gets a [`Feed`] (and, for
//! `srt` and `rtmp_pull`, a puller), a changed one starts again, a removed one stops. The RTMP
//! listener asks it for the feed of a stream key ([`InputHub::publish`]); the compositor and
//! the mixer read pictures and sound from it; the front ends read statuses and events.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use super::feed::{Feed, Tag};
use super::pull::Puller;
use super::status::{InputEvent, InputState, InputStatus, is_published};
use crate::limits::Limits;
use crate::scene::{InputKind, InputSpec};

/// One input of the hub.
struct Entry {
    feed: Arc<Feed>,
    /// The thread that pulls an `srt` or `rtmp_pull` input (dropped first).
    puller: Option<Puller>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        // Stop pulling before the feed goes, so nothing pushes into a stopped feed.
        self.puller.take();
    }
}

/// Counters of the RTMP listener.
#[derive(Debug, Default)]
pub(crate) struct ListenerCounters {
    /// Connections accepted.
    pub(crate) connections: AtomicU64,
    /// Connections open now.
    pub(crate) open: AtomicU64,
    /// Publishers refused (wrong key, key already live) and connections closed for
    /// misbehaving (garbage, silence, too many).
    pub(crate) refused: AtomicU64,
}

struct Inner {
    entries: Mutex<BTreeMap<String, Entry>>,
    epoch: Mutex<Instant>,
    listener: ListenerCounters,
}

/// The live inputs by name. Clones share them.
#[derive(Clone)]
pub struct InputHub {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for InputHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputHub").finish_non_exhaustive()
    }
}

impl Default for InputHub {
    fn default() -> InputHub {
        InputHub::new()
    }
}

/// Why a publisher was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No input has this key.
    UnknownKey,
    /// Another publisher is live on this key.
    Busy,
}

/// A publisher's claim on an input: tags go to its feed; dropping it frees the key.
pub(crate) struct Publisher {
    feed: Arc<Feed>,
}

impl Publisher {
    /// The input's name.
    pub(crate) fn input(&self) -> &str {
        &self.feed.name
    }

    /// Queues a tag; errs when the input was removed (the connection should close).
    pub(crate) fn push(&self, tag: Tag) -> Result<(), ()> {
        self.feed.push(tag)
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.feed.busy.store(false, Ordering::Release);
        if !self.feed.stopped() {
            self.feed
                .set_state(InputState::Waiting, Some("the publisher left".into()));
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl InputHub {
    /// A hub with no inputs.
    pub fn new() -> InputHub {
        InputHub {
            inner: Arc::new(Inner {
                entries: Mutex::new(BTreeMap::new()),
                epoch: Mutex::new(Instant::now()),
                listener: ListenerCounters::default(),
            }),
        }
    }

    /// Follows a scene's inputs: starts new ones, starts changed ones again, stops removed
    /// ones. Inputs that stay the same keep running (their publishers stay connected).
    pub fn sync(&self, inputs: &BTreeMap<String, InputSpec>, limits: &Limits) {
        let epoch = *lock(&self.inner.epoch);
        let mut entries = lock(&self.inner.entries);
        entries.retain(|name, e| inputs.get(name) == Some(&e.feed.spec));
        for (name, spec) in inputs {
            if entries.contains_key(name) {
                continue;
            }
            let feed = match Feed::start(name, spec.clone(), limits, epoch) {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!(input = %name, "input `{name}` could not start: {e}");
                    continue;
                }
            };
            let puller = if is_published(spec) {
                None
            } else {
                Some(Puller::start(Arc::clone(&feed)))
            };
            entries.insert(name.clone(), Entry { feed, puller });
        }
    }

    /// Sets the origin of stream time: scene time `t` of the stream is `epoch + t`. Every
    /// input's clock anchors again.
    pub fn set_epoch(&self, epoch: Instant) {
        *lock(&self.inner.epoch) = epoch;
        for e in lock(&self.inner.entries).values() {
            e.feed.set_epoch(epoch);
        }
    }

    /// The status of every input, by name.
    pub fn status(&self) -> Vec<InputStatus> {
        lock(&self.inner.entries)
            .values()
            .map(|e| e.feed.status())
            .collect()
    }

    /// The status of input `name`.
    pub fn input_status(&self, name: &str) -> Option<InputStatus> {
        lock(&self.inner.entries).get(name).map(|e| e.feed.status())
    }

    /// Changes of state since the last call, oldest first.
    pub fn take_events(&self) -> Vec<InputEvent> {
        lock(&self.inner.entries)
            .values()
            .flat_map(|e| e.feed.take_events())
            .collect()
    }

    /// Connections the RTMP listener accepted, has open, and refused or closed.
    pub fn listener_counts(&self) -> (u64, u64, u64) {
        let l = &self.inner.listener;
        (
            l.connections.load(Ordering::Relaxed),
            l.open.load(Ordering::Relaxed),
            l.refused.load(Ordering::Relaxed),
        )
    }

    pub(crate) fn listener(&self) -> &ListenerCounters {
        &self.inner.listener
    }

    /// The feed of input `name`.
    pub(crate) fn feed(&self, name: &str) -> Option<Arc<Feed>> {
        lock(&self.inner.entries)
            .get(name)
            .map(|e| Arc::clone(&e.feed))
    }

    /// Claims the `rtmp` input whose key is `key` for a publisher at `peer`.
    pub(crate) fn publish(&self, key: &str, peer: &str) -> Result<Publisher, Refusal> {
        let entries = lock(&self.inner.entries);
        let feed = entries
            .values()
            .map(|e| &e.feed)
            .find(|f| matches!(&f.spec.kind, InputKind::Rtmp { key: k } if k == key))
            .ok_or(Refusal::UnknownKey)?;
        if feed.busy.swap(true, Ordering::AcqRel) {
            return Err(Refusal::Busy);
        }
        feed.restart(Some(peer.to_string()));
        Ok(Publisher {
            feed: Arc::clone(feed),
        })
    }
}
