//! AV1 bitstream helpers for the containers: walking the OBUs of a packet (low-overhead
//! format, every OBU with its size field, as rav1e writes them), finding the sequence header,
//! dropping temporal delimiters, and building the `AV1CodecConfigurationRecord` (the `av1C`
//! box body) that MP4 and Enhanced FLV/RTMP carry before the first frame.

/// OBU type of a sequence header.
pub(crate) const OBU_SEQUENCE_HEADER: u8 = 1;
/// OBU type of a temporal delimiter.
pub(crate) const OBU_TEMPORAL_DELIMITER: u8 = 2;

/// Reads a LEB128 number; returns it and its length in bytes.
fn leb128(data: &[u8]) -> Option<(usize, usize)> {
    let mut value: u64 = 0;
    for (i, b) in data.iter().take(8).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((usize::try_from(value).ok()?, i + 1));
        }
    }
    None
}

/// The OBUs of `data` as (type, whole OBU with its header), or `None` when the data is not a
/// well-formed sequence of sized OBUs.
pub(crate) fn obus(data: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let header = rest[0];
        if header & 0x80 != 0 || header & 0x02 == 0 {
            return None; // forbidden bit set, or no size field
        }
        let ext = usize::from(header & 0x04 != 0);
        let (size, len) = leb128(rest.get(1 + ext..)?)?;
        let total = (1 + ext + len).checked_add(size)?;
        let obu = rest.get(..total)?;
        out.push(((header >> 3) & 0x0f, obu));
        rest = &rest[total..];
    }
    Some(out)
}

/// The sequence header OBU of a packet (rav1e puts one in every key frame).
pub(crate) fn sequence_header(data: &[u8]) -> Option<&[u8]> {
    obus(data)?
        .into_iter()
        .find(|(t, _)| *t == OBU_SEQUENCE_HEADER)
        .map(|(_, o)| o)
}

/// Appends `data` to `out` without its temporal delimiters (MP4 samples and Enhanced FLV
/// frames must not carry them). Data that does not parse is copied as it is.
pub(crate) fn strip_temporal_delimiters(data: &[u8], out: &mut Vec<u8>) {
    match obus(data) {
        Some(list) => {
            for (t, o) in list {
                if t != OBU_TEMPORAL_DELIMITER {
                    out.extend_from_slice(o);
                }
            }
        }
        None => out.extend_from_slice(data),
    }
}

/// The `AV1CodecConfigurationRecord` for a sequence header OBU: the 4-byte header (marker,
/// version 1, profile, level, tier, bit depth, chroma format) followed by the OBU itself as
/// the only configOBU. `None` when the OBU does not parse as a sequence header.
pub(crate) fn av1_config_record(seq_header: &[u8]) -> Option<Vec<u8>> {
    let c = muxide::codec::av1::extract_av1_config(seq_header)?;
    let mut r = Vec::with_capacity(4 + seq_header.len());
    r.push(0x81); // marker 1, version 1
    r.push(((c.seq_profile & 0x07) << 5) | (c.seq_level_idx & 0x1f));
    r.push(
        ((c.seq_tier & 0x01) << 7)
            | (u8::from(c.high_bitdepth) << 6)
            | (u8::from(c.twelve_bit) << 5)
            | (u8::from(c.monochrome) << 4)
            | (u8::from(c.chroma_subsampling_x) << 3)
            | (u8::from(c.chroma_subsampling_y) << 2)
            | (c.chroma_sample_position & 0x03),
    );
    r.push(0); // no initial_presentation_delay
    r.extend_from_slice(seq_header);
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    // A temporal delimiter, a 3-byte padding OBU (type 15) and a 2-byte frame OBU (type 6).
    const STREAM: [u8; 11] = [0x12, 0, 0x7a, 3, 1, 2, 3, 0x32, 2, 9, 9];

    #[test]
    fn obus_are_split_and_delimiters_dropped() {
        let list = obus(&STREAM).unwrap();
        let types: Vec<u8> = list.iter().map(|(t, _)| *t).collect();
        assert_eq!(types, vec![2, 15, 6]);
        let mut out = Vec::new();
        strip_temporal_delimiters(&STREAM, &mut out);
        assert_eq!(out, &STREAM[2..]);
        assert_eq!(sequence_header(&STREAM), None);
    }

    #[test]
    fn malformed_data_is_refused_or_kept() {
        assert_eq!(obus(&[0x12, 5, 0]), None); // size beyond the end
        assert_eq!(obus(&[0x10]), None); // no size field
        let mut out = Vec::new();
        strip_temporal_delimiters(&[0x92, 0], &mut out);
        assert_eq!(out, vec![0x92, 0]);
        assert_eq!(av1_config_record(&[0x0a, 0]), None);
    }
}
