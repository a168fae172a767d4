//! H.264 byte-stream helpers: split Annex B into NAL units, convert to length-prefixed (AVCC)
//! samples, and build the AVCDecoderConfigurationRecord from SPS and PPS.

/// NAL unit types of parameter sets and delimiters.
const NAL_SPS: u8 = 7;
const NAL_PPS: u8 = 8;
const NAL_AUD: u8 = 9;

/// The NAL units of an Annex B byte stream, without start codes.
pub(crate) fn nal_units(data: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut units = Vec::with_capacity(starts.len());
    for (k, &s) in starts.iter().enumerate() {
        let mut end = starts.get(k + 1).map(|&n| n - 3).unwrap_or(data.len());
        while end > s && data[end - 1] == 0 {
            end -= 1; // trailing zero of a 4-byte start code
        }
        if end > s {
            units.push(&data[s..end]);
        }
    }
    units
}

/// The first SPS and PPS in an Annex B access unit.
pub(crate) fn sps_pps(data: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let units = nal_units(data);
    let sps = units.iter().find(|n| n[0] & 0x1f == NAL_SPS)?;
    let pps = units.iter().find(|n| n[0] & 0x1f == NAL_PPS)?;
    Some((sps.to_vec(), pps.to_vec()))
}

/// Appends an Annex B access unit to `out` as 4-byte length-prefixed NAL units, leaving out
/// parameter sets and delimiters (they live in the decoder configuration record).
pub(crate) fn to_avcc(data: &[u8], out: &mut Vec<u8>) {
    for n in nal_units(data) {
        if matches!(n[0] & 0x1f, NAL_SPS | NAL_PPS | NAL_AUD) {
            continue;
        }
        out.extend_from_slice(&(n.len() as u32).to_be_bytes());
        out.extend_from_slice(n);
    }
}

/// AVCDecoderConfigurationRecord (ISO/IEC 14496-15) for one SPS and one PPS, 4-byte lengths.
pub(crate) fn avc_decoder_config(sps: &[u8], pps: &[u8]) -> Vec<u8> {
    let mut v = vec![
        1,
        sps.get(1).copied().unwrap_or(66),
        sps.get(2).copied().unwrap_or(0),
        sps.get(3).copied().unwrap_or(30),
        0xff,
        0xe1,
    ];
    v.extend_from_slice(&(sps.len() as u16).to_be_bytes());
    v.extend_from_slice(sps);
    v.push(1);
    v.extend_from_slice(&(pps.len() as u16).to_be_bytes());
    v.extend_from_slice(pps);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_converts() {
        let au = [
            0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 9, 9, 0,
        ];
        let units = nal_units(&au);
        assert_eq!(units, vec![&[0x67, 1, 2][..], &[0x68, 3], &[0x65, 9, 9]]);
        assert_eq!(sps_pps(&au), Some((vec![0x67, 1, 2], vec![0x68, 3])));
        let mut out = Vec::new();
        to_avcc(&au, &mut out);
        assert_eq!(out, [0, 0, 0, 3, 0x65, 9, 9]);
        assert_eq!(
            avc_decoder_config(&[0x67, 66, 0, 30], &[0x68]),
            [
                1, 66, 0, 30, 0xff, 0xe1, 0, 4, 0x67, 66, 0, 30, 1, 0, 1, 0x68
            ]
        );
    }
}
