//! MPEG-TS program tables (ISO/IEC 13818-1 §2.4.4): the Program Association Table and the
//! Program Map Table of our one program, each a section with its CRC-32, and the TS packets
//! they travel in.

use super::ts_packet::{TS_PACKET, TsCounters};

/// PID of the Program Map Table.
pub(crate) const PMT_PID: u16 = 0x1000;
/// PID of the video elementary stream (and of the PCR).
pub(crate) const VIDEO_PID: u16 = 0x100;
/// PID of the audio elementary stream.
pub(crate) const AUDIO_PID: u16 = 0x101;

/// `stream_type` of H.264 video.
pub(crate) const STREAM_TYPE_H264: u8 = 0x1b;
/// `stream_type` of AAC in ADTS frames.
pub(crate) const STREAM_TYPE_AAC_ADTS: u8 = 0x0f;
/// `stream_type` of PES private data: Opus (with its registration descriptor).
pub(crate) const STREAM_TYPE_PRIVATE_PES: u8 = 0x06;

/// One elementary stream of the program map.
#[derive(Clone, Debug)]
pub(crate) struct PmtStream {
    /// `stream_type`.
    pub(crate) kind: u8,
    /// Its PID.
    pub(crate) pid: u16,
    /// Its descriptors, whole (tag, length, body).
    pub(crate) descriptors: Vec<u8>,
}

/// The descriptors that mark a private PES stream as Opus (the mapping "Encapsulation of Opus in
/// MPEG-2 Transport Stream"): a registration descriptor `Opus` and an extension descriptor
/// (tag 0x80) with the channel configuration (2: stereo).
pub(crate) fn opus_descriptors() -> Vec<u8> {
    vec![0x05, 4, b'O', b'p', b'u', b's', 0x7f, 2, 0x80, 2]
}

/// CRC-32/MPEG-2 (polynomial 0x04C11DB7, initial 0xFFFFFFFF, no reflection, no final xor).
pub(crate) fn crc32_mpeg2(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// A long-form section: `table_id`, the syntax header with `id` (transport stream id or
/// program number), version 0, one section, then `body` and the CRC.
fn section(table_id: u8, id: u16, body: &[u8]) -> Vec<u8> {
    // After the length field: id (2), version/current (1), section numbers (2), body, CRC (4).
    let length = 5 + body.len() + 4;
    let mut s = Vec::with_capacity(3 + length);
    s.push(table_id);
    s.push(0xb0 | ((length >> 8) as u8 & 0x0f));
    s.push(length as u8);
    s.extend(id.to_be_bytes());
    s.push(0xc1); // reserved, version 0, current_next_indicator 1
    s.push(0); // section_number
    s.push(0); // last_section_number
    s.extend_from_slice(body);
    s.extend(crc32_mpeg2(&s).to_be_bytes());
    s
}

/// The PAT: program 1 at [`PMT_PID`].
pub(crate) fn pat() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(1u16.to_be_bytes());
    body.extend((0xe000 | PMT_PID).to_be_bytes());
    section(0, 1, &body)
}

/// The PMT of program 1: PCR on [`VIDEO_PID`], then `streams`.
pub(crate) fn pmt(streams: &[PmtStream]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend((0xe000 | VIDEO_PID).to_be_bytes());
    body.extend(0xf000u16.to_be_bytes()); // no program descriptors
    for s in streams {
        body.push(s.kind);
        body.extend((0xe000 | s.pid).to_be_bytes());
        body.extend((0xf000 | s.descriptors.len() as u16).to_be_bytes());
        body.extend_from_slice(&s.descriptors);
    }
    section(2, 1, &body)
}

/// Appends `section` as one TS packet on `pid` (pointer field 0, the rest stuffed with 0xFF).
/// Our tables are far below the 183 bytes one packet holds.
pub(crate) fn write_section(pid: u16, section: &[u8], cc: &mut TsCounters, out: &mut Vec<u8>) {
    debug_assert!(section.len() < TS_PACKET - 5);
    let start = out.len();
    out.extend([
        0x47,
        0x40 | (pid >> 8) as u8,
        pid as u8,
        0x10 | cc.next(pid),
    ]);
    out.push(0); // pointer_field
    out.extend_from_slice(section);
    out.resize(start + TS_PACKET, 0xff);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_of_a_known_pat() {
        // The check value of CRC-32/MPEG-2 for "123456789".
        assert_eq!(crc32_mpeg2(b"123456789"), 0x0376_e6e7);
        // A section's CRC over the whole section including the CRC is 0.
        assert_eq!(crc32_mpeg2(&pat()), 0);
        let p = pmt(&[PmtStream {
            kind: STREAM_TYPE_H264,
            pid: VIDEO_PID,
            descriptors: Vec::new(),
        }]);
        assert_eq!(crc32_mpeg2(&p), 0);
        assert_eq!(p[0], 2);
        let len = (usize::from(p[1] & 0x0f) << 8) | usize::from(p[2]);
        assert_eq!(len + 3, p.len());
    }
}
