//! H.264 (openh264) encoding of real composed frames at 1280×720 and 1920×1080: the overlay
//! scene's moving frames, pre-rendered and converted, encoded in a loop (one iteration = one
//! frame sent and its packets taken). Frames per second = 1 / the time per iteration.

use criterion::{Criterion, criterion_group, criterion_main};
use streamcomp_benches::load;
use streamcomp_core::{Frame, VIDEO_TIMESCALE, VideoSettings, YuvFrame, new_video_encoder};

/// 60 frames (two seconds) of the overlay scene at `width`×`height`.
fn frames(width: u32, height: u32) -> Vec<YuvFrame> {
    let (scene, mut comp) = load("overlay.json", 1, true);
    let mut scaled = Frame::new(width, height);
    (0..60)
        .map(|i| {
            let f = comp.render(&scene, i as f64 / 30.0).expect("render");
            let mut yuv = YuvFrame::new(width, height);
            if (f.width(), f.height()) == (width, height) {
                f.to_i420(&mut yuv);
            } else {
                f.resize_into(&mut scaled, Default::default());
                scaled.to_i420(&mut yuv);
            }
            yuv
        })
        .collect()
}

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode_h264");
    g.sample_size(30);
    for (w, h, bitrate) in [(1280, 720, 4000), (1920, 1080, 6000)] {
        let input = frames(w, h);
        let mut settings = VideoSettings::new(w, h, 30.0);
        settings.bitrate_kbps = bitrate;
        let mut enc = new_video_encoder(&settings).expect("encoder");
        let mut n = 0i64;
        g.bench_function(format!("{w}x{h}"), |b| {
            b.iter(|| {
                let f = &input[n as usize % input.len()];
                enc.send_frame(Some(f), n * VIDEO_TIMESCALE as i64 / 30)
                    .expect("encode");
                while enc.receive_packet().expect("packet").is_some() {}
                n += 1;
            })
        });
    }
    g.finish();
}

criterion_group!(benches, encode);
criterion_main!(benches);
