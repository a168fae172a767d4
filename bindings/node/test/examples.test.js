'use strict';
// The examples in examples/node/ run, as a user would run them, and write what they say.

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');
const { promisify } = require('node:util');

const { Nginx, ROOT, SCENES, assertDecodes, decodeRgba, probeStreams, sleep, tmpdir } = require('./helpers.js');

const EXAMPLES = path.join(ROOT, 'examples', 'node');
const run = (script, args, cwd) => promisify(execFile)(process.execPath, [path.join(EXAMPLES, script), ...args], { cwd, timeout: 60_000 });

test('render-frame.js saves a PNG of the frame it describes', async () => {
  const dir = tmpdir();
  const { stdout } = await run('render-frame.js', [path.join(SCENES, 'lower-third.json'), '1.5', 'frame.png'], dir);
  assert.match(stdout, /1280x720 at 30 fps/);
  assert.match(stdout, /render\(1\.5\): 3686400 bytes of RGBA; pixel \(30, 30\) = rgba\((\d+), (\d+), (\d+), (\d+)\)/);
  const [, r, g, b, a] = stdout.match(/rgba\((\d+), (\d+), (\d+), (\d+)\)/).map(Number);
  const png = decodeRgba(path.join(dir, 'frame.png'));
  const i = (30 * 1280 + 30) * 4;
  assert.deepEqual([png[i], png[i + 1], png[i + 2], png[i + 3]], [r, g, b, a]);
});

test('render-file.js writes the MP4 with progress', async () => {
  const dir = tmpdir();
  const { stdout, stderr } = await run('render-file.js', [path.join(SCENES, 'lower-third.json'), 'out.mp4', '2'], dir);
  assert.match(stderr, /frame 60\/60 \(100%\)/);
  assert.match(stdout, /wrote out\.mp4: 60 frames/);
  const video = probeStreams(path.join(dir, 'out.mp4')).find((s) => s.codec_type === 'video');
  assert.equal(video.codec_name, 'h264');
  assert.equal(Number(video.nb_read_frames), 60);
});

test('scoreboard.js streams to nginx-rtmp and a file at once, updating every second', async (t) => {
  const dir = tmpdir();
  const nginx = await Nginx.start(dir);
  t.after(() => nginx.kill());
  const { stdout } = await run('scoreboard.js', [nginx.url('score'), 'record.mp4', '--duration', '6'], dir);
  assert.match(stdout, /event: \{"state":"started"\}/);
  assert.match(stdout, /event: \{"state":"output_started","output":"rtmp:\/\/127\.0\.0\.1:\d+\/live\/\*+"\}/);
  assert.match(stdout, /status: live, \d+ frames encoded/);
  // Goals at 3 s (home) and 5 s (away).
  const [, home, away] = stdout.match(/stopped: \d+ frames encoded, \d+ dropped, score (\d+) – (\d+)/).map(Number);
  assert.ok(home >= 1 && away === 1, `score ${home} – ${away}`);
  const record = path.join(dir, 'record.mp4');
  const video = probeStreams(record).find((s) => s.codec_type === 'video');
  assert.equal(video.width, 1280);
  const n = Number(video.nb_read_frames);
  assert.ok(n >= 170 && n <= 181, `${n} frames for 6 s at 30 fps`);
  assertDecodes(record);
  await sleep(500);
  await nginx.kill();
  assert.ok(fs.statSync(nginx.recording('score')).size > 10_000);
  assertDecodes(nginx.recording('score'));
});
