//! H.264 sequence parameter sets: a small Exp-Golomb bit reader, the SPS fields that decide
//! whether openh264 can decode a stream (profile, chroma format, bit depth, frame/field coding),
//! the picture size after cropping and the VUI frame rate; and the routing rule built on them
//! (openh264 or "needs the ffmpeg backend", naming the property).

use crate::limits::Limits;

/// The fields of an SPS that streamcomp needs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Sps {
    /// `profile_idc` (66 Baseline, 77 Main, 88 Extended, 100 High, 110 High 10, …).
    pub(crate) profile_idc: u8,
    /// `level_idc`.
    pub(crate) level_idc: u8,
    /// 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    pub(crate) chroma_format_idc: u32,
    /// Luma bit depth.
    pub(crate) bit_depth_luma: u32,
    /// Chroma bit depth.
    pub(crate) bit_depth_chroma: u32,
    /// Progressive (no field or MBAFF coding).
    pub(crate) frame_mbs_only: bool,
    /// Picture width after cropping, px.
    pub(crate) width: u32,
    /// Picture height after cropping, px.
    pub(crate) height: u32,
    /// Frames per second from the VUI timing (`time_scale / (2 * num_units_in_tick)`), when
    /// present.
    pub(crate) fps: Option<f64>,
    /// Full-range samples (VUI `video_full_range_flag`).
    pub(crate) full_range: bool,
    /// The VUI's `matrix_coefficients` (1: BT.709, 5 or 6: BT.601), when given.
    pub(crate) matrix: Option<u8>,
}

/// Why an SPS cannot be used.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum SpsError {
    /// The bits do not make an SPS.
    Malformed(String),
    /// The picture passes a limit.
    TooLarge(String),
}

/// Reads bits MSB first from an RBSP (emulation prevention bytes already removed).
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> BitReader<'a> {
    /// A reader at the first bit of `data`.
    pub(crate) fn new(data: &'a [u8]) -> BitReader<'a> {
        BitReader { data, pos: 0 }
    }

    /// One bit.
    pub(crate) fn bit(&mut self) -> Result<u32, SpsError> {
        let byte = self
            .data
            .get(self.pos / 8)
            .ok_or_else(|| SpsError::Malformed("SPS ends early".into()))?;
        let b = (byte >> (7 - (self.pos % 8))) & 1;
        self.pos += 1;
        Ok(u32::from(b))
    }

    /// `n` bits (at most 32) as an unsigned number.
    pub(crate) fn bits(&mut self, n: u32) -> Result<u32, SpsError> {
        let mut v: u64 = 0;
        for _ in 0..n.min(32) {
            v = (v << 1) | u64::from(self.bit()?);
        }
        Ok(v as u32)
    }

    /// An unsigned Exp-Golomb number (`ue(v)`), up to 2^32 − 2.
    pub(crate) fn ue(&mut self) -> Result<u32, SpsError> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return Err(SpsError::Malformed("Exp-Golomb code too long".into()));
            }
        }
        let rest = u64::from(self.bits(zeros)?);
        let v = (1u64 << zeros) - 1 + rest;
        u32::try_from(v).map_err(|_| SpsError::Malformed("Exp-Golomb value too large".into()))
    }

    /// A signed Exp-Golomb number (`se(v)`).
    pub(crate) fn se(&mut self) -> Result<i64, SpsError> {
        let k = i64::from(self.ue()?);
        Ok(if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) })
    }
}

/// The RBSP of a NAL unit: its payload without the header byte and with the emulation
/// prevention bytes (`00 00 03` → `00 00`) removed.
pub(crate) fn rbsp(nal: &[u8]) -> Vec<u8> {
    let body = nal.get(1..).unwrap_or(&[]);
    let mut out = Vec::with_capacity(body.len());
    let mut zeros = 0;
    for &b in body {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

/// Skips a scaling list of `size` coefficients.
fn skip_scaling_list(r: &mut BitReader<'_>, size: usize) -> Result<(), SpsError> {
    let mut last = 8i64;
    let mut next = 8i64;
    for _ in 0..size {
        if next != 0 {
            let delta = r.se()?;
            if !(-128..=127).contains(&delta) {
                return Err(SpsError::Malformed(
                    "scaling list delta out of range".into(),
                ));
            }
            next = (last + delta + 256) % 256;
        }
        if next != 0 {
            last = next;
        }
    }
    Ok(())
}

/// Parses an SPS NAL unit (with its header byte, emulation prevention bytes in place) and
/// checks its picture size against the video limits before anyone allocates a picture.
pub(crate) fn parse_sps(nal: &[u8], limits: &Limits) -> Result<Sps, SpsError> {
    if nal.first().map(|b| b & 0x1f) != Some(7) {
        return Err(SpsError::Malformed("not an SPS NAL unit".into()));
    }
    // An SPS is small; a huge one is garbage (and the RBSP copy stays bounded).
    let nal = &nal[..nal.len().min(4096)];
    let data = rbsp(nal);
    let mut r = BitReader::new(&data);
    let profile_idc = r.bits(8)? as u8;
    let _constraints = r.bits(8)?;
    let level_idc = r.bits(8)? as u8;
    let sps_id = r.ue()?;
    if sps_id > 31 {
        return Err(SpsError::Malformed(format!("SPS id {sps_id} > 31")));
    }
    let (mut chroma_format_idc, mut bit_depth_luma, mut bit_depth_chroma) = (1, 8, 8);
    let mut separate_colour_plane = false;
    if matches!(
        profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    ) {
        chroma_format_idc = r.ue()?;
        if chroma_format_idc > 3 {
            return Err(SpsError::Malformed(format!(
                "chroma_format_idc {chroma_format_idc}"
            )));
        }
        if chroma_format_idc == 3 {
            separate_colour_plane = r.bit()? == 1;
        }
        bit_depth_luma = r.ue()?.saturating_add(8);
        bit_depth_chroma = r.ue()?.saturating_add(8);
        if bit_depth_luma > 14 || bit_depth_chroma > 14 {
            return Err(SpsError::Malformed("bit depth over 14".into()));
        }
        let _qpprime = r.bit()?;
        if r.bit()? == 1 {
            let lists = if chroma_format_idc == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.bit()? == 1 {
                    skip_scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    let _log2_max_frame_num = r.ue()?;
    match r.ue()? {
        0 => {
            let _log2_max_poc_lsb = r.ue()?;
        }
        1 => {
            let _always_zero = r.bit()?;
            let _non_ref = r.se()?;
            let _top_bottom = r.se()?;
            let n = r.ue()?;
            if n > 255 {
                return Err(SpsError::Malformed("POC cycle over 255".into()));
            }
            for _ in 0..n {
                let _ = r.se()?;
            }
        }
        2 => {}
        t => return Err(SpsError::Malformed(format!("pic_order_cnt_type {t}"))),
    }
    let _max_refs = r.ue()?;
    let _gaps = r.bit()?;
    let width_mbs = u64::from(r.ue()?) + 1;
    let height_map_units = u64::from(r.ue()?) + 1;
    let frame_mbs_only = r.bit()? == 1;
    if !frame_mbs_only {
        let _mbaff = r.bit()?;
    }
    let _direct_8x8 = r.bit()?;
    let (mut crop_l, mut crop_r, mut crop_t, mut crop_b) = (0u64, 0u64, 0u64, 0u64);
    if r.bit()? == 1 {
        crop_l = u64::from(r.ue()?);
        crop_r = u64::from(r.ue()?);
        crop_t = u64::from(r.ue()?);
        crop_b = u64::from(r.ue()?);
    }
    let coded_w = width_mbs * 16;
    let coded_h = height_map_units * 16 * if frame_mbs_only { 1 } else { 2 };
    let (sub_w, sub_h) = match (chroma_format_idc, separate_colour_plane) {
        (1, _) => (2, 2),
        (2, _) => (2, 1),
        _ => (1, 1),
    };
    let crop_x = sub_w;
    let crop_y = sub_h * if frame_mbs_only { 1 } else { 2 };
    let cut_w = (crop_l + crop_r).saturating_mul(crop_x);
    let cut_h = (crop_t + crop_b).saturating_mul(crop_y);
    if cut_w >= coded_w || cut_h >= coded_h {
        return Err(SpsError::Malformed(
            "cropping removes the whole picture".into(),
        ));
    }
    let (width, height) = (coded_w - cut_w, coded_h - cut_h);
    // Limits on the coded size (what the decoder allocates), before anything else.
    check_size(coded_w, coded_h, limits)?;

    let mut fps = None;
    let mut full_range = false;
    let mut matrix = None;
    if r.bit().unwrap_or(0) == 1 {
        // VUI: best effort; a short VUI keeps what was read.
        let vui = (|| -> Result<(), SpsError> {
            if r.bit()? == 1 && r.bits(8)? == 255 {
                let _sar = r.bits(32)?;
            }
            if r.bit()? == 1 {
                let _overscan_appropriate = r.bit()?;
            }
            if r.bit()? == 1 {
                let _video_format = r.bits(3)?;
                full_range = r.bit()? == 1;
                if r.bit()? == 1 {
                    let _primaries_and_transfer = r.bits(16)?;
                    matrix = Some(r.bits(8)? as u8);
                }
            }
            if r.bit()? == 1 {
                let _top = r.ue()?;
                let _bottom = r.ue()?;
            }
            if r.bit()? == 1 {
                let units = r.bits(32)?;
                let scale = r.bits(32)?;
                if units > 0 && scale > 0 {
                    fps = Some(f64::from(scale) / (2.0 * f64::from(units)));
                }
            }
            Ok(())
        })();
        let _ = vui;
    }
    Ok(Sps {
        matrix,
        profile_idc,
        level_idc,
        chroma_format_idc,
        bit_depth_luma,
        bit_depth_chroma,
        frame_mbs_only,
        width: width as u32,
        height: height as u32,
        fps,
        full_range,
    })
}

/// Checks a picture size against the video limits ([`Limits::check_video_size`]).
pub(crate) fn check_size(w: u64, h: u64, limits: &Limits) -> Result<(), SpsError> {
    limits.check_video_size(w, h).map_err(SpsError::TooLarge)
}

/// Whether openh264 decodes a stream with this SPS: `Err` names the property that needs the
/// FFmpeg backend.
pub(crate) fn route(sps: &Sps) -> Result<(), String> {
    if sps.bit_depth_luma != 8 || sps.bit_depth_chroma != 8 {
        return Err(format!(
            "{}-bit video needs the ffmpeg backend",
            sps.bit_depth_luma.max(sps.bit_depth_chroma)
        ));
    }
    match sps.chroma_format_idc {
        1 => {}
        0 => return Err("monochrome (4:0:0) H.264 needs the ffmpeg backend".into()),
        2 => return Err("4:2:2 chroma needs the ffmpeg backend".into()),
        _ => return Err("4:4:4 chroma needs the ffmpeg backend".into()),
    }
    if !sps.frame_mbs_only {
        return Err("interlaced video needs the ffmpeg backend".into());
    }
    match sps.profile_idc {
        66 | 77 | 100 => Ok(()),
        p => Err(format!(
            "H.264 {} profile ({p}) needs the ffmpeg backend",
            profile_name(p)
        )),
    }
}

/// The name of an H.264 profile.
fn profile_name(p: u8) -> &'static str {
    match p {
        66 => "Baseline",
        77 => "Main",
        88 => "Extended",
        100 => "High",
        110 => "High 10",
        122 => "High 4:2:2",
        244 => "High 4:4:4 Predictive",
        44 => "CAVLC 4:4:4 Intra",
        83 | 86 => "Scalable",
        118 | 128 => "Multiview",
        _ => "unknown",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Writes bits MSB first (test helper for hand-made SPSs).
    pub(crate) struct BitWriter {
        pub(crate) bytes: Vec<u8>,
        n: usize,
    }

    impl BitWriter {
        pub(crate) fn new() -> BitWriter {
            BitWriter {
                bytes: Vec::new(),
                n: 0,
            }
        }
        pub(crate) fn bit(&mut self, b: u32) {
            if self.n.is_multiple_of(8) {
                self.bytes.push(0);
            }
            if b != 0 {
                let last = self.bytes.len() - 1;
                self.bytes[last] |= 0x80 >> (self.n % 8);
            }
            self.n += 1;
        }
        pub(crate) fn bits(&mut self, v: u32, n: u32) {
            for i in (0..n).rev() {
                self.bit((v >> i) & 1);
            }
        }
        pub(crate) fn ue(&mut self, v: u32) {
            let v1 = u64::from(v) + 1;
            let len = 64 - v1.leading_zeros();
            for _ in 0..len - 1 {
                self.bit(0);
            }
            for i in (0..len).rev() {
                self.bit(((v1 >> i) & 1) as u32);
            }
        }
    }

    /// An SPS NAL (header byte included) for a High-profile stream of `w_mbs`×`h_mbs`
    /// macroblocks with the given chroma format, bit depth and frame_mbs_only flag.
    pub(crate) fn make_sps(
        profile: u8,
        w_mbs: u32,
        h_mbs: u32,
        chroma: u32,
        depth: u32,
        frame_mbs_only: bool,
    ) -> Vec<u8> {
        let mut w = BitWriter::new();
        w.bits(u32::from(profile), 8);
        w.bits(0, 8);
        w.bits(40, 8);
        w.ue(0);
        if profile >= 100 {
            w.ue(chroma);
            w.ue(depth - 8);
            w.ue(depth - 8);
            w.bit(0);
            w.bit(0);
        }
        w.ue(0); // log2_max_frame_num - 4
        w.ue(2); // poc type 2
        w.ue(1); // refs
        w.bit(0);
        w.ue(w_mbs - 1);
        w.ue(h_mbs - 1);
        w.bit(u32::from(frame_mbs_only));
        if !frame_mbs_only {
            w.bit(0);
        }
        w.bit(1); // direct 8x8
        w.bit(1); // cropping: 1080p style, bottom 4 (×2 = 8 rows)
        w.ue(0);
        w.ue(0);
        w.ue(0);
        w.ue(4);
        w.bit(1); // VUI
        w.bit(0);
        w.bit(0);
        w.bit(0);
        w.bit(0);
        w.bit(1); // timing
        w.bits(1, 32);
        w.bits(60, 32);
        w.bit(1);
        w.bit(1); // rbsp stop bit
        let mut nal = vec![0x67];
        nal.extend_from_slice(&w.bytes);
        nal
    }

    #[test]
    fn reads_a_1080p_high_sps() {
        let sps = parse_sps(&make_sps(100, 120, 68, 1, 8, true), &Limits::default()).unwrap();
        assert_eq!((sps.width, sps.height), (1920, 1080));
        assert_eq!(sps.profile_idc, 100);
        assert_eq!(sps.fps, Some(30.0));
        assert_eq!(route(&sps), Ok(()));
    }

    #[test]
    fn routes_by_property() {
        let l = Limits::default();
        let ten = parse_sps(&make_sps(110, 20, 15, 1, 10, true), &l).unwrap();
        assert_eq!(
            route(&ten).unwrap_err(),
            "10-bit video needs the ffmpeg backend"
        );
        let i = parse_sps(&make_sps(100, 20, 15, 1, 8, false), &l).unwrap();
        assert_eq!(
            route(&i).unwrap_err(),
            "interlaced video needs the ffmpeg backend"
        );
        let c = parse_sps(&make_sps(122, 20, 15, 2, 8, true), &l).unwrap();
        assert_eq!(
            route(&c).unwrap_err(),
            "4:2:2 chroma needs the ffmpeg backend"
        );
        let e = parse_sps(&make_sps(88, 20, 15, 1, 8, true), &l).unwrap();
        assert!(route(&e).unwrap_err().contains("Extended"));
    }

    #[test]
    fn huge_sps_is_a_limit_error() {
        let r = parse_sps(&make_sps(100, 1024, 1024, 1, 8, true), &Limits::default());
        assert!(matches!(r, Err(SpsError::TooLarge(_))), "{r:?}");
    }

    #[test]
    fn garbage_is_an_error() {
        let l = Limits::default();
        assert!(parse_sps(&[], &l).is_err());
        assert!(parse_sps(&[0x67], &l).is_err());
        assert!(parse_sps(&[0x67, 100, 0, 40, 0, 0, 0, 0, 0, 0], &l).is_err());
        for n in 0..64u8 {
            let v: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37) ^ n).collect();
            let mut nal = vec![0x67];
            nal.extend(v);
            let _ = parse_sps(&nal, &l);
        }
    }

    #[test]
    fn removes_emulation_prevention() {
        assert_eq!(rbsp(&[0x67, 0, 0, 3, 1, 0, 0, 3]), vec![0, 0, 1, 0, 0]);
    }
}
