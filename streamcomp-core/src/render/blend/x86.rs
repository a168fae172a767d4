//! The x86_64 blend kernels: one body (the `kernels!` macro) compiled twice, for SSE2 (16-byte
//! vectors, four pixels a step; the x86_64 baseline) and for AVX2 (32-byte vectors, eight
//! pixels a step; chosen at run time).
//!
//! Every channel is widened to a 16-bit lane and blended with the same exactly-rounded
//! `div255` as the scalar kernels in `blend.rs`, so all paths give identical bytes on valid
//! premultiplied input (every channel ≤ its alpha), which is all the compositor produces.
//! Both instantiations do the same operations on lanes; only the vector width differs.

use super::Simd;

/// Mode numbers for the `MODE` const parameter (a `BlendMode` cannot be one).
pub(super) const NORMAL: u8 = 0;
/// See [`NORMAL`].
pub(super) const ADD: u8 = 1;
/// See [`NORMAL`].
pub(super) const MULTIPLY: u8 = 2;
/// See [`NORMAL`].
pub(super) const SCREEN: u8 = 3;

/// The kernels on one vector type. The including module imports the intrinsics under the
/// short names used here (`V`, `add16`, `loadu`, …), so the body is written once.
macro_rules! kernels {
    ($feature:literal) => {
        /// Bytes (a quarter as many pixels) per step.
        pub(super) const BYTES: usize = std::mem::size_of::<V>();

        /// `round(x / 255)` on u16 lanes, each ≤ 65025 (the scalar `div255`, lane-wise).
        #[inline]
        #[target_feature(enable = $feature)]
        fn div255(x: V) -> V {
            let t = add16(x, set1_16(128));
            srli16::<8>(add16(t, srli16::<8>(t)))
        }

        /// Each pixel's alpha lane copied to its four lanes.
        #[inline]
        #[target_feature(enable = $feature)]
        fn alpha(x: V) -> V {
            shufflehi16::<0xFF>(shufflelo16::<0xFF>(x))
        }

        /// `min(x, c)` on u16 lanes (SSE2 has no unsigned 16-bit min).
        #[inline]
        #[target_feature(enable = $feature)]
        fn min_u16(x: V, c: V) -> V {
            sub16(x, subs_u16(x, c))
        }

        /// Blends source lanes `s` onto destination lanes `d` (pixels widened to u16), the
        /// source first scaled by the opacity lanes `op` when `SCALE`. The result may exceed
        /// 255 only for `ADD`, and the caller's saturating pack clamps it there as the scalar
        /// `min(255)` does.
        #[inline]
        #[target_feature(enable = $feature)]
        fn block<const MODE: u8, const SCALE: bool>(s: V, d: V, op: V) -> V {
            let s = if SCALE { div255(mullo16(s, op)) } else { s };
            let c255 = set1_16(255);
            match MODE {
                // s + d·(255 − sa)/255
                super::NORMAL => add16(s, div255(mullo16(d, sub16(c255, alpha(s))))),
                // min(s + d, 255), by the pack
                super::ADD => add16(s, d),
                // min(div255(s·(255 − da) + d·(255 − sa) + s·d), 255): each product fits a
                // u16 lane; the sum saturates at 65535 and is capped at 65025, whose div255 is
                // 255, which is the scalar result for every sum ≥ 65025.
                super::MULTIPLY => {
                    let (sa, da) = (alpha(s), alpha(d));
                    let t = adds_u16(mullo16(s, sub16(c255, da)), mullo16(d, sub16(c255, sa)));
                    let t = adds_u16(t, mullo16(s, d));
                    div255(min_u16(t, set1_16(65025u16 as i16)))
                }
                // s + d − s·d/255
                _ => sub16(add16(s, d), div255(mullo16(s, d))),
            }
        }

        /// Blends as many whole vectors of pixels as fit with mode `MODE`; returns the bytes
        /// done (a multiple of [`BYTES`]).
        #[target_feature(enable = $feature)]
        pub(super) fn row<const MODE: u8>(dst: &mut [u8], src: &[u8], op: u8) -> usize {
            if op == 255 {
                row_at::<MODE, false>(dst, src, op)
            } else {
                row_at::<MODE, true>(dst, src, op)
            }
        }

        /// [`row`] with the opacity test hoisted out of the loop.
        #[inline]
        #[target_feature(enable = $feature)]
        fn row_at<const MODE: u8, const SCALE: bool>(dst: &mut [u8], src: &[u8], op: u8) -> usize {
            let n = dst.len().min(src.len()) / BYTES;
            let opv = set1_16(op as i16);
            let zero = setzero();
            let ones = set1_8(-1);
            // Every byte but alpha set: OR-ed onto a pixel, all ones exactly when it is opaque.
            let not_alpha = set1_32(0x00ff_ffff);
            let all = (u64::MAX >> (64 - BYTES)) as u32;
            for (d, s) in dst.chunks_exact_mut(BYTES).zip(src.chunks_exact(BYTES)) {
                // SAFETY: `s` and `d` are exactly `BYTES` (one vector) long (chunks_exact), and
                // the unaligned load intrinsic has no alignment requirement.
                let sv = unsafe { loadu(s.as_ptr().cast::<V>()) };
                // A transparent source leaves the destination as it is in every mode (the
                // arithmetic would give the same bytes; this only skips it).
                if movemask8(cmpeq8(sv, zero)) as u32 == all {
                    continue;
                }
                let out = if MODE == super::NORMAL
                    && !SCALE
                    && movemask8(cmpeq8(or(sv, not_alpha), ones)) as u32 == all
                {
                    // Opaque source at full opacity: source-over is the source.
                    sv
                } else {
                    // SAFETY: as for `sv`.
                    let dv = unsafe { loadu(d.as_ptr().cast::<V>()) };
                    let lo = block::<MODE, SCALE>(unpacklo8(sv, zero), unpacklo8(dv, zero), opv);
                    let hi = block::<MODE, SCALE>(unpackhi8(sv, zero), unpackhi8(dv, zero), opv);
                    packus16(lo, hi)
                };
                // SAFETY: `d` is exactly one vector long; unaligned store.
                unsafe { storeu(d.as_mut_ptr().cast::<V>(), out) };
            }
            n * BYTES
        }
    };
}

/// SSE2: four pixels a step. Part of the x86_64 baseline, so always available.
mod sse2 {
    use std::arch::x86_64::{
        __m128i as V, _mm_add_epi16 as add16, _mm_adds_epu16 as adds_u16, _mm_cmpeq_epi8 as cmpeq8,
        _mm_loadu_si128 as loadu, _mm_movemask_epi8 as movemask8, _mm_mullo_epi16 as mullo16,
        _mm_or_si128 as or, _mm_packus_epi16 as packus16, _mm_set1_epi8 as set1_8,
        _mm_set1_epi16 as set1_16, _mm_set1_epi32 as set1_32, _mm_setzero_si128 as setzero,
        _mm_shufflehi_epi16 as shufflehi16, _mm_shufflelo_epi16 as shufflelo16,
        _mm_srli_epi16 as srli16, _mm_storeu_si128 as storeu, _mm_sub_epi16 as sub16,
        _mm_subs_epu16 as subs_u16, _mm_unpackhi_epi8 as unpackhi8, _mm_unpacklo_epi8 as unpacklo8,
    };

    kernels!("sse2");
}

/// AVX2: eight pixels a step. The 256-bit unpacks, shuffles and pack work within each 128-bit
/// half, so pixels stay in order exactly as in the SSE2 body.
mod avx2 {
    use std::arch::x86_64::{
        __m256i as V, _mm256_add_epi16 as add16, _mm256_adds_epu16 as adds_u16,
        _mm256_cmpeq_epi8 as cmpeq8, _mm256_loadu_si256 as loadu,
        _mm256_movemask_epi8 as movemask8, _mm256_mullo_epi16 as mullo16, _mm256_or_si256 as or,
        _mm256_packus_epi16 as packus16, _mm256_set1_epi8 as set1_8, _mm256_set1_epi16 as set1_16,
        _mm256_set1_epi32 as set1_32, _mm256_setzero_si256 as setzero,
        _mm256_shufflehi_epi16 as shufflehi16, _mm256_shufflelo_epi16 as shufflelo16,
        _mm256_srli_epi16 as srli16, _mm256_storeu_si256 as storeu, _mm256_sub_epi16 as sub16,
        _mm256_subs_epu16 as subs_u16, _mm256_unpackhi_epi8 as unpackhi8,
        _mm256_unpacklo_epi8 as unpacklo8,
    };

    kernels!("avx2");
}

/// Blends the longest prefix of whole vectors at `level` (AVX2 blocks, then one SSE2 block);
/// returns the bytes done, for the scalar kernel to finish.
pub(super) fn blend<const MODE: u8>(level: Simd, dst: &mut [u8], src: &[u8], op: u8) -> usize {
    let mut done = 0;
    if level >= Simd::Avx2 && dst.len() >= avx2::BYTES {
        // SAFETY: `Simd::Avx2` only reaches here when the CPU has AVX2 (the callers clamp the
        // level to `Simd::detected()`), which is all `avx2::row` requires.
        done = unsafe { avx2::row::<MODE>(dst, src, op) };
    }
    if level >= Simd::Sse2 {
        // SAFETY: SSE2 is part of the x86_64 baseline, so every x86_64 CPU runs `sse2::row`.
        done += unsafe { sse2::row::<MODE>(&mut dst[done..], &src[done..], op) };
    }
    done
}
