//! Blend kernels on premultiplied RGBA8 rows: `normal` (Porter-Duff over), `add`, `multiply`
//! and `screen`, each with a layer opacity.
//!
//! Rows go through the widest SIMD kernel the CPU runs ([`Simd::detected`], chosen once at run
//! time: AVX2, eight pixels a step, then SSE2, four, in `blend/x86.rs`), and the scalar code
//! finishes the last few pixels. The scalar `over` works on whole pixels as `u32` with two
//! 16-bit lanes per multiply (SWAR); the other modes work per channel. All use the same
//! exactly-rounded division by 255, so results do not depend on which path a pixel took, and
//! any banding of the canvas or any CPU gives the same bytes (`every_level_gives_the_same_bytes`).

use crate::scene::BlendMode;

/// `round(x / 255)` for `x` in `0..=65025`, exactly.
#[inline(always)]
pub(crate) fn div255(x: u32) -> u32 {
    let x = x + 128;
    (x + (x >> 8)) >> 8
}

/// `div255` on two 16-bit lanes at once (`0x00XX00YY` layout, each lane ≤ 65025).
#[inline(always)]
fn div255_lanes(x: u32) -> u32 {
    let x = x + 0x0080_0080;
    ((x + ((x >> 8) & 0x00ff_00ff)) >> 8) & 0x00ff_00ff
}

/// Multiplies every channel of a premultiplied pixel by `op`/255.
#[inline(always)]
fn scale_pixel(p: u32, op: u32) -> u32 {
    let rb = div255_lanes((p & 0x00ff_00ff) * op);
    let ag = div255_lanes(((p >> 8) & 0x00ff_00ff) * op);
    rb | (ag << 8)
}

/// `s + d * (255 - sa) / 255` on a whole pixel.
#[inline(always)]
fn over_pixel(s: u32, d: u32) -> u32 {
    let sa = s >> 24;
    if sa == 255 {
        return s;
    }
    if s == 0 {
        return d;
    }
    let inv = 255 - sa;
    let rb = div255_lanes((d & 0x00ff_00ff) * inv);
    let ag = div255_lanes(((d >> 8) & 0x00ff_00ff) * inv);
    s + (rb | (ag << 8))
}

#[inline(always)]
fn load(p: &[u8]) -> u32 {
    u32::from_le_bytes([p[0], p[1], p[2], p[3]])
}

/// A SIMD level of the row kernels, lowest first. [`Simd::detected`] is the best the CPU has;
/// forcing a lower one (the `*_at` functions) gives the same bytes, only slower.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Simd {
    /// Portable code only (SWAR for source-over, per channel for the other modes).
    Scalar,
    /// SSE2, four pixels a step (the x86_64 baseline).
    Sse2,
    /// AVX2, eight pixels a step.
    Avx2,
}

impl Simd {
    /// Every level, lowest first.
    pub const ALL: [Simd; 3] = [Simd::Scalar, Simd::Sse2, Simd::Avx2];

    /// The best level this CPU runs, detected once and cached.
    pub fn detected() -> Simd {
        use std::sync::atomic::{AtomicU8, Ordering};
        // 0: not detected yet; otherwise the level's index + 1.
        static LEVEL: AtomicU8 = AtomicU8::new(0);
        match LEVEL.load(Ordering::Relaxed) {
            1 => Simd::Scalar,
            2 => Simd::Sse2,
            3 => Simd::Avx2,
            _ => {
                let level = Simd::detect();
                LEVEL.store(level as u8 + 1, Ordering::Relaxed);
                level
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    fn detect() -> Simd {
        if std::arch::is_x86_feature_detected!("avx2") {
            Simd::Avx2
        } else {
            Simd::Sse2
        }
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn detect() -> Simd {
        Simd::Scalar
    }

    /// True when this CPU runs the level.
    pub fn available(self) -> bool {
        self <= Simd::detected()
    }

    /// The name used by benchmarks and messages (`scalar`, `sse2`, `avx2`).
    pub fn name(self) -> &'static str {
        match self {
            Simd::Scalar => "scalar",
            Simd::Sse2 => "sse2",
            Simd::Avx2 => "avx2",
        }
    }
}

/// The portable kernel: one pixel per step as a `u32` with two 16-bit lanes per multiply.
fn over_row_swar(dst: &mut [u8], src: &[u8], op: u8) {
    let op = op as u32;
    if op == 255 {
        for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
            let v = over_pixel(load(s), load(d));
            d.copy_from_slice(&v.to_le_bytes());
        }
    } else {
        for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
            let v = over_pixel(scale_pixel(load(s), op), load(d));
            d.copy_from_slice(&v.to_le_bytes());
        }
    }
}

/// The SSE2 and AVX2 kernels (one body for both).
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86;

/// Per-channel kernels for the separable modes, on premultiplied values (the test reference).
#[cfg(test)]
fn channel(mode: BlendMode, s: u32, d: u32, sa: u32, da: u32) -> u32 {
    match mode {
        BlendMode::Normal => s + div255(d * (255 - sa)),
        BlendMode::Add => (s + d).min(255),
        // s·(1−da) + d·(1−sa) + s·d
        BlendMode::Multiply => div255(s * (255 - da) + d * (255 - sa) + s * d).min(255),
        // s + d − s·d
        BlendMode::Screen => s + d - div255(s * d),
    }
}

/// Blends one pixel with any mode (the reference the row kernels agree with).
#[cfg(test)]
pub(crate) fn blend_pixel(mode: BlendMode, s: [u8; 4], d: [u8; 4], op: u8) -> [u8; 4] {
    let op = op as u32;
    let s = s.map(|c| {
        if op == 255 {
            c as u32
        } else {
            div255(c as u32 * op)
        }
    });
    let (sa, da) = (s[3], d[3] as u32);
    let mut out = [0u8; 4];
    for i in 0..4 {
        out[i] = channel(mode, s[i], d[i] as u32, sa, da) as u8;
    }
    out
}

/// Blends a row of `src` onto `dst` with `mode` at opacity `op`. `src_opaque` says every source
/// pixel has alpha 255 (an opaque normal blit at full opacity is then a copy).
pub(crate) fn blend_row(dst: &mut [u8], src: &[u8], op: u8, mode: BlendMode, src_opaque: bool) {
    blend_row_at(Simd::detected(), dst, src, op, mode, src_opaque);
}

/// [`blend_row`] at a chosen SIMD level (clamped to what the CPU runs): for the tests that
/// prove every level gives the same bytes, and for the benchmarks.
#[doc(hidden)]
pub fn blend_row_at(
    level: Simd,
    dst: &mut [u8],
    src: &[u8],
    op: u8,
    mode: BlendMode,
    src_opaque: bool,
) {
    debug_assert_eq!(dst.len(), src.len());
    let level = level.min(Simd::detected());
    if mode == BlendMode::Normal && src_opaque && op == 255 {
        dst.copy_from_slice(src);
        return;
    }
    #[cfg(target_arch = "x86_64")]
    let done = match mode {
        BlendMode::Normal => x86::blend::<{ x86::NORMAL }>(level, dst, src, op),
        BlendMode::Add => x86::blend::<{ x86::ADD }>(level, dst, src, op),
        BlendMode::Multiply => x86::blend::<{ x86::MULTIPLY }>(level, dst, src, op),
        BlendMode::Screen => x86::blend::<{ x86::SCREEN }>(level, dst, src, op),
    };
    #[cfg(not(target_arch = "x86_64"))]
    let done = {
        let _ = level;
        0
    };
    let (dst, src) = (&mut dst[done..], &src[done..]);
    match mode {
        BlendMode::Normal => over_row_swar(dst, src, op),
        BlendMode::Add => per_channel(dst, src, op, |s, d, _, _| (s + d).min(255)),
        BlendMode::Multiply => per_channel(dst, src, op, |s, d, sa, da| {
            div255(s * (255 - da) + d * (255 - sa) + s * d).min(255)
        }),
        BlendMode::Screen => per_channel(dst, src, op, |s, d, _, _| s + d - div255(s * d)),
    }
}

/// Applies a per-channel kernel `f(s, d, sa, da)` (monomorphised per mode, so the loop has no
/// branch on the mode) after scaling the source by `op`.
#[inline(always)]
fn per_channel(dst: &mut [u8], src: &[u8], op: u8, f: impl Fn(u32, u32, u32, u32) -> u32) {
    let op = op as u32;
    for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
        let sc = |c: u8| {
            if op == 255 {
                c as u32
            } else {
                div255(c as u32 * op)
            }
        };
        let (s0, s1, s2, sa) = (sc(s[0]), sc(s[1]), sc(s[2]), sc(s[3]));
        let da = d[3] as u32;
        d[0] = f(s0, d[0] as u32, sa, da) as u8;
        d[1] = f(s1, d[1] as u32, sa, da) as u8;
        d[2] = f(s2, d[2] as u32, sa, da) as u8;
        d[3] = f(sa, da, sa, da) as u8;
    }
}

/// Fills a row with one premultiplied colour.
pub(crate) fn fill_row(dst: &mut [u8], color: [u8; 4]) {
    if color == [color[0]; 4] {
        dst.fill(color[0]);
        return;
    }
    if dst.len() < 4 {
        return;
    }
    dst[..4].copy_from_slice(&color);
    // Doubling copies: a few memcpy calls instead of a loop per pixel.
    let mut filled = 4;
    while filled < dst.len() {
        let n = filled.min(dst.len() - filled);
        dst.copy_within(..n, filled);
        filled += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny deterministic PRNG (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn byte(&mut self) -> u8 {
            (self.next() >> 56) as u8
        }
        /// A valid premultiplied pixel (every channel ≤ alpha).
        fn pixel(&mut self) -> [u8; 4] {
            let a = match self.next() % 8 {
                0 => 0,
                1 => 255,
                _ => self.byte(),
            };
            let c = |r: &mut Rng| {
                if a == 0 {
                    0
                } else {
                    (r.next() % (a as u64 + 1)) as u8
                }
            };
            [c(self), c(self), c(self), a]
        }
    }

    /// The modes in floating point, premultiplied, opacity applied to the source.
    fn float_blend(mode: BlendMode, s: [u8; 4], d: [u8; 4], op: u8) -> [f64; 4] {
        let o = op as f64 / 255.0;
        let s = s.map(|c| c as f64 / 255.0 * o);
        let d = d.map(|c| c as f64 / 255.0);
        let (sa, da) = (s[3], d[3]);
        let mut out = [0.0; 4];
        for i in 0..4 {
            out[i] = 255.0
                * match mode {
                    BlendMode::Normal => s[i] + d[i] * (1.0 - sa),
                    BlendMode::Add => (s[i] + d[i]).min(1.0),
                    BlendMode::Multiply => s[i] * (1.0 - da) + d[i] * (1.0 - sa) + s[i] * d[i],
                    BlendMode::Screen => s[i] + d[i] - s[i] * d[i],
                };
        }
        out
    }

    #[test]
    fn div255_is_exact_rounding() {
        for x in 0..=65025u32 {
            assert_eq!(div255(x), (x as f64 / 255.0).round() as u32, "{x}");
        }
        for x in (0..=65025u32).step_by(7) {
            for y in (0..=65025u32).step_by(997) {
                let lanes = div255_lanes((x << 16) | y);
                assert_eq!(lanes >> 16, div255(x));
                assert_eq!(lanes & 0xffff, div255(y));
            }
        }
    }

    /// Property test: every kernel is within 1 of the float result at full opacity, within 2 with
    /// an opacity (the source is rounded once to 8 bits before blending, like any 8-bit compositor).
    #[test]
    fn kernels_match_floating_point() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for mode in [
            BlendMode::Normal,
            BlendMode::Add,
            BlendMode::Multiply,
            BlendMode::Screen,
        ] {
            for case in 0..200_000 {
                let (s, d) = (rng.pixel(), rng.pixel());
                let op = if case % 2 == 0 { 255 } else { rng.byte() };
                let got = blend_pixel(mode, s, d, op);
                let want = float_blend(mode, s, d, op);
                let tol = if op == 255 { 1.0 } else { 2.0 };
                for i in 0..4 {
                    assert!(
                        (got[i] as f64 - want[i]).abs() <= tol,
                        "{mode:?} s={s:?} d={d:?} op={op}: got {got:?}, want {want:?}"
                    );
                }
                assert!(
                    got[..3].iter().all(|&c| c <= got[3].max(c)),
                    "premultiplied"
                );
            }
        }
    }

    /// The SWAR row kernel gives exactly the per-pixel reference.
    #[test]
    fn swar_over_equals_reference() {
        let mut rng = Rng(42);
        let n = 4096;
        let src: Vec<u8> = (0..n).flat_map(|_| rng.pixel()).collect();
        let dst: Vec<u8> = (0..n).flat_map(|_| rng.pixel()).collect();
        for op in [255u8, 254, 128, 1, 0] {
            let mut row = dst.clone();
            blend_row(&mut row, &src, op, BlendMode::Normal, false);
            for i in 0..n {
                let s = [src[4 * i], src[4 * i + 1], src[4 * i + 2], src[4 * i + 3]];
                let d = [dst[4 * i], dst[4 * i + 1], dst[4 * i + 2], dst[4 * i + 3]];
                assert_eq!(
                    &row[4 * i..4 * i + 4],
                    &blend_pixel(BlendMode::Normal, s, d, op),
                    "op {op}"
                );
            }
        }
    }

    /// The per-mode row loops give exactly the per-pixel reference.
    #[test]
    fn row_kernels_equal_reference() {
        let mut rng = Rng(7);
        let n = 1024;
        let src: Vec<u8> = (0..n).flat_map(|_| rng.pixel()).collect();
        let dst: Vec<u8> = (0..n).flat_map(|_| rng.pixel()).collect();
        for mode in [BlendMode::Add, BlendMode::Multiply, BlendMode::Screen] {
            for op in [255u8, 100] {
                let mut row = dst.clone();
                blend_row(&mut row, &src, op, mode, false);
                for i in 0..n {
                    let s = [src[4 * i], src[4 * i + 1], src[4 * i + 2], src[4 * i + 3]];
                    let d = [dst[4 * i], dst[4 * i + 1], dst[4 * i + 2], dst[4 * i + 3]];
                    assert_eq!(
                        &row[4 * i..4 * i + 4],
                        &blend_pixel(mode, s, d, op),
                        "{mode:?} op {op}"
                    );
                }
            }
        }
    }

    /// Every SIMD level gives the bytes of the scalar code: random rows of every length up to
    /// 67 pixels (so the AVX2 blocks, the SSE2 block and the scalar tail all run, at every
    /// split), every mode, opaque and translucent sources, opacities 0, 1, 128, 254 and 255.
    #[test]
    fn every_level_gives_the_same_bytes() {
        if !Simd::Avx2.available() {
            println!("note: this CPU has no AVX2; comparing the lower levels only");
        }
        let mut rng = Rng(0x5eed);
        let modes = [
            BlendMode::Normal,
            BlendMode::Add,
            BlendMode::Multiply,
            BlendMode::Screen,
        ];
        for len in 0..=67usize {
            for round in 0..24 {
                // Mixed rows, and rows that are all transparent or all opaque in places (the
                // SIMD kernels' skip and copy shortcuts).
                let pixel = |rng: &mut Rng, i: usize| match (round % 4, i % 11 < 5) {
                    (1, true) => [0; 4],
                    (2, true) => {
                        let p = rng.pixel();
                        [p[0], p[1], p[2], 255]
                    }
                    _ => rng.pixel(),
                };
                let src: Vec<u8> = (0..len).flat_map(|i| pixel(&mut rng, i)).collect();
                let dst: Vec<u8> = (0..len).flat_map(|i| pixel(&mut rng, i)).collect();
                let opaque = src.chunks_exact(4).all(|p| p[3] == 255);
                for mode in modes {
                    for op in [0u8, 1, 128, 254, 255] {
                        let mut want = dst.clone();
                        blend_row_at(Simd::Scalar, &mut want, &src, op, mode, opaque);
                        for level in Simd::ALL.into_iter().filter(|l| l.available()) {
                            let mut got = dst.clone();
                            blend_row_at(level, &mut got, &src, op, mode, opaque);
                            assert_eq!(got, want, "{level:?} {mode:?} op {op} len {len}");
                        }
                    }
                }
                // The scalar row agrees with the per-pixel reference too.
                for mode in modes {
                    let mut row = dst.clone();
                    blend_row_at(Simd::Scalar, &mut row, &src, 200, mode, false);
                    for (i, got) in row.chunks_exact(4).enumerate() {
                        let px = |v: &[u8]| [v[4 * i], v[4 * i + 1], v[4 * i + 2], v[4 * i + 3]];
                        assert_eq!(got, blend_pixel(mode, px(&src), px(&dst), 200));
                    }
                }
            }
        }
    }

    /// Add, multiply and screen give the same bytes on every level even for bytes that are not
    /// valid premultiplied pixels (a channel above its alpha), since their results stay within
    /// a byte without wrapping.
    #[test]
    fn separable_modes_agree_on_any_bytes() {
        let mut rng = Rng(99);
        for len in [1usize, 3, 4, 7, 8, 9, 15, 16, 17, 31, 64, 67, 1920] {
            let src: Vec<u8> = (0..len * 4).map(|_| rng.byte()).collect();
            let dst: Vec<u8> = (0..len * 4).map(|_| rng.byte()).collect();
            for mode in [BlendMode::Add, BlendMode::Multiply, BlendMode::Screen] {
                for op in [0u8, 1, 128, 254, 255] {
                    let mut want = dst.clone();
                    blend_row_at(Simd::Scalar, &mut want, &src, op, mode, false);
                    for level in Simd::ALL.into_iter().filter(|l| l.available()) {
                        let mut got = dst.clone();
                        blend_row_at(level, &mut got, &src, op, mode, false);
                        assert_eq!(got, want, "{level:?} {mode:?} op {op} len {len}");
                    }
                }
            }
        }
    }

    #[test]
    fn opaque_copy_and_fill() {
        let src = [10u8, 20, 30, 255].repeat(8);
        let mut dst = vec![0u8; 32];
        blend_row(&mut dst, &src, 255, BlendMode::Normal, true);
        assert_eq!(dst, src);
        fill_row(&mut dst, [1, 2, 3, 4]);
        assert_eq!(&dst[28..], &[1, 2, 3, 4]);
    }
}
