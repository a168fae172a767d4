// Rotation about a box's centre with sharp's affine(), placed with sub-pixel accuracy.
//
// libvips (measured on 8.18, the version package.json pins) maps input pixel indices (x, y) to
// (a x + b y + odx, c x + d y + ody); the output is as large as the bounding box of the
// corners (0,0), (w,0), (0,h), (w,h) mapped without odx/ody, its first pixel at that box's
// left/top rounded to nearest. So we know where the image centre lands in the output, and we
// choose odx/ody (under half a pixel) so that it lands exactly on the wanted canvas point at an
// integer offset: sharp's composite() only takes whole-pixel offsets.
import sharp from 'sharp';

const rint = (v) => Math.round(v); // vips' RINT; exact .5 ties do not occur here in practice

// Where the centre of a w x h input lands in the output of affine(m, {odx, ody}), in output
// pixel-edge coordinates (0 = left edge of the first output pixel).
function centreOut(m, w, h, odx, ody) {
  const xs = [0, w, 0, w].map((x, k) => m[0] * x + m[1] * [0, 0, h, h][k]);
  const ys = [0, w, 0, w].map((x, k) => m[2] * x + m[3] * [0, 0, h, h][k]);
  const cx = m[0] * (w / 2 - 0.5) + m[1] * (h / 2 - 0.5) + odx;
  const cy = m[2] * (w / 2 - 0.5) + m[3] * (h / 2 - 0.5) + ody;
  return [cx - rint(Math.min(...xs)) + 0.5, cy - rint(Math.min(...ys)) + 0.5];
}

/**
 * Rotates a raw image `deg` degrees clockwise about its centre with the bicubic (Catmull-Rom)
 * interpolator, for the centre to land on canvas point (tx, ty). Resolves to
 * { data, info, left, top }: raw pixels and the integer canvas offset of their top-left.
 */
export async function rotateAbout(data, info, deg, tx, ty, background) {
  const r = (deg * Math.PI) / 180;
  const m = [Math.cos(r), -Math.sin(r), Math.sin(r), Math.cos(r)];
  const { width: w, height: h } = info;
  // The offset that a plain rotation would need, and the fraction it misses by.
  const [c0x, c0y] = centreOut(m, w, h, 0, 0);
  const odx = tx - c0x - Math.round(tx - c0x);
  const ody = ty - c0y - Math.round(ty - c0y);
  const [cx, cy] = centreOut(m, w, h, odx, ody);
  const out = await sharp(data, { raw: { width: w, height: h, channels: info.channels } })
    .affine(m, { background, odx, ody, interpolator: sharp.interpolators.bicubic })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { ...out, left: Math.round(tx - cx), top: Math.round(ty - cy) };
}
