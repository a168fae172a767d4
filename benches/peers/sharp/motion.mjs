// Sharp (libvips) peer of benches/scenes/motion-720p.json: a photo panning and turning over a
// black 1280x720 canvas at 30 fps, a ball moving, a frame counter, so its time per frame can be
// put beside `streamcomp bench benches/scenes/motion-720p.json --threads 1 --no-encode
// --quality high` from the same run.
//
// Prepared once, outside the timed loop:
//   - assets/photo1.jpg (400x224) decoded and upscaled into its 1600x900 box (fit fill, Lanczos-3,
//     like our high quality resize), kept as raw RGB. (libvips's upscale puts the picture about
//     half a pixel right of and below where ours does; left as it is.)
// Every frame i (t = i / 30 s; frame 0 is rendered as warm-up and not counted, like our bench):
//   1. the 1600x900 photo is rotated by that frame's angle (-3..3 degrees over 2 s, back and
//      forth) with affine() and the bicubic (Catmull-Rom) interpolator, like our high quality
//      transforms, the uncovered corners filled with the black of the canvas -> raw RGB of the
//      whole rotated bounding box (up to 1645x983) (pipeline 1);
//   2. the 1280x720 canvas is cut from it (extract) where the box centre lands on (x + 800, 360),
//      x panning -320..0 over 3 s, back and forth (placed to the sub-pixel through affine's
//      odx/ody, rotate.mjs), and composited with the ball (a 160x160 #ffd166 SVG circle at
//      y 300, x 0..1100 over 1.5 s, back and forth, its sub-pixel part drawn inside the SVG) and
//      the text "motion {frame}" (56 px white DejaVu Sans, 2 px black outline, at (40, 620)),
//      both SVG rasterised every frame -> `.raw().toBuffer()`, a 1280x720 RGBA frame
//      (pipeline 2). When the rotated photo does not cover the whole canvas (never in
//      this scene) it is composited onto a black 1280x720 canvas instead.
// Options: --frames N (default 120), --png FILE (write the last frame as PNG too).
// sharp.concurrency(1): libvips uses one thread (like `--threads 1`); sharp.cache(false): no
// libvips operation cache, so every frame's work is done again.
import sharp from 'sharp';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { rotateAbout } from './rotate.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const assets = path.join(here, '..', '..', 'scenes', 'assets');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const frames = Number(opt('--frames', 120));
const pngOut = opt('--png', null);

sharp.concurrency(1);
sharp.cache(false);

const W = 1280, H = 720, FPS = 30;
const BOX_W = 1600, BOX_H = 900, BOX_Y = -90;
const raw = (info) => ({ raw: { width: info.width, height: info.height, channels: info.channels } });
// A linear animation from `a` to `b` over `d` seconds, repeated, back and forth.
const alternate = (a, b, d, t) => {
  const p = (t % (2 * d)) / d;
  return a + (b - a) * (p <= 1 ? p : 2 - p);
};

// ---- prepared once -------------------------------------------------------------------------
const photo = await sharp(path.join(assets, 'photo1.jpg'))
  .resize(BOX_W, BOX_H, { fit: 'fill', kernel: 'lanczos3' })
  .raw()
  .toBuffer({ resolveWithObject: true });

const BASE = 0.946; // baseline below the top of a 1.2 em DejaVu Sans line (see overlay.mjs)
const BALL = 160;
const ballSvg = (frac) =>
  Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${BALL + 1}" height="${BALL}">` +
      `<circle cx="${(BALL / 2 + frac).toFixed(3)}" cy="${BALL / 2}" r="${BALL / 2}" fill="#ffd166"/></svg>`,
  );
// The text's SVG starts 4 px left of and above its box (room for the outline).
const textSvg = (s) =>
  Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="520" height="76">` +
      `<text x="4" y="${(4 + BASE * 56).toFixed(2)}" font-family="DejaVu Sans" font-size="56" fill="#ffffff"` +
      ` stroke="#000000" stroke-width="4" stroke-linejoin="round" paint-order="stroke">${s}</text></svg>`,
  );

// ---- every frame ---------------------------------------------------------------------------
async function renderFrame(i) {
  const t = i / FPS;
  const x = alternate(-320, 0, 3, t);
  const deg = alternate(-3, 3, 2, t);
  const bx = alternate(0, 1100, 1.5, t);
  // The box centre is at (x + 800, -90 + 450) on the canvas.
  const rot = await rotateAbout(photo.data, photo.info, deg, x + BOX_W / 2, BOX_Y + BOX_H / 2, { r: 0, g: 0, b: 0 });
  const { left, top } = rot;
  const overlays = [
    { input: ballSvg(bx - Math.floor(bx)), left: Math.floor(bx), top: 300 },
    { input: textSvg(`motion ${i}`), left: 40 - 4, top: 620 - 4 },
  ];
  let base;
  if (left <= 0 && top <= 0 && left + rot.info.width >= W && top + rot.info.height >= H) {
    base = sharp(rot.data, raw(rot.info)).extract({ left: -left, top: -top, width: W, height: H });
  } else {
    // General case: the part of the rotated photo on the canvas, over black.
    const x0 = Math.max(0, left), y0 = Math.max(0, top);
    const x1 = Math.min(W, left + rot.info.width), y1 = Math.min(H, top + rot.info.height);
    const part = await sharp(rot.data, raw(rot.info))
      .extract({ left: x0 - left, top: y0 - top, width: x1 - x0, height: y1 - y0 })
      .raw()
      .toBuffer({ resolveWithObject: true });
    base = sharp({ create: { width: W, height: H, channels: 4, background: '#000000ff' } });
    overlays.unshift({ input: part.data, ...raw(part.info), left: x0, top: y0 });
  }
  return base.composite(overlays).raw().toBuffer({ resolveWithObject: true });
}

await renderFrame(0);
const t0 = process.hrtime.bigint();
let last;
for (let i = 1; i <= frames; i++) last = await renderFrame(i);
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
if (last.info.width !== W || last.info.height !== H || last.info.channels !== 4) {
  throw new Error(`unexpected output ${JSON.stringify(last.info)}`);
}
if (pngOut) await sharp(last.data, raw(last.info)).png().toFile(pngOut);
console.log(
  `sharp motion-720p: ${(ms / frames).toFixed(2)} ms a frame (${frames} frames, one thread, sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips})`,
);
