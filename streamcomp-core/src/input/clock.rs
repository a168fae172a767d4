//! [`InputClock`]: how a live input's own timestamps map onto the stream's clock (SPEC §9).
//!
//! The output clock leads. Every packet that arrives gives one sample of `arrival − dts` (the
//! *offset*: where the input's time 0 lies on the stream clock). The first packet sets the
//! offset; network jitter only ever delays packets, so the smallest offset of the last two
//! windows is the truest, and the offset slews towards it at most [`MAX_SLEW`] (0.5 %) of
//! elapsed time: a source whose clock runs slightly fast or slow is absorbed smoothly (its
//! pictures repeat or skip now and then, its sound is resampled by that fraction), never queued
//! without bound. A jump of more than [`DISCONTINUITY`] (a reconnect, a timestamp reset or
//! wrap) re-anchors at once.
//!
//! The input time shown at stream time `w` is `w − offset(w) − buffer`: picture and sound use
//! this one mapping, so they stay together.

use crate::media::Nanos;

/// A jump in `arrival − dts` this large re-anchors the clock.
pub(crate) const DISCONTINUITY: Nanos = 1_000_000_000;
/// Length of one window of the minimum tracker.
const WINDOW: Nanos = 2_000_000_000;
/// The fastest the offset may move: 0.5 % of elapsed time (5 ms per second).
pub(crate) const MAX_SLEW: f64 = 0.005;
/// For this long after anchoring, an offset found to be more than [`STEP`] too late is taken
/// at once: senders often deliver their first packets late (start-up), and slewing that away
/// would take a minute.
const STARTUP: Nanos = 6_000_000_000;
/// See [`STARTUP`].
const STEP: Nanos = 20_000_000;

/// An input's mapping from stream time to its own time.
#[derive(Clone, Debug, Default)]
pub(crate) struct InputClock {
    /// The offset's value at `base_w`, and its slope since then.
    anchor: Option<Segment>,
    /// Stream time of the last anchoring.
    anchored_at: Nanos,
    /// Smallest offset seen in the current window, and where that window started.
    cur_min: Option<Nanos>,
    cur_start: Nanos,
    /// Smallest offset of the previous window.
    prev_min: Option<Nanos>,
    /// Re-anchorings so far (a reconnect, a timestamp jump).
    pub(crate) anchors: u64,
}

#[derive(Clone, Copy, Debug)]
struct Segment {
    base_w: Nanos,
    base_offset: Nanos,
    /// d(offset)/d(w), within ±MAX_SLEW.
    slope: f64,
}

impl Segment {
    fn offset_at(&self, w: Nanos) -> Nanos {
        self.base_offset
            .saturating_add((w.saturating_sub(self.base_w) as f64 * self.slope).round() as Nanos)
    }
}

impl InputClock {
    /// Notes a packet with decode time `dts` (input time) that arrived at stream time
    /// `arrival`. Returns true when this re-anchored the clock (a discontinuity).
    pub(crate) fn observe(&mut self, arrival: Nanos, dts: Nanos) -> bool {
        let o = arrival.saturating_sub(dts);
        let Some(seg) = self.anchor else {
            self.anchor_at(arrival, o);
            return true;
        };
        let now = seg.offset_at(arrival);
        if o.saturating_sub(now).unsigned_abs() > DISCONTINUITY as u64 {
            self.anchor_at(arrival, o);
            return true;
        }
        self.cur_min = Some(self.cur_min.map_or(o, |m| m.min(o)));
        if arrival.saturating_sub(self.cur_start) >= WINDOW {
            // A window ends: aim the offset at the smallest offset of the last two windows,
            // reaching it over the next window, no faster than MAX_SLEW.
            let best = match (self.prev_min, self.cur_min) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => a.or(b).unwrap_or(o),
            };
            let early = arrival.saturating_sub(self.anchored_at) < STARTUP;
            self.anchor = Some(if early && best < now.saturating_sub(STEP) {
                Segment {
                    base_w: arrival,
                    base_offset: best,
                    slope: 0.0,
                }
            } else {
                let slope =
                    (best.saturating_sub(now) as f64 / WINDOW as f64).clamp(-MAX_SLEW, MAX_SLEW);
                Segment {
                    base_w: arrival,
                    base_offset: now,
                    slope,
                }
            });
            self.prev_min = self.cur_min.take();
            self.cur_start = arrival;
        }
        false
    }

    fn anchor_at(&mut self, w: Nanos, offset: Nanos) {
        self.anchor = Some(Segment {
            base_w: w,
            base_offset: offset,
            slope: 0.0,
        });
        self.cur_min = Some(offset);
        self.prev_min = None;
        self.cur_start = w;
        self.anchored_at = w;
        self.anchors += 1;
    }

    /// The input time on screen at stream time `w` with `buffer` held back; `None` before the
    /// first packet.
    pub(crate) fn input_time(&self, w: Nanos, buffer: Nanos) -> Option<Nanos> {
        self.anchor
            .map(|s| w.saturating_sub(s.offset_at(w)).saturating_sub(buffer))
    }

    /// The current rate of input time per stream time (1 + how fast the input runs).
    pub(crate) fn rate(&self) -> f64 {
        1.0 - self.anchor.map_or(0.0, |s| s.slope)
    }

    /// Forgets the mapping (the next packet anchors again).
    pub(crate) fn reset(&mut self) {
        let anchors = self.anchors;
        *self = InputClock {
            anchors,
            ..InputClock::default()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Nanos = 1_000_000;

    #[test]
    fn first_packet_anchors_and_buffer_delays() {
        let mut c = InputClock::default();
        assert!(c.input_time(0, 0).is_none());
        assert!(c.observe(5_000 * MS, 0));
        assert_eq!(c.input_time(5_000 * MS, 200 * MS), Some(-200 * MS));
        assert_eq!(c.input_time(6_000 * MS, 200 * MS), Some(800 * MS));
    }

    #[test]
    fn jitter_does_not_move_the_clock() {
        let mut c = InputClock::default();
        let mut seed = 7u64;
        for i in 0..3000i64 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let jitter = (seed % 40) as i64 * MS; // 0–40 ms late
            c.observe(1_000 * MS + i * 33 * MS + jitter, i * 33 * MS);
        }
        let w = 1_000 * MS + 3000 * 33 * MS;
        let t = c.input_time(w, 0).unwrap();
        // The clock follows the earliest arrivals: within a couple of ms of the true mapping.
        assert!(
            (t - 3000 * 33 * MS).abs() < 3 * MS,
            "off by {} ms",
            (t - 3000 * 33 * MS) / MS
        );
    }

    #[test]
    fn a_fast_source_is_followed_within_two_frames() {
        // The input's clock runs 0.1 % fast for 10 minutes: its timestamps grow by 1.001 s
        // per second of arrival.
        let mut c = InputClock::default();
        let frame = 33_333_333i64;
        let mut worst = 0;
        for i in 0..(600 * 30) {
            let arrival = i * frame;
            let dts = (arrival as f64 * 1.001) as i64;
            c.observe(arrival, dts);
            if i > 30 * 10 {
                // What shows at `arrival` (no buffer) against the newest packet.
                let shown = c.input_time(arrival, 0).unwrap();
                worst = worst.max((dts - shown).abs());
            }
        }
        assert!(worst < 2 * frame, "lag grew to {} ms", worst / MS);
        assert!((c.rate() - 1.001).abs() < 0.0005, "rate {}", c.rate());
    }

    #[test]
    fn late_first_packets_are_caught_up_at_once() {
        // The first second of packets arrives 150 ms late (a sender starting up), then on time.
        let mut c = InputClock::default();
        for i in 0..300i64 {
            let dts = i * 33 * MS;
            let late = if i < 30 { 150 * MS } else { 0 };
            c.observe(1_000 * MS + dts + late, dts);
        }
        let w = 1_000 * MS + 299 * 33 * MS;
        let shown = c.input_time(w, 0).unwrap();
        assert!(
            (299 * 33 * MS - shown).abs() < 5 * MS,
            "lag {} ms",
            (299 * 33 * MS - shown) / MS
        );
    }

    #[test]
    fn a_timestamp_jump_reanchors() {
        let mut c = InputClock::default();
        c.observe(0, 0);
        c.observe(33 * MS, 33 * MS);
        assert_eq!(c.anchors, 1);
        // The publisher reconnects: timestamps start again at 0, ten seconds later.
        assert!(c.observe(10_000 * MS, 0));
        assert_eq!(c.anchors, 2);
        assert_eq!(c.input_time(10_000 * MS, 0), Some(0));
        // A 32-bit wrap is a jump too.
        assert!(c.observe(10_033 * MS, (u32::MAX as i64) * MS));
    }

    #[test]
    fn extreme_values_do_not_panic() {
        let mut c = InputClock::default();
        for (a, d) in [
            (0, i64::MAX / 4),
            (i64::MAX / 4, 0),
            (-(i64::MAX / 4), i64::MAX / 4),
            (0, 0),
        ] {
            c.observe(a, d);
            let _ = c.input_time(a, 10_000 * MS);
        }
    }
}
