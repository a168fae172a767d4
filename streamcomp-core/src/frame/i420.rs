//! RGBA → I420, BT.709 limited range, in exact integer arithmetic: a scalar version and an AVX2
//! version chosen at run time, which give identical bytes.
//!
//! Luma is `16 + 219·(0.2126 R + 0.7152 G + 0.0722 B)/255` and chroma
//! `128 + 224·(B − Y′)/(1.8556·255)`, `128 + 224·(R − Y′)/(1.5748·255)`, with the coefficients in
//! Q15 fixed point (each rounded, then adjusted so luma's sum to `219/255` and chroma's to zero:
//! grey gives exactly 128), sums in 32 bits, and one rounding at the end. Chroma is computed
//! from the exact sum of its 2×2 block (no intermediate rounding of the average); at an odd
//! right or bottom edge the missing column or row repeats the last one, so the sample is the
//! mean of the pixels that exist. The premultiplied colour is taken as it is (the frame over
//! black). The SIMD version does the same integer operations (`madd` of 16-bit values and
//! coefficients into 32-bit sums, exact), so the bytes cannot differ.

use crate::render::blend::Simd;

/// Luma coefficients, Q15 (`219/255 · Kr, Kg, Kb`; they sum to `round(219/255 · 2¹⁵)`).
const YR: i32 = 5983;
const YG: i32 = 20127;
const YB: i32 = 2032;
/// `16` in Q15 plus a half, for rounding.
const Y_BIAS: i32 = (16 << 15) + (1 << 14);

/// Cb coefficients, Q15 (`224/255 · (−Kr, −Kg, 1 − Kb)/1.8556`; they sum to zero).
const CB_R: i32 = -3298;
const CB_G: i32 = -11094;
const CB_B: i32 = 14392;
/// Cr coefficients, Q15 (`224/255 · (1 − Kr, −Kg, −Kb)/1.5748`; they sum to zero).
const CR_R: i32 = 14392;
const CR_G: i32 = -13072;
const CR_B: i32 = -1320;
/// `128` in Q17 (chroma is computed from a sum of four pixels: Q15 · 4) plus a half.
const C_BIAS: i32 = (128 << 17) + (1 << 16);

/// One pixel's luma.
#[inline(always)]
fn luma(p: &[u8]) -> u8 {
    ((YR * p[0] as i32 + YG * p[1] as i32 + YB * p[2] as i32 + Y_BIAS) >> 15) as u8
}

/// Cb and Cr from the sums of a 2×2 block's channels.
#[inline(always)]
fn chroma(r: i32, g: i32, b: i32) -> (u8, u8) {
    let cb = (CB_R * r + CB_G * g + CB_B * b + C_BIAS) >> 17;
    let cr = (CR_R * r + CR_G * g + CR_B * b + C_BIAS) >> 17;
    (cb as u8, cr as u8)
}

/// Converts a frame (`width`×`height` RGBA, no padding) into I420 planes without padding
/// (`y`: `width` a row; `u`, `v`: `ceil(width/2)` a row), at `level` (clamped to what the CPU
/// runs; every level gives the same bytes).
pub(crate) fn convert(
    level: Simd,
    rgba: &[u8],
    width: usize,
    height: usize,
    y: &mut [u8],
    u: &mut [u8],
    v: &mut [u8],
) {
    let level = level.min(Simd::detected());
    let (stride, cw) = (width * 4, width.div_ceil(2));
    if width == 0 || height == 0 {
        return;
    }
    let rows = rgba[..stride * height].chunks(2 * stride);
    let lumas = y[..width * height].chunks_mut(2 * width);
    let us = u.chunks_exact_mut(cw);
    let vs = v.chunks_exact_mut(cw);
    for (((rows, lumas), u), v) in rows.zip(lumas).zip(us).zip(vs) {
        // An odd last row stands for both rows of its block.
        let (row0, row1) = rows.split_at(stride.min(rows.len()));
        let row1 = if row1.is_empty() { row0 } else { row1 };
        let (y0, y1) = lumas.split_at_mut(width);
        let y1 = (!y1.is_empty()).then_some(y1);
        row_pair(level, row0, row1, y0, y1, u, v);
    }
}

/// Converts two rows (one chroma row): `y1` is `None` for an odd last row, whose `row1` is
/// then `row0` again.
fn row_pair(
    level: Simd,
    row0: &[u8],
    row1: &[u8],
    y0: &mut [u8],
    mut y1: Option<&mut [u8]>,
    u: &mut [u8],
    v: &mut [u8],
) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if level >= Simd::Avx2 {
        done = x86::row_pair_checked(row0, row1, y0, y1.as_deref_mut(), u, v);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = level;
    row_pair_scalar(done, row0, row1, y0, y1, u, v);
}

/// The scalar conversion of two rows from pixel `from` (even) on.
fn row_pair_scalar(
    from: usize,
    row0: &[u8],
    row1: &[u8],
    y0: &mut [u8],
    mut y1: Option<&mut [u8]>,
    u: &mut [u8],
    v: &mut [u8],
) {
    let width = y0.len();
    for x in (from..width).step_by(2) {
        // The block's columns; at an odd right edge the last one twice.
        let x1 = (x + 1).min(width - 1);
        let (a, b) = (&row0[4 * x..4 * x + 4], &row0[4 * x1..4 * x1 + 4]);
        let (c, d) = (&row1[4 * x..4 * x + 4], &row1[4 * x1..4 * x1 + 4]);
        y0[x] = luma(a);
        if x1 != x {
            y0[x1] = luma(b);
        }
        if let Some(y1) = y1.as_deref_mut() {
            y1[x] = luma(c);
            if x1 != x {
                y1[x1] = luma(d);
            }
        }
        let sum = |i: usize| a[i] as i32 + b[i] as i32 + c[i] as i32 + d[i] as i32;
        (u[x / 2], v[x / 2]) = chroma(sum(0), sum(1), sum(2));
    }
}

/// The AVX2 conversion, 32 pixels of two rows a step.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    use std::arch::x86_64::*;

    use super::{C_BIAS, CB_B, CB_G, CB_R, CR_B, CR_G, CR_R, Simd, Y_BIAS, YB, YG, YR};

    /// Two 16-bit coefficients as one 32-bit lane (`lo` for the lane's low half).
    const fn pair(lo: i32, hi: i32) -> i32 {
        (lo as u16 as i32) | ((hi as u16 as i32) << 16)
    }

    /// The constants of the loop.
    struct K {
        /// `[yr, yb]` for a pixel's `[r, b]` lanes, `[yg, 0]` for its `[g, a]` lanes.
        y_rb: __m256i,
        y_ga: __m256i,
        /// The same for Cb in even 32-bit lanes and Cr in odd ones.
        c_rb: __m256i,
        c_ga: __m256i,
        y_bias: __m256i,
        c_bias: __m256i,
        /// The low byte of each 16-bit lane.
        low: __m256i,
        /// The dword order that undoes `packs`/`packus` working within 128-bit halves.
        order: __m256i,
        /// Bytes `cb cr cb cr …` → `cb … cb cr … cr` within each half.
        split: __m256i,
    }

    /// A vector of eight pixels as `[r, b]` and `[g, a]` 16-bit pairs, one pair per 32-bit
    /// lane in pixel order (masks and shifts: no shuffles).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn widen(p: __m256i, k: &K) -> (__m256i, __m256i) {
        (_mm256_and_si256(p, k.low), _mm256_srli_epi16::<8>(p))
    }

    /// Eight luma values (i32, in pixel order) from [`widen`]'s pairs: `madd` gives
    /// `r·yr + b·yb` and `g·yg` per pixel.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn luma8((rb, ga): (__m256i, __m256i), k: &K) -> __m256i {
        let s = _mm256_add_epi32(_mm256_madd_epi16(rb, k.y_rb), _mm256_madd_epi16(ga, k.y_ga));
        _mm256_srai_epi32::<15>(_mm256_add_epi32(s, k.y_bias))
    }

    /// Cb, Cr of four 2×2 blocks (i32, `cb0 cr0 cb1 cr1 | cb2 cr2 cb3 cr3`) from the column
    /// sums of eight pixels as [`widen`]'s pairs: each odd pixel's lane is added to its even
    /// neighbour's (a 64-bit shift), the block sum copied to both lanes, and one `madd` with
    /// Cb coefficients in even lanes and Cr in odd ones gives both.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn chroma4((rb, ga): (__m256i, __m256i), k: &K) -> __m256i {
        let blocks =
            |x| _mm256_shuffle_epi32::<0xA0>(_mm256_add_epi16(x, _mm256_srli_epi64::<32>(x)));
        let c = _mm256_add_epi32(
            _mm256_madd_epi16(blocks(rb), k.c_rb),
            _mm256_madd_epi16(blocks(ga), k.c_ga),
        );
        _mm256_srai_epi32::<17>(_mm256_add_epi32(c, k.c_bias))
    }

    /// Four vectors of eight i32 (each 0..=255) as 32 bytes in order.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn narrow(v: [__m256i; 4], k: &K) -> __m256i {
        let p = _mm256_packus_epi16(
            _mm256_packs_epi32(v[0], v[1]),
            _mm256_packs_epi32(v[2], v[3]),
        );
        _mm256_permutevar8x32_epi32(p, k.order)
    }

    /// [`row_pair`] when the CPU has AVX2; otherwise nothing (0 pixels done).
    pub(super) fn row_pair_checked(
        row0: &[u8],
        row1: &[u8],
        y0: &mut [u8],
        y1: Option<&mut [u8]>,
        u: &mut [u8],
        v: &mut [u8],
    ) -> usize {
        if !Simd::Avx2.available() {
            return 0;
        }
        // SAFETY: the CPU has AVX2 (checked just above), all that `row_pair` requires.
        unsafe { row_pair(row0, row1, y0, y1, u, v) }
    }

    /// Converts the longest prefix of whole 32-pixel blocks of two rows; returns the pixels
    /// done. `y1` is `None` for an odd last row (`row1` is `row0` again).
    #[target_feature(enable = "avx2")]
    fn row_pair(
        row0: &[u8],
        row1: &[u8],
        y0: &mut [u8],
        mut y1: Option<&mut [u8]>,
        u: &mut [u8],
        v: &mut [u8],
    ) -> usize {
        let k = K {
            y_rb: _mm256_set1_epi32(pair(YR, YB)),
            y_ga: _mm256_set1_epi32(pair(YG, 0)),
            c_rb: {
                let (b, r) = (pair(CB_R, CB_B), pair(CR_R, CR_B));
                _mm256_setr_epi32(b, r, b, r, b, r, b, r)
            },
            c_ga: {
                let (b, r) = (pair(CB_G, 0), pair(CR_G, 0));
                _mm256_setr_epi32(b, r, b, r, b, r, b, r)
            },
            y_bias: _mm256_set1_epi32(Y_BIAS),
            c_bias: _mm256_set1_epi32(C_BIAS),
            low: _mm256_set1_epi16(0xff),
            order: _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7),
            split: _mm256_setr_epi8(
                0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15, 0, 2, 4, 6, 8, 10, 12, 14, 1,
                3, 5, 7, 9, 11, 13, 15,
            ),
        };
        let zero = _mm256_setzero_si256();
        let blocks = y0.len() / 32;
        assert!(row0.len() >= blocks * 128 && row1.len() >= blocks * 128);
        assert!(u.len() >= blocks * 16 && v.len() >= blocks * 16);
        assert!(y1.as_ref().is_none_or(|y1| y1.len() >= blocks * 32));
        for i in 0..blocks {
            let (mut ya, mut yb, mut c) = ([zero; 4], [zero; 4], [zero; 4]);
            for j in 0..4 {
                let at = i * 128 + j * 32;
                // SAFETY: `at + 32 ≤ blocks · 128 ≤` both rows' lengths (asserted above);
                // unaligned loads.
                let (a, b) = unsafe {
                    (
                        _mm256_loadu_si256(row0.as_ptr().add(at).cast()),
                        _mm256_loadu_si256(row1.as_ptr().add(at).cast()),
                    )
                };
                let (a, b) = (widen(a, &k), widen(b, &k));
                ya[j] = luma8(a, &k);
                yb[j] = luma8(b, &k);
                c[j] = chroma4((_mm256_add_epi16(a.0, b.0), _mm256_add_epi16(a.1, b.1)), &k);
            }
            // SAFETY (all stores): `i · 32 + 32 ≤ blocks · 32 ≤ y0.len()` and `y1.len()`, and
            // `i · 16 + 16 ≤ u.len(), v.len()` (asserted above); unaligned stores.
            unsafe { _mm256_storeu_si256(y0.as_mut_ptr().add(i * 32).cast(), narrow(ya, &k)) };
            if let Some(y1) = y1.as_deref_mut() {
                // SAFETY: as above.
                unsafe { _mm256_storeu_si256(y1.as_mut_ptr().add(i * 32).cast(), narrow(yb, &k)) };
            }
            // cb0 cr0 … cb15 cr15 → cb0 … cb7 cr0 … cr7 | cb8 … cr15 → all Cb | all Cr.
            let uv = _mm256_shuffle_epi8(narrow(c, &k), k.split);
            let uv = _mm256_permute4x64_epi64::<0xD8>(uv);
            // SAFETY: as above.
            unsafe {
                _mm_storeu_si128(
                    u.as_mut_ptr().add(i * 16).cast(),
                    _mm256_castsi256_si128(uv),
                );
                _mm_storeu_si128(
                    v.as_mut_ptr().add(i * 16).cast(),
                    _mm256_extracti128_si256::<1>(uv),
                );
            }
        }
        blocks * 32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BT.709 limited range in floating point (chroma of the block's mean colour).
    fn reference(r: f64, g: f64, b: f64) -> (f64, f64, f64) {
        let (r, g, b) = (r / 255.0, g / 255.0, b / 255.0);
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        (
            16.0 + 219.0 * y,
            128.0 + 224.0 * (b - y) / 1.8556,
            128.0 + 224.0 * (r - y) / 1.5748,
        )
    }

    /// A tiny deterministic PRNG (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn byte(&mut self) -> u8 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        }
    }

    fn run(level: Simd, rgba: &[u8], w: usize, h: usize) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let c = w.div_ceil(2) * h.div_ceil(2);
        let (mut y, mut u, mut v) = (vec![0; w * h], vec![0; c], vec![0; c]);
        convert(level, rgba, w, h, &mut y, &mut u, &mut v);
        (y, u, v)
    }

    /// Every level gives the scalar bytes on random frames of odd and even sizes (widths
    /// around the 32-pixel blocks, so the scalar tail starts at every offset).
    #[test]
    fn every_level_gives_the_same_bytes() {
        if !Simd::Avx2.available() {
            println!("note: this CPU has no AVX2; only the scalar conversion runs");
        }
        let mut rng = Rng(0x1420);
        let sizes = (1..=70)
            .map(|w| (w, 1 + w % 5))
            .chain([(1920, 8), (1279, 7), (33, 33)]);
        for (w, h) in sizes {
            let rgba: Vec<u8> = (0..w * h * 4).map(|_| rng.byte()).collect();
            let want = run(Simd::Scalar, &rgba, w, h);
            for level in Simd::ALL.into_iter().filter(|l| l.available()) {
                assert!(run(level, &rgba, w, h) == want, "{level:?} {w}x{h}");
            }
        }
    }

    /// Every output is within 0.5 (+ the coefficients' rounding) of the float formula: luma
    /// per pixel, chroma of the mean of the pixels in the block (one to four at the edges).
    #[test]
    fn matches_floating_point() {
        let mut rng = Rng(77);
        for (w, h) in [(7usize, 5usize), (8, 6), (1, 1), (3, 2), (67, 5), (64, 4)] {
            let rgba: Vec<u8> = (0..w * h * 4).map(|_| rng.byte()).collect();
            let (y, u, v) = run(Simd::detected(), &rgba, w, h);
            let px = |x: usize, yy: usize, c: usize| rgba[(yy * w + x) * 4 + c] as f64;
            for yy in 0..h {
                for x in 0..w {
                    let (fy, _, _) = reference(px(x, yy, 0), px(x, yy, 1), px(x, yy, 2));
                    assert!((y[yy * w + x] as f64 - fy).abs() <= 0.51, "y {x},{yy}");
                }
            }
            let cw = w.div_ceil(2);
            for by in 0..h.div_ceil(2) {
                for bx in 0..cw {
                    let mut mean = [0.0; 3];
                    let mut n = 0.0;
                    for yy in 2 * by..(2 * by + 2).min(h) {
                        for x in 2 * bx..(2 * bx + 2).min(w) {
                            for (c, m) in mean.iter_mut().enumerate() {
                                *m += px(x, yy, c);
                            }
                            n += 1.0;
                        }
                    }
                    let (_, fu, fv) = reference(mean[0] / n, mean[1] / n, mean[2] / n);
                    assert!((u[by * cw + bx] as f64 - fu).abs() <= 0.51, "u {bx},{by}");
                    assert!((v[by * cw + bx] as f64 - fv).abs() <= 0.51, "v {bx},{by}");
                }
            }
        }
    }

    /// Grey gives neutral chroma exactly, and black and white the ends of the luma range.
    #[test]
    fn grey_is_neutral() {
        for g in [0u8, 1, 127, 128, 254, 255] {
            let (y, u, v) = run(Simd::detected(), &[g, g, g, 255].repeat(64), 64, 1);
            assert!(u.iter().chain(&v).all(|&c| c == 128), "{g}");
            let want = (16.0 + 219.0 * g as f64 / 255.0).round() as u8;
            assert!(y.iter().all(|&l| l == want), "{g}: {} vs {want}", y[0]);
        }
    }
}
