//! Interop: the RTMP publisher against the servers people publish to, each started here on a
//! free loopback port, and what the server received or relays decoded with ffprobe/ffmpeg:
//!
//! | server | H.264 + AAC | AV1 + Opus (Enhanced RTMP) |
//! | --- | --- | --- |
//! | nginx-rtmp 1.2.2 (Debian) | recorded by nginx, every frame and audio packet decodes | taken; its recorder keeps the Opus packets but no AV1 frame (it does not know Enhanced key frames); we warn |
//! | FFmpeg 5.1 `-listen 1` | written by ffmpeg, every frame and audio packet decodes | taken, but FFmpeg 5.1 cannot read Enhanced RTMP and fails; we warn that the server did not list it |
//! | Node-Media-Server 2.7 | relayed over HTTP-FLV, every frame and audio packet decodes | relayed: every AV1 frame (re-packed by it as codec id 13 tags; decoded with libdav1d) and Opus packet; we warn all the same |
//! | nginx-rtmp behind nginx's `stream` TLS terminator | `rtmps://` with the CA trusted; without it one clear certificate error | — |
//!
//! Each test publishes pre-encoded packets through [`RtmpOutput`] (as fast as the queue takes
//! them once live; the timestamps carry the timing) and checks: live on the first attempt, no
//! reconnect, every packet sent, and the counts the server kept. A missing server fails the
//! test with what to install (`scripts/test.sh` installs them all). With
//! `STREAMCOMP_RECORD_RTMP=1` each server's side of the conversation is recorded for the replay
//! unit tests and the fuzz corpus (see `recording.rs`).

#[path = "../support/mod.rs"]
mod support;

mod flv;
mod recording;
#[path = "../support/servers.rs"]
mod servers;

use std::path::Path;
use std::sync::OnceLock;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::json;
use streamcomp_core::{
    LoadOptions, Scene, encode::AudioCodec, encode::Packet, encode::Track, encode::VideoCodec,
    encode::VideoSettings, output::Output, output::RtmpEvent, output::RtmpOptions,
    output::RtmpOutput, output::RtmpStats, output::RtmpStreamInfo, output::RtmpUrl,
};
use support::{Nginx, free_port, settle};

const KEY: &str = "interop-key";

/// `seconds` of `w`x`h` video at 30 fps with a key frame every second, and audio, encoded with
/// the built-in encoders, in time order.
fn encode(
    video: VideoCodec,
    audio: AudioCodec,
    (w, h): (u32, u32),
    seconds: f64,
) -> (RtmpStreamInfo, Vec<Packet>) {
    let fps = 30.0;
    let scene = Scene::from_value(
        json!({"width": w, "height": h, "fps": 30, "background": "#1d3557", "layers": [
            {"type": "ellipse", "x": 0, "y": 10, "width": h / 2, "height": h / 2, "color": "#f1faee",
             "animations": [{"property": "x", "from": 0, "to": w / 2, "duration": seconds}]}
        ]}),
        &LoadOptions::default(),
    )
    .unwrap();
    let mut settings = VideoSettings::new(w, h, fps);
    settings.codec = video;
    settings.bitrate_kbps = 300;
    settings.keyframe_interval = 1.0;
    let (info, mut packets) = support::encode_scene(&scene, &settings, (audio, 64), seconds);
    // Video first at equal times: the output starts on the first video key frame and skips
    // what comes before it.
    packets.sort_by(|a, b| {
        a.seconds()
            .total_cmp(&b.seconds())
            .then((a.track != Track::Video).cmp(&(b.track != Track::Video)))
    });
    (info, packets)
}

/// 3 s of 320x180 H.264 + AAC, encoded once.
fn h264_aac() -> &'static (RtmpStreamInfo, Vec<Packet>) {
    static M: OnceLock<(RtmpStreamInfo, Vec<Packet>)> = OnceLock::new();
    M.get_or_init(|| encode(VideoCodec::H264, AudioCodec::Aac, (320, 180), 3.0))
}

/// 2 s of 160x90 AV1 + Opus, encoded once.
fn av1_opus() -> &'static (RtmpStreamInfo, Vec<Packet>) {
    static M: OnceLock<(RtmpStreamInfo, Vec<Packet>)> = OnceLock::new();
    M.get_or_init(|| encode(VideoCodec::Av1, AudioCodec::Opus, (160, 90), 2.0))
}

fn count(packets: &[Packet], track: Track) -> usize {
    packets.iter().filter(|p| p.track == track).count()
}

/// What a publication did.
struct Published {
    stats: RtmpStats,
    events: Vec<RtmpEvent>,
}

/// Publishes `packets` to `url` once live (within `live_within`, else returns with what
/// happened), then finishes.
fn publish(url: &str, media: &(RtmpStreamInfo, Vec<Packet>), opts: RtmpOptions) -> Published {
    let (tx, rx) = mpsc::sync_channel(256);
    let mut opts = opts;
    opts.events = Some(tx);
    opts.backoff_seed = Some(3);
    let mut out = RtmpOutput::new(url.parse::<RtmpUrl>().unwrap(), media.0.clone(), opts).unwrap();
    let mut events = Vec::new();
    let live = wait_event(&rx, &mut events, Duration::from_secs(10), |e| {
        *e == RtmpEvent::Started
    });
    if live {
        for p in &media.1 {
            out.write(p).unwrap();
        }
    }
    let _ = out.finish();
    let stats = out.stats();
    events.extend(rx.try_iter());
    eprintln!("{url}: {stats:?}\nevents: {events:?}");
    Published { stats, events }
}

fn wait_event(
    rx: &Receiver<RtmpEvent>,
    seen: &mut Vec<RtmpEvent>,
    within: Duration,
    want: impl Fn(&RtmpEvent) -> bool,
) -> bool {
    let deadline = Instant::now() + within;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(e) => {
                let hit = want(&e);
                seen.push(e);
                if hit {
                    return true;
                }
            }
            Err(_) => return false,
        }
    }
    false
}

/// Live at once, never reconnected, every packet sent.
fn assert_clean(p: &Published, packets: usize) {
    assert_eq!(
        p.events.first(),
        Some(&RtmpEvent::Started),
        "{:?}",
        p.events
    );
    assert!(
        !p.events
            .iter()
            .any(|e| matches!(e, RtmpEvent::Reconnecting { .. } | RtmpEvent::Error(_))),
        "{:?}",
        p.events
    );
    assert_eq!(p.stats.reconnects, 0);
    assert_eq!(p.stats.failed_attempts, 0);
    assert_eq!(p.stats.dropped_packets, 0);
    assert!(p.stats.last_error.is_none(), "{:?}", p.stats);
    assert_eq!(p.stats.packets_sent as usize, packets, "{:?}", p.stats);
}

/// `(video packets, audio packets)` ffprobe reads from an FLV file, after checking the codecs
/// and that ffmpeg decodes it without a single error.
fn h264_aac_counts(file: &Path) -> (usize, usize) {
    let s = support::ffprobe(
        &[
            "-count_packets",
            "-show_entries",
            "stream=codec_type,codec_name,width,height,sample_rate,channels,nb_read_packets",
            "-of",
            "compact=p=0",
        ],
        file,
    );
    eprintln!("ffprobe {}:\n{s}", file.display());
    let n = |codec: &str| -> usize {
        s.lines()
            .find(|l| l.contains(&format!("codec_name={codec}")))
            .and_then(|l| l.rsplit("nb_read_packets=").next())
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {codec} stream in {}: {s}", file.display()))
    };
    assert!(s.contains("width=320|height=180"), "{s}");
    assert!(s.contains("sample_rate=48000|channels=2"), "{s}");
    support::assert_decodes(file);
    (n("h264"), n("aac"))
}

/// Asserts that the FLV `file` holds every video and audio packet of `packets` (and decodes
/// cleanly, see [`h264_aac_counts`]).
fn assert_every_packet(file: &Path, packets: &[Packet]) {
    let (v, a) = h264_aac_counts(file);
    assert_eq!(v, count(packets, Track::Video));
    assert_eq!(a, count(packets, Track::Audio));
}

/// Keeps what the recorder (if any) saw, as the session `name` (see `Recorder::save`).
fn keep(rec: Option<recording::Recorder>, name: &str, about: &str) {
    if let Some(r) = rec {
        r.save(name, about);
    }
}

/// The URL to publish to: the server's, or the recorder's in front of it when recording.
fn through_recorder(url: &str, port: u16) -> (String, Option<recording::Recorder>) {
    if recording::recording() {
        let r = recording::Recorder::start(port);
        (
            url.replace(&format!(":{port}/"), &format!(":{}/", r.port)),
            Some(r),
        )
    } else {
        (url.to_string(), None)
    }
}

#[test]
fn nginx_rtmp_records_every_frame_and_audio_packet() {
    let media = h264_aac();
    let dir = tempfile::tempdir().unwrap();
    let nginx = Nginx::start(dir.path(), free_port());
    let (url, rec) = through_recorder(&nginx.url(KEY), nginx.port);
    let p = publish(&url, media, RtmpOptions::default());
    assert_clean(&p, media.1.len());
    settle();
    assert_every_packet(&nginx.recording(KEY), &media.1);
    keep(
        rec,
        "nginx-rtmp-1.2.2",
        "nginx 1.22.1 + libnginx-mod-rtmp 1.2.2 (Debian 12)",
    );
}

#[test]
fn ffmpeg_listener_gets_every_frame_and_audio_packet() {
    let media = h264_aac();
    let dir = tempfile::tempdir().unwrap();
    let mut ffmpeg = servers::FfmpegListener::start(dir.path(), KEY);
    let (url, rec) = through_recorder(&ffmpeg.url(KEY), ffmpeg.port);
    let p = publish(&url, media, RtmpOptions::default());
    let status = ffmpeg.wait(Duration::from_secs(10));
    eprintln!("ffmpeg log:\n{}", ffmpeg.log());
    assert_clean(&p, media.1.len());
    assert!(status.is_some_and(|s| s.success()), "ffmpeg: {status:?}");
    assert_every_packet(&ffmpeg.out, &media.1);
    keep(rec, "ffmpeg-5.1-listen", "ffmpeg 5.1 -listen 1 (Debian 12)");
}

#[test]
fn node_media_server_relays_every_frame_and_audio_packet() {
    let media = h264_aac();
    let dir = tempfile::tempdir().unwrap();
    let nms = servers::NodeMediaServer::start(dir.path());
    // The HTTP-FLV player waits for the publisher, so it gets the stream from its start.
    let pull = servers::http_get_stream(
        nms.http_port,
        &format!("/live/{KEY}.flv"),
        Duration::from_secs(3),
    );
    std::thread::sleep(Duration::from_millis(300));
    let (url, rec) = through_recorder(&nms.url(KEY), nms.port);
    let p = publish(&url, media, RtmpOptions::default());
    assert_clean(&p, media.1.len());
    let body = pull.join().unwrap();
    let file = dir.path().join("nms-pull.flv");
    std::fs::write(&file, &body).unwrap();
    assert_every_packet(&file, &media.1);
    keep(
        rec,
        "node-media-server-2.7.4",
        "Node-Media-Server 2.7.4 (npm) on Node 20",
    );
}

#[test]
fn rtmps_through_nginx_stream_tls_terminator() {
    let media = h264_aac();
    let dir = tempfile::tempdir().unwrap();
    let (nginx, certs, url) = Nginx::behind_tls(dir.path(), KEY);

    // Without trusting the CA: one clear error naming the certificate and what to do.
    let mut opts = RtmpOptions::default();
    opts.connect_timeout = Duration::from_secs(3);
    opts.finish_timeout = Duration::from_millis(300);
    let (tx, rx) = mpsc::sync_channel(64);
    opts.events = Some(tx);
    let mut out = RtmpOutput::new(url.parse::<RtmpUrl>().unwrap(), media.0.clone(), opts).unwrap();
    let mut events = Vec::new();
    assert!(wait_event(&rx, &mut events, Duration::from_secs(5), |e| {
        matches!(e, RtmpEvent::Error(_))
    }));
    let _ = out.finish();
    let Some(RtmpEvent::Error(msg)) = events.last() else {
        panic!("{events:?}")
    };
    eprintln!("untrusted: {msg}");
    assert!(
        msg.contains("\"CN=127.0.0.1\" (issued by \"CN=streamcomp test CA\")")
            && msg.contains("not signed by a trusted certificate authority")
            && msg.contains("--ca-file"),
        "{msg}"
    );
    assert!(!msg.contains(KEY), "{msg}");

    // With the CA file: publishes, and nginx records every frame.
    let mut opts = RtmpOptions::default();
    opts.ca_file = Some(certs.ca.clone());
    let p = publish(&url, media, opts);
    assert_clean(&p, media.1.len());
    settle();
    assert_every_packet(&nginx.recording(KEY), &media.1);
}

/// Checks an Enhanced FLV stream (a file or HTTP-FLV body): every AV1 frame and Opus packet
/// that was sent is there as an Enhanced tag, and the AV1 frames decode with ffmpeg.
fn check_enhanced_flv(flv_bytes: &[u8], media: &[Packet], dir: &Path) {
    let tags = flv::tags(flv_bytes);
    let video = flv::av1_frames(&tags);
    let opus = flv::opus_frames(&tags);
    eprintln!(
        "{} tags: {} AV1 frames, {} Opus packets, OpusHead: {}",
        tags.len(),
        video.len(),
        opus.len(),
        flv::has_opus_head(&tags)
    );
    assert_eq!(video.len(), count(media, Track::Video));
    assert_eq!(opus.len(), count(media, Track::Audio));
    assert!(flv::has_opus_head(&tags));
    let ivf = dir.join("av1.ivf");
    std::fs::write(&ivf, flv::ivf(&video, 160, 90)).unwrap();
    support::assert_decodes(&ivf);
    let frames = support::ffprobe(
        &[
            "-count_frames",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
        ],
        &ivf,
    );
    assert_eq!(frames.trim(), count(media, Track::Video).to_string());
}

#[test]
fn nginx_rtmp_records_opus_but_not_enhanced_av1() {
    // nginx-rtmp 1.2.2 takes the publication, but its recorder waits for a key frame and reads
    // the frame type from the first byte's high nibble: an Enhanced key frame (0x91) is not
    // one to it, so no AV1 frame is recorded. The Opus tags are.
    let media = av1_opus();
    let dir = tempfile::tempdir().unwrap();
    let nginx = Nginx::start(dir.path(), free_port());
    let p = publish(&nginx.url(KEY), media, RtmpOptions::default());
    assert_clean(&p, media.1.len());
    assert!(p.events.iter().any(|e| matches!(e, RtmpEvent::Warning(_))));
    settle();
    let tags = flv::tags(&std::fs::read(nginx.recording(KEY)).unwrap());
    assert_eq!(flv::opus_frames(&tags).len(), count(&media.1, Track::Audio));
    assert!(flv::has_opus_head(&tags));
    assert_eq!(flv::av1_frames(&tags).len(), 0);
}

#[test]
fn node_media_server_relays_av1_and_opus() {
    let media = av1_opus();
    let dir = tempfile::tempdir().unwrap();
    let nms = servers::NodeMediaServer::start(dir.path());
    let pull = servers::http_get_stream(
        nms.http_port,
        &format!("/live/{KEY}.flv"),
        Duration::from_secs(3),
    );
    std::thread::sleep(Duration::from_millis(300));
    let p = publish(&nms.url(KEY), media, RtmpOptions::default());
    assert_clean(&p, media.1.len());
    check_enhanced_flv(&pull.join().unwrap(), &media.1, dir.path());
}

#[test]
fn ffmpeg_5_listener_cannot_read_enhanced_rtmp_and_we_warn() {
    // FFmpeg 5.1 takes the publication but its FLV reader knows no Enhanced RTMP: it fails on
    // the first tag. Nothing on the wire says so beforehand; what we can tell is that the server
    // did not list Enhanced RTMP in its answer to `connect`, and the output warns about that.
    let media = av1_opus();
    let dir = tempfile::tempdir().unwrap();
    let mut ffmpeg = servers::FfmpegListener::start(dir.path(), KEY);
    let p = publish(&ffmpeg.url(KEY), media, RtmpOptions::default());
    let status = ffmpeg.wait(Duration::from_secs(10));
    eprintln!("ffmpeg {status:?}:\n{}", ffmpeg.log());
    assert_eq!(
        p.events.first(),
        Some(&RtmpEvent::Started),
        "{:?}",
        p.events
    );
    let warning = p
        .events
        .iter()
        .find_map(|e| match e {
            RtmpEvent::Warning(m) => Some(m),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no warning: {:?}", p.events));
    assert!(
        warning.contains("did not list Enhanced RTMP") && warning.contains("AV1 or Opus"),
        "{warning}"
    );
    assert!(status.is_some_and(|s| !s.success()), "ffmpeg: {status:?}");
    assert!(ffmpeg.log_contains("Video codec (1) is not implemented"));
}
