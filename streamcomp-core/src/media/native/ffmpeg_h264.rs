//! H.264 decoding by an `ffmpeg` process fed by our own demuxer (feature `ffmpeg`): the
//! [`VideoDecoder`] `decoder: auto` uses for H.264 when the backend is on, because FFmpeg's
//! decoder is about 2.5 times faster than openh264 on one core (1080p: see the README's
//! benchmarks). Our demuxer keeps what the whole-FFmpeg path lacks: exact presentation times
//! (from [`PtsOrder`]: FFmpeg puts pictures out in display order), seeks to the exact picture,
//! and no probe of its own.
//!
//! Annex B packets go to `ffmpeg -f h264 -i pipe:0` through a writer thread; raw I420 pictures
//! come back through a reader thread. Both queues are bounded (8 packets, 2 pictures); while
//! the packet queue is full, `decode` takes the pictures that come (FFmpeg may be waiting for
//! that) and tries again every 2 ms, so nothing deadlocks and nothing grows. One decoding thread (`-threads 1`): a layer's source has one core's budget.

use std::ffi::OsString;
use std::io::Write;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use super::pts_order::PtsOrder;
use crate::frame::YuvFrame;
use crate::media::ffmpeg::Process;
use crate::media::{DecodedFrame, MediaError, Packet, TrackKind, VideoDecoder};

/// Packets queued for the writer.
const PACKETS: usize = 8;
/// Pictures queued by the reader (each up to a full picture of the file).
const PICTURES: usize = 2;
/// Most packets FFmpeg and the pipes between may hold before pictures come out.
const MAX_HELD: usize = 1024;
/// How often a full packet queue is looked at again (taking pictures meanwhile).
const POLL: Duration = Duration::from_millis(2);
/// Longest time without taking a packet or giving a picture: FFmpeg is stuck.
const STUCK: Duration = Duration::from_secs(30);

/// One running `ffmpeg` and its two threads' queues.
struct Running {
    /// `None` once the end of the stream was sent (stdin closed).
    packets: Option<SyncSender<Vec<u8>>>,
    pictures: Receiver<Result<YuvFrame, MediaError>>,
}

/// An `ffmpeg` process behind [`VideoDecoder`].
pub(crate) struct FfmpegH264 {
    name: String,
    width: u32,
    height: u32,
    running: Option<Running>,
    /// A packet went to the running process (a reset must start another).
    fed: bool,
    pts: PtsOrder,
}

impl FfmpegH264 {
    /// Starts `ffmpeg` for a `width`×`height` H.264 stream of the file `name` (a size already
    /// checked against the limits). Errs when the program cannot start.
    pub(crate) fn new(name: &str, width: u32, height: u32) -> Result<FfmpegH264, MediaError> {
        if width == 0 || height == 0 {
            return Err(MediaError::malformed(name, "H.264 picture of size 0"));
        }
        Ok(FfmpegH264 {
            name: name.to_string(),
            width,
            height,
            running: Some(start(name, width, height)?),
            fed: false,
            pts: PtsOrder::with_limit(MAX_HELD),
        })
    }

    fn running(&mut self) -> Result<&mut Running, MediaError> {
        if self.running.is_none() {
            self.running = Some(start(&self.name, self.width, self.height)?);
            self.fed = false;
        }
        Ok(self.running.as_mut().expect("started just above"))
    }

    /// Adds a picture that came out (or its error) to `out`.
    fn take(
        &mut self,
        got: Result<YuvFrame, MediaError>,
        out: &mut Vec<DecodedFrame>,
    ) -> Result<(), MediaError> {
        // A warm process was started for another file: its errors take this file's name.
        let picture = got.map_err(|e| match e {
            MediaError::Decode { detail, .. } => MediaError::decode(&self.name, detail),
            MediaError::Io { source, .. } => MediaError::io(&self.name, source),
            other => other,
        })?;
        let pts = self.pts.next();
        out.push(DecodedFrame { pts, picture });
        Ok(())
    }

    /// Takes every picture ready now.
    fn ready(&mut self, out: &mut Vec<DecodedFrame>) -> Result<(), MediaError> {
        loop {
            let got = match self.running()?.pictures.try_recv() {
                Ok(got) => got,
                Err(_) => return Ok(()),
            };
            self.take(got, out)?;
        }
    }
}

/// Processes started ahead, by picture size, at most [`WARM_MAX`]: FFmpeg takes about 60 ms to
/// start, two frames of a live stream, so a seek (which starts decoding afresh) or the next
/// item takes one of these and leaves another in its place.
static WARM: Mutex<Vec<((u32, u32), Running)>> = Mutex::new(Vec::new());
/// Most processes waiting in [`WARM`].
const WARM_MAX: usize = 4;

/// A running process for a `width`×`height` stream: a warm one when there is one (another
/// starts in its place), else a new one.
fn start(name: &str, width: u32, height: u32) -> Result<Running, MediaError> {
    let key = (width, height);
    let taken = {
        let mut warm = WARM.lock().unwrap_or_else(|e| e.into_inner());
        warm.iter()
            .position(|(k, _)| *k == key)
            .map(|i| warm.swap_remove(i).1)
    };
    let running = match taken {
        Some(r) => r,
        None => launch(name, width, height)?,
    };
    if let Ok(spare) = launch(name, width, height) {
        let mut warm = WARM.lock().unwrap_or_else(|e| e.into_inner());
        if warm.len() >= WARM_MAX {
            warm.remove(0); // the oldest goes (its process ends)
        }
        warm.push((key, spare));
    }
    Ok(running)
}

/// Starts the process and its writer and reader threads.
fn launch(name: &str, width: u32, height: u32) -> Result<Running, MediaError> {
    let args: Vec<OsString> = [
        "-threads",
        "1",
        // Parameter sets come first in every key frame: no need to look ahead (which would
        // hold pictures back until that many bytes were fed).
        "-probesize",
        "32",
        "-analyzeduration",
        "0",
        "-f",
        "h264",
        "-i",
        "pipe:0",
        "-map",
        "0:v:0",
        // Every picture once, as decoded (our demuxer knows the times).
        "-fps_mode",
        "passthrough",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "yuv420p",
        // The size the SPS states, whatever the stream does later.
        "-s",
    ]
    .iter()
    .map(OsString::from)
    .chain([OsString::from(format!("{width}x{height}")), "pipe:1".into()])
    .collect();
    let (mut process, mut stdin) = Process::start_fed(name, &args)?;
    let (packets, to_write) = sync_channel::<Vec<u8>>(PACKETS);
    let (give, pictures) = sync_channel(PICTURES);
    std::thread::Builder::new()
        .name("ffmpeg-h264-feed".into())
        .spawn(move || {
            for p in to_write {
                if stdin.write_all(&p).is_err() {
                    return; // ffmpeg has gone; the reader reports why
                }
            }
            // Dropping stdin is the end of the stream: ffmpeg flushes and exits.
        })
        .map_err(|e| MediaError::io(name, e))?;
    let file = name.to_string();
    std::thread::Builder::new()
        .name("ffmpeg-h264-read".into())
        .spawn(move || {
            loop {
                let msg = match process.read_picture(&file, width, height) {
                    Ok(Some(frame)) => Ok(frame),
                    Ok(None) => return, // the end: the channel closes
                    Err(e) => Err(e),
                };
                let failed = msg.is_err();
                if give.send(msg).is_err() || failed {
                    return; // nobody listens any more (or it broke): `process` is killed
                }
            }
        })
        .map_err(|e| MediaError::io(name, e))?;
    Ok(Running {
        packets: Some(packets),
        pictures,
    })
}

impl VideoDecoder for FfmpegH264 {
    fn decode(&mut self, packet: &Packet, out: &mut Vec<DecodedFrame>) -> Result<(), MediaError> {
        if packet.track != TrackKind::Video || packet.data.is_empty() {
            return Ok(());
        }
        self.pts.push(packet.pts);
        self.fed = true;
        let mut data = packet.data.clone();
        let mut waited = Duration::ZERO;
        loop {
            let run = self.running()?;
            let Some(tx) = &run.packets else {
                return Err(MediaError::decode(&self.name, "a packet after the end"));
            };
            match tx.try_send(data) {
                Ok(()) => break,
                Err(TrySendError::Full(back)) => {
                    data = back;
                    // The writer is behind: FFmpeg is reading (soon room), or it waits for us
                    // to take a picture. Take one if there is one, else look again shortly.
                    match run.pictures.recv_timeout(POLL) {
                        Ok(got) => {
                            waited = Duration::ZERO;
                            self.take(got, out)?;
                        }
                        Err(RecvTimeoutError::Timeout) => {
                            waited += POLL;
                            if waited >= STUCK {
                                self.running = None;
                                return Err(MediaError::decode(
                                    &self.name,
                                    "ffmpeg took no packet and gave no picture for 30 s",
                                ));
                            }
                        }
                        Err(RecvTimeoutError::Disconnected) => {
                            self.running = None;
                            return Err(MediaError::decode(&self.name, "ffmpeg stopped"));
                        }
                    }
                }
                Err(TrySendError::Disconnected(_)) => {
                    // The writer ended: ffmpeg is gone. Its reason comes with the pictures.
                    let run = self.running.take().expect("running");
                    for got in run.pictures.iter() {
                        self.take(got, out)?;
                    }
                    return Err(MediaError::decode(&self.name, "ffmpeg stopped"));
                }
            }
        }
        self.ready(out)
    }

    fn flush(&mut self, out: &mut Vec<DecodedFrame>) -> Result<(), MediaError> {
        let Some(mut run) = self.running.take() else {
            return Ok(());
        };
        run.packets = None; // the writer closes stdin after what it holds
        for got in run.pictures.iter() {
            self.take(got, out)?;
        }
        self.pts.clear_pending();
        Ok(())
    }

    fn reset(&mut self) -> Result<(), MediaError> {
        // Dropping the queues ends both threads and kills the process; another starts now (it
        // takes FFmpeg about 60 ms to start, while the demuxer finds the key frame). A reader
        // opened then sought at once keeps the process it started with.
        if self.fed || self.running.is_none() {
            self.running = None;
            self.running = Some(start(&self.name, self.width, self.height)?);
            self.fed = false;
        }
        self.pts.reset();
        Ok(())
    }
}
