//! AVX2 kernels for the affine sampler: one pixel per step, the taps of each row gathered and
//! widened by one byte shuffle and weighted by `madd`, in exactly the integer arithmetic of the
//! scalar kernels (horizontal sums, a rounding shift by 6, vertical sums, a rounding shift to
//! 8 bits, saturation, colour kept under alpha), so the bytes are the same on every path. Only
//! pixels whose taps all lie inside the raster and that the raster wholly covers take these
//! kernels; the others go through the scalar edge code.

#![allow(unsafe_code)]

use std::arch::x86_64::*;

use super::{AffineMap, CUBIC, CUBIC_BITS, CUBIC_MID_SHIFT, Filter};

/// Catmull-Rom weights per phase as 16 lanes of i16, the four taps repeated four times (for the
/// four channels of a row, or the four rows of two channels).
static HX: [[i16; 16]; 64] = {
    let mut t = [[0i16; 16]; 64];
    let mut k = 0;
    while k < 64 {
        let mut i = 0;
        while i < 16 {
            t[k][i] = CUBIC[k][i % 4] as i16;
            i += 1;
        }
        k += 1;
    }
    t
};

/// Samples canvas pixels `x..` of row `y` into `out` (see [`AffineMap::sample_row`]).
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn sample_row<const OVER: bool>(
    map: &AffineMap,
    pix: &[u8],
    y: i32,
    x: i32,
    out: &mut [u8],
) {
    let (u, v) = map.origin(x, y);
    let n = (out.len() / 4) as i64;
    // Far from overflow, the coordinates step with plain adds; otherwise the scalar code
    // (which saturates) samples the row.
    let safe = |p: i64, d: i64| {
        d.checked_mul(n)
            .and_then(|e| p.checked_add(e))
            .is_some_and(|e| e.abs() < 1 << 61)
            && p.abs() < 1 << 61
    };
    if !(safe(u, map.du) && safe(v, map.dv)) {
        map.sample_row_with::<OVER>(super::Kernels::Scalar, pix, y, x, out);
        return;
    }
    // SAFETY: AVX2 per this function's contract.
    unsafe {
        match map.filter {
            Filter::Bicubic => run::<true, OVER>(map, pix, u, v, out),
            Filter::Bilinear => run::<false, OVER>(map, pix, u, v, out),
        }
    }
}

/// The pixel loop, one filter: AVX2 inside the raster, the scalar code at its edges.
#[target_feature(enable = "avx2")]
unsafe fn run<const CUBIC: bool, const OVER: bool>(
    map: &AffineMap,
    pix: &[u8],
    mut u: i64,
    mut v: i64,
    out: &mut [u8],
) {
    let ((ulo, uhi), (vlo, vhi)) = map.fast;
    let stride = map.w as usize * 4;
    for o in out.chunks_exact_mut(4) {
        let px = if u >= ulo && u <= uhi && v >= vlo && v <= vhi {
            // SAFETY: AVX2 is enabled (this function's contract); `fast` bounds the taps
            // inside the raster, which `pix` holds (`w`×`h` pixels).
            unsafe {
                if CUBIC {
                    bicubic(pix, stride, u, v)
                } else {
                    bilinear(pix, stride, u, v)
                }
            }
        } else {
            map.sample_edge(pix, u, v)
        };
        super::put::<OVER>(o, px);
        u += map.du;
        v += map.dv;
    }
}

/// Catmull-Rom at `(u, v)`, all 16 taps inside the raster.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn bicubic(pix: &[u8], stride: usize, u: i64, v: i64) -> [u8; 4] {
    let (su, sv) = (u - 32768 + 512, v - 32768 + 512);
    let (iu, iv) = ((su >> 16) as usize, (sv >> 16) as usize);
    let (pu, pv) = (((su >> 10) & 63) as usize, ((sv >> 10) & 63) as usize);
    let base = (iv - 1) * stride + (iu - 1) * 4;
    debug_assert!(base + 3 * stride + 16 <= pix.len());
    const Z: i8 = -128;
    // SAFETY: the caller guarantees AVX2 and that rows iv-1..=iv+2, columns iu-1..=iu+2 are
    // inside the raster, so each 16-byte load stays within `pix`.
    unsafe {
        let group = _mm256_setr_epi8(
            0, Z, 4, Z, 8, Z, 12, Z, 1, Z, 5, Z, 9, Z, 13, Z, //
            2, Z, 6, Z, 10, Z, 14, Z, 3, Z, 7, Z, 11, Z, 15, Z,
        );
        let hx = _mm256_loadu_si256(HX[pu].as_ptr().cast());
        let row = |r: usize| {
            let p = pix.as_ptr().add(base + r * stride).cast::<__m128i>();
            let wide = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128(p)), group);
            _mm256_madd_epi16(wide, hx)
        };
        let round = _mm256_set1_epi32(1 << (CUBIC_MID_SHIFT - 1));
        let h01 = _mm256_srai_epi32::<{ CUBIC_MID_SHIFT as i32 }>(_mm256_add_epi32(
            _mm256_hadd_epi32(row(0), row(1)),
            round,
        ));
        let h23 = _mm256_srai_epi32::<{ CUBIC_MID_SHIFT as i32 }>(_mm256_add_epi32(
            _mm256_hadd_epi32(row(2), row(3)),
            round,
        ));
        // Rows 0–3 of each channel side by side as i16, weighted and summed in pairs.
        let gather = _mm256_setr_epi8(
            0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15, //
            0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15,
        );
        let cols = _mm256_shuffle_epi8(_mm256_packs_epi32(h01, h23), gather);
        let m = _mm256_madd_epi16(cols, _mm256_loadu_si256(HX[pv].as_ptr().cast()));
        let s = _mm256_hadd_epi32(m, m);
        const SHIFT: i32 = (2 * CUBIC_BITS - CUBIC_MID_SHIFT) as i32;
        let s =
            _mm256_srai_epi32::<SHIFT>(_mm256_add_epi32(s, _mm256_set1_epi32(1 << (SHIFT - 1))));
        let rgba = _mm_unpacklo_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256::<1>(s));
        finish(rgba)
    }
}

/// Bilinear at `(u, v)`, all 4 taps inside the raster.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn bilinear(pix: &[u8], stride: usize, u: i64, v: i64) -> [u8; 4] {
    let (su, sv) = (u - 32768 + 128, v - 32768 + 128);
    let (iu, iv) = ((su >> 16) as usize, (sv >> 16) as usize);
    let (fu, fv) = (((su >> 8) & 255) as i32, ((sv >> 8) & 255) as i32);
    let base = iv * stride + iu * 4;
    debug_assert!(base + stride + 8 <= pix.len());
    const Z: i8 = -128;
    // SAFETY: AVX2 per the caller; rows iv..=iv+1, columns iu..=iu+1 are inside the raster,
    // so each 8-byte load stays within `pix`.
    unsafe {
        let p = pix.as_ptr().add(base);
        let top = _mm_loadl_epi64(p.cast());
        let bottom = _mm_loadl_epi64(p.add(stride).cast());
        let both = _mm256_broadcastsi128_si256(_mm_unpacklo_epi64(top, bottom));
        let group = _mm256_setr_epi8(
            0, Z, 4, Z, 1, Z, 5, Z, 2, Z, 6, Z, 3, Z, 7, Z, //
            8, Z, 12, Z, 9, Z, 13, Z, 10, Z, 14, Z, 11, Z, 15, Z,
        );
        let wu = _mm256_set1_epi32((fu << 16) | (256 - fu));
        let rows = _mm256_madd_epi16(_mm256_shuffle_epi8(both, group), wu);
        let wv = _mm256_setr_epi32(256 - fv, 256 - fv, 256 - fv, 256 - fv, fv, fv, fv, fv);
        let rows = _mm256_mullo_epi32(rows, wv);
        let sum = _mm_add_epi32(
            _mm256_castsi256_si128(rows),
            _mm256_extracti128_si256::<1>(rows),
        );
        let rgba = _mm_srli_epi32::<16>(_mm_add_epi32(sum, _mm_set1_epi32(32768)));
        finish(rgba)
    }
}

/// Four i32 channels (r, g, b, a) saturated to bytes, colour kept at or under alpha.
#[target_feature(enable = "avx2")]
#[inline]
fn finish(rgba: __m128i) -> [u8; 4] {
    let bytes = _mm_packus_epi16(_mm_packs_epi32(rgba, rgba), rgba);
    let alpha = _mm_shuffle_epi8(bytes, _mm_set1_epi8(3));
    let px = _mm_min_epu8(bytes, alpha);
    (_mm_cvtsi128_si32(px) as u32).to_le_bytes()
}
