// The web control panel in a real headless Chromium (Debian's `chromium`, driven by
// playwright-core): load it, enter the token, add a layer with the form, see it in the live
// preview, drag it to a new place, delete it. Starts the real server binary on free loopback
// ports with its own folders.
//
// Run: scripts/test-panel.sh (builds the server, installs playwright-core, runs this).
// SERVER_BIN: the streamcomp-server binary; CHROMIUM: the browser (default /usr/bin/chromium);
// PANEL_SCREENSHOT: where to save a screenshot of the panel with the layer on it.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require("playwright-core");

const SERVER_BIN = process.env.SERVER_BIN ||
  path.join(__dirname, "..", "..", "..", "target", "debug", "streamcomp-server");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const TOKEN = "panel-secret";

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

let server, base, dir, browser, log;

async function api(method, p, body) {
  const res = await fetch(base + p, {
    method,
    headers: { Authorization: "Bearer " + TOKEN, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

before(async () => {
  assert.ok(fs.existsSync(SERVER_BIN), `no server binary at ${SERVER_BIN}: run cargo build -p streamcomp-server`);
  assert.ok(fs.existsSync(CHROMIUM), `no browser at ${CHROMIUM}: apt-get install chromium`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamcomp-panel-"));
  const [port, wsPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  base = `http://127.0.0.1:${port}`;
  log = fs.openSync(path.join(dir, "server.log"), "a");
  server = spawn(SERVER_BIN, [], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      WS_PORT: String(wsPort),
      METRICS_PORT: String(metricsPort),
      STATE_PATH: path.join(dir, "state"),
      ASSETS_DIR: path.join(dir, "assets"),
      STREAM_RESOLUTION: "640x360",
      TARGET_FPS: "15",
      API_TOKEN: TOKEN,
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", log],
  });
  await until("the server's /healthz", async () => (await fetch(base + "/healthz")).ok, 30000);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill("SIGTERM");
  if (log !== undefined) fs.closeSync(log);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// The colour of the preview image at canvas pixel (x, y), read in the page.
function previewPixel(page, x, y) {
  return page.evaluate(([x, y]) => {
    const img = document.getElementById("preview");
    if (!img.complete || !img.naturalWidth) return null;
    const c = document.createElement("canvas");
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const g = c.getContext("2d");
    g.drawImage(img, 0, 0);
    const k = img.naturalWidth / 640;
    return Array.from(g.getImageData(Math.round(x * k), Math.round(y * k), 1, 1).data);
  }, [x, y]);
}

const near = (p, want) => p && want.every((v, i) => Math.abs(p[i] - v) <= 12);

test("the panel adds, shows, moves and deletes a layer", async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(base + "/");
  assert.equal(await page.title(), "streamcomp");

  // Without the token the API refuses; the panel says so.
  await until("the 401 message", async () => /401/.test(await page.textContent("#message")));
  await page.fill("#token", TOKEN);
  await page.dispatchEvent("#token", "change");
  await until("the idle badge", async () => /idle/i.test(await page.textContent("#state")));

  // Add a green rectangle with the form (type rect; fields; id through the JSON box).
  await page.selectOption("#type", "rect");
  await page.fill("#fields input[name=x]", "100");
  await page.fill("#fields input[name=y]", "50");
  await page.fill("#fields input[name=width]", "200");
  await page.fill("#fields input[name=height]", "100");
  await page.fill("#fields input[name=color]", "#00ff00");
  await page.click("details summary");
  await page.fill("#json", '{"id": "green"}');
  await page.click("#save");
  await until("the layer in the list", async () => /green \(rect\)/.test(await page.textContent("#layers")));
  const stored = await api("GET", "/stream/layers/green");
  assert.equal(stored.status, 200);
  assert.equal(stored.body.color, "#00ff00");
  assert.deepEqual(stored.body.bounds, { x: 100, y: 50, width: 200, height: 100 });

  // The live preview shows it; outside it the background stays.
  await until("green in the preview", async () => near(await previewPixel(page, 200, 100), [0, 255, 0]));
  assert.ok(!near(await previewPixel(page, 400, 100), [0, 255, 0]), "green outside the layer");
  await until("the event list", async () => /layerUpdate created/.test(await page.textContent("#events")));

  // Drag it right by 200 canvas pixels on the preview.
  const box = await page.locator("#preview").boundingBox();
  const k = box.width / 640;
  await page.mouse.move(box.x + 200 * k, box.y + 100 * k);
  await page.mouse.down();
  await page.mouse.move(box.x + 300 * k, box.y + 100 * k, { steps: 5 });
  await page.mouse.move(box.x + 400 * k, box.y + 100 * k, { steps: 5 });
  await page.mouse.up();
  await until("the layer moved", async () => (await api("GET", "/stream/layers/green")).body.x === 300);
  await until("green at its new place", async () => near(await previewPixel(page, 450, 100), [0, 255, 0]));
  await until("old place cleared", async () => !near(await previewPixel(page, 150, 100), [0, 255, 0]));

  const shot = process.env.PANEL_SCREENSHOT || path.join(dir, "panel.png");
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(fs.statSync(shot).size > 10000, "screenshot written");

  // The form follows the drag (it must not move the layer back on the next update).
  await until("the form's new x", async () => (await page.inputValue("#fields input[name=x]")) === "300");
  assert.match(await page.textContent("#edit-title"), /Edit green/);

  // Edit through the form: change the colour, update.
  await page.click("#layers li >> text=green (rect)");
  await page.fill("#fields input[name=color]", "#0000ff");
  await page.click("#save");
  await until("blue in the preview", async () => near(await previewPixel(page, 450, 100), [0, 0, 255]));

  // Delete it.
  await page.click("#delete");
  await until("the list emptied", async () => !/green/.test(await page.textContent("#layers")));
  assert.equal((await api("GET", "/stream/layers/green")).status, 404);
  await until("the preview cleared", async () => !near(await previewPixel(page, 450, 100), [0, 0, 255]));
  assert.deepEqual(errors, [], "no script errors in the page");
  await page.close();
});

test("the panel plays the stream's own HLS output", async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(base + "/");
  await page.fill("#token", TOKEN);
  await page.dispatchEvent("#token", "change");
  // A red square so the picture is not black; then go live with no URL: the server's own
  // HLS (HLS_MEMORY, on by default) is the only output.
  assert.equal((await api("POST", "/stream/layers",
    { id: "red", type: "rect", x: 0, y: 0, width: 320, height: 360, color: "#ff0000" })).status, 201);
  const started = await api("POST", "/stream/control", { action: "start" });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  assert.ok(started.body.outputs.some((o) => o.target === "hls (memory)" && o.kind === "hls"));
  // The playlist is served with its media type; its segments too.
  const list = await until("the playlist", async () => {
    const res = await fetch(base + "/stream/hls/index.m3u8", { headers: { Authorization: "Bearer " + TOKEN } });
    return res.ok && (await res.text()).includes("#EXTINF") ? res : null;
  }, 20000);
  assert.equal(list.headers.get("content-type"), "application/vnd.apple.mpegurl");
  // The <video> element plays and advances.
  const t1 = await until("the video playing", async () => {
    const t = await page.evaluate(() => document.getElementById("output").currentTime);
    return t > 0.5 ? t : null;
  }, 40000);
  await sleep(3000);
  const t2 = await page.evaluate(() => document.getElementById("output").currentTime);
  assert.ok(t2 > t1 + 1.5, `the video advances: ${t1} then ${t2}`);
  // What it shows is the red square (left half red, right half black).
  const px = await page.evaluate(() => {
    const v = document.getElementById("output");
    const c = document.createElement("canvas");
    c.width = v.videoWidth; c.height = v.videoHeight;
    const g = c.getContext("2d");
    g.drawImage(v, 0, 0);
    return [Array.from(g.getImageData(100, 180, 1, 1).data), Array.from(g.getImageData(500, 180, 1, 1).data)];
  });
  assert.ok(near(px[0], [255, 0, 0]) || (px[0][0] > 200 && px[0][1] < 60), `red on the left: ${px[0]}`);
  assert.ok(px[1][0] < 60, `dark on the right: ${px[1]}`);
  const latency = await page.evaluate(() => window.outputLatency);
  console.log(`HLS glass-to-glass in the panel: ${latency.toFixed(2)} s behind live`);
  assert.ok(latency > 0 && latency < 20, `latency ${latency}`);
  assert.match(await page.textContent("#output-status"), /behind live/);
  assert.equal((await api("POST", "/stream/control", { action: "stop" })).status, 200);
  await until("the player stopped", async () => /not live/.test(await page.textContent("#output-status")), 10000);
  assert.deepEqual(errors, [], "no script errors in the page");
  await page.close();
});
