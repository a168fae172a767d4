#!/usr/bin/env node
'use strict';
// A live scoreboard: streams examples/scenes/scoreboard.json in real time and updates it every
// second from JavaScript (the score when a team scores, a possession bar sliding over with a
// transition), printing the stream's events and status. Ctrl-C stops it gracefully.
//
//   node examples/node/scoreboard.js URL [URL ...] [--duration SECONDS]
//
// URL: rtmp://host/app/key, rtmps://…, or a file (record.mp4, record.flv). For example, with a
// local nginx-rtmp: node examples/node/scoreboard.js rtmp://localhost/live/score record.mp4

const path = require('node:path');
const { Scene, Stream } = require('../../bindings/node');

function parseArgs(argv) {
  const urls = [];
  let duration;
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--duration') duration = Number(argv[(i += 1)]);
    else urls.push(argv[i]);
  }
  if (urls.length === 0) {
    console.error('usage: node examples/node/scoreboard.js URL [URL ...] [--duration SECONDS]');
    process.exit(2);
  }
  return { urls, duration };
}

async function main() {
  const { urls, duration } = parseArgs(process.argv.slice(2));
  const scene = Scene.fromFile(path.join(__dirname, '..', 'scenes', 'scoreboard.json'));
  const stream = await Stream.start(scene, { urls, duration, bitrate: 2500 });
  stream.on('event', (ev) => console.log(`event: ${JSON.stringify(ev)}`));

  let home = 0;
  let away = 0;
  let second = 0;
  stream.updateLayer('score', { text: `${home} – ${away}` });
  stream.addLayer({ id: 'possession', type: 'rect', x: 40, y: 104, width: 260, height: 6, color: '#5bc0be' });
  const tick = setInterval(() => {
    second += 1;
    // A goal now and then, a possession bar that moves to the side with the ball.
    if (second % 3 === 0) home += 1;
    if (second % 5 === 0) away += 1;
    const homeBall = Math.sin(second / 3) > 0;
    try {
      stream.updateLayer('score', { text: `${home} – ${away}` });
      stream.updateLayer('possession', { x: homeBall ? 40 : 300 }, { transition: { duration: 0.5, easing: 'ease-in-out' } });
    } catch (err) {
      if (!stream.stopped) throw err;
    }
    if (second % 5 === 0) {
      const s = stream.status();
      console.log(`status: ${s.state}, ${s.frames.encoded} frames encoded, ${s.frames.dropped} dropped, ${s.bitrate_kbps} kbit/s, uptime ${s.uptime_seconds} s`);
    }
  }, 1000);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(tick);
    const final = await stream.stop();
    console.log(`stopped: ${final.frames.encoded} frames encoded, ${final.frames.dropped} dropped, score ${home} – ${away}`);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await stream.wait();
  await stop();
}

main().catch((err) => {
  console.error(`error (${err.code ?? err.name}): ${err.message}`);
  process.exit(1);
});
