//! Enhanced RTMP publishing checked by an E-RTMP-aware ingest: AV1 video as Enhanced video
//! tags (FourCC `av01`: SequenceStart with the AV1CodecConfigurationRecord, CodedFrames,
//! SequenceEnd) and Opus audio as Enhanced audio tags (FourCC `Opus`), with `fourCcList` in
//! `connect`; and, through the same ingest, H.264 + AAC as legacy tags, to show that the ingest
//! and this harness work.
//!
//! Why `rtmp-rs` (a dev-dependency): Debian's nginx-rtmp and ffmpeg 5.1 do not understand
//! Enhanced RTMP, so the `rtmp.rs` tests cannot check AV1/Opus. `rtmp-rs` 0.6 is a pure-Rust
//! tokio RTMP server with Enhanced RTMP v2 parsing; it runs in-process here on a free loopback
//! port. Its handler gets each message twice: the raw tag (`on_media_tag`) and the parsed frame
//! (`on_enhanced_video_frame`, `on_enhanced_audio_frame`, `on_video_frame`, `on_audio_frame`);
//! the test records both and checks the parsed codec, packet type, key flag and timestamps,
//! and the payload bytes against the packets that were written.
//!
//! rtmp-rs 0.6.0 reads a 3-byte composition time after the FourCC of every CodedFrames
//! video tag, whatever the codec; Enhanced RTMP has it for AVC and HEVC only (an AV1
//! CodedFrames body is the OBUs right away), so rtmp-rs's parsed AV1 `data` lacks the first
//! three OBU bytes and its `composition_time` is those bytes. The test accepts that reading
//! (and the spec's), and checks the OBUs on the raw tag.
//!
//! Media: ~3 s of 320x180 at 30 fps from the compositor, a key frame every second, real
//! encoders (rav1e or openh264; Opus or AAC), written as fast as the output takes them once it
//! is live (the queue holds them all; timestamps, not pacing, carry the 3 s).

mod support;

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use rtmp_rs::amf::AmfValue;
use rtmp_rs::media::{
    AacData, AudioFourCc, EnhancedAudioData, EnhancedVideoData, FlvTag, FlvTagType, H264Data,
    VideoFourCc,
};
use rtmp_rs::protocol::message::{ConnectParams, PublishParams};
use rtmp_rs::server::handler::MediaDeliveryMode;
use rtmp_rs::session::{SessionContext, StreamContext};
use rtmp_rs::{AuthResult, RtmpHandler, RtmpServer, ServerConfig};
use serde_json::json;
use streamcomp_core::{
    LoadOptions, Scene, encode::AUDIO_RATE, encode::AudioCodec, encode::Packet, encode::Track,
    encode::VIDEO_TIMESCALE, encode::VideoCodec, encode::VideoSettings, output::Output,
    output::RtmpEvent, output::RtmpOptions, output::RtmpOutput, output::RtmpState,
    output::RtmpStreamInfo,
};

const FPS: f64 = 30.0;
const SECONDS: f64 = 3.0;
/// One frame at 30 fps, in ms (rounded up): the tolerance of key frame times.
const FRAME_MS: u32 = 34;

// ---------------------------------------------------------------------------------------------
// The ingest: an rtmp-rs server on a tokio runtime of its own, recording what it gets.

/// What the server saw, in arrival order.
#[derive(Default)]
struct Seen {
    connects: Vec<ConnectParams>,
    fc_publishes: Vec<String>,
    /// (stream key, publish type, Enhanced RTMP negotiated on the session)
    publishes: Vec<(String, String, bool)>,
    metadata: Vec<HashMap<String, AmfValue>>,
    /// Raw audio/video tags (`on_media_tag`).
    tags: Vec<FlvTag>,
    ex_video: Vec<(u32, EnhancedVideoData)>,
    ex_audio: Vec<(u32, EnhancedAudioData)>,
    avc: Vec<(u32, H264Data)>,
    aac: Vec<(u32, AacData)>,
    keyframes: Vec<u32>,
    unpublished: Vec<String>,
}

impl Seen {
    fn tags(&self, kind: FlvTagType) -> Vec<&FlvTag> {
        self.tags.iter().filter(|t| t.tag_type == kind).collect()
    }
}

struct Recorder(Arc<Mutex<Seen>>);

impl Recorder {
    fn log(&self) -> MutexGuard<'_, Seen> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl RtmpHandler for Recorder {
    async fn on_connect(&self, _ctx: &SessionContext, params: &ConnectParams) -> AuthResult {
        self.log().connects.push(params.clone());
        AuthResult::Accept
    }

    async fn on_fc_publish(&self, _ctx: &SessionContext, stream_key: &str) -> AuthResult {
        self.log().fc_publishes.push(stream_key.to_string());
        AuthResult::Accept
    }

    async fn on_publish(&self, ctx: &SessionContext, params: &PublishParams) -> AuthResult {
        self.log().publishes.push((
            params.stream_key.clone(),
            params.publish_type.clone(),
            ctx.is_enhanced_rtmp(),
        ));
        AuthResult::Accept
    }

    async fn on_metadata(&self, _ctx: &StreamContext, metadata: &HashMap<String, AmfValue>) {
        self.log().metadata.push(metadata.clone());
    }

    async fn on_media_tag(&self, _ctx: &StreamContext, tag: &FlvTag) -> bool {
        self.log().tags.push(tag.clone());
        true
    }

    async fn on_video_frame(&self, _ctx: &StreamContext, frame: &H264Data, timestamp: u32) {
        self.log().avc.push((timestamp, frame.clone()));
    }

    async fn on_audio_frame(&self, _ctx: &StreamContext, frame: &AacData, timestamp: u32) {
        self.log().aac.push((timestamp, frame.clone()));
    }

    async fn on_keyframe(&self, _ctx: &StreamContext, timestamp: u32) {
        self.log().keyframes.push(timestamp);
    }

    async fn on_unpublish(&self, ctx: &StreamContext) {
        self.log().unpublished.push(ctx.stream_key.clone());
    }

    fn media_delivery_mode(&self) -> MediaDeliveryMode {
        MediaDeliveryMode::Both
    }

    async fn on_enhanced_video_frame(
        &self,
        _ctx: &StreamContext,
        frame: &EnhancedVideoData,
        timestamp: u32,
    ) {
        self.log().ex_video.push((timestamp, frame.clone()));
    }

    async fn on_enhanced_audio_frame(
        &self,
        _ctx: &StreamContext,
        frame: &EnhancedAudioData,
        timestamp: u32,
    ) {
        self.log().ex_audio.push((timestamp, frame.clone()));
    }
}

/// An rtmp-rs server on 127.0.0.1; its runtime (and so the server) stops on [`Ingest::stop`]
/// or drop.
struct Ingest {
    rt: Option<tokio::runtime::Runtime>,
    port: u16,
    seen: Arc<Mutex<Seen>>,
}

impl Ingest {
    fn start() -> Ingest {
        // rtmp-rs binds the address itself: take a free port and hand it over.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rtmp-rs-ingest")
            .enable_all()
            .build()
            .unwrap();
        let config = ServerConfig::with_addr(SocketAddr::from(([127, 0, 0, 1], port)));
        let server = RtmpServer::new(config, Recorder(seen.clone()));
        rt.spawn(async move {
            if let Err(e) = server.run().await {
                eprintln!("rtmp-rs server: {e}");
            }
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "rtmp-rs did not listen on {port}"
            );
            thread::sleep(Duration::from_millis(5));
        }
        Ingest {
            rt: Some(rt),
            port,
            seen,
        }
    }

    fn url(&self, key: &str) -> streamcomp_core::output::RtmpUrl {
        format!("rtmp://127.0.0.1:{}/live/{key}", self.port)
            .parse()
            .unwrap()
    }

    /// Waits until the server has handled the unpublish of `key` (it comes after all media).
    fn wait_unpublished(&self, key: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        loop {
            if self
                .seen
                .lock()
                .unwrap()
                .unpublished
                .iter()
                .any(|k| k == key)
            {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Stops the server and returns what it saw.
    fn stop(mut self) -> Seen {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

impl Drop for Ingest {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Media and publishing

/// `SECONDS` of 320x180 video at 30 fps (a key frame every second) and 48 kHz stereo audio,
/// in time order.
fn encode(video: VideoCodec, audio: AudioCodec) -> (RtmpStreamInfo, Vec<Packet>) {
    let scene = Scene::from_value(
        json!({"width": 320, "height": 180, "fps": 30, "background": "#1d3557", "layers": [
            {"type": "rect", "x": 0, "y": 140, "width": 320, "height": 40, "color": "#e63946"},
            {"type": "ellipse", "x": 10, "y": 20, "width": 80, "height": 80, "color": "#f1faee",
             "animations": [{"property": "x", "from": 10, "to": 230, "duration": 3}]},
            {"type": "text", "text": "streamcomp e-rtmp", "x": 10, "y": 148, "font_size": 20, "color": "#ffffff"}
        ]}),
        &LoadOptions::default(),
    )
    .unwrap();
    let mut settings = VideoSettings::new(320, 180, FPS);
    settings.codec = video;
    // rav1e 0.8.1 panics on an i64 overflow in its rate control (rate.rs:1116, with overflow
    // checks, as in test builds) for some inputs: this scene at 1000 kbit/s, or at 500 without
    // its text layer (xiph/rav1e#2255). These settings do not hit it.
    settings.bitrate_kbps = 500;
    settings.keyframe_interval = 1.0;
    let (info, mut packets) = support::encode_scene(&scene, &settings, (audio, 128), SECONDS);
    packets.sort_by(|a, b| a.seconds().total_cmp(&b.seconds()));
    (info, packets)
}

/// A packet's RTMP timestamp (ms), as the publisher computes it (the first key frame is at 0).
fn packet_ms(p: &Packet) -> u32 {
    let rate = match p.track {
        Track::Video => VIDEO_TIMESCALE,
        Track::Audio => AUDIO_RATE,
    } as i64;
    (p.pts.max(0) * 1000 / rate) as u32
}

/// What the publisher sends of `packets`: everything from the first video key frame on (it
/// skips what comes before, e.g. audio at 0 queued ahead of the encoder's first packet).
fn sendable(packets: &[Packet]) -> &[Packet] {
    let first = packets
        .iter()
        .position(|p| p.track == Track::Video && p.key)
        .expect("a video key frame");
    assert_eq!(packet_ms(&packets[first]), 0, "the first key frame is at 0");
    &packets[first..]
}

/// Publishes `packets` to `ingest` under `key` and finishes; returns the output's stats.
fn publish(
    ingest: &Ingest,
    key: &str,
    info: &RtmpStreamInfo,
    packets: &[Packet],
) -> streamcomp_core::output::RtmpStats {
    let (tx, rx) = mpsc::sync_channel(64);
    let mut opts = RtmpOptions::default();
    opts.events = Some(tx);
    let mut out = RtmpOutput::new(ingest.url(key), info.clone(), opts).unwrap();
    // Packets written before the output is live would be skipped: wait for it.
    expect_event(&rx, &RtmpEvent::Started, Duration::from_secs(5));
    for p in packets {
        out.write(p).unwrap();
    }
    out.finish().unwrap();
    expect_event(&rx, &RtmpEvent::Stopped, Duration::from_secs(2));
    assert!(
        ingest.wait_unpublished(key, Duration::from_secs(5)),
        "the ingest saw no unpublish of the key"
    );
    out.stats()
}

fn expect_event(rx: &Receiver<RtmpEvent>, want: &RtmpEvent, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(e) if &e == want => return,
            Ok(RtmpEvent::Error(e)) => panic!("RTMP output error: {e}"),
            Ok(_) => {}
            Err(e) => panic!("no {want:?} within {within:?}: {e}"),
        }
    }
}

/// Checks the connect and publish the ingest saw; `enhanced`: E-RTMP expected.
fn check_session(seen: &Seen, key: &str, enhanced: bool) {
    assert_eq!(seen.connects.len(), 1, "one connect");
    let c = &seen.connects[0];
    eprintln!(
        "connect: app={:?} tcUrl={:?} flashVer={:?} fourCcList={:?}",
        c.app, c.tc_url, c.flash_ver, c.fourcc_list
    );
    assert_eq!(c.app, "live");
    if enhanced {
        let list = c.fourcc_list.as_ref().expect("fourCcList in connect");
        for codec in ["av01", "Opus"] {
            assert!(list.iter().any(|s| s == codec), "{codec} in {list:?}");
        }
        assert!(c.has_enhanced_rtmp());
    } else {
        assert_eq!(c.fourcc_list, None, "no fourCcList for legacy codecs");
        assert!(!c.has_enhanced_rtmp());
    }
    eprintln!(
        "FCPublish: {:?}; publish (key, type, E-RTMP negotiated): {:?}",
        seen.fc_publishes, seen.publishes
    );
    assert_eq!(
        seen.publishes,
        [(key.to_string(), "live".to_string(), enhanced)]
    );
    assert_eq!(seen.fc_publishes, [key]);
    assert_eq!(seen.unpublished, [key]);
}

/// Checks the `onMetaData` codec ids.
fn check_metadata(seen: &Seen, videocodecid: f64, audiocodecid: f64) {
    assert_eq!(seen.metadata.len(), 1, "one onMetaData");
    let m = &seen.metadata[0];
    let num = |k: &str| m.get(k).and_then(AmfValue::as_number);
    eprintln!(
        "onMetaData: {}x{} @ {:?} fps, videocodecid {:?}, audiocodecid {:?}",
        num("width").unwrap_or(0.0),
        num("height").unwrap_or(0.0),
        num("framerate"),
        num("videocodecid"),
        num("audiocodecid")
    );
    assert_eq!(num("width"), Some(320.0));
    assert_eq!(num("height"), Some(180.0));
    assert_eq!(num("videocodecid"), Some(videocodecid));
    assert_eq!(num("audiocodecid"), Some(audiocodecid));
}

/// Checks video frame timestamps: exactly the packets' times, rising, key frames at 0, 1 and
/// 2 s (±1 frame) and nowhere else.
fn check_video_times(frames: &[(u32, bool)], sent: &[&Packet]) {
    let times: Vec<u32> = frames.iter().map(|f| f.0).collect();
    let want: Vec<u32> = sent.iter().map(|p| packet_ms(p)).collect();
    assert_eq!(times, want, "video timestamps");
    assert!(times.windows(2).all(|w| w[0] < w[1]), "rising: {times:?}");
    let keys: Vec<u32> = frames.iter().filter(|f| f.1).map(|f| f.0).collect();
    eprintln!(
        "{} video frames, ts {}..={} ms, key frames at {keys:?} ms",
        frames.len(),
        times[0],
        times[times.len() - 1]
    );
    assert_eq!(keys.len(), 3, "key frames at {keys:?}");
    for (k, want) in keys.iter().zip([0, 1000, 2000]) {
        assert!(
            k.abs_diff(want) <= FRAME_MS,
            "key frame at {k} ms, want {want}"
        );
    }
    let sent_keys: Vec<bool> = sent.iter().map(|p| p.key).collect();
    let got_keys: Vec<bool> = frames.iter().map(|f| f.1).collect();
    assert_eq!(got_keys, sent_keys, "key flags");
}

/// All media tags form one non-decreasing timeline.
fn check_timeline(seen: &Seen) {
    let ts: Vec<u32> = seen
        .tags
        .iter()
        .filter(|t| t.tag_type != FlvTagType::Script)
        .map(|t| t.timestamp)
        .collect();
    assert!(
        ts.windows(2).all(|w| w[0] <= w[1]),
        "audio+video timeline goes back: {ts:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Bitstream helpers

fn leb128(b: &[u8]) -> (usize, usize) {
    let mut v = 0usize;
    for (i, &byte) in b.iter().enumerate().take(8) {
        v |= ((byte & 0x7f) as usize) << (7 * i);
        if byte & 0x80 == 0 {
            return (v, i + 1);
        }
    }
    panic!("bad leb128");
}

/// The OBUs of an AV1 temporal unit as (obu_type, the whole OBU); all must carry sizes.
fn obus(mut b: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let header = b[0];
        assert!(header & 0x02 != 0, "OBU without obu_has_size_field");
        let start = 1 + usize::from(header & 0x04 != 0);
        let (size, n) = leb128(&b[start..]);
        let end = start + n + size;
        assert!(end <= b.len(), "OBU overruns its tag");
        out.push(((header >> 3) & 0x0f, &b[..end]));
        b = &b[end..];
    }
    out
}

const OBU_SEQUENCE_HEADER: u8 = 1;
const OBU_TEMPORAL_DELIMITER: u8 = 2;

/// The NAL units of an Annex B access unit, without start codes.
fn annex_b(b: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new(); // (start code position, payload start)
    let mut i = 0;
    while i + 3 <= b.len() {
        if b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1 {
            starts.push((i, i + 3));
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut nals = Vec::new();
    for (n, &(_, from)) in starts.iter().enumerate() {
        let mut to = starts.get(n + 1).map_or(b.len(), |s| s.0);
        while to > from && b[to - 1] == 0 {
            to -= 1;
        }
        nals.push(&b[from..to]);
    }
    nals
}

/// The NAL units of an AVCC sample (4-byte lengths).
fn avcc(mut b: &[u8]) -> Vec<&[u8]> {
    let mut nals = Vec::new();
    while b.len() >= 4 {
        let len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
        assert!(4 + len <= b.len(), "AVCC NAL overruns its sample");
        nals.push(&b[4..4 + len]);
        b = &b[4 + len..];
    }
    assert!(b.is_empty(), "trailing bytes in an AVCC sample");
    nals
}

/// Slice and other picture NALs (SPS 7, PPS 8 and AUD 9 dropped: they may or may not be
/// repeated in samples).
fn picture_nals(nals: Vec<&[u8]>) -> Vec<&[u8]> {
    nals.into_iter()
        .filter(|n| !matches!(n[0] & 0x1f, 7..=9))
        .collect()
}

fn fourcc_number(f: &[u8; 4]) -> f64 {
    u32::from_be_bytes(*f) as f64
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn av1_and_opus_arrive_as_enhanced_rtmp() {
    const KEY: &str = "ertmp-av1-key";
    let t0 = Instant::now();
    let (info, packets) = encode(VideoCodec::Av1, AudioCodec::Opus);
    let encoded = t0.elapsed();
    let sent = sendable(&packets);
    let sent_video: Vec<&Packet> = sent.iter().filter(|p| p.track == Track::Video).collect();
    let sent_audio: Vec<&Packet> = sent.iter().filter(|p| p.track == Track::Audio).collect();

    let ingest = Ingest::start();
    let t1 = Instant::now();
    let stats = publish(&ingest, KEY, &info, &packets);
    let published = t1.elapsed();
    let seen = ingest.stop();
    eprintln!("encoded in {encoded:?}, published in {published:?}; {stats:?}");

    check_session(&seen, KEY, true);
    check_metadata(&seen, fourcc_number(b"av01"), fourcc_number(b"Opus"));
    check_timeline(&seen);
    assert!(
        seen.avc.is_empty() && seen.aac.is_empty(),
        "no legacy frames"
    );

    // Video: every tag parsed by rtmp-rs as Enhanced video.
    let vtags = seen.tags(FlvTagType::Video);
    assert_eq!(
        seen.ex_video.len(),
        vtags.len(),
        "rtmp-rs parsed only {} of {} video tags",
        seen.ex_video.len(),
        vtags.len()
    );
    assert!(vtags.len() >= 2, "{} video tags", vtags.len());

    // The first video message: SequenceStart with the AV1CodecConfigurationRecord.
    let (ts, first) = &seen.ex_video[0];
    let EnhancedVideoData::SequenceHeader { codec, config, .. } = first else {
        panic!("first video message is not a sequence start: {first:?}");
    };
    assert_eq!(*codec, VideoFourCc::Av1);
    assert_eq!(*ts, 0);
    assert_eq!(
        vtags[0].data[0] & 0x8f,
        0x80,
        "ExVideoTagHeader, SequenceStart"
    );
    assert_eq!(&vtags[0].data[1..5], b"av01");
    assert_eq!(config[..], vtags[0].data[5..]);
    assert!(config.len() > 4, "av1C without configOBUs");
    assert_eq!(config[0], 0x81, "av1C marker + version 1");
    let config_obus = obus(&config[4..]);
    assert_eq!(
        config_obus.iter().map(|o| o.0).collect::<Vec<_>>(),
        [OBU_SEQUENCE_HEADER],
        "configOBUs: one sequence header OBU"
    );
    let key_seq = obus(&sent_video[0].data)
        .into_iter()
        .find(|o| o.0 == OBU_SEQUENCE_HEADER)
        .expect("sequence header OBU in the first key frame");
    assert_eq!(config_obus[0].1, key_seq.1, "configOBUs = the encoder's");
    eprintln!(
        "AV1 sequence start: av1C {:02x?} + {}-byte sequence header OBU = {} B",
        &config[..4],
        config_obus[0].1.len(),
        config.len()
    );

    // Then one CodedFrames message per packet, then SequenceEnd.
    let (end_ts, last) = seen.ex_video.last().unwrap();
    assert!(
        matches!(
            last,
            EnhancedVideoData::SequenceEnd {
                codec: VideoFourCc::Av1
            }
        ),
        "last video message: {last:?}"
    );
    let frames = &seen.ex_video[1..seen.ex_video.len() - 1];
    let frame_tags = &vtags[1..vtags.len() - 1];
    assert!(
        frames.len() >= 80,
        "{} AV1 coded frames (want >= 80)",
        frames.len()
    );
    assert_eq!(frames.len(), sent_video.len(), "every AV1 packet arrived");
    let (mut spec_reading, mut si24_reading) = (0, 0);
    let mut times = Vec::new();
    for (((ts, f), tag), p) in frames.iter().zip(frame_tags).zip(&sent_video) {
        let EnhancedVideoData::Frame {
            codec,
            frame_type,
            composition_time,
            data,
        } = f
        else {
            panic!("at {ts} ms: not a coded frame: {f:?}");
        };
        assert_eq!(*codec, VideoFourCc::Av1);
        assert_eq!(tag.data[0] & 0x8f, 0x81, "ExVideoTagHeader, CodedFrames");
        assert_eq!(tag.timestamp, *ts);
        // The OBUs on the wire: the packet's, without its temporal delimiter.
        let body = &tag.data[5..];
        let want: Vec<u8> = obus(&p.data)
            .into_iter()
            .filter(|o| o.0 != OBU_TEMPORAL_DELIMITER)
            .flat_map(|o| o.1.iter().copied())
            .collect();
        assert_eq!(body, &want[..], "OBUs of the frame at {ts} ms");
        assert!(
            obus(body).iter().all(|o| o.0 != OBU_TEMPORAL_DELIMITER),
            "temporal delimiter sent"
        );
        // What rtmp-rs made of them (see the module docs).
        let si24 = i32::from_be_bytes([0, body[0], body[1], body[2]]);
        let si24 = if si24 & 0x80_0000 != 0 {
            si24 | !0xff_ffff
        } else {
            si24
        };
        if data[..] == body[..] && *composition_time == 0 {
            spec_reading += 1;
        } else if data[..] == body[3..] && *composition_time == si24 {
            si24_reading += 1;
        } else {
            panic!("rtmp-rs's AV1 frame at {ts} ms: cts {composition_time}, {data:?}");
        }
        assert_eq!(frame_type.is_keyframe(), p.key, "key flag at {ts} ms");
        times.push((*ts, frame_type.is_keyframe()));
    }
    check_video_times(&times, &sent_video);
    // The publisher stamps SequenceEnd with the last media time (audio may end later).
    let last_media = seen.tags.iter().map(|t| t.timestamp).max().unwrap();
    assert_eq!(*end_ts, last_media, "SequenceEnd at the end");
    // rtmp-rs's on_keyframe also fires for SequenceEnd (its frame type is 1, "key").
    let mut keys: Vec<u32> = times.iter().filter(|f| f.1).map(|f| f.0).collect();
    keys.push(*end_ts);
    assert_eq!(seen.keyframes, keys, "rtmp-rs on_keyframe");
    eprintln!(
        "rtmp-rs read {spec_reading} AV1 CodedFrames as OBUs (spec), {si24_reading} with a \
         3-byte composition time taken from the OBUs (its AVC/HEVC reading)"
    );
    assert!(spec_reading == 0 || si24_reading == 0, "mixed readings");

    // Audio: Opus SequenceStart with the OpusHead, then one Opus frame per packet.
    let atags = seen.tags(FlvTagType::Audio);
    assert_eq!(
        seen.ex_audio.len(),
        atags.len(),
        "rtmp-rs parsed only {} of {} audio tags",
        seen.ex_audio.len(),
        atags.len()
    );
    let (ts, first) = &seen.ex_audio[0];
    let EnhancedAudioData::SequenceHeader { codec, config } = first else {
        panic!("first audio message is not a sequence start: {first:?}");
    };
    assert_eq!((*codec, *ts), (AudioFourCc::Opus, 0));
    assert!(config.starts_with(b"OpusHead"), "{config:?}");
    assert_eq!(Some(&config[..]), info.audio.as_ref().map(|a| &a.1[..]));
    assert_eq!(atags[0].data[0], 0x90, "ExAudioTagHeader, SequenceStart");
    let audio = &seen.ex_audio[1..];
    let mut last = 0;
    for (((ts, f), tag), p) in audio.iter().zip(&atags[1..]).zip(&sent_audio) {
        let EnhancedAudioData::Frame { codec, data } = f else {
            panic!("at {ts} ms: not an audio frame: {f:?}");
        };
        assert_eq!(*codec, AudioFourCc::Opus, "Opus at {ts} ms");
        assert_eq!(tag.data[0], 0x91, "ExAudioTagHeader, CodedFrames");
        assert_eq!(&tag.data[1..5], b"Opus");
        assert_eq!(data[..], p.data[..], "Opus packet at {ts} ms");
        assert_eq!(*ts, packet_ms(p), "Opus timestamp");
        assert!(*ts >= last, "audio time goes back at {ts} ms");
        last = *ts;
    }
    eprintln!(
        "{} Opus frames (of {} written), ts {}..={} ms",
        audio.len(),
        packets.iter().filter(|p| p.track == Track::Audio).count(),
        audio.first().map_or(0, |a| a.0),
        last
    );
    assert_eq!(audio.len(), sent_audio.len(), "every sendable Opus packet");
    assert!(
        (145..=152).contains(&audio.len()),
        "{} Opus frames for 3 s of 20 ms",
        audio.len()
    );

    assert_eq!(stats.state, RtmpState::Stopped);
    assert_eq!(stats.dropped_packets, 0);
    assert_eq!(stats.packets_sent as usize, frames.len() + audio.len());
    assert!(stats.last_error.is_none(), "{stats:?}");
}

#[test]
fn h264_and_aac_arrive_as_legacy_tags() {
    const KEY: &str = "legacy-h264-key";
    let (info, packets) = encode(VideoCodec::H264, AudioCodec::Aac);
    let sent = sendable(&packets);
    let sent_video: Vec<&Packet> = sent.iter().filter(|p| p.track == Track::Video).collect();
    let sent_audio: Vec<&Packet> = sent.iter().filter(|p| p.track == Track::Audio).collect();

    let ingest = Ingest::start();
    let stats = publish(&ingest, KEY, &info, &packets);
    let seen = ingest.stop();
    eprintln!("{stats:?}");

    check_session(&seen, KEY, false);
    check_metadata(&seen, 7.0, 10.0);
    check_timeline(&seen);
    assert!(
        seen.ex_video.is_empty() && seen.ex_audio.is_empty(),
        "no Enhanced frames"
    );

    // Video: AVC sequence header with the encoder's SPS/PPS, then one frame per packet.
    let vtags = seen.tags(FlvTagType::Video);
    assert_eq!(
        seen.avc.len(),
        vtags.len(),
        "rtmp-rs parsed every video tag"
    );
    let (ts, first) = &seen.avc[0];
    let H264Data::SequenceHeader(cfg) = first else {
        panic!("first video message is not an AVC sequence header: {first:?}");
    };
    assert_eq!(*ts, 0);
    let key_nals = annex_b(&sent_video[0].data);
    let sps: Vec<&[u8]> = key_nals
        .iter()
        .copied()
        .filter(|n| n[0] & 0x1f == 7)
        .collect();
    let pps: Vec<&[u8]> = key_nals
        .iter()
        .copied()
        .filter(|n| n[0] & 0x1f == 8)
        .collect();
    assert_eq!(cfg.sps.iter().map(|s| &s[..]).collect::<Vec<_>>(), sps);
    assert_eq!(cfg.pps.iter().map(|s| &s[..]).collect::<Vec<_>>(), pps);
    eprintln!(
        "AVC sequence header: profile {} level {} ({} B SPS, {} B PPS)",
        cfg.profile,
        cfg.level,
        cfg.sps[0].len(),
        cfg.pps[0].len()
    );
    let mut times = Vec::new();
    for (ts, f) in &seen.avc[1..] {
        let H264Data::Frame {
            keyframe, nalus, ..
        } = f
        else {
            panic!("at {ts} ms: not an AVC frame: {f:?}");
        };
        let p = sent_video
            .get(times.len())
            .unwrap_or_else(|| panic!("more frames than packets at {ts} ms"));
        assert_eq!(
            picture_nals(avcc(nalus)),
            picture_nals(annex_b(&p.data)),
            "NAL units of the frame at {ts} ms"
        );
        times.push((*ts, *keyframe));
    }
    check_video_times(&times, &sent_video);

    // Audio: AAC sequence header (LC, 48 kHz, stereo), then one access unit per packet.
    let atags = seen.tags(FlvTagType::Audio);
    assert_eq!(
        seen.aac.len(),
        atags.len(),
        "rtmp-rs parsed every audio tag"
    );
    let AacData::SequenceHeader(asc) = &seen.aac[0].1 else {
        panic!("first audio message is not an AAC sequence header");
    };
    assert_eq!(
        (
            asc.audio_object_type,
            asc.sampling_frequency,
            asc.channel_configuration
        ),
        (2, 48_000, 2)
    );
    let audio = &seen.aac[1..];
    for ((ts, f), p) in audio.iter().zip(&sent_audio) {
        let AacData::Frame { data } = f else {
            panic!("at {ts} ms: not an AAC frame");
        };
        assert_eq!(data[..], p.data[..], "AAC access unit at {ts} ms");
        assert_eq!(*ts, packet_ms(p), "AAC timestamp");
    }
    assert_eq!(audio.len(), sent_audio.len(), "every sendable AAC packet");
    eprintln!(
        "{} AAC frames, ts {}..={} ms",
        audio.len(),
        audio.first().map_or(0, |a| a.0),
        audio.last().map_or(0, |a| a.0)
    );

    assert_eq!(stats.dropped_packets, 0);
    assert_eq!(stats.packets_sent as usize, times.len() + audio.len());
    assert!(stats.last_error.is_none(), "{stats:?}");
}
