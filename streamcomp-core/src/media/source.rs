//! A video layer's source: one decode thread per layer walking the program (items in order,
//! lap after lap), decoding ahead into a small bounded queue of pictures already scaled for
//! the layer's box, and [`VideoSource::frame_at`], the sample-and-hold the compositor asks.
//!
//! The thread opens the next item's reader while the current one plays, so a loop or a
//! playlist switch costs no seek at the seam: the first picture of the next item follows the
//! last of the previous one at exactly the program time its item starts. A seek (a jump of
//! the requested program time the queue cannot serve) starts a new *generation*: the queue
//! is emptied and the thread decodes from the key frame before the target, keeping only the
//! picture on screen there. Panics and errors stay in the thread: the layer gets the error
//! and keeps its last good picture.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::timeline::Timeline;
use super::{DecoderChoice, FrameReader, MediaError, MediaInfo, Nanos, open_video};
use crate::frame::{YuvFrame, scale::Scaler};
use crate::limits::Limits;
use crate::render::{Raster, VideoTarget, video_raster};

/// Pictures within this much of the requested time count as on screen: containers that keep
/// time in milliseconds (FLV, most Matroska) round each picture's time by up to half of one.
const TOLERANCE: Nanos = 1_000_000;
/// A requested time this far past what the thread has decoded is reached by seeking, not by
/// decoding through.
const SEEK_AHEAD: Nanos = 1_000_000_000;
/// How long `render` waits for a picture before the layer is called stalled.
const EXACT_WAIT: Duration = Duration::from_secs(30);

/// One file of the program.
#[derive(Clone, Debug)]
pub(crate) struct ItemFile {
    /// Where it is.
    pub(crate) path: PathBuf,
    /// Its name in messages (as the layer writes it).
    pub(crate) name: String,
    /// What it holds.
    pub(crate) info: MediaInfo,
}

/// A decoded picture on the program, with its raster for one target.
#[derive(Debug)]
pub(crate) struct VideoFrame {
    /// Program time it shows from.
    pub(crate) program: Nanos,
    /// The seek generation it belongs to.
    pub(crate) generation: u64,
    /// The first picture of its generation: the one on screen at the generation's start
    /// (or the file's first, when that starts later).
    pub(crate) first: bool,
    /// The picture.
    pub(crate) picture: YuvFrame,
    /// Its colour matrix and range.
    pub(crate) color: crate::frame::scale::YuvColor,
    /// The picture drawn for a target, when the thread knew the target.
    pub(crate) raster: Mutex<Option<(VideoTarget, Arc<Raster>)>>,
}

#[derive(Default)]
struct State {
    frames: VecDeque<Arc<VideoFrame>>,
    /// Bumped by every seek; the thread's pictures of older generations are dropped.
    generation: u64,
    /// Program time the current generation starts at (the thread keeps the picture on
    /// screen there and drops those before it).
    from: Nanos,
    /// The thread has decoded everything of this generation.
    done: bool,
    /// Program time of the newest picture the thread produced in this generation.
    head: Option<Nanos>,
    /// Why the thread stopped.
    error: Option<String>,
    stop: bool,
    target: Option<VideoTarget>,
    /// How many pictures the queue may hold.
    capacity: usize,
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

/// How long [`VideoSource::frame_at`] may wait for the decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    /// Until the picture is there (`render`: deterministic).
    Exact,
    /// At most this long, then the previous picture again (`stream`).
    AtMost(Duration),
}

/// What [`VideoSource::frame_at`] found.
#[derive(Debug)]
pub(crate) struct Sampled {
    /// The picture on screen (`None`: nothing decoded yet).
    pub(crate) frame: Option<Arc<VideoFrame>>,
    /// The decoder was late and an older picture is shown.
    pub(crate) late: bool,
}

/// A video layer's decode thread and its queue.
pub(crate) struct VideoSource {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The picture shown last (held when the decoder is late, failed or done).
    shown: Option<Arc<VideoFrame>>,
}

impl std::fmt::Debug for VideoSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoSource").finish_non_exhaustive()
    }
}

impl VideoSource {
    /// Starts the decode thread of a program of `items` (at least one) laid out by
    /// `timeline`, decoding from program time `from`.
    pub(crate) fn start(
        items: Vec<ItemFile>,
        timeline: Timeline,
        decoder: DecoderChoice,
        limits: &Limits,
        from: Nanos,
        label: &str,
    ) -> Result<VideoSource, MediaError> {
        let (w, h) = items
            .iter()
            .map(|i| (i.info.width as u64, i.info.height as u64))
            .max_by_key(|(w, h)| w * h)
            .unwrap_or((1, 1));
        // An I420 picture and an RGBA raster of about the same size per queued picture.
        let per = (w * h * 3 / 2 + w * h * 4).max(1);
        let capacity = (limits.max_video_source_bytes / per).clamp(2, 6) as usize;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                capacity,
                from,
                ..State::default()
            }),
            changed: Condvar::new(),
        });
        let worker = Worker {
            shared: Arc::clone(&shared),
            items,
            timeline,
            decoder,
            limits: limits.clone(),
            scaler: Scaler::new(),
            pushed_any: false,
        };
        let thread = std::thread::Builder::new()
            .name(format!("video-{label}"))
            .spawn(move || worker.run())
            .map_err(|e| MediaError::io(label, e))?;
        Ok(VideoSource {
            shared,
            thread: Some(thread),
            shown: None,
        })
    }

    /// Tells the thread the box pictures are drawn for from now on.
    pub(crate) fn set_target(&self, target: VideoTarget) {
        let mut st = self.shared.lock();
        if st.target != Some(target) {
            st.target = Some(target);
        }
    }

    /// The picture on screen at program time `p` (sample and hold), waiting for the decoder
    /// as `wait` allows. An error is the thread's failure (the last picture stays available
    /// through [`VideoSource::last`]).
    pub(crate) fn frame_at(&mut self, p: Nanos, wait: Wait) -> Result<Sampled, String> {
        let deadline = match wait {
            Wait::Exact => Instant::now() + EXACT_WAIT,
            Wait::AtMost(d) => Instant::now() + d,
        };
        let shared = Arc::clone(&self.shared);
        let mut st = shared.lock();
        loop {
            if let Some(e) = &st.error {
                return Err(e.clone());
            }
            // Behind what is queued (a seek back, a loop restarted by a seek) or far ahead
            // of what was decoded: a new generation from `p`.
            // A generation's first picture stands for its start even when the file's first
            // picture comes later.
            let from_ok = st.from <= p + TOLERANCE;
            let on_screen = |f: &VideoFrame| f.program <= p + TOLERANCE || (f.first && from_ok);
            let behind = st.frames.front().is_some_and(|f| !on_screen(f))
                || (st.frames.is_empty() && st.from > p + TOLERANCE)
                || (st.frames.is_empty()
                    && st.done
                    && self
                        .shown
                        .as_ref()
                        .is_some_and(|s| s.program > p + TOLERANCE));
            let newest = st.frames.back().map(|f| f.program).or(st.head);
            let ahead = !st.done && newest.is_some_and(|h| h + SEEK_AHEAD < p);
            if behind || ahead {
                st.generation += 1;
                st.from = p;
                st.frames.clear();
                st.done = false;
                st.head = None;
                shared.changed.notify_all();
            }
            while st.frames.len() >= 2 && st.frames[1].program <= p + TOLERANCE {
                st.frames.pop_front();
                shared.changed.notify_all();
            }
            let front_ok = st.frames.front().is_some_and(|f| on_screen(f));
            let known = st.frames.len() >= 2 || st.done;
            if front_ok && known {
                self.shown = st.frames.front().cloned();
                return Ok(Sampled {
                    frame: self.shown.clone(),
                    late: false,
                });
            }
            if st.frames.is_empty() && st.done {
                // Past the last picture: hold it.
                return Ok(Sampled {
                    frame: self.shown.clone(),
                    late: false,
                });
            }
            let now = Instant::now();
            if now >= deadline {
                if front_ok {
                    self.shown = st.frames.front().cloned();
                }
                return match wait {
                    Wait::Exact => Err(format!(
                        "the decoder gave no picture for {} s",
                        EXACT_WAIT.as_secs()
                    )),
                    Wait::AtMost(_) => Ok(Sampled {
                        frame: self.shown.clone(),
                        late: !front_ok,
                    }),
                };
            }
            st = shared
                .changed
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// The picture shown last.
    pub(crate) fn last(&self) -> Option<Arc<VideoFrame>> {
        self.shown.clone()
    }
}

impl Drop for VideoSource {
    fn drop(&mut self) {
        {
            let mut st = self.shared.lock();
            st.stop = true;
        }
        self.shared.changed.notify_all();
        if let Some(t) = self.thread.take() {
            // The thread notices `stop` between pictures; a reader blocked in a read ends
            // when its process or file is dropped with the thread.
            let _ = t.join();
        }
    }
}

/// The decode thread.
struct Worker {
    shared: Arc<Shared>,
    items: Vec<ItemFile>,
    timeline: Timeline,
    decoder: DecoderChoice,
    limits: Limits,
    scaler: Scaler,
    /// A picture of the current generation was queued.
    pushed_any: bool,
}

/// Why decoding of a generation stopped.
enum Halt {
    /// A seek or stop was asked for.
    Interrupted,
    /// A reader failed.
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
                Ok(Err(Halt::Failed(e))) => {
                    st.error = Some(e.to_string());
                }
                Err(_) => {
                    st.error = Some("the decoder failed (panicked) on this file".into());
                }
            }
            shared.changed.notify_all();
            // Wait for a new generation or the end.
            while !st.stop && st.generation == generation {
                st = shared.changed.wait(st).unwrap_or_else(|e| e.into_inner());
            }
            if st.stop {
                return;
            }
            if st.error.is_some() {
                // A failed layer stays failed until it is made again.
                return;
            }
        }
    }

    fn open(&self, item: usize) -> Result<Box<dyn FrameReader>, MediaError> {
        let f = &self.items[item];
        open_video(&f.path, &f.name, self.decoder, &self.limits)
    }

    /// Decodes the program from `from` on, lap after lap, until its end, a seek or a stop.
    fn generation(&mut self, generation: u64, from: Nanos) -> Result<(), Halt> {
        self.pushed_any = false;
        let total = self.timeline.total();
        let (mut lap, mut item, media) = self.timeline.locate(from);
        let mut reader = self.open(item)?;
        reader.seek(media)?;
        // The picture on screen at `from` is the last one at or before it: hold candidates
        // until a later one arrives.
        let mut held: Option<(Nanos, (YuvFrame, crate::frame::scale::YuvColor))> = None;
        let mut next_reader: Option<Box<dyn FrameReader>> = None;
        // Items in a row that gave no picture: a whole lap of them is an error, not a spin.
        let mut empty_items = 0;
        let mut pictures_in_item = 0u64;
        loop {
            let span = self.timeline.spans()[item];
            let end = span.start.saturating_add(span.len);
            let color = self.items[item].info.color;
            let frame = reader.next_frame()?;
            let in_item = frame.filter(|f| f.pts < end);
            let Some(f) = in_item else {
                // The item's real end: on to the next one, lap after lap.
                if pictures_in_item == 0 && held.is_none() {
                    empty_items += 1;
                    if empty_items >= self.items.len() {
                        let f = &self.items[item];
                        return Err(Halt::Failed(MediaError::decode(
                            &f.name,
                            "no picture between its in and out points",
                        )));
                    }
                } else {
                    empty_items = 0;
                }
                pictures_in_item = 0;
                item += 1;
                if item == self.items.len() {
                    item = 0;
                    lap += 1;
                }
                let next_start =
                    self.timeline
                        .program_of(lap, item, self.timeline.spans()[item].start);
                if total.is_some_and(|t| next_start >= t) {
                    if let Some((p, pic)) = held.take() {
                        self.push(generation, p, pic)?;
                    }
                    return Ok(());
                }
                reader = match next_reader.take() {
                    Some(r) => r,
                    None => {
                        let mut r = self.open(item)?;
                        r.seek(self.timeline.spans()[item].start)?;
                        r
                    }
                };
                continue;
            };
            // Pictures before the item's start show from its start.
            let program = if f.pts < span.start {
                self.timeline.program_of(lap, item, span.start)
            } else {
                self.timeline.program_of(lap, item, f.pts)
            };
            if program <= from + TOLERANCE || f.pts < span.start {
                // Not past the start yet: this one may be the picture on screen there.
                held = Some((program, (f.picture, color)));
                continue;
            }
            if let Some((p, pic)) = held.take() {
                self.push(generation, p, pic)?;
            }
            self.push(generation, program, (f.picture, color))?;
            pictures_in_item += 1;
            if next_reader.is_none() {
                // Open the next item while this one plays (a loop of one file opens a
                // second reader), so the seam costs no seek.
                let mut next = item + 1;
                if next == self.items.len() {
                    next = 0;
                }
                let mut r = self.open(next)?;
                r.seek(self.timeline.spans()[next].start)?;
                next_reader = Some(r);
            }
        }
    }

    /// Draws the picture for the current target and queues it, waiting for room.
    fn push(
        &mut self,
        generation: u64,
        program: Nanos,
        (picture, color): (YuvFrame, crate::frame::scale::YuvColor),
    ) -> Result<(), Halt> {
        let target = {
            let st = self.shared.lock();
            if st.stop || st.generation != generation {
                return Err(Halt::Interrupted);
            }
            st.target
        };
        let raster = target.map(|t| {
            (
                t,
                Arc::new(video_raster(&picture, color, &t, &mut self.scaler)),
            )
        });
        let frame = Arc::new(VideoFrame {
            program,
            generation,
            first: !self.pushed_any,
            picture,
            color,
            raster: Mutex::new(raster),
        });
        let mut st = self.shared.lock();
        loop {
            if st.stop || st.generation != generation {
                return Err(Halt::Interrupted);
            }
            if st.frames.len() < st.capacity {
                self.pushed_any = true;
                st.frames.push_back(frame);
                st.head = Some(program);
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
