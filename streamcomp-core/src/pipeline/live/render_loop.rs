//! The render thread: composes frame N at N/fps on the stream clock, converts it to I420 and
//! hands it to the encode thread; drops frames (counted) rather than queue them.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, SyncSender};
use std::time::{Duration, Instant};

use super::events::Event;
use super::shared::{Shared, lock};

use crate::frame::YuvFrame;
use crate::render::Compositor;
use crate::scene::Scene;

/// The render thread's ends of the frame channels: frames to encode, and frames coming back.
pub(super) type FrameChannels = (SyncSender<(u64, YuvFrame)>, Receiver<YuvFrame>);

/// Composes frames on the clock until stopped or the duration is over.
pub(super) fn render_loop(
    sh: &Shared,
    mut comp: Compositor,
    duration: Option<Duration>,
    encoder: Option<FrameChannels>,
) {
    let fps = lock(&sh.scene).fps;
    let total = duration.map(|d| (d.as_secs_f64() * fps).round() as u64);
    let mut scene = Arc::clone(&lock(&sh.scene));
    let mut version = sh.version.load(Ordering::Acquire);
    let mut n: u64 = 0;
    let mut ended: Vec<String> = Vec::new();
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
            // Inputs added, changed or removed start and stop with the change.
            sh.inputs.sync(&scene.inputs, sh.assets.limits());
        }
        for e in sh.inputs.take_events() {
            sh.emit(Event::Input {
                input: e.input,
                state: e.state,
                message: e.message,
            });
        }
        let t = n as f64 / fps;
        let current_scene: &Scene = &scene;
        let began = Instant::now();
        let rendered = comp.render(current_scene, t).map(|_| ());
        // Layers the compositor disabled because drawing them panicked.
        sh.counters
            .video_late
            .store(comp.late_video_frames(), Ordering::Relaxed);
        // Videos that ended with `on_end: "remove"` leave the scene (a frame later when a
        // change is being made right now).
        ended.extend(comp.take_ended_layers());
        ended.retain(|id| !sh.remove_ended(id));
        for failure in comp.take_failures() {
            sh.counters.restarts.fetch_add(1, Ordering::Relaxed);
            lock(&sh.failed_layers).insert(failure.layer.clone(), failure.message.clone());
            sh.emit(Event::LayerFailed {
                layer: failure.layer,
                message: failure.message,
            });
        }
        match rendered {
            Ok(()) => {
                // A no-op unless the program installed a `metrics` recorder (the server does).
                metrics::histogram!("streamcomp_frame_render_seconds")
                    .record(began.elapsed().as_secs_f64());
            }
            Err(e) => {
                // A broken asset or similar: report once per change, keep the clock.
                sh.fail(format!("rendering failed at {t:.3} s: {e}"));
                sh.counters.dropped.fetch_add(1, Ordering::Relaxed);
                n += 1;
                continue;
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
