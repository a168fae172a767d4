//! [`Feed`]: one live input at run time. Whatever brings its bytes (the RTMP listener's
//! connection, an `ffmpeg` puller) pushes FLV tag bodies ([`Tag`]) into a bounded queue, never
//! waiting; the feed's decode thread turns them into pictures and 48 kHz sound, placed on the
//! input's own timeline, and keeps a short queue of each. The compositor and the mixer read
//! them through the input's [`InputClock`] at the stream time of the frame or sound block
//! they make: picture and sound use one mapping, so they stay together.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::clock::InputClock;
use super::status::{InputEvent, InputState, InputStatus};
use crate::frame::YuvFrame;
use crate::frame::scale::{Scaler, YuvColor};
use crate::limits::Limits;
use crate::media::native::{
    AudioTag, AvcConfig, OpenH264Decoder, VideoTag, avcc_to_annexb, parse_audio_tag, parse_avcc,
    parse_video_tag,
};
use crate::media::{
    AudioCodecId, DecodedFrame, LiveSound, Nanos, Packet, TrackKind, VideoCodecId, VideoDecoder,
};
use crate::render::{Raster, VideoTarget, video_raster};
use crate::scene::InputSpec;

/// Tags queued for the decode thread (about 8 s of a 30 fps stream with sound).
const TAG_QUEUE: usize = 512;
/// No packet for this long: the input is stalled.
const STALL: Duration = Duration::from_secs(1);
/// Broken video packets in a row before the decoder starts again at a key frame.
const MAX_ERRORS: u32 = 30;
/// Sound jumps larger than this start a new run (a gap or an overlap in the input).
const AUDIO_JUMP: Nanos = 40_000_000;
/// Sound kept behind the newest sample, in samples (beyond the buffer).
const AUDIO_KEEP: i64 = 48_000 * 3;
/// Samples per second of the sound kept.
const RATE: i64 = 48_000;

/// One FLV tag body (RTMP carries the same), as it arrived.
#[derive(Clone, Debug)]
pub(crate) struct Tag {
    /// Video (true) or audio.
    pub(crate) video: bool,
    /// The tag's 32-bit millisecond timestamp (decode time).
    pub(crate) ts_ms: u32,
    /// The body.
    pub(crate) body: Bytes,
    /// When it arrived.
    pub(crate) arrival: Instant,
}

/// What the decode thread is told.
pub(crate) enum Msg {
    /// A tag to decode.
    Tag(Tag),
    /// A new connection starts: forget the decoders and the timestamps.
    Restart,
}

/// A decoded picture of an input, on its timeline.
#[derive(Debug)]
pub(crate) struct InputFrame {
    /// Presentation time on the input's timeline.
    pub(crate) pts: Nanos,
    /// A number that grows with every picture of the feed (for raster cache keys).
    pub(crate) seq: u64,
    /// Stream time the packet that completed it arrived.
    pub(crate) arrival: Nanos,
    /// The picture.
    pub(crate) picture: YuvFrame,
    /// Its colour.
    pub(crate) color: YuvColor,
    /// The picture drawn for a target, when the thread knew the target.
    pub(crate) raster: Mutex<Option<(VideoTarget, Arc<Raster>)>>,
}

/// Sound of the input at 48 kHz on its timeline: samples `start ..` in `left`/`right`.
#[derive(Debug, Default)]
struct AudioRing {
    start: i64,
    left: VecDeque<f32>,
    right: VecDeque<f32>,
}

impl AudioRing {
    fn end(&self) -> i64 {
        self.start + self.left.len() as i64
    }

    /// Writes samples from position `at` on (silence fills a small gap; a large one or a step
    /// back starts the ring again there).
    fn write(&mut self, at: i64, l: &[f32], r: &[f32]) {
        let end = self.end();
        if self.left.is_empty() || at < end || at - end > RATE {
            self.left.clear();
            self.right.clear();
            self.start = at;
        } else if at > end {
            let gap = (at - end) as usize;
            self.left.extend(std::iter::repeat_n(0.0, gap));
            self.right.extend(std::iter::repeat_n(0.0, gap));
        }
        self.left.extend(l.iter().copied());
        self.right.extend(r.iter().copied());
        let keep = AUDIO_KEEP as usize;
        if self.left.len() > keep {
            let cut = self.left.len() - keep;
            self.left.drain(..cut);
            self.right.drain(..cut);
            self.start += cut as i64;
        }
    }

    fn get(&self, i: i64) -> (f32, f32) {
        if i < self.start || i >= self.end() {
            return (0.0, 0.0);
        }
        let k = (i - self.start) as usize;
        (self.left[k], self.right[k])
    }
}

/// The picture a frame shows, with what the feed knows of it.
#[derive(Debug, Default)]
pub(crate) struct Shown {
    /// The picture on screen (`None`: none decoded yet, or since a restart).
    pub(crate) frame: Option<Arc<InputFrame>>,
    /// How long (stream time) the input has given no newer picture than the one on screen
    /// when it should have (0 while it is flowing).
    pub(crate) starved: Nanos,
}

/// The feed's state, behind one lock.
struct State {
    status: InputStatus,
    clock: InputClock,
    frames: VecDeque<Arc<InputFrame>>,
    /// Capacity of `frames`.
    capacity: usize,
    shown: Option<Arc<InputFrame>>,
    /// Whether `shown` was shown by an earlier sampled stream time.
    shown_before: bool,
    /// The stream time last sampled, and what it found.
    last_w: Option<Nanos>,
    /// Since when (stream time) no newer picture has come.
    starved_since: Option<Nanos>,
    audio: AudioRing,
    /// The box the layer showing this input asked for last.
    target: Option<VideoTarget>,
    /// Bytes received in the current second, and when it began.
    window: (u64, Instant),
    /// When the last packet arrived.
    last_packet: Option<Instant>,
    events: VecDeque<InputEvent>,
    /// The origin of stream time.
    epoch: Instant,
}

/// A live input at run time.
pub(crate) struct Feed {
    /// Its name in the scene.
    pub(crate) name: String,
    /// What the scene says of it.
    pub(crate) spec: InputSpec,
    tx: SyncSender<Msg>,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    /// Someone is sending (an RTMP publisher, a puller's `ffmpeg`).
    pub(crate) busy: AtomicBool,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Tags that did not fit the queue, until the next video key frame.
    skipping: AtomicBool,
}

impl std::fmt::Debug for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feed")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn nanos_since(epoch: Instant, t: Instant) -> Nanos {
    if t >= epoch {
        (t - epoch).as_nanos().min(i64::MAX as u128) as Nanos
    } else {
        -((epoch - t).as_nanos().min(i64::MAX as u128) as Nanos)
    }
}

impl Feed {
    /// Starts the decode thread of input `name`.
    pub(crate) fn start(
        name: &str,
        spec: InputSpec,
        limits: &Limits,
        epoch: Instant,
    ) -> Result<Arc<Feed>, String> {
        let (tx, rx) = std::sync::mpsc::sync_channel(TAG_QUEUE);
        let frame_ms = 1000 / 30;
        let capacity = ((spec.buffer_ms as usize + 1000) / frame_ms).clamp(8, 120);
        let state = Arc::new(Mutex::new(State {
            status: InputStatus::new(name, &spec),
            clock: InputClock::default(),
            frames: VecDeque::new(),
            capacity,
            shown: None,
            shown_before: false,
            last_w: None,
            starved_since: None,
            audio: AudioRing::default(),
            target: None,
            window: (0, Instant::now()),
            last_packet: None,
            events: VecDeque::new(),
            epoch,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let worker = Decoder {
            name: name.to_string(),
            state: Arc::clone(&state),
            stop: Arc::clone(&stop),
            limits: limits.clone(),
            buffer: i64::from(spec.buffer_ms) * 1_000_000,
            avc: None,
            video: None,
            video_codec: None,
            wait_key: true,
            errors: 0,
            sound: None,
            sound_next: None,
            sound_at: 0,
            unwrap: None,
            clock_by_video: false,
            annexb: Vec::new(),
            out: Vec::new(),
            left: Vec::new(),
            right: Vec::new(),
            seq: 0,
            scaler: Scaler::new(),
            arrival: 0,
        };
        let thread = std::thread::Builder::new()
            .name(format!("input-{name}"))
            .spawn(move || worker.run(rx))
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(Feed {
            name: name.to_string(),
            spec,
            tx,
            state,
            stop,
            busy: AtomicBool::new(false),
            thread: Mutex::new(Some(thread)),
            skipping: AtomicBool::new(false),
        }))
    }

    /// Whether the feed was stopped (removed from the scene).
    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Queues a tag for decoding, never waiting: when the queue is full the tag is dropped,
    /// and video until the next key frame (sound goes on). Errs when the feed was stopped.
    pub(crate) fn push(&self, tag: Tag) -> Result<(), ()> {
        if self.stopped() {
            return Err(());
        }
        let keyframe = tag.video && tag.body.first().is_some_and(|b| b >> 4 & 7 == 1);
        if tag.video && self.skipping.load(Ordering::Relaxed) {
            if !keyframe {
                self.count_drop();
                return Ok(());
            }
            self.skipping.store(false, Ordering::Relaxed);
        }
        let video = tag.video;
        {
            // Data arriving is what makes an input live (here, on the sender's side: tags
            // still queued after a publisher left must not make it live again).
            let mut st = lock(&self.state);
            st.last_packet = Some(tag.arrival);
            st.window.0 += tag.body.len() as u64;
            st.status.bytes += tag.body.len() as u64;
            if st.status.state != InputState::Live {
                let peer = st.status.peer.clone();
                st.change(
                    &self.name,
                    InputState::Live,
                    Some(peer.map_or_else(|| "data arriving".into(), |p| format!("from {p}"))),
                );
            }
        }
        match self.tx.try_send(Msg::Tag(tag)) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => {
                if video {
                    self.skipping.store(true, Ordering::Relaxed);
                }
                self.count_drop();
                Ok(())
            }
            Err(TrySendError::Disconnected(_)) => Err(()),
        }
    }

    fn count_drop(&self) {
        lock(&self.state).status.dropped += 1;
    }

    /// A new sender starts (a publisher connected, a puller's `ffmpeg` started): its
    /// timestamps start again.
    pub(crate) fn restart(&self, peer: Option<String>) {
        {
            let mut st = lock(&self.state);
            st.status.peer = peer;
            st.status.error = None;
        }
        let _ = self.tx.try_send(Msg::Restart);
    }

    /// Moves the input to `state` (an event when it changes), with `message`.
    pub(crate) fn set_state(&self, state: InputState, message: Option<String>) {
        let mut st = lock(&self.state);
        st.change(&self.name, state, message);
    }

    /// Notes a failure of whatever brings the bytes (shown in the status).
    pub(crate) fn set_error(&self, message: String) {
        let mut st = lock(&self.state);
        st.status.error = Some(message);
    }

    /// The status now.
    pub(crate) fn status(&self) -> InputStatus {
        let mut st = lock(&self.state);
        st.roll_window();
        st.status.clone()
    }

    /// Events not yet taken.
    pub(crate) fn take_events(&self) -> Vec<InputEvent> {
        lock(&self.state).events.drain(..).collect()
    }

    /// Sets the origin of stream time (a new stream starts): the clock anchors again.
    pub(crate) fn set_epoch(&self, epoch: Instant) {
        let mut st = lock(&self.state);
        st.epoch = epoch;
        st.clock.reset();
        st.frames.clear();
        st.last_w = None;
        st.starved_since = None;
    }

    /// The size of the input's pictures (0×0 before the first).
    pub(crate) fn size(&self) -> (u32, u32) {
        let st = lock(&self.state);
        (st.status.width, st.status.height)
    }

    /// Tells the decode thread the box pictures are drawn for.
    pub(crate) fn set_target(&self, target: VideoTarget) {
        lock(&self.state).target = Some(target);
    }

    /// The picture on screen at stream time `w` (sample and hold on the input's clock).
    pub(crate) fn frame_at(&self, w: Nanos) -> Shown {
        let mut st = lock(&self.state);
        let buffer = i64::from(self.spec.buffer_ms) * 1_000_000;
        let Some(tau) = st.clock.input_time(w, buffer) else {
            return Shown::default();
        };
        let fresh = st.last_w != Some(w);
        st.last_w = Some(w);
        while st.frames.len() >= 2 && st.frames[1].pts <= tau {
            st.frames.pop_front();
            if fresh {
                st.status.dropped += 1;
            }
        }
        let front_due = st.frames.front().is_some_and(|f| f.pts <= tau);
        if front_due {
            let f = st.frames.pop_front().expect("front exists");
            // Arrival at our socket to the output frame that shows it.
            let latency = (w - f.arrival) as f64 / 1e6;
            let l = &mut st.status.latency_ms;
            *l = if *l == 0.0 {
                latency
            } else {
                *l + (latency - *l) * 0.05
            };
            st.shown = Some(f);
            st.shown_before = false;
            st.starved_since = None;
        } else if fresh && st.shown.is_some() {
            if st.shown_before {
                st.status.repeated += 1;
            }
            if st.frames.is_empty() && st.starved_since.is_none() {
                st.starved_since = Some(w);
            }
        }
        if fresh {
            st.shown_before = true;
        }
        Shown {
            frame: st.shown.clone(),
            starved: st.starved_since.map_or(0, |s| (w - s).max(0)),
        }
    }

    /// Adds the input's sound for stream times `w0 .. w1` into `left`/`right` (one output
    /// sample per element) × `gain`, reading from input sample `cursor` on (where the previous
    /// block ended; `None`, or off by more than 10 ms: from where the clock says).
    /// Returns where this block ended, and how far (ms) the cursor was from the clock.
    pub(crate) fn add_sound(
        &self,
        w0: Nanos,
        w1: Nanos,
        cursor: Option<f64>,
        gain: f32,
        left: &mut [f32],
        right: &mut [f32],
    ) -> Option<(f64, f64)> {
        let st = lock(&self.state);
        let buffer = i64::from(self.spec.buffer_ms) * 1_000_000;
        let t0 = st.clock.input_time(w0, buffer)?;
        let t1 = st.clock.input_time(w1, buffer)?;
        let x0 = t0 as f64 * RATE as f64 / 1e9;
        let x1 = t1 as f64 * RATE as f64 / 1e9;
        let start = match cursor {
            Some(c) if (c - x0).abs() <= RATE as f64 / 100.0 => c,
            _ => x0,
        };
        let n = left.len().min(right.len());
        if n == 0 {
            return Some((start, 0.0));
        }
        let step = ((x1 - start) / n as f64).clamp(0.9, 1.1);
        let mut x = start;
        for k in 0..n {
            let i = x.floor();
            let frac = (x - i) as f32;
            let i = i as i64;
            // Cubic (Catmull-Rom) between the four samples around x.
            let (a0, b0) = st.audio.get(i - 1);
            let (a1, b1) = st.audio.get(i);
            let (a2, b2) = st.audio.get(i + 1);
            let (a3, b3) = st.audio.get(i + 2);
            left[k] += gain * catmull(a0, a1, a2, a3, frac);
            right[k] += gain * catmull(b0, b1, b2, b3, frac);
            x += step;
        }
        Some((x, (start - x0) * 1000.0 / RATE as f64))
    }

    /// Notes the A/V offset the mixer measured (ms).
    pub(crate) fn note_av_offset(&self, ms: f64) {
        lock(&self.state).status.av_offset_ms = (ms * 10.0).round() / 10.0;
    }

    /// Checks whether packets stopped coming (called from the decode thread's idle ticks and by
    /// status readers).
    fn check_stall(st: &mut State, name: &str) {
        if st.status.state == InputState::Live
            && st.last_packet.is_some_and(|t| t.elapsed() >= STALL)
        {
            st.change(
                name,
                InputState::Stalled,
                Some(format!("no data for {} s", STALL.as_secs())),
            );
        }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            // The thread wakes at least every 250 ms and sees `stop`.
            let _ = t.join();
        }
    }
}

/// Catmull-Rom interpolation between `p1` and `p2` at `t` in [0, 1).
fn catmull(p0: f32, p1: f32, p2: f32, p3: f32, t: f32) -> f32 {
    let t2 = t * t;
    let t3 = t2 * t;
    0.5 * ((2.0 * p1)
        + (-p0 + p2) * t
        + (2.0 * p0 - 5.0 * p1 + 4.0 * p2 - p3) * t2
        + (-p0 + 3.0 * p1 - 3.0 * p2 + p3) * t3)
}

impl State {
    fn change(&mut self, name: &str, state: InputState, message: Option<String>) {
        if self.status.state == state {
            return;
        }
        self.status.state = state;
        self.status.since = super::status::now_rfc3339();
        if self.events.len() >= 64 {
            self.events.pop_front();
        }
        self.events.push_back(InputEvent {
            input: name.to_string(),
            state,
            message,
        });
    }

    fn roll_window(&mut self) {
        let elapsed = self.window.1.elapsed();
        if elapsed >= Duration::from_secs(1) {
            self.status.bitrate_kbps =
                (self.window.0 as f64 * 8.0 / elapsed.as_secs_f64() / 1000.0).round() as u64;
            self.window = (0, Instant::now());
        }
    }
}

/// The decode thread's state.
struct Decoder {
    name: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    limits: Limits,
    buffer: Nanos,
    avc: Option<AvcConfig>,
    video: Option<Box<dyn VideoDecoder>>,
    video_codec: Option<VideoCodecId>,
    /// Decoding starts (again) at a key frame.
    wait_key: bool,
    errors: u32,
    sound: Option<LiveSound>,
    /// Input time the next sound frame should start at (a different one is a jump).
    sound_next: Option<Nanos>,
    /// Ring position (48 kHz samples) the next decoded sound goes to.
    sound_at: i64,
    /// The last 32-bit timestamp and its unwrapped value, ms.
    unwrap: Option<(u32, i64)>,
    /// Pictures arrived since the last restart: only they move the clock.
    clock_by_video: bool,
    annexb: Vec<u8>,
    out: Vec<DecodedFrame>,
    left: Vec<f32>,
    right: Vec<f32>,
    seq: u64,
    scaler: Scaler,
    /// Stream time the tag being decoded arrived.
    arrival: Nanos,
}

impl Decoder {
    fn run(mut self, rx: Receiver<Msg>) {
        loop {
            if self.stop.load(Ordering::Acquire) {
                return;
            }
            match rx.recv_timeout(Duration::from_millis(250)) {
                Ok(Msg::Tag(tag)) => {
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        self.tag(tag);
                    }));
                    if r.is_err() {
                        self.fail("the decoder failed (panicked) on this input's data");
                    }
                }
                Ok(Msg::Restart) => self.restart(),
                Err(RecvTimeoutError::Timeout) => {
                    let mut st = lock(&self.state);
                    Feed::check_stall(&mut st, &self.name);
                    st.roll_window();
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn fail(&mut self, message: &str) {
        self.restart_decoders();
        lock(&self.state).status.error = Some(message.to_string());
    }

    fn restart_decoders(&mut self) {
        self.video = None;
        self.avc = None;
        self.sound = None;
        self.sound_next = None;
        self.wait_key = true;
        self.errors = 0;
    }

    fn restart(&mut self) {
        self.restart_decoders();
        self.unwrap = None;
        self.clock_by_video = false;
        let mut st = lock(&self.state);
        st.clock.reset();
        st.frames.clear();
    }

    /// The tag's decode time on the input's timeline, ms (32-bit wraps and small steps back
    /// are followed).
    fn unwrap_ms(&mut self, ts: u32) -> i64 {
        let ms = match self.unwrap {
            None => i64::from(ts),
            Some((last, ext)) => ext + i64::from(ts.wrapping_sub(last) as i32),
        };
        self.unwrap = Some((ts, ms));
        ms
    }

    fn tag(&mut self, tag: Tag) {
        let dts = self.unwrap_ms(tag.ts_ms).saturating_mul(1_000_000);
        {
            let mut st = lock(&self.state);
            let arrival = nanos_since(st.epoch, tag.arrival);
            self.arrival = arrival;
            // The pictures set the clock when there are any: a sender may put its sound ahead
            // of its pictures in the stream (MPEG-TS muxers group sound), and a clock set by
            // early sound would leave every picture late. Sound sets it until a picture comes.
            if tag.video && !self.clock_by_video {
                self.clock_by_video = true;
                st.clock.reset();
            }
            if (tag.video || !self.clock_by_video)
                && st.clock.observe(arrival, dts)
                && st.clock.anchors > 1
            {
                // A discontinuity: what is queued belongs to the old timeline.
                st.frames.clear();
                self.sound_next = None;
            }
            st.status.drift_ppm = ((st.clock.rate() - 1.0) * 1e6).round();
            st.status.buffer_ms = self.buffer / 1_000_000;
        }
        if tag.video {
            self.video_tag(&tag.body, dts);
        } else {
            self.audio_tag(&tag.body, dts);
        }
    }

    fn video_tag(&mut self, body: &[u8], dts: Nanos) {
        let parsed = match parse_video_tag(body) {
            Ok(t) => t,
            Err(e) => {
                self.video_error(format!("a broken video tag: {e}"));
                return;
            }
        };
        match parsed {
            VideoTag::Config { codec, record } => self.video_config(codec, record),
            VideoTag::Frame {
                codec,
                keyframe,
                cts_ms,
                data,
            } => {
                if Some(&codec) != self.video_codec.as_ref() || self.video.is_none() {
                    return; // no configuration yet
                }
                if self.wait_key && !keyframe {
                    lock(&self.state).status.dropped += 1;
                    return;
                }
                let pts = dts.saturating_add(i64::from(cts_ms) * 1_000_000);
                let payload = if codec == VideoCodecId::H264 {
                    let Some(cfg) = &self.avc else { return };
                    if let Err(e) =
                        avcc_to_annexb(data, cfg, keyframe, &self.limits, &mut self.annexb)
                    {
                        self.video_error(format!("a broken H.264 packet: {e:?}"));
                        return;
                    }
                    std::mem::take(&mut self.annexb)
                } else {
                    data.to_vec()
                };
                let packet = Packet {
                    track: TrackKind::Video,
                    pts,
                    dts,
                    duration: 0,
                    keyframe,
                    data: payload,
                };
                let Some(dec) = &mut self.video else { return };
                match dec.decode(&packet, &mut self.out) {
                    Ok(()) => {
                        self.wait_key = false;
                        self.errors = 0;
                    }
                    Err(e) => self.video_error(e.to_string()),
                }
                self.annexb = packet.data;
                // Taken out and put back: no allocation per packet.
                let mut out = std::mem::take(&mut self.out);
                for f in out.drain(..) {
                    self.picture(f);
                }
                self.out = out;
            }
            VideoTag::Other => {}
        }
    }

    fn video_config(&mut self, codec: VideoCodecId, record: &[u8]) {
        let name = format!("input `{}`", self.name);
        let made: Result<Box<dyn VideoDecoder>, String> = match codec.clone() {
            VideoCodecId::H264 => match parse_avcc(record, &self.limits) {
                Ok(cfg) => {
                    if let Err(why) = crate::media::native::route_h264(&cfg) {
                        Err(format!("its H.264 cannot be decoded here: {why}"))
                    } else {
                        let mut st = lock(&self.state);
                        st.status.width = cfg.sps.width;
                        st.status.height = cfg.sps.height;
                        st.status.fps = cfg.sps.fps;
                        st.status.codec = Some("h264".into());
                        drop(st);
                        self.avc = Some(cfg);
                        OpenH264Decoder::new(&name, &self.limits)
                            .map(|d| Box::new(d) as Box<dyn VideoDecoder>)
                            .map_err(|e| e.to_string())
                    }
                }
                Err(e) => Err(format!("a broken AVC configuration: {e:?}")),
            },
            VideoCodecId::Av1 => {
                lock(&self.state).status.codec = Some("av1".into());
                crate::media::native::rav1d_decoder(&name, &self.limits)
            }
            other => Err(format!(
                "its video is {other}, which inputs cannot decode yet (H.264 and AV1 can)"
            )),
        };
        match made {
            Ok(d) => {
                self.video = Some(d);
                self.video_codec = Some(codec);
                self.wait_key = true;
                self.errors = 0;
            }
            Err(e) => {
                self.video = None;
                lock(&self.state).status.error = Some(e);
            }
        }
    }

    fn video_error(&mut self, message: String) {
        self.errors += 1;
        let mut st = lock(&self.state);
        st.status.decode_errors += 1;
        if self.errors >= MAX_ERRORS {
            st.status.error = Some(message);
            drop(st);
            self.errors = 0;
            self.wait_key = true;
            if let Some(d) = &mut self.video {
                let _ = d.reset();
            }
        }
    }

    /// Queues a decoded picture (drawn for the layer's box when it is known).
    fn picture(&mut self, f: DecodedFrame) {
        let (target, color) = {
            let st = lock(&self.state);
            let c = self.avc.as_ref().map_or_else(
                || YuvColor::guess(f.picture.height()),
                |a| {
                    YuvColor::coded(
                        f.picture.height(),
                        a.sps.matrix.map(u32::from),
                        a.sps.full_range,
                    )
                },
            );
            (st.target, c)
        };
        let raster = target.map(|t| {
            (
                t,
                Arc::new(video_raster(&f.picture, color, &t, &mut self.scaler)),
            )
        });
        self.seq += 1;
        let frame = Arc::new(InputFrame {
            pts: f.pts,
            seq: self.seq,
            arrival: self.arrival,
            picture: f.picture,
            color,
            raster: Mutex::new(raster),
        });
        let mut st = lock(&self.state);
        st.status.frames += 1;
        st.status.width = frame.picture.width();
        st.status.height = frame.picture.height();
        // In order of presentation (a decoder gives them so; a restart clears the queue).
        let at = st
            .frames
            .iter()
            .rposition(|q| q.pts <= frame.pts)
            .map_or(0, |i| i + 1);
        st.frames.insert(at, frame);
        while st.frames.len() > st.capacity {
            st.frames.pop_front();
            st.status.dropped += 1;
        }
    }

    fn audio_tag(&mut self, body: &[u8], dts: Nanos) {
        let parsed = match parse_audio_tag(body) {
            Ok(t) => t,
            Err(_) => {
                lock(&self.state).status.decode_errors += 1;
                return;
            }
        };
        match parsed {
            AudioTag::Config { codec, record } => {
                if codec != AudioCodecId::Aac {
                    return;
                }
                match LiveSound::aac(record, &format!("input `{}`", self.name)) {
                    Ok(s) => {
                        self.sound = Some(s);
                        self.sound_next = None;
                        lock(&self.state).status.audio_codec = Some("aac".into());
                    }
                    Err(e) => lock(&self.state).status.error = Some(e.to_string()),
                }
            }
            AudioTag::Frame { codec, data, .. } => {
                if codec != AudioCodecId::Aac {
                    let mut st = lock(&self.state);
                    if st.status.audio_codec.is_none() {
                        st.status.audio_codec = Some(codec.to_string());
                        st.status.error = Some(format!(
                            "its sound is {codec}, which inputs cannot decode (AAC can)"
                        ));
                    }
                    return;
                }
                let Some(sound) = &mut self.sound else { return };
                // A frame that does not follow the last one starts a new run at its time.
                let jump = self.sound_next.is_none_or(|n| (n - dts).abs() > AUDIO_JUMP);
                if jump {
                    self.sound_at = (dts as i128 * RATE as i128 / 1_000_000_000) as i64;
                    if self.sound_next.is_some() {
                        let asc_reset = sound.reset();
                        if asc_reset.is_err() {
                            self.sound = None;
                            return;
                        }
                    }
                }
                self.left.clear();
                self.right.clear();
                match sound.decode(data, &mut self.left, &mut self.right) {
                    Ok(()) => {
                        self.sound_next = Some(dts + sound.frame_nanos());
                        let mut st = lock(&self.state);
                        st.audio.write(self.sound_at, &self.left, &self.right);
                        self.sound_at += self.left.len() as i64;
                    }
                    Err(e) => {
                        let mut st = lock(&self.state);
                        st.status.decode_errors += 1;
                        st.status.error = Some(e.to_string());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_fills_small_gaps_and_restarts_on_big_ones() {
        let mut r = AudioRing::default();
        r.write(100, &[1.0; 10], &[2.0; 10]);
        assert_eq!(r.get(100), (1.0, 2.0));
        assert_eq!(r.get(99), (0.0, 0.0));
        r.write(115, &[3.0; 5], &[3.0; 5]);
        assert_eq!(r.get(112), (0.0, 0.0));
        assert_eq!(r.get(115), (3.0, 3.0));
        r.write(10_000_000, &[4.0; 5], &[4.0; 5]);
        assert_eq!(r.start, 10_000_000);
        assert_eq!(r.get(115), (0.0, 0.0));
        r.write(0, &vec![0.5; 200_000], &vec![0.5; 200_000]);
        assert_eq!(r.left.len() as i64, AUDIO_KEEP);
    }

    #[test]
    fn catmull_passes_through_points() {
        assert_eq!(catmull(0.0, 1.0, 2.0, 3.0, 0.0), 1.0);
        assert!((catmull(0.0, 1.0, 2.0, 3.0, 0.5) - 1.5).abs() < 1e-6);
    }
}
