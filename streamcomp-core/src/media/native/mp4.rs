//! MP4/MOV demuxer (progressive and fragmented) on `re_mp4`, behind [`Demuxer`].
//!
//! Before `re_mp4` reads anything, a walk over the box headers ([`prescan`]) checks the sample
//! counts it would index against [`Limits::max_video_samples`] (and, for tables of one fixed
//! sample size, against the file's size), so a hostile `stsz` cannot make it build billions of
//! samples. `re_mp4` runs under `catch_unwind` (`guarded`): a panic on a malformed table is a
//! [`MediaError::Malformed`].
//!
//! Times: `re_mp4` shifts a progressive track's samples so that its smallest composition time is
//! 0 (fragments are left as stored). The edit list is applied here on the stored times: leading
//! empty edits delay the track, the first non-empty edit's `media_time` is cut from the start
//! (pictures before it decode but show at negative times). H.264 samples come out in Annex B
//! with the `avcC` parameter sets before every sync sample.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

use re_mp4::{Mp4, StsdBoxContent};

use super::StreamInfo;
use super::avcc::{self, AvcConfig};
use super::fuel::Fuel;
use super::h264::SpsError;
use crate::limits::Limits;
use crate::media::{
    AudioCodecId, Demuxer, MediaError, Nanos, Packet, TrackKind, VideoCodecId, nanos_from_ticks,
};

/// One sample of the merged (file order) index.
#[derive(Clone, Copy, Debug)]
struct Entry {
    track: TrackKind,
    offset: u64,
    size: u64,
    pts: Nanos,
    dts: Nanos,
    duration: Nanos,
    keyframe: bool,
}

/// The MP4 demuxer: an index of every video and audio sample in file order.
pub(crate) struct Mp4Demuxer {
    file: File,
    file_len: u64,
    name: String,
    limits: Limits,
    entries: Vec<Entry>,
    next: usize,
    avc: Option<AvcConfig>,
    scratch: Vec<u8>,
}

/// Box walk limits: nesting depth and the boxes looked at.
const MAX_DEPTH: usize = 8;

/// What the box headers declare, read before `re_mp4` parses anything.
#[derive(Default, Debug)]
struct Counts {
    /// Sample counts `re_mp4` would index.
    samples: u64,
    /// Bytes of the top-level boxes `re_mp4` parses (all but `mdat`, `free`, `skip`).
    meta_bytes: u64,
}

/// Reads a box header at `pos` (within `end`): `(payload start, box end, type)`.
fn box_header<R: Read + Seek>(
    r: &mut R,
    pos: u64,
    end: u64,
) -> std::io::Result<Option<(u64, u64, [u8; 4])>> {
    if end.saturating_sub(pos) < 8 {
        return Ok(None);
    }
    r.seek(SeekFrom::Start(pos))?;
    let mut h = [0u8; 8];
    r.read_exact(&mut h)?;
    let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let kind = [h[4], h[5], h[6], h[7]];
    let (start, size) = match size32 {
        0 => (pos + 8, end - pos),
        1 => {
            let mut b = [0u8; 8];
            r.read_exact(&mut b)?;
            (pos + 16, u64::from_be_bytes(b))
        }
        s => (pos + 8, u64::from(s)),
    };
    if size < start - pos || pos.saturating_add(size) > end {
        return Ok(None);
    }
    Ok(Some((start, pos + size, kind)))
}

/// Walks the boxes in `pos..end`, adding up what `stsz` and `trun` boxes declare.
fn walk<R: Read + Seek>(
    r: &mut R,
    mut pos: u64,
    end: u64,
    depth: usize,
    file_len: u64,
    counts: &mut Counts,
) -> std::io::Result<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    while let Some((start, box_end, kind)) = box_header(r, pos, end)? {
        match &kind {
            b"moov" | b"trak" | b"mdia" | b"minf" | b"stbl" | b"moof" | b"traf" => {
                walk(r, start, box_end, depth + 1, file_len, counts)?;
            }
            b"stsz" if box_end - start >= 12 => {
                let mut b = [0u8; 12];
                r.read_exact(&mut b)?;
                let sample_size = u64::from(u32::from_be_bytes([b[4], b[5], b[6], b[7]]));
                let count = u64::from(u32::from_be_bytes([b[8], b[9], b[10], b[11]]));
                if sample_size != 0 && count.saturating_mul(sample_size) > file_len {
                    // Samples of a fixed size that cannot all be in the file.
                    counts.samples = u64::MAX;
                }
                counts.samples = counts.samples.saturating_add(count);
            }
            b"trun" if box_end - start >= 8 => {
                let mut b = [0u8; 8];
                r.read_exact(&mut b)?;
                let count = u64::from(u32::from_be_bytes([b[4], b[5], b[6], b[7]]));
                counts.samples = counts.samples.saturating_add(count);
            }
            _ => {}
        }
        pos = box_end;
    }
    Ok(())
}

/// Checks what the file's boxes declare against the limits, before `re_mp4` indexes them;
/// returns the bytes of the boxes it will parse.
fn prescan(file: &mut File, len: u64, name: &str, limits: &Limits) -> Result<u64, MediaError> {
    let mut counts = Counts::default();
    let mut r = BufReader::with_capacity(4096, &mut *file);
    let mut pos = 0;
    let io = |e| MediaError::io(name, e);
    while let Some((start, end, kind)) = box_header(&mut r, pos, len).map_err(io)? {
        if !matches!(&kind, b"mdat" | b"free" | b"skip") {
            counts.meta_bytes += end - pos;
        }
        if matches!(&kind, b"moov" | b"moof") {
            walk(&mut r, start, end, 1, len, &mut counts).map_err(io)?;
        }
        pos = end;
    }
    if counts.samples > limits.max_video_samples {
        return Err(MediaError::too_large(
            name,
            if counts.samples == u64::MAX {
                format!("stsz declares more samples than a {len}-byte file holds")
            } else {
                format!(
                    "{} samples exceeds the limit of {}",
                    counts.samples, limits.max_video_samples
                )
            },
        ));
    }
    Ok(counts.meta_bytes)
}

/// A track's edit list as `(delay in movie ticks, start offset in track ticks, segments)`.
fn edit_list(trak: &re_mp4::TrakBox) -> (u64, i64, usize) {
    let Some(elst) = trak.edts.as_ref().and_then(|e| e.elst.as_ref()) else {
        return (0, 0, 0);
    };
    let mut delay = 0u64;
    for e in &elst.entries {
        if e.media_time == u64::from(u32::MAX) || e.media_time == u64::MAX {
            delay = delay.saturating_add(e.segment_duration);
        } else {
            return (
                delay,
                i64::try_from(e.media_time).unwrap_or(0),
                elst.entries.len(),
            );
        }
    }
    (delay, 0, elst.entries.len())
}

/// Turns a `SpsError` from the `avcC` into a media error.
fn sps_error(name: &str, e: SpsError) -> MediaError {
    match e {
        SpsError::Malformed(d) => MediaError::malformed(name, d),
        SpsError::TooLarge(d) => MediaError::too_large(name, d),
    }
}

impl Mp4Demuxer {
    /// Opens an MP4/MOV file: checks, indexes and describes it.
    pub(crate) fn open(
        mut file: File,
        len: u64,
        name: &str,
        limits: &Limits,
    ) -> Result<(Mp4Demuxer, StreamInfo), MediaError> {
        let meta_bytes = prescan(&mut file, len, name, limits)?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| MediaError::io(name, e))?;
        let mp4 = {
            let (reader, _) = Fuel::new(
                BufReader::new(&mut file),
                4096 + meta_bytes.saturating_mul(2),
            );
            match super::guarded(|| Mp4::read(reader, len)) {
                Ok(Ok(m)) => m,
                Ok(Err(re_mp4::Error::Io(e))) if e.kind() != std::io::ErrorKind::UnexpectedEof => {
                    return Err(MediaError::io(name, e));
                }
                Ok(Err(e)) => return Err(MediaError::malformed(name, format!("mp4: {e}"))),
                Err(_) => {
                    return Err(MediaError::malformed(
                        name,
                        "mp4: inconsistent sample tables",
                    ));
                }
            }
        };
        match super::guarded(|| Self::index(mp4, file, len, name, limits)) {
            Ok(r) => r,
            Err(_) => Err(MediaError::malformed(name, "mp4: inconsistent track boxes")),
        }
    }

    /// Builds the merged sample index and the stream description.
    fn index(
        mp4: Mp4,
        file: File,
        len: u64,
        name: &str,
        limits: &Limits,
    ) -> Result<(Mp4Demuxer, StreamInfo), MediaError> {
        let movie_ts = u64::from(mp4.moov.mvhd.timescale);
        let brand = mp4.ftyp.major_brand.to_string();
        let container = if brand.trim() == "qt" { "mov" } else { "mp4" };
        let mut info = StreamInfo::new(container);
        if !mp4.moofs.is_empty() {
            info.notes.push("fragmented".into());
        }
        let mut entries = Vec::new();
        let mut avc = None;
        let (mut have_video, mut have_audio) = (false, false);
        let total: u64 = mp4.tracks().values().map(|t| t.samples.len() as u64).sum();
        if total > limits.max_video_samples {
            return Err(MediaError::too_large(
                name,
                format!(
                    "{total} samples exceeds the limit of {}",
                    limits.max_video_samples
                ),
            ));
        }
        for track in mp4.tracks().values() {
            let trak = track.trak(&mp4);
            let stsd = &trak.mdia.minf.stbl.stsd;
            let handler = trak.mdia.hdlr.handler_type.to_string();
            let kind = match (&stsd.contents, handler.as_str()) {
                (StsdBoxContent::Mp4a(_), _) | (_, "soun") => TrackKind::Audio,
                (
                    StsdBoxContent::Avc1(_)
                    | StsdBoxContent::Hev1(_)
                    | StsdBoxContent::Hvc1(_)
                    | StsdBoxContent::Av01(_)
                    | StsdBoxContent::Vp08(_)
                    | StsdBoxContent::Vp09(_),
                    _,
                )
                | (_, "vide") => TrackKind::Video,
                _ => continue,
            };
            match kind {
                TrackKind::Video if have_video => continue,
                TrackKind::Audio if have_audio => continue,
                _ => {}
            }
            let ts = track.timescale;
            if ts == 0 {
                return Err(MediaError::malformed(name, "mp4: a track with timescale 0"));
            }
            // re_mp4 shifted a progressive track so its first composition time is 0: undo it
            // (the stored composition time of sample 0 is its ctts offset, its decode time 0).
            let from_moov = trak.mdia.minf.stbl.stsz.sample_count > 0
                || !trak.mdia.minf.stbl.stsz.sample_sizes.is_empty();
            let shift = match (from_moov, track.samples.first()) {
                (true, Some(s0)) => {
                    let ctts0 = trak
                        .mdia
                        .minf
                        .stbl
                        .ctts
                        .as_ref()
                        .and_then(|c| c.entries.first())
                        .map_or(0, |e| i64::from(e.sample_offset));
                    ctts0.saturating_sub(s0.composition_timestamp)
                }
                _ => 0,
            };
            let (delay, cut, segments) = edit_list(trak);
            let delay_ns = nanos_from_ticks(i64::try_from(delay).unwrap_or(0), movie_ts);
            let to_ns = |t: i64| -> Nanos {
                nanos_from_ticks(t.saturating_add(shift).saturating_sub(cut), ts)
                    .saturating_add(delay_ns)
            };
            let mut prev_dur = 0u64;
            let mut b_frames = false;
            let mut end: Nanos = 0;
            let mut first: Option<Nanos> = None;
            let n = track.samples.len();
            for (i, s) in track.samples.iter().enumerate() {
                let mut dur = s.duration;
                if i + 1 == n && prev_dur > 0 && dur > prev_dur.saturating_mul(10) {
                    dur = prev_dur;
                }
                prev_dur = s.duration;
                let pts = to_ns(s.composition_timestamp);
                let dts = to_ns(s.decode_timestamp);
                let duration = nanos_from_ticks(i64::try_from(dur).unwrap_or(0), ts);
                if s.composition_timestamp != s.decode_timestamp {
                    b_frames = true;
                }
                if pts >= 0 {
                    first = Some(first.map_or(pts, |f: Nanos| f.min(pts)));
                }
                end = end.max(pts.saturating_add(duration));
                entries.push(Entry {
                    track: kind,
                    offset: s.offset,
                    size: s.size,
                    pts,
                    dts,
                    duration,
                    keyframe: s.is_sync,
                });
            }
            match kind {
                TrackKind::Video => {
                    have_video = true;
                    let (codec, w, h) = match &stsd.contents {
                        StsdBoxContent::Avc1(b) => (VideoCodecId::H264, b.width, b.height),
                        StsdBoxContent::Hev1(b) | StsdBoxContent::Hvc1(b) => {
                            (VideoCodecId::Hevc, b.width, b.height)
                        }
                        StsdBoxContent::Av01(b) => (VideoCodecId::Av1, b.width, b.height),
                        StsdBoxContent::Vp08(b) => (VideoCodecId::Vp8, b.width, b.height),
                        StsdBoxContent::Vp09(b) => (VideoCodecId::Vp9, b.width, b.height),
                        StsdBoxContent::Unknown(f) => (
                            VideoCodecId::Other(f.to_string()),
                            track.width,
                            track.height,
                        ),
                        _ => (
                            VideoCodecId::Other("unknown".into()),
                            track.width,
                            track.height,
                        ),
                    };
                    if codec == VideoCodecId::H264 {
                        let raw = track.raw_codec_config(&mp4).unwrap_or_default();
                        // The box's payload (re_mp4 keeps it without the header).
                        let cfg = avcc::parse_avcc(&raw, limits).map_err(|e| sps_error(name, e))?;
                        info.sps = Some(cfg.sps.clone());
                        avc = Some(cfg);
                    }
                    if codec == VideoCodecId::Av1 {
                        let raw = track.raw_codec_config(&mp4).unwrap_or_default();
                        let cfg = super::av1::parse_av1c(&raw)
                            .map_err(|e| MediaError::malformed(name, e))?;
                        info.av1 = Some(cfg);
                    }
                    info.video = Some(codec);
                    info.width = u32::from(w);
                    info.height = u32::from(h);
                    info.duration = end;
                    let span = end - first.unwrap_or(0);
                    if span > 0 && n > 0 {
                        info.fps = n as f64 * 1e9 / span as f64;
                    }
                    if b_frames {
                        info.notes.push("B-frames".into());
                    }
                    if segments > 0 && (cut != shift || delay != 0) {
                        info.notes.push(format!(
                            "edit list: starts {:.3} s in",
                            crate::media::secs_from_nanos(nanos_from_ticks(cut, ts))
                        ));
                    }
                    if segments > 1 && delay == 0 || segments > 2 {
                        info.notes.push(format!(
                            "edit list of {segments} segments: only the first is applied"
                        ));
                    }
                }
                TrackKind::Audio => {
                    have_audio = true;
                    match &stsd.contents {
                        StsdBoxContent::Mp4a(a) => {
                            info.audio = Some(AudioCodecId::Aac);
                            info.sample_rate = u32::from(a.samplerate.value());
                            info.channels = a.channelcount;
                            if info.sample_rate == 0 {
                                info.sample_rate = u32::try_from(ts).unwrap_or(0);
                            }
                        }
                        StsdBoxContent::Unknown(f) => {
                            let f = f.to_string();
                            info.audio = Some(match f.as_str() {
                                "Opus" => AudioCodecId::Opus,
                                "fLaC" => AudioCodecId::Flac,
                                ".mp3" => AudioCodecId::Mp3,
                                _ => AudioCodecId::Other(f),
                            });
                            info.sample_rate = u32::try_from(ts).unwrap_or(0);
                        }
                        _ => info.audio = Some(AudioCodecId::Other("unknown".into())),
                    }
                }
            }
        }
        entries.sort_by_key(|e| e.offset);
        Ok((
            Mp4Demuxer {
                file,
                file_len: len,
                name: name.to_string(),
                limits: limits.clone(),
                entries,
                next: 0,
                avc,
                scratch: Vec::new(),
            },
            info,
        ))
    }
}

impl Demuxer for Mp4Demuxer {
    fn next_packet(&mut self) -> Result<Option<Packet>, MediaError> {
        let Some(e) = self.entries.get(self.next).copied() else {
            return Ok(None);
        };
        self.next += 1;
        if e.size > self.limits.max_video_packet_bytes {
            return Err(MediaError::too_large(
                &self.name,
                format!(
                    "a {}-byte sample exceeds the packet limit of {} bytes",
                    e.size, self.limits.max_video_packet_bytes
                ),
            ));
        }
        if e.offset.saturating_add(e.size) > self.file_len {
            return Err(MediaError::malformed(
                &self.name,
                format!(
                    "a sample at byte {} runs past the end of the file (truncated?)",
                    e.offset
                ),
            ));
        }
        self.scratch.resize(e.size as usize, 0);
        self.file
            .seek(SeekFrom::Start(e.offset))
            .and_then(|_| self.file.read_exact(&mut self.scratch))
            .map_err(|err| MediaError::io(&self.name, err))?;
        let data = match (&self.avc, e.track) {
            (Some(cfg), TrackKind::Video) => {
                let mut out = Vec::new();
                avcc::avcc_to_annexb(&self.scratch, cfg, e.keyframe, &self.limits, &mut out)
                    .map_err(|err| sps_error(&self.name, err))?;
                out
            }
            _ => self.scratch.clone(),
        };
        Ok(Some(Packet {
            track: e.track,
            pts: e.pts,
            dts: e.dts,
            duration: e.duration,
            keyframe: e.keyframe,
            data,
        }))
    }

    fn seek(&mut self, t: Nanos) -> Result<(), MediaError> {
        // The last video sync sample (in decode order) shown at or before t.
        let mut best = None;
        let mut first_key = None;
        for (i, e) in self.entries.iter().enumerate() {
            if e.track == TrackKind::Video && e.keyframe {
                if first_key.is_none() {
                    first_key = Some(i);
                }
                if e.pts <= t {
                    best = Some(i);
                }
            }
        }
        self.next = best.or(first_key).unwrap_or(0);
        Ok(())
    }
}
