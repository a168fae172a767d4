//! H.264 as containers store it: the AVCDecoderConfigurationRecord (`avcC`, MP4/MKV/FLV) and
//! length-prefixed (AVCC) samples, turned into the Annex B byte stream openh264 reads, with the
//! parameter sets before every key frame.

use super::h264::{self, Sps, SpsError};
use crate::limits::Limits;

/// A parsed `avcC` record.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AvcConfig {
    /// Bytes of each NAL length prefix in samples (1, 2 or 4).
    pub(crate) length_size: usize,
    /// The SPS and PPS NAL units as an Annex B stream (start codes included).
    pub(crate) params_annexb: Vec<u8>,
    /// The first SPS, parsed.
    pub(crate) sps: Sps,
}

/// Why an `avcC` cannot be used.
pub(crate) type AvcError = SpsError;

/// A 4-byte Annex B start code.
const START: [u8; 4] = [0, 0, 0, 1];

/// Reads an `avcC` record and its first SPS (checked against the video limits).
pub(crate) fn parse_avcc(rec: &[u8], limits: &Limits) -> Result<AvcConfig, AvcError> {
    let bad = |s: &str| SpsError::Malformed(format!("avcC: {s}"));
    if rec.len() < 7 || rec[0] != 1 {
        return Err(bad("not a version 1 record"));
    }
    let length_size = usize::from(rec[4] & 3) + 1;
    if length_size == 3 {
        return Err(bad("3-byte NAL lengths"));
    }
    let mut pos = 5;
    let mut params = Vec::new();
    let mut sps = None;
    for kind in [7u8, 8u8] {
        let count = if kind == 7 {
            usize::from(rec[pos] & 0x1f)
        } else {
            usize::from(*rec.get(pos).ok_or_else(|| bad("no PPS count"))?)
        };
        pos += 1;
        for _ in 0..count {
            let len_bytes = rec.get(pos..pos + 2).ok_or_else(|| bad("cut short"))?;
            let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
            pos += 2;
            let nal = rec.get(pos..pos + len).ok_or_else(|| bad("cut short"))?;
            pos += len;
            if nal.is_empty() {
                continue;
            }
            if kind == 7 && sps.is_none() {
                sps = Some(h264::parse_sps(nal, limits)?);
            }
            params.extend_from_slice(&START);
            params.extend_from_slice(nal);
        }
    }
    let sps = sps.ok_or_else(|| bad("no SPS"))?;
    Ok(AvcConfig {
        length_size,
        params_annexb: params,
        sps,
    })
}

/// Converts one length-prefixed sample to Annex B into `out` (cleared first), with the
/// parameter sets of `cfg` first when `keyframe`. Every in-band SPS is checked against the
/// limits and the routing rule (a stream may change its SPS part way). Returns a description
/// of what is wrong on a broken sample.
pub(crate) fn avcc_to_annexb(
    sample: &[u8],
    cfg: &AvcConfig,
    keyframe: bool,
    limits: &Limits,
    out: &mut Vec<u8>,
) -> Result<(), SpsError> {
    out.clear();
    out.reserve(sample.len() + cfg.params_annexb.len() + 16);
    if keyframe {
        out.extend_from_slice(&cfg.params_annexb);
    }
    let mut pos = 0;
    while pos < sample.len() {
        let Some(len_bytes) = sample.get(pos..pos + cfg.length_size) else {
            return Err(SpsError::Malformed("NAL length cut short".into()));
        };
        let len = len_bytes
            .iter()
            .fold(0usize, |a, &b| (a << 8) | usize::from(b));
        pos += cfg.length_size;
        let Some(nal) = sample.get(pos..pos.saturating_add(len)) else {
            return Err(SpsError::Malformed(format!(
                "NAL of {len} bytes past the end of a {}-byte sample",
                sample.len()
            )));
        };
        pos += len;
        if nal.is_empty() {
            continue;
        }
        if nal[0] & 0x1f == 7 {
            let sps = h264::parse_sps(nal, limits)?;
            if let Err(why) = h264::route(&sps) {
                return Err(SpsError::Malformed(format!("in-band SPS: {why}")));
            }
        }
        out.extend_from_slice(&START);
        out.extend_from_slice(nal);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_samples_and_inserts_parameter_sets() {
        let sps = super::super::h264::tests::make_sps(100, 20, 15, 1, 8, true);
        let mut rec = vec![1, 100, 0, 40, 0xff, 0xe1];
        rec.extend_from_slice(&(sps.len() as u16).to_be_bytes());
        rec.extend_from_slice(&sps);
        rec.extend_from_slice(&[1, 0, 2, 0x68, 0xce]);
        let l = Limits::default();
        let cfg = parse_avcc(&rec, &l).unwrap();
        assert_eq!(cfg.length_size, 4);
        let mut out = Vec::new();
        avcc_to_annexb(
            &[0, 0, 0, 2, 0x65, 1, 0, 0, 0, 1, 0x06],
            &cfg,
            true,
            &l,
            &mut out,
        )
        .unwrap();
        let mut want = vec![0, 0, 0, 1];
        want.extend_from_slice(&sps);
        want.extend_from_slice(&[0, 0, 0, 1, 0x68, 0xce, 0, 0, 0, 1, 0x65, 1, 0, 0, 0, 1, 6]);
        assert_eq!(out, want);
        avcc_to_annexb(&[0, 0, 0, 1, 0x41], &cfg, false, &l, &mut out).unwrap();
        assert_eq!(out, [0, 0, 0, 1, 0x41]);
        assert!(avcc_to_annexb(&[0, 0, 0, 9, 0x41], &cfg, false, &l, &mut out).is_err());
        assert!(avcc_to_annexb(&[0, 0], &cfg, false, &l, &mut out).is_err());
        for cut in 0..rec.len() {
            let _ = parse_avcc(&rec[..cut], &l);
        }
    }
}
