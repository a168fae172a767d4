//! The native path's parts: a [`Demuxer`] gives [`Packet`]s in decode order, a
//! [`VideoDecoder`] turns video packets into pictures in display order ([`DecodedFrame`]).

use super::error::MediaError;
use super::time::Nanos;
use crate::frame::YuvFrame;

/// Which track a packet belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum TrackKind {
    /// The (first) video track.
    Video,
    /// The (first) sound track.
    Audio,
}

/// One compressed packet of a file, in decode order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Packet {
    /// Its track.
    pub(crate) track: TrackKind,
    /// Presentation time after edit lists (may be negative: decoded, not shown).
    pub(crate) pts: Nanos,
    /// Decode time.
    pub(crate) dts: Nanos,
    /// How long it shows (0 when the container does not say).
    pub(crate) duration: Nanos,
    /// A key frame (decoding may start here).
    pub(crate) keyframe: bool,
    /// The payload as the codec wants it (H.264 in Annex B with parameter sets before every key
    /// frame; AV1 OBUs; AAC raw frames; Opus packets).
    pub(crate) data: Vec<u8>,
}

/// A decoded picture and when it shows.
#[derive(Clone, Debug)]
pub(crate) struct DecodedFrame {
    /// Presentation time, media time of the file.
    pub(crate) pts: Nanos,
    /// The picture, I420 8-bit limited range.
    pub(crate) picture: YuvFrame,
}

/// Reads a container's packets.
pub(crate) trait Demuxer: Send {
    /// The next packet of the video or sound track, `None` at the end.
    fn next_packet(&mut self) -> Result<Option<Packet>, MediaError>;

    /// Positions at the last video key frame at or before media time `t` (the first key frame
    /// when `t` is before it): the next packets are from there on.
    fn seek(&mut self, t: Nanos) -> Result<(), MediaError>;
}

/// Decodes a video track's packets.
pub(crate) trait VideoDecoder: Send {
    /// Feeds one packet (in decode order) and appends the pictures that are ready, in display
    /// order.
    fn decode(&mut self, packet: &Packet, out: &mut Vec<DecodedFrame>) -> Result<(), MediaError>;

    /// At the end of the stream: appends the pictures still held for reordering.
    fn flush(&mut self, out: &mut Vec<DecodedFrame>) -> Result<(), MediaError>;

    /// Forgets every picture and reference (before decoding from a seek point).
    fn reset(&mut self) -> Result<(), MediaError>;
}
