//! Interleaving audio and video packets in time order. Encoders hold frames back for different
//! times (rav1e's look-ahead delays video by about a dozen frames; audio comes out at once), so
//! packets reach the outputs out of step. Containers read linearly (FLV, RTMP) want one rising
//! timeline across tracks: the [`Interleaver`] holds the track that is ahead until the other
//! catches up, within a bound.

use std::collections::VecDeque;

use crate::encode::{Packet, Track};

/// Packets held per track at most, whatever the other track does (about 20 s of AAC), so a
/// track that stops never makes the queue grow without bound.
const MAX_HELD: usize = 1000;

/// Puts packets of two tracks, each in time order, into one time order.
#[derive(Debug, Default)]
pub(crate) struct Interleaver {
    /// Both tracks are expected (otherwise packets pass straight through).
    both: bool,
    video: VecDeque<Packet>,
    audio: VecDeque<Packet>,
}

impl Interleaver {
    /// An interleaver for a stream with video and, when `audio`, an audio track.
    pub(crate) fn new(audio: bool) -> Interleaver {
        Interleaver {
            both: audio,
            ..Interleaver::default()
        }
    }

    /// Takes a packet.
    pub(crate) fn push(&mut self, p: Packet) {
        match p.track {
            Track::Video => self.video.push_back(p),
            Track::Audio => self.audio.push_back(p),
        }
    }

    /// The next packet in time order, once it is sure no earlier one can still come (or a
    /// track holds too many).
    pub(crate) fn pop(&mut self) -> Option<Packet> {
        let (v, a) = (self.video.front(), self.audio.front());
        match (v, a) {
            (Some(v), Some(a)) => {
                if a.seconds() < v.seconds() {
                    self.audio.pop_front()
                } else {
                    self.video.pop_front()
                }
            }
            _ if !self.both || self.video.len() > MAX_HELD || self.audio.len() > MAX_HELD => {
                self.video.pop_front().or_else(|| self.audio.pop_front())
            }
            _ => None,
        }
    }

    /// Puts `p` into `owner`'s interleaver (`get`) and hands `owner`'s `write` every packet
    /// that is now due, in time order: the `Output::write` of every container output.
    pub(crate) fn feed<T, E>(
        owner: &mut T,
        get: fn(&mut T) -> &mut Interleaver,
        p: &Packet,
        write: fn(&mut T, &Packet) -> Result<(), E>,
    ) -> Result<(), E> {
        get(owner).push(p.clone());
        while let Some(q) = get(owner).pop() {
            write(owner, &q)?;
        }
        Ok(())
    }

    /// Hands `owner`'s `write` everything left at the end of the stream, in time order.
    pub(crate) fn flush<T, E>(
        owner: &mut T,
        get: fn(&mut T) -> &mut Interleaver,
        write: fn(&mut T, &Packet) -> Result<(), E>,
    ) -> Result<(), E> {
        while let Some(q) = get(owner).drain() {
            write(owner, &q)?;
        }
        Ok(())
    }

    /// The next packet at the end of the stream: everything left, in time order.
    pub(crate) fn drain(&mut self) -> Option<Packet> {
        self.pop()
            .or_else(|| self.video.pop_front())
            .or_else(|| self.audio.pop_front())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{AUDIO_RATE, VIDEO_TIMESCALE};

    fn packet(track: Track, seconds: f64) -> Packet {
        let rate = match track {
            Track::Video => VIDEO_TIMESCALE,
            Track::Audio => AUDIO_RATE,
        };
        let pts = (seconds * rate as f64).round() as i64;
        Packet::new(track, Vec::new(), pts, true)
    }

    #[test]
    fn late_video_is_waited_for() {
        let mut i = Interleaver::new(true);
        let mut out = Vec::new();
        // Audio for 0.0 .. 0.4 s arrives before any video, then video 0.0 .. 0.4 s.
        for n in 0..5 {
            i.push(packet(Track::Audio, n as f64 * 0.1));
            out.extend(std::iter::from_fn(|| i.pop()));
        }
        assert!(out.is_empty());
        for n in 0..5 {
            i.push(packet(Track::Video, n as f64 * 0.1 + 0.05));
            out.extend(std::iter::from_fn(|| i.pop()));
        }
        out.extend(std::iter::from_fn(|| i.drain()));
        let times: Vec<f64> = out.iter().map(Packet::seconds).collect();
        assert_eq!(times.len(), 10);
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    }

    #[test]
    fn one_track_passes_straight_through_and_the_queue_is_bounded() {
        let mut i = Interleaver::new(false);
        i.push(packet(Track::Video, 0.0));
        assert!(i.pop().is_some());
        let mut i = Interleaver::new(true);
        for n in 0..=MAX_HELD {
            i.push(packet(Track::Audio, n as f64 * 0.02));
        }
        assert!(i.pop().is_some());
    }
}
