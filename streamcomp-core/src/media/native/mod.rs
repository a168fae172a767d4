//! The native path: MP4/MOV (also fragmented), Matroska/WebM and FLV demuxers, H.264
//! through openh264 and AV1 through rav1d, behind [`FrameReader`](super::FrameReader).
//!
//! Layout:
//! - `mp4.rs`, `mkv.rs`, `flv.rs`: the demuxers ([`Demuxer`]); each describes what it found
//!   in a [`StreamInfo`].
//! - `h264.rs`: the SPS reader and the routing rule (what openh264 can decode).
//! - `avcc.rs`: `avcC` records and length-prefixed samples to Annex B.
//! - `openh264_dec.rs`: the [`VideoDecoder`] over openh264; `ffmpeg_h264.rs` (feature
//!   `ffmpeg`): the faster one `auto` picks, an `ffmpeg` process fed our packets;
//!   `pts_order.rs`: presentation times for decoders that drop them.
//! - `av1.rs`: the `av1C` record and the routing rule for AV1; `rav1d_dec.rs`: the
//!   [`VideoDecoder`] over rav1d.
//! - `fuel.rs`: a reader with a budget of calls, so a looping third-party parser errs.
//! - `fuzzing.rs`: entry points for the fuzz targets (feature `fuzzing`).
//!
//! The container is told by its first bytes, never by the file's extension.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::{
    AudioCodecId, DecodedFrame, Demuxer, FrameReader, MediaError, MediaInfo, Nanos, VideoCodecId,
    VideoDecoder, secs_from_nanos,
};
use crate::frame::scale::YuvColor;
use crate::limits::Limits;

mod av1;
mod avcc;
#[cfg(feature = "ffmpeg")]
mod ffmpeg_h264;
mod flv;
pub(crate) use avcc::{AvcConfig, avcc_to_annexb, parse_avcc};
pub(crate) use flv::{AudioTag, VideoTag, aac_config, parse_audio_tag, parse_video_tag};
pub(crate) use openh264_dec::OpenH264Decoder;
mod fuel;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod h264;
mod mkv;
mod mp4;
mod openh264_dec;
mod pts_order;
mod rav1d_dec;
#[cfg(test)]
mod tests;

thread_local! {
    /// Set while a third-party demuxer runs under [`guarded`] (the fuzz targets' panic hook
    /// lets such panics unwind to it instead of aborting).
    static IN_GUARD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs a third-party parser with its panics caught: `Err` when it panicked (a malformed file
/// it did not check).
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, ()> {
    let was = IN_GUARD.with(|g| g.replace(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_GUARD.with(|g| g.set(was));
    r.map_err(|_| ())
}

/// Whether a [`guarded`] call is running on this thread.
#[cfg(feature = "fuzzing")]
pub(crate) fn in_guard() -> bool {
    IN_GUARD.with(|g| g.get())
}

/// What a demuxer learnt about a file when it opened it.
#[derive(Clone, Debug, Default)]
pub(crate) struct StreamInfo {
    /// `mp4`, `mov`, `matroska`, `webm`, `flv`.
    pub(crate) container: String,
    /// The first video track's codec.
    pub(crate) video: Option<VideoCodecId>,
    /// The picture size the container states.
    pub(crate) width: u32,
    /// The picture height the container states.
    pub(crate) height: u32,
    /// Frames per second (0 when unknown).
    pub(crate) fps: f64,
    /// The end of the last picture, presentation time.
    pub(crate) duration: Nanos,
    /// The first sound track's codec.
    pub(crate) audio: Option<AudioCodecId>,
    /// Its sample rate, Hz.
    pub(crate) sample_rate: u32,
    /// Its channels.
    pub(crate) channels: u16,
    /// Things worth knowing.
    pub(crate) notes: Vec<String>,
    /// The H.264 SPS, for H.264 video.
    pub(crate) sps: Option<h264::Sps>,
    /// The AV1 configuration record, for AV1 video.
    pub(crate) av1: Option<av1::Av1Config>,
}

impl StreamInfo {
    /// An empty description of a file of this container.
    pub(crate) fn new(container: &str) -> StreamInfo {
        StreamInfo {
            container: container.to_string(),
            ..StreamInfo::default()
        }
    }
}

/// The containers the native path reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Container {
    /// ISO BMFF: MP4, MOV, fragmented MP4.
    Mp4,
    /// Matroska or WebM.
    Matroska,
    /// Flash Video.
    Flv,
}

/// The container of a file, from its first bytes.
pub(crate) fn sniff(head: &[u8]) -> Option<Container> {
    if head.starts_with(&[0x1a, 0x45, 0xdf, 0xa3]) {
        return Some(Container::Matroska);
    }
    if head.starts_with(b"FLV") {
        return Some(Container::Flv);
    }
    match head.get(4..8) {
        Some(
            b"ftyp" | b"moov" | b"mdat" | b"free" | b"skip" | b"wide" | b"styp" | b"moof" | b"pnot"
            | b"uuid",
        ) => Some(Container::Mp4),
        _ => None,
    }
}

/// Opens the file's demuxer and reads what it holds.
fn open_demuxer(
    path: &Path,
    name: &str,
    limits: &Limits,
) -> Result<(Box<dyn Demuxer>, StreamInfo), MediaError> {
    let mut file = File::open(path).map_err(|e| MediaError::io(name, e))?;
    let len = file.metadata().map_err(|e| MediaError::io(name, e))?.len();
    let mut head = [0u8; 16];
    let mut got = 0;
    while got < head.len() {
        match file.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(MediaError::io(name, e)),
        }
    }
    match sniff(&head[..got]) {
        Some(Container::Mp4) => {
            let (d, i) = mp4::Mp4Demuxer::open(file, len, name, limits)?;
            Ok((Box::new(d), i))
        }
        Some(Container::Matroska) => {
            let (d, i) = mkv::MkvDemuxer::open(file, len, name, limits)?;
            Ok((Box::new(d), i))
        }
        Some(Container::Flv) => {
            let (d, i) = flv::FlvDemuxer::open(file, len, name, limits)?;
            Ok((Box::new(d), i))
        }
        None => Err(MediaError::unsupported(name, "unknown container")),
    }
}

/// The [`MediaInfo`] of a file the native path would play, or why it cannot.
fn describe(s: StreamInfo, name: &str, limits: &Limits) -> Result<MediaInfo, MediaError> {
    let Some(codec) = s.video.clone() else {
        return Err(MediaError::unsupported(name, "no video track"));
    };
    let (width, height, mut fps, color) = match codec {
        VideoCodecId::H264 => {
            let Some(sps) = &s.sps else {
                return Err(MediaError::malformed(
                    name,
                    "H.264 track without parameter sets",
                ));
            };
            h264::route(sps).map_err(|d| MediaError::unsupported(name, d))?;
            let c = YuvColor::coded(sps.height, sps.matrix.map(u32::from), sps.full_range);
            (sps.width, sps.height, sps.fps.unwrap_or(0.0), c)
        }
        VideoCodecId::Hevc => {
            return Err(MediaError::unsupported(
                name,
                "HEVC needs the ffmpeg backend",
            ));
        }
        VideoCodecId::Av1 => {
            let Some(cfg) = &s.av1 else {
                return Err(MediaError::malformed(
                    name,
                    "AV1 track without its configuration record",
                ));
            };
            av1::route(cfg).map_err(|d| MediaError::unsupported(name, d))?;
            let seq = cfg.header;
            let (w, h) = match seq {
                Some(q) if s.width == 0 || s.height == 0 => (q.max_width, q.max_height),
                _ => (s.width, s.height),
            };
            let c = YuvColor::coded(h, seq.map(|q| q.matrix), seq.is_some_and(|q| q.full_range));
            limits
                .check_video_size(u64::from(w), u64::from(h))
                .map_err(|d| MediaError::too_large(name, d))?;
            (w, h, 0.0, c)
        }
        VideoCodecId::Vp9 => {
            return Err(MediaError::unsupported(
                name,
                "VP9 needs the ffmpeg backend",
            ));
        }
        VideoCodecId::Vp8 => {
            return Err(MediaError::unsupported(
                name,
                "VP8 needs the ffmpeg backend",
            ));
        }
        VideoCodecId::Other(c) => {
            return Err(MediaError::unsupported(
                name,
                format!("video codec {c} needs the ffmpeg backend"),
            ));
        }
    };
    if s.fps > 0.0 {
        fps = s.fps;
    }
    limits
        .check_video_seconds(secs_from_nanos(s.duration), "video")
        .map_err(|d| MediaError::too_large(name, d))?;
    let decoder = match codec {
        VideoCodecId::Av1 => "rav1d",
        _ => "openh264",
    };
    Ok(MediaInfo {
        container: s.container,
        video: Some(codec),
        width,
        height,
        fps,
        duration: s.duration,
        audio: s.audio,
        sample_rate: s.sample_rate,
        channels: s.channels,
        decoder: decoder.into(),
        notes: s.notes,
        color,
    })
}

/// What the native path would decode in the file, or why it cannot.
pub(crate) fn probe(path: &Path, name: &str, limits: &Limits) -> Result<MediaInfo, MediaError> {
    let (_, info) = open_demuxer(path, name, limits)?;
    describe(info, name, limits)
}

/// Consecutive broken packets after which decoding gives up.
const MAX_DECODE_ERRORS: u32 = 30;

/// A demuxer and a decoder reading one file.
pub(crate) struct NativeReader {
    name: String,
    demuxer: Box<dyn Demuxer>,
    decoder: Box<dyn VideoDecoder>,
    /// Pictures decoded and not yet returned, display order.
    ready: VecDeque<DecodedFrame>,
    /// Scratch for the decoder's output.
    out: Vec<DecodedFrame>,
    /// After a seek: the target time, until the picture on screen then has been found.
    target: Option<Nanos>,
    /// After a seek: the last picture so far with `pts <= target`.
    held: Option<DecodedFrame>,
    /// The demuxer has no more packets and the decoder was drained.
    eof: bool,
    /// Broken packets in a row.
    errors: u32,
}

/// Whether openh264 decodes the H.264 an `avcC` describes (8-bit 4:2:0 progressive), or why not.
pub(crate) fn route_h264(cfg: &AvcConfig) -> Result<(), String> {
    h264::route(&cfg.sps)
}

/// An AV1 decoder (rav1d) for a live input `name`.
pub(crate) fn rav1d_decoder(name: &str, limits: &Limits) -> Result<Box<dyn VideoDecoder>, String> {
    rav1d_dec::Rav1dDecoder::new(name, limits)
        .map(|d| Box::new(d) as Box<dyn VideoDecoder>)
        .map_err(|e| e.to_string())
}

/// Opens the file for reading pictures with `decoder` (a [`MediaInfo::decoder`] name of this
/// path: `openh264`, `ffmpeg-h264`, `rav1d`; anything else is the file's own).
pub(crate) fn open(
    path: &Path,
    name: &str,
    limits: &Limits,
    decoder: &str,
) -> Result<NativeReader, MediaError> {
    let (demuxer, s) = open_demuxer(path, name, limits)?;
    let info = describe(s, name, limits)?;
    let decoder: Box<dyn VideoDecoder> = match (&info.video, decoder) {
        (Some(VideoCodecId::Av1), _) => Box::new(rav1d_dec::Rav1dDecoder::new(name, limits)?),
        #[cfg(feature = "ffmpeg")]
        (Some(VideoCodecId::H264), "ffmpeg-h264") => {
            match ffmpeg_h264::FfmpegH264::new(name, info.width, info.height) {
                Ok(d) => Box::new(d),
                Err(e) => {
                    tracing::warn!(
                        file = name,
                        "FFmpeg's H.264 decoder did not start ({e}); openh264 decodes"
                    );
                    Box::new(openh264_dec::OpenH264Decoder::new(name, limits)?)
                }
            }
        }
        _ => Box::new(openh264_dec::OpenH264Decoder::new(name, limits)?),
    };
    Ok(NativeReader {
        name: name.to_string(),
        demuxer,
        decoder,
        ready: VecDeque::new(),
        out: Vec::new(),
        // Pictures before media time 0 (an edit list's cut) decode but do not show.
        target: Some(0),
        held: None,
        eof: false,
        errors: 0,
    })
}

impl NativeReader {
    /// Decodes packets until pictures are ready or the stream ends.
    fn fill(&mut self) -> Result<(), MediaError> {
        while self.ready.is_empty() && !self.eof {
            match self.demuxer.next_packet()? {
                None => {
                    self.decoder.flush(&mut self.out)?;
                    self.eof = true;
                }
                Some(p) if p.track == super::TrackKind::Video => {
                    match self.decoder.decode(&p, &mut self.out) {
                        Ok(()) => self.errors = 0,
                        Err(e @ MediaError::Decode { .. }) => {
                            self.errors += 1;
                            tracing::debug!(file = %self.name, error = %e, "broken video packet");
                            if self.errors >= MAX_DECODE_ERRORS {
                                return Err(e);
                            }
                        }
                        Err(e) => return Err(e),
                    }
                }
                Some(_) => {} // sound is decoded elsewhere
            }
            self.ready.extend(self.out.drain(..));
        }
        Ok(())
    }
}

impl FrameReader for NativeReader {
    fn seek(&mut self, t: Nanos) -> Result<(), MediaError> {
        self.demuxer.seek(t)?;
        self.decoder.reset()?;
        self.ready.clear();
        self.out.clear();
        self.held = None;
        self.eof = false;
        self.errors = 0;
        self.target = Some(t);
        Ok(())
    }

    fn next_frame(&mut self) -> Result<Option<DecodedFrame>, MediaError> {
        loop {
            self.fill()?;
            let Some(f) = self.ready.pop_front() else {
                // The end: after a seek past the last picture, that picture is on screen.
                self.target = None;
                return Ok(self.held.take());
            };
            let Some(t) = self.target else {
                return Ok(Some(f));
            };
            if f.pts <= t {
                self.held = Some(f);
                continue;
            }
            self.target = None;
            return Ok(Some(match self.held.take() {
                Some(h) => {
                    self.ready.push_front(f);
                    h
                }
                None => f,
            }));
        }
    }
}
