//! Encoded media for the publishing tests: a scene rendered and encoded with the built-in
//! encoders, with a quiet 440 Hz tone as its sound (so the audio track is not all zeros).

use streamcomp_core::{
    AUDIO_RATE, AssetResolver, AudioCodec, Compositor, CompositorOptions, Packet, RtmpStreamInfo,
    Scene, VIDEO_TIMESCALE, VideoSettings, YuvFrame, new_audio_encoder, new_video_encoder,
};

/// `seconds` of `scene` encoded with `settings` (its size, rate and codec) and the tone in
/// `audio` at `audio_kbps`: the stream description for an RTMP output and every packet, in the
/// order the encoders made them (callers sort them as their test needs).
pub(crate) fn encode_scene(
    scene: &Scene,
    settings: &VideoSettings,
    (audio, audio_kbps): (AudioCodec, u32),
    seconds: f64,
) -> (RtmpStreamInfo, Vec<Packet>) {
    let (w, h, fps) = (settings.width, settings.height, settings.fps);
    let mut comp = Compositor::new(
        CompositorOptions::default(),
        AssetResolver::default().with_system_fonts(false),
    );
    let mut venc = new_video_encoder(settings).unwrap();
    let mut aenc = new_audio_encoder(audio, audio_kbps).unwrap();
    let mut info = RtmpStreamInfo::new(w, h, fps).with_audio(audio, aenc.config());
    info.video = settings.codec;
    let mut yuv = YuvFrame::new(w, h);
    let mut packets = Vec::new();
    let mut samples = 0u64;
    for n in 0..(seconds * fps) as u64 {
        comp.render(scene, n as f64 / fps)
            .unwrap()
            .to_i420(&mut yuv);
        let pts = (n as f64 * VIDEO_TIMESCALE as f64 / fps).round() as i64;
        venc.send_frame(Some(&yuv), pts).unwrap();
        while let Some(p) = venc.receive_packet().unwrap() {
            packets.push(p);
        }
        let until = ((n + 1) as f64 * AUDIO_RATE as f64 / fps).round() as u64;
        let tone: Vec<f32> = (samples..until)
            .map(|i| 0.1 * (i as f32 * 440.0 * std::f32::consts::TAU / AUDIO_RATE as f32).sin())
            .collect();
        samples = until;
        packets.extend(aenc.encode(&tone, &tone).unwrap());
    }
    venc.send_frame(None, 0).unwrap();
    while let Some(p) = venc.receive_packet().unwrap() {
        packets.push(p);
    }
    packets.extend(aenc.finish().unwrap());
    (info, packets)
}
