//! [`NetQueue`]: the front every network output (RTMP, SRT, UDP) shares. `write` never blocks:
//! it puts the packet in a bounded queue (packets and bytes) and, when that is full, drops
//! packets until the next video key frame. One sender thread per output owns the connection
//! and takes packets from the queue; [`RtmpStats`] and [`RtmpEvent`]s (the names come from the
//! first network output; they serve every kind) say what it is doing.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{
    self, Receiver, RecvTimeoutError, Sender as DoneSender, SyncSender, TrySendError,
};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::rtmp::{RtmpEvent, RtmpOptions, RtmpState, RtmpStats};
use super::{Output, OutputError};
use crate::encode::{Packet, Track};

/// A cheap, shareable handle to a network output's [`RtmpStats`] (e.g. for a status endpoint).
#[derive(Clone, Debug)]
pub struct RtmpStatsHandle(Arc<Shared>);

impl RtmpStatsHandle {
    /// The current stats.
    pub fn get(&self) -> RtmpStats {
        self.0.stats().clone()
    }
}

/// State shared by the output and its sender thread.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    stats: Mutex<RtmpStats>,
    queued_bytes: AtomicUsize,
    stop: AtomicBool,
    finish_by: Mutex<Option<Instant>>,
    events: Mutex<Vec<SyncSender<RtmpEvent>>>,
}

impl Shared {
    pub(crate) fn stats(&self) -> MutexGuard<'_, RtmpStats> {
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn emit(&self, e: RtmpEvent) {
        let mut subs = self.events.lock().unwrap_or_else(|e| e.into_inner());
        subs.retain(|s| !matches!(s.try_send(e.clone()), Err(TrySendError::Disconnected(_))));
    }

    pub(crate) fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub(crate) fn finish_by(&self) -> Option<Instant> {
        *self.finish_by.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn dequeued(&self, p: &Packet) {
        self.queued_bytes.fetch_sub(p.data.len(), Ordering::Relaxed);
        let mut s = self.stats();
        s.queued_packets = s.queued_packets.saturating_sub(1);
    }

    /// Waits `delay` between connection attempts, taking queued packets off (they would be
    /// stale; `seen` looks at each). `Ok(true)` when the wait ended, `Ok(false)` when the
    /// output was dropped meanwhile, `Err(())` when the queue closed (the output finished).
    pub(crate) fn wait_discarding(
        &self,
        rx: &Receiver<Packet>,
        delay: Duration,
        mut seen: impl FnMut(&Packet),
    ) -> Result<bool, ()> {
        let until = Instant::now() + delay;
        loop {
            if self.stopping() {
                return Ok(false);
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(true);
            }
            match rx.recv_timeout(left.min(TICK)) {
                Ok(p) => {
                    self.dequeued(&p);
                    seen(&p);
                    self.stats().skipped_packets += 1;
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Err(()),
            }
        }
    }

    /// A connection attempt or a connection failed: the error is the last one, and an event.
    pub(crate) fn failed(&self, e: &OutputError) {
        let msg = e.to_string();
        self.stats().last_error = Some(msg.clone());
        self.emit(RtmpEvent::Error(msg));
    }

    /// A connection is live: the state, the reconnect count (`again`: not the first time) and
    /// the event.
    pub(crate) fn went_live(&self, again: bool) {
        {
            let mut s = self.stats();
            s.state = RtmpState::Live;
            if again {
                s.reconnects += 1;
            }
        }
        self.emit(if again {
            RtmpEvent::Reconnected
        } else {
            RtmpEvent::Started
        });
    }

    /// The next wait before connecting again: the state and the event say so.
    pub(crate) fn reconnect_delay(&self, backoff: &mut super::rtmp::Backoff) -> Duration {
        let delay = backoff.next_delay();
        self.stats().state = RtmpState::Reconnecting;
        self.emit(RtmpEvent::Reconnecting {
            attempt: backoff.attempts(),
            delay,
        });
        delay
    }

    /// The sender's end: what is still queued is not going anywhere; the output is stopped.
    pub(crate) fn stopped(&self, rx: &Receiver<Packet>, done: &DoneSender<()>) {
        while let Ok(p) = rx.try_recv() {
            self.dequeued(&p);
            self.stats().skipped_packets += 1;
        }
        self.stats().state = RtmpState::Stopped;
        self.emit(RtmpEvent::Stopped);
        let _ = done.send(());
    }
}

/// Longest wait on the queue before a sender looks at its flags again.
pub(crate) const TICK: Duration = Duration::from_millis(100);

/// The queue in front of a sender thread.
pub(crate) struct NetQueue {
    /// The destination, secrets hidden (for errors).
    label: String,
    tx: Option<SyncSender<Packet>>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    done: Receiver<()>,
    dropping: bool,
    queue_bytes: usize,
    finish_timeout: Duration,
    write_timeout: Duration,
}

impl NetQueue {
    /// Starts the sender thread `name` running `run(queue, shared, done)`; `run` sends `done`
    /// when it has finished what was queued.
    pub(crate) fn start(
        label: String,
        name: &str,
        opts: &RtmpOptions,
        run: impl FnOnce(Receiver<Packet>, Arc<Shared>, DoneSender<()>) + Send + 'static,
    ) -> Result<NetQueue, OutputError> {
        opts.validate()?;
        let shared = Arc::new(Shared::default());
        if let Some(ev) = &opts.events {
            shared
                .events
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(ev.clone());
        }
        let (tx, rx) = mpsc::sync_channel(opts.queue_packets);
        let (done_tx, done) = mpsc::channel();
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(name.into())
            .stack_size(8 << 20)
            .spawn(move || run(rx, s, done_tx))
            .map_err(|e| {
                OutputError::Unsupported(format!("cannot start the {name} thread: {e}"))
            })?;
        Ok(NetQueue {
            label,
            tx: Some(tx),
            shared,
            thread: Some(thread),
            done,
            dropping: false,
            queue_bytes: opts.queue_bytes,
            finish_timeout: opts.finish_timeout,
            write_timeout: opts.write_timeout,
        })
    }

    /// The current stats.
    pub(crate) fn stats(&self) -> RtmpStats {
        self.shared.stats().clone()
    }

    /// A handle to the stats that outlives borrows of the output.
    pub(crate) fn stats_handle(&self) -> RtmpStatsHandle {
        RtmpStatsHandle(self.shared.clone())
    }

    /// A new receiver of events from now on (bounded: events are dropped if it is not read).
    pub(crate) fn subscribe(&self) -> Receiver<RtmpEvent> {
        let (tx, rx) = mpsc::sync_channel(64);
        self.shared
            .events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tx);
        rx
    }

    fn drop_packet(&mut self) {
        self.dropping = true;
        self.shared.stats().dropped_packets += 1;
    }

    /// Queues the packet without blocking; drops it (and everything up to the next video key
    /// frame) when the queue is full.
    pub(crate) fn queue(&mut self, p: &Packet) -> Result<(), OutputError> {
        let Some(tx) = &self.tx else {
            return Err(OutputError::Unsupported(format!(
                "{}: the output is already finished",
                self.label
            )));
        };
        let key_video = p.track == Track::Video && p.key;
        if self.dropping && !key_video {
            self.drop_packet();
            return Ok(());
        }
        let size = p.data.len();
        let before = self.shared.queued_bytes.fetch_add(size, Ordering::Relaxed);
        if before + size > self.queue_bytes {
            self.shared.queued_bytes.fetch_sub(size, Ordering::Relaxed);
            self.drop_packet();
            return Ok(());
        }
        self.shared.stats().queued_packets += 1;
        let undo = |shared: &Shared| {
            shared.queued_bytes.fetch_sub(size, Ordering::Relaxed);
            let mut s = shared.stats();
            s.queued_packets = s.queued_packets.saturating_sub(1);
        };
        match tx.try_send(p.clone()) {
            Ok(()) => {
                self.dropping = false;
                Ok(())
            }
            Err(TrySendError::Full(_)) => {
                undo(&self.shared);
                self.drop_packet();
                Ok(())
            }
            Err(TrySendError::Disconnected(_)) => {
                undo(&self.shared);
                Err(OutputError::Protocol {
                    url: self.label.clone(),
                    reason: "the sender thread stopped".into(),
                })
            }
        }
    }

    /// Lets the sender send what is queued (for at most the finish timeout) and waits for it.
    pub(crate) fn finish_queue(&mut self) -> Result<(), OutputError> {
        if let Some(tx) = self.tx.take() {
            *self
                .shared
                .finish_by
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + self.finish_timeout);
            drop(tx);
        }
        let grace = self.finish_timeout + self.write_timeout + Duration::from_secs(1);
        if self.done.recv_timeout(grace).is_ok() {
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        } else {
            self.shared.stop.store(true, Ordering::Relaxed);
        }
        let stats = self.stats();
        match stats.last_error {
            Some(e) if stats.packets_sent == 0 => Err(OutputError::Protocol {
                url: self.label.clone(),
                reason: format!("nothing was sent; last error: {e}"),
            }),
            _ => Ok(()),
        }
    }
}

impl Output for NetQueue {
    fn write(&mut self, p: &Packet) -> Result<(), OutputError> {
        self.queue(p)
    }

    fn finish(&mut self) -> Result<(), OutputError> {
        self.finish_queue()
    }

    fn bytes(&self) -> u64 {
        self.shared.stats().bytes_sent
    }
}

impl Drop for NetQueue {
    fn drop(&mut self) {
        if self.thread.is_some() {
            // Not finished: stop the sender without waiting for it.
            self.shared.stop.store(true, Ordering::Relaxed);
            self.tx = None;
        }
    }
}
