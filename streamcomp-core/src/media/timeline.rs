//! When each picture of a video layer shows: scene time → *program time* → (lap, playlist item,
//! media time in that item's file), all in integer nanoseconds.
//!
//! Program time runs through the playlist's items back to back (each from its `in` to its
//! `out` or the real end of its pictures), then again for every loop. The layer's decode
//! thread tags each picture with its program time, the compositor asks for the picture on
//! screen at the program time of the frame it renders (sample and hold), and the mixer reads
//! the sound of the same program times, so picture and sound cannot drift apart however many
//! loops pass. Media actions (seek, pause, resume, next) re-anchor the mapping at a scene time
//! ([`Anchor`]), so it stays a pure function of scene time.

use super::time::Nanos;
use crate::scene::Loop;

/// One playlist item on the program: where it starts in its file and how long it plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    /// Media time of the file where the item starts.
    pub(crate) start: Nanos,
    /// How long it plays (at least 1 ns).
    pub(crate) len: Nanos,
}

/// A media action's anchor: from scene time `at`, program time runs on from `program` (or
/// stands still there when `paused`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Anchor {
    /// Scene time of the action.
    pub(crate) at: Nanos,
    /// Program time at `at`.
    pub(crate) program: Nanos,
    /// Stands still.
    pub(crate) paused: bool,
}

/// Where a video layer stands at one scene time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// Before playback starts (the layer shows nothing yet).
    Before,
    /// Playing or paused at program time `program`: item `item` of lap `lap`, media time
    /// `media` of its file.
    At {
        /// Program time.
        program: Nanos,
        /// Completed passes through the list.
        lap: u64,
        /// The item.
        item: usize,
        /// Media time of the item's file.
        media: Nanos,
        /// Paused.
        paused: bool,
    },
    /// After the last picture: program time `program` is that of the last instant.
    Ended {
        /// Program time of the last instant (the last picture is on screen).
        program: Nanos,
        /// The last item.
        item: usize,
        /// Media time of the last instant of the last item.
        media: Nanos,
    },
}

/// A video layer's program: its items, how often it plays, when it starts, and the anchor of
/// the last media action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Timeline {
    spans: Vec<Span>,
    /// Program time where each item starts within a lap.
    starts: Vec<Nanos>,
    /// One lap (the sum of the spans).
    lap_len: Nanos,
    looped: Loop,
    /// Scene time of program time 0 (the layer's birth plus its `start`).
    origin: Nanos,
    anchor: Option<Anchor>,
}

impl Timeline {
    /// A program of `spans` (at least one; lengths below 1 ns count as 1 ns) starting at scene
    /// time `origin`.
    pub(crate) fn new(spans: Vec<Span>, looped: Loop, origin: Nanos) -> Timeline {
        let mut spans = spans;
        if spans.is_empty() {
            spans.push(Span { start: 0, len: 1 });
        }
        let mut starts = Vec::with_capacity(spans.len());
        let mut acc: Nanos = 0;
        for s in &mut spans {
            s.len = s.len.max(1);
            starts.push(acc);
            acc = acc.saturating_add(s.len);
        }
        Timeline {
            spans,
            starts,
            lap_len: acc.max(1),
            looped,
            origin,
            anchor: None,
        }
    }

    /// The same program re-anchored by a media action.
    pub(crate) fn with_anchor(mut self, anchor: Option<Anchor>) -> Timeline {
        self.anchor = anchor;
        self
    }

    /// The items' spans.
    pub(crate) fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// One pass through the list.
    pub(crate) fn lap_len(&self) -> Nanos {
        self.lap_len
    }

    /// The whole program's length (`None`: forever).
    pub(crate) fn total(&self) -> Option<Nanos> {
        match self.looped {
            Loop::Forever => None,
            Loop::Once => Some(self.lap_len),
            Loop::Times(n) => Some(self.lap_len.saturating_mul(n.max(1) as i64)),
        }
    }

    /// Program time of `item` of lap `lap` at media time `media` of its file (clamped into
    /// the item).
    pub(crate) fn program_of(&self, lap: u64, item: usize, media: Nanos) -> Nanos {
        let item = item.min(self.spans.len() - 1);
        let s = self.spans[item];
        let within = media.saturating_sub(s.start).clamp(0, s.len - 1);
        (lap as i64)
            .saturating_mul(self.lap_len)
            .saturating_add(self.starts[item] + within)
    }

    /// The lap, item and media time of program time `p` (not past the end).
    pub(crate) fn locate(&self, p: Nanos) -> (u64, usize, Nanos) {
        let p = p.max(0);
        let lap = (p / self.lap_len) as u64;
        let r = p % self.lap_len;
        let item = self.starts.partition_point(|&s| s <= r).saturating_sub(1);
        (lap, item, self.spans[item].start + (r - self.starts[item]))
    }

    /// Program time at scene time `t`, and whether it stands still (`None` before the start).
    pub(crate) fn program_at(&self, t: Nanos) -> Option<(Nanos, bool)> {
        match self.anchor {
            Some(a) if t >= a.at => Some(if a.paused {
                (a.program, true)
            } else {
                (a.program.saturating_add(t.saturating_sub(a.at)), false)
            }),
            _ => (t >= self.origin).then(|| (t.saturating_sub(self.origin), false)),
        }
    }

    /// Where the layer stands at scene time `t`.
    pub(crate) fn place(&self, t: Nanos) -> Place {
        let Some((p, paused)) = self.program_at(t) else {
            return Place::Before;
        };
        if let Some(total) = self.total()
            && p >= total
        {
            let last = total - 1;
            let (_, item, media) = self.locate(last);
            return Place::Ended {
                program: last,
                item,
                media,
            };
        }
        let (lap, item, media) = self.locate(p);
        Place::At {
            program: p,
            lap,
            item,
            media,
            paused,
        }
    }

    /// The next scene time after `t` where the mapping jumps: playback starting, or the
    /// anchor of a media action taking over (`None`: none).
    pub(crate) fn next_change(&self, t: Nanos) -> Option<Nanos> {
        let origin = (self.anchor.is_none_or(|a| self.origin < a.at) && t < self.origin)
            .then_some(self.origin);
        let anchor = self.anchor.map(|a| a.at).filter(|&at| t < at);
        match (origin, anchor) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Nanos = 1_000_000_000;

    fn spans(v: &[(Nanos, Nanos)]) -> Vec<Span> {
        v.iter().map(|&(start, len)| Span { start, len }).collect()
    }

    #[test]
    fn once_plays_then_ends_on_the_last_instant() {
        let tl = Timeline::new(spans(&[(2 * S, 4 * S)]), Loop::Once, 10 * S);
        assert_eq!(tl.place(9 * S), Place::Before);
        assert_eq!(
            tl.place(11 * S),
            Place::At {
                program: S,
                lap: 0,
                item: 0,
                media: 3 * S,
                paused: false
            }
        );
        assert_eq!(
            tl.place(20 * S),
            Place::Ended {
                program: 4 * S - 1,
                item: 0,
                media: 6 * S - 1
            }
        );
    }

    #[test]
    fn loops_and_playlists_are_exact_after_many_laps() {
        // 4 s + 1.001 s, forever: lap 1000 lands exactly.
        let tl = Timeline::new(spans(&[(0, 4 * S), (S, 1_001_000_000)]), Loop::Forever, 0);
        let lap = tl.lap_len();
        assert_eq!(lap, 5_001_000_000);
        let t = 1000 * lap + 4 * S + 5;
        assert_eq!(
            tl.place(t),
            Place::At {
                program: t,
                lap: 1000,
                item: 1,
                media: S + 5,
                paused: false
            }
        );
        assert_eq!(tl.total(), None);
        let twice = Timeline::new(spans(&[(0, 4 * S)]), Loop::Times(2), 0);
        assert!(matches!(twice.place(7 * S), Place::At { lap: 1, .. }));
        assert!(matches!(twice.place(8 * S), Place::Ended { .. }));
    }

    #[test]
    fn anchors_seek_and_pause() {
        let tl = Timeline::new(spans(&[(0, 10 * S)]), Loop::Once, 0);
        let p = tl.program_of(0, 0, 7 * S);
        let seek = tl.clone().with_anchor(Some(Anchor {
            at: 2 * S,
            program: p,
            paused: false,
        }));
        assert!(matches!(seek.place(S), Place::At { media, .. } if media == S));
        assert!(matches!(seek.place(3 * S), Place::At { media, .. } if media == 8 * S));
        let pause = tl.with_anchor(Some(Anchor {
            at: 2 * S,
            program: 2 * S,
            paused: true,
        }));
        assert!(
            matches!(pause.place(9 * S), Place::At { media, paused: true, .. } if media == 2 * S)
        );
    }

    #[test]
    fn edges_do_not_panic() {
        let tl = Timeline::new(Vec::new(), Loop::Times(u64::MAX), Nanos::MIN);
        let _ = tl.place(Nanos::MAX);
        let _ = tl.place(Nanos::MIN);
        let tl = Timeline::new(spans(&[(Nanos::MAX, Nanos::MAX), (0, 0)]), Loop::Forever, 0);
        let _ = tl.place(Nanos::MAX);
        let _ = tl.program_of(u64::MAX, usize::MAX, Nanos::MIN);
    }
}
