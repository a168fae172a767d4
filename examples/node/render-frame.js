#!/usr/bin/env node
'use strict';
// Renders one frame of a scene with a layer added from JavaScript, reads a pixel from the
// RGBA buffer and saves the frame as a PNG.
//
//   node examples/node/render-frame.js [SCENE.json] [SECONDS] [OUT.png]
//
// Defaults: examples/scenes/lower-third.json at 1.5 s into frame.png. Build the addon first:
// `npm ci && npm run build` in bindings/node (or scripts/test-node.sh).

const path = require('node:path');
const { Scene } = require('../../bindings/node');

async function main() {
  const [scenePath = path.join(__dirname, '..', 'scenes', 'lower-third.json'), at = '1.5', out = 'frame.png'] = process.argv.slice(2);
  const t = Number(at);
  const scene = Scene.fromFile(scenePath);
  const badge = scene.addLayer({
    type: 'text', text: 'rendered from Node.js', x: 24, y: 24, font_size: 28, color: '#ffffff',
    background: { color: '#e63946', padding: 8, radius: 6 },
  });
  console.log(`${scenePath}: ${scene.width}x${scene.height} at ${scene.fps} fps, layers: ${scene.layers().map((l) => l.id).join(', ')} (added ${badge.id})`);

  const rgba = scene.render(t);
  const i = (30 * scene.width + 30) * 4;
  console.log(`render(${t}): ${rgba.length} bytes of RGBA; pixel (30, 30) = rgba(${rgba[i]}, ${rgba[i + 1]}, ${rgba[i + 2]}, ${rgba[i + 3]})`);

  await scene.savePng(out, t);
  console.log(`wrote ${out}`);
}

main().catch((err) => {
  console.error(`error (${err.code ?? err.name}): ${err.message}`);
  process.exit(1);
});
