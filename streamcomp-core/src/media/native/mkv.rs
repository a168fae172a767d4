//! Matroska/WebM demuxer on `matroska-demuxer`, behind [`Demuxer`].
//!
//! Matroska stores presentation times only (blocks are in decode order); H.264 blocks are
//! length-prefixed with the track's `CodecPrivate` as the `avcC` record, and come out in Annex B
//! with the parameter sets before every key frame. The duration is the end of the last picture,
//! found by reading the file through (files over 256 MiB take the header's `Duration`).
//! Seeking reads from the start (the crate's cue-based seek is wrong for files with
//! `CueRelativePosition`, which ffmpeg writes) up to the key frame, found in the index of key
//! frames made while reading the file through at open (or by a first pass when it was not):
//! linear in the file's size.
//! Library calls run under `catch_unwind` (`guarded`): a panic is a [`MediaError::Malformed`].

use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use matroska_demuxer::{Frame, MatroskaFile, TrackType};

use super::StreamInfo;
use super::avcc::{self, AvcConfig};
use super::fuel::Fuel;
use super::h264::SpsError;
use crate::limits::Limits;
use crate::media::{
    AudioCodecId, Demuxer, MediaError, NANOS_PER_SECOND, Nanos, Packet, TrackKind, VideoCodecId,
};

/// The Matroska demuxer.
pub(crate) struct MkvDemuxer {
    mkv: MatroskaFile<Fuel<BufReader<File>>>,
    /// The budget of reader calls for the next library call.
    fuel: Arc<AtomicU64>,
    /// The file, to read again from the start.
    base: File,
    /// Frames (all tracks) read since the start of the file.
    read: u64,
    name: String,
    limits: Limits,
    /// Nanoseconds per timestamp tick.
    scale: u64,
    video_track: u64,
    audio_track: Option<u64>,
    avc: Option<AvcConfig>,
    /// One picture's duration, when the track states it.
    frame_duration: Nanos,
    /// After a seek: video frames are dropped until a key frame.
    skip_to_key: bool,
    /// Every video key frame as (time, frames read before it), when the file was read
    /// through at open.
    keys: Vec<(Nanos, u64)>,
    frame: Frame,
}

/// Files larger than this take the header's duration instead of being read through.
const SCAN_BYTES: u64 = 256 << 20;

/// Reader calls one `next_frame` may make (a loop past this is a malformed file).
const FRAME_FUEL: u64 = 1 << 20;

/// The library's demuxer with its reader, on the file from its start.
type Opened = (MatroskaFile<Fuel<BufReader<File>>>, Arc<AtomicU64>);

/// Opens the library's demuxer on the file from its start.
fn open_at_start(base: &File, name: &str) -> Result<Opened, MediaError> {
    let mut file = base.try_clone().map_err(|e| MediaError::io(name, e))?;
    let len = file.metadata().map_err(|e| MediaError::io(name, e))?.len();
    file.seek(SeekFrom::Start(0))
        .map_err(|e| MediaError::io(name, e))?;
    let (reader, fuel) = Fuel::new(BufReader::new(file), FRAME_FUEL + len / 4);
    match super::guarded(|| MatroskaFile::open(reader)) {
        Ok(Ok(m)) => Ok((m, fuel)),
        Ok(Err(e)) => Err(MediaError::malformed(name, format!("matroska: {e}"))),
        Err(_) => Err(MediaError::malformed(name, "matroska: malformed headers")),
    }
}

/// Turns a `SpsError` into a media error.
fn sps_error(name: &str, e: SpsError) -> MediaError {
    match e {
        SpsError::Malformed(d) => MediaError::malformed(name, d),
        SpsError::TooLarge(d) => MediaError::too_large(name, d),
    }
}

/// Whether an H.264 length-prefixed sample holds an IDR slice.
fn has_idr(sample: &[u8], length_size: usize) -> bool {
    let mut pos = 0;
    while let Some(len) = sample.get(pos..pos + length_size) {
        let len = len.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b));
        pos += length_size;
        if sample.get(pos).is_some_and(|h| h & 0x1f == 5) {
            return true;
        }
        pos = pos.saturating_add(len);
    }
    false
}

impl MkvDemuxer {
    /// Opens a Matroska/WebM file: reads its tracks and where its pictures end.
    pub(crate) fn open(
        file: File,
        len: u64,
        name: &str,
        limits: &Limits,
    ) -> Result<(MkvDemuxer, StreamInfo), MediaError> {
        let base = file;
        let (mkv, fuel) = open_at_start(&base, name)?;
        let doc = mkv.ebml_header().doc_type().to_string();
        let mut info = StreamInfo::new(if doc == "webm" { "webm" } else { "matroska" });
        let scale = mkv.info().timestamp_scale().get();
        let header_duration = mkv.info().duration();
        let mut video_track = None;
        let mut audio_track = None;
        let mut avc = None;
        let mut frame_duration = 0;
        for t in mkv.tracks() {
            match t.track_type() {
                TrackType::Video if video_track.is_none() => {
                    video_track = Some(t.track_number().get());
                    let codec = match t.codec_id() {
                        "V_MPEG4/ISO/AVC" => VideoCodecId::H264,
                        "V_MPEGH/ISO/HEVC" => VideoCodecId::Hevc,
                        "V_AV1" => VideoCodecId::Av1,
                        "V_VP9" => VideoCodecId::Vp9,
                        "V_VP8" => VideoCodecId::Vp8,
                        other => VideoCodecId::Other(other.to_string()),
                    };
                    if let Some(v) = t.video() {
                        info.width = u32::try_from(v.pixel_width().get()).unwrap_or(u32::MAX);
                        info.height = u32::try_from(v.pixel_height().get()).unwrap_or(u32::MAX);
                    }
                    if let Some(d) = t.default_duration() {
                        frame_duration = i64::try_from(d.get()).unwrap_or(0);
                        if frame_duration > 0 {
                            info.fps = NANOS_PER_SECOND as f64 / frame_duration as f64;
                        }
                    }
                    if codec == VideoCodecId::H264 {
                        let rec = t.codec_private().unwrap_or(&[]);
                        let cfg = avcc::parse_avcc(rec, limits).map_err(|e| sps_error(name, e))?;
                        info.sps = Some(cfg.sps.clone());
                        avc = Some(cfg);
                    }
                    if codec == VideoCodecId::Av1 {
                        let rec = t.codec_private().unwrap_or(&[]);
                        let cfg = super::av1::parse_av1c(rec)
                            .map_err(|e| MediaError::malformed(name, e))?;
                        info.av1 = Some(cfg);
                    }
                    info.video = Some(codec);
                }
                TrackType::Audio if audio_track.is_none() => {
                    audio_track = Some(t.track_number().get());
                    info.audio = Some(match t.codec_id() {
                        "A_AAC" => AudioCodecId::Aac,
                        "A_OPUS" => AudioCodecId::Opus,
                        "A_MPEG/L3" => AudioCodecId::Mp3,
                        "A_FLAC" => AudioCodecId::Flac,
                        "A_VORBIS" => AudioCodecId::Vorbis,
                        c if c.starts_with("A_PCM") => AudioCodecId::Pcm,
                        c if c.starts_with("A_AAC") => AudioCodecId::Aac,
                        c => AudioCodecId::Other(c.to_string()),
                    });
                    if let Some(a) = t.audio() {
                        let rate = a.sampling_frequency();
                        info.sample_rate = if rate.is_finite() && rate > 0.0 {
                            rate.min(f64::from(u32::MAX)) as u32
                        } else {
                            0
                        };
                        info.channels = u16::try_from(a.channels().get()).unwrap_or(u16::MAX);
                    }
                }
                _ => {}
            }
        }
        let Some(video_track) = video_track else {
            return Err(MediaError::unsupported(name, "no video track"));
        };
        let mut d = MkvDemuxer {
            mkv,
            fuel,
            base,
            read: 0,
            name: name.to_string(),
            limits: limits.clone(),
            scale,
            video_track,
            audio_track,
            avc,
            frame_duration,
            skip_to_key: false,
            keys: Vec::new(),
            frame: Frame::default(),
        };
        if matches!(info.video, Some(VideoCodecId::H264 | VideoCodecId::Av1)) {
            let (end, reordered) = d.find_end(header_duration, len)?;
            info.duration = end;
            if reordered {
                info.notes.push("B-frames".into());
            }
            d.rewind()?;
        }
        Ok((d, info))
    }

    /// Nanoseconds of a tick count.
    fn ns(&self, ticks: u64) -> Nanos {
        i64::try_from(u128::from(ticks) * u128::from(self.scale)).unwrap_or(i64::MAX)
    }

    /// Reads the file again from its start.
    fn rewind(&mut self) -> Result<(), MediaError> {
        (self.mkv, self.fuel) = open_at_start(&self.base, &self.name)?;
        self.read = 0;
        Ok(())
    }

    /// The next frame of the file (any track) into `self.frame`; `false` at the end.
    fn read_frame(&mut self) -> Result<bool, MediaError> {
        let frame = &mut self.frame;
        frame.duration = None;
        self.fuel.store(FRAME_FUEL, Ordering::Relaxed);
        match super::guarded(|| self.mkv.next_frame(frame)) {
            Ok(Ok(more)) => {
                self.read += u64::from(more);
                Ok(more)
            }
            Ok(Err(e)) => Err(MediaError::malformed(&self.name, format!("matroska: {e}"))),
            Err(_) => Err(MediaError::malformed(
                &self.name,
                "matroska: malformed block",
            )),
        }
    }

    /// Whether the current frame is a video key frame.
    fn is_key(&self) -> bool {
        self.frame.is_keyframe.unwrap_or_else(|| {
            self.avc
                .as_ref()
                .is_some_and(|c| has_idr(&self.frame.data, c.length_size))
        })
    }

    /// The end of the last picture: the file is read through (up to [`SCAN_BYTES`]; a larger
    /// file with a header `Duration` takes that), indexing the key frames on the way.
    /// Also tells whether pictures are stored out of display order (B-frames).
    fn find_end(
        &mut self,
        header_duration: Option<f64>,
        len: u64,
    ) -> Result<(Nanos, bool), MediaError> {
        if len > SCAN_BYTES
            && let Some(d) = header_duration.filter(|d| d.is_finite() && *d > 0.0)
        {
            return Ok(((d * self.scale as f64).min(i64::MAX as f64) as Nanos, false));
        }
        let mut reordered = false;
        let (mut end, mut last, mut prev_delta) = (0, None::<Nanos>, 0);
        while self.read_frame()? {
            if self.frame.track != self.video_track {
                continue;
            }
            let pts = self.ns(self.frame.timestamp);
            if let Some(l) = last {
                if pts > l {
                    prev_delta = pts - l;
                } else {
                    reordered = true;
                }
            }
            last = Some(last.map_or(pts, |l: Nanos| l.max(pts)));
            if self.is_key() && (self.keys.len() as u64) < self.limits.max_video_samples {
                self.keys.push((pts, self.read - 1));
            }
            let dur = if self.frame_duration > 0 {
                self.frame_duration
            } else {
                prev_delta
            };
            end = end.max(pts.saturating_add(dur));
        }
        Ok((end, reordered))
    }
}

impl Demuxer for MkvDemuxer {
    fn next_packet(&mut self) -> Result<Option<Packet>, MediaError> {
        loop {
            if !self.read_frame()? {
                return Ok(None);
            }
            let track = if self.frame.track == self.video_track {
                TrackKind::Video
            } else if Some(self.frame.track) == self.audio_track {
                TrackKind::Audio
            } else {
                continue;
            };
            if self.frame.data.len() as u64 > self.limits.max_video_packet_bytes {
                return Err(MediaError::too_large(
                    &self.name,
                    format!(
                        "a {}-byte block exceeds the packet limit of {} bytes",
                        self.frame.data.len(),
                        self.limits.max_video_packet_bytes
                    ),
                ));
            }
            let keyframe = track == TrackKind::Video && self.is_key();
            if track == TrackKind::Video && self.skip_to_key {
                if !keyframe {
                    continue;
                }
                self.skip_to_key = false;
            }
            let pts = self.ns(self.frame.timestamp);
            let data = match (&self.avc, track) {
                (Some(cfg), TrackKind::Video) => {
                    let mut out = Vec::new();
                    avcc::avcc_to_annexb(&self.frame.data, cfg, keyframe, &self.limits, &mut out)
                        .map_err(|e| sps_error(&self.name, e))?;
                    out
                }
                _ => std::mem::take(&mut self.frame.data),
            };
            let duration = match (self.frame.duration, track) {
                (Some(d), _) => self.ns(d),
                (None, TrackKind::Video) => self.frame_duration,
                _ => 0,
            };
            return Ok(Some(Packet {
                track,
                pts,
                dts: pts,
                duration,
                keyframe: keyframe || track == TrackKind::Audio,
                data,
            }));
        }
    }

    fn seek(&mut self, t: Nanos) -> Result<(), MediaError> {
        // matroska-demuxer 0.8.1 adds a cue's CueRelativePosition to the first cluster, not
        // to the cue's own: its seek lands in the wrong place in files ffmpeg writes. So: read
        // from the start to find the last key frame at or before t (its position as a count
        // of frames), then read again up to it.
        let mut key = None;
        if !self.keys.is_empty() {
            // The index made at open: one pass.
            key = self
                .keys
                .iter()
                .rev()
                .find(|k| k.0 <= t)
                .or(self.keys.first())
                .map(|k| k.1);
        }
        self.rewind()?;
        while key.is_none() && self.read_frame()? {
            if self.frame.track != self.video_track {
                continue;
            }
            let pts = self.ns(self.frame.timestamp);
            if self.is_key() && (pts <= t || key.is_none()) {
                key = Some(self.read - 1);
            }
            if pts > t && key.is_some() && self.is_key() {
                break;
            }
        }
        if self.read > 0 {
            self.rewind()?;
        }
        let skip = key.unwrap_or(0);
        while self.read < skip {
            if !self.read_frame()? {
                break;
            }
        }
        self.skip_to_key = true;
        Ok(())
    }
}
