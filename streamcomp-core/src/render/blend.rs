//! Blend kernels on premultiplied RGBA8 rows: `normal` (Porter-Duff over), `add`, `multiply`
//! and `screen`, each with a layer opacity.
//!
//! `over` works on whole pixels as `u32` with two 16-bit lanes per multiply (SWAR); the others
//! work per channel. All use the same exactly-rounded division by 255, so results do not depend
//! on which path a pixel took, and any banding of the canvas gives the same bytes.

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

/// Source-over of `src` onto `dst` (same length, whole pixels) at opacity `op`.
pub(crate) fn over_row(dst: &mut [u8], src: &[u8], op: u8) {
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

/// Per-channel kernels for the separable modes, on premultiplied values.
#[inline(always)]
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
#[inline(always)]
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
    debug_assert_eq!(dst.len(), src.len());
    match mode {
        BlendMode::Normal if src_opaque && op == 255 => dst.copy_from_slice(src),
        BlendMode::Normal => over_row(dst, src, op),
        _ => {
            for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
                let v = blend_pixel(mode, [s[0], s[1], s[2], s[3]], [d[0], d[1], d[2], d[3]], op);
                d.copy_from_slice(&v);
            }
        }
    }
}

/// Fills a row with one premultiplied colour.
pub(crate) fn fill_row(dst: &mut [u8], color: [u8; 4]) {
    let v = u32::from_le_bytes(color);
    if v == 0 {
        dst.fill(0);
        return;
    }
    for d in dst.chunks_exact_mut(4) {
        d.copy_from_slice(&color);
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
            over_row(&mut row, &src, op);
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
