'use strict';
// Stream: a short live stream to a real nginx-rtmp (started here on a free loopback port),
// live changes, status, events through the EventEmitter and `onEvent`, the recording decoded.

const assert = require('node:assert/strict');
const path = require('node:path');
const { test } = require('node:test');

const { Scene, Stream } = require('..');
const { Nginx, assertDecodes, decodeRgba, probeStreams, sleep, tmpdir } = require('./helpers.js');

const coded = (code, re) => (err) => {
  assert.ok(err instanceof Error);
  assert.equal(err.code, code, err.message);
  assert.match(err.message, re);
  return true;
};

test('a live stream to nginx-rtmp: events, live changes, status, stop; the recording decodes', async (t) => {
  const dir = tmpdir();
  const nginx = await Nginx.start(dir);
  t.after(() => nginx.kill());

  const scene = new Scene(320, 180, { fps: 30, background: '#000000' });
  scene.addLayer({ id: 'box', type: 'rect', x: 0, y: 0, width: 320, height: 180, color: '#ff0000' });
  const viaOption = [];
  const stream = await Stream.start(scene, {
    urls: [nginx.url('node')],
    bitrate: 800,
    keyframeInterval: 1,
    onEvent: (ev) => viaOption.push(ev),
  });
  const viaEmitter = [];
  stream.on('event', (ev) => viaEmitter.push(ev));

  // Wait for the output to connect.
  const deadline = Date.now() + 10_000;
  while (!viaEmitter.some((e) => e.state === 'output_started')) {
    assert.ok(Date.now() < deadline, `no output_started event: ${JSON.stringify(viaEmitter)}`);
    await sleep(20);
  }
  assert.equal(viaEmitter[0].state, 'started');
  const started = viaEmitter.find((e) => e.state === 'output_started');
  assert.ok(!started.output.includes('/node'), `the stream key is hidden: ${started.output}`);

  await sleep(1000);
  const live = stream.status();
  assert.equal(live.state, 'live');
  assert.equal(live.resolution, '320x180');
  assert.equal(live.codec, 'h264');
  assert.equal(live.outputs.length, 1);
  assert.ok(live.frames.encoded > 10, JSON.stringify(live.frames));
  assert.equal(stream.stopped, false);

  // Live changes: the layer turns blue, a text layer comes and goes.
  const changed = stream.updateLayer('box', { color: '#0000ff' });
  assert.equal(changed.color, '#0000ff');
  assert.deepEqual(changed.bounds, { x: 0, y: 0, width: 320, height: 180 });
  const label = stream.addLayer({ type: 'text', text: 'LIVE', x: 10, y: 10, font_size: 24 });
  assert.match(label.id, /^text-\d+$/);
  assert.ok(label.bounds.width > 20);
  assert.deepEqual(stream.layers().map((l) => l.id), ['box', label.id]);
  stream.updateLayer('box', { x: 0 }, { transition: { duration: 0.2, easing: 'ease-out' } });
  stream.removeLayer(label.id, { fade: 0.2 });
  assert.throws(() => stream.updateLayer('box', { opacity: 7 }), coded('SceneError', /^opacity: must be between 0 and 1, got 7/));
  assert.throws(() => stream.removeLayer('nope'), coded('SceneError', /nope/));
  assert.throws(() => stream.removeLayer('box', { fade: 4000 }), coded('SceneError', /^fade: /));
  // The stream has its own copy of the scene.
  assert.deepEqual(scene.layers().map((l) => l.id), ['box']);
  await sleep(1200);

  const final = await stream.stop();
  assert.equal(final.state, 'stopped');
  assert.ok(final.frames.encoded >= 45, JSON.stringify(final.frames));
  assert.equal(stream.stopped, true);
  // Every event has been emitted by the time stop() resolves, the last being "stopped".
  assert.equal(viaEmitter[viaEmitter.length - 1].state, 'stopped');
  assert.equal(viaEmitter[viaEmitter.length - 1].error, null);
  assert.deepEqual(viaOption, viaEmitter);
  // stop() again gives the final status again; changes are refused now.
  assert.equal((await stream.stop()).state, 'stopped');
  assert.throws(() => stream.addLayer({ type: 'rect', width: 2, height: 2 }), coded('StreamError', /stopped/));

  // nginx closes the recording on unpublish.
  await sleep(500);
  await nginx.kill();
  const rec = nginx.recording('node');
  const streams = probeStreams(rec);
  const video = streams.find((s) => s.codec_type === 'video');
  assert.equal(video.codec_name, 'h264');
  assert.equal(video.width, 320);
  assert.equal(video.height, 180);
  assert.ok(Number(video.nb_read_frames) >= 45, `${video.nb_read_frames} frames recorded`);
  assert.equal(streams.find((s) => s.codec_type === 'audio').codec_name, 'aac');
  assertDecodes(rec);
  // The first frames are red, the last blue.
  const frames = decodeRgba(rec);
  const size = 320 * 180 * 4;
  const first = frames.subarray(0, size);
  const last = frames.subarray(frames.length - size);
  const mid = (f) => Array.from(f.subarray((90 * 320 + 300) * 4, (90 * 320 + 300) * 4 + 3));
  assert.ok(mid(first)[0] > 200 && mid(first)[2] < 60, `first frame ${mid(first)}`);
  assert.ok(mid(last)[2] > 200 && mid(last)[0] < 60, `last frame ${mid(last)}`);
});

test('a stream with a duration ends by itself; wait() gives the final status; a file output', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'live.mp4');
  const scene = new Scene(160, 90, { fps: 25 });
  const events = [];
  const stream = await Stream.start(scene, { urls: [file], duration: 1, audio: false, onEvent: (e) => events.push(e.state) });
  const status = await stream.wait();
  assert.equal(status.state, 'stopped');
  assert.equal(stream.stopped, true);
  assert.deepEqual(events[0], 'started');
  assert.equal(events[events.length - 1], 'stopped');
  const streams = probeStreams(file);
  assert.equal(streams.length, 1);
  assert.equal(streams[0].width, 160);
  const n = Number(streams[0].nb_read_frames);
  assert.ok(n >= 20 && n <= 26, `${n} frames for one second at 25 fps`);
});

test('Stream.start errors: SceneError for options, StreamError for outputs', async () => {
  const scene = new Scene(64, 36);
  await assert.rejects(Stream.start(scene, { urls: ['rtmp://'] }), coded('SceneError', /^options\.urls\[0\]: .*no host/));
  await assert.rejects(Stream.start(scene, { urls: ['ftp://example/x'] }), coded('SceneError', /^options\.urls\[0\]: `ftp`: outputs are rtmp:\/\/, rtmps:\/\/, srt:\/\/ or udp:\/\/ URLs, or paths$/));
  await assert.rejects(Stream.start(scene, { urls: ['out.txt'] }), (err) => {
    assert.ok(['SceneError', 'StreamError'].includes(err.code), err.code);
    assert.match(err.message, /cannot tell the format of out\.txt/);
    return true;
  });
  await assert.rejects(Stream.start(scene, { urls: 'rtmp://h/a/k' }), coded('SceneError', /^options\.urls: must be a list/));
  await assert.rejects(Stream.start(scene, { codec: 'mpeg2' }), coded('SceneError', /^options\.codec: /));
  await assert.rejects(Stream.start(scene, { onEvent: 'no' }), coded('SceneError', /^options\.onEvent: must be a function/));
  await assert.rejects(Stream.start(scene, { urls: ['/no/such/dir/out.mp4'] }), (err) => {
    assert.ok(['SceneError', 'StreamError'].includes(err.code), err.code);
    assert.match(err.message, /\/no\/such\/dir/);
    return true;
  });
  await assert.rejects(Stream.start(scene, { urls: ['out.h264'], codec: 'av1' }), coded('StreamError', /av1/));
  assert.throws(() => new Stream(), /Stream\.start/);
});

test('a live input published by ffmpeg to the stream listener: inputs() and input events', async (t) => {
  const { execFileSync, spawn } = require('node:child_process');
  const net = require('node:net');
  const dir = tmpdir();
  const clip = path.join(dir, 'cam.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=30',
    '-f', 'lavfi', '-i', 'sine=r=48000', '-t', '8', '-c:v', 'libx264', '-g', '30',
    '-pix_fmt', 'yuv420p', '-c:a', 'aac', clip]);
  const port = await new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const p = srv.address().port; srv.close(() => resolve(p)); });
  });
  const scene = Scene.fromJson(JSON.stringify({
    width: 320, height: 180, fps: 30,
    inputs: { cam1: { type: 'rtmp', key: 'node-secret' } },
    layers: [{ id: 'cam', type: 'input', input: 'cam1', width: 320, height: 180 }],
  }));
  const events = [];
  const stream = await Stream.start(scene, { ingest: `127.0.0.1:${port}`, duration: 6 });
  stream.on('event', (ev) => events.push(ev));
  t.after(() => stream.stop());
  assert.equal(stream.inputs()[0].state, 'waiting');
  const ff = spawn('ffmpeg', ['-v', 'error', '-re', '-i', clip, '-c', 'copy', '-f', 'flv',
    `rtmp://127.0.0.1:${port}/live/node-secret`], { stdio: 'ignore' });
  t.after(() => ff.kill());
  const deadline = Date.now() + 10_000;
  while (stream.inputs()[0].frames < 30) {
    assert.ok(Date.now() < deadline, JSON.stringify(stream.inputs()));
    await sleep(50);
  }
  const st = stream.inputs()[0];
  assert.equal(st.state, 'live');
  assert.equal(st.codec, 'h264');
  assert.ok(!JSON.stringify(st).includes('node-secret'));
  await sleep(200);
  assert.ok(events.some((e) => e.state === 'input' && e.input === 'cam1' && e.input_state === 'live'),
    JSON.stringify(events));
  const added = stream.setInput('cam2', { type: 'rtmp', key: 'other-key' });
  assert.equal(added.state, 'waiting');
  assert.throws(() => stream.removeInput('cam1'), /shown by layer/);
  stream.removeInput('cam2');
  assert.deepEqual(stream.inputs().map((i) => i.name), ['cam1']);
});

test('one stream to HLS and a recording in parts: kinds in the status, file_done events', async () => {
  const dir = tmpdir();
  const playlist = path.join(dir, 'hls', 'index.m3u8');
  const parts = path.join(dir, 'rec', 'part-%H%M%S.mp4');
  const events = [];
  const stream = await Stream.start(new Scene(160, 90, { fps: 25 }), {
    urls: [`${playlist}?list_size=4`, `${parts}?segment=2`],
    duration: 5, keyframeInterval: 1, bitrate: 300,
    onEvent: (e) => events.push(e),
  });
  const status = await stream.wait();
  assert.deepEqual(status.outputs.map((o) => o.kind).sort(), ['hls', 'recording']);
  const text = require('node:fs').readFileSync(playlist, 'utf8');
  assert.ok(text.startsWith('#EXTM3U') && text.endsWith('#EXT-X-ENDLIST\n'), text);
  const done = events.filter((e) => e.state === 'file_done').map((e) => e.path);
  assert.ok(done.length >= 2, JSON.stringify(events));
  for (const f of done) assertDecodes(f);
  assertDecodes(playlist);
});
