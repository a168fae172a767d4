//! MPEG-TS packetisation (ISO/IEC 13818-1 §2.4.3): a PES packet cut into 188-byte transport
//! packets, the first with the payload-unit-start flag and (on the PCR's stream) an adaptation
//! field with the program clock, the last padded with adaptation-field stuffing; a continuity
//! counter per PID.

/// Size of a transport packet.
pub(crate) const TS_PACKET: usize = 188;

/// 33-bit wrap of PES timestamps.
const PTS_MASK: u64 = (1 << 33) - 1;

/// Continuity counters, one per PID (we use a handful).
#[derive(Clone, Debug, Default)]
pub(crate) struct TsCounters {
    counters: Vec<(u16, u8)>,
}

impl TsCounters {
    /// The counter for the next packet with payload on `pid` (0 to 15, wrapping).
    pub(crate) fn next(&mut self, pid: u16) -> u8 {
        match self.counters.iter_mut().find(|(p, _)| *p == pid) {
            Some((_, c)) => {
                *c = (*c + 1) & 0x0f;
                *c
            }
            None => {
                self.counters.push((pid, 0));
                0
            }
        }
    }
}

/// What the first transport packet of a PES carries besides the payload.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PesStart {
    /// The program clock (27 MHz) to send, on the PCR stream.
    pub(crate) pcr: Option<u64>,
    /// A random access point (a key frame).
    pub(crate) random_access: bool,
    /// Marks a discontinuity of the time base (after a restart).
    pub(crate) discontinuity: bool,
}

/// Appends a PES header of `stream_id` with a presentation time (90 kHz), for a payload of
/// `payload_len` bytes (the length field is 0, "unbounded", for video or when too long).
pub(crate) fn pes_header(stream_id: u8, pts: u64, payload_len: usize, out: &mut Vec<u8>) {
    let header_data = 5; // PTS only: our streams have no B-frames, DTS = PTS.
    let after_length = 3 + header_data + payload_len;
    let length = if stream_id & 0xf0 == 0xe0 || after_length > 0xffff {
        0
    } else {
        after_length as u16
    };
    out.extend([0, 0, 1, stream_id]);
    out.extend(length.to_be_bytes());
    // '10', not scrambled, no priority, data_alignment_indicator, no copyright, original.
    out.push(0x84);
    out.push(0x80); // PTS only
    out.push(header_data as u8);
    let pts = pts & PTS_MASK;
    out.push(0x21 | (((pts >> 29) as u8) & 0x0e));
    out.extend((((pts >> 14) as u16 & 0xfffe) | 1).to_be_bytes());
    out.extend((((pts << 1) as u16 & 0xfffe) | 1).to_be_bytes());
}

/// The 6 bytes of a PCR field for `pcr` (27 MHz): 33-bit base, 6 reserved bits, 9-bit extension.
fn pcr_bytes(pcr: u64) -> [u8; 6] {
    let base = (pcr / 300) & PTS_MASK;
    let ext = pcr % 300;
    let v = (base << 15) | (0x3f << 9) | ext;
    let b = v.to_be_bytes();
    [b[2], b[3], b[4], b[5], b[6], b[7]]
}

/// Appends `pes` (a whole PES packet) on `pid` as transport packets.
pub(crate) fn write_pes(
    pid: u16,
    pes: &[u8],
    start: PesStart,
    cc: &mut TsCounters,
    out: &mut Vec<u8>,
) {
    let mut rest = pes;
    let mut first = true;
    while !rest.is_empty() || first {
        // The adaptation field this packet needs besides stuffing: its flags and PCR.
        let mut af: Vec<u8> = Vec::new();
        if first && (start.pcr.is_some() || start.random_access || start.discontinuity) {
            let mut flags = 0u8;
            if start.discontinuity {
                flags |= 0x80;
            }
            if start.random_access {
                flags |= 0x40;
            }
            if start.pcr.is_some() {
                flags |= 0x10;
            }
            af.push(flags);
            if let Some(pcr) = start.pcr {
                af.extend(pcr_bytes(pcr));
            }
        }
        // Room for payload after the 4-byte header and the adaptation field (its length byte
        // included) if there is one.
        let af_total = if af.is_empty() { 0 } else { af.len() + 1 };
        let room = TS_PACKET - 4 - af_total;
        let take = rest.len().min(room);
        // Stuff the last packet: grow (or create) the adaptation field to fill it.
        let stuffing = room - take;
        let packet_start = out.len();
        let has_af = af_total > 0 || stuffing > 0;
        out.extend([
            0x47,
            (if first { 0x40 } else { 0 }) | (pid >> 8) as u8 & 0x1f,
            pid as u8,
            (if has_af { 0x30 } else { 0x10 }) | cc.next(pid),
        ]);
        if has_af {
            if af.is_empty() {
                // One stuffing byte: just a zero-length adaptation field; more: flags + 0xFF.
                let len = stuffing - 1;
                out.push(len as u8);
                if len > 0 {
                    out.push(0);
                    out.extend(std::iter::repeat_n(0xff, len - 1));
                }
            } else {
                out.push((af.len() + stuffing) as u8);
                out.extend_from_slice(&af);
                out.extend(std::iter::repeat_n(0xff, stuffing));
            }
        }
        out.extend_from_slice(&rest[..take]);
        debug_assert_eq!(out.len() - packet_start, TS_PACKET);
        rest = &rest[take..];
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads back the payloads of the packets on `pid` (what a demuxer would), checking sizes,
    /// sync bytes and continuity counters.
    fn payloads(ts: &[u8], pid: u16) -> Vec<u8> {
        assert_eq!(ts.len() % TS_PACKET, 0);
        let mut out = Vec::new();
        let mut last_cc: Option<u8> = None;
        for p in ts.chunks(TS_PACKET) {
            assert_eq!(p[0], 0x47);
            if (u16::from(p[1] & 0x1f) << 8 | u16::from(p[2])) != pid {
                continue;
            }
            let cc = p[3] & 0x0f;
            if let Some(l) = last_cc {
                assert_eq!(cc, (l + 1) & 0x0f);
            }
            last_cc = Some(cc);
            let mut at = 4;
            if p[3] & 0x20 != 0 {
                at += 1 + usize::from(p[4]);
            }
            out.extend_from_slice(&p[at..]);
        }
        out
    }

    #[test]
    fn every_payload_length_packs_exactly() {
        let mut cc = TsCounters::default();
        for len in [
            0usize, 1, 2, 170, 175, 176, 177, 182, 183, 184, 185, 366, 367, 368, 5000,
        ] {
            for pcr in [None, Some(123_456_789u64)] {
                let pes: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let mut out = Vec::new();
                let start = PesStart {
                    pcr,
                    random_access: pcr.is_some(),
                    discontinuity: false,
                };
                write_pes(0x100, &pes, start, &mut cc, &mut out);
                assert_eq!(payloads(&out, 0x100), pes, "len {len} pcr {pcr:?}");
            }
        }
    }

    #[test]
    fn pts_and_pcr_fields_round_trip() {
        let mut h = Vec::new();
        let pts = (1u64 << 33) - 7;
        pes_header(0xe0, pts, 10, &mut h);
        let read = (u64::from(h[9] >> 1) & 7) << 30
            | u64::from(u16::from_be_bytes([h[10], h[11]]) >> 1) << 15
            | u64::from(u16::from_be_bytes([h[12], h[13]]) >> 1);
        assert_eq!(read, pts);
        assert_eq!(&h[4..6], &[0, 0], "video PES are unbounded");
        let mut a = Vec::new();
        pes_header(0xc0, 0, 300, &mut a);
        assert_eq!(u16::from_be_bytes([a[4], a[5]]), 308);
        let b = pcr_bytes(27_000_000 * 3 + 299);
        let v = u64::from_be_bytes([0, 0, b[0], b[1], b[2], b[3], b[4], b[5]]);
        assert_eq!(v >> 15, 90_000 * 3);
        assert_eq!(v & 0x1ff, 299);
    }
}
