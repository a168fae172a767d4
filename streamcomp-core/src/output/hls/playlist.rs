//! The HLS media playlist (RFC 8216): the sliding window of segments we write, and the reading
//! of one we wrote before (to carry its sequence on after a restart). A playlist on disk is
//! input like any other: it is read with limits, and only names of our own segments are taken
//! from it (they may be deleted later).

use std::collections::VecDeque;
use std::fmt::Write as _;

/// Longest playlist read back (bytes).
pub(crate) const MAX_PLAYLIST_BYTES: usize = 1 << 20;
/// Most segments read back from a playlist.
const MAX_ENTRIES: usize = 10_000;

/// One segment in the playlist.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Entry {
    /// Media sequence number.
    pub(crate) seq: u64,
    /// Duration, seconds.
    pub(crate) duration: f64,
    /// File name, relative to the playlist.
    pub(crate) uri: String,
    /// Preceded by `EXT-X-DISCONTINUITY` (the first segment after a restart).
    pub(crate) discontinuity: bool,
    /// The init segment (fMP4), when it differs from the previous entry's.
    pub(crate) map: Option<String>,
    /// `EXT-X-PROGRAM-DATE-TIME` of its first picture (RFC 3339).
    pub(crate) date: Option<String>,
}

/// A live media playlist: target duration, window, sequence numbers.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Playlist {
    /// `EXT-X-TARGETDURATION`, whole seconds, never changed once written.
    pub(crate) target: u64,
    /// Segments in the window, oldest first.
    pub(crate) entries: VecDeque<Entry>,
    /// `EXT-X-DISCONTINUITY-SEQUENCE`: discontinuities that left the window.
    pub(crate) discontinuity_seq: u64,
    /// Sequence number of the next segment.
    pub(crate) next_seq: u64,
    /// fMP4 segments (version 7, `EXT-X-MAP`).
    pub(crate) fmp4: bool,
    /// The stream ended (`EXT-X-ENDLIST`).
    pub(crate) ended: bool,
}

impl Playlist {
    /// An empty playlist.
    pub(crate) fn new(target: u64, fmp4: bool) -> Playlist {
        Playlist {
            target: target.max(1),
            entries: VecDeque::new(),
            discontinuity_seq: 0,
            next_seq: 0,
            fmp4,
            ended: false,
        }
    }

    /// Adds a segment and slides the window to `list_size`; returns the entries that left it.
    pub(crate) fn push(&mut self, entry: Entry, list_size: usize) -> Vec<Entry> {
        self.next_seq = entry.seq + 1;
        self.ended = false;
        self.entries.push_back(entry);
        let mut gone = Vec::new();
        while self.entries.len() > list_size.max(1) {
            let e = self.entries.pop_front().expect("longer than the window");
            if e.discontinuity {
                self.discontinuity_seq += 1;
            }
            gone.push(e);
        }
        // The first segment needs its init segment named (it may have been on a dropped one).
        if self.fmp4
            && let Some(first) = self.entries.front_mut()
            && first.map.is_none()
        {
            first.map = gone.iter().rev().find_map(|e| e.map.clone());
        }
        gone
    }

    /// The text of the playlist.
    pub(crate) fn render(&self) -> String {
        let mut s = String::with_capacity(128 + self.entries.len() * 96);
        let version = if self.fmp4 { 7 } else { 3 };
        let first = self.entries.front().map_or(self.next_seq, |e| e.seq);
        let _ = write!(
            s,
            "#EXTM3U\n#EXT-X-VERSION:{version}\n#EXT-X-TARGETDURATION:{}\n\
             #EXT-X-MEDIA-SEQUENCE:{first}\n",
            self.target
        );
        if self.discontinuity_seq > 0 {
            let _ = writeln!(
                s,
                "#EXT-X-DISCONTINUITY-SEQUENCE:{}",
                self.discontinuity_seq
            );
        }
        s.push_str("#EXT-X-INDEPENDENT-SEGMENTS\n");
        for e in &self.entries {
            if e.discontinuity {
                s.push_str("#EXT-X-DISCONTINUITY\n");
            }
            if let Some(m) = &e.map {
                let _ = writeln!(s, "#EXT-X-MAP:URI=\"{m}\"");
            }
            if let Some(d) = &e.date {
                let _ = writeln!(s, "#EXT-X-PROGRAM-DATE-TIME:{d}");
            }
            let _ = write!(s, "#EXTINF:{:.3},\n{}\n", e.duration, e.uri);
        }
        if self.ended {
            s.push_str("#EXT-X-ENDLIST\n");
        }
        s
    }

    /// Reads a playlist written before, keeping only segments whose name `ours` accepts.
    /// `None` when the text is not a media playlist we can continue (too long, no header).
    pub(crate) fn parse(text: &str, fmp4: bool, ours: impl Fn(&str) -> bool) -> Option<Playlist> {
        if text.len() > MAX_PLAYLIST_BYTES || !text.starts_with("#EXTM3U") {
            return None;
        }
        let mut p = Playlist::new(1, fmp4);
        let mut seq = 0u64;
        let mut pending = Entry::default();
        let mut have_inf = false;
        let mut last_map: Option<String> = None;
        for line in text.lines().map(str::trim) {
            if let Some(v) = line.strip_prefix("#EXT-X-TARGETDURATION:") {
                p.target = v.parse::<u64>().ok().filter(|t| (1..=3600).contains(t))?;
            } else if let Some(v) = line.strip_prefix("#EXT-X-MEDIA-SEQUENCE:") {
                seq = v.parse().ok().filter(|s| *s < u64::MAX / 2)?;
            } else if let Some(v) = line.strip_prefix("#EXT-X-DISCONTINUITY-SEQUENCE:") {
                p.discontinuity_seq = v.parse().ok().filter(|s| *s < u64::MAX / 2)?;
            } else if line == "#EXT-X-DISCONTINUITY" {
                pending.discontinuity = true;
            } else if let Some(v) = line.strip_prefix("#EXT-X-MAP:URI=\"") {
                let uri = v.strip_suffix('"')?;
                if ours(uri) {
                    pending.map = Some(uri.to_string());
                }
            } else if let Some(v) = line.strip_prefix("#EXT-X-PROGRAM-DATE-TIME:") {
                if v.len() <= 40 {
                    pending.date = Some(v.to_string());
                }
            } else if let Some(v) = line.strip_prefix("#EXTINF:") {
                let d: f64 = v.split(',').next()?.parse().ok()?;
                if !(d.is_finite() && (0.0..=3600.0).contains(&d)) {
                    return None;
                }
                pending.duration = d;
                have_inf = true;
            } else if line == "#EXT-X-ENDLIST" {
                p.ended = true;
            } else if !line.is_empty() && !line.starts_with('#') && have_inf {
                if line.len() > 255 {
                    return None;
                }
                if p.entries.len() >= MAX_ENTRIES {
                    return None;
                }
                let mut e = std::mem::take(&mut pending);
                e.seq = seq;
                e.uri = line.to_string();
                seq += 1;
                have_inf = false;
                if e.map.is_some() {
                    last_map.clone_from(&e.map);
                } else if p.entries.is_empty() {
                    e.map.clone_from(&last_map);
                }
                if ours(&e.uri) {
                    p.entries.push_back(e);
                }
            }
        }
        p.next_seq = seq;
        Some(p)
    }
}

/// Reads `data` as a playlist (fuzzing entry point): never panics, whatever the bytes.
#[cfg(feature = "fuzzing")]
pub fn fuzz_parse(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        for fmp4 in [false, true] {
            if let Some(p) = Playlist::parse(text, fmp4, |n| n.starts_with("index-")) {
                let text = p.render();
                if text.len() <= MAX_PLAYLIST_BYTES {
                    let again = Playlist::parse(&text, fmp4, |_| true).expect("reads back");
                    assert_eq!(again.entries.len(), p.entries.len());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, discontinuity: bool) -> Entry {
        Entry {
            seq,
            duration: 2.0,
            uri: format!("index-{seq}.ts"),
            discontinuity,
            map: None,
            date: Some("2026-12-07T10:00:00.000Z".into()),
        }
    }

    #[test]
    fn window_slides_and_discontinuities_are_counted() {
        let mut p = Playlist::new(2, false);
        for n in 0..3 {
            assert!(p.push(entry(n, false), 3).is_empty());
        }
        assert_eq!(p.push(entry(3, true), 3).len(), 1);
        assert_eq!(p.discontinuity_seq, 0);
        let text = p.render();
        assert!(text.contains("#EXT-X-MEDIA-SEQUENCE:1\n"), "{text}");
        assert!(text.contains("#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME"));
        for n in 4..7 {
            p.push(entry(n, false), 3);
        }
        // Segment 3 (after the discontinuity) has left the window: its tag is counted.
        assert_eq!(p.discontinuity_seq, 1);
        let text = p.render();
        assert!(text.contains("#EXT-X-DISCONTINUITY-SEQUENCE:1\n"), "{text}");
        assert!(!text.contains("#EXT-X-DISCONTINUITY\n"), "{text}");
        let back = Playlist::parse(&text, false, |u| u.starts_with("index-")).unwrap();
        assert_eq!(back.entries, p.entries);
        assert_eq!((back.next_seq, back.target), (7, 2));
        assert_eq!(back.discontinuity_seq, 1);
    }

    #[test]
    fn foreign_and_broken_playlists() {
        let ours = |u: &str| u.starts_with("index-");
        assert!(Playlist::parse("", false, ours).is_none());
        assert!(Playlist::parse("#EXTM3U\n#EXTINF:1e308,\nindex-0.ts\n", false, ours).is_none());
        assert!(Playlist::parse("#EXTM3U\n#EXTINF:-0.0,\nindex-0.ts\n", false, ours).is_some());
        assert!(Playlist::parse("#EXTM3U\n#EXT-X-TARGETDURATION:0\n", false, ours).is_none());
        let p = Playlist::parse(
            "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:2,\n../../etc/passwd\n#EXTINF:2,\nindex-8.ts\n",
            false,
            ours,
        )
        .unwrap();
        assert_eq!(p.entries.len(), 1);
        assert_eq!(p.entries[0].seq, 8);
        assert_eq!(p.next_seq, 9);
    }
}
