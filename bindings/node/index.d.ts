// TypeScript definitions of `require("streamcomp")`: the native Scene class (native.d.ts,
// generated from the Rust sources by the build) and the JS wrapper's additions (index.js):
// renderFile with an onProgress option, and Stream as an EventEmitter.

import { EventEmitter } from 'node:events'
import type { Scene } from './native'
import type {
  InputSpec,
  InputStatus,
  LayerPatch,
  LiveLayer,
  MediaAction,
  LiveOptions,
  Layer,
  Progress,
  RemoveOptions,
  RenderOptions,
  RenderSummary,
  StreamEvent,
  StreamStatus,
  UpdateOptions,
} from './types'

export { Scene } from './native'

declare module './native' {
  interface Scene {
    /**
     * The frame at scene time `t` (seconds): `width * height * 4` bytes of straight RGBA, rows
     * top to bottom, in a Buffer of V8's own memory that the core renders straight into.
     */
    render(t: number): Buffer
  }
}
export * from './types'

/** Options of `renderFile`: the render options plus a progress callback. */
export interface RenderFileOptions extends RenderOptions {
  /**
   * Called on the JS thread at most every 100 ms and for the last frame; every call has run
   * before the promise settles.
   */
  onProgress?: (progress: Progress) => void
}

/** Options of `Stream.start`: the live options plus an event callback. */
export interface StreamOptions extends LiveOptions {
  /** Called on the JS thread for every event, as `stream.on("event", …)` listeners are. */
  onEvent?: (event: StreamEvent) => void
}

/**
 * Renders `scene` (a copy of it as it is now) to the file `path`, as fast as the machine
 * allows, off the JavaScript thread. The format comes from the extension (`.mp4`, `.m4v`,
 * `.flv`, `.ivf`, `.h264`, `.y4m`). Rejects with an Error whose `code` is `"SceneError"` (bad
 * options or scene) or `"StreamError"` (encoding, writing).
 */
export declare function renderFile(scene: Scene, path: string, options: RenderFileOptions): Promise<RenderSummary>

/**
 * A live stream of a copy of a scene, in real time, to RTMP(S) servers and/or files. Change
 * it with `addLayer`/`updateLayer`/`removeLayer`; events come as `"event"` (and through the
 * `onEvent` option); `await stream.stop()` finishes it.
 */
export declare class Stream extends EventEmitter {
  private constructor()
  /**
   * Checks everything, opens the encoders and outputs and starts streaming (off the JS thread).
   * Events that happen before the promise resolves (`started`, …) are emitted on the next tick.
   */
  static start(scene: Scene, options?: StreamOptions): Promise<Stream>
  /** Adds a layer; it shows in the next frame. Returns it with its `id` and `bounds`. */
  addLayer(layer: Layer): LiveLayer
  /** Merges `patch` into layer `id`, optionally over a transition. Returns the layer. */
  updateLayer(id: string, patch: LayerPatch, options?: UpdateOptions): LiveLayer
  /**
   * A media action on video layer `id` now (seek, pause, resume, next, queue). Returns the
   * layer with its `media` status.
   */
  media(id: string, action: MediaAction): LiveLayer
  /** Removes layer `id`, optionally fading it out first. */
  removeLayer(id: string, options?: RemoveOptions): void
  /** Every layer, bottom to top, with its `bounds`. */
  layers(): LiveLayer[]
  /** State, counters and outputs now. */
  status(): StreamStatus
  /** Every live input of the scene with its status. */
  inputs(): InputStatus[]
  /** Adds live input `name` or replaces it (as in the scene's `inputs`); returns its status. */
  setInput(name: string, input: InputSpec): InputStatus
  /** Removes live input `name` (refused while a layer shows it). */
  removeInput(name: string): void
  /** Whether the stream has ended (its duration, `stop()` or an error). */
  readonly stopped: boolean
  /** Resolves to the final status once the stream has ended by itself (or been stopped). */
  wait(): Promise<StreamStatus>
  /**
   * Stops gracefully (encoders flushed, files finished, RTMP queues sent). Resolves to the final
   * status after the last event (`stopped`) was emitted; again on later calls.
   */
  stop(): Promise<StreamStatus>

  on(event: 'event', listener: (event: StreamEvent) => void): this
  once(event: 'event', listener: (event: StreamEvent) => void): this
  off(event: 'event', listener: (event: StreamEvent) => void): this
  addListener(event: 'event', listener: (event: StreamEvent) => void): this
  removeListener(event: 'event', listener: (event: StreamEvent) => void): this
  emit(event: 'event', ev: StreamEvent): boolean
}

/** The version of streamcomp-core the addon was built with. */
export declare function coreVersion(): string
