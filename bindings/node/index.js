'use strict';
// streamcomp for Node.js: the native addon (native.js loads streamcomp.<platform>.node) plus a
// thin layer that gives `Stream` an EventEmitter and settles promises only after the last
// progress or event callback has run.

const { EventEmitter } = require('node:events');
const native = require('./native.js');

const { Scene } = native;

/**
 * The frame at scene time `t` (seconds): a Buffer of `width * height * 4` bytes of straight
 * RGBA, rows top to bottom. The Buffer is V8's own memory (counted and collected as any other)
 * and the core writes the frame straight into it.
 */
Object.defineProperty(Scene.prototype, 'render', {
  value: function render(t) {
    const out = Buffer.allocUnsafeSlow(this.width * this.height * 4);
    this.renderInto(t, out);
    return out;
  },
  writable: true,
  configurable: true,
});

/** An Error with a streamcomp `code`, for mistakes caught before the native call. */
function sceneError(message) {
  const err = new Error(message);
  err.code = 'SceneError';
  return err;
}

/** Splits the JS callback `name` off `options` (checked to be a function). */
function splitCallback(options, name) {
  if (options === undefined || options === null) return [undefined, options];
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw sceneError(`options: must be an object, got ${JSON.stringify(options)}`);
  }
  const { [name]: cb, ...rest } = options;
  if (cb !== undefined && cb !== null && typeof cb !== 'function') {
    throw sceneError(`options.${name}: must be a function`);
  }
  return [cb ?? undefined, rest];
}

/**
 * Calls `start(callback)` (a native call taking a progress or event callback that receives
 * `null` last) and resolves with its promise's value once that `null` has arrived too, so
 * every callback has run before the caller's `await` returns.
 */
function withCallbacks(start, onValue) {
  let ended;
  const end = new Promise((resolve) => {
    ended = resolve;
  });
  const promise = start((value) => {
    if (value === null) ended();
    else onValue(value);
  });
  return { promise, end };
}

/**
 * Renders `scene` to the file `path` off the JavaScript thread.
 * @returns {Promise<object>} the summary (frames, bytes, timings).
 */
async function renderFile(scene, path, options) {
  const [onProgress, rest] = splitCallback(options, 'onProgress');
  if (!onProgress) return native.renderFile(scene, path, rest);
  const { promise, end } = withCallbacks(
    (cb) => native.renderFile(scene, path, rest, cb),
    (p) => onProgress(p),
  );
  try {
    return await promise;
  } finally {
    await end;
  }
}

/**
 * A live stream of a copy of a scene. Events arrive as `"event"` on this EventEmitter (and
 * through the `onEvent` option); `await stream.stop()` ends it and gives the final status.
 */
class Stream extends EventEmitter {
  /** @private Use `Stream.start`. */
  constructor(token) {
    super();
    if (token !== Stream.#token) {
      throw new TypeError('use `await Stream.start(scene, options)` to start a stream');
    }
    this._native = null;
    this._events = [];
    this._ended = null;
  }

  static #token = Symbol('Stream');

  /**
   * Opens the encoders and outputs and starts streaming (off the JavaScript thread).
   * @returns {Promise<Stream>}
   */
  static async start(scene, options) {
    const [onEvent, rest] = splitCallback(options, 'onEvent');
    const stream = new Stream(Stream.#token);
    const deliver = (ev) => {
      if (onEvent) onEvent(ev);
      stream.emit('event', ev);
    };
    // Events that come before `start` resolves (e.g. "started") are kept and emitted on the
    // next tick, once the caller has had the chance to add listeners.
    let early = [];
    const { promise, end } = withCallbacks(
      (cb) => native.startStream(scene, rest, cb),
      (ev) => (early ? early.push(ev) : deliver(ev)),
    );
    stream._ended = end;
    try {
      stream._native = await promise;
    } catch (err) {
      await end;
      throw err;
    }
    process.nextTick(() => {
      const pending = early;
      early = null;
      for (const ev of pending) deliver(ev);
    });
    return stream;
  }

  /** Adds a layer; returns it with its `id` and `bounds`. */
  addLayer(layer) {
    return this._native.addLayer(layer);
  }

  /** Merges `patch` into layer `id` (optionally `{ transition }`); returns the layer. */
  updateLayer(id, patch, options) {
    return this._native.updateLayer(id, patch, options);
  }

  media(id, action) {
    return this._native.media(id, action);
  }

  /** Removes layer `id` (optionally `{ fade }` seconds). */
  removeLayer(id, options) {
    this._native.removeLayer(id, options);
  }

  /** Every layer, bottom to top, with its `bounds`. */
  layers() {
    return this._native.layers();
  }

  /** State, counters and outputs now. */
  status() {
    return this._native.status();
  }

  /** Every live input of the scene with its status. */
  inputs() {
    return this._native.inputs();
  }

  /** Adds live input `name` or replaces it (as in the scene's `inputs`); returns its status. */
  setInput(name, input) {
    return this._native.setInput(name, input);
  }

  /** Removes live input `name` (refused while a layer shows it). */
  removeInput(name) {
    this._native.removeInput(name);
  }

  /** Whether the stream has ended (duration, `stop()` or an error). */
  get stopped() {
    return this._native.stopped;
  }

  /** Resolves when the stream has ended by itself or been stopped: the final status. */
  async wait() {
    await this._ended;
    return this.stop();
  }

  /** Stops gracefully; resolves to the final status after the last event was emitted. */
  async stop() {
    const status = await this._native.stop();
    await this._ended;
    await new Promise((resolve) => process.nextTick(resolve));
    return status;
  }
}

module.exports = {
  Scene,
  Stream,
  renderFile,
  coreVersion: native.coreVersion,
};
