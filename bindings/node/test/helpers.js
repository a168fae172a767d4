'use strict';
// Shared by the tests: paths, temporary folders, ffprobe/ffmpeg, and a real nginx-rtmp on a
// free loopback port (the JS twin of streamcomp-core/tests/support/mod.rs). Missing programs
// fail the test with what to install, never skip it.

const assert = require('node:assert/strict');
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SCENES = path.join(ROOT, 'examples', 'scenes');
const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

/** A fresh temporary folder, removed when the process exits. */
function tmpdir(prefix = 'streamcomp-node-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Asserts that `prog` runs (with `arg`), naming the Debian package otherwise. */
function requireProgram(prog, arg, pkg) {
  const r = spawnSync(prog, [arg], { stdio: 'ignore' });
  assert.ok(!r.error && r.status === 0, `\`${prog}\` is not installed or does not run: apt-get install ${pkg}`);
}

function requireTools() {
  assert.ok(
    fs.existsSync(RTMP_MODULE),
    `${RTMP_MODULE} is missing: install nginx-light and libnginx-mod-rtmp (apt-get install nginx-light libnginx-mod-rtmp)`,
  );
  requireProgram('nginx', '-v', 'nginx-light');
  requireProgram('ffmpeg', '-version', 'ffmpeg');
  requireProgram('ffprobe', '-version', 'ffmpeg');
}

/** `ffprobe -v error ARGS FILE` as text. */
function ffprobe(args, file) {
  return execFileSync('ffprobe', ['-v', 'error', ...args, file], { encoding: 'utf8' });
}

/** The streams of a file: [{codec_type, codec_name, width, height, ...}]. */
function probeStreams(file) {
  const out = ffprobe(['-count_frames', '-show_entries',
    'stream=codec_type,codec_name,width,height,sample_rate,channels,nb_read_frames', '-of', 'json'], file);
  return JSON.parse(out).streams;
}

/** Decodes `file` (an image or video) to raw RGBA frames with ffmpeg: one Buffer. */
function decodeRgba(file, extra = []) {
  return execFileSync('ffmpeg', ['-v', 'error', '-i', file, ...extra, '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1'], {
    maxBuffer: 1 << 30,
  });
}

/** Decodes `file` whole; asserts ffmpeg reports no error. */
function assertDecodes(file) {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `ffmpeg decoding ${file}: ${r.stderr}`);
  assert.equal(r.stderr.trim(), '', `ffmpeg decode errors in ${file}: ${r.stderr}`);
}

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An nginx-rtmp child process (application `live`, `record all` into DIR/rec/KEY.flv) on a
 * free loopback port. Call `kill()` when done.
 */
class Nginx {
  static async start(dir) {
    requireTools();
    const port = await freePort();
    const rec = path.join(dir, 'rec');
    fs.mkdirSync(rec, { recursive: true });
    const conf = path.join(dir, 'nginx.conf');
    fs.writeFileSync(conf, `load_module ${RTMP_MODULE};
daemon off;
master_process off;
error_log stderr warn;
pid ${dir}/nginx.pid;
events { worker_connections 64; }
rtmp {
    server {
        listen 127.0.0.1:${port};
        chunk_size 4096;
        application live {
            live on;
            record all;
            record_path ${rec};
            record_unique off;
        }
    }
}
`);
    const child = spawn('nginx', ['-e', 'stderr', '-c', conf, '-p', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
    let exited = null;
    child.once('exit', (code) => {
      exited = code;
    });
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(port))) {
      assert.equal(exited, null, `nginx exited with ${exited} before listening`);
      assert.ok(Date.now() < deadline, `nginx did not listen on ${port}`);
      await sleep(20);
    }
    return new Nginx(child, dir, port);
  }

  constructor(child, dir, port) {
    this.child = child;
    this.dir = dir;
    this.port = port;
  }

  /** The URL to publish `key` to. */
  url(key) {
    return `rtmp://127.0.0.1:${this.port}/live/${key}`;
  }

  /** Where nginx records `key`. */
  recording(key) {
    return path.join(this.dir, 'rec', `${key}.flv`);
  }

  async kill() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const done = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await done;
  }
}

module.exports = {
  ROOT,
  SCENES,
  Nginx,
  assertDecodes,
  decodeRgba,
  ffprobe,
  freePort,
  probeStreams,
  requireTools,
  sleep,
  tmpdir,
};
