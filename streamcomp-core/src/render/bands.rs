//! Composition: draw operations blended onto the canvas, split into horizontal bands that run in
//! parallel. Each pixel is computed by the same code whatever the banding, so the bytes are
//! identical for any number of threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use super::affine::{AffineMap, CHUNK};
use super::blend::{blend_row, fill_row};
use super::place::IRect;
use super::raster::Raster;
use crate::scene::BlendMode;

/// One layer ready to draw: a raster blitted at an integer canvas position, or resampled
/// through an affine map.
#[derive(Clone, Debug)]
pub(crate) struct DrawOp {
    /// Content key of what the op draws (equal keys, equal pixels): the raster's, or for a
    /// mapped op the raster's with its transform and filter.
    pub(crate) key: u64,
    pub(crate) raster: Arc<Raster>,
    /// Canvas rectangle the op may touch: the raster's own for a blit, the transformed
    /// raster's bounding box (clipped to the canvas) for a mapped op.
    pub(crate) x: i32,
    pub(crate) y: i32,
    pub(crate) w: i32,
    pub(crate) h: i32,
    /// `None`: blit the raster with its top-left at `(x, y)`. `Some`: sample it through the map.
    pub(crate) map: Option<AffineMap>,
    pub(crate) opacity: u8,
    pub(crate) blend: BlendMode,
    /// The index of the layer it draws in the scene (for per-layer timing).
    pub(crate) layer: usize,
}

impl DrawOp {
    /// The canvas rectangle the op covers.
    pub(crate) fn rect(&self) -> IRect {
        IRect::new(self.x, self.y, self.w, self.h)
    }

    /// True when drawing `other` instead would give the same pixels.
    pub(crate) fn same_as(&self, other: &DrawOp) -> bool {
        self.key == other.key
            && self.x == other.x
            && self.y == other.y
            && self.opacity == other.opacity
            && self.blend == other.blend
    }
}

/// Rows per band: small enough to stay in cache and to spread over threads.
const BAND_ROWS: usize = 32;

/// Redraws `area` of the canvas (`data`, `width` pixels wide): background, then every op.
pub(crate) fn compose(
    data: &mut [u8],
    width: u32,
    background: [u8; 4],
    ops: &[DrawOp],
    area: IRect,
    pool: Option<&rayon::ThreadPool>,
    times: Option<&[AtomicU64]>,
) {
    if area.is_empty() {
        return;
    }
    let stride = width as usize * 4;
    let rows = &mut data[area.y0 as usize * stride..area.y1 as usize * stride];
    let band = |(i, chunk): (usize, &mut [u8])| {
        let y0 = area.y0 + (i * BAND_ROWS) as i32;
        let y1 = y0 + (chunk.len() / stride) as i32;
        compose_band(
            chunk,
            stride,
            IRect { y0, y1, ..area },
            background,
            ops,
            times,
        );
    };
    match pool {
        Some(pool) => pool.install(|| {
            rows.par_chunks_mut(BAND_ROWS * stride)
                .enumerate()
                .for_each(band)
        }),
        None => rows
            .chunks_mut(BAND_ROWS * stride)
            .enumerate()
            .for_each(band),
    }
}

/// Composes one band; `rows` holds whole canvas rows `band.y0..band.y1`.
/// With `times`, each op's blit time is added to its layer's slot.
fn compose_band(
    rows: &mut [u8],
    stride: usize,
    band: IRect,
    background: [u8; 4],
    ops: &[DrawOp],
    times: Option<&[AtomicU64]>,
) {
    let (bx0, bx1) = (band.x0 as usize * 4, band.x1 as usize * 4);
    // Nothing under an opaque layer that covers the whole band shows: start from the topmost
    // one (a blit whose rectangle holds the band, or a mapped raster that wholly covers it).
    let first = ops
        .iter()
        .rposition(|op| {
            op.raster.opaque
                && op.opacity == 255
                && op.blend == BlendMode::Normal
                && op.rect().intersect(&band) == band
                && op.map.as_ref().is_none_or(|m| m.covers(band))
        })
        .unwrap_or(usize::MAX);
    let ops = if first == usize::MAX {
        for row in rows.chunks_exact_mut(stride) {
            fill_row(&mut row[bx0..bx1], background);
        }
        ops
    } else {
        &ops[first..]
    };
    for op in ops {
        let r = op.rect().intersect(&band);
        if r.is_empty() {
            continue;
        }
        let start = times.map(|_| Instant::now());
        match &op.map {
            None => blit(rows, stride, band, r, op),
            Some(map) => resample(rows, stride, band, r, op, map),
        }
        if let (Some(times), Some(start)) = (times, start)
            && let Some(slot) = times.get(op.layer)
        {
            slot.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        }
    }
}

/// Blends the part `r` of a blit op into the band.
fn blit(rows: &mut [u8], stride: usize, band: IRect, r: IRect, op: &DrawOp) {
    let pm = &op.raster.pixmap;
    let src_stride = pm.width() as usize * 4;
    let src = pm.data();
    let (sx0, len) = ((r.x0 - op.x) as usize * 4, (r.x1 - r.x0) as usize * 4);
    for y in r.y0..r.y1 {
        let s = (y - op.y) as usize * src_stride + sx0;
        let d = (y - band.y0) as usize * stride + r.x0 as usize * 4;
        blend_row(
            &mut rows[d..d + len],
            &src[s..s + len],
            op.opacity,
            op.blend,
            op.raster.opaque,
        );
    }
}

/// Samples the part `r` of a mapped op row by row and composes it into the band: straight
/// into the canvas for a normal blend at full opacity, otherwise in chunks on the stack, each
/// blended into the band.
fn resample(rows: &mut [u8], stride: usize, band: IRect, r: IRect, op: &DrawOp, map: &AffineMap) {
    let mut buf = [0u8; CHUNK * 4];
    let pix = op.raster.pixmap.data();
    let direct = op.opacity == 255 && op.blend == BlendMode::Normal;
    for y in r.y0..r.y1 {
        let (x0, x1) = map.row_span(y, r.x0, r.x1);
        let row = (y - band.y0) as usize * stride;
        if direct {
            if x0 < x1 {
                let d = row + x0 as usize * 4;
                map.over_row(pix, y, x0, &mut rows[d..d + (x1 - x0) as usize * 4]);
            }
            continue;
        }
        let mut x = x0;
        while x < x1 {
            let n = ((x1 - x) as usize).min(CHUNK);
            let chunk = &mut buf[..n * 4];
            map.sample_row(pix, y, x, chunk);
            let d = row + x as usize * 4;
            blend_row(&mut rows[d..d + n * 4], chunk, op.opacity, op.blend, false);
            x += n as i32;
        }
    }
}
