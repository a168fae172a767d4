//! FLV: the file header, an `onMetaData` script tag, and audio/video tags for H.264 and AAC.
//! The tag builders are what the RTMP publisher sends too.

use super::nal::{avc_decoder_config, to_avcc};
use crate::encode::{AUDIO_RATE, Packet, Track, VIDEO_TIMESCALE};

/// FLV tag types.
pub(crate) const TAG_AUDIO: u8 = 8;
pub(crate) const TAG_VIDEO: u8 = 9;
pub(crate) const TAG_SCRIPT: u8 = 18;

/// The 9-byte file header plus the first (zero) previous-tag size.
pub(crate) fn file_header(audio: bool) -> Vec<u8> {
    let flags = if audio { 0x05 } else { 0x01 };
    vec![b'F', b'L', b'V', 1, flags, 0, 0, 0, 9, 0, 0, 0, 0]
}

/// A whole tag (header, body, previous-tag size) at `ms`.
pub(crate) fn tag(kind: u8, ms: u32, body: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(body.len() + 15);
    t.push(kind);
    t.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    t.extend_from_slice(&ms.to_be_bytes()[1..]);
    t.push((ms >> 24) as u8);
    t.extend_from_slice(&[0, 0, 0]);
    t.extend_from_slice(body);
    t.extend_from_slice(&(body.len() as u32 + 11).to_be_bytes());
    t
}

fn amf_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// The `onMetaData` body (AMF0): name, then an ECMA array of numbers. Returns the body and the
/// offset of the `duration` value inside it (to patch at the end of a file).
pub(crate) fn metadata(entries: &[(&str, f64)]) -> (Vec<u8>, Option<usize>) {
    let mut b = vec![2];
    amf_string(&mut b, "onMetaData");
    b.push(8);
    b.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    let mut duration_at = None;
    for (k, v) in entries {
        amf_string(&mut b, k);
        b.push(0);
        if *k == "duration" {
            duration_at = Some(b.len());
        }
        b.extend_from_slice(&v.to_be_bytes());
    }
    b.extend_from_slice(&[0, 0, 9]);
    (b, duration_at)
}

/// The AVC sequence header tag body (`0x17 0x00` + configuration record).
pub(crate) fn avc_sequence_header(sps: &[u8], pps: &[u8]) -> Vec<u8> {
    let mut b = vec![0x17, 0, 0, 0, 0];
    b.extend_from_slice(&avc_decoder_config(sps, pps));
    b
}

/// The AAC sequence header tag body (`0xAF 0x00` + AudioSpecificConfig).
pub(crate) fn aac_sequence_header(asc: &[u8]) -> Vec<u8> {
    let mut b = vec![0xaf, 0];
    b.extend_from_slice(asc);
    b
}

/// The tag body of a packet: H.264 as AVCC NAL units, AAC as a raw access unit.
pub(crate) fn packet_body(p: &Packet, scratch: &mut Vec<u8>) -> Vec<u8> {
    match p.track {
        Track::Video => {
            to_avcc(&p.data, scratch);
            let mut b = Vec::with_capacity(scratch.len() + 5);
            b.push(if p.key { 0x17 } else { 0x27 });
            b.extend_from_slice(&[1, 0, 0, 0]);
            b.extend_from_slice(scratch);
            b
        }
        Track::Audio => {
            let mut b = Vec::with_capacity(p.data.len() + 2);
            b.extend_from_slice(&[0xaf, 1]);
            b.extend_from_slice(&p.data);
            b
        }
    }
}

/// A packet's time in milliseconds.
pub(crate) fn packet_ms(p: &Packet) -> u32 {
    let rate = match p.track {
        Track::Video => VIDEO_TIMESCALE,
        Track::Audio => AUDIO_RATE,
    } as i64;
    (p.pts.max(0) * 1000 / rate) as u32
}
