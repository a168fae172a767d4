'use strict';
// Video layers from Node: a clip made here by ffmpeg plays in a live stream, and media actions
// (seek, pause, resume, next, queue) move it; each layer reports where it stands.

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { Scene, Stream } = require('..');
const { sleep, tmpdir } = require('./helpers.js');

function clip(file, seconds) {
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=30',
    '-f', 'lavfi', '-i', `sine=f=440:d=${seconds}`, '-t', String(seconds), '-c:v', 'libx264',
    '-bf', '3', '-pix_fmt', 'yuv420p', '-c:a', 'aac', file]);
}

test('media actions on a live video layer', async () => {
  const dir = tmpdir();
  clip(path.join(dir, 'a.mp4'), 4);
  clip(path.join(dir, 'b.mp4'), 2);
  const file = path.join(dir, 'scene.json');
  fs.writeFileSync(file, JSON.stringify({
    width: 320, height: 180, fps: 30,
    layers: [{ id: 'v', type: 'video', src: 'a.mp4', loop: true }],
  }));
  const stream = await Stream.start(Scene.fromFile(file));
  try {
    assert.equal(stream.layers()[0].media.state, 'playing');
    const sought = stream.media('v', { action: 'seek', t: 2.5 });
    assert.ok(Math.abs(sought.media.position - 2.5) < 0.1, JSON.stringify(sought.media));
    const paused = stream.media('v', { action: 'pause' });
    assert.equal(paused.media.state, 'paused');
    await sleep(300);
    assert.equal(stream.layers()[0].media.position, paused.media.position);
    assert.equal(stream.media('v', { action: 'resume' }).media.state, 'playing');
    const queued = stream.media('v', { action: 'queue', item: { src: 'b.mp4' } });
    assert.deepEqual(queued.playlist.map((i) => i.src), ['a.mp4', 'b.mp4']);
    assert.equal(stream.media('v', { action: 'next' }).media.item, 1);
    assert.throws(() => stream.media('v', { action: 'jump' }), /action/);
  } finally {
    await stream.stop();
  }
});
