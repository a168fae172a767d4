//! Presentation times for decoders that do not carry them through (openh264, an `ffmpeg`
//! process fed an elementary stream): the times of the packets fed whose pictures have not come
//! out yet, in a sorted multiset. Display order is increasing presentation time, so each picture
//! that comes out takes the smallest.

use std::collections::BTreeMap;

use crate::media::Nanos;

/// Most packets whose pictures may be pending at once in openh264: more is a decoder that
/// silently dropped pictures, and the oldest times are let go.
const MAX_PENDING: usize = 64;

/// The pending presentation times of one decoder.
#[derive(Debug)]
pub(crate) struct PtsOrder {
    /// Most pending times kept (a decoder holding more dropped pictures).
    limit: usize,
    /// Time → how many packets fed at it are pending.
    pending: BTreeMap<Nanos, u32>,
    len: usize,
    /// The last time given out.
    last: Option<Nanos>,
}

impl Default for PtsOrder {
    fn default() -> PtsOrder {
        PtsOrder::with_limit(MAX_PENDING)
    }
}

impl PtsOrder {
    /// For a decoder that may hold up to `limit` packets (its own queues included).
    pub(crate) fn with_limit(limit: usize) -> PtsOrder {
        PtsOrder {
            limit: limit.max(1),
            pending: BTreeMap::new(),
            len: 0,
            last: None,
        }
    }

    /// A packet at `pts` was fed.
    pub(crate) fn push(&mut self, pts: Nanos) {
        *self.pending.entry(pts).or_insert(0) += 1;
        self.len += 1;
        if self.len > self.limit {
            let _ = self.take(None);
        }
    }

    /// The packet at `pts` will show nothing (the decoder refused it).
    pub(crate) fn forget(&mut self, pts: Nanos) {
        let _ = self.take(Some(pts));
    }

    fn take(&mut self, which: Option<Nanos>) -> Option<Nanos> {
        let key = match which {
            Some(k) => k,
            None => *self.pending.keys().next()?,
        };
        let n = self.pending.get_mut(&key)?;
        *n -= 1;
        if *n == 0 {
            self.pending.remove(&key);
        }
        self.len -= 1;
        Some(key)
    }

    /// The time of the next picture out: the smallest pending one (or just after the last when
    /// none is pending, which a well-formed stream never needs).
    pub(crate) fn next(&mut self) -> Nanos {
        let pts = self
            .take(None)
            .unwrap_or_else(|| self.last.map_or(0, |p| p.saturating_add(1)));
        if let Some(last) = self.last
            && pts <= last
        {
            tracing::debug!(pts, last, "decoder output not in presentation order");
        }
        self.last = Some(pts);
        pts
    }

    /// Forgets the pending times (after the stream ended).
    pub(crate) fn clear_pending(&mut self) {
        self.pending.clear();
        self.len = 0;
    }

    /// Forgets everything (before decoding from a seek point).
    pub(crate) fn reset(&mut self) {
        self.clear_pending();
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_order_in_display_order_out() {
        let mut o = PtsOrder::default();
        // I P B B in decode order: 0, 300, 100, 200.
        for p in [0, 300, 100, 200] {
            o.push(p);
        }
        o.forget(100);
        assert_eq!([o.next(), o.next(), o.next()], [0, 200, 300]);
        assert_eq!(o.next(), 301, "nothing pending: just after the last");
        for p in 0..100 {
            o.push(p);
        }
        assert_eq!(o.next(), 100 - MAX_PENDING as i64, "the oldest let go");
    }
}
