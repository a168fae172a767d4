'use strict';
// Hostile values through the Node binding (issues 22 and 12): every numeric field of every
// layer kind at the edge values is accepted or refused exactly as `streamcomp validate`
// answers, with the same message; the crashes are refused naming the bound; render
// options and fades take the ranges of the core's settings table (from `streamcomp schema`).

const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { Scene, renderFile } = require('..');
const { ROOT, tmpdir } = require('./helpers.js');

const CLI = process.env.STREAMCOMP_CLI || path.join(ROOT, 'target', 'debug', 'streamcomp');
const EDGES = [1e-308, -1e-308, 1e308, 1e-40, -0, 1e15];
const RED_PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

function schema() {
  assert.ok(fs.existsSync(CLI), `${CLI} is missing (scripts/test-node.sh builds it)`);
  return JSON.parse(execFileSync(CLI, ['schema'], { encoding: 'utf8' }));
}

/** [min, max, zero allowed, whole] of a numeric schema, or null. */
function numberRange(s) {
  if (s.anyOf) {
    for (const alt of s.anyOf) {
      const r = numberRange(alt);
      if (r) return [r[0], r[1], true, r[3]];
    }
    return null;
  }
  if (s.type !== 'number' && s.type !== 'integer') return null;
  return [s.minimum, s.maximum, false, s.type === 'integer'];
}

function numericFields(sc) {
  const out = [];
  const walk = (kind, prefix, props) => {
    for (const [name, s] of Object.entries(props)) {
      const p = prefix ? `${prefix}.${name}` : name;
      if (numberRange(s)) out.push([kind, p]);
      else if (s.properties) walk(kind, p, s.properties);
      else if (s.items && s.items.properties) walk(kind, p, s.items.properties);
    }
  };
  for (const k of sc.properties.layers.items.oneOf) walk(k.properties.type.const, '', k.properties);
  return out;
}

function baseLayer(kind) {
  const anim = [{ property: 'rotation', from: 0, to: 10, duration: 1 }];
  return {
    rect: { type: 'rect', width: 40, height: 20, animations: anim, border: { width: 2, color: '#fff' } },
    ellipse: { type: 'ellipse', width: 40, height: 20, animations: anim, border: { width: 2, color: '#fff' } },
    image: { type: 'image', src: RED_PNG, width: 20, animations: anim },
    text: {
      type: 'text', text: 'LIVE', animations: anim, outline: { width: 1, color: '#000' },
      shadow: { dx: 2, dy: 2, blur: 1 }, background: { color: '#123', padding: 2, radius: 2 },
    },
    input: {
      type: 'input', input: 'cam1', width: 40, height: 20, animations: anim,
      crop: { x: 0, y: 0, width: 10, height: 10 },
    },
  }[kind];
}

// The scene input the input layers show (an input layer must name one).
const INPUTS = '{"cam1": {"type": "rtmp", "key": "hostile-test-key"}}';

/** JSON text of a layer with the field at `p` set to `v` (-0 written as -0.0, as JSON has it). */
function layerJson(kind, p, v) {
  const layer = JSON.parse(JSON.stringify(baseLayer(kind)));
  const parts = p.split('.');
  let cur = layer;
  for (const part of parts.slice(0, -1)) cur = part === 'animations' ? cur[part][0] : cur[part];
  cur[parts[parts.length - 1]] = '@VALUE@';
  const text = Object.is(v, -0) ? '-0.0' : String(v).replace('e+', 'e');
  return JSON.stringify(layer).replace('"@VALUE@"', text);
}

test('every numeric field at the edges is answered as `streamcomp validate` answers', () => {
  const cases = [];
  for (const [kind, p] of numericFields(schema())) {
    if (kind === 'audio' || kind === 'video') continue; // they need files
    for (const v of EDGES) cases.push([kind, p, v]);
  }
  const layers = cases.map(([k, p, v]) => layerJson(k, p, v));
  const file = path.join(tmpdir(), 'edges.json');
  fs.writeFileSync(file, `{"width": 160, "height": 90, "inputs": ${INPUTS}, "layers": [${layers.join(',')}]}`);
  const r = spawnSync(CLI, ['validate', file], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  const byLayer = new Map();
  for (const line of r.stderr.trim().split('\n')) {
    const m = /^error: layers\[(\d+)\](.*)$/.exec(line);
    assert.ok(m, line);
    const i = Number(m[1]);
    if (!byLayer.has(i)) byLayer.set(i, []);
    byLayer.get(i).push(`layers[0]${m[2]}`);
  }
  let refused = 0;
  cases.forEach(([kind, p, v], i) => {
    const doc = `{"width": 160, "height": 90, "inputs": ${INPUTS}, "layers": [${layers[i]}]}`;
    if (byLayer.has(i)) {
      assert.throws(() => Scene.fromJson(doc), (err) => {
        assert.equal(err.code, 'SceneError');
        assert.deepEqual(err.message.split('\n'), byLayer.get(i), `${kind}.${p} = ${v}`);
        return true;
      });
      refused += 1;
    } else {
      Scene.fromJson(doc).render(0.5);
    }
  });
  assert.ok(refused > 100, `${refused} refused`);
  assert.ok(refused < cases.length);
});

test('the crashes of issue 22 are refused naming the bound', () => {
  for (const [field, message] of [
    ['font_size', 'layers[0].font_size: must be at least 1, got 1e-308'],
    ['line_height', 'layers[0].line_height: must be between 0.1 and 10, got 1e-308'],
  ]) {
    assert.throws(
      () => Scene.fromJson(`{"width": 320, "height": 180, "layers": [{"type": "text", "text": "LIVE", "${field}": 1e-308}]}`),
      (err) => err.code === 'SceneError' && err.message === message,
    );
  }
  const s = new Scene(320, 180);
  assert.throws(() => s.addLayer({ type: 'text', text: 'LIVE', font_size: 1e30 }),
    (err) => err.code === 'SceneError' && /^font_size: must be at most 2000, got 1e/.test(err.message));
});

function fmtBound(v) {
  return String(v);
}

/** The start of the settings table's message for refused value `v`. */
function expectedMessage(s, v) {
  const [lo, hi, zero, whole] = numberRange(s);
  if (whole) return `must be a whole number between ${fmtBound(lo)} and ${fmtBound(hi)}, got `;
  if (zero && v > 0 && v < lo) return `must be 0 or at least ${fmtBound(lo)}, got `;
  return `must be between ${fmtBound(zero ? 0 : lo)} and ${fmtBound(hi)}, got `;
}

function accepts(s, v) {
  const [lo, hi, zero, whole] = numberRange(s);
  return (!whole || Number.isInteger(v)) && ((zero && v === 0) || (v >= lo && v <= hi));
}

test('render options take the settings table ranges with its messages', async () => {
  const options = schema().$defs.options.properties;
  const scene = new Scene(160, 90);
  const out = path.join(tmpdir(), 'out.unknown');
  const camel = { audio_bitrate: 'audioBitrate', keyframe_interval: 'keyframeInterval' };
  let checked = 0;
  for (const key of ['bitrate', 'audio_bitrate', 'keyframe_interval', 'threads', 'fps', 'duration']) {
    const s = options[key];
    const [lo, hi, , whole] = numberRange(s);
    const step = whole ? 1 : 0.0001;
    for (const v of [lo, hi, lo - step, hi + step, 1e308, 1e-308, -0]) {
      const opts = { duration: 0.001, [camel[key] || key]: v };
      // An unknown file extension fails after the options are read: an accepted value gets
      // as far as that, without rendering anything.
      const err = await renderFile(scene, out, opts).then(() => null, (e) => e);
      assert.ok(err, `${key}=${v} rendered to an unknown extension`);
      if (accepts(s, v)) {
        assert.ok(!err.message.startsWith('options.'), `${key}=${v}: ${err.message}`);
      } else {
        assert.equal(err.code, 'SceneError', err.message);
        assert.ok(err.message.startsWith(`options.${key}: ${expectedMessage(s, v)}`), `${key}=${v}: ${err.message}`);
      }
      checked += 1;
    }
  }
  assert.equal(checked, 42);
});

test('fades take the settings table range', () => {
  const s = schema().$defs.options.properties.fade;
  const scene = new Scene(160, 90);
  [0, -0, 0.001, 3600, 3600.5, 1e-308, -1, 1e308].forEach((v, i) => {
    scene.addLayer({ id: `f${i}`, type: 'rect', width: 4, height: 4 });
    if (accepts(s, v)) {
      scene.removeLayer(`f${i}`, { fade: v });
    } else {
      assert.throws(() => scene.removeLayer(`f${i}`, { fade: v }),
        (err) => err.code === 'SceneError' && err.message.startsWith(`fade: ${expectedMessage(s, v)}`));
      scene.removeLayer(`f${i}`);
    }
  });
});
