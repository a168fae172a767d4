//! What an AV1 track is, from its `av1C` record (MP4 `av1C` box, Matroska `CodecPrivate`):
//! bit depth and chroma subsampling from the record's fixed bytes, size and colour matrix/range
//! from the sequence header OBU it carries (parsed by rav1d), and the routing rule: the built-in
//! decoder takes 8-bit 4:2:0, everything else goes to the FFmpeg backend.

use std::mem::MaybeUninit;
use std::ptr::NonNull;

use rav1d::include::dav1d::headers::{DAV1D_PIXEL_LAYOUT_I420, Dav1dSequenceHeader};

/// An AV1 track's decoder configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Av1Config {
    /// 8, 10 or 12.
    pub(crate) bits: u8,
    /// No chroma planes.
    pub(crate) monochrome: bool,
    /// Chroma halved across (`chroma_subsampling_x`).
    pub(crate) sub_x: bool,
    /// Chroma halved down (`chroma_subsampling_y`).
    pub(crate) sub_y: bool,
    /// From the sequence header, when the record carries one.
    pub(crate) header: Option<SequenceInfo>,
}

/// What the sequence header says about pictures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SequenceInfo {
    /// Largest picture width.
    pub(crate) max_width: u32,
    /// Largest picture height.
    pub(crate) max_height: u32,
    /// Matrix coefficients (ISO/IEC 23091-4: 1 BT.709, 5/6 BT.601, 2 unspecified).
    pub(crate) matrix: u32,
    /// Full-range (PC) levels.
    pub(crate) full_range: bool,
    /// 4:2:0 at 8 bits (what the built-in decoder takes).
    pub(crate) i420_8bit: bool,
}

/// Reads an `av1C` record (4 fixed bytes, then configuration OBUs). `Err` names what is wrong.
pub(crate) fn parse_av1c(rec: &[u8]) -> Result<Av1Config, String> {
    let [marker, _profile_level, flags, _delay, obus @ ..] = rec else {
        return Err(format!(
            "av1C record of {} bytes is shorter than its 4 fixed bytes",
            rec.len()
        ));
    };
    if marker & 0x80 == 0 || marker & 0x7f != 1 {
        return Err(format!(
            "av1C record has marker/version byte {marker:#04x}, not 0x81"
        ));
    }
    let high = flags & 0x40 != 0;
    let twelve = flags & 0x20 != 0;
    Ok(Av1Config {
        bits: match (high, twelve) {
            (false, _) => 8,
            (true, false) => 10,
            (true, true) => 12,
        },
        monochrome: flags & 0x10 != 0,
        sub_x: flags & 0x08 != 0,
        sub_y: flags & 0x04 != 0,
        header: sequence_info(obus),
    })
}

/// The sequence header among `obus` (a temporal unit or configuration OBUs), if there is one
/// that parses.
#[allow(unsafe_code)] // rav1d's parser is dav1d's C API
pub(crate) fn sequence_info(obus: &[u8]) -> Option<SequenceInfo> {
    if obus.is_empty() {
        return None;
    }
    let mut out = MaybeUninit::<Dav1dSequenceHeader>::zeroed();
    let parsed = super::guarded(|| {
        // SAFETY: `out` is valid to write a `Dav1dSequenceHeader` to; `obus` is a live slice of
        // `obus.len()` bytes for the duration of the call.
        unsafe {
            rav1d::src::lib::dav1d_parse_sequence_header(
                NonNull::new(out.as_mut_ptr()),
                NonNull::new(obus.as_ptr().cast_mut()),
                obus.len(),
            )
        }
    })
    .ok()?;
    if parsed.0 != 0 {
        return None;
    }
    // SAFETY: a zero result means the header was written whole.
    let h = unsafe { out.assume_init() };
    Some(SequenceInfo {
        max_width: u32::try_from(h.max_width).unwrap_or(0),
        max_height: u32::try_from(h.max_height).unwrap_or(0),
        matrix: h.mtrx,
        full_range: h.color_range != 0,
        i420_8bit: h.hbd == 0 && h.layout == DAV1D_PIXEL_LAYOUT_I420,
    })
}

/// Whether the built-in decoder takes this track, or why not (the FFmpeg backend does).
pub(crate) fn route(c: &Av1Config) -> Result<(), String> {
    if c.bits != 8 {
        return Err(format!("{}-bit AV1 needs the ffmpeg backend", c.bits));
    }
    if c.monochrome {
        return Err("monochrome AV1 needs the ffmpeg backend".into());
    }
    if !(c.sub_x && c.sub_y) {
        let name = if c.sub_x { "4:2:2" } else { "4:4:4" };
        return Err(format!("AV1 {name} needs the ffmpeg backend"));
    }
    if c.header.is_some_and(|h| !h.i420_8bit) {
        return Err("AV1 other than 8-bit 4:2:0 needs the ffmpeg backend".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_bytes_route() {
        // 8-bit 4:2:0, no OBUs.
        let c = parse_av1c(&[0x81, 0x08, 0x0c, 0x00]).unwrap();
        assert_eq!(
            (c.bits, c.sub_x, c.sub_y, c.monochrome),
            (8, true, true, false)
        );
        assert!(route(&c).is_ok());
        // 10-bit.
        let c = parse_av1c(&[0x81, 0x08, 0x4c, 0x00]).unwrap();
        assert_eq!(
            route(&c).unwrap_err(),
            "10-bit AV1 needs the ffmpeg backend"
        );
        // 4:4:4.
        let c = parse_av1c(&[0x81, 0x28, 0x00, 0x00]).unwrap();
        assert!(route(&c).unwrap_err().contains("4:4:4"));
    }

    #[test]
    fn hostile_records() {
        assert!(parse_av1c(&[]).is_err());
        assert!(parse_av1c(&[0x81, 0, 0]).is_err());
        assert!(parse_av1c(&[0x01, 0, 0, 0]).is_err());
        // Garbage after the fixed bytes is no header, not a panic.
        for n in 0..64u8 {
            let rec: Vec<u8> = [0x81, 0, 0x0c, 0]
                .into_iter()
                .chain((0..n).map(|i| i.wrapping_mul(37) ^ n))
                .collect();
            let _ = parse_av1c(&rec).unwrap();
        }
    }
}
