//! RTMP publishing against a real nginx-rtmp that each test starts on a free loopback port
//! (Debian `nginx-light` + `libnginx-mod-rtmp`): the recording is checked with ffprobe/ffmpeg,
//! the live stream is pulled with ffmpeg while publishing, nginx is killed and restarted to
//! check reconnects, a server that never reads checks the queue, and a TLS proxy in the test
//! (certificates made by the `openssl` program) checks `rtmps://`.
//!
//! Packets are encoded once (320x180, 30 fps, H.264 + AAC, a key frame every second) and fed
//! paced at real time. A missing nginx, RTMP module or ffmpeg fails the tests with what to
//! install. The nginx harness is the one in `tests/support/` that the live tests use too.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;
use streamcomp_core::{
    LoadOptions, Scene, encode::AudioCodec, encode::Packet, encode::VideoSettings, output::Output,
    output::OutputError, output::RtmpEvent, output::RtmpOptions, output::RtmpOutput,
    output::RtmpState, output::RtmpStreamInfo, output::RtmpUrl,
};
use support::{Nginx, assert_decodes, ffprobe, free_port, settle, video_packet_rows};

const KEY: &str = "s3cret-key";
const FPS: f64 = 30.0;

// ---------------------------------------------------------------------------------------------
// nginx

// ---------------------------------------------------------------------------------------------
// media

/// 10 s of 320x180 H.264 + AAC packets in time order, encoded once for all tests.
fn media() -> &'static (RtmpStreamInfo, Vec<Packet>) {
    static MEDIA: OnceLock<(RtmpStreamInfo, Vec<Packet>)> = OnceLock::new();
    MEDIA.get_or_init(|| {
        let scene = Scene::from_value(
            json!({"width": 320, "height": 180, "fps": 30, "background": "#1d3557", "layers": [
                {"type": "rect", "x": 0, "y": 140, "width": 320, "height": 40, "color": "#e63946"},
                {"type": "ellipse", "x": 10, "y": 20, "width": 80, "height": 80, "color": "#f1faee",
                 "animations": [{"property": "x", "from": 10, "to": 230, "duration": 10}]}
            ]}),
            &LoadOptions::default(),
        )
        .unwrap();
        let mut settings = VideoSettings::new(320, 180, FPS);
        settings.bitrate_kbps = 500;
        settings.keyframe_interval = 1.0;
        let (info, mut packets) =
            support::encode_scene(&scene, &settings, (AudioCodec::Aac, 96), 10.0);
        packets.sort_by(|a, b| a.seconds().total_cmp(&b.seconds()));
        (info, packets)
    })
}

/// Writes the packets up to `seconds`, paced at real time; calls `at(t)` between packets.
/// Returns the longest `write` call.
fn feed(out: &mut RtmpOutput, seconds: f64, mut at: impl FnMut(f64)) -> Duration {
    let (_, packets) = media();
    let start = Instant::now();
    let mut longest = Duration::ZERO;
    for p in packets.iter().filter(|p| p.seconds() < seconds) {
        let due = start + Duration::from_secs_f64(p.seconds());
        let now = Instant::now();
        if due > now {
            thread::sleep(due - now);
        }
        at(start.elapsed().as_secs_f64());
        let t = Instant::now();
        out.write(p).unwrap();
        longest = longest.max(t.elapsed());
    }
    longest
}

/// Events with their time since `start`, collected by a thread.
/// Events with the seconds since the start at which they arrived.
type EventLog = Arc<Mutex<Vec<(f64, RtmpEvent)>>>;

fn collect_events(rx: Receiver<RtmpEvent>, start: Instant) -> EventLog {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    thread::spawn(move || {
        for e in rx {
            eprintln!("[{:6.3} s] {e:?}", start.elapsed().as_secs_f64());
            l.lock()
                .unwrap()
                .push((start.elapsed().as_secs_f64(), e.clone()));
            if e == RtmpEvent::Stopped {
                break;
            }
        }
    });
    log
}

fn wait_for(log: &EventLog, what: &RtmpEvent, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if log.lock().unwrap().iter().any(|(_, e)| e == what) {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    false
}

fn options() -> (RtmpOptions, Receiver<RtmpEvent>) {
    let (tx, rx) = mpsc::sync_channel(256);
    let mut o = RtmpOptions::default();
    o.events = Some(tx);
    o.backoff_seed = Some(7);
    (o, rx)
}

// ---------------------------------------------------------------------------------------------
// ffprobe

/// Checks a recorded FLV: H.264 320x180 + AAC 48 kHz stereo, first video frame a key frame,
/// decodes without errors. Returns (video frames, seconds from first to last video frame + 1).
fn check_flv(file: &Path) -> (usize, f64) {
    let streams = ffprobe(
        &[
            "-show_entries",
            "stream=codec_type,codec_name,width,height,sample_rate,channels",
            "-of",
            "compact=p=0",
        ],
        file,
    );
    eprintln!("ffprobe {}:\n{streams}", file.display());
    assert!(
        streams.contains("codec_name=h264|codec_type=video|width=320|height=180"),
        "{streams}"
    );
    assert!(
        streams.contains("codec_name=aac|codec_type=audio|sample_rate=48000|channels=2"),
        "{streams}"
    );
    let frames = video_packet_rows(file);
    let rows: Vec<(f64, &str)> = frames
        .lines()
        .filter_map(|l| {
            let (t, f) = l.split_once(',')?;
            Some((t.parse().ok()?, f))
        })
        .collect();
    assert!(!rows.is_empty(), "no video packets in {}", file.display());
    assert!(
        rows[0].1.starts_with('K'),
        "first video packet: {:?}",
        rows[0]
    );
    let span = rows[rows.len() - 1].0 - rows[0].0 + 1.0 / FPS;
    assert_decodes(file);
    eprintln!(
        "{}: {} video frames over {span:.3} s, first at {:.3} s",
        file.display(),
        rows.len(),
        rows[0].0
    );
    (rows.len(), span)
}

// ---------------------------------------------------------------------------------------------
// tests

#[test]
fn publishes_h264_aac_to_nginx_and_plays_live() {
    support::require_tools();
    let dir = tempfile::tempdir().unwrap();
    let nginx = Nginx::start(dir.path(), free_port());
    let (info, _) = media();
    let (opts, rx) = options();
    let start = Instant::now();
    let mut out = RtmpOutput::new(
        nginx.url(KEY).parse::<RtmpUrl>().unwrap(),
        info.clone(),
        opts,
    )
    .unwrap();
    let log = collect_events(rx, start);

    // Pull the live stream with ffmpeg while publishing.
    let pull_file = dir.path().join("pull.flv");
    let mut pull: Option<Child> = None;
    let live = format!("rtmp://127.0.0.1:{}/live/{KEY}", nginx.port);
    let longest = feed(&mut out, 5.0, |t| {
        if pull.is_none() && t > 0.5 {
            pull = Some(
                Command::new("ffmpeg")
                    // nginx does not end the play on unpublish: a read timeout does.
                    .args(["-v", "info", "-y", "-rw_timeout", "1500000", "-i", &live])
                    .args(["-c", "copy", "-f", "flv"])
                    .arg(&pull_file)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(std::fs::File::create(dir.path().join("pull.log")).unwrap())
                    .spawn()
                    .unwrap(),
            );
        }
    });
    let t = Instant::now();
    out.finish().unwrap();
    eprintln!("finish took {:?}; longest write {longest:?}", t.elapsed());
    assert!(t.elapsed() < Duration::from_secs(6));
    assert!(
        longest < Duration::from_millis(50),
        "a write blocked for {longest:?}"
    );
    let stats = out.stats();
    eprintln!("{stats:?}");
    assert_eq!(stats.state, RtmpState::Stopped);
    assert_eq!(stats.dropped_packets, 0);
    assert!(stats.packets_sent > 250, "{stats:?}");
    assert!(stats.bytes_sent > 50_000 && out.bytes() == stats.bytes_sent);
    assert!(stats.last_error.is_none(), "{stats:?}");
    assert!(wait_for(&log, &RtmpEvent::Stopped, Duration::from_secs(2)));
    {
        let events: Vec<RtmpEvent> = log.lock().unwrap().iter().map(|(_, e)| e.clone()).collect();
        assert_eq!(events, [RtmpEvent::Started, RtmpEvent::Stopped]);
    }
    settle();

    let (frames, span) = check_flv(&nginx.recording(KEY));
    // The first key frame comes at once (the encoder starts with one): all ~150 frames.
    assert!(frames >= 140, "{frames} frames");
    assert!((span - 5.0).abs() < 0.3, "recorded {span:.3} s");

    // The live pull ends when the publisher leaves.
    if let Some(mut c) = pull {
        let deadline = Instant::now() + Duration::from_secs(5);
        while c.try_wait().unwrap().is_none() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(50));
        }
        if c.try_wait().unwrap().is_none() {
            eprintln!("the live pull did not end by itself; stopping it with SIGINT");
            let _ = Command::new("kill")
                .args(["-INT", &c.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while c.try_wait().unwrap().is_none() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
        }
        let _ = c.wait();
        eprintln!(
            "ffmpeg pull log:\n{}",
            std::fs::read_to_string(dir.path().join("pull.log")).unwrap_or_default()
        );
        let (pulled, pulled_span) = check_flv(&pull_file);
        assert!(pulled >= 60 && pulled_span > 2.0, "pulled {pulled} frames");
    }
}

#[test]
fn reconnects_after_the_server_dies_and_restarts_on_a_key_frame() {
    support::require_tools();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut nginx = Nginx::start(dir.path(), port);
    let (info, _) = media();
    let (opts, rx) = options();
    let start = Instant::now();
    let mut out = RtmpOutput::new(
        nginx.url(KEY).parse::<RtmpUrl>().unwrap(),
        info.clone(),
        opts,
    )
    .unwrap();
    let log = collect_events(rx, start);
    let first = dir.path().join("first.flv");
    let mut killed_at = None;
    let mut restarted = false;
    let longest = feed(&mut out, 9.0, |t| {
        if killed_at.is_none() && t >= 2.5 {
            nginx.kill();
            killed_at = Some(t);
            std::fs::copy(nginx.recording(KEY), &first).unwrap();
        }
        if !restarted && t >= 3.5 {
            nginx = Nginx::start(dir.path(), port);
            restarted = true;
            eprintln!("[{t:6.3} s] nginx restarted");
        }
    });
    assert!(
        wait_for(&log, &RtmpEvent::Reconnected, Duration::from_secs(5)),
        "no Reconnected: {:?}",
        log.lock().unwrap()
    );
    out.finish().unwrap();
    assert!(
        longest < Duration::from_millis(50),
        "a write blocked for {longest:?}"
    );
    let stats = out.stats();
    eprintln!("killed at {killed_at:?} s; {stats:?}");
    assert_eq!(stats.reconnects, 1);
    let err = stats.last_error.clone().unwrap();
    assert!(!err.contains(KEY), "{err}");
    assert!(wait_for(&log, &RtmpEvent::Stopped, Duration::from_secs(2)));
    let events = log.lock().unwrap().clone();
    let kinds: Vec<&RtmpEvent> = events.iter().map(|(_, e)| e).collect();
    assert_eq!(kinds[0], &RtmpEvent::Started);
    let reconnecting: Vec<(f64, u32, Duration)> = events
        .iter()
        .filter_map(|(t, e)| match e {
            RtmpEvent::Reconnecting { attempt, delay } => Some((*t, *attempt, *delay)),
            _ => None,
        })
        .collect();
    assert!(!reconnecting.is_empty());
    assert_eq!(reconnecting[0].1, 1);
    let d = reconnecting[0].2.as_secs_f64();
    assert!((0.8..=1.2).contains(&d), "first delay {d}");
    for (i, (_, attempt, _)) in reconnecting.iter().enumerate() {
        assert_eq!(*attempt as usize, i + 1);
    }
    for (_, e) in &events {
        assert!(!format!("{e:?}").contains(KEY), "{e:?}");
    }
    let lost_at = reconnecting[0].0;
    let back_at = events
        .iter()
        .find(|(_, e)| *e == RtmpEvent::Reconnected)
        .unwrap()
        .0;
    eprintln!(
        "killed {:.3} s, Reconnecting {:.3} s (lost after {:.0} ms), Reconnected {back_at:.3} s, {} attempt(s)",
        killed_at.unwrap(),
        lost_at,
        (lost_at - killed_at.unwrap()) * 1000.0,
        reconnecting.len()
    );
    assert!(lost_at - killed_at.unwrap() < 1.0);
    assert!(back_at > 3.5 && back_at < 8.0);
    settle();

    let (frames1, span1) = check_flv(&first);
    assert!(frames1 >= 60 && span1 > 2.0, "first: {frames1} frames");
    // The second recording starts on a key frame (check_flv) and runs to the end.
    let (frames2, span2) = check_flv(&nginx.recording(KEY));
    assert!(frames2 >= 30, "second: {frames2} frames");
    assert!(span2 > 9.0 - back_at - 1.2, "second: {span2:.3} s");
}

#[test]
fn a_server_that_never_reads_never_blocks_the_writer() {
    // Accepts (in the kernel backlog) but never reads or answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let url: RtmpUrl = format!("rtmp://127.0.0.1:{port}/live/{KEY}")
        .parse()
        .unwrap();
    let (info, packets) = media();
    let (mut opts, rx) = options();
    opts.queue_packets = 64;
    opts.queue_bytes = 256 << 10;
    opts.connect_timeout = Duration::from_millis(500);
    opts.backoff_initial = Duration::from_millis(200);
    opts.finish_timeout = Duration::from_secs(1);
    let start = Instant::now();
    let mut out = RtmpOutput::new(url, info.clone(), opts).unwrap();
    let log = collect_events(rx, start);
    let mut longest = Duration::ZERO;
    let mut max_queued = 0;
    // Four rounds of all packets as fast as possible, plus some time for reconnects.
    for round in 0..4 {
        for p in packets {
            let t = Instant::now();
            out.write(p).unwrap();
            longest = longest.max(t.elapsed());
            max_queued = max_queued.max(out.stats().queued_packets);
        }
        if round == 1 {
            thread::sleep(Duration::from_millis(1500));
        }
    }
    let total = 4 * packets.len() as u64;
    let stats = out.stats();
    eprintln!(
        "{total} writes, longest {longest:?}, max queued {max_queued}; {stats:?} after {:?}",
        start.elapsed()
    );
    assert!(
        longest < Duration::from_millis(20),
        "a write took {longest:?}"
    );
    // (+1: a packet the sender took but has not counted yet)
    assert!(max_queued <= 65, "{max_queued}");
    assert!(stats.dropped_packets > 0, "{stats:?}");
    assert_eq!(stats.packets_sent, 0);
    assert!(stats.failed_attempts >= 1, "{stats:?}");
    assert_ne!(stats.state, RtmpState::Live);
    let t = Instant::now();
    let err = out.finish().unwrap_err();
    eprintln!("finish: {err} after {:?}", t.elapsed());
    assert!(t.elapsed() < Duration::from_secs(3));
    assert!(!err.to_string().contains(KEY));
    assert!(matches!(err, OutputError::Protocol { .. }));
    // Every packet written is accounted for.
    let stats = out.stats();
    assert_eq!(
        stats.dropped_packets + stats.skipped_packets + stats.packets_sent + stats.queued_packets,
        total,
        "{stats:?}"
    );
    assert_eq!(stats.queued_packets, 0);
    assert!(wait_for(&log, &RtmpEvent::Stopped, Duration::from_secs(2)));
    let events = log.lock().unwrap().clone();
    assert!(
        events
            .iter()
            .any(|(_, e)| matches!(e, RtmpEvent::Error(m) if m.contains("handshake"))),
        "{events:?}"
    );
    drop(listener);
}

#[test]
fn rtmps_to_a_plain_server_reports_a_tls_error() {
    // A server that answers the TLS hello with garbage and closes.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for _ in 0..2 {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            let mut b = [0u8; 1024];
            let _ = s.read(&mut b);
            let _ = s.write_all(&[3u8; 1537]);
        }
    });
    let url: RtmpUrl = format!("rtmps://127.0.0.1:{port}/live/{KEY}")
        .parse()
        .unwrap();
    assert_eq!(
        url.to_string(),
        format!("rtmps://127.0.0.1:{port}/live/****")
    );
    let (info, packets) = media();
    let (mut opts, rx) = options();
    opts.connect_timeout = Duration::from_secs(2);
    opts.finish_timeout = Duration::from_millis(200);
    let mut out = RtmpOutput::new(url, info.clone(), opts).unwrap();
    let log = collect_events(rx, Instant::now());
    out.write(&packets[0]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let msg = loop {
        let found = log.lock().unwrap().iter().find_map(|(_, e)| match e {
            RtmpEvent::Error(m) => Some(m.clone()),
            _ => None,
        });
        if let Some(m) = found {
            break m;
        }
        assert!(Instant::now() < deadline, "no error event");
        thread::sleep(Duration::from_millis(20));
    };
    eprintln!("{msg}");
    assert!(msg.starts_with("TLS with rtmps://127.0.0.1"), "{msg}");
    assert!(!msg.contains(KEY));
    assert!(out.finish().is_err());
}

// ---------------------------------------------------------------------------------------------
// RTMPS through a TLS-terminating proxy in front of nginx

/// A CA and a leaf certificate for 127.0.0.1 (made by [`support::make_test_certs`]) as DER:
/// (CA, leaf, leaf's PKCS#8 key).
fn make_certs(dir: &Path) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    support::make_test_certs(dir);
    for args in [
        &["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"][..],
        &[
            "x509", "-in", "leaf.pem", "-outform", "DER", "-out", "leaf.der",
        ],
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "leaf.key", "-outform", "DER", "-out", "leaf.p8",
        ],
    ] {
        support::openssl(dir, args);
    }
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
    (read("ca.der"), read("leaf.der"), read("leaf.p8"))
}

/// Accepts TLS on a free port and relays each connection to `upstream` (one thread each).
fn tls_proxy(leaf: Vec<u8>, key: Vec<u8>, upstream: u16) -> u16 {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(leaf)],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
            )
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let config = config.clone();
            thread::spawn(move || {
                let _ = relay(client, config, upstream);
            });
        }
    });
    port
}

fn relay(
    client: TcpStream,
    config: Arc<rustls::ServerConfig>,
    upstream: u16,
) -> std::io::Result<()> {
    let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, client);
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    tls.sock.set_nonblocking(true)?;
    up.set_nonblocking(true)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let mut idle = true;
        match tls.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                idle = false;
                write_all_nb(&mut up, &buf[..n])?;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        match up.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                idle = false;
                write_all_nb(&mut tls, &buf[..n])?;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        while tls.conn.wants_write() {
            match tls.conn.write_tls(&mut tls.sock) {
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    thread::sleep(Duration::from_millis(1));
                }
                Err(e) => return Err(e),
            }
        }
        if idle {
            thread::sleep(Duration::from_millis(2));
        }
    }
}

fn write_all_nb(w: &mut impl Write, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        match w.write(data) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(1)),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[test]
fn publishes_over_rtmps_through_a_tls_proxy() {
    support::require_tools();
    let dir = tempfile::tempdir().unwrap();
    let (ca, leaf, key) = make_certs(dir.path());
    let nginx = Nginx::start(dir.path(), free_port());
    let tls_port = tls_proxy(leaf, key, nginx.port);
    let url: RtmpUrl = format!("rtmps://127.0.0.1:{tls_port}/live/{KEY}")
        .parse()
        .unwrap();
    let (info, _) = media();

    // Without trusting the test CA the certificate is refused.
    let (mut opts, rx) = options();
    opts.finish_timeout = Duration::from_millis(200);
    let mut out = RtmpOutput::new(url.clone(), info.clone(), opts).unwrap();
    let log = collect_events(rx, Instant::now());
    let deadline = Instant::now() + Duration::from_secs(5);
    let msg = loop {
        if let Some(m) = log.lock().unwrap().iter().find_map(|(_, e)| match e {
            RtmpEvent::Error(m) => Some(m.clone()),
            _ => None,
        }) {
            break m;
        }
        assert!(Instant::now() < deadline, "no error event");
        thread::sleep(Duration::from_millis(20));
    };
    eprintln!("untrusted: {msg}");
    assert!(msg.contains("TLS") && msg.contains("certificate"), "{msg}");
    assert!(out.finish().is_err());

    // Trusting it, the stream gets through.
    let (mut opts, rx) = options();
    opts.extra_root_certs = vec![ca];
    let start = Instant::now();
    let mut out = RtmpOutput::new(url, info.clone(), opts).unwrap();
    let log = collect_events(rx, start);
    feed(&mut out, 3.0, |_| {});
    out.finish().unwrap();
    let stats = out.stats();
    eprintln!("{stats:?}");
    assert!(
        stats.packets_sent > 150 && stats.dropped_packets == 0,
        "{stats:?}"
    );
    assert!(wait_for(&log, &RtmpEvent::Started, Duration::from_secs(1)));
    settle();
    let (frames, span) = check_flv(&nginx.recording(KEY));
    assert!(
        frames >= 85 && (span - 3.0).abs() < 0.3,
        "{frames} frames, {span:.3} s"
    );
}

#[test]
fn a_refused_republish_is_retried_after_backoff() {
    support::require_tools();
    let dir = tempfile::tempdir().unwrap();
    let nginx = Nginx::start(dir.path(), free_port());
    let (info, _) = media();
    let (opts, _rx) = options();
    let mut first = RtmpOutput::new(
        nginx.url(KEY).parse::<RtmpUrl>().unwrap(),
        info.clone(),
        opts,
    )
    .unwrap();
    let start = Instant::now();
    let mut second: Option<(RtmpOutput, EventLog)> = None;
    feed(&mut first, 3.0, |t| {
        if second.is_none() && t > 0.5 {
            // Same key while the first is live: nginx answers NetStream.Publish.BadName.
            let (mut opts, rx) = options();
            opts.backoff_initial = Duration::from_millis(500);
            opts.backoff_jitter = 0.0;
            let out = RtmpOutput::new(
                nginx.url(KEY).parse::<RtmpUrl>().unwrap(),
                info.clone(),
                opts,
            )
            .unwrap();
            second = Some((out, collect_events(rx, start)));
        }
    });
    first.finish().unwrap();
    let (mut out, log) = second.unwrap();
    assert!(
        wait_for(&log, &RtmpEvent::Started, Duration::from_secs(6)),
        "{:?}",
        log.lock().unwrap()
    );
    out.finish().ok();
    let events = log.lock().unwrap().clone();
    let refused = events
        .iter()
        .find_map(|(_, e)| match e {
            RtmpEvent::Error(m) => Some(m.clone()),
            _ => None,
        })
        .unwrap();
    eprintln!("refused: {refused}");
    assert!(refused.contains("NetStream.Publish.BadName"), "{refused}");
    assert!(!refused.contains(KEY), "{refused}");
    assert!(
        events
            .iter()
            .any(|(_, e)| matches!(e, RtmpEvent::Reconnecting { attempt: 1, delay } if *delay == Duration::from_millis(500)))
    );
}

/// Relays TCP to `upstream` and keeps a copy of what the client sent.
fn sniffing_proxy(upstream: u16) -> (u16, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                continue;
            };
            let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let log = log.clone();
            thread::spawn(move || {
                let mut buf = [0u8; 16384];
                while let Ok(n) = c_in.read(&mut buf) {
                    if n == 0 || s_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    log.lock().unwrap().extend_from_slice(&buf[..n]);
                }
                let _ = s_out.shutdown(std::net::Shutdown::Write);
            });
            let (mut s_in, mut c_out) = (server, client);
            thread::spawn(move || {
                let _ = std::io::copy(&mut s_in, &mut c_out);
            });
        }
    });
    (port, seen)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn publishes_av1_and_opus_as_enhanced_rtmp() {
    support::require_tools();
    // nginx-rtmp accepts the publish and relays tags it does not understand; Debian's ffmpeg
    // cannot read Enhanced FLV, so the wire bytes are checked instead.
    let dir = tempfile::tempdir().unwrap();
    let nginx = Nginx::start(dir.path(), free_port());
    let (port, seen) = sniffing_proxy(nginx.port);
    let mut settings = VideoSettings::new(128, 72, 15.0);
    settings.codec = "av1".parse().unwrap();
    settings.bitrate_kbps = 200;
    settings.keyframe_interval = 1.0;
    let scene = Scene::from_value(
        json!({"width": 128, "height": 72, "fps": 15, "background": "#1d3557", "layers": [
            {"type": "ellipse", "x": 0, "y": 10, "width": 40, "height": 40, "color": "#f1faee",
             "animations": [{"property": "x", "from": 0, "to": 80, "duration": 2}]}
        ]}),
        &LoadOptions::default(),
    )
    .unwrap();
    let (info, mut packets) = support::encode_scene(&scene, &settings, (AudioCodec::Opus, 64), 2.0);
    packets.sort_by(|a, b| a.seconds().total_cmp(&b.seconds()));

    let url: RtmpUrl = format!("rtmp://127.0.0.1:{port}/live/{KEY}")
        .parse()
        .unwrap();
    let (opts, rx) = options();
    let mut out = RtmpOutput::new(url, info, opts).unwrap();
    let log = collect_events(rx, Instant::now());
    assert!(wait_for(&log, &RtmpEvent::Started, Duration::from_secs(5)));
    for p in &packets {
        out.write(p).unwrap();
        thread::sleep(Duration::from_millis(5));
    }
    out.finish().unwrap();
    let stats = out.stats();
    eprintln!("{} packets; {stats:?}", packets.len());
    assert!(
        stats.last_error.is_none() && stats.dropped_packets == 0,
        "{stats:?}"
    );
    assert!(
        stats.packets_sent as usize >= packets.len() - 2,
        "{stats:?}"
    );
    thread::sleep(Duration::from_millis(200));
    let wire = seen.lock().unwrap().clone();
    assert!(contains(&wire, b"fourCcList"));
    assert!(contains(&wire, b"\x90av01"), "AV1 SequenceStart");
    assert!(contains(&wire, b"\x91av01"), "AV1 key CodedFrames");
    assert!(contains(&wire, b"\xa1av01"), "AV1 inter CodedFrames");
    assert!(contains(&wire, b"\x92av01"), "AV1 SequenceEnd");
    assert!(contains(&wire, b"\x90OpusOpusHead"), "Opus SequenceStart");
    assert!(contains(&wire, b"\x91Opus"), "Opus CodedFrames");
}
