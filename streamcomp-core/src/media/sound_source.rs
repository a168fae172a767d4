//! A video layer's sound: one decode thread per layer walking the same program as its
//! pictures (items in order, lap after lap), producing 48 kHz stereo on *program samples*
//! (sample `k` is program time `k / 48000`), each item cut or padded with silence to its
//! span so the sound of every lap lines up with its pictures. The mixer reads ranges of
//! program samples; a range the queue cannot serve starts a new generation there.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::source::ItemFile;
use super::time::{NANOS_PER_SECOND, Nanos};
use super::timeline::Timeline;
use super::{AudioReader, MediaError, open_audio};
use crate::encode::AUDIO_RATE;
use crate::limits::Limits;

/// Samples queued ahead (per channel): a second.
const AHEAD: usize = AUDIO_RATE as usize;
/// A request this close to what is queued counts as contiguous (rounding of scene time).
const SLACK: i64 = 2;
/// How long a render waits for sound before giving up on the layer's sound.
const EXACT_WAIT: Duration = Duration::from_secs(30);

/// Program time as a program sample, rounded.
pub(crate) fn sample_of(p: Nanos) -> i64 {
    let n = p as i128 * AUDIO_RATE as i128;
    let d = NANOS_PER_SECOND as i128;
    (if n >= 0 {
        (n + d / 2) / d
    } else {
        -((-n + d / 2) / d)
    }) as i64
}

struct Chunk {
    start: i64,
    left: Vec<f32>,
    right: Vec<f32>,
}

impl Chunk {
    fn end(&self) -> i64 {
        self.start + self.left.len() as i64
    }
}

#[derive(Default)]
struct State {
    chunks: VecDeque<Chunk>,
    queued: usize,
    generation: u64,
    from: i64,
    done: bool,
    error: Option<String>,
    stop: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A video layer's sound decode thread and its queue.
pub(crate) struct SoundSource {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The failure, once reported.
    pub(crate) failed: Option<String>,
}

impl SoundSource {
    /// Starts decoding the sound of the program from program sample `from`. `None` when no
    /// item has sound.
    pub(crate) fn start(
        items: Vec<ItemFile>,
        timeline: Timeline,
        limits: &Limits,
        from: i64,
        label: &str,
    ) -> Result<Option<SoundSource>, MediaError> {
        if items.iter().all(|i| i.info.audio.is_none()) {
            return Ok(None);
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                from,
                ..State::default()
            }),
            changed: Condvar::new(),
        });
        let worker = Worker {
            shared: Arc::clone(&shared),
            items,
            timeline,
            limits: limits.clone(),
        };
        let thread = std::thread::Builder::new()
            .name(format!("sound-{label}"))
            .spawn(move || worker.run())
            .map_err(|e| MediaError::io(label, e))?;
        Ok(Some(SoundSource {
            shared,
            thread: Some(thread),
            failed: None,
        }))
    }

    /// Adds program samples `from .. from + left.len()` × `gain` into `left`/`right`, waiting
    /// for the decoder as `wait` allows (`None`: until they are there); what is not there in
    /// time stays silent. An error is the thread's failure.
    pub(crate) fn add(
        &mut self,
        from: i64,
        gain: f32,
        left: &mut [f32],
        right: &mut [f32],
        wait: Option<Duration>,
    ) -> Result<(), String> {
        let n = left.len().min(right.len());
        let deadline = Instant::now() + wait.unwrap_or(EXACT_WAIT);
        let shared = Arc::clone(&self.shared);
        let mut st = shared.lock();
        let mut at = from;
        let end = from + n as i64;
        // A request the queue cannot serve: a new generation.
        let front = st.chunks.front().map(|c| c.start);
        let head = st.chunks.back().map(Chunk::end);
        let serves = match (front, head) {
            (Some(f), Some(h)) => at + SLACK >= f && at <= h + AHEAD as i64,
            _ => !st.done && (at - st.from).abs() <= SLACK,
        };
        if !(serves || st.done && st.chunks.is_empty() && at >= st.from) {
            st.generation += 1;
            st.from = at;
            st.chunks.clear();
            st.queued = 0;
            st.done = false;
            shared.changed.notify_all();
        } else if let Some(f) = front
            && at < f
        {
            // Within the slack before the queue: read from its start.
            at = f;
        }
        while at < end {
            if let Some(e) = &st.error {
                return Err(e.clone());
            }
            // Drop what is wholly before `at`.
            while st.chunks.front().is_some_and(|c| c.end() <= at) {
                let c = st.chunks.pop_front().expect("checked");
                st.queued -= c.left.len();
                shared.changed.notify_all();
            }
            if let Some(c) = st.chunks.front()
                && c.start <= at + SLACK
            {
                let off = (at - c.start).max(0) as usize;
                let take = (c.left.len() - off).min((end - at) as usize);
                let o = (at - from) as usize;
                for (d, s) in left[o..o + take].iter_mut().zip(&c.left[off..off + take]) {
                    *d += s * gain;
                }
                for (d, s) in right[o..o + take].iter_mut().zip(&c.right[off..off + take]) {
                    *d += s * gain;
                }
                at += take as i64;
                continue;
            }
            if st.done {
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            st = shared
                .changed
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        Ok(())
    }
}

impl Drop for SoundSource {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Worker {
    shared: Arc<Shared>,
    items: Vec<ItemFile>,
    timeline: Timeline,
    limits: Limits,
}

enum Halt {
    Interrupted,
    Failed(MediaError),
}

impl From<MediaError> for Halt {
    fn from(e: MediaError) -> Halt {
        Halt::Failed(e)
    }
}

impl Worker {
    fn run(mut self) {
        let shared = Arc::clone(&self.shared);
        loop {
            let (generation, from) = {
                let st = shared.lock();
                if st.stop {
                    return;
                }
                (st.generation, st.from)
            };
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.generation(generation, from)
            }));
            let mut st = shared.lock();
            match result {
                Ok(Ok(())) => {
                    if st.generation == generation {
                        st.done = true;
                    }
                }
                Ok(Err(Halt::Interrupted)) => {}
                Ok(Err(Halt::Failed(e))) => st.error = Some(e.to_string()),
                Err(_) => {
                    st.error = Some("the sound decoder failed (panicked) on this file".into())
                }
            }
            shared.changed.notify_all();
            while !st.stop && st.generation == generation {
                st = shared.changed.wait(st).unwrap_or_else(|e| e.into_inner());
            }
            if st.stop || st.error.is_some() {
                return;
            }
        }
    }

    fn open(&self, item: usize) -> Result<Option<Box<dyn AudioReader>>, MediaError> {
        let f = &self.items[item];
        open_audio(&f.path, &f.name, &f.info, &self.limits)
    }

    /// Decodes the program's sound from program sample `from` until its end, a seek or a stop.
    fn generation(&mut self, generation: u64, from: i64) -> Result<(), Halt> {
        let from_ns = (from as i128 * NANOS_PER_SECOND as i128 / AUDIO_RATE as i128) as Nanos;
        let (mut lap, mut item, _) = self.timeline.locate(from_ns);
        let total = self.timeline.total().map(sample_of);
        if sample_of(self.timeline.lap_len()) == 0 {
            // A program shorter than a sample has no sound.
            return Ok(());
        }
        let mut at = from;
        loop {
            let span = self.timeline.spans()[item];
            let item_start = sample_of(self.timeline.program_of(lap, item, span.start));
            let item_end = item_start + sample_of(span.len);
            let item_end = total.map_or(item_end, |t| item_end.min(t));
            if at < item_end {
                // Media sample of program sample `at` in this item's file.
                let media0 = sample_of(span.start) + (at - item_start);
                if let Some(mut r) = self.open(item)? {
                    r.seek(media0)?;
                    while at < item_end {
                        let Some(c) = r.next_chunk()? else { break };
                        // Program position of the chunk; cut to [at, item_end).
                        let p0 = item_start + (c.start - sample_of(span.start));
                        if p0 > at {
                            // A gap in the file's sound: silence up to it.
                            let gap = ((p0 - at) as usize).min((item_end - at) as usize);
                            self.push(generation, at, vec![0.0; gap], vec![0.0; gap])?;
                            at += gap as i64;
                            if at >= item_end {
                                break;
                            }
                        }
                        let skip = (at - p0).max(0) as usize;
                        if skip >= c.left.len() {
                            continue;
                        }
                        let len = (c.left.len() - skip).min((item_end - at) as usize);
                        self.push(
                            generation,
                            at,
                            c.left[skip..skip + len].to_vec(),
                            c.right[skip..skip + len].to_vec(),
                        )?;
                        at += len as i64;
                    }
                }
                // Shorter sound than pictures: silence to the item's end.
                while at < item_end {
                    let len = ((item_end - at) as usize).min(4800);
                    self.push(generation, at, vec![0.0; len], vec![0.0; len])?;
                    at += len as i64;
                }
            }
            if total.is_some_and(|t| at >= t) {
                return Ok(());
            }
            item += 1;
            if item == self.items.len() {
                item = 0;
                lap += 1;
            }
        }
    }

    fn push(
        &self,
        generation: u64,
        start: i64,
        left: Vec<f32>,
        right: Vec<f32>,
    ) -> Result<(), Halt> {
        let mut st = self.shared.lock();
        loop {
            if st.stop || st.generation != generation {
                return Err(Halt::Interrupted);
            }
            if st.queued < AHEAD {
                st.queued += left.len();
                st.chunks.push_back(Chunk { start, left, right });
                self.shared.changed.notify_all();
                return Ok(());
            }
            st = self
                .shared
                .changed
                .wait(st)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}
