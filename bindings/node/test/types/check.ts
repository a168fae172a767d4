// Compiled (not run) by test/types.test.js with `tsc --noEmit`: every call of the public API
// type-checks, and wrong uses are refused (`@ts-expect-error` fails the build when a line
// that should be an error is accepted).

import * as streamcomp from '../..'
import { Scene, Stream, renderFile } from '../..'
import type { LiveLayer, Progress, RenderSummary, StoredLayer, StreamEvent, StreamStatus } from '../..'

async function main(): Promise<void> {
  const scene: Scene = Scene.fromFile('examples/scenes/lower-third.json')
  const blank = new Scene(1280, 720, { fps: 30, background: '#000000' })
  const fromJson = Scene.fromJson('{"width": 64, "height": 36}')
  const w: number = scene.width + blank.height + fromJson.fps
  const t: StoredLayer = scene.addLayer({ type: 'text', id: 't', text: 'Hello', x: 40, y: 40, font_size: 48 })
  const id: string = t.id
  scene.addLayer({ type: 'rect', width: 10, height: 10, color: '#ff0000', border: { width: 2 }, animations: [{ property: 'x', from: 0, to: 10, duration: 1, easing: 'ease-out' }] })
  scene.addLayer({ type: 'image', src: 'logo.png', fit: 'contain' })
  scene.addLayer({ type: 'audio', src: 'tick.wav', loop: true, volume: 0.5 })
  scene.updateLayer(id, { color: '#ff0000' })
  scene.updateLayer(id, { x: 100, outline: null }, { transition: { duration: 0.3, easing: 'cubic-bezier(0.1,0.7,1,0.1)' } })
  scene.updateLayer(id, { opacity: 0 }, { transition: 2 })
  scene.removeLayer(id)
  scene.removeLayer(id, { fade: 1 })
  const layers: StoredLayer[] = scene.layers()
  const json: string = scene.toJson()
  const rgba: Buffer = scene.render(1.5)
  const png: Promise<void> = scene.savePng('frame.png', 1.5)
  await png

  const summary: RenderSummary = await renderFile(scene, 'out.mp4', {
    duration: 5,
    codec: 'h264',
    audio_codec: 'aac',
    audioBitrate: 128,
    keyframeInterval: 2,
    width: 640,
    height: 360,
    onProgress: (p: Progress) => console.log(p.frame / p.total, p.elapsed_seconds),
  })
  const frames: number = summary.frames + summary.seconds.encode

  const stream: Stream = await Stream.start(scene, {
    urls: ['rtmp://localhost/live/key', 'record.mp4'],
    bitrate: 2500,
    duration: 60,
    onEvent: (e: StreamEvent) => {
      if (e.state === 'reconnecting') console.log(e.output, e.attempt, e.delay_seconds)
      if (e.state === 'stopped') console.log(e.error)
    },
  })
  stream.on('event', (e) => console.log(e.state))
  const added: LiveLayer = stream.addLayer({ type: 'text', text: 'LIVE', font_size: 24 })
  const box: number = added.bounds.width
  const changed: LiveLayer = stream.updateLayer('t', { text: 'Goodbye' }, { transition: 0.5 })
  stream.removeLayer(changed.id, { fade: 0.5 })
  stream.addLayer({ id: 'clip', type: 'video', src: 'clip.mp4', loop: true, fit: 'cover', playlist: undefined })
  const sought: LiveLayer = stream.media('clip', { action: 'seek', t: 5, item: 0 })
  const position: number | undefined = sought.media?.position
  stream.media('clip', { action: 'queue', item: { src: 'next.mp4', in: 1 } })
  // @ts-expect-error: no such media action
  stream.media('clip', { action: 'rewind' })
  const live: LiveLayer[] = stream.layers()
  const status: StreamStatus = stream.status()
  const encoded: number = status.frames.encoded + status.outputs.length
  const stopped: boolean = stream.stopped
  const final: StreamStatus = await stream.stop()
  const waited: StreamStatus = await stream.wait()
  const v: string = streamcomp.coreVersion()
  console.log(w, layers, json, rgba, frames, box, live, encoded, stopped, final, waited, v, position)

  // @ts-expect-error: an unknown layer type
  scene.addLayer({ type: 'circle', width: 10 })
  // @ts-expect-error: a text layer needs its text
  scene.addLayer({ type: 'text', font_size: 12 })
  // @ts-expect-error: render takes seconds
  scene.render('1.5')
  // @ts-expect-error: duration is required
  await renderFile(scene, 'out.mp4', { codec: 'h264' })
  // @ts-expect-error: no such codec
  await renderFile(scene, 'out.mp4', { duration: 1, codec: 'mpeg2' })
  // @ts-expect-error: urls is a list
  await Stream.start(scene, { urls: 'rtmp://localhost/live/key' })
  // @ts-expect-error: Stream has no public constructor
  new Stream()
  // @ts-expect-error: fade is seconds
  scene.removeLayer('t', { fade: 'slow' })
  // @ts-expect-error: the only Stream event is "event"
  stream.on('stopped', () => {})
}

void main
