#!/usr/bin/env node
'use strict';
// Times `scene.render(t)` from Node exactly as streamcomp-core's `embed_timing` example times
// `SceneSession::render_rgba` from Rust (10 warm-up frames, then N renders at t = i / fps), so
// the binding's overhead can be read off the two figures. Build the addon in release first:
//
//   npm run build   # in bindings/node
//   node bench/render-timing.js ../../benches/scenes/overlay.json 300
//   cargo run --release -p streamcomp-core --example embed_timing -- benches/scenes/overlay.json 300
//
// Also prints what copying such a frame would cost (Buffer.from), for comparison: render(t)
// has the core write straight into the Buffer, without a copy.

const { Scene } = require('..');

const [file, count = '300'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/render-timing.js SCENE.json [FRAMES]');
  process.exit(2);
}
const n = Number(count);
const scene = Scene.fromFile(file);
const fps = scene.fps;
for (let i = 0; i < 10; i += 1) scene.render(i / fps);
const times = new Float64Array(n);
let keep = 0;
for (let i = 0; i < n; i += 1) {
  const t0 = process.hrtime.bigint();
  const rgba = scene.render((i + 10) / fps);
  times[i] = Number(process.hrtime.bigint() - t0) / 1e6;
  keep ^= rgba[0];
}
const mean = times.reduce((a, b) => a + b, 0) / n;
const sorted = Array.from(times).sort((a, b) => a - b);
console.log(`${file}: ${scene.width}x${scene.height}, ${n} renders: mean ${mean.toFixed(3)} ms, median ${sorted[n >> 1].toFixed(3)} ms`);

const frame = scene.render(0);
const copies = [];
for (let i = 0; i < 50; i += 1) {
  const t0 = process.hrtime.bigint();
  keep ^= Buffer.from(frame)[0];
  copies.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
copies.sort((a, b) => a - b);
console.log(`for comparison, copying one ${frame.length}-byte frame (Buffer.from): median ${copies[25].toFixed(3)} ms; rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB (${keep & 0})`);
