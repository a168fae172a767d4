//! Tests of the native path on clips made by the `ffmpeg` program (skipped with a note when it
//! is missing): every picture decodes, in display order, at its exact time, with the frame
//! number its barcode shows; seeking; and a hostile corpus that must give errors, not panics.

use super::*;

#[test]
fn sniffs_containers() {
    assert_eq!(sniff(b"\0\0\0\x20ftypisom"), Some(Container::Mp4));
    assert_eq!(
        sniff(&[0x1a, 0x45, 0xdf, 0xa3, 0]),
        Some(Container::Matroska)
    );
    assert_eq!(sniff(b"FLV\x01"), Some(Container::Flv));
    assert_eq!(sniff(b"GIF89a"), None);
    assert_eq!(sniff(b""), None);
}

use std::path::PathBuf;
use std::process::Command;

use crate::media::{NANOS_PER_SECOND, TrackKind};

/// Whether the `ffmpeg` and `ffprobe` programs run here.
fn have_ffmpeg() -> bool {
    let ok = |p: &str| {
        Command::new(p)
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ok("ffmpeg") && ok("ffprobe") {
        true
    } else {
        eprintln!("note: ffmpeg/ffprobe not found: skipping the native video test");
        false
    }
}

/// Runs ffmpeg with these arguments (quiet, overwriting).
fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg runs");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A clip of `secs` s at `fps` (640x360, H.264 High with 3 B-frames, default preset, GOP
/// `gop`, AAC), with the frame number as a 16-bit barcode in the top 40 rows: `name.mp4`
/// and, remuxed, `name_frag.mp4`, `name.mkv`, `name.flv`.
fn make_clips(dir: &std::path::Path, name: &str, fps: u32, secs: u32, gop: u32) -> Vec<PathBuf> {
    let src = format!(
        "testsrc2=s=640x360:r={fps},drawbox=x=0:y=0:w=640:h=40:c=black:t=fill,\
         geq=lum='if(lt(Y,40),255*bitand(floor(N/pow(2,floor(X/40))),1),lum(X,Y))':\
         cb='cb(X,Y)':cr='cr(X,Y)'"
    );
    let mp4 = dir.join(format!("{name}.mp4"));
    let secs_s = secs.to_string();
    let gop_s = gop.to_string();
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &src,
        "-f",
        "lavfi",
        "-i",
        "sine=f=1000:sample_rate=48000",
        "-t",
        &secs_s,
        "-c:v",
        "libx264",
        "-profile:v",
        "high",
        "-bf",
        "3",
        "-g",
        &gop_s,
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        mp4.to_str().unwrap(),
    ]);
    let mut out = vec![mp4.clone()];
    for (suffix, extra) in [
        ("_frag.mp4", &["-movflags", "frag_keyframe+empty_moov"][..]),
        (".mkv", &[][..]),
        (".flv", &[][..]),
    ] {
        let p = dir.join(format!("{name}{suffix}"));
        let mut args = vec!["-i", mp4.to_str().unwrap(), "-c", "copy"];
        args.extend_from_slice(extra);
        args.push(p.to_str().unwrap());
        ffmpeg(&args);
        out.push(p);
    }
    out
}

/// ffprobe's start time of the video stream, ns.
fn start_time(path: &std::path::Path) -> Nanos {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args(["stream=start_time", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    let s = String::from_utf8_lossy(&out.stdout);
    crate::media::nanos_from_secs(s.trim().parse::<f64>().unwrap_or(0.0))
}

/// The frame number in a picture's barcode: 16 bits LSB first, 40 px a bit, sampled at the
/// centre of each cell, threshold 128.
fn barcode(f: &DecodedFrame) -> u32 {
    let w = f.picture.width() as usize;
    let y = f.picture.y();
    (0..16)
        .map(|b| {
            let v = y[20 * w + b * 40 + 20];
            u32::from(v > 128) << b
        })
        .sum()
}

/// Every picture of a reader until the end.
fn all_frames(r: &mut NativeReader) -> Vec<DecodedFrame> {
    let mut v = Vec::new();
    while let Some(f) = r.next_frame().expect("decodes") {
        v.push(f);
        assert!(v.len() < 10_000);
    }
    v
}

/// Plays one clip through and seeks in it.
fn check_clip(path: &std::path::Path, fps: u32, frames: u32) {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let limits = Limits::default();
    let info = probe(path, &name, &limits).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(info.video, Some(VideoCodecId::H264), "{name}");
    assert_eq!((info.width, info.height), (640, 360), "{name}");
    assert_eq!(info.decoder, "openh264");
    assert_eq!(info.audio, Some(AudioCodecId::Aac), "{name}");
    assert!(
        (info.fps - f64::from(fps)).abs() < 0.05,
        "{name}: fps {}",
        info.fps
    );
    assert!(
        info.notes.iter().any(|n| n == "B-frames"),
        "{name}: {:?}",
        info.notes
    );
    let mut r = open(path, &name, &limits, "openh264").unwrap();
    let got = all_frames(&mut r);
    // The first picture shows when ffprobe says (microseconds), and the rest follow exactly.
    let start = got.first().map_or(0, |f| f.pts);
    assert!(
        (start - start_time(path)).abs() <= 1_000_000,
        "{name}: starts at {start}, ffprobe says {}",
        start_time(path)
    );
    let frame_ns = |n: u32| start + (i64::from(n) * NANOS_PER_SECOND) / i64::from(fps);
    let want_end = frame_ns(frames);
    assert!(
        (info.duration - want_end).abs() <= 1_000_000,
        "{name}: duration {} want {want_end}",
        info.duration
    );
    assert_eq!(got.len() as u32, frames, "{name}: picture count");
    for (n, f) in got.iter().enumerate() {
        let n = n as u32;
        assert_eq!(barcode(f), n, "{name}: barcode of picture {n}");
        assert!(
            (f.pts - frame_ns(n)).abs() <= 1_000_000,
            "{name}: picture {n} at {} want {}",
            f.pts,
            frame_ns(n)
        );
        assert_eq!((f.picture.width(), f.picture.height()), (640, 360));
    }

    // Seeks: mid-GOP, exactly on a picture, before the start, past the end, back to start.
    for t in [
        2_500_000_000,
        // Exactly on a picture.
        got[fps as usize].pts,
        got[fps as usize].pts - 1,
        frame_ns(fps + 7) + 1,
        -5,
        want_end + NANOS_PER_SECOND,
        0,
    ] {
        r.seek(t).unwrap();
        // The picture on screen at t: the last with its time <= t (the first before it).
        // (By the times the file stores, checked above to be n/fps within 1 ms.)
        let want = (0..frames)
            .rev()
            .find(|&n| got[n as usize].pts <= t)
            .unwrap_or(0);
        for k in 0..3 {
            let n = want + k;
            let f = r.next_frame().unwrap();
            if n >= frames {
                assert!(f.is_none(), "{name}: after seek to {t}: past the end");
                break;
            }
            let f = f.unwrap_or_else(|| panic!("{name}: seek to {t}: no picture {n}"));
            assert_eq!(barcode(&f), n, "{name}: seek to {t}: picture {k} after it");
            assert!((f.pts - frame_ns(n)).abs() <= 1_000_000, "{name}: seek {t}");
        }
    }
}

#[test]
fn barcode_clips_play_exactly_in_every_container() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (fps, secs, gop) in [(30, 4, 30), (25, 4, 50), (60, 3, 60)] {
        for p in make_clips(dir.path(), &format!("c{fps}"), fps, secs, gop) {
            check_clip(&p, fps, fps * secs);
        }
    }
}

/// Opens, reads up to 400 pictures, seeks and reads a few more: errors are fine, panics not.
fn play_what_it_can(path: &std::path::Path, limits: &Limits) -> Result<usize, MediaError> {
    let _ = probe(path, "hostile", limits);
    let mut r = open(path, "hostile", limits, "openh264")?;
    let mut n = 0;
    while n < 400 {
        match r.next_frame()? {
            Some(_) => n += 1,
            None => break,
        }
    }
    r.seek(NANOS_PER_SECOND / 2)?;
    for _ in 0..3 {
        if r.next_frame()?.is_none() {
            break;
        }
    }
    Ok(n)
}

/// A tiny deterministic random number generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// An FLV file of tags `(type, timestamp ms, body)`.
fn flv_file(tags: &[(u8, u32, Vec<u8>)]) -> Vec<u8> {
    let mut v = b"FLV\x01\x05\0\0\0\x09\0\0\0\0".to_vec();
    for (kind, ts, body) in tags {
        let len = body.len() as u32;
        v.push(*kind);
        v.extend_from_slice(&len.to_be_bytes()[1..]);
        v.extend_from_slice(&ts.to_be_bytes()[1..]);
        v.push((ts >> 24) as u8);
        v.extend_from_slice(&[0, 0, 0]);
        v.extend_from_slice(body);
        v.extend_from_slice(&(len + 11).to_be_bytes());
    }
    v
}

#[test]
fn hostile_files_give_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits::default();
    let write = |name: &str, data: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, data).unwrap();
        p
    };

    // An SPS claiming 16384x16384 in an FLV sequence header: a limit error.
    let sps = super::h264::tests::make_sps(100, 1024, 1024, 1, 8, true);
    let mut rec = vec![1, 100, 0, 40, 0xff, 0xe1];
    rec.extend_from_slice(&(sps.len() as u16).to_be_bytes());
    rec.extend_from_slice(&sps);
    rec.extend_from_slice(&[1, 0, 2, 0x68, 0xce]);
    let mut seq = vec![0x17, 0, 0, 0, 0];
    seq.extend_from_slice(&rec);
    let p = write("huge_sps.flv", &flv_file(&[(9, 0, seq)]));
    let e = probe(&p, "huge_sps.flv", &limits).unwrap_err();
    assert!(matches!(e, MediaError::TooLarge { .. }), "{e}");
    assert!(e.to_string().contains("16384x16384"), "{e}");

    // Enhanced FLV AV1 and HEVC: clear answers naming the FFmpeg backend.
    // (A 10-bit `av1C` record; HEVC's record is not even read.)
    for (cc, rec, want) in [
        (
            &b"av01"[..],
            &[0x81u8, 0x08, 0x4c, 0x00][..],
            "10-bit AV1 needs the ffmpeg backend",
        ),
        (b"hvc1", &[1, 2, 3], "HEVC"),
    ] {
        let mut seq = vec![0x90];
        seq.extend_from_slice(cc);
        seq.extend_from_slice(rec);
        let p = write("e.flv", &flv_file(&[(9, 0, seq)]));
        let e = probe(&p, "clips/e.flv", &limits).unwrap_err();
        assert!(matches!(e, MediaError::Unsupported { .. }), "{e}");
        assert!(e.to_string().starts_with("clips/e.flv: "), "{e}");
        assert!(e.to_string().contains(want), "{e}");
    }
    // A record too short to be one is malformed.
    let mut short = vec![0x90];
    short.extend_from_slice(b"av01");
    short.extend_from_slice(&[1, 2, 3]);
    let p = write("s.flv", &flv_file(&[(9, 0, short)]));
    let e = probe(&p, "clips/s.flv", &limits).unwrap_err();
    assert!(e.to_string().contains("av1C record of 3 bytes"), "{e}");

    // A moov whose child box has size 0 (re_mp4 alone would loop for ever), and one of 4.
    for child in [0u8, 4] {
        let mut v = b"\0\0\0\x10ftypisom\0\0\x02\0".to_vec();
        v.extend_from_slice(&[0, 0, 0, 24]);
        v.extend_from_slice(b"moov");
        v.extend_from_slice(&[0, 0, 0, child]);
        v.extend_from_slice(b"trak");
        v.extend_from_slice(&[0; 8]);
        let t0 = std::time::Instant::now();
        let e = probe(&write("loop.mp4", &v), "loop.mp4", &limits).unwrap_err();
        assert!(matches!(e, MediaError::Malformed { .. }), "{e}");
        assert!(t0.elapsed().as_secs() < 5);
    }

    // Inputs the fuzzers found looping in the third-party demuxers (seeds of fuzz/corpus).
    for (file, seed) in [
        ("l.mp4", "video_mp4/regress-child-box-loop"),
        ("l.mkv", "video_mkv/regress-seek-head-loop"),
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/corpus")
            .join(seed);
        let t0 = std::time::Instant::now();
        let _ = play_what_it_can(&write(file, &std::fs::read(path).unwrap()), &limits);
        assert!(t0.elapsed().as_secs() < 5, "{seed}");
    }

    // Unknown bytes.
    let e = probe(&write("x.bin", b"GIF89a........"), "x.bin", &limits).unwrap_err();
    assert_eq!(e.to_string(), "x.bin: unknown container");

    // Random garbage behind each container's magic.
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..60 {
        let magic: &[u8] = match i % 3 {
            0 => b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2",
            1 => &[0x1a, 0x45, 0xdf, 0xa3],
            _ => b"FLV\x01\x05\0\0\0\x09",
        };
        let mut v = magic.to_vec();
        let len = (rng.next() % 4000) as usize;
        v.extend((0..len).map(|_| rng.next() as u8));
        let _ = play_what_it_can(&write("g", &v), &limits);
    }

    if !have_ffmpeg() {
        return;
    }
    let clips = make_clips(dir.path(), "h", 30, 1, 10);
    let mut mp4 = std::fs::read(&clips[0]).unwrap();

    // A huge stsz sample count (fixed sample size, and a table): refused, quickly.
    let at = mp4.windows(4).position(|w| w == b"stsz").unwrap();
    let mut fixed = mp4.clone();
    fixed[at + 8..at + 12].copy_from_slice(&1u32.to_be_bytes());
    fixed[at + 12..at + 16].copy_from_slice(&u32::MAX.to_be_bytes());
    let e = probe(&write("stsz1.mp4", &fixed), "stsz1.mp4", &limits).unwrap_err();
    assert!(matches!(e, MediaError::TooLarge { .. }), "{e}");
    mp4[at + 12..at + 16].copy_from_slice(&0x4000_0000u32.to_be_bytes());
    let e = probe(&write("stsz2.mp4", &mp4), "stsz2.mp4", &limits).unwrap_err();
    assert!(
        matches!(
            e,
            MediaError::TooLarge { .. } | MediaError::Malformed { .. }
        ),
        "{e}"
    );

    // Truncations and flipped bytes of every container.
    for clip in &clips {
        let data = std::fs::read(clip).unwrap();
        let ext = clip.extension().unwrap().to_string_lossy().to_string();
        for k in 0..40 {
            let cut = data.len() * k / 40 + (rng.next() % 7) as usize;
            let p = write(&format!("cut.{ext}"), &data[..cut.min(data.len())]);
            let _ = play_what_it_can(&p, &limits);
        }
        for _ in 0..40 {
            let mut v = data.clone();
            for _ in 0..1 + rng.next() % 8 {
                let i = (rng.next() as usize) % v.len();
                v[i] ^= 1 << (rng.next() % 8);
            }
            let p = write(&format!("flip.{ext}"), &v);
            let _ = play_what_it_can(&p, &limits);
        }
        // The whole clip plays.
        let p = write(&format!("whole.{ext}"), &data);
        assert_eq!(play_what_it_can(&p, &limits).unwrap(), 30, "{ext}");
    }
}

#[test]
fn packets_come_in_decode_order_with_parameter_sets_on_key_frames() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for clip in make_clips(dir.path(), "p", 30, 1, 10) {
        let (mut d, _) = open_demuxer(&clip, "p", &Limits::default()).unwrap();
        let mut keys = 0;
        let mut video = 0;
        while let Some(p) = d.next_packet().unwrap() {
            if p.track != TrackKind::Video {
                continue;
            }
            video += 1;
            assert!(p.data.starts_with(&[0, 0, 0, 1]), "{clip:?}: Annex B");
            if p.keyframe {
                keys += 1;
                assert_eq!(p.data[4] & 0x1f, 7, "{clip:?}: SPS first on a key frame");
            }
        }
        assert_eq!(video, 30, "{clip:?}");
        assert_eq!(keys, 3, "{clip:?}");
    }
}

#[test]
fn files_openh264_cannot_decode_are_routed_with_the_reason() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = "testsrc2=s=128x96:r=25";
    let cases: [(&str, &[&str], &str); 7] = [
        (
            "interlaced.mp4",
            &[
                "-c:v",
                "libx264",
                "-flags",
                "+ildct+ilme",
                "-pix_fmt",
                "yuv420p",
            ],
            "interlaced video needs the ffmpeg backend",
        ),
        (
            "ten.mkv",
            &["-c:v", "libx264", "-pix_fmt", "yuv420p10le"],
            "10-bit video needs the ffmpeg backend",
        ),
        (
            "four22.mp4",
            &["-c:v", "libx264", "-pix_fmt", "yuv422p"],
            "4:2:2 chroma needs the ffmpeg backend",
        ),
        (
            "av1-10bit.mp4",
            &[
                "-c:v",
                "libaom-av1",
                "-cpu-used",
                "8",
                "-b:v",
                "100k",
                "-pix_fmt",
                "yuv420p10le",
            ],
            "10-bit AV1 needs the ffmpeg backend",
        ),
        (
            "av1-444.mkv",
            &[
                "-c:v",
                "libaom-av1",
                "-cpu-used",
                "8",
                "-b:v",
                "100k",
                "-pix_fmt",
                "yuv444p",
            ],
            "AV1 4:4:4 needs the ffmpeg backend",
        ),
        (
            "hevc.mp4",
            &[
                "-c:v",
                "libx265",
                "-tag:v",
                "hvc1",
                "-x265-params",
                "log-level=none",
            ],
            "HEVC needs the ffmpeg backend",
        ),
        (
            "vp9.webm",
            &[
                "-c:v",
                "libvpx-vp9",
                "-deadline",
                "realtime",
                "-b:v",
                "100k",
            ],
            "VP9 needs the ffmpeg backend",
        ),
    ];
    for (file, args, want) in cases {
        let p = dir.path().join(file);
        let mut a = vec!["-f", "lavfi", "-i", src, "-t", "0.4"];
        a.extend_from_slice(args);
        a.push(p.to_str().unwrap());
        ffmpeg(&a);
        let name = format!("clips/{file}");
        let e = probe(&p, &name, &Limits::default()).unwrap_err();
        assert!(matches!(e, MediaError::Unsupported { .. }), "{file}: {e}");
        assert_eq!(e.to_string(), format!("{name}: {want}"));
        assert!(open(&p, &name, &Limits::default(), "openh264").is_err());
    }
}

/// CPU time of this process and of its children that have ended, in seconds.
fn cpu_seconds() -> f64 {
    let stat = |path: &str| -> f64 {
        let s = std::fs::read_to_string(path).unwrap_or_default();
        // utime stime cutime cstime: fields 14 to 17, after the command in parentheses.
        let rest = s.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<f64> = rest
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0.0))
            .collect();
        f.get(11..15).map_or(0.0, |v| v.iter().sum::<f64>() / 100.0)
    };
    stat("/proc/self/stat")
}

/// Decode speed of the native path against FFmpeg's own decoder, both on one thread, on a
/// 1080p30 H.264 High clip with B-frames at about 6 Mbit/s. Run with
/// `cargo test --release -p streamcomp-core --lib decode_speed -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check: run by hand"]
fn decode_speed() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("speed.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=1920x1080:r=30,noise=alls=12:allf=t",
        "-t",
        "10",
        "-c:v",
        "libx264",
        "-profile:v",
        "high",
        "-bf",
        "3",
        "-g",
        "60",
        "-b:v",
        "6M",
        "-maxrate",
        "6M",
        "-bufsize",
        "12M",
        "-pix_fmt",
        "yuv420p",
        clip.to_str().unwrap(),
    ]);
    // SPEED_CLIP: measure another file instead (its first 300 pictures count as 10 s).
    let clip = std::env::var_os("SPEED_CLIP").map_or(clip, std::path::PathBuf::from);
    let bytes = std::fs::metadata(&clip).unwrap().len();
    let limits = Limits::default();
    let mut frames = 0;
    // Best of three, CPU time of this process and its children (the `ffmpeg-h264` decoder runs
    // in one): what one core would take.
    let mut time = |decoder: &str| {
        let mut best = f64::MAX;
        for _ in 0..3 {
            let cpu0 = cpu_seconds();
            let mut r = open(&clip, "speed.mp4", &limits, decoder).unwrap();
            frames = 0;
            while frames < 300 && r.next_frame().unwrap().is_some() {
                frames += 1;
            }
            drop(r);
            // The decoder's threads end and reap its process.
            std::thread::sleep(std::time::Duration::from_millis(300));
            best = best.min(cpu_seconds() - cpu0);
        }
        best
    };
    let best = time("openh264");
    let fed = if cfg!(feature = "ffmpeg") {
        time("ffmpeg-h264")
    } else {
        f64::NAN
    };
    assert_eq!(frames, 300);
    let mut ff_best = f64::MAX;
    for _ in 0..3 {
        let t0 = std::time::Instant::now();
        let out = Command::new("ffmpeg")
            .args(["-v", "error", "-threads", "1", "-i"])
            .arg(&clip)
            .args(["-an", "-frames:v", "300", "-f", "null", "-"])
            .output()
            .unwrap();
        assert!(out.status.success());
        ff_best = ff_best.min(t0.elapsed().as_secs_f64());
    }
    eprintln!(
        "decode_speed: 1080p30 High, B-frames, {:.1} Mbit/s, {frames} pictures, CPU time: \
         openh264 + demux + copy {:.1} fps ({:.2} ms/picture); \
         ffmpeg-h264 (our demuxer, FFmpeg's decoder on pipes, both processes) {:.1} fps; \
         ffmpeg -threads 1 (whole process, wall) {:.1} fps ({:.2} ms/picture)",
        bytes as f64 * 8.0 / 10.0 / 1e6,
        f64::from(frames) / best,
        best * 1000.0 / f64::from(frames),
        f64::from(frames) / fed,
        f64::from(frames) / ff_best,
        ff_best * 1000.0 / f64::from(frames),
    );
}

/// A broken AV1 frame (found by the fuzzer) made rav1d panic inside its C API, which aborts
/// the process: with two frame contexts it is an error (or nothing), and the test lives.
#[test]
fn broken_av1_frame_is_not_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.mp4");
    std::fs::write(
        &path,
        include_bytes!("../../../../fuzz/corpus/video_mp4/regress-rav1d-single-frame-context"),
    )
    .unwrap();
    let limits = crate::limits::Limits::default();
    let mut r = super::open(&path, "broken.mp4", &limits, "rav1d").expect("the demuxer takes it");
    for _ in 0..16 {
        if !matches!(r.next_frame(), Ok(Some(_))) {
            break;
        }
    }
}
