//! [`SoundReader`]: one audio track of a video file, read packet by packet with symphonia's
//! format reader, decoded, mixed to stereo, resampled to 48 kHz and handed out in chunks that
//! carry their exact media sample.
//!
//! Positions: a packet's timestamp (less the MP4 edit's offset) gives the source-rate sample of
//! its first frame; after that the frames are laid end to end, the timestamps only checked
//! (a gap of more than [`TOLERANCE_MS`] is filled with silence, an overlap cut). The resampler
//! starts each run at a source sample whose 48 kHz position is a whole number, so every
//! output sample's position is exact; a seek starts a run a little before the target (so the
//! resampler has settled) and cuts the output before it.

use std::path::{Path, PathBuf};

use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::{FormatReader, SeekMode, SeekTo};
use symphonia::core::packet::Packet;
use symphonia::core::units::Timestamp;

use super::codec::{Codec, PacketError};
use super::guard::guarded;
use super::resample::StreamResampler;
use crate::encode::AUDIO_RATE;
use crate::limits::Limits;
use crate::media::{AudioChunk, AudioReader, MediaError};

/// Frames (48 kHz) in a chunk: 40 ms.
const CHUNK: usize = 1920;

/// How far a packet's timestamp may be off the end of the previous packet before it counts as
/// a gap or overlap, ms (Matroska timestamps are whole milliseconds).
const TOLERANCE_MS: u32 = 5;

/// Longest gap filled with silence at once, seconds; past it the sound re-anchors.
const MAX_GAP_SECONDS: u32 = 10;

/// Source frames decoded before a seek target and thrown away, so the decoder (AAC's overlap,
/// Opus's pre-roll) and the resampler have settled at the target: 100 ms.
const PREROLL_MS: u32 = 100;

/// Packets in a row that fail to decode before the track is given up.
const MAX_BAD_PACKETS: u32 = 1000;

/// How the track's timestamps map to source samples.
pub(super) struct TrackTiming {
    /// The track in the format reader.
    pub(super) track_id: u32,
    /// Seconds per timestamp tick: numerator.
    pub(super) tb_numer: u32,
    /// Seconds per timestamp tick: denominator.
    pub(super) tb_denom: u32,
    /// Ticks to subtract from a timestamp to get media time (the MP4 edit list).
    pub(super) offset_ticks: i64,
    /// The media time (ticks) where the sound ends, if the file says.
    pub(super) end_ticks: Option<i64>,
}

/// A file's sound as a stream of 48 kHz stereo chunks.
pub(super) struct SoundReader {
    /// The file (opened again when a seek fails: symphonia's Matroska reader cannot seek once
    /// it has read to the end).
    path: PathBuf,
    /// The file as the layer names it.
    name: String,
    /// symphonia's reader of the container.
    format: Box<dyn FormatReader>,
    /// The decoder.
    codec: Codec,
    /// Timestamp mapping.
    timing: TrackTiming,
    /// The source's sample rate.
    rate: u32,
    /// The resampler to 48 kHz.
    resampler: StreamResampler,
    /// Largest packet accepted, bytes.
    max_packet: u64,
    /// Source sample where the sound stops (the edit's end or the duration limit).
    end_src: i64,
    /// Source sample of the next decoded frame (`None`: take it from the next packet).
    next_src: Option<i64>,
    /// The packet grid seen from the file's start: the first packet's source sample and the
    /// frames every packet has had (`None` once they differ). After a seek a packet of that
    /// size is put on the grid, which is exact where the container's timestamps are coarse
    /// (Matroska's milliseconds).
    grid: Option<(i64, i64)>,
    /// Packets decoded so far were all read from the start, laid end to end.
    from_start: bool,
    /// Source sample of the next frame the resampler takes (frames before it are dropped,
    /// silence fills up to a later one).
    fed_until: i64,
    /// 48 kHz sample of the first frame in `out_left`.
    out_pos: i64,
    /// 48 kHz sample before which output is dropped (the seek target).
    cut_until: i64,
    /// Resampled sound not yet handed out.
    out_left: Vec<f32>,
    /// Right channel of `out_left`.
    out_right: Vec<f32>,
    /// The last packet has been read and the resampler flushed.
    ended: bool,
    /// A panic or fatal error happened: every call fails.
    broken: bool,
}

impl SoundReader {
    /// A reader of the track described by `timing`, decoded by `codec` at `rate`, positioned at
    /// media sample 0.
    pub(super) fn new(
        path: &Path,
        name: &str,
        format: Box<dyn FormatReader>,
        codec: Codec,
        timing: TrackTiming,
        rate: u32,
        limits: &Limits,
    ) -> Result<SoundReader, MediaError> {
        let resampler = StreamResampler::new(rate).map_err(|e| MediaError::malformed(name, e))?;
        let limit_src = (limits.max_video_seconds.max(0.0) * f64::from(rate)).min(i64::MAX as f64);
        let mut reader = SoundReader {
            path: path.to_path_buf(),
            name: name.to_string(),
            format,
            codec,
            rate,
            resampler,
            max_packet: limits.max_video_packet_bytes,
            end_src: limit_src as i64,
            next_src: None,
            grid: None,
            from_start: true,
            fed_until: 0,
            out_pos: 0,
            cut_until: 0,
            out_left: Vec::new(),
            out_right: Vec::new(),
            ended: false,
            broken: false,
            timing,
        };
        if let Some(end) = reader.timing.end_ticks {
            let end = reader.ticks_to_src(end.saturating_add(reader.timing.offset_ticks));
            reader.end_src = reader.end_src.min(end);
        }
        // The first packet: it sets the grid (and finds broken files early).
        reader.step()?;
        Ok(reader)
    }

    /// The source sample of timestamp `ts` (media time, after the edit's offset).
    fn ticks_to_src(&self, ts: i64) -> i64 {
        let t = &self.timing;
        let n = (i128::from(ts) - i128::from(t.offset_ticks))
            * i128::from(t.tb_numer)
            * i128::from(self.rate);
        let d = i128::from(t.tb_denom.max(1));
        let q = if n >= 0 {
            (n + d / 2) / d
        } else {
            -((-n + d / 2) / d)
        };
        q.clamp(i128::from(i64::MIN / 4), i128::from(i64::MAX / 4)) as i64
    }

    /// The timestamp (ticks) of source sample `src`.
    fn src_to_ticks(&self, src: i64) -> i64 {
        let t = &self.timing;
        let n = i128::from(src) * i128::from(t.tb_denom);
        let d = (i128::from(t.tb_numer) * i128::from(self.rate)).max(1);
        let q = n.div_euclid(d) + i128::from(t.offset_ticks);
        q.clamp(0, i128::from(i64::MAX)) as i64
    }

    /// Source frames per 48 kHz-aligned step: source sample `k × step` is 48 kHz sample
    /// `k × step × 48000 / rate` exactly.
    fn align_step(&self) -> i64 {
        i64::from(self.rate / gcd(self.rate, AUDIO_RATE))
    }

    /// The 48 kHz sample of source sample `src` (exact when `src` is aligned).
    fn src_to_out(&self, src: i64) -> i64 {
        (i128::from(src) * i128::from(AUDIO_RATE) / i128::from(self.rate)) as i64
    }

    /// Starts a run of decoding at aligned source sample `from`, keeping output from 48 kHz
    /// sample `cut`.
    fn restart(&mut self, from: i64, cut: i64) {
        self.resampler.reset();
        self.next_src = None;
        self.from_start = false;
        self.fed_until = from;
        self.out_pos = self.src_to_out(from);
        self.cut_until = cut;
        self.out_left.clear();
        self.out_right.clear();
        self.ended = false;
    }

    /// Reads and decodes one packet of the track, feeding the resampler; at the end flushes it
    /// and sets `ended`.
    fn step(&mut self) -> Result<(), MediaError> {
        let name = self.name.clone();
        let mut bad = 0u32;
        loop {
            let packet = guarded(&name, "demuxer", || match self.format.next_packet() {
                Ok(p) => Ok(p),
                Err(SymphoniaError::ResetRequired) => Ok(None),
                // A truncated or damaged file ends where its readable data ends.
                Err(SymphoniaError::IoError(_) | SymphoniaError::DecodeError(_)) => Ok(None),
                Err(e) => Err(MediaError::malformed(&name, format!("sound: {e}"))),
            })?;
            let Some(packet) = packet else {
                return self.finish();
            };
            if packet.track_id != self.timing.track_id {
                continue;
            }
            if packet.data.len() as u64 > self.max_packet {
                return Err(MediaError::too_large(
                    &name,
                    format!(
                        "a sound packet of {} bytes exceeds the limit of {} bytes",
                        packet.data.len(),
                        self.max_packet
                    ),
                ));
            }
            if self.feed_packet(&packet)? {
                return Ok(());
            }
            bad += 1;
            if bad > MAX_BAD_PACKETS {
                return Err(MediaError::decode(&name, "no sound packet decodes"));
            }
        }
    }

    /// Decodes `packet` and feeds its frames at their place; `false` when it was skipped.
    fn feed_packet(&mut self, packet: &Packet) -> Result<bool, MediaError> {
        let name = self.name.clone();
        let (mut l, mut r) = (Vec::new(), Vec::new());
        let codec = &mut self.codec;
        let decoded = guarded(&name, "decoder", || {
            Ok(codec.decode(packet, &mut l, &mut r, &name))
        })?;
        let rate = match decoded {
            Ok(rate) => rate,
            Err(PacketError::Skip) => return Ok(false),
            Err(PacketError::Fatal(e)) => return Err(e),
        };
        if rate != self.rate {
            return Err(MediaError::unsupported(
                &name,
                format!(
                    "the sound's sample rate changes from {} to {rate} Hz",
                    self.rate
                ),
            ));
        }
        let mut at = self.ticks_to_src(packet.pts.get());
        let tolerance = i64::from(self.rate * TOLERANCE_MS / 1000).max(1);
        let frames = l.len() as i64;
        if frames > 0 {
            match (self.next_src, self.grid) {
                (None, None) if self.from_start => {
                    // Matroska's millisecond timestamps round Opus's pre-skip (6.5 ms): the
                    // header has it exactly.
                    if let Some(skip) = self.codec.pre_skip()
                        && (at + skip).abs() <= i64::from(self.rate / 1000)
                    {
                        at = -skip;
                    }
                    self.grid = Some((at, frames));
                }
                (None, Some((origin, size))) if size == frames => {
                    let on_grid = origin + (at - origin + size / 2).div_euclid(size) * size;
                    if (on_grid - at).abs() <= tolerance {
                        at = on_grid;
                    }
                }
                (Some(_), Some((_, size))) if self.from_start && size != frames => {
                    // The last packet of a stream may be shorter; any other breaks the grid.
                    self.grid = None;
                }
                _ => {}
            }
        }
        let pos = match self.next_src {
            Some(next) if (at - next).abs() <= tolerance => next,
            // Overlap with what was already laid down: cut it.
            Some(next) if at < next => {
                let cut = ((next - at) as usize).min(l.len());
                l.drain(..cut);
                r.drain(..cut);
                next
            }
            _ => at,
        };
        self.next_src = Some(pos + l.len() as i64);
        self.feed(pos, &l, &r)?;
        Ok(true)
    }

    /// Feeds frames starting at source sample `pos` to the resampler: drops those before
    /// `fed_until` or past the end, fills a gap before them with silence.
    fn feed(&mut self, pos: i64, l: &[f32], r: &[f32]) -> Result<(), MediaError> {
        let name = self.name.clone();
        let err = |e: String| MediaError::decode(&name, format!("resampling: {e}"));
        if pos > self.fed_until {
            let gap = (pos - self.fed_until).min(i64::from(self.rate * MAX_GAP_SECONDS));
            let gap = gap.min(self.end_src - self.fed_until).max(0) as usize;
            let zeros = vec![0f32; gap];
            self.resampler
                .push(&zeros, &zeros, &mut self.out_left, &mut self.out_right)
                .map_err(err)?;
            self.fed_until = pos;
        }
        let skip = (self.fed_until - pos).clamp(0, l.len() as i64) as usize;
        let room = (self.end_src - self.fed_until).max(0) as usize;
        let end = l.len().min(skip.saturating_add(room));
        if skip < end {
            self.resampler
                .push(
                    &l[skip..end],
                    &r[skip..end],
                    &mut self.out_left,
                    &mut self.out_right,
                )
                .map_err(err)?;
            self.fed_until += (end - skip) as i64;
        }
        if self.fed_until >= self.end_src {
            return self.finish();
        }
        Ok(())
    }

    /// Flushes the resampler and marks the end of the sound.
    fn finish(&mut self) -> Result<(), MediaError> {
        if !self.ended {
            self.resampler
                .flush(&mut self.out_left, &mut self.out_right)
                .map_err(|e| MediaError::decode(&self.name, format!("resampling: {e}")))?;
            self.ended = true;
        }
        Ok(())
    }

    /// Drops output before `cut_until`.
    fn cut_head(&mut self) {
        if self.out_pos < self.cut_until {
            let n = ((self.cut_until - self.out_pos) as usize).min(self.out_left.len());
            self.out_left.drain(..n);
            self.out_right.drain(..n);
            self.out_pos += n as i64;
        }
    }

    /// The next chunk, or `None` at the end.
    fn next_inner(&mut self) -> Result<Option<AudioChunk>, MediaError> {
        loop {
            self.cut_head();
            if self.out_left.len() >= CHUNK || (self.ended && !self.out_left.is_empty()) {
                let n = self.out_left.len().min(CHUNK);
                let left: Vec<f32> = self.out_left.drain(..n).collect();
                let right: Vec<f32> = self.out_right.drain(..n).collect();
                let start = self.out_pos;
                self.out_pos += n as i64;
                return Ok(Some(AudioChunk { start, left, right }));
            }
            if self.ended {
                return Ok(None);
            }
            self.step()?;
        }
    }

    /// Seeks to 48 kHz sample `sample`.
    fn seek_inner(&mut self, sample: i64) -> Result<(), MediaError> {
        let sample = sample.max(0);
        let step = self.align_step();
        let target_src =
            (i128::from(sample) * i128::from(self.rate) / i128::from(AUDIO_RATE)) as i64;
        let preroll = i64::from(self.rate / 1000 * PREROLL_MS);
        // The resampler's run starts a little before the target, at an aligned sample.
        let from = (target_src - preroll / 2).max(0);
        let from = from - from.rem_euclid(step);
        let name = self.name.clone();
        // Timestamps before media time 0 (AAC priming) are pre-roll too.
        let ts = self.src_to_ticks(from - preroll);
        let at_start = ts <= 0;
        let seeked = if at_start {
            // Near the start (where timestamps may be negative, and a reader may drop packets
            // before the one asked for): read the file from its start again.
            self.format = super::probe_format(&self.path, &name)?;
            Ok(())
        } else {
            self.seek_format(ts)?
        };
        if seeked.is_err() {
            // Open the file again and seek there; failing that, the fresh reader decodes from
            // the start and everything before the target is dropped (slow, but right).
            self.format = super::probe_format(&self.path, &name)?;
            let _ = self.seek_format(ts)?;
        }
        let codec = &mut self.codec;
        guarded(&name, "decoder", || {
            codec
                .reset()
                .map_err(|e| MediaError::decode(&name, e.to_string()))
        })?;
        self.restart(from, sample);
        self.from_start = at_start;
        Ok(())
    }
}

impl SoundReader {
    /// Seeks the format reader to timestamp `ts` of the track.
    fn seek_format(&mut self, ts: i64) -> Result<Result<(), SymphoniaError>, MediaError> {
        let track_id = self.timing.track_id;
        let format = &mut self.format;
        guarded(&self.name, "demuxer", || {
            Ok(format
                .seek(
                    SeekMode::Accurate,
                    SeekTo::Timestamp {
                        ts: Timestamp::new(ts),
                        track_id,
                    },
                )
                .map(|_| ()))
        })
    }
}

impl AudioReader for SoundReader {
    fn seek(&mut self, sample: i64) -> Result<(), MediaError> {
        if self.broken {
            return Err(MediaError::malformed(
                &self.name,
                "the sound reader failed before",
            ));
        }
        let r = self.seek_inner(sample);
        self.broken = r.is_err();
        r
    }

    fn next_chunk(&mut self) -> Result<Option<AudioChunk>, MediaError> {
        if self.broken {
            return Err(MediaError::malformed(
                &self.name,
                "the sound reader failed before",
            ));
        }
        let r = self.next_inner();
        self.broken = r.is_err();
        r
    }
}

/// The greatest common divisor.
fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a.max(1) } else { gcd(b, a % b) }
}
