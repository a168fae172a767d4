//! Encoded media for the publishing tests: a scene rendered and encoded with the built-in
//! encoders through an [`EncoderContext`], with a quiet 440 Hz tone as its sound (so the audio
//! track is not all zeros).

use streamcomp_core::{
    AssetResolver, Compositor, CompositorOptions, Scene, YuvFrame, encode::AUDIO_RATE,
    encode::AudioCodec, encode::AudioSettings, encode::EncoderContext, encode::Packet,
    encode::StreamInfo, encode::VideoSettings,
};

/// `seconds` of `scene` encoded with `settings` (its size, rate and codec) and the tone in
/// `audio` at `audio_kbps`: the stream description for an output and every packet, in the
/// order the encoders made them (callers sort them as their test needs).
pub(crate) fn encode_scene(
    scene: &Scene,
    settings: &VideoSettings,
    (audio, audio_kbps): (AudioCodec, u32),
    seconds: f64,
) -> (StreamInfo, Vec<Packet>) {
    let (w, h, fps) = (settings.width, settings.height, settings.fps);
    let mut comp = Compositor::new(
        CompositorOptions::default(),
        AssetResolver::default().with_system_fonts(false),
    );
    let tone = |start: u64, left: &mut [f32], right: &mut [f32]| {
        for (i, (l, r)) in (start..).zip(left.iter_mut().zip(right.iter_mut())) {
            let v = 0.1 * (i as f32 * 440.0 * std::f32::consts::TAU / AUDIO_RATE as f32).sin();
            (*l, *r) = (v, v);
        }
    };
    let audio = AudioSettings {
        codec: audio,
        bitrate_kbps: audio_kbps,
    };
    let mut ctx = EncoderContext::new(settings)
        .and_then(|c| c.with_audio_source(audio, tone))
        .unwrap();
    let mut yuv = YuvFrame::new(w, h);
    let mut packets = Vec::new();
    for n in 0..(seconds * fps) as u64 {
        comp.render(scene, n as f64 / fps)
            .unwrap()
            .to_i420(&mut yuv);
        ctx.send_frame(&yuv).unwrap();
        packets.extend(ctx.packets());
    }
    ctx.finish().unwrap();
    packets.extend(ctx.packets());
    (ctx.stream_info(), packets)
}
