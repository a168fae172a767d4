//! The FFmpeg backend (cargo feature `ffmpeg`): spawns the `ffmpeg` program, writes raw I420
//! frames to its standard input and reads the elementary stream from its standard output, so
//! streamcomp still muxes and publishes the packets itself (encoded once, many outputs).
//!
//! Used for libx264 with `FFMPEG_PRESET`, VP8 and VP9 (libvpx), AV1 (SVT-AV1) and hardware
//! encoders (`FFMPEG_HWACCEL`: `nvenc`, `vaapi`, `qsv`, `videotoolbox`). H.264 comes out as
//! Annex B with an access unit delimiter before each frame (that is how packets are split);
//! VP8, VP9 and AV1 come out in IVF, whose frame headers split them.
//!
//! Threads: a reader thread drains standard output (so writing a frame never deadlocks) and one
//! drains standard error (kept for error messages). The state machine itself is the usual one:
//! `send_frame` writes a frame, `receive_packet` returns what is ready without waiting, and after
//! `send_frame(None, _)` it waits for FFmpeg to finish.

use std::collections::VecDeque;
use std::io::{BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::{EncodeError, FFMPEG_PRESETS, Packet, Track, VideoCodec, VideoEncoder, VideoSettings};
use crate::frame::YuvFrame;

/// How the elementary stream on FFmpeg's standard output is split into packets.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Framing {
    /// H.264 Annex B with access unit delimiters.
    AnnexB,
    /// IVF frame headers (VP8, VP9, AV1).
    Ivf,
}

/// The FFmpeg command line for `s`: the encoder and its options.
fn encoder_args(s: &VideoSettings) -> Result<(Vec<String>, Framing), EncodeError> {
    let preset = s.ffmpeg_preset.as_str();
    let gop = (s.keyframe_interval * s.fps).round().max(1.0) as u32;
    let kbps = s.bitrate_kbps;
    let mut a: Vec<String> = Vec::new();
    let mut push = |v: &[&str]| a.extend(v.iter().map(|x| x.to_string()));
    let hw = s.ffmpeg_hwaccel.as_deref();
    let codec_name = match (s.codec, hw) {
        (VideoCodec::H264, None) => "libx264",
        (VideoCodec::Vp8, None) => "libvpx",
        (VideoCodec::Vp9, None) => "libvpx-vp9",
        (VideoCodec::Av1, None) => "libsvtav1",
        (VideoCodec::H264, Some("nvenc")) => "h264_nvenc",
        (VideoCodec::Av1, Some("nvenc")) => "av1_nvenc",
        (VideoCodec::H264, Some("vaapi")) => "h264_vaapi",
        (VideoCodec::Vp8, Some("vaapi")) => "vp8_vaapi",
        (VideoCodec::Vp9, Some("vaapi")) => "vp9_vaapi",
        (VideoCodec::Av1, Some("vaapi")) => "av1_vaapi",
        (VideoCodec::H264, Some("qsv")) => "h264_qsv",
        (VideoCodec::Vp9, Some("qsv")) => "vp9_qsv",
        (VideoCodec::Av1, Some("qsv")) => "av1_qsv",
        (VideoCodec::H264, Some("videotoolbox")) => "h264_videotoolbox",
        (codec, Some(hw)) => {
            return Err(EncodeError::Unsupported(format!(
                "no {hw} hardware encoder for {codec}; hardware encoders: nvenc (h264, av1), vaapi (h264, vp8, vp9, av1), qsv (h264, vp9, av1), videotoolbox (h264)"
            )));
        }
    };
    if hw == Some("vaapi") {
        // Frames are uploaded to the GPU; the device is the first render node.
        push(&["-vf", "format=nv12,hwupload"]);
    }
    push(&["-c:v", codec_name]);
    let rate = [
        "-b:v".to_string(),
        format!("{kbps}k"),
        "-maxrate".to_string(),
        format!("{kbps}k"),
        "-bufsize".to_string(),
        format!("{}k", kbps * 2),
        "-g".to_string(),
        gop.to_string(),
    ];
    a.extend(rate);
    let mut push = |v: &[&str]| a.extend(v.iter().map(|x| x.to_string()));
    match codec_name {
        "libx264" => push(&[
            "-preset",
            preset,
            "-bf",
            "0",
            "-x264-params",
            "repeat-headers=1",
        ]),
        "libvpx" | "libvpx-vp9" => {
            // libvpx has no x264 presets: map them onto its speed knob.
            let speed = 8 - FFMPEG_PRESETS
                .iter()
                .position(|p| *p == preset)
                .unwrap_or(5);
            push(&["-deadline", "realtime", "-cpu-used", &speed.to_string()]);
            if codec_name == "libvpx-vp9" {
                push(&["-row-mt", "1"]);
            }
        }
        "libsvtav1" => {
            let speed = 12
                - FFMPEG_PRESETS
                    .iter()
                    .position(|p| *p == preset)
                    .unwrap_or(5);
            push(&["-preset", &speed.to_string()]);
        }
        _ => push(&["-bf", "0"]),
    }
    if s.threads > 0 {
        push(&["-threads", &s.threads.to_string()]);
    }
    push(&[
        "-colorspace",
        "bt709",
        "-color_primaries",
        "bt709",
        "-color_trc",
        "bt709",
        "-color_range",
        "tv",
    ]);
    let framing = if s.codec == VideoCodec::H264 {
        push(&["-bsf:v", "h264_metadata=aud=insert", "-f", "h264"]);
        Framing::AnnexB
    } else {
        push(&["-f", "ivf"]);
        Framing::Ivf
    };
    Ok((a, framing))
}

/// One encoded frame as the reader thread found it.
struct Unit {
    data: Vec<u8>,
    key: bool,
}

/// The FFmpeg backend.
pub(crate) struct FfmpegEncoder {
    settings: VideoSettings,
    child: Child,
    stdin: Option<ChildStdin>,
    units: Receiver<Unit>,
    reader: Option<JoinHandle<Result<(), String>>>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    pts: VecDeque<i64>,
    flushing: bool,
    done: bool,
    /// Reused buffer for one raw frame.
    raw: Vec<u8>,
}

impl FfmpegEncoder {
    pub(crate) fn new(settings: VideoSettings) -> Result<FfmpegEncoder, EncodeError> {
        let (args, framing) = encoder_args(&settings)?;
        let program = std::env::var_os("FFMPEG_PATH").unwrap_or_else(|| "ffmpeg".into());
        let mut cmd = Command::new(&program);
        cmd.args(["-hide_banner", "-nostdin", "-loglevel", "error"]);
        if settings.ffmpeg_hwaccel.as_deref() == Some("vaapi") {
            cmd.args(["-vaapi_device", "/dev/dri/renderD128"]);
        }
        cmd.args(["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s"])
            .arg(format!("{}x{}", settings.width, settings.height))
            .arg("-r")
            .arg(format!("{}", settings.fps))
            .args(["-i", "pipe:0"])
            .args(&args)
            .arg("pipe:1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                EncodeError::Unsupported(format!(
                    "the FFmpeg backend needs the `ffmpeg` program, and `{}` was not found on PATH; install it (e.g. `apt-get install ffmpeg`) or set FFMPEG_PATH",
                    program.to_string_lossy()
                ))
            } else {
                EncodeError::Backend(format!("cannot start ffmpeg: {e}"))
            }
        })?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let tail = Arc::clone(&stderr_tail);
        std::thread::Builder::new()
            .name("ffmpeg-stderr".into())
            .spawn(move || {
                let mut text = String::new();
                let mut r = BufReader::new(stderr);
                let mut buf = [0u8; 4096];
                while let Ok(n) = r.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    text.push_str(&String::from_utf8_lossy(&buf[..n]));
                    while let Some(i) = text.find('\n') {
                        let line: String = text.drain(..=i).collect();
                        let mut t = tail.lock().unwrap_or_else(|e| e.into_inner());
                        t.push_back(line.trim_end().to_string());
                        if t.len() > 8 {
                            t.pop_front();
                        }
                    }
                }
            })
            .map_err(|e| EncodeError::Backend(format!("cannot start a thread: {e}")))?;
        // A few frames of slack: FFmpeg's own lookahead holds more.
        let (tx, units) = sync_channel::<Unit>(64);
        let reader = std::thread::Builder::new()
            .name("ffmpeg-reader".into())
            .spawn(move || {
                let mut r = BufReader::with_capacity(1 << 20, stdout);
                let send = |u: Unit| tx.send(u).map_err(|_| "encoder dropped".to_string());
                match framing {
                    Framing::AnnexB => read_annexb(&mut r, send),
                    Framing::Ivf => read_ivf(&mut r, send),
                }
            })
            .map_err(|e| EncodeError::Backend(format!("cannot start a thread: {e}")))?;
        let frame_bytes = (settings.width * settings.height * 3 / 2) as usize;
        Ok(FfmpegEncoder {
            settings,
            child,
            stdin,
            units,
            reader: Some(reader),
            stderr_tail,
            pts: VecDeque::new(),
            flushing: false,
            done: false,
            raw: Vec::with_capacity(frame_bytes),
        })
    }

    /// An error carrying the last lines FFmpeg printed.
    fn failure(&mut self, what: &str) -> EncodeError {
        // Let FFmpeg exit so that its last words are in.
        let status = self.child.wait().ok();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let tail = self
            .stderr_tail
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join(" | ");
        let status = status.map(|s| format!(" ({s})")).unwrap_or_default();
        EncodeError::Backend(format!("ffmpeg {what}{status}: {tail}"))
    }

    fn packet(&mut self, u: Unit) -> Packet {
        let pts = self.pts.pop_front().unwrap_or(0);
        Packet::new(Track::Video, u.data, pts, u.key)
    }
}

impl VideoEncoder for FfmpegEncoder {
    fn send_frame(&mut self, frame: Option<&YuvFrame>, pts: i64) -> Result<(), EncodeError> {
        let Some(frame) = frame else {
            self.flushing = true;
            self.stdin = None; // closing standard input tells FFmpeg to finish
            return Ok(());
        };
        self.settings.check_frame(frame)?;
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(EncodeError::Invalid(
                "a frame was sent after the flush".into(),
            ));
        };
        self.raw.clear();
        let (w, h) = (frame.width() as usize, frame.height() as usize);
        let (ys, us, vs) = frame.strides();
        for (plane, stride, pw, ph) in [
            (frame.y(), ys, w, h),
            (frame.u(), us, w / 2, h / 2),
            (frame.v(), vs, w / 2, h / 2),
        ] {
            for row in plane.chunks(stride).take(ph) {
                self.raw.extend_from_slice(&row[..pw]);
            }
        }
        if stdin.write_all(&self.raw).is_err() {
            self.stdin = None;
            return Err(self.failure("stopped taking frames"));
        }
        self.pts.push_back(pts);
        Ok(())
    }

    fn receive_packet(&mut self) -> Result<Option<Packet>, EncodeError> {
        if self.done {
            return Ok(None);
        }
        if !self.flushing {
            return match self.units.try_recv() {
                Ok(u) => Ok(Some(self.packet(u))),
                Err(TryRecvError::Empty) => Ok(None),
                Err(TryRecvError::Disconnected) => Err(self.failure("ended early")),
            };
        }
        if let Ok(u) = self.units.recv() {
            return Ok(Some(self.packet(u)));
        }
        // Drained: FFmpeg has closed its output.
        self.done = true;
        let read = self
            .reader
            .take()
            .map(|h| h.join().unwrap_or_else(|_| Err("reader panicked".into())));
        let status = self
            .child
            .wait()
            .map_err(|e| EncodeError::Backend(format!("ffmpeg: {e}")))?;
        if !status.success() {
            return Err(self.failure("failed"));
        }
        if let Some(Err(e)) = read {
            return Err(EncodeError::Backend(format!(
                "reading ffmpeg's output: {e}"
            )));
        }
        Ok(None)
    }

    fn settings(&self) -> &VideoSettings {
        &self.settings
    }
}

impl Drop for FfmpegEncoder {
    fn drop(&mut self) {
        self.stdin = None;
        if !self.done {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Reads H.264 Annex B and hands out one access unit at a time (split at each access unit
/// delimiter, NAL type 9). An access unit holding an IDR slice (type 5) is a key frame.
fn read_annexb(
    r: &mut impl Read,
    mut send: impl FnMut(Unit) -> Result<(), String>,
) -> Result<(), String> {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 1 << 16];
    let mut scanned = 0usize; // positions before this hold no delimiter but the one at 0
    loop {
        let n = r.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut i = scanned;
        while i + 4 <= buf.len() {
            if buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 1 && buf[i + 3] & 0x1f == 9 {
                let start = if i > 0 && buf[i - 1] == 0 { i - 1 } else { i };
                if start > 0 {
                    // Everything before this delimiter is the previous access unit.
                    send(annexb_unit(buf[..start].to_vec()))?;
                    buf.drain(..start);
                    i -= start;
                }
                i += 4;
                continue;
            }
            i += 1;
        }
        scanned = i;
    }
    if !buf.is_empty() {
        send(annexb_unit(buf))?;
    }
    Ok(())
}

fn annexb_unit(data: Vec<u8>) -> Unit {
    let mut key = false;
    let mut i = 0;
    while i + 3 < data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            if data[i + 3] & 0x1f == 5 {
                key = true;
                break;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Unit { data, key }
}

/// Reads IVF (32-byte header, then 12-byte frame headers) and hands out one frame at a time.
fn read_ivf(
    r: &mut impl Read,
    mut send: impl FnMut(Unit) -> Result<(), String>,
) -> Result<(), String> {
    let mut header = [0u8; 32];
    if let Err(e) = r.read_exact(&mut header) {
        return if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Ok(()) // FFmpeg wrote nothing: its exit status tells why
        } else {
            Err(e.to_string())
        };
    }
    if &header[..4] != b"DKIF" {
        return Err("ffmpeg's output is not IVF".into());
    }
    let fourcc = [header[8], header[9], header[10], header[11]];
    loop {
        let mut fh = [0u8; 12];
        match r.read_exact(&mut fh) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e.to_string()),
        }
        let size = u32::from_le_bytes([fh[0], fh[1], fh[2], fh[3]]) as usize;
        if size > 64 << 20 {
            return Err(format!("an IVF frame of {size} bytes is not plausible"));
        }
        let mut data = vec![0u8; size];
        r.read_exact(&mut data).map_err(|e| e.to_string())?;
        let key = ivf_key(&fourcc, &data);
        send(Unit { data, key })?;
    }
}

/// Whether an IVF frame of codec `fourcc` is a key frame, from its first header bits.
fn ivf_key(fourcc: &[u8; 4], d: &[u8]) -> bool {
    let Some(&b0) = d.first() else {
        return false;
    };
    match fourcc {
        // VP8: frame tag bit 0 is 0 for a key frame.
        b"VP80" => b0 & 1 == 0,
        // VP9: frame_marker(2) profile(2) [reserved] show_existing_frame(1) frame_type(1).
        b"VP90" => {
            let profile = ((b0 >> 5) & 1) | (((b0 >> 4) & 1) << 1);
            let mut bit = 4; // bits used so far from the top
            if profile == 3 {
                bit += 1;
            }
            let show_existing = (b0 >> (7 - bit)) & 1;
            if show_existing == 1 {
                return false;
            }
            (b0 >> (7 - (bit + 1))) & 1 == 0
        }
        // AV1: a temporal unit with a sequence header OBU (type 1) starts a key frame.
        _ => av1_has_sequence_header(d),
    }
}

/// Whether an AV1 temporal unit carries a sequence header OBU.
fn av1_has_sequence_header(d: &[u8]) -> bool {
    let mut i = 0;
    while i < d.len() {
        let h = d[i];
        let obu_type = (h >> 3) & 0xf;
        if obu_type == 1 {
            return true;
        }
        let ext = (h >> 2) & 1 == 1;
        let has_size = (h >> 1) & 1 == 1;
        i += 1 + ext as usize;
        if !has_size {
            return false;
        }
        let (mut size, mut shift) = (0usize, 0);
        loop {
            let Some(&b) = d.get(i) else { return false };
            i += 1;
            size |= ((b & 0x7f) as usize) << shift;
            shift += 7;
            if b & 0x80 == 0 || shift > 56 {
                break;
            }
        }
        i += size;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annexb_is_split_at_delimiters() {
        let aud = [0u8, 0, 0, 1, 9, 0xf0];
        let idr = [0u8, 0, 0, 1, 0x65, 1, 2, 3];
        let p = [0u8, 0, 0, 1, 0x41, 4, 5];
        let mut stream = Vec::new();
        for part in [&aud[..], &idr, &aud, &p, &aud, &p] {
            stream.extend_from_slice(part);
        }
        let mut units = Vec::new();
        read_annexb(&mut &stream[..], |u| {
            units.push(u);
            Ok(())
        })
        .unwrap();
        assert_eq!(units.len(), 3);
        assert!(units[0].key && !units[1].key && !units[2].key);
        assert_eq!(units[0].data, [&aud[..], &idr].concat());
        assert_eq!(units[2].data, [&aud[..], &p].concat());
    }

    #[test]
    fn vp8_and_vp9_key_bits() {
        assert!(ivf_key(b"VP80", &[0x10]));
        assert!(!ivf_key(b"VP80", &[0x11]));
        // VP9 profile 0: 10 0 0 0 0 -> key; frame_type bit set -> inter.
        assert!(ivf_key(b"VP90", &[0b1000_0000]));
        assert!(!ivf_key(b"VP90", &[0b1000_0100]));
    }

    #[test]
    fn presets_and_hardware_map_to_encoders() {
        let mut s = VideoSettings::new(640, 360, 30.0);
        s.ffmpeg_preset = "ultrafast".into();
        let (a, f) = encoder_args(&s).unwrap();
        assert_eq!(f, Framing::AnnexB);
        assert!(a.windows(2).any(|w| w == ["-c:v", "libx264"]));
        assert!(a.windows(2).any(|w| w == ["-preset", "ultrafast"]));
        s.ffmpeg_hwaccel = Some("nvenc".into());
        let (a, _) = encoder_args(&s).unwrap();
        assert!(a.windows(2).any(|w| w == ["-c:v", "h264_nvenc"]));
        s.codec = VideoCodec::Vp8;
        assert!(encoder_args(&s).is_err());
        s.ffmpeg_hwaccel = None;
        let (a, f) = encoder_args(&s).unwrap();
        assert_eq!(f, Framing::Ivf);
        assert!(a.windows(2).any(|w| w == ["-c:v", "libvpx"]));
    }
}
