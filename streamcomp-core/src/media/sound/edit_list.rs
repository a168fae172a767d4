//! The MP4/MOV edit list (`moov/trak/edts/elst`) of one track, which symphonia's MP4 reader
//! parses but does not apply: where the track's media time 0 is (the AAC priming samples an
//! encoder puts before it) and where its sound ends (the padding after it).
//!
//! A small box walker over the file, reading only the few boxes it needs and seeking past the
//! rest (`mdat` is never read), with a cap on the boxes it visits and the bytes it reads.

use std::io::{Read, Seek, SeekFrom};

/// Most boxes visited in one walk, so a file of tiny boxes cannot keep it busy.
const MAX_BOXES: u32 = 100_000;

/// Largest `elst` payload read, bytes (a real one has one to three entries of 20 bytes).
const MAX_ELST_BYTES: u64 = 64 << 10;

/// What the edit list says about one track, in the track's own timescale (`mdhd`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct TrackEdit {
    /// Ticks to subtract from a packet's timestamp to get its media time: the first non-empty
    /// edit's `media_time` minus the leading empty edits (a presentation delay).
    pub(super) offset_ticks: i64,
    /// The media time (ticks) where the sound ends, when the edit says so.
    pub(super) end_ticks: Option<i64>,
}

/// The edit of track `track_id` (its `tkhd` id) in the MP4/MOV file `file`, `None` when the file
/// is not MP4, the track has no edit list, or the boxes cannot be read.
pub(super) fn read_track_edit<R: Read + Seek>(file: &mut R, track_id: u32) -> Option<TrackEdit> {
    let len = file.seek(SeekFrom::End(0)).ok()?;
    let mut budget = MAX_BOXES;
    let moov = find_child(file, 0, len, b"moov", &mut budget)?;
    let mvhd = find_child(file, moov.0, moov.1, b"mvhd", &mut budget)?;
    let movie_timescale = read_timescale(file, mvhd)?;
    let mut pos = moov.0;
    while let Some((kind, start, end)) = next_box(file, pos, moov.1, &mut budget) {
        pos = end;
        if &kind != b"trak" {
            continue;
        }
        let Some(tkhd) = find_child(file, start, end, b"tkhd", &mut budget) else {
            continue;
        };
        if read_track_id(file, tkhd) != Some(track_id) {
            continue;
        }
        let mdia = find_child(file, start, end, b"mdia", &mut budget)?;
        let mdhd = find_child(file, mdia.0, mdia.1, b"mdhd", &mut budget)?;
        let track_timescale = read_timescale(file, mdhd)?;
        let edts = find_child(file, start, end, b"edts", &mut budget)?;
        let elst = find_child(file, edts.0, edts.1, b"elst", &mut budget)?;
        return read_elst(file, elst, movie_timescale, track_timescale);
    }
    None
}

/// The next box header at `pos` (before `end`): its type and payload range.
fn next_box<R: Read + Seek>(
    file: &mut R,
    pos: u64,
    end: u64,
    budget: &mut u32,
) -> Option<([u8; 4], u64, u64)> {
    if *budget == 0 || pos.checked_add(8)? > end {
        return None;
    }
    *budget -= 1;
    file.seek(SeekFrom::Start(pos)).ok()?;
    let mut h = [0u8; 8];
    file.read_exact(&mut h).ok()?;
    let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let kind = [h[4], h[5], h[6], h[7]];
    let (header, size) = match size32 {
        0 => (8, end - pos),
        1 => {
            let mut b = [0u8; 8];
            file.read_exact(&mut b).ok()?;
            (16, u64::from_be_bytes(b))
        }
        s => (8, u64::from(s)),
    };
    if size < header {
        return None;
    }
    let box_end = pos.checked_add(size)?.min(end);
    Some((kind, pos + header, box_end.max(pos + header)))
}

/// The payload range of the first child box of type `kind` within `[start, end)`.
fn find_child<R: Read + Seek>(
    file: &mut R,
    start: u64,
    end: u64,
    kind: &[u8; 4],
    budget: &mut u32,
) -> Option<(u64, u64)> {
    let mut pos = start;
    while let Some((k, s, e)) = next_box(file, pos, end, budget) {
        if &k == kind {
            return Some((s, e));
        }
        if e <= pos {
            return None;
        }
        pos = e;
    }
    None
}

/// Reads `n` bytes at `pos` (at most `max`), `None` when the box is shorter or larger.
fn read_at<R: Read + Seek>(file: &mut R, pos: u64, n: u64, max: u64) -> Option<Vec<u8>> {
    if n > max {
        return None;
    }
    file.seek(SeekFrom::Start(pos)).ok()?;
    let mut buf = vec![0u8; usize::try_from(n).ok()?];
    file.read_exact(&mut buf).ok()?;
    Some(buf)
}

/// The big-endian u32 at `at` in `b`.
fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The big-endian u64 at `at` in `b`.
fn be64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The timescale of an `mvhd` or `mdhd` payload (they share the layout up to it).
fn read_timescale<R: Read + Seek>(file: &mut R, (start, end): (u64, u64)) -> Option<u32> {
    let b = read_at(file, start, end.saturating_sub(start).min(32), 32)?;
    let at = if b.first()? == &1 { 20 } else { 12 };
    be32(&b, at).filter(|&t| t > 0)
}

/// The track id of a `tkhd` payload.
fn read_track_id<R: Read + Seek>(file: &mut R, (start, end): (u64, u64)) -> Option<u32> {
    let b = read_at(file, start, end.saturating_sub(start).min(32), 32)?;
    let at = if b.first()? == &1 { 20 } else { 12 };
    be32(&b, at)
}

/// The track edit of an `elst` payload: leading empty edits (`media_time == -1`, durations in
/// the movie timescale) delay the track, the first real edit's `media_time` is where it starts
/// and its duration where it ends. Later edits are ignored.
fn read_elst<R: Read + Seek>(
    file: &mut R,
    (start, end): (u64, u64),
    movie_timescale: u32,
    track_timescale: u32,
) -> Option<TrackEdit> {
    let b = read_at(file, start, end.saturating_sub(start), MAX_ELST_BYTES)?;
    let v1 = b.first()? == &1;
    let count = be32(&b, 4)? as usize;
    let entry = if v1 { 20 } else { 12 };
    let to_track = |movie_ticks: u64| -> i64 {
        let t = i128::from(movie_ticks) * i128::from(track_timescale) / i128::from(movie_timescale);
        t.clamp(0, i128::from(i64::MAX)) as i64
    };
    let mut delay: i64 = 0;
    for i in 0..count {
        let at = 8 + i * entry;
        let (duration, media_time) = if v1 {
            (be64(&b, at)?, be64(&b, at + 8)? as i64)
        } else {
            (
                u64::from(be32(&b, at)?),
                i64::from(be32(&b, at + 4)? as i32),
            )
        };
        if media_time == -1 {
            delay = delay.saturating_add(to_track(duration));
            continue;
        }
        if media_time < 0 {
            return None;
        }
        let end_ticks = (duration > 0).then(|| media_time.saturating_add(to_track(duration)));
        return Some(TrackEdit {
            offset_ticks: media_time.saturating_sub(delay),
            end_ticks: end_ticks.map(|e| e.saturating_sub(media_time).saturating_add(delay)),
        });
    }
    None
}
