//! Group commit: many changes acknowledged by one durable write. Each change takes a sequence
//! number and a snapshot of the state with it; the first caller to find no write under way
//! writes the newest snapshot (which holds every change numbered up to it), and every caller
//! whose change it holds returns once it is durable. Under load one fsync serves many requests;
//! alone, a change costs one write as before. Nothing is acknowledged before it is durable.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::{Saved, Store, StoreError, timed};

/// The outcome of one write, for the changes `(after, upto]` it covered.
struct Outcome {
    after: u64,
    upto: u64,
    error: Option<String>,
}

#[derive(Default)]
struct Queue {
    /// Sequence numbers given out so far.
    issued: u64,
    /// The newest snapshot not written yet.
    pending: Option<(u64, Saved)>,
    /// Every change up to this one has been written (or failed).
    done: u64,
    /// A write is under way.
    writing: bool,
    /// The last few writes' outcomes (a waiter that wakes late still finds its own).
    outcomes: VecDeque<Outcome>,
}

/// Writes [`Saved`] states to a [`Store`] with group commit.
pub(crate) struct GroupCommit {
    store: Arc<dyn Store>,
    queue: Mutex<Queue>,
    written: Condvar,
}

fn lock(m: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl GroupCommit {
    /// Group commit over `store`.
    pub(crate) fn new(store: Arc<dyn Store>) -> GroupCommit {
        GroupCommit {
            store,
            queue: Mutex::new(Queue::default()),
            written: Condvar::new(),
        }
    }

    /// Queues `state` as the newest state. Call it under the lock that orders changes, so
    /// that sequence numbers follow the order of the snapshots; then [`GroupCommit::wait`]
    /// (after releasing that lock, so others can queue behind).
    pub(crate) fn submit(&self, state: Saved) -> u64 {
        let mut q = lock(&self.queue);
        q.issued += 1;
        let seq = q.issued;
        // The snapshot it replaces is not written on its own: its motions and changes go with
        // this one.
        let mut state = state;
        if let Some((_, older)) = q.pending.take() {
            state.absorb(older);
        }
        q.pending = Some((seq, state));
        seq
    }

    /// The newest sequence number given out (waiting for it flushes everything queued).
    pub(crate) fn issued(&self) -> u64 {
        lock(&self.queue).issued
    }

    /// Returns once the change numbered `seq` is durable, or with the error of the write that
    /// should have made it so.
    pub(crate) fn wait(&self, seq: u64) -> Result<(), String> {
        let mut q = lock(&self.queue);
        loop {
            if q.done >= seq {
                return q
                    .outcomes
                    .iter()
                    .find(|o| o.after < seq && seq <= o.upto)
                    .and_then(|o| o.error.clone())
                    .map_or(Ok(()), Err);
            }
            if !q.writing
                && let Some((upto, state)) = q.pending.take()
            {
                q.writing = true;
                drop(q);
                let result: Result<(), StoreError> = timed("save", || self.store.save(&state));
                q = lock(&self.queue);
                q.writing = false;
                let after = q.done;
                q.done = upto;
                q.outcomes.push_back(Outcome {
                    after,
                    upto,
                    error: result.err().map(|e| e.to_string()),
                });
                while q.outcomes.len() > 256 {
                    q.outcomes.pop_front();
                }
                self.written.notify_all();
                continue;
            }
            q = self.written.wait(q).unwrap_or_else(|e| e.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// A store whose writes are slow, counting them and keeping the last.
    struct Slow {
        writes: AtomicUsize,
        last: Mutex<Option<Saved>>,
    }

    impl Store for Slow {
        fn load(&self) -> Result<Option<Saved>, StoreError> {
            Ok(self.last.lock().unwrap().clone())
        }
        fn save(&self, state: &Saved) -> Result<(), StoreError> {
            std::thread::sleep(Duration::from_millis(20));
            self.writes.fetch_add(1, Ordering::SeqCst);
            *self.last.lock().unwrap() = Some(state.clone());
            Ok(())
        }
        fn describe(&self) -> String {
            "slow".into()
        }
    }

    #[test]
    fn concurrent_changes_share_writes_and_the_last_state_wins() {
        let store = Arc::new(Slow {
            writes: AtomicUsize::new(0),
            last: Mutex::new(None),
        });
        let g = Arc::new(GroupCommit::new(store.clone()));
        let order = Arc::new(Mutex::new(()));
        let threads: Vec<_> = (0..40)
            .map(|i| {
                let g = Arc::clone(&g);
                let order = Arc::clone(&order);
                std::thread::spawn(move || {
                    let seq = {
                        let _o = order.lock().unwrap();
                        g.submit(Saved {
                            layers: vec![serde_json::json!({ "n": i })],
                            ..Saved::default()
                        })
                    };
                    g.wait(seq).unwrap();
                    (seq, i)
                })
            })
            .collect();
        let seqs: Vec<(u64, i32)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let newest = seqs
            .iter()
            .find(|(s, _)| *s == 40)
            .expect("40 changes numbered")
            .1;
        let writes = store.writes.load(Ordering::SeqCst);
        assert!(writes < 40, "{writes} writes for 40 changes: no grouping");
        // The state written last is the one submitted last.
        let last = store.last.lock().unwrap().clone().unwrap();
        let g = lock(&g.queue);
        assert_eq!(g.done, 40);
        assert!(g.pending.is_none());
        drop(g);
        assert_eq!(last.layers, vec![serde_json::json!({ "n": newest })]);
    }
}
