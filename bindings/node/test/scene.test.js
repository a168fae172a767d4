'use strict';
// Scene: construction, layers, getters, JSON, frames (pixel colours), PNG files and errors.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const streamcomp = require('..');
const { Scene } = streamcomp;
const { SCENES, decodeRgba, tmpdir } = require('./helpers.js');

/** The RGBA pixel at (x, y) of a frame `width` wide. */
function px(buf, width, x, y) {
  const i = (y * width + x) * 4;
  return [buf[i], buf[i + 1], buf[i + 2], buf[i + 3]];
}

/** Asserts `fn` throws an Error with `code` and a message matching `message`. */
function throwsCoded(fn, code, message) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof Error, `not an Error: ${err}`);
    assert.equal(err.code, code, `code of: ${err.message}`);
    assert.match(err.message, message);
    return true;
  });
}

test('new Scene(width, height, { fps }) has its size, rate and no layers', () => {
  const s = new Scene(64, 36, { fps: 25 });
  assert.equal(s.width, 64);
  assert.equal(s.height, 36);
  assert.equal(s.fps, 25);
  assert.deepEqual(s.layers(), []);
  const d = new Scene(32, 16);
  assert.equal(d.fps, 30);
});

test('a blank scene renders its background, straight RGBA', () => {
  const s = new Scene(32, 16, { background: '#10203080' });
  const rgba = s.render(0);
  assert.ok(Buffer.isBuffer(rgba));
  assert.equal(rgba.length, 32 * 16 * 4);
  // Straight alpha: the colour is not multiplied by the alpha.
  assert.deepEqual(px(rgba, 32, 0, 0), [0x10, 0x20, 0x30, 0x80]);
  assert.deepEqual(px(rgba, 32, 31, 15), [0x10, 0x20, 0x30, 0x80]);
});

test('addLayer returns the stored layer with a generated id; render shows it', () => {
  const s = new Scene(64, 32);
  const a = s.addLayer({ type: 'rect', x: 0, y: 0, width: 32, height: 32, color: '#ff0000' });
  assert.equal(typeof a.id, 'string');
  assert.match(a.id, /^rect-\d+$/);
  assert.equal(a.type, 'rect');
  assert.equal(a.width, 32);
  const b = s.addLayer({ id: 'right', type: 'rect', x: 32, y: 0, width: 32, height: 32, color: '#0000ff', opacity: 0.5 });
  assert.equal(b.id, 'right');
  assert.equal(b.opacity, 0.5);
  const rgba = s.render(0);
  assert.deepEqual(px(rgba, 64, 10, 10), [255, 0, 0, 255]);
  // Half-transparent blue over the opaque black background.
  const [r, g, bl, al] = px(rgba, 64, 50, 10);
  assert.deepEqual([r, g, al], [0, 0, 255]);
  assert.ok(Math.abs(bl - 128) <= 1, `blue ${bl}`);
  assert.deepEqual(s.layers().map((l) => l.id), [a.id, 'right']);
});

test('text layers keep scene-format field names (font_size)', () => {
  const s = new Scene(200, 60);
  const t = s.addLayer({ type: 'text', id: 't', text: 'Hello', x: 4, y: 4, font_size: 40, color: '#ffffff' });
  assert.equal(t.font_size, 40);
  const rgba = s.render(0);
  let lit = 0;
  for (let i = 0; i < rgba.length; i += 4) if (rgba[i] > 200) lit += 1;
  assert.ok(lit > 100, `only ${lit} bright pixels of text`);
  assert.equal(JSON.parse(s.toJson()).layers[0].font_size, 40);
});

test('updateLayer merges a patch; with a transition the change plays over time', () => {
  const s = new Scene(40, 20);
  s.addLayer({ id: 'box', type: 'rect', x: 0, y: 0, width: 40, height: 20, color: '#ff0000' });
  assert.deepEqual(px(s.render(0), 40, 5, 5), [255, 0, 0, 255]);
  const u = s.updateLayer('box', { color: '#00ff00' });
  assert.equal(u.color, '#00ff00');
  assert.deepEqual(px(s.render(0.1), 40, 5, 5), [0, 255, 0, 255]);

  // Fade to 0 opacity over one second from t = 1: half way at t = 1.5.
  s.render(1);
  s.updateLayer('box', { opacity: 0 }, { transition: { duration: 1, easing: 'linear' } });
  const mid = px(s.render(1.5), 40, 5, 5);
  assert.ok(Math.abs(mid[1] - 128) <= 2, `half-faded green ${mid}`);
  assert.deepEqual(px(s.render(2.5), 40, 5, 5), [0, 0, 0, 255]);

  // A transition given as seconds.
  s.updateLayer('box', { opacity: 1 }, { transition: 2 });
  const quarter = px(s.render(3), 40, 5, 5);
  assert.ok(quarter[1] > 20 && quarter[1] < 240, `mid-transition ${quarter}`);
  assert.deepEqual(px(s.render(5), 40, 5, 5), [0, 255, 0, 255]);
});

test('removeLayer removes at once or after a fade', () => {
  const s = new Scene(20, 20);
  s.addLayer({ id: 'a', type: 'rect', width: 20, height: 20, color: '#ffffff' });
  s.addLayer({ id: 'b', type: 'rect', width: 10, height: 10, color: '#ff0000' });
  s.removeLayer('b');
  assert.deepEqual(s.layers().map((l) => l.id), ['a']);
  assert.deepEqual(px(s.render(0), 20, 2, 2), [255, 255, 255, 255]);
  s.render(1);
  s.removeLayer('a', { fade: 1 });
  const half = px(s.render(1.5), 20, 2, 2);
  assert.ok(half[0] > 100 && half[0] < 160, `half faded ${half}`);
  assert.deepEqual(px(s.render(2.5), 20, 2, 2), [0, 0, 0, 255]);
  // The faded layer is dropped from the scene with the next change after its fade ended.
  s.render(3);
  s.addLayer({ id: 'c', type: 'rect', width: 2, height: 2 });
  assert.deepEqual(s.layers().map((l) => l.id), ['c']);
});

test('Scene.fromFile loads a scene and its assets relative to the file', () => {
  const s = Scene.fromFile(path.join(SCENES, 'scoreboard.json'));
  assert.equal(s.width, 1280);
  assert.equal(s.height, 720);
  assert.equal(s.fps, 30);
  const ids = s.layers().map((l) => l.id);
  assert.deepEqual(ids, ['panel', 'home_logo', 'home_name', 'score', 'away_name', 'away_logo', 'clock']);
  const rgba = s.render(1);
  assert.equal(rgba.length, 1280 * 720 * 4);
  // Transparent background outside the panel; the red score box inside it.
  assert.deepEqual(px(rgba, 1280, 1000, 600), [0, 0, 0, 0]);
  const [r, g, b, a] = px(rgba, 1280, 256, 50);
  assert.ok(r > 200 && g < 90 && b < 90 && a === 255, `score background ${[r, g, b, a]}`);
});

test('Scene.fromJson and toJson round-trip', () => {
  const doc = { width: 48, height: 24, fps: 50, background: '#112233', layers: [{ id: 'r', type: 'ellipse', x: 4, y: 4, width: 16, height: 16, color: '#ffff00' }] };
  const s = Scene.fromJson(JSON.stringify(doc));
  assert.equal(s.fps, 50);
  const back = JSON.parse(s.toJson());
  assert.equal(back.width, 48);
  assert.equal(back.background, '#112233');
  assert.equal(back.layers[0].id, 'r');
  const again = Scene.fromJson(s.toJson());
  assert.deepEqual(again.render(0.5), s.render(0.5));
  assert.deepEqual(px(s.render(0), 48, 12, 12), [255, 255, 0, 255]);
  assert.deepEqual(px(s.render(0), 48, 40, 20), [0x11, 0x22, 0x33, 255]);
});

test('savePng writes the frame off the JS thread; ffmpeg decodes the same pixels', async () => {
  const dir = tmpdir();
  const s = Scene.fromFile(path.join(SCENES, 'lower-third.json'));
  const file = path.join(dir, 'frame.png');
  const p = s.savePng(file, 1.5);
  assert.ok(p instanceof Promise);
  assert.equal(await p, undefined);
  assert.deepEqual(fs.readFileSync(file).subarray(1, 4).toString(), 'PNG');
  const decoded = decodeRgba(file);
  assert.equal(decoded.length, s.width * s.height * 4);
  assert.ok(decoded.equals(s.render(1.5)), 'PNG pixels differ from render(1.5)');
});

test('bad layers are SceneErrors naming the JSON path; the scene is unchanged', () => {
  const s = new Scene(64, 36);
  const before = s.addLayer({ id: 'ok', type: 'rect', width: 10, height: 10 });
  throwsCoded(() => s.addLayer({ type: 'rect', width: 10, height: 10, opacity: 1.5 }), 'SceneError',
    /^opacity: must be between 0 and 1, got 1\.5$/);
  throwsCoded(() => s.addLayer({ type: 'rect', width: 10, height: 10, colour: 'red' }), 'SceneError', /colour/);
  throwsCoded(() => s.addLayer({ type: 'blob' }), 'SceneError', /type/);
  throwsCoded(() => s.addLayer({ id: 'ok', type: 'rect', width: 1, height: 1 }), 'SceneError', /ok/);
  throwsCoded(() => s.updateLayer('ok', { opacity: -1 }), 'SceneError', /opacity/);
  throwsCoded(() => s.updateLayer('nope', { x: 1 }), 'SceneError', /nope/);
  throwsCoded(() => s.updateLayer('ok', { x: 1 }, { transition: { duration: 1, easing: 'bouncy' } }), 'SceneError', /easing/);
  throwsCoded(() => s.updateLayer('ok', { x: 1 }, { transiton: 1 }), 'SceneError', /^options\.transiton: unknown option/);
  throwsCoded(() => s.removeLayer('nope'), 'SceneError', /nope/);
  throwsCoded(() => s.removeLayer('ok', { fade: -2 }), 'SceneError', /^fade: /);
  throwsCoded(() => s.removeLayer('ok', { fade: 'slow' }), 'SceneError', /^fade: must be a number/);
  throwsCoded(() => s.addLayer({ type: 'image', src: 'no/such/file.png', width: 4 }), 'SceneError', /no\/such\/file\.png/);
  throwsCoded(() => s.render(-1), 'SceneError', /^t: /);
  assert.deepEqual(s.layers(), [before]);
});

test('bad scenes are SceneErrors', async () => {
  throwsCoded(() => new Scene(15, 16), 'SceneError', /^width: /);
  throwsCoded(() => new Scene(64, 36, { fps: 0 }), 'SceneError', /^fps: /);
  throwsCoded(() => new Scene(64, 36, { fsp: 30 }), 'SceneError', /^options\.fsp: unknown option/);
  throwsCoded(() => Scene.fromJson('{"width": 64'), 'SceneError', /./);
  throwsCoded(() => Scene.fromJson('{"width": 64, "height": 36, "layers": [{"type": "rect", "width": 4, "height": 4, "opacity": 2}]}'),
    'SceneError', /^layers\[0\]\.opacity: must be between 0 and 1, got 2/);
  throwsCoded(() => Scene.fromFile('/no/such/scene.json'), 'SceneError', /\/no\/such\/scene\.json/);
  const dir = tmpdir();
  const s = new Scene(16, 16);
  await assert.rejects(s.savePng(path.join(dir, 'missing-dir', 'x.png'), 0), (err) => {
    assert.ok(err instanceof Error);
    assert.ok(['SceneError', 'StreamError'].includes(err.code), err.code);
    assert.match(err.message, /missing-dir/);
    return true;
  });
});
