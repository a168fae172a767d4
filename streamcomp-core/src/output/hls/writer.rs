//! [`HlsOutput`]: cuts the stream into segments at key frames and keeps the playlist's window.
//!
//! A segment ends at the first video key frame at least one key frame interval after its start
//! (the encoder puts one there), so every segment starts with a key frame and the target
//! duration (the interval, rounded up) never changes. A finished segment is written whole,
//! then the playlist; segments that left the window are deleted once `list_size + 1` more have
//! left after them (a reader a whole window behind still finds its segments). A playlist left
//! by an earlier run is continued: its segments stay, numbers go on, and the first new segment
//! is marked `EXT-X-DISCONTINUITY`.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::options::{HlsOptions, SegmentType};
use super::playlist::{Entry, MAX_PLAYLIST_BYTES, Playlist};
use super::store::HlsStore;
use crate::encode::{Packet, Track, VIDEO_TIMESCALE};
use crate::mux::{Interleaver, Mp4File, Muxer, StreamInfo, TsMuxer};
use crate::output::{Output, OutputError};

/// The segment being written.
struct Current {
    seq: u64,
    /// Time of its first picture, 90 kHz.
    start: i64,
    bytes: Vec<u8>,
    discontinuity: bool,
    map: Option<String>,
    date: String,
}

/// Writes HLS to a store (a folder or memory).
pub struct HlsOutput {
    store: Box<dyn HlsStore>,
    /// The playlist's name (`index.m3u8`) and the stem segments are named after (`index`).
    playlist_name: String,
    stem: String,
    options: HlsOptions,
    info: StreamInfo,
    muxer: Box<dyn Muxer>,
    interleave: Interleaver,
    playlist: Playlist,
    current: Option<Current>,
    /// Segments that left the window but are kept a while: (sequence, name).
    kept: VecDeque<(u64, String)>,
    /// The init segment of this run (fMP4), once written.
    init: Option<String>,
    /// The first segment of this run follows earlier ones.
    resumed: bool,
    /// Wall-clock time of stream time 0.
    epoch: SystemTime,
    /// Time of the last video packet, 90 kHz.
    last_video: i64,
    bytes: u64,
    segments: u64,
}

impl std::fmt::Debug for HlsOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HlsOutput")
            .field("playlist", &self.playlist_name)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Whether `name` is one of the files an output with this `stem` writes (so it may be deleted).
fn is_ours(stem: &str, name: &str) -> bool {
    segment_seq(stem, name).is_some() || init_seq(stem, name).is_some()
}

/// The sequence number of a segment named `{stem}-{n}.ts|m4s`.
fn segment_seq(stem: &str, name: &str) -> Option<u64> {
    let rest = name.strip_prefix(stem)?.strip_prefix('-')?;
    let n = rest
        .strip_suffix(".ts")
        .or_else(|| rest.strip_suffix(".m4s"))?;
    (!n.is_empty() && n.len() <= 19 && n.bytes().all(|b| b.is_ascii_digit()))
        .then(|| n.parse().ok())
        .flatten()
}

/// The number of an init segment named `{stem}-init-{n}.mp4`.
fn init_seq(stem: &str, name: &str) -> Option<u64> {
    let n = name
        .strip_prefix(stem)?
        .strip_prefix("-init-")?
        .strip_suffix(".mp4")?;
    (!n.is_empty() && n.len() <= 19 && n.bytes().all(|b| b.is_ascii_digit()))
        .then(|| n.parse().ok())
        .flatten()
}

impl HlsOutput {
    /// Opens an HLS output named `playlist_name` in `store`, continuing a playlist found there.
    pub(crate) fn create(
        mut store: Box<dyn HlsStore>,
        playlist_name: &str,
        options: HlsOptions,
        info: StreamInfo,
    ) -> Result<HlsOutput, OutputError> {
        let stem = playlist_name
            .strip_suffix(".m3u8")
            .unwrap_or(playlist_name)
            .to_string();
        let fmp4 = options.segment_type == SegmentType::Fmp4;
        let muxer: Box<dyn Muxer> = if fmp4 {
            crate::output::FileFormat::Mp4.check_codec(info.video)?;
            Box::new(Mp4File::segments(info.clone()))
        } else {
            Box::new(TsMuxer::new(&info)?)
        };
        // The target duration: the key frame interval, rounded up.
        let target = (info.keyframe_interval - 1e-6).ceil().max(1.0) as u64;
        let earlier = store
            .read(playlist_name, MAX_PLAYLIST_BYTES)
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|t| Playlist::parse(&t, fmp4, |n| is_ours(&stem, n)));
        let (mut playlist, resumed) = match earlier {
            Some(mut p) if p.fmp4 == fmp4 => {
                p.target = p.target.max(target);
                let resumed = p.next_seq > 0;
                (p, resumed)
            }
            _ => (Playlist::new(target, fmp4), false),
        };
        // What an earlier run left besides its window: half-written files, and segments that
        // had already left it (kept for deletion in order).
        let in_window: Vec<&str> = playlist
            .entries
            .iter()
            .flat_map(|e| std::iter::once(e.uri.as_str()).chain(e.map.as_deref()))
            .collect();
        let mut kept: Vec<(u64, String)> = Vec::new();
        for name in store.names() {
            if name.ends_with(".tmp") && is_ours(&stem, name.trim_end_matches(".tmp"))
                || name == format!("{playlist_name}.tmp")
            {
                store.remove(&name)?;
            } else if !in_window.contains(&name.as_str())
                && let Some(n) = segment_seq(&stem, &name).or_else(|| init_seq(&stem, &name))
            {
                kept.push((n, name));
            }
        }
        kept.sort();
        // Numbers go on past anything on disk (a playlist may have been lost).
        if let Some((n, _)) = kept.last() {
            playlist.next_seq = playlist.next_seq.max(n + 1);
        }
        playlist.ended = false;
        let mut me = HlsOutput {
            store,
            playlist_name: playlist_name.to_string(),
            stem,
            options,
            interleave: Interleaver::new(info.audio.is_some()),
            info,
            muxer,
            playlist,
            current: None,
            kept: kept.into(),
            init: None,
            resumed,
            epoch: SystemTime::now(),
            last_video: 0,
            bytes: 0,
            segments: 0,
        };
        me.delete_old()?;
        Ok(me)
    }

    /// Segments finished so far.
    pub fn segments(&self) -> u64 {
        self.segments
    }

    /// The wall-clock date of stream time `t` (90 kHz), RFC 3339 with milliseconds.
    fn date(&self, t: i64) -> String {
        let at = self.epoch + Duration::from_nanos((t.max(0) as u64).saturating_mul(100_000) / 9);
        chrono::DateTime::<chrono::Utc>::from(at)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }

    fn put(&mut self, name: &str, bytes: Bytes) -> Result<(), OutputError> {
        self.bytes += bytes.len() as u64;
        self.store.put(name, bytes)
    }

    /// Closes the current segment at `end` (90 kHz) and publishes it.
    fn close(&mut self, end: i64) -> Result<(), OutputError> {
        let Some(mut cur) = self.current.take() else {
            return Ok(());
        };
        self.muxer.cut(&mut cur.bytes)?;
        let ext = match self.options.segment_type {
            SegmentType::Ts => "ts",
            SegmentType::Fmp4 => "m4s",
        };
        let uri = format!("{}-{}.{ext}", self.stem, cur.seq);
        self.put(&uri, Bytes::from(cur.bytes))?;
        let entry = Entry {
            seq: cur.seq,
            duration: (end - cur.start).max(0) as f64 / f64::from(VIDEO_TIMESCALE),
            uri,
            discontinuity: cur.discontinuity,
            map: cur.map,
            date: Some(cur.date),
        };
        let gone = self.playlist.push(entry, self.options.list_size);
        self.segments += 1;
        self.write_playlist()?;
        for e in gone {
            self.kept.push_back((e.seq, e.uri));
        }
        self.delete_old()
    }

    fn write_playlist(&mut self) -> Result<(), OutputError> {
        let text = self.playlist.render();
        let name = self.playlist_name.clone();
        self.put(&name, Bytes::from(text))
    }

    /// Deletes kept segments once more than a window and one have left after them, and init
    /// segments no kept or listed segment uses.
    fn delete_old(&mut self) -> Result<(), OutputError> {
        let margin = self.options.list_size + 1;
        let mut segments = self
            .kept
            .iter()
            .filter(|(_, n)| segment_seq(&self.stem, n).is_some())
            .count();
        while segments > margin {
            let Some(i) = self
                .kept
                .iter()
                .position(|(_, n)| segment_seq(&self.stem, n).is_some())
            else {
                break;
            };
            let (_, name) = self.kept.remove(i).expect("found above");
            self.store.remove(&name)?;
            segments -= 1;
        }
        // An init segment is needed while a segment of its run (numbered from it) remains.
        let oldest = self
            .kept
            .iter()
            .filter_map(|(s, n)| segment_seq(&self.stem, n).map(|_| *s))
            .chain(self.playlist.entries.iter().map(|e| e.seq))
            .min();
        let listed: Vec<String> = self
            .playlist
            .entries
            .iter()
            .filter_map(|e| e.map.clone())
            .collect();
        let mut inits: Vec<(u64, String)> = Vec::new();
        self.kept.retain(|(s, n)| {
            if init_seq(&self.stem, n).is_some() {
                inits.push((*s, n.clone()));
                false
            } else {
                true
            }
        });
        inits.sort();
        // The init in effect for the oldest segment is the newest one numbered at or before it.
        let in_effect = oldest.and_then(|o| inits.iter().rev().find(|(s, _)| *s <= o).cloned());
        for (s, n) in inits {
            let needed = listed.contains(&n)
                || Some(&n) == self.init.as_ref()
                || in_effect.as_ref().is_some_and(|(_, e)| *e == n)
                || oldest.is_some_and(|o| s > o);
            if needed {
                self.kept.push_back((s, n));
            } else {
                self.store.remove(&n)?;
            }
        }
        Ok(())
    }

    fn write_one(&mut self, p: &Packet) -> Result<(), OutputError> {
        if p.track == Track::Video && p.key {
            let due = self.info.keyframe_interval * f64::from(VIDEO_TIMESCALE)
                - self.frame_ticks() as f64 / 2.0;
            if let Some(cur) = &self.current
                && (p.pts - cur.start) as f64 >= due
            {
                self.close(p.pts)?;
            }
            if self.current.is_none() {
                let seq = self.playlist.next_seq;
                self.playlist.next_seq += 1;
                let first_of_run = self.segments == 0;
                self.current = Some(Current {
                    seq,
                    start: p.pts,
                    bytes: Vec::new(),
                    discontinuity: first_of_run && self.resumed,
                    map: None,
                    date: self.date(p.pts),
                });
                if first_of_run {
                    let cur = self.current.as_mut().expect("set above");
                    self.muxer.header(&mut cur.bytes)?;
                }
            }
        }
        let Some(cur) = self.current.as_mut() else {
            return Ok(()); // before the first key frame
        };
        self.muxer.packet(p, &mut cur.bytes)?;
        if p.track == Track::Video {
            self.last_video = p.pts;
        }
        if self.init.is_none()
            && let Some(init) = self.muxer.init_segment()
        {
            let name = format!("{}-init-{}.mp4", self.stem, cur.seq);
            cur.map = Some(name.clone());
            let init = Bytes::copy_from_slice(init);
            self.init = Some(name.clone());
            self.put(&name, init)?;
        }
        Ok(())
    }

    /// One frame's duration, 90 kHz.
    fn frame_ticks(&self) -> i64 {
        (f64::from(VIDEO_TIMESCALE) / self.info.fps).round() as i64
    }
}

impl Output for HlsOutput {
    fn write(&mut self, p: &Packet) -> Result<(), OutputError> {
        Interleaver::feed(self, |s| &mut s.interleave, p, Self::write_one)
    }

    /// Writes the last segment and ends the playlist (`EXT-X-ENDLIST`).
    fn finish(&mut self) -> Result<(), OutputError> {
        Interleaver::flush(self, |s| &mut s.interleave, Self::write_one)?;
        let end = self.last_video + self.frame_ticks();
        self.close(end)?;
        self.playlist.ended = true;
        self.write_playlist()
    }

    fn bytes(&self) -> u64 {
        self.bytes
    }

    fn detail(&self) -> Option<String> {
        Some(format!(
            "{} segments, next #{}",
            self.segments, self.playlist.next_seq
        ))
    }
}
