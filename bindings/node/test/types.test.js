'use strict';
// The TypeScript definitions: test/types/check.ts (every call of the API, and wrong uses that
// must be refused) compiles with the package's index.d.ts under `tsc --strict`; and what the
// module exports at run time is what index.d.ts declares.

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { test } = require('node:test');

const streamcomp = require('..');

test('index.d.ts type-checks the whole API (tsc --strict)', () => {
  const tsc = path.join(__dirname, '..', 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'types', 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc:\n${r.stdout}${r.stderr}`);
});

test('the module exports what index.d.ts declares', () => {
  assert.deepEqual(Object.keys(streamcomp).sort(), ['Scene', 'Stream', 'coreVersion', 'renderFile']);
  assert.equal(typeof streamcomp.renderFile, 'function');
  assert.match(streamcomp.coreVersion(), /^\d+\.\d+\.\d+/);
  for (const m of ['addLayer', 'updateLayer', 'removeLayer', 'layers', 'toJson', 'render', 'savePng']) {
    assert.equal(typeof streamcomp.Scene.prototype[m], 'function', `Scene.${m}`);
  }
  for (const m of ['fromFile', 'fromJson']) assert.equal(typeof streamcomp.Scene[m], 'function', `Scene.${m}`);
  for (const m of ['addLayer', 'updateLayer', 'removeLayer', 'layers', 'status', 'wait', 'stop', 'on', 'once', 'off']) {
    assert.equal(typeof streamcomp.Stream.prototype[m], 'function', `Stream.${m}`);
  }
  assert.equal(typeof streamcomp.Stream.start, 'function');
});
