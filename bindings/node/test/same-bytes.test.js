'use strict';
// The same bytes as the command line: `scene.render(t)` equals the raw straight RGBA that
// `streamcomp frame SCENE --at T -o out.rgba` writes (target/debug/streamcomp, built by
// scripts/test-node.sh; STREAMCOMP_CLI overrides the path).

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { Scene } = require('..');
const { ROOT, SCENES, tmpdir } = require('./helpers.js');

const CLI = process.env.STREAMCOMP_CLI || path.join(ROOT, 'target', 'debug', 'streamcomp');

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
    execFileSync(CLI, ['frame', file, '--at', String(t), '-o', out], { stdio: ['ignore', 'ignore', 'inherit'] });
    const cli = fs.readFileSync(out);
    const scene = Scene.fromFile(file);
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
