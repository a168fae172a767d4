// Node-Media-Server 2.7 for streamcomp's RTMP interop tests: RTMP on the first argument's port,
// HTTP-FLV on the second's (http://127.0.0.1:HTTP/live/KEY.flv). Logs go to stdout.
const NodeMediaServer = require('node-media-server');

const [rtmpPort, httpPort] = process.argv.slice(2).map(Number);
const nms = new NodeMediaServer({
  logType: 3,
  rtmp: { port: rtmpPort, chunk_size: 4096, gop_cache: true, ping: 30, ping_timeout: 60 },
  http: { port: httpPort, allow_origin: '*' },
});
nms.run();
