//! [`LiveStream`]: checks everything, opens encoders and outputs, starts the render and encode
//! threads, and stops them.

use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use super::events::{Event, Status, StreamState};
use super::fanout::{encode_loop, initial_status, open_output};
use super::handle::LiveHandle;
use super::options::LiveOptions;
use super::render_loop::render_loop;
use super::shared::{Counters, Shared};

use crate::assets::AssetResolver;
use crate::encode::{AudioSettings, EncoderContext};
use crate::error::Error;
use crate::frame::YuvFrame;
use crate::render::{Compositor, CompositorOptions, RasterHandoff};
use crate::scene::Scene;

/// A running live stream. Dropping it stops it (as [`LiveStream::stop`], ignoring errors).
pub struct LiveStream {
    handle: LiveHandle,
    /// The stream's own RTMP listener (`LiveOptions::ingest`).
    ingest: Option<crate::input::IngestServer>,
    render: Option<JoinHandle<()>>,
    encode: Option<JoinHandle<Result<(), Error>>>,
}

impl std::fmt::Debug for LiveStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveStream").finish_non_exhaustive()
    }
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
        let mut copts = CompositorOptions::default()
            .with_quality(opts.quality)
            .with_threads(opts.threads);
        // A live stream never waits on a late video decoder more than half a frame: it shows
        // the previous picture again and counts it.
        copts.video_wait = Some(std::time::Duration::from_secs_f64(0.5 / scene.fps));
        // The inspector measures changed layers; the render thread's compositor takes the
        // rasters it made instead of drawing those layers again.
        let rasters = RasterHandoff::default();
        let mut comp = Compositor::new(copts.clone(), assets.clone());
        comp.share_rasters(rasters.clone());
        // Live inputs: the scene's, started now; the listener binds now (a taken port is an
        // error before anything goes out).
        let hub = opts.inputs.take().unwrap_or_default();
        hub.sync(&scene.inputs, assets.limits());
        let ingest = opts
            .ingest
            .take()
            .map(|o| crate::input::IngestServer::start(o, hub.clone()))
            .transpose()?;
        comp.set_inputs(Some(hub.clone()));
        comp.check_assets(&scene)?;
        // The same quality as the stream's: image rasters are made for it (bounds are not).
        let mut inspector = Compositor::new(
            CompositorOptions::default()
                .with_threads(1)
                .with_quality(opts.quality),
            assets.clone(),
        );
        inspector.share_rasters(rasters);
        inspector.check_assets(&scene)?;
        for t in &opts.outputs {
            t.check_codec(opts.video.codec)?;
        }
        let stage = if opts.outputs.is_empty() {
            None
        } else {
            let audio = opts.audio.map(|(codec, bitrate_kbps)| AudioSettings {
                codec,
                bitrate_kbps,
            });
            let mut ctx = EncoderContext::for_scene(&opts.video, audio, &scene, &assets)?;
            // Nor on a video layer's sound decoder (what is late stays silent).
            ctx.set_video_wait(Some(std::time::Duration::from_millis(20)));
            ctx.set_inputs(Some(hub.clone()));
            Some(ctx)
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
            applying: Mutex::new(()),
            audio: stage.as_ref().and_then(EncoderContext::audio_clips),
            assets: assets.clone(),
            codec: opts.video.codec,
            ran: Mutex::new(None),
            failed_layers: Mutex::new(Default::default()),
            inputs: hub.clone(),
        });
        // Scene time `t` is due at `start + t`: the inputs' clocks count from there.
        hub.set_epoch(shared.start);
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
            if !t.is_network() {
                // Files are open by now (network outputs say so when they connect).
                shared.emit(Event::OutputStarted {
                    output: t.to_string(),
                });
            }
        }
        Ok(LiveStream {
            handle,
            ingest,
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
        // Publishers are disconnected with the stream.
        self.ingest.take();
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
