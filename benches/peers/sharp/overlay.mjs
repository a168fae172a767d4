// Sharp (libvips) peer of benches/scenes/overlay.json: a 1920x1080 broadcast overlay of ten
// layers at 30 fps, so its time per frame can be put beside
// `streamcomp bench benches/scenes/overlay.json --threads 1 --no-encode` from the same run.
//
// Prepared once, outside the timed loop:
//   - background.jpg decoded to raw RGB (1920x1080, its natural size, so no resize);
//   - photo1..4.jpg decoded (400x224, their natural size = the layer boxes) with an alpha band
//     of 0.8 added (ensureAlpha(0.8): the layers' opacity), kept as raw RGBA;
//   - logo.png decoded to raw RGBA (200x200, its natural size);
//   - the SVG source text of the bar + title + subtitle (one 1920x140 SVG: the rounded #000000b0
//     bar, "Live from the studio" 56 px white with a 2 px black outline, the 30 px #d0d0d0
//     subtitle), as a string.
// Every frame i (t = i / 30 s; frame 0 is rendered as warm-up and not counted, like our bench):
//   1. the logo is rotated by 360 * (t mod 6) / 6 degrees about its centre with affine() and the
//      bicubic (Catmull-Rom) interpolator (like our default high quality), transparent
//      background, its centre placed on (1780, 900) to the sub-pixel (rotate.mjs) -> raw RGBA
//      (pipeline 1);
//   2. one composite pipeline on the background: the four photos at their offsets, the bar/text
//      SVG (rasterised by librsvg every frame), the rotated logo, and the clock: an SVG of the
//      {time:%H:%M:%S} text (scene start wall time + t) on its rounded #00000080 box, padding 8,
//      radius 6 (rasterised every frame) -> `.raw().toBuffer()`, a 1920x1080 RGBA frame
//      (pipeline 2).
// Options: --frames N (default 120), --png FILE (write the last frame as PNG too),
//          --cache-text (rasterise the static SVG once and the clock once per distinct text,
//          as raw RGBA, instead of every frame: closer to how streamcomp caches text rasters).
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
const cacheText = args.includes('--cache-text');

sharp.concurrency(1);
sharp.cache(false);

const W = 1920, H = 1080, FPS = 30;
const raw = (info) => ({ raw: { width: info.width, height: info.height, channels: info.channels } });

// ---- prepared once -------------------------------------------------------------------------
async function decode(file, pipeline = (s) => s) {
  const { data, info } = await pipeline(sharp(path.join(assets, file)))
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, info };
}
const bg = await decode('background.jpg', (s) => s.resize(W, H, { fit: 'fill' }));
const photos = [];
for (const [i, x] of [60, 500, 940, 1380].entries()) {
  const p = await decode(`photo${i + 1}.jpg`, (s) => s.resize(400, 224, { fit: 'fill' }).ensureAlpha(0.8));
  photos.push({ input: p.data, ...raw(p.info), left: x, top: 80 });
}
const logo = await decode('logo.png', (s) => s.resize(200, 200, { fit: 'fill' }).ensureAlpha());

// Text boxes follow streamcomp's layout: the box top is the top of a 1.2 em line, and DejaVu
// Sans (ascent 0.928 em, descent 0.236 em) puts the baseline 0.946 em below it.
const BASE = 0.946;
const text = (x, top, size, fill, s, outline) =>
  `<text x="${x}" y="${(top + BASE * size).toFixed(2)}" font-family="DejaVu Sans" font-size="${size}" fill="${fill}"` +
  (outline ? ` stroke="${outline.color}" stroke-width="${2 * outline.width}" stroke-linejoin="round" paint-order="stroke"` : '') +
  `>${s}</text>`;
// Bar, title and subtitle: one SVG covering y 880..1020 (all three lie inside it).
const barSvg = Buffer.from(
  `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="140">` +
    `<rect x="0" y="0" width="${W}" height="140" rx="12" ry="12" fill="#000000" fill-opacity="${(0xb0 / 255).toFixed(4)}"/>` +
    text(60, 895 - 880, 56, '#ffffff', 'Live from the studio', { width: 2, color: '#000000' }) +
    text(60, 965 - 880, 30, '#d0d0d0', 'streamcomp broadcast overlay benchmark') +
    `</svg>`,
);
// The clock: 40 px text at (1500, 40), its box as wide as the text (DejaVu Sans digits are
// 0.636 em, the colon 0.337 em) and 48 px tall, the background 8 px beyond it on every side.
const CLOCK_W = 40 * (6 * 0.6362 + 2 * 0.3369);
const clockSvg = (s) =>
  Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(CLOCK_W + 16)}" height="64">` +
      `<rect x="0" y="0" width="${(CLOCK_W + 16).toFixed(2)}" height="64" rx="6" ry="6" fill="#000000" fill-opacity="${(0x80 / 255).toFixed(4)}"/>` +
      text(8, 8, 40, '#ffffff', s) +
      `</svg>`,
  );
const start = Date.now();
const pad = (n) => String(n).padStart(2, '0');
const clockText = (t) => {
  const d = new Date(start + t * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};

// With --cache-text: the SVGs rasterised to raw RGBA once (the clock once per distinct text).
const rasterCache = new Map();
async function svgLayer(key, svg, left, top) {
  if (!cacheText) return { input: svg, left, top };
  let r = rasterCache.get(key);
  if (!r) {
    const { data, info } = await sharp(svg).raw().toBuffer({ resolveWithObject: true });
    r = { input: data, ...raw(info) };
    rasterCache.set(key, r);
  }
  return { ...r, left, top };
}

// ---- every frame ---------------------------------------------------------------------------
async function renderFrame(i) {
  const t = i / FPS;
  const deg = (360 * ((t % 6) / 6)) % 360;
  const logoRot = await rotateAbout(logo.data, logo.info, deg, 1780, 900, { r: 0, g: 0, b: 0, alpha: 0 });
  const layers = [
    ...photos,
    await svgLayer('bar', barSvg, 0, 880),
    { input: logoRot.data, ...raw(logoRot.info), left: logoRot.left, top: logoRot.top },
  ];
  const clock = clockText(t);
  layers.push(await svgLayer(clock, clockSvg(clock), 1492, 32));
  return sharp(bg.data, raw(bg.info)).composite(layers).raw().toBuffer({ resolveWithObject: true });
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
  `sharp overlay: ${(ms / frames).toFixed(2)} ms a frame (${frames} frames, one thread, sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}${cacheText ? ', text rasters cached' : ''})`,
);
