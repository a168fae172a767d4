//! The FFmpeg path (feature `ffmpeg`): `ffprobe` says what a file holds; `ffmpeg` decodes its
//! pictures to raw I420 and its sound to 48 kHz stereo f32 on pipes, from any point (`-ss`
//! before `-i`: FFmpeg seeks to the key frame before and decodes up to the point exactly).
//!
//! Raw pipes carry no timestamps: pictures are taken to come at the file's frame rate from
//! the seek point on (variable-rate files play at their average rate), and sound sample `i`
//! of a pipe started at media time `t` is media sample `t·48000 + i`. The programs are
//! `FFMPEG_PATH`/`FFPROBE_PATH` or `ffmpeg`/`ffprobe` on `PATH`.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::time::{NANOS_PER_SECOND, nanos_from_secs, nanos_from_ticks};
use super::{
    AudioChunk, AudioCodecId, AudioReader, DecodedFrame, FrameReader, MediaError, MediaInfo, Nanos,
    VideoCodecId,
};
use crate::encode::AUDIO_RATE;
use crate::frame::YuvFrame;
use crate::limits::Limits;

/// The most bytes of `ffprobe` output read.
const MAX_PROBE_OUTPUT: u64 = 4 << 20;
/// Sound samples (per channel) in one chunk: 20 ms.
const CHUNK: usize = 960;

fn program(var: &str, default: &str) -> OsString {
    std::env::var_os(var).unwrap_or_else(|| default.into())
}

/// The `ffmpeg` program to run (`FFMPEG_PATH`, else `ffmpeg` on `PATH`).
pub(crate) fn ffmpeg_program() -> OsString {
    program("FFMPEG_PATH", "ffmpeg")
}

/// Whether the `ffmpeg` program runs (asked once per process).
pub(crate) fn present() -> bool {
    static PRESENT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *PRESENT.get_or_init(|| {
        Command::new(program("FFMPEG_PATH", "ffmpeg"))
            .arg("-version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn spawn_error(name: &str, prog: &OsString, e: std::io::Error) -> MediaError {
    if e.kind() == std::io::ErrorKind::NotFound {
        MediaError::unsupported(
            name,
            format!(
                "the ffmpeg decoder needs the `{}` program, which was not found; install FFmpeg (e.g. `apt-get install ffmpeg`) or set FFMPEG_PATH/FFPROBE_PATH",
                prog.to_string_lossy()
            ),
        )
    } else {
        MediaError::io(name, e)
    }
}

/// A rate as FFmpeg writes it (`30000/1001`, `25/1`, `0/0`) as (numerator, denominator).
fn rate(v: Option<&Value>) -> Option<(u64, u64)> {
    let s = v?.as_str()?;
    let (n, d) = s.split_once('/')?;
    let (n, d) = (n.trim().parse::<u64>().ok()?, d.trim().parse::<u64>().ok()?);
    (n > 0 && d > 0 && n / d <= 1000).then_some((n, d))
}

fn num(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
    .filter(|x: &f64| x.is_finite())
}

/// What FFmpeg would decode in the file.
pub(crate) fn probe(path: &Path, name: &str, limits: &Limits) -> Result<MediaInfo, MediaError> {
    let prog = program("FFPROBE_PATH", "ffprobe");
    let child = Command::new(&prog)
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(name, &prog, e))?;
    let out = child
        .wait_with_output()
        .map_err(|e| MediaError::io(name, e))?;
    if !out.status.success() || out.stdout.len() as u64 > MAX_PROBE_OUTPUT {
        let msg = String::from_utf8_lossy(&out.stderr);
        let msg = msg
            .lines()
            .last()
            .unwrap_or("not a video file FFmpeg can read");
        let msg = msg.rsplit(": ").next().unwrap_or(msg).trim();
        return Err(MediaError::malformed(name, format!("ffprobe: {msg}")));
    }
    let doc: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| MediaError::malformed(name, format!("ffprobe output: {e}")))?;
    let streams = doc["streams"].as_array().cloned().unwrap_or_default();
    let video = streams
        .iter()
        .find(|s| s["codec_type"] == "video" && s["disposition"]["attached_pic"] != 1)
        .ok_or_else(|| MediaError::unsupported(name, "no video track"))?;
    let audio = streams.iter().find(|s| s["codec_type"] == "audio");
    let width = video["width"].as_u64().unwrap_or(0) as u32;
    let height = video["height"].as_u64().unwrap_or(0) as u32;
    check_size(name, width, height, limits)?;
    let fps = rate(video.get("avg_frame_rate"))
        .or_else(|| rate(video.get("r_frame_rate")))
        .map_or(0.0, |(n, d)| n as f64 / d as f64);
    let start = num(video.get("start_time")).unwrap_or(0.0);
    let duration = num(video.get("duration"))
        .or_else(|| num(doc["format"].get("duration")).map(|d| d - start.max(0.0)))
        .unwrap_or(0.0);
    limits
        .check_video_seconds(duration, "video")
        .map_err(|d| MediaError::too_large(name, d))?;
    let codec = |s: &Value| s["codec_name"].as_str().unwrap_or("unknown").to_string();
    let video_codec = match codec(video).as_str() {
        "h264" => VideoCodecId::H264,
        "hevc" => VideoCodecId::Hevc,
        "av1" => VideoCodecId::Av1,
        "vp8" => VideoCodecId::Vp8,
        "vp9" => VideoCodecId::Vp9,
        other => VideoCodecId::Other(other.to_string()),
    };
    let audio_codec = audio.map(|a| match codec(a).as_str() {
        "aac" => AudioCodecId::Aac,
        "opus" => AudioCodecId::Opus,
        "mp3" => AudioCodecId::Mp3,
        "flac" => AudioCodecId::Flac,
        "vorbis" => AudioCodecId::Vorbis,
        c if c.starts_with("pcm_") => AudioCodecId::Pcm,
        other => AudioCodecId::Other(other.to_string()),
    });
    let mut notes = Vec::new();
    if let Some(p) = video["pix_fmt"].as_str().filter(|p| *p != "yuv420p") {
        notes.push(format!("pixel format {p}, converted to 8-bit 4:2:0"));
    }
    if video["field_order"]
        .as_str()
        .is_some_and(|f| f != "progressive" && f != "unknown")
    {
        notes.push("interlaced: shown as decoded, not deinterlaced".into());
    }
    Ok(MediaInfo {
        container: doc["format"]["format_name"]
            .as_str()
            .unwrap_or("unknown")
            .to_string(),
        video: Some(video_codec),
        width,
        height,
        fps,
        duration: nanos_from_secs(duration.max(0.0)),
        audio: audio_codec,
        sample_rate: audio.and_then(|a| num(a.get("sample_rate"))).unwrap_or(0.0) as u32,
        channels: audio.and_then(|a| a["channels"].as_u64()).unwrap_or(0) as u16,
        decoder: "ffmpeg".into(),
        notes,
        color: {
            let mut c = crate::frame::scale::YuvColor::guess(height);
            match video["color_space"].as_str() {
                Some("bt709") => c.bt601 = false,
                Some("smpte170m" | "bt470bg" | "fcc" | "smpte240m") => c.bt601 = true,
                _ => {}
            }
            c.full_range = video["color_range"] == "pc"
                || video["pix_fmt"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("yuvj"));
            c
        },
    })
}

/// Refuses picture sizes over the limits (or of nothing).
fn check_size(name: &str, w: u32, h: u32, limits: &Limits) -> Result<(), MediaError> {
    if w == 0 || h == 0 {
        return Err(MediaError::malformed(
            name,
            "the video track has no picture size",
        ));
    }
    limits
        .check_video_size(w.into(), h.into())
        .map_err(|d| MediaError::too_large(name, d))?;
    Ok(())
}

/// A running `ffmpeg` and the last lines of what it complained about.
pub(crate) struct Process {
    child: Child,
    out: BufReader<ChildStdout>,
    errors: Arc<Mutex<VecDeque<String>>>,
}

impl Process {
    fn start(name: &str, args: &[OsString]) -> Result<Process, MediaError> {
        Process::spawn(name, args, false).map(|(p, _)| p)
    }

    /// Starts `ffmpeg` reading its input from the pipe returned (`-i pipe:0` in `args`).
    pub(crate) fn start_fed(
        name: &str,
        args: &[OsString],
    ) -> Result<(Process, ChildStdin), MediaError> {
        let (p, stdin) = Process::spawn(name, args, true)?;
        let stdin =
            stdin.ok_or_else(|| MediaError::decode(name, "ffmpeg started without pipes"))?;
        Ok((p, stdin))
    }

    fn spawn(
        name: &str,
        args: &[OsString],
        fed: bool,
    ) -> Result<(Process, Option<ChildStdin>), MediaError> {
        let prog = program("FFMPEG_PATH", "ffmpeg");
        let mut cmd = Command::new(&prog);
        cmd.args(["-hide_banner", "-loglevel", "error"]);
        if !fed {
            cmd.arg("-nostdin");
        }
        let mut child = cmd
            .args(args)
            .stdin(if fed { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| spawn_error(name, &prog, e))?;
        let stdin = child.stdin.take();
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(MediaError::decode(name, "ffmpeg started without pipes"));
        };
        widen_pipe(&stdout);
        let errors = Arc::new(Mutex::new(VecDeque::new()));
        let tail = Arc::clone(&errors);
        let _ = std::thread::Builder::new()
            .name("ffmpeg-decode-stderr".into())
            .spawn(move || {
                let mut text = String::new();
                let _ = BufReader::new(stderr.take(1 << 20)).read_to_string(&mut text);
                let mut g = tail.lock().unwrap_or_else(|e| e.into_inner());
                for line in text.lines().rev().take(4) {
                    g.push_front(line.to_string());
                }
            });
        Ok((
            Process {
                child,
                out: BufReader::with_capacity(1 << 20, stdout),
                errors,
            },
            stdin,
        ))
    }

    /// Reads one raw I420 `width`×`height` picture: `None` at the clean end of the output,
    /// an error when it stops inside a picture.
    pub(crate) fn read_picture(
        &mut self,
        name: &str,
        width: u32,
        height: u32,
    ) -> Result<Option<YuvFrame>, MediaError> {
        let mut picture = YuvFrame::zeroed(width, height);
        let (y, u, v) = picture.planes_mut();
        if !self.read_exact_or_end(name, y)? {
            return Ok(None);
        }
        for plane in [u, v] {
            if !self.read_exact_or_end(name, plane)? {
                return Err(MediaError::decode(name, "ffmpeg stopped inside a picture"));
            }
        }
        Ok(Some(picture))
    }

    /// Fills `buf` completely: `Ok(false)` at a clean end of output before any byte.
    pub(crate) fn read_exact_or_end(
        &mut self,
        name: &str,
        buf: &mut [u8],
    ) -> Result<bool, MediaError> {
        let mut got = 0;
        while got < buf.len() {
            match self.out.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(MediaError::io(name, e)),
            }
        }
        if got == buf.len() {
            return Ok(true);
        }
        // The end: did ffmpeg finish or fail?
        let status = self.child.wait().map_err(|e| MediaError::io(name, e))?;
        if status.success() {
            Ok(false)
        } else {
            std::thread::sleep(std::time::Duration::from_millis(20));
            let errors = self.errors.lock().unwrap_or_else(|e| e.into_inner());
            let msg = errors.iter().cloned().collect::<Vec<_>>().join("; ");
            Err(MediaError::decode(
                name,
                if msg.is_empty() {
                    format!("ffmpeg stopped ({status})")
                } else {
                    format!("ffmpeg: {msg}")
                },
            ))
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Asks for a 1 MiB pipe buffer (Linux; the default is 64 KiB): a 1080p picture then takes 3
/// reads instead of 48, and as many fewer switches between `ffmpeg` and us. Best effort.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // fcntl on a descriptor we own
fn widen_pipe(out: &ChildStdout) {
    use std::os::fd::AsRawFd;
    // SAFETY: F_SETPIPE_SZ takes an int and touches nothing but the pipe's buffer size; the
    // descriptor is open for the call (borrowed from `out`).
    let _ = unsafe { libc::fcntl(out.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20) };
}

#[cfg(not(target_os = "linux"))]
fn widen_pipe(_: &ChildStdout) {}

/// `-ss` with the time in seconds, or nothing at 0.
fn seek_args(t: Nanos) -> Vec<OsString> {
    if t <= 0 {
        Vec::new()
    } else {
        vec![
            "-ss".into(),
            format!("{}.{:09}", t / NANOS_PER_SECOND, t % NANOS_PER_SECOND).into(),
        ]
    }
}

/// Pictures from an `ffmpeg` process (the whole file read by FFmpeg).
pub(crate) struct VideoPipe {
    path: PathBuf,
    name: String,
    info: MediaInfo,
    /// The frame rate as a fraction.
    rate: (u64, u64),
    proc: Option<Process>,
    /// Index of the next picture counted from `origin`.
    next: u64,
    /// Media time of picture 0 of the running process.
    origin: Nanos,
}

impl VideoPipe {
    /// Starts decoding from the beginning.
    pub(crate) fn open(
        path: &Path,
        name: &str,
        info: MediaInfo,
        _limits: &Limits,
    ) -> Result<VideoPipe, MediaError> {
        let fps = if info.fps > 0.0 { info.fps } else { 30.0 };
        // A fraction that reproduces the rate: 1001-based rates exactly, others in 1/1000.
        let rate = if ((fps * 1001.0).round() / 1001.0 - fps).abs() < 1e-9
            && (fps * 1001.0).round() % 1000.0 == 0.0
        {
            ((fps * 1001.0).round() as u64, 1001)
        } else {
            ((fps * 1000.0).round().max(1.0) as u64, 1000)
        };
        let mut p = VideoPipe {
            path: path.to_path_buf(),
            name: name.to_string(),
            info,
            rate,
            proc: None,
            next: 0,
            origin: 0,
        };
        p.seek(0)?;
        Ok(p)
    }

    /// Media time of picture `i` from the seek point.
    fn pts(&self, i: u64) -> Nanos {
        self.origin.saturating_add(nanos_from_ticks(
            (i as i64).saturating_mul(self.rate.1 as i64),
            self.rate.0,
        ))
    }
}

impl FrameReader for VideoPipe {
    fn seek(&mut self, t: Nanos) -> Result<(), MediaError> {
        // Start at the picture on screen at `t`: its index from 0, at the file's rate.
        let (n, d) = self.rate;
        let index = ((t.max(0) as i128 * n as i128) / (d as i128 * NANOS_PER_SECOND as i128))
            .clamp(0, i64::MAX as i128) as i64;
        self.origin = nanos_from_ticks(index.saturating_mul(d as i64), n);
        self.next = 0;
        // Half a millisecond early, so rounding cannot make FFmpeg drop that picture.
        let mut args = seek_args(self.origin - 500_000);
        args.extend(
            ["-noautorotate", "-i"]
                .map(OsString::from)
                .into_iter()
                .chain([self.path.clone().into_os_string()]),
        );
        args.extend(
            [
                "-map",
                "0:v:0",
                "-an",
                "-sn",
                "-dn",
                "-threads",
                "2",
                "-fps_mode",
                "passthrough",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "yuv420p",
                "pipe:1",
            ]
            .map(OsString::from),
        );
        self.proc = None;
        self.proc = Some(Process::start(&self.name, &args)?);
        Ok(())
    }

    fn next_frame(&mut self) -> Result<Option<DecodedFrame>, MediaError> {
        let Some(proc) = self.proc.as_mut() else {
            return Ok(None);
        };
        let Some(picture) = proc.read_picture(&self.name, self.info.width, self.info.height)?
        else {
            self.proc = None;
            return Ok(None);
        };
        let pts = self.pts(self.next);
        self.next += 1;
        Ok(Some(DecodedFrame { pts, picture }))
    }
}

/// Sound from an `ffmpeg` process.
pub(crate) struct AudioPipe {
    path: PathBuf,
    name: String,
    proc: Option<Process>,
    /// Media sample of the next sample read.
    next: i64,
    raw: Vec<u8>,
}

impl AudioPipe {
    /// Starts decoding from the beginning.
    pub(crate) fn open(
        path: &Path,
        name: &str,
        _info: &MediaInfo,
    ) -> Result<AudioPipe, MediaError> {
        let mut p = AudioPipe {
            path: path.to_path_buf(),
            name: name.to_string(),
            proc: None,
            next: 0,
            raw: vec![0; CHUNK * 8],
        };
        p.seek(0)?;
        Ok(p)
    }
}

impl AudioReader for AudioPipe {
    fn seek(&mut self, sample: i64) -> Result<(), MediaError> {
        let sample = sample.max(0);
        self.next = sample;
        let mut args = seek_args(nanos_from_ticks(sample, AUDIO_RATE as u64));
        args.extend(["-i".into(), self.path.clone().into_os_string()]);
        args.extend(
            [
                "-map", "0:a:0", "-vn", "-sn", "-dn", "-f", "f32le", "-ac", "2", "-ar", "48000",
                "pipe:1",
            ]
            .map(OsString::from),
        );
        self.proc = None;
        self.proc = Some(Process::start(&self.name, &args)?);
        Ok(())
    }

    fn next_chunk(&mut self) -> Result<Option<AudioChunk>, MediaError> {
        let Some(proc) = self.proc.as_mut() else {
            return Ok(None);
        };
        // Whole stereo frames only; a short last chunk is kept.
        let mut got = 0;
        while got < self.raw.len() {
            match proc.out.read(&mut self.raw[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(MediaError::io(&self.name, e)),
            }
        }
        let frames = got / 8;
        if frames == 0 {
            let mut empty = [0u8; 0];
            proc.read_exact_or_end(&self.name, &mut empty)?;
            self.proc = None;
            return Ok(None);
        }
        let mut chunk = AudioChunk {
            start: self.next,
            left: Vec::with_capacity(frames),
            right: Vec::with_capacity(frames),
        };
        for f in self.raw[..frames * 8].chunks_exact(8) {
            chunk
                .left
                .push(f32::from_le_bytes([f[0], f[1], f[2], f[3]]));
            chunk
                .right
                .push(f32::from_le_bytes([f[4], f[5], f[6], f[7]]));
        }
        self.next += frames as i64;
        Ok(Some(chunk))
    }
}
