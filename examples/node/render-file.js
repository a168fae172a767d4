#!/usr/bin/env node
'use strict';
// Renders a scene to a video file as fast as the machine allows, off the JavaScript thread,
// with a progress line; prints the summary at the end.
//
//   node examples/node/render-file.js [SCENE.json] [OUT.mp4] [SECONDS] [CODEC]
//
// Defaults: examples/scenes/lower-third.json, lower-third.mp4, 10 seconds, h264. The format
// comes from the extension (.mp4, .flv, .ivf, .h264, .y4m).

const path = require('node:path');
const { Scene, renderFile } = require('../../bindings/node');

async function main() {
  const [scenePath = path.join(__dirname, '..', 'scenes', 'lower-third.json'), out = 'lower-third.mp4', seconds = '10', codec = 'h264'] = process.argv.slice(2);
  const scene = Scene.fromFile(scenePath);
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  const summary = await renderFile(scene, out, {
    duration: Number(seconds),
    codec,
    onProgress: ({ frame, total, elapsed_seconds: elapsed }) => {
      const pct = ((100 * frame) / total).toFixed(0);
      const fps = elapsed > 0 ? (frame / elapsed).toFixed(0) : '-';
      const eta = frame > 0 ? ((elapsed * (total - frame)) / frame).toFixed(1) : '-';
      const line = `frame ${frame}/${total} (${pct}%), ${fps} fps, ETA ${eta} s`;
      if (tty) process.stderr.write(`\r${line}   `);
      else if (frame === total || Date.now() - lastLine > 1000) {
        lastLine = Date.now();
        process.stderr.write(`${line}\n`);
      }
    },
  });
  if (tty) process.stderr.write('\n');
  const speed = summary.duration / summary.elapsed_seconds;
  console.log(`wrote ${out}: ${summary.frames} frames, ${(summary.bytes / 1e6).toFixed(2)} MB, ` +
    `${summary.elapsed_seconds} s (${speed.toFixed(1)}x real time); ` +
    `compose ${summary.seconds.compose} s, convert ${summary.seconds.convert} s, encode ${summary.seconds.encode} s, mux ${summary.seconds.mux} s`);
}

main().catch((err) => {
  console.error(`error (${err.code ?? err.name}): ${err.message}`);
  process.exit(1);
});
