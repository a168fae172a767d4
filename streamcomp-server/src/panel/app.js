// streamcomp web panel: preview, layers, start/stop, live status and events.
// Plain JavaScript over the HTTP API and the WebSocket; no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const FIELDS = {
  rect: { x: 0, y: 0, width: 200, height: 100, color: "#e63946", radius: 0, opacity: 1, z: 0 },
  ellipse: { x: 0, y: 0, width: 100, height: 100, color: "#457b9d", opacity: 1, z: 0 },
  text: { text: "Hello", x: 40, y: 40, font_size: 48, color: "#ffffff", opacity: 1, z: 0 },
  image: { src: "logo.png", x: 0, y: 0, width: "", height: "", fit: "contain", opacity: 1, z: 0 },
  audio: { src: "music.mp3", volume: 1, loop: true },
};
let layers = [];
let selected = null;

$("token").value = localStorage.getItem("streamcomp-token") || "";
$("token").addEventListener("change", () => {
  localStorage.setItem("streamcomp-token", $("token").value);
  connect();
  refresh();
});

function headers(extra) {
  const h = Object.assign({}, extra);
  if ($("token").value) h.Authorization = "Bearer " + $("token").value;
  return h;
}

async function api(method, path, body) {
  const init = { method, headers: headers(body !== undefined ? { "Content-Type": "application/json" } : {}) };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const res = await fetch(path, init);
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = data.error || { message: res.statusText };
    throw new Error(res.status + " " + (e.path ? e.path + ": " : "") + e.message);
  }
  return data;
}

function say(text, isError) {
  $("message").textContent = text;
  $("message").className = isError ? "error" : "";
}

async function act(fn) {
  try { await fn(); say(""); } catch (e) { say(e.message, true); }
}

// Preview: the PNG refreshed a few times a second (works with the bearer token).
let previewUrl = null;
async function preview() {
  try {
    const res = await fetch("/stream/preview.png?width=960", { headers: headers() });
    if (res.ok) {
      const url = URL.createObjectURL(await res.blob());
      $("preview").src = url;
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = url;
    }
  } catch (_) { /* the next round tries again */ }
  setTimeout(preview, document.hidden ? 2000 : 250);
}

// Drag to move: press on a layer in the preview, drag, release: the layer moves by the
// distance dragged (in canvas pixels). The topmost layer under the pointer is taken.
let canvasSize = null;
let drag = null;
function toCanvas(ev) {
  const img = $("preview");
  const r = img.getBoundingClientRect();
  if (!canvasSize || !r.width) return null;
  return { x: (ev.clientX - r.left) * canvasSize.w / r.width, y: (ev.clientY - r.top) * canvasSize.h / r.height };
}
function outline(b) {
  const box = $("drag-box");
  if (!b) { box.hidden = true; return; }
  const img = $("preview");
  const k = img.clientWidth / canvasSize.w;
  Object.assign(box.style, { left: img.offsetLeft + b.x * k + "px", top: img.offsetTop + b.y * k + "px",
    width: b.width * k + "px", height: b.height * k + "px" });
  box.hidden = false;
}
$("preview").addEventListener("pointerdown", (ev) => {
  const p = toCanvas(ev);
  if (!p) return;
  const hit = [...layers].reverse().find((l) => l.type !== "audio" && l.bounds &&
    p.x >= l.bounds.x && p.x <= l.bounds.x + l.bounds.width && p.y >= l.bounds.y && p.y <= l.bounds.y + l.bounds.height);
  if (!hit) return;
  ev.preventDefault();
  $("preview").setPointerCapture(ev.pointerId);
  drag = { layer: hit, from: p, dx: 0, dy: 0 };
  edit(hit);
  outline(hit.bounds);
});
$("preview").addEventListener("pointermove", (ev) => {
  if (!drag) return;
  const p = toCanvas(ev);
  drag.dx = p.x - drag.from.x;
  drag.dy = p.y - drag.from.y;
  const b = drag.layer.bounds;
  outline({ x: b.x + drag.dx, y: b.y + drag.dy, width: b.width, height: b.height });
});
$("preview").addEventListener("pointerup", () => {
  if (!drag) return;
  const { layer, dx, dy } = drag;
  drag = null;
  outline(null);
  if (Math.abs(dx) < 1 && Math.abs(dy) < 1) return;
  act(async () => {
    await api("PUT", "/stream/layers/" + encodeURIComponent(layer.id),
      { x: Math.round((layer.x || 0) + dx), y: Math.round((layer.y || 0) + dy) });
    await refresh();
    const moved = layers.find((l) => l.id === layer.id);
    if (moved && selected === moved.id) edit(moved); // the form shows the new x and y
  });
});
$("preview").addEventListener("dragstart", (ev) => ev.preventDefault());

// The real output: the server's own HLS (HLS_MEMORY), played with the vendored hls.js while
// the stream is live. `window.outputLatency` holds how far behind the picture is (seconds,
// from the segments' program dates), for the status line and tests.
let hls = null;
function playOutput(s) {
  const live = ["starting", "live", "reconnecting"].includes(s.state) &&
    (s.outputs || []).some((o) => o.target === "hls (memory)");
  const video = $("output");
  if (live && !hls && window.Hls && Hls.isSupported()) {
    hls = new Hls({
      liveSyncDurationCount: 3,
      xhrSetup: (xhr) => { if ($("token").value) xhr.setRequestHeader("Authorization", "Bearer " + $("token").value); },
    });
    hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) { $("output-status").textContent = "player: " + d.details; hls.destroy(); hls = null; } });
    hls.loadSource("/stream/hls/index.m3u8");
    hls.attachMedia(video);
    video.play().catch(() => {});
  } else if (!live && hls) {
    hls.destroy();
    hls = null;
    video.removeAttribute("src");
    video.load();
    window.outputLatency = null;
  }
  if (hls) {
    const date = hls.playingDate;
    window.outputLatency = date ? (Date.now() - date.getTime()) / 1000 : null;
    $("output-status").textContent = "playing " + video.currentTime.toFixed(1) + " s" +
      (window.outputLatency != null ? " · " + window.outputLatency.toFixed(1) + " s behind live" : "");
  } else if (!live) {
    $("output-status").textContent = "not live";
  }
}

function showStatus(s) {
  playOutput(s);
  const [w, h] = String(s.resolution).split("x").map(Number);
  if (w && h) canvasSize = { w, h };
  $("state").textContent = s.state + (s.was_live ? " (was live)" : "");
  $("state").className = "badge " + s.state;
  $("stats").textContent = `${s.resolution} @ ${s.fps} fps · ${s.codec} · ${s.layers}/${s.max_layers} layers · ` +
    `rendered ${s.frames.rendered}, encoded ${s.frames.encoded}, dropped ${s.frames.dropped} · ` +
    `${s.bitrate_kbps} kbit/s` + (s.last_error ? " · last error: " + s.last_error : "");
}

async function refresh() {
  await act(async () => {
    showStatus(await api("GET", "/stream/status"));
    layers = await api("GET", "/stream/layers");
    renderLayers();
  });
}

function renderLayers() {
  const ul = $("layers");
  ul.textContent = "";
  for (const l of layers) {
    const li = document.createElement("li");
    const b = l.bounds;
    li.innerHTML = "<span></span><small></small>";
    li.firstChild.textContent = `${l.id} (${l.type})`;
    li.lastChild.textContent = `${Math.round(b.x)},${Math.round(b.y)} ${Math.round(b.width)}×${Math.round(b.height)}`;
    if (selected === l.id) li.className = "selected";
    li.onclick = () => edit(l);
    ul.appendChild(li);
  }
}

function fieldsFor(type, values) {
  const div = $("fields");
  div.textContent = "";
  for (const [k, def] of Object.entries(FIELDS[type])) {
    const label = document.createElement("label");
    label.textContent = k + " ";
    const input = document.createElement("input");
    input.name = k;
    const v = values && k in values ? values[k] : def;
    if (typeof def === "boolean") { input.type = "checkbox"; input.checked = !!v; }
    else if (k === "color") { input.type = "color"; input.value = String(v).slice(0, 7); }
    else { input.value = v; }
    label.appendChild(input);
    div.appendChild(label);
  }
}

function formLayer() {
  const type = $("type").value;
  const out = { type };
  for (const input of $("fields").querySelectorAll("input")) {
    const def = FIELDS[type][input.name];
    if (input.type === "checkbox") out[input.name] = input.checked;
    else if (input.value === "") continue;
    else if (typeof def === "number" || (def === "" && !isNaN(Number(input.value)))) out[input.name] = Number(input.value);
    else out[input.name] = input.value;
  }
  const extra = $("json").value.trim();
  if (extra) Object.assign(out, JSON.parse(extra));
  return out;
}

function edit(l) {
  selected = l ? l.id : null;
  $("edit-title").textContent = l ? "Edit " + l.id : "Add a layer";
  $("save").textContent = l ? "Update" : "Add";
  $("delete").disabled = !l;
  $("type").disabled = !!l;
  if (l) $("type").value = l.type;
  fieldsFor($("type").value, l);
  const rest = {};
  if (l) for (const [k, v] of Object.entries(l)) if (!(k in FIELDS[l.type]) && !["id", "type", "bounds"].includes(k)) rest[k] = v;
  $("json").value = l && Object.keys(rest).length ? JSON.stringify(rest, null, 1) : "";
  renderLayers();
}

$("type").onchange = () => fieldsFor($("type").value);
$("new").onclick = () => edit(null);
$("form").onsubmit = (ev) => {
  ev.preventDefault();
  act(async () => {
    const layer = formLayer();
    if (selected) { delete layer.type; await api("PUT", "/stream/layers/" + encodeURIComponent(selected), layer); }
    else { const made = await api("POST", "/stream/layers", layer); selected = made.id; }
    await refresh();
  });
};
$("delete").onclick = () => act(async () => {
  const fade = Number($("fade").value) || 0;
  await api("DELETE", "/stream/layers/" + encodeURIComponent(selected) + (fade ? "?fade=" + fade : ""));
  edit(null);
  await refresh();
});
for (const action of ["start", "stop", "restart"]) {
  $(action).onclick = () => act(async () => {
    const body = { action };
    if (action !== "stop" && $("url").value.trim()) body.url = $("url").value.trim();
    showStatus(await api("POST", "/stream/control", body));
  });
}
$("file").onchange = () => act(async () => {
  const f = $("file").files[0];
  if (!f) return;
  const res = await fetch("/assets/" + encodeURIComponent(f.name), { method: "PUT", headers: headers(), body: f });
  const data = await res.json();
  if (!res.ok) throw new Error(data.error.message);
  say("uploaded " + data.name + " (use it as src)");
});

// Live: layer changes and stream events over the WebSocket; status every second.
let ws = null;
function connect() {
  if (ws) ws.close();
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const token = $("token").value ? "?token=" + encodeURIComponent($("token").value) : "";
  ws = new WebSocket(proto + "//" + location.host + "/ws" + token);
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    const li = document.createElement("li");
    li.textContent = new Date().toLocaleTimeString() + " " + msg.type + " " +
      (msg.action || msg.state || "") + " " + (msg.id || msg.output || msg.message || "");
    $("events").prepend(li);
    while ($("events").children.length > 100) $("events").lastChild.remove();
    if (msg.type === "layerUpdate") refresh();
  };
  ws.onclose = (e) => { if (e.target === ws) setTimeout(connect, 2000); };
}

fieldsFor("rect");
connect();
refresh();
preview();
setInterval(() => api("GET", "/stream/status").then(showStatus).catch(() => {}), 1000);
