'use strict';
// renderFile: real files decoded by ffprobe/ffmpeg, progress, errors, and the JS event loop
// staying responsive while a multi-second render runs on the thread pool.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { Scene, renderFile } = require('..');
const { ROOT, SCENES, assertDecodes, decodeRgba, probeStreams, tmpdir } = require('./helpers.js');

test('renderFile writes an H.264 + AAC MP4 of the right size and frame count, with progress', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'lower-third.mp4');
  const scene = Scene.fromFile(path.join(SCENES, 'lower-third.json'));
  const progress = [];
  const summary = await renderFile(scene, file, {
    duration: 2,
    codec: 'h264',
    width: 640,
    height: 360,
    onProgress: (p) => progress.push(p),
  });
  // Every progress call has run before the promise resolved, the last one complete.
  assert.ok(progress.length >= 1);
  const last = progress[progress.length - 1];
  assert.equal(last.total, 60);
  assert.equal(last.frame, 60);
  for (let i = 1; i < progress.length; i += 1) assert.ok(progress[i].frame > progress[i - 1].frame);
  assert.equal(typeof last.elapsed_seconds, 'number');

  assert.equal(summary.frames, 60);
  assert.equal(summary.bytes, fs.statSync(file).size);
  assert.equal(summary.audio, true);
  assert.ok(summary.elapsed_seconds > 0);
  assert.ok(summary.seconds.encode > 0);

  const streams = probeStreams(file);
  const video = streams.find((s) => s.codec_type === 'video');
  const audio = streams.find((s) => s.codec_type === 'audio');
  assert.equal(video.codec_name, 'h264');
  assert.equal(video.width, 640);
  assert.equal(video.height, 360);
  assert.equal(Number(video.nb_read_frames), 60);
  assert.equal(audio.codec_name, 'aac');
  assert.equal(Number(audio.sample_rate), 48000);
  assert.equal(audio.channels, 2);
  assertDecodes(file);
});

test('renderFile: AV1 in IVF without audio, camelCase and snake_case options', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'clip.ivf');
  const scene = new Scene(320, 180, { fps: 10, background: '#2040c0' });
  scene.addLayer({ type: 'rect', x: 0, y: 0, width: 160, height: 180, color: '#ffffff' });
  const summary = await renderFile(scene, file, { duration: 1, codec: 'av1', audio: false, keyframeInterval: 1 });
  assert.equal(summary.frames, 10);
  assert.equal(summary.audio, false);
  const streams = probeStreams(file);
  assert.equal(streams.length, 1);
  assert.equal(streams[0].codec_name, 'av1');
  assert.equal(streams[0].width, 320);
  assert.equal(Number(streams[0].nb_read_frames), 10);
  // The picture: white left half, blue right half (within coding error).
  const rgba = decodeRgba(file, ['-frames:v', '1']);
  const at = (x, y) => Array.from(rgba.subarray((y * 320 + x) * 4, (y * 320 + x) * 4 + 3));
  for (const c of at(40, 90)) assert.ok(c > 235, `white ${at(40, 90)}`);
  const [r, g, b] = at(280, 90);
  assert.ok(Math.abs(r - 0x20) < 16 && Math.abs(g - 0x40) < 16 && Math.abs(b - 0xc0) < 16, `blue ${[r, g, b]}`);
});

test('renderFile renders the scene as it was when called (a snapshot)', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'snap.y4m');
  const scene = new Scene(32, 16, { fps: 5, background: '#ff0000' });
  const p = renderFile(scene, file, { duration: 1, audio: false });
  scene.addLayer({ type: 'rect', width: 32, height: 16, color: '#00ff00' });
  const summary = await p;
  assert.equal(summary.frames, 5);
  const rgba = decodeRgba(file, ['-frames:v', '1']);
  const [r, g] = rgba;
  assert.ok(r > 200 && g < 60, `first pixel ${[r, g]}: red, without the later green layer`);
});

test('renderFile errors: SceneError naming options.<key>, StreamError for outputs', async () => {
  const dir = tmpdir();
  const scene = new Scene(64, 36);
  const coded = (code, re) => (err) => {
    assert.ok(err instanceof Error);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, re);
    return true;
  };
  await assert.rejects(renderFile(scene, path.join(dir, 'a.mp4'), { duration: 1, codec: 'mpeg2' }), coded('SceneError', /^options\.codec: /));
  await assert.rejects(renderFile(scene, path.join(dir, 'a.mp4'), { codec: 'h264' }), coded('SceneError', /^options\.duration: /));
  await assert.rejects(renderFile(scene, path.join(dir, 'a.mp4'), { duration: 1, bitrate: 'fast' }), coded('SceneError', /^options\.bitrate: must be a number, got "fast"/));
  await assert.rejects(renderFile(scene, path.join(dir, 'a.mp4'), { duration: 1, speed: 2 }), coded('SceneError', /^options\.speed/));
  await assert.rejects(renderFile(scene, path.join(dir, 'a.mp4'), { duration: 1, audioCodec: 'aac', audio_codec: 'opus' }), coded('SceneError', /^options\.audioCodec: given twice/));
  await assert.rejects(renderFile(scene, path.join(dir, 'a.mp4'), { duration: 1, onProgress: 3 }), coded('SceneError', /^options\.onProgress: must be a function/));
  await assert.rejects(renderFile(scene, path.join(dir, 'a.h264'), { duration: 1, codec: 'av1' }), coded('StreamError', /av1/));
  await assert.rejects(renderFile(scene, path.join(dir, 'no-dir', 'a.mp4'), { duration: 1 }), (err) => {
    assert.ok(['SceneError', 'StreamError'].includes(err.code), err.code);
    assert.match(err.message, /no-dir/);
    return true;
  });
  // A failing render still ends its progress calls before rejecting.
  let calls = 0;
  await assert.rejects(renderFile(scene, path.join(dir, 'a.h264'), { duration: 1, codec: 'av1', onProgress: () => { calls += 1; } }), coded('StreamError', /av1/));
  assert.equal(calls, 0);
  assert.ok(!fs.existsSync(path.join(dir, 'a.mp4')));
});

test('the event loop stays responsive while renderFile runs', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'busy.mp4');
  // 1080p: H.264 encoding of 720 frames takes a few seconds on two cores (240 frames took under
  // one once the compositor got fast).
  const scene = Scene.fromFile(path.join(ROOT, 'benches', 'scenes', 'overlay.json'));
  const every = 20;
  const ticks = [];
  const timer = setInterval(() => ticks.push(performance.now()), every);
  const t0 = performance.now();
  const summary = await renderFile(scene, file, { duration: 24 });
  const elapsed = performance.now() - t0;
  clearInterval(timer);
  assert.equal(summary.frames, 720);
  assert.ok(elapsed > 1000, `the render took only ${elapsed.toFixed(0)} ms: too short to tell`);
  let maxGap = ticks[0] - t0;
  for (let i = 1; i < ticks.length; i += 1) maxGap = Math.max(maxGap, ticks[i] - ticks[i - 1]);
  const expected = elapsed / every;
  console.log(`renderFile ${elapsed.toFixed(0)} ms: ${ticks.length} timer ticks of ${expected.toFixed(0)} expected, max gap ${maxGap.toFixed(1)} ms`);
  assert.ok(ticks.length >= expected * 0.7, `${ticks.length} ticks, expected about ${expected.toFixed(0)}`);
  assert.ok(maxGap < 250, `the JS thread was blocked for ${maxGap.toFixed(0)} ms`);
});
