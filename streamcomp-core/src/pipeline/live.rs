//! The real-time pipeline: [`LiveStream`] renders frame N at N/fps on a monotonic clock,
//! encodes once, and fans the packets out to every output (RTMP/RTMPS publishers and files).
//! [`LiveHandle`] changes the scene from any thread; a change shows in the next frame rendered.
//!
//! Two threads: the render thread (compose with the compositor's banded workers, convert to
//! I420) and the encode thread (video + audio encoders, outputs). They share a small pool of
//! frames through bounded channels: when the encoder falls behind, the render thread finds no
//! free frame and drops that one (counted); when rendering falls behind the clock, the frames
//! whose time has passed are skipped (counted). Nothing queues without bound and timestamps
//! come from frame numbers, so they never drift.
//!
//! A panic while rendering is caught: the layer at fault is found, disabled and reported, the
//! compositor is rebuilt (a worker restart, counted) and the stream goes on.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::encoder::{AudioSettings, EncodeStage};
use crate::assets::AssetResolver;
use crate::encode::{AudioCodec, VideoCodec, VideoSettings};
use crate::error::Error;
use crate::frame::{Frame, YuvFrame};
use crate::output::{
    FileFormat, FileOutput, Output, OutputTarget, RtmpEvent, RtmpOptions, RtmpOutput,
    RtmpStatsHandle, StreamInfo,
};
use crate::render::{Bounds, Compositor, CompositorOptions, Quality};
use crate::scene::{Layer, LayerChange, Scene};

/// How a live stream runs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LiveOptions {
    /// Where the stream goes: `rtmp://`/`rtmps://` URLs and files. None: the scene is composed
    /// in real time (for previews) and nothing is encoded. Default: none.
    pub outputs: Vec<OutputTarget>,
    /// Video encoding. Its size and frame rate are replaced by the scene's. Default: H.264,
    /// 4000 kbit/s, a key frame every 2 s.
    pub video: VideoSettings,
    /// Audio track: codec and bitrate (kbit/s); `None` for no audio. Default: AAC, 128.
    pub audio: Option<(AudioCodec, u32)>,
    /// Resampling quality. Default: high.
    pub quality: Quality,
    /// Compositor threads (0: every core). Default: 0.
    pub threads: usize,
    /// Stop by itself after this long. Default: never.
    pub duration: Option<Duration>,
    /// Queues, timeouts and reconnect backoff of RTMP outputs. Default: see [`RtmpOptions`].
    pub rtmp: RtmpOptions,
    /// Where events go from the start, [`Event::Started`] included (never blocks; events are
    /// dropped when it is full). More receivers: [`LiveHandle::subscribe`]. Default: none.
    pub events: Option<SyncSender<Event>>,
}

impl Default for LiveOptions {
    fn default() -> LiveOptions {
        LiveOptions {
            outputs: Vec::new(),
            video: VideoSettings::new(1280, 720, 30.0),
            audio: Some((AudioCodec::Aac, 128)),
            quality: Quality::High,
            threads: 0,
            duration: None,
            rtmp: RtmpOptions::default(),
            events: None,
        }
    }
}

/// What a live stream is doing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StreamState {
    /// Composing, no outputs.
    #[default]
    Idle,
    /// Outputs are connecting.
    Starting,
    /// Every output is live.
    Live,
    /// At least one RTMP output lost its connection and is reconnecting.
    Reconnecting,
    /// Finishing outputs.
    Stopping,
    /// Done.
    Stopped,
    /// Stopped by an error (see `last_error`).
    Error,
}

impl StreamState {
    /// The lowercase name used by the API (`idle`, `live`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            StreamState::Idle => "idle",
            StreamState::Starting => "starting",
            StreamState::Live => "live",
            StreamState::Reconnecting => "reconnecting",
            StreamState::Stopping => "stopping",
            StreamState::Stopped => "stopped",
            StreamState::Error => "error",
        }
    }
}

/// Something that happened to a live stream.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The pipeline started.
    Started,
    /// An output connected (RTMP) or opened (file). `output` never shows a stream key.
    OutputStarted {
        /// The output, key hidden.
        output: String,
    },
    /// An RTMP output lost its connection and will try again after `delay`.
    Reconnecting {
        /// The output, key hidden.
        output: String,
        /// Attempt number, from 1.
        attempt: u32,
        /// Wait before the attempt.
        delay: Duration,
    },
    /// An RTMP output is live again.
    Reconnected {
        /// The output, key hidden.
        output: String,
    },
    /// Frames were dropped since the last such event (at most one a second).
    FramesDropped {
        /// Dropped since the last event.
        count: u64,
        /// Dropped since the start.
        total: u64,
    },
    /// Rendering a layer failed; the layer is disabled and the stream goes on.
    LayerFailed {
        /// The layer's id.
        layer: String,
        /// What went wrong.
        message: String,
    },
    /// An error that did not stop the stream (an output failed, an audio file broke, …).
    Error {
        /// What went wrong.
        message: String,
    },
    /// The pipeline stopped.
    Stopped {
        /// Why, when it was an error.
        error: Option<String>,
    },
}

/// One output's state.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct OutputStatus {
    /// The output (URL without its key, or the path).
    pub target: String,
    /// `connecting`, `live`, `reconnecting`, `stopped`, `failed` or `writing` (files).
    pub state: String,
    /// Bytes written or sent.
    pub bytes: u64,
    /// Bitrate over the last few seconds, kbit/s.
    pub bitrate_kbps: f64,
    /// Reconnections so far.
    pub reconnects: u64,
    /// Packets dropped by its queue.
    pub dropped_packets: u64,
    /// The last error, if any.
    pub last_error: Option<String>,
}

/// A snapshot of a live stream.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Status {
    /// State.
    pub state: StreamState,
    /// Time since the start.
    pub uptime: Duration,
    /// Frames composed.
    pub frames_rendered: u64,
    /// Frames encoded.
    pub frames_encoded: u64,
    /// Frames dropped (rendering or encoding behind the clock).
    pub frames_dropped: u64,
    /// Times the render worker was rebuilt after a panic.
    pub worker_restarts: u64,
    /// Video codec.
    pub codec: VideoCodec,
    /// Frame size.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Frames per second.
    pub fps: f64,
    /// Layers in the scene.
    pub layers: usize,
    /// Every output.
    pub outputs: Vec<OutputStatus>,
    /// The last error, if any.
    pub last_error: Option<String>,
}

/// A layer as it now is, with its computed box on the canvas (after text layout and image
/// sizing), as the API and the bindings return it.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerView {
    /// The layer.
    pub layer: Layer,
    /// Its box on the canvas now.
    pub bounds: Bounds,
}

/// Counters kept by the threads.
#[derive(Debug, Default)]
struct Counters {
    rendered: AtomicU64,
    encoded: AtomicU64,
    dropped: AtomicU64,
    restarts: AtomicU64,
}

/// State shared by the handle and the threads.
struct Shared {
    scene: Mutex<Arc<Scene>>,
    version: AtomicU64,
    start: Instant,
    stop: AtomicBool,
    counters: Counters,
    state: Mutex<(StreamState, Option<String>)>,
    outputs: Mutex<Vec<OutputStatus>>,
    preview: Mutex<Option<Arc<Frame>>>,
    preview_wanted: AtomicU64,
    subscribers: Mutex<Vec<SyncSender<Event>>>,
    /// For `bounds` of changed layers and checking their files before they go live.
    inspector: Mutex<Compositor>,
    codec: VideoCodec,
    /// How long the stream ran, once it has stopped (the uptime stops there).
    ran: Mutex<Option<Duration>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn emit(&self, e: Event) {
        let mut subs = lock(&self.subscribers);
        subs.retain(|s| !matches!(s.try_send(e.clone()), Err(TrySendError::Disconnected(_))));
    }

    fn scene_time(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    fn set_state(&self, s: StreamState) {
        lock(&self.state).0 = s;
    }

    /// Marks the stream as ended, once: the state, the run time, the `Stopped` event. Called
    /// by the last thread as it ends, so that `is_stopped` and `status` tell without `wait`.
    fn finished(&self, error: Option<String>) {
        {
            let mut ran = lock(&self.ran);
            if ran.is_some() {
                return;
            }
            *ran = Some(self.start.elapsed());
        }
        {
            let mut st = lock(&self.state);
            st.0 = if error.is_some() {
                StreamState::Error
            } else {
                StreamState::Stopped
            };
            if let Some(e) = &error {
                st.1 = Some(e.clone());
            }
        }
        self.emit(Event::Stopped { error });
    }

    fn fail(&self, message: String) {
        let mut st = lock(&self.state);
        st.1 = Some(message.clone());
        drop(st);
        self.emit(Event::Error { message });
    }
}

/// A handle on a running stream: change the scene, read its status, subscribe to events.
/// `Clone + Send + Sync`; every method returns at once (changes are applied to the scene under
/// a lock and picked up by the next frame).
#[derive(Clone)]
pub struct LiveHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for LiveHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveHandle").finish_non_exhaustive()
    }
}

impl LiveHandle {
    /// Applies `ops` all together at the current scene time, or none of them. Returns each
    /// layer as it now is (`None` for removed ones) with its computed bounds. New and changed
    /// layers' files are loaded first, so a missing image is an error here, not a blank layer.
    pub fn apply(&self, ops: Vec<LayerChange>) -> Result<Vec<Option<LayerView>>, Error> {
        let t = self.shared.scene_time();
        let mut guard = lock(&self.shared.scene);
        let mut next = (**guard).clone();
        let mut ids = Vec::with_capacity(ops.len());
        for op in ops {
            ids.push(next.apply(op, t)?.map(|l| l.id.clone()));
        }
        next.prune(t);
        let mut views = Vec::with_capacity(ids.len());
        {
            let mut inspector = lock(&self.shared.inspector);
            for id in ids {
                let Some(id) = id else {
                    views.push(None);
                    continue;
                };
                let layer = next.layer(id.as_str()).expect("applied above").clone();
                let bounds = inspector.bounds(&next, &layer, t)?;
                views.push(Some(LayerView { layer, bounds }));
            }
        }
        *guard = Arc::new(next);
        self.shared.version.fetch_add(1, Ordering::Release);
        Ok(views)
    }

    /// The scene as it now is.
    pub fn scene(&self) -> Scene {
        (**lock(&self.shared.scene)).clone()
    }

    /// Every layer in stacking order, with its bounds now.
    pub fn layers(&self) -> Result<Vec<LayerView>, Error> {
        let scene = Arc::clone(&lock(&self.shared.scene));
        let t = self.shared.scene_time();
        let mut inspector = lock(&self.shared.inspector);
        scene
            .stacking_order()
            .into_iter()
            .map(|l| {
                Ok(LayerView {
                    layer: l.clone(),
                    bounds: inspector.bounds(&scene, l, t)?,
                })
            })
            .collect()
    }

    /// A snapshot of the stream's state and counters.
    pub fn status(&self) -> Status {
        let s = &self.shared;
        let (state, last_error) = lock(&s.state).clone();
        let scene = Arc::clone(&lock(&s.scene));
        Status {
            state,
            uptime: lock(&s.ran).unwrap_or_else(|| s.start.elapsed()),
            frames_rendered: s.counters.rendered.load(Ordering::Relaxed),
            frames_encoded: s.counters.encoded.load(Ordering::Relaxed),
            frames_dropped: s.counters.dropped.load(Ordering::Relaxed),
            worker_restarts: s.counters.restarts.load(Ordering::Relaxed),
            codec: s.codec,
            width: scene.width,
            height: scene.height,
            fps: scene.fps,
            layers: scene.layers.len(),
            outputs: lock(&s.outputs).clone(),
            last_error,
        }
    }

    /// The latest composed frame (refreshed a few times a second while previews are asked
    /// for; the first call may return the frame from the start).
    pub fn preview(&self) -> Option<Arc<Frame>> {
        let ms = self.shared.start.elapsed().as_millis() as u64;
        self.shared
            .preview_wanted
            .store(ms.max(1), Ordering::Relaxed);
        lock(&self.shared.preview).clone()
    }

    /// A new receiver of events. Events are dropped for a receiver that does not keep up
    /// (it holds at most `capacity`), never queued without bound.
    pub fn subscribe(&self, capacity: usize) -> Receiver<Event> {
        let (tx, rx) = sync_channel(capacity.max(1));
        lock(&self.shared.subscribers).push(tx);
        rx
    }

    /// Asks the stream to stop (as [`LiveStream::stop`] does, without waiting).
    pub fn request_stop(&self) {
        self.shared.stop.store(true, Ordering::Release);
    }

    /// Whether the stream has stopped (by the duration, a stop request or an error).
    pub fn is_stopped(&self) -> bool {
        matches!(
            lock(&self.shared.state).0,
            StreamState::Stopped | StreamState::Error
        )
    }
}

/// A running live stream. Dropping it stops it (as [`LiveStream::stop`], ignoring errors).
pub struct LiveStream {
    handle: LiveHandle,
    render: Option<JoinHandle<()>>,
    encode: Option<JoinHandle<Result<(), Error>>>,
}

impl std::fmt::Debug for LiveStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveStream").finish_non_exhaustive()
    }
}

/// One open output and what the encode thread knows of it.
struct OpenOutput {
    label: String,
    out: Box<dyn Output>,
    rtmp: Option<(Receiver<RtmpEvent>, RtmpStatsHandle)>,
    failed: bool,
    /// Finished (files: closed).
    finished: bool,
    /// (time, bytes) a few seconds back, for the bitrate.
    window: (Instant, u64),
    bitrate: f64,
}

impl LiveStream {
    /// Checks everything (settings, files of the scene, output targets), opens the encoders and
    /// outputs, and starts the threads. Errors come before anything goes out.
    pub fn start(
        scene: Scene,
        assets: AssetResolver,
        mut opts: LiveOptions,
    ) -> Result<LiveStream, Error> {
        opts.video.width = scene.width;
        opts.video.height = scene.height;
        opts.video.fps = scene.fps;
        opts.video.validate()?;
        let copts = CompositorOptions::default()
            .with_quality(opts.quality)
            .with_threads(opts.threads);
        let mut comp = Compositor::new(copts.clone(), assets.clone());
        comp.check_assets(&scene)?;
        let mut inspector =
            Compositor::new(CompositorOptions::default().with_threads(1), assets.clone());
        inspector.check_assets(&scene)?;
        for t in &opts.outputs {
            if let OutputTarget::File(p) = t {
                FileFormat::from_path(p)?.check_codec(opts.video.codec)?;
            }
        }
        let stage = if opts.outputs.is_empty() {
            None
        } else {
            let audio = opts.audio.map(|(codec, bitrate_kbps)| AudioSettings {
                codec,
                bitrate_kbps,
            });
            Some(EncodeStage::new(&opts.video, audio, &scene, &assets)?)
        };
        let mut outputs = Vec::new();
        if let Some(st) = &stage {
            let info = st.stream_info();
            for t in &opts.outputs {
                outputs.push(open_output(t, &info, &opts.rtmp)?);
            }
        }
        let shared = Arc::new(Shared {
            scene: Mutex::new(Arc::new(scene)),
            version: AtomicU64::new(0),
            start: Instant::now(),
            stop: AtomicBool::new(false),
            counters: Counters::default(),
            state: Mutex::new((
                if outputs.is_empty() {
                    StreamState::Idle
                } else {
                    StreamState::Starting
                },
                None,
            )),
            outputs: Mutex::new(outputs.iter().map(initial_status).collect()),
            preview: Mutex::new(None),
            preview_wanted: AtomicU64::new(1),
            subscribers: Mutex::new(opts.events.take().into_iter().collect()),
            inspector: Mutex::new(inspector),
            codec: opts.video.codec,
            ran: Mutex::new(None),
        });
        let handle = LiveHandle {
            shared: Arc::clone(&shared),
        };
        // Three frames in flight: one being rendered, one queued, one being encoded.
        let (w, h) = (opts.video.width, opts.video.height);
        let (free_tx, free_rx) = sync_channel::<YuvFrame>(3);
        for _ in 0..3 {
            free_tx
                .send(YuvFrame::new(w, h))
                .expect("the channel holds three");
        }
        let (work_tx, work_rx) = sync_channel::<(u64, YuvFrame)>(2);
        let encode = match stage {
            Some(stage) => {
                let sh = Arc::clone(&shared);
                let assets = assets.clone();
                Some(
                    std::thread::Builder::new()
                        .name("streamcomp-encode".into())
                        .spawn(move || {
                            let r = encode_loop(&sh, stage, outputs, work_rx, free_tx, &assets);
                            sh.finished(r.as_ref().err().map(|e| e.to_string()));
                            r
                        })
                        .map_err(|e| Error::Thread(e.to_string()))?,
                )
            }
            None => None,
        };
        let sh = Arc::clone(&shared);
        let duration = opts.duration;
        let has_encoder = encode.is_some();
        let render = std::thread::Builder::new()
            .name("streamcomp-render".into())
            .spawn(move || {
                render_loop(
                    &sh,
                    comp,
                    copts,
                    assets,
                    duration,
                    has_encoder.then_some((work_tx, free_rx)),
                );
                if !has_encoder {
                    sh.finished(None);
                }
            })
            .map_err(|e| Error::Thread(e.to_string()))?;
        shared.emit(Event::Started);
        for t in &opts.outputs {
            if matches!(t, OutputTarget::File(_)) {
                // Files are open by now (RTMP outputs say so when they connect).
                shared.emit(Event::OutputStarted {
                    output: t.to_string(),
                });
            }
        }
        Ok(LiveStream {
            handle,
            render: Some(render),
            encode,
        })
    }

    /// A handle for changes and status, usable from any thread.
    pub fn handle(&self) -> LiveHandle {
        self.handle.clone()
    }

    /// A new receiver of events (see [`LiveHandle::subscribe`]).
    pub fn events(&self, capacity: usize) -> Receiver<Event> {
        self.handle.subscribe(capacity)
    }

    /// Waits until the stream ends by itself (its duration) or is stopped through a handle,
    /// then finishes the outputs. Returns the final status.
    pub fn wait(mut self) -> Result<Status, Error> {
        self.join()
    }

    /// Stops gracefully: the frame being made is finished, encoders are flushed, outputs
    /// finished (RTMP queues sent for up to their finish timeout). Returns the final status.
    pub fn stop(mut self) -> Result<Status, Error> {
        self.handle.request_stop();
        self.join()
    }

    fn join(&mut self) -> Result<Status, Error> {
        if let Some(r) = self.render.take() {
            let _ = r.join();
        }
        let result = match self.encode.take() {
            Some(e) => e
                .join()
                .unwrap_or_else(|_| Err(Error::Thread("the encode thread panicked".into()))),
            None => Ok(()),
        };
        // Already done by the thread that ended last, unless it panicked.
        self.handle
            .shared
            .finished(result.as_ref().err().map(|e| e.to_string()));
        result.map(|()| self.handle.status())
    }
}

impl Drop for LiveStream {
    fn drop(&mut self) {
        if self.render.is_some() || self.encode.is_some() {
            self.handle.request_stop();
            let _ = self.join();
        }
    }
}

fn open_output(
    t: &OutputTarget,
    info: &StreamInfo,
    rtmp: &RtmpOptions,
) -> Result<OpenOutput, Error> {
    let (out, ev): (Box<dyn Output>, _) = match t {
        OutputTarget::File(p) => {
            let format = FileFormat::from_path(p)?;
            (Box::new(FileOutput::create(p, format, info.clone())?), None)
        }
        OutputTarget::Rtmp(url) => {
            let o = RtmpOutput::new(url.clone(), info.into(), rtmp.clone())?;
            let ev = o.subscribe();
            let stats = o.stats_handle();
            (Box::new(o), Some((ev, stats)))
        }
    };
    Ok(OpenOutput {
        label: t.to_string(),
        out,
        rtmp: ev,
        failed: false,
        finished: false,
        window: (Instant::now(), 0),
        bitrate: 0.0,
    })
}

fn initial_status(o: &OpenOutput) -> OutputStatus {
    OutputStatus {
        target: o.label.clone(),
        state: if o.rtmp.is_some() {
            "connecting".into()
        } else {
            "writing".into()
        },
        bytes: 0,
        bitrate_kbps: 0.0,
        reconnects: 0,
        dropped_packets: 0,
        last_error: None,
    }
}

/// The render thread's ends of the frame channels: frames to encode, and frames coming back.
type FrameChannels = (SyncSender<(u64, YuvFrame)>, Receiver<YuvFrame>);

/// Composes frames on the clock until stopped or the duration is over.
fn render_loop(
    sh: &Shared,
    mut comp: Compositor,
    copts: CompositorOptions,
    assets: AssetResolver,
    duration: Option<Duration>,
    encoder: Option<FrameChannels>,
) {
    let fps = lock(&sh.scene).fps;
    let total = duration.map(|d| (d.as_secs_f64() * fps).round() as u64);
    let mut scene = Arc::clone(&lock(&sh.scene));
    let mut version = sh.version.load(Ordering::Acquire);
    let mut disabled: HashSet<String> = HashSet::new();
    let mut filtered: Option<Scene> = None;
    let mut n: u64 = 0;
    let mut last_drop_event = (Instant::now(), 0u64);
    let mut last_preview = Instant::now() - Duration::from_secs(10);
    while !sh.stop.load(Ordering::Acquire) && total.is_none_or(|t| n < t) {
        let due = sh.start + Duration::from_secs_f64(n as f64 / fps);
        let now = Instant::now();
        if now < due {
            // Sleep in short steps so a stop request is seen quickly.
            std::thread::sleep((due - now).min(Duration::from_millis(50)));
            continue;
        }
        // More than a frame late: skip to the frame that is due now.
        let current = ((now - sh.start).as_secs_f64() * fps).floor() as u64;
        if current > n {
            let skipped = current - n;
            sh.counters.dropped.fetch_add(skipped, Ordering::Relaxed);
            n = current;
            if total.is_some_and(|t| n >= t) {
                break;
            }
        }
        let v = sh.version.load(Ordering::Acquire);
        if v != version {
            version = v;
            scene = Arc::clone(&lock(&sh.scene));
            filtered = without(&scene, &disabled);
        }
        let t = n as f64 / fps;
        let current_scene = filtered.as_ref().unwrap_or(&scene);
        let began = Instant::now();
        let rendered = catch_unwind(AssertUnwindSafe(|| {
            comp.render(current_scene, t).map(|_| ())
        }));
        match rendered {
            Ok(Ok(())) => {
                // A no-op unless the program installed a `metrics` recorder (the server does).
                metrics::histogram!("streamcomp_frame_render_seconds")
                    .record(began.elapsed().as_secs_f64());
            }
            Ok(Err(e)) => {
                // A broken asset or similar: report once per change, keep the clock.
                sh.fail(format!("rendering failed at {t:.3} s: {e}"));
                sh.counters.dropped.fetch_add(1, Ordering::Relaxed);
                n += 1;
                continue;
            }
            Err(panic) => {
                let message = panic_message(&panic);
                let culprit = find_failing_layer(current_scene, t, &copts, &assets);
                let layer = culprit.unwrap_or_else(|| "(unknown)".into());
                disabled.insert(layer.clone());
                filtered = without(&scene, &disabled);
                comp = Compositor::new(copts.clone(), assets.clone());
                sh.counters.restarts.fetch_add(1, Ordering::Relaxed);
                sh.emit(Event::LayerFailed { layer, message });
                continue; // render this frame again without the layer
            }
        }
        let frame = comp.frame();
        sh.counters.rendered.fetch_add(1, Ordering::Relaxed);
        let wanted = sh.preview_wanted.load(Ordering::Relaxed);
        let asked_recently =
            wanted > 0 && sh.start.elapsed().as_millis() as u64 <= wanted.saturating_add(5_000);
        if asked_recently && last_preview.elapsed() >= Duration::from_millis(100) {
            *lock(&sh.preview) = Some(Arc::new(frame.clone()));
            last_preview = Instant::now();
        }
        if let Some((work, free)) = &encoder {
            match free.try_recv() {
                Ok(mut yuv) => {
                    frame.to_i420(&mut yuv);
                    if work.send((n, yuv)).is_err() {
                        return; // the encoder has stopped
                    }
                }
                Err(_) => {
                    // The encoder is behind: this frame is dropped, never queued.
                    sh.counters.dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        let dropped = sh.counters.dropped.load(Ordering::Relaxed);
        if dropped > last_drop_event.1 && last_drop_event.0.elapsed() >= Duration::from_secs(1) {
            sh.emit(Event::FramesDropped {
                count: dropped - last_drop_event.1,
                total: dropped,
            });
            last_drop_event = (Instant::now(), dropped);
        }
        n += 1;
    }
    // The last frame is shown for a whole frame time: a run of `duration` lasts that long.
    if let Some(d) = duration {
        let end = sh.start + d;
        while !sh.stop.load(Ordering::Acquire) {
            let now = Instant::now();
            if now >= end {
                break;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(50)));
        }
    }
}

/// The scene without the disabled layers (`None` when nothing is disabled).
fn without(scene: &Scene, disabled: &HashSet<String>) -> Option<Scene> {
    if disabled.is_empty() {
        return None;
    }
    let mut s = scene.clone();
    s.layers.retain(|l| !disabled.contains(l.id.as_str()));
    Some(s)
}

/// Renders each layer alone to find the one whose rendering panics.
fn find_failing_layer(
    scene: &Scene,
    t: f64,
    copts: &CompositorOptions,
    assets: &AssetResolver,
) -> Option<String> {
    scene.layers.iter().find_map(|l| {
        let mut one = scene.clone();
        one.layers = vec![l.clone()];
        let mut comp = Compositor::new(copts.clone().with_threads(1), assets.clone());
        let ok = catch_unwind(AssertUnwindSafe(|| comp.render(&one, t).map(|_| ()))).is_ok();
        (!ok).then(|| l.id.to_string())
    })
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic while rendering".into())
}

/// Encodes the frames the render thread sends and hands the packets to every output.
fn encode_loop(
    sh: &Shared,
    mut stage: EncodeStage,
    mut outputs: Vec<OpenOutput>,
    work: Receiver<(u64, YuvFrame)>,
    free: SyncSender<YuvFrame>,
    assets: &AssetResolver,
) -> Result<(), Error> {
    let mut version = sh.version.load(Ordering::Acquire);
    loop {
        let (n, yuv) = match work.recv_timeout(Duration::from_millis(200)) {
            Ok(w) => w,
            Err(RecvTimeoutError::Timeout) => {
                poll_outputs(sh, &mut outputs);
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let v = sh.version.load(Ordering::Acquire);
        if v != version {
            version = v;
            let scene = Arc::clone(&lock(&sh.scene));
            if let Err(e) = stage.update_scene(&scene, assets) {
                sh.fail(format!("audio: {e}"));
            }
        }
        let began = Instant::now();
        let packets = stage.encode(n, &yuv);
        let _ = free.try_send(yuv);
        let packets = packets?;
        metrics::histogram!("streamcomp_frame_encode_seconds")
            .record(began.elapsed().as_secs_f64());
        sh.counters.encoded.fetch_add(1, Ordering::Relaxed);
        for o in outputs.iter_mut().filter(|o| !o.failed) {
            for p in packets {
                if let Err(e) = o.out.write(p) {
                    o.failed = true;
                    sh.fail(format!("{}: {e}", o.label));
                    break;
                }
            }
        }
        poll_outputs(sh, &mut outputs);
    }
    sh.set_state(StreamState::Stopping);
    let tail = stage.finish()?;
    for o in outputs.iter_mut().filter(|o| !o.failed) {
        for p in tail {
            if o.out.write(p).is_err() {
                break;
            }
        }
    }
    let mut first_error = None;
    for o in &mut outputs {
        match o.out.finish() {
            Ok(()) => o.finished = true,
            Err(e) if !o.failed => {
                o.failed = true;
                sh.fail(format!("{}: {e}", o.label));
                first_error.get_or_insert(e);
            }
            Err(_) => {}
        }
    }
    poll_outputs(sh, &mut outputs);
    match first_error {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Forwards output events and refreshes the outputs' status and the stream's state.
fn poll_outputs(sh: &Shared, outputs: &mut [OpenOutput]) {
    let mut any_reconnecting = false;
    let mut all_live = true;
    let mut statuses = Vec::with_capacity(outputs.len());
    for o in outputs.iter_mut() {
        let elapsed = o.window.0.elapsed();
        if elapsed >= Duration::from_secs(2) {
            let bytes = o.out.bytes();
            o.bitrate = (bytes - o.window.1) as f64 * 8.0 / 1000.0 / elapsed.as_secs_f64();
            o.window = (Instant::now(), bytes);
        }
        let mut st = OutputStatus {
            target: o.label.clone(),
            state: if o.failed {
                "failed"
            } else if o.finished {
                "stopped"
            } else {
                "writing"
            }
            .into(),
            bytes: o.out.bytes(),
            bitrate_kbps: (o.bitrate * 10.0).round() / 10.0,
            reconnects: 0,
            dropped_packets: 0,
            last_error: None,
        };
        if let Some((events, stats)) = &o.rtmp {
            while let Ok(e) = events.try_recv() {
                let output = o.label.clone();
                sh.emit(match e {
                    RtmpEvent::Started => Event::OutputStarted { output },
                    RtmpEvent::Reconnecting { attempt, delay } => Event::Reconnecting {
                        output,
                        attempt,
                        delay,
                    },
                    RtmpEvent::Reconnected => Event::Reconnected { output },
                    RtmpEvent::Error(message) | RtmpEvent::Warning(message) => Event::Error {
                        message: format!("{output}: {message}"),
                    },
                    _ => continue,
                });
            }
            let s = stats.get();
            st.state = format!("{:?}", s.state).to_ascii_lowercase();
            st.bytes = s.bytes_sent;
            st.reconnects = s.reconnects;
            st.dropped_packets = s.dropped_packets;
            st.last_error = s.last_error.clone();
            any_reconnecting |= st.state == "reconnecting";
            all_live &= st.state == "live";
        }
        statuses.push(st);
    }
    *lock(&sh.outputs) = statuses;
    let mut state = lock(&sh.state);
    if matches!(
        state.0,
        StreamState::Starting | StreamState::Live | StreamState::Reconnecting
    ) {
        state.0 = if any_reconnecting {
            StreamState::Reconnecting
        } else if all_live {
            StreamState::Live
        } else {
            StreamState::Starting
        };
    }
}
