//! Direct affine drawing: a layer's raster sampled straight into the canvas through its
//! placement (rotation, non-integer scale, sub-pixel position), one canvas row at a time inside
//! the compositor's bands. No transformed copy of the raster is made, so a layer that moves or
//! turns every frame costs one resampling pass over the pixels it covers and no allocation.
//!
//! Arithmetic is integer (16.16 fixed-point raster coordinates stepped per canvas column from a
//! value computed per row), so a pixel's bytes depend only on its coordinates: the same for any
//! banding, any number of threads and any damage rectangle. Sampling clamps at the raster's
//! edges and the edges are anti-aliased by the analytic coverage of each canvas pixel by the
//! transformed raster rectangle (a box filter across each edge), which keeps them as sharp as
//! a filled path at any scale, and makes a box under a pixel wide cover only its share.
//!
//! Filters: `low` is bilinear; `medium` and `high` are Catmull-Rom bicubic (64 phases, 12-bit
//! weights). Downscaling is prefiltered before it gets here: the compositor draws the raster at
//! a power of √2 of the layer's scale, so this stage only ever shrinks by less than √2.

use tiny_skia::Transform;

use super::Quality;
use super::place::IRect;

#[cfg(target_arch = "x86_64")]
mod x86;

/// The kernels that sample: chosen once at run time, forced in tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kernels {
    /// Portable integer code.
    Scalar,
    /// AVX2 for pixels inside the raster (x86_64 with AVX2), the scalar code at its edges.
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Kernels {
    /// The fastest kernels this CPU runs.
    pub(crate) fn detect() -> Kernels {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Kernels::Avx2;
        }
        Kernels::Scalar
    }
}

/// One in 16.16 fixed point.
const ONE: f64 = 65536.0;

/// Canvas pixels sampled per step into the stack buffer before they are blended.
pub(crate) const CHUNK: usize = 128;

/// The resampling filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Filter {
    /// Four taps, 8-bit weights.
    Bilinear,
    /// Sixteen taps, Catmull-Rom (B = 0, C = 0.5), 12-bit weights.
    Bicubic,
}

impl Filter {
    /// The filter a quality level transforms with.
    pub(crate) fn of(q: Quality) -> Filter {
        match q {
            Quality::Low => Filter::Bilinear,
            Quality::Medium | Quality::High => Filter::Bicubic,
        }
    }
}

/// Weight scale of the bicubic table.
const CUBIC_BITS: u32 = 12;
/// Fraction bits dropped between the horizontal and the vertical bicubic pass (so that the
/// horizontal sums fit 16 bits: at most 255 · 1.125 · 4096 / 64 = 18360).
const CUBIC_MID_SHIFT: u32 = 6;

/// Catmull-Rom weights of the four taps for 64 sub-pixel phases, summing to 4096 each.
static CUBIC: [[i32; 4]; 64] = cubic_table();

const fn cubic_table() -> [[i32; 4]; 64] {
    let mut table = [[0i32; 4]; 64];
    let mut k = 0;
    while k < 64 {
        let t = k as f64 / 64.0;
        let (t2, t3) = (t * t, t * t * t);
        let w = [
            (-t3 + 2.0 * t2 - t) / 2.0,
            (3.0 * t3 - 5.0 * t2 + 2.0) / 2.0,
            (-3.0 * t3 + 4.0 * t2 + t) / 2.0,
            (t3 - t2) / 2.0,
        ];
        let mut q = [0i32; 4];
        let mut i = 0;
        while i < 4 {
            let r = w[i] * (1 << CUBIC_BITS) as f64;
            q[i] = if r >= 0.0 {
                (r + 0.5) as i32
            } else {
                (r - 0.5) as i32
            };
            i += 1;
        }
        // Exact sum: the rounding error goes to the largest weight.
        let big = if t < 0.5 { 1 } else { 2 };
        q[big] += (1 << CUBIC_BITS) - (q[0] + q[1] + q[2] + q[3]);
        table[k] = q;
        k += 1;
    }
    table
}

/// How one raster maps onto the canvas, inverted: everything a band needs to sample it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AffineMap {
    /// Canvas → raster (raster pixel `i` spans `[i, i + 1)`): `u = a·x + b·y + c`.
    a: f64,
    b: f64,
    c: f64,
    /// `v = d·x + e·y + f`.
    d: f64,
    e: f64,
    f: f64,
    /// `a` and `d` in 16.16: the step per canvas column.
    du: i64,
    dv: i64,
    /// Raster size, pixels.
    w: i64,
    h: i64,
    /// Canvas pixels per raster unit across the u and v edges (1 / |∇u|, 1 / |∇v|), divided by
    /// 65536 (applied to 16.16 values).
    ku: f32,
    kv: f32,
    /// The raster's width and height measured across its edges in canvas pixels.
    wc: f32,
    hc: f32,
    /// 16.16 ranges of u and v where a canvas pixel is wholly inside the raster.
    u_full: (i64, i64),
    v_full: (i64, i64),
    /// 16.16 ranges of u and v where the pixel is wholly covered and every tap of the filter
    /// lies inside the raster (no clamping needed).
    fast: ((i64, i64), (i64, i64)),
    /// The kernels this CPU runs, chosen when the map is made.
    kernels: Kernels,
    /// Margins (raster units) beyond the edges where a pixel may still be partly covered.
    mu: f64,
    mv: f64,
    filter: Filter,
}

impl AffineMap {
    /// The map for a `w`×`h` raster drawn through `t` (raster pixels → canvas), and the canvas
    /// rectangle it may touch, clipped to `clip`. `None` when nothing can be seen (outside the
    /// clip, a transform that is not finite or cannot be inverted, an empty raster).
    pub(crate) fn new(
        t: &Transform,
        w: u32,
        h: u32,
        filter: Filter,
        clip: IRect,
    ) -> Option<(AffineMap, IRect)> {
        let [sx, ky, kx, sy, tx, ty] = [t.sx, t.ky, t.kx, t.sy, t.tx, t.ty].map(f64::from);
        let det = sx * sy - kx * ky;
        if w == 0 || h == 0 || !det.is_finite() || det == 0.0 {
            return None;
        }
        let (a, b, d, e) = (sy / det, -kx / det, -ky / det, sx / det);
        let c = -(a * tx + b * ty);
        let f = -(d * tx + e * ty);
        let (wf, hf) = (w as f64, h as f64);
        let corners = [(0.0, 0.0), (wf, 0.0), (0.0, hf), (wf, hf)]
            .map(|(u, v)| (sx * u + kx * v + tx, ky * u + sy * v + ty));
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for (x, y) in corners {
            (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
        }
        let ku = 1.0 / a.hypot(b);
        let kv = 1.0 / d.hypot(e);
        if ![a, b, c, d, e, f, x0, x1, y0, y1, ku, kv]
            .iter()
            .all(|v| v.is_finite())
            // A raster shrunk to a millionth of a pixel per raster pixel shows nothing.
            || a.abs().max(d.abs()) > 1e6
        {
            return None;
        }
        let lim = (i32::MAX / 2) as f64;
        let area = IRect {
            x0: (x0.floor() - 1.0).clamp(-lim, lim) as i32,
            y0: (y0.floor() - 1.0).clamp(-lim, lim) as i32,
            x1: (x1.ceil() + 1.0).clamp(-lim, lim) as i32,
            y1: (y1.ceil() + 1.0).clamp(-lim, lim) as i32,
        }
        .intersect(&clip);
        if area.is_empty() {
            return None;
        }
        let (mu, mv) = (0.5 / ku, 0.5 / kv);
        let full = |m: f64, size: f64| {
            let lo = (m * ONE).ceil() as i64;
            let hi = ((size - m) * ONE).floor() as i64;
            (lo, hi)
        };
        let (u_full, v_full) = (full(mu, wf), full(mv, hf));
        // Tap reach below and above the sample's pixel: bicubic 1 and 2, bilinear 0 and 1;
        // positions are rounded by half a phase first.
        let (below, above, half) = match filter {
            Filter::Bicubic => (1, 2, 512),
            Filter::Bilinear => (0, 1, 128),
        };
        let taps = |size: i64| {
            (
                (below << 16) + 32768 - half,
                ((size - above) << 16) + 32768 - half - 1,
            )
        };
        let both = |a: (i64, i64), b: (i64, i64)| (a.0.max(b.0), a.1.min(b.1));
        let map = AffineMap {
            a,
            b,
            c,
            d,
            e,
            f,
            du: (a * ONE).round() as i64,
            dv: (d * ONE).round() as i64,
            w: w as i64,
            h: h as i64,
            ku: (ku / ONE) as f32,
            kv: (kv / ONE) as f32,
            wc: (wf * ku) as f32,
            hc: (hf * kv) as f32,
            u_full,
            v_full,
            fast: (both(u_full, taps(w as i64)), both(v_full, taps(h as i64))),
            kernels: Kernels::detect(),
            mu: mu + 1e-3,
            mv: mv + 1e-3,
            filter,
        };
        Some((map, area))
    }

    /// The columns of canvas row `y`, within `x0..x1`, that the raster may cover (an empty
    /// range when none): the rest of the row is transparent and need not be sampled.
    pub(crate) fn row_span(&self, y: i32, x0: i32, x1: i32) -> (i32, i32) {
        let py = y as f64 + 0.5;
        let (mut lo, mut hi) = (x0 as f64, x1 as f64);
        for (k, base, min, max) in [
            (
                self.a,
                self.b * py + self.c,
                -self.mu,
                self.w as f64 + self.mu,
            ),
            (
                self.d,
                self.e * py + self.f,
                -self.mv,
                self.h as f64 + self.mv,
            ),
        ] {
            // k·(x + 0.5) + base within (min, max).
            if k == 0.0 {
                if base <= min || base >= max {
                    return (x0, x0);
                }
                continue;
            }
            let (p, q) = ((min - base) / k - 0.5, (max - base) / k - 0.5);
            let (p, q) = if p < q { (p, q) } else { (q, p) };
            lo = lo.max(p.floor() - 1.0);
            hi = hi.min(q.ceil() + 1.0);
        }
        if lo >= hi {
            return (x0, x0);
        }
        (lo as i32, hi as i32)
    }

    /// True when the raster wholly covers every pixel of `r` (no edge pixel in it): the pixels
    /// of an opaque raster then hide whatever is under them. The covered region is convex, so
    /// checking the four corner pixels (with two units of margin for the per-row rounding of
    /// the coordinates) checks them all.
    pub(crate) fn covers(&self, r: IRect) -> bool {
        if r.is_empty() {
            return true;
        }
        let ((ulo, uhi), (vlo, vhi)) = (self.u_full, self.v_full);
        [
            (r.x0, r.y0),
            (r.x1 - 1, r.y0),
            (r.x0, r.y1 - 1),
            (r.x1 - 1, r.y1 - 1),
        ]
        .into_iter()
        .all(|(x, y)| {
            let (u, v) = self.origin(x, y);
            u >= ulo + 2 && u <= uhi - 2 && v >= vlo + 2 && v <= vhi - 2
        })
    }

    /// 16.16 raster coordinates of the centre of canvas pixel `(x, y)`.
    #[inline]
    fn origin(&self, x: i32, y: i32) -> (i64, i64) {
        let py = y as f64 + 0.5;
        let u = ((self.a * 0.5 + self.b * py + self.c) * ONE).round() as i64;
        let v = ((self.d * 0.5 + self.e * py + self.f) * ONE).round() as i64;
        (
            u.saturating_add((x as i64).saturating_mul(self.du)),
            v.saturating_add((x as i64).saturating_mul(self.dv)),
        )
    }

    /// How much of a canvas pixel whose centre maps to `(u, v)` the raster covers, 0–256.
    #[inline]
    fn coverage(&self, u: i64, v: i64) -> u32 {
        if u >= self.u_full.0 && u <= self.u_full.1 && v >= self.v_full.0 && v <= self.v_full.1 {
            return 256;
        }
        let axis = |p: f32, size: f32| ((p + 0.5).min(size) - (p - 0.5).max(0.0)).clamp(0.0, 1.0);
        let cu = axis(u as f32 * self.ku, self.wc);
        let cv = axis(v as f32 * self.kv, self.hc);
        (cu * cv * 256.0 + 0.5) as u32
    }

    /// Samples canvas pixels `x..x + out.len() / 4` of row `y` from `pix` (the premultiplied
    /// raster this map was made for) into `out`, premultiplied, with edge coverage applied,
    /// with the fastest kernels this CPU runs.
    pub(crate) fn sample_row(&self, pix: &[u8], y: i32, x: i32, out: &mut [u8]) {
        self.sample_row_with::<false>(self.kernels, pix, y, x, out);
    }

    /// Samples like [`AffineMap::sample_row`] and composes each pixel over `dst` at once
    /// (normal blend, full opacity): one pass, the same bytes as sampling into a buffer and
    /// blending it with `blend_row`.
    pub(crate) fn over_row(&self, pix: &[u8], y: i32, x: i32, dst: &mut [u8]) {
        self.sample_row_with::<true>(self.kernels, pix, y, x, dst);
    }

    /// [`AffineMap::sample_row`] (`OVER` false) or [`AffineMap::over_row`] (true) with the
    /// given kernels (the same bytes with each).
    pub(crate) fn sample_row_with<const OVER: bool>(
        &self,
        k: Kernels,
        pix: &[u8],
        y: i32,
        x: i32,
        out: &mut [u8],
    ) {
        match k {
            Kernels::Scalar => self.sample_row_scalar::<OVER>(pix, y, x, out),
            // SAFETY: `Kernels::Avx2` is only made when the CPU has AVX2 (`detect`, or a test
            // that checked it).
            #[cfg(target_arch = "x86_64")]
            #[allow(unsafe_code)]
            Kernels::Avx2 => unsafe { x86::sample_row::<OVER>(self, pix, y, x, out) },
        }
    }

    fn sample_row_scalar<const OVER: bool>(&self, pix: &[u8], y: i32, x: i32, out: &mut [u8]) {
        let (mut u, mut v) = self.origin(x, y);
        for o in out.chunks_exact_mut(4) {
            put::<OVER>(o, self.sample_edge(pix, u, v));
            u = u.saturating_add(self.du);
            v = v.saturating_add(self.dv);
        }
    }

    /// One pixel anywhere (edges clamped, coverage applied): the scalar kernel.
    #[inline]
    fn sample_edge(&self, pix: &[u8], u: i64, v: i64) -> [u8; 4] {
        let cov = self.coverage(u, v);
        if cov == 0 {
            return [0; 4];
        }
        let p = match self.filter {
            Filter::Bilinear => self.bilinear(pix, u, v),
            Filter::Bicubic => self.bicubic(pix, u, v),
        };
        if cov == 256 {
            p
        } else {
            p.map(|c| ((c as u32 * cov + 128) >> 8) as u8)
        }
    }

    /// Bilinear sample at pixel-centre position `(u, v)` (16.16), edges clamped.
    #[inline]
    fn bilinear(&self, pix: &[u8], u: i64, v: i64) -> [u8; 4] {
        // Positions rounded to the nearest 1/256 pixel (a whole pixel a hair away counts as that
        // pixel: a half turn copies exactly).
        let (su, sv) = (u - 32768 + 128, v - 32768 + 128);
        let (iu, iv) = (su >> 16, sv >> 16);
        let (fu, fv) = (((su >> 8) & 255) as u32, ((sv >> 8) & 255) as u32);
        let (w, h) = (self.w, self.h);
        let (u0, u1) = (iu.clamp(0, w - 1), (iu + 1).clamp(0, w - 1));
        let (r0, r1) = (iv.clamp(0, h - 1), (iv + 1).clamp(0, h - 1));
        let at = |x: i64, y: i64| ((y * w + x) * 4) as usize;
        let (p00, p10, p01, p11) = (at(u0, r0), at(u1, r0), at(u0, r1), at(u1, r1));
        let mut out = [0u8; 4];
        for (k, o) in out.iter_mut().enumerate() {
            let top = pix[p00 + k] as u32 * (256 - fu) + pix[p10 + k] as u32 * fu;
            let bottom = pix[p01 + k] as u32 * (256 - fu) + pix[p11 + k] as u32 * fu;
            *o = ((top * (256 - fv) + bottom * fv + 32768) >> 16) as u8;
        }
        out
    }

    /// Catmull-Rom sample at pixel-centre position `(u, v)` (16.16), edges clamped, kept
    /// premultiplied (no channel above alpha).
    #[inline]
    fn bicubic(&self, pix: &[u8], u: i64, v: i64) -> [u8; 4] {
        // Positions rounded to the nearest of the 64 phases.
        let (su, sv) = (u - 32768 + 512, v - 32768 + 512);
        let (iu, iv) = (su >> 16, sv >> 16);
        let wx = &CUBIC[((su >> 10) & 63) as usize];
        let wy = &CUBIC[((sv >> 10) & 63) as usize];
        let (w, h) = (self.w, self.h);
        let cols = [-1, 0, 1, 2].map(|o| ((iu + o).clamp(0, w - 1) * 4) as usize);
        let mut acc = [0i32; 4];
        for (r, &wr) in wy.iter().enumerate() {
            let row = ((iv + r as i64 - 1).clamp(0, h - 1) * w * 4) as usize;
            let mut hsum = [0i32; 4];
            for (c, &wc) in wx.iter().enumerate() {
                let p = &pix[row + cols[c]..row + cols[c] + 4];
                for k in 0..4 {
                    hsum[k] += p[k] as i32 * wc;
                }
            }
            for k in 0..4 {
                acc[k] += ((hsum[k] + (1 << (CUBIC_MID_SHIFT - 1))) >> CUBIC_MID_SHIFT) * wr;
            }
        }
        const SHIFT: u32 = 2 * CUBIC_BITS - CUBIC_MID_SHIFT;
        let ch = |x: i32| ((x + (1 << (SHIFT - 1))) >> SHIFT).clamp(0, 255) as u8;
        let a = ch(acc[3]);
        [ch(acc[0]).min(a), ch(acc[1]).min(a), ch(acc[2]).min(a), a]
    }
}

/// Stores a sampled pixel (`OVER` false), or composes it over what `o` holds (true): opaque
/// pixels replace, transparent ones leave it, the rest go through the blend kernel.
#[inline(always)]
fn put<const OVER: bool>(o: &mut [u8], px: [u8; 4]) {
    if !OVER || px[3] == 255 {
        o.copy_from_slice(&px);
    } else if px != [0; 4] {
        super::blend::blend_row(o, &px, 255, crate::scene::BlendMode::Normal, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canvas() -> IRect {
        IRect::new(0, 0, 64, 64)
    }

    /// Renders `pix` (`w`×`h`) through `t` into a 64×64 premultiplied canvas (copy, no blend).
    fn draw(pix: &[u8], w: u32, h: u32, t: Transform, filter: Filter) -> Vec<u8> {
        let mut out = vec![0u8; 64 * 64 * 4];
        if let Some((map, r)) = AffineMap::new(&t, w, h, filter, canvas()) {
            for y in r.y0..r.y1 {
                let (x0, x1) = map.row_span(y, r.x0, r.x1);
                if x0 < x1 {
                    let row =
                        &mut out[(y as usize * 64 + x0 as usize) * 4..][..(x1 - x0) as usize * 4];
                    map.sample_row(pix, y, x0, row);
                }
            }
        }
        out
    }

    fn noise(w: u32, h: u32) -> Vec<u8> {
        (0..w * h)
            .flat_map(|i| {
                let a = 128 + (i * 37 % 128) as u8;
                let c = |k: u32| ((i * k + 11) % 251) as u8 % (a / 2 + 1) * 2;
                [c(13).min(a), c(29).min(a), c(71).min(a), a]
            })
            .collect()
    }

    #[test]
    fn the_cubic_table_sums_to_one_and_starts_at_the_centre_tap() {
        for w in CUBIC {
            assert_eq!(w.iter().sum::<i32>(), 1 << CUBIC_BITS);
        }
        assert_eq!(CUBIC[0], [0, 4096, 0, 0]);
    }

    #[test]
    fn an_integer_translation_copies_exactly_with_both_filters() {
        let pix = noise(10, 7);
        for filter in [Filter::Bilinear, Filter::Bicubic] {
            let out = draw(&pix, 10, 7, Transform::from_translate(5.0, 3.0), filter);
            for y in 0..7 {
                for x in 0..10 {
                    let s = (y * 10 + x) * 4;
                    let d = ((y + 3) * 64 + x + 5) * 4;
                    assert_eq!(out[d..d + 4], pix[s..s + 4], "{filter:?} at {x},{y}");
                }
            }
            assert_eq!(
                out[(3 * 64 + 4) * 4..(3 * 64 + 5) * 4],
                [0; 4],
                "{filter:?}"
            );
            assert_eq!(
                out[(10 * 64 + 5) * 4..(10 * 64 + 6) * 4],
                [0; 4],
                "{filter:?}"
            );
        }
    }

    #[test]
    fn edges_are_covered_by_their_share() {
        // A half-pixel shift: the first column is half covered.
        let pix = [255u8, 255, 255, 255].repeat(16);
        let out = draw(
            &pix,
            4,
            4,
            Transform::from_translate(2.5, 2.0),
            Filter::Bicubic,
        );
        let at = |x: usize, y: usize| &out[(y * 64 + x) * 4..(y * 64 + x) * 4 + 4];
        assert_eq!(at(2, 2), [128; 4]);
        assert_eq!(at(3, 2), [255; 4]);
        assert_eq!(at(6, 2), [128; 4]);
        // A box a fifth of a pixel wide covers a fifth.
        let out = draw(
            &pix,
            4,
            4,
            Transform::from_row(0.05, 0.0, 0.0, 1.0, 10.4, 2.0),
            Filter::Bilinear,
        );
        assert_eq!(out[(3 * 64 + 10) * 4 + 3], 51);
    }

    #[test]
    fn row_spans_hold_every_covered_pixel() {
        let pix = noise(23, 17);
        for deg in [0.0f32, 3.0, 45.0, 89.9, 90.0, 180.0, 271.0] {
            let t = Transform::from_translate(31.7, 30.2)
                .pre_rotate(deg)
                .pre_scale(1.3, 0.7)
                .pre_translate(-11.5, -8.5);
            let (map, r) = AffineMap::new(&t, 23, 17, Filter::Bilinear, canvas()).unwrap();
            let mut full = vec![0u8; 64 * 4];
            for y in r.y0..r.y1 {
                map.sample_row(&pix, y, r.x0, &mut full[..(r.x1 - r.x0) as usize * 4]);
                let (x0, x1) = map.row_span(y, r.x0, r.x1);
                for x in r.x0..r.x1 {
                    if x < x0 || x >= x1 {
                        let i = (x - r.x0) as usize * 4;
                        assert_eq!(full[i..i + 4], [0; 4], "{deg}° pixel {x},{y} left out");
                    }
                }
            }
        }
    }

    /// Every kernel set this CPU runs gives the bytes of the scalar code, for both filters,
    /// at many angles, scales and sub-pixel offsets, edges included; sampling and composing in
    /// one pass gives the bytes of sampling, then blending.
    #[test]
    fn simd_and_scalar_kernels_give_the_same_bytes() {
        let kernels = Kernels::detect();
        if kernels == Kernels::Scalar {
            eprintln!("no SIMD kernels on this CPU: only the scalar path is tested");
        }
        let pix = noise(37, 29);
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut compared = 0;
        for _ in 0..200 {
            let t = Transform::from_translate(64.0 * next() as f32, 64.0 * next() as f32)
                .pre_rotate(360.0 * next() as f32)
                .pre_scale(0.3 + 3.0 * next() as f32, 0.3 + 3.0 * next() as f32)
                .pre_translate(-18.5, -14.5);
            for filter in [Filter::Bilinear, Filter::Bicubic] {
                let Some((map, r)) = AffineMap::new(&t, 37, 29, filter, canvas()) else {
                    continue;
                };
                let n = (r.x1 - r.x0) as usize * 4;
                let (mut a, mut b) = (vec![0u8; n], vec![0u8; n]);
                let under: Vec<u8> = noise((n / 4) as u32, 1);
                for y in r.y0..r.y1 {
                    map.sample_row_with::<false>(Kernels::Scalar, &pix, y, r.x0, &mut a);
                    map.sample_row_with::<false>(kernels, &pix, y, r.x0, &mut b);
                    assert_eq!(a, b, "{filter:?} {t:?} row {y}");
                    // Composed in the same pass: the bytes of sampling, then blending.
                    let mut want = under.clone();
                    crate::render::blend::blend_row(
                        &mut want,
                        &a,
                        255,
                        crate::scene::BlendMode::Normal,
                        false,
                    );
                    for k in [Kernels::Scalar, kernels] {
                        let mut got = under.clone();
                        map.sample_row_with::<true>(k, &pix, y, r.x0, &mut got);
                        assert_eq!(got, want, "over {k:?} {filter:?} {t:?} row {y}");
                    }
                    compared += n;
                }
            }
        }
        assert!(compared > 100_000, "{compared}");
    }

    /// A rectangle the map says it covers has only wholly covered, opaque pixels.
    #[test]
    fn covered_rectangles_hold_only_opaque_pixels() {
        let pix = [200u8, 100, 50, 255].repeat(23 * 17);
        let mut covered = 0;
        for deg in [0.0f32, 3.0, 30.0, 89.9, 180.0, 271.0] {
            let t = Transform::from_translate(32.3, 31.7)
                .pre_rotate(deg)
                .pre_scale(2.9, 3.1)
                .pre_translate(-11.5, -8.5);
            let (map, area) = AffineMap::new(&t, 23, 17, Filter::Bicubic, canvas()).unwrap();
            for (w, h) in [(1, 1), (4, 4), (8, 3), (16, 16), (30, 8)] {
                for y in (area.y0..area.y1 - h).step_by(3) {
                    for x in (area.x0..area.x1 - w).step_by(3) {
                        if !map.covers(IRect::new(x, y, w, h)) {
                            continue;
                        }
                        covered += 1;
                        let mut row = vec![0u8; w as usize * 4];
                        for yy in y..y + h {
                            map.sample_row(&pix, yy, x, &mut row);
                            assert!(
                                row.chunks_exact(4).all(|p| p[3] == 255),
                                "{deg}°: {w}x{h} at {x},{y}: row {yy} not opaque"
                            );
                        }
                    }
                }
            }
        }
        assert!(covered > 100, "{covered}");
    }

    #[test]
    fn hostile_transforms_draw_nothing_or_stay_inside() {
        let pix = noise(16, 16);
        for t in [
            Transform::from_row(0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
            Transform::from_row(f32::NAN, 0.0, 0.0, 1.0, 0.0, 0.0),
            Transform::from_row(f32::MAX, 0.0, 0.0, f32::MAX, 0.0, 0.0),
            Transform::from_row(1e-30, 0.0, 0.0, 1e-30, 0.0, 0.0),
            Transform::from_row(1.0, 0.0, 0.0, 1.0, -1e30, 1e30),
            Transform::from_row(-0.0, 1.0, 1.0, -0.0, 3.0, 3.0),
            Transform::from_row(1e7, 3.0, -3.0, 1e7, -4e7, -4e7),
            Transform::from_row(8.0, 3.0, -3.0, 8.0, -40.0, -40.0),
        ] {
            for filter in [Filter::Bilinear, Filter::Bicubic] {
                draw(&pix, 16, 16, t, filter);
            }
        }
    }
}
