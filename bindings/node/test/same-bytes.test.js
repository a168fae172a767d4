'use strict';
// The same bytes as the command line: `scene.render(t)` equals the raw straight RGBA that
// `streamcomp frame SCENE --at T --clock-start C -o out.rgba` writes (target/debug/streamcomp, built by
// scripts/test-node.sh; STREAMCOMP_CLI overrides the path).

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { Scene } = require('..');
const { ROOT, SCENES, tmpdir } = require('./helpers.js');

const CLI = process.env.STREAMCOMP_CLI || path.join(ROOT, 'target', 'debug', 'streamcomp');

// overlay.json shows a `{time}` clock: both sides pin the wall clock of scene time 0, or a
// second boundary between the two renders makes the clock's digits differ.
const CLOCK_START = '2026-01-01T20:15:30+01:00';

const cases = [
  [path.join(SCENES, 'lower-third.json'), 0.3],
  [path.join(SCENES, 'lower-third.json'), 1.5],
  [path.join(SCENES, 'scoreboard.json'), 2],
  [path.join(SCENES, 'logo-bug.json'), 0.75],
  [path.join(ROOT, 'benches', 'scenes', 'overlay.json'), 1.2],
];

test('scene.render(t) gives the bytes of `streamcomp frame --at t -o out.rgba`', () => {
  assert.ok(fs.existsSync(CLI), `${CLI} is missing: build it with \`cargo build -p streamcomp-cli\` (scripts/test-node.sh does)`);
  const dir = tmpdir();
  for (const [file, t] of cases) {
    const out = path.join(dir, `${path.basename(file, '.json')}-${t}.rgba`);
    execFileSync(CLI, ['frame', file, '--at', String(t), '--clock-start', CLOCK_START, '-o', out], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const cli = fs.readFileSync(out);
    const scene = Scene.fromFile(file);
    scene.clockStart = CLOCK_START;
    const rgba = scene.render(t);
    assert.equal(rgba.length, scene.width * scene.height * 4);
    assert.equal(cli.length, rgba.length, `${file} at ${t}: sizes`);
    if (!cli.equals(rgba)) {
      let first = 0;
      while (cli[first] === rgba[first]) first += 1;
      assert.fail(`${file} at ${t}: bytes differ from offset ${first} (pixel ${first >> 2})`);
    }
  }
});

test('clockStart pins the {time} clock: it reads back, moves the clock digits, refuses non-RFC 3339', () => {
  const file = path.join(ROOT, 'benches', 'scenes', 'overlay.json');
  const scene = Scene.fromFile(file);
  assert.equal(scene.clockStart, null);
  scene.clockStart = CLOCK_START;
  assert.equal(scene.clockStart, CLOCK_START);
  const a = scene.render(0.5);
  assert.ok(a.equals(scene.render(0.5)), 'the same time renders the same bytes');
  scene.clockStart = '2026-01-01T20:15:35+01:00';
  assert.ok(!a.equals(scene.render(0.5)), 'five seconds later the clock reads differently');
  assert.throws(() => {
    scene.clockStart = 'tonight';
  }, (e) => e.code === 'SceneError' && /^clock_start: must be an RFC 3339 time/.test(e.message));
});
